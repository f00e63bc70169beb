"""The web app's guard: a per-run token, CSRF on every action, Host and Origin checks, request
size caps and strict response headers.

Threat model: the app runs on the user's machine and acts with the node's key, so any web page
the user visits, any other local user and any DNS-rebinding trick must not be able to use it.

* **Token.** Every request needs the per-run token (``secrets.token_urlsafe(32)``), given once in
  the URL that ``datadao ui`` prints (as Jupyter does). That first request sets it as an
  ``HttpOnly``, ``SameSite=Strict`` cookie and is redirected to the same URL without it, so
  later links need no token. No token, a wrong one: 403, on every path, static files included.
* **Host.** Only ``127.0.0.1``, ``localhost``, ``[::1]`` (and the bound address) on the app's
  port are answered: a rebinding domain that resolves to 127.0.0.1 sends its own Host.
* **CSRF.** Every state-changing request (POST) carries a second per-run secret, in the form
  field ``csrf_token`` or the ``X-CSRF-Token`` header (:func:`require_csrf`); a cross-site
  ``Origin`` is refused before that. The strict cookie already keeps cross-site requests out;
  this holds even where a browser sends it anyway.
* **Size.** A request body must declare its length (else 411) and stay under the route's cap
  (the upload's ``--max-upload-mb``, 64 KiB for every other form; else 413) before the app
  reads a byte of it.
* **Headers.** A CSP allowing only this origin's scripts, styles, images and connections (no
  inline script, no CDN), no framing, no referrer to other sites (the token never leaks in a
  Referer), no caching.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "FORM_LIMIT",
    "Guard",
    "UiSecrets",
    "is_loopback",
    "require_csrf",
]

FORM_LIMIT = 64 << 10
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def is_loopback(host: str) -> bool:
    """Whether ``host`` binds only to this machine (``localhost`` or a loopback address)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class UiSecrets:
    """This run's secrets. ``token`` opens the app; ``csrf`` signs its forms."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    def cookie_name(self, port: int) -> str:
        return f"datadao_ui_{port}"


async def require_csrf(request: Request) -> None:
    """The CSRF check of every state-changing route (a router dependency).

    Raises:
        HTTPException: 403 without the run's CSRF secret in the form or the header.
    """
    secrets_: UiSecrets = request.app.state.secrets
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given.encode(), secrets_.csrf.encode()):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Guard:
    """ASGI middleware around the whole app (outside FastAPI's own error handling)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secrets_: UiSecrets,
        host: str,
        port: int,
        upload_path: str,
        max_upload_bytes: int,
    ) -> None:
        self.app = app
        self.secrets = secrets_
        self.port = port
        self.upload_path = upload_path
        self.max_upload = max_upload_bytes
        names = {"127.0.0.1", "localhost", "[::1]"}
        names.add(f"[{host}]" if ":" in host else host)
        self.hosts = {f"{n}:{port}" for n in names} | (set(names) if port == 80 else set())
        self.origins = {f"http://{h}" for h in self.hosts}
        self.cookie = secrets_.cookie_name(port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here: close by not accepting
        host = _header(scope, b"host")
        if host is None or host.lower() not in self.hosts:
            await _plain(send, 403, "unexpected Host header: open the URL that datadao ui printed")
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        from_query = next((v for k, v in query if k == "token"), None)
        token = from_query or self._cookie(scope)
        if not token or not hmac.compare_digest(token.encode(), self.secrets.token.encode()):
            await _plain(
                send, 403, "this app needs the link with its token that `datadao ui` printed"
            )
            return
        method = scope["method"]
        if from_query is not None and method == "GET":
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            # one leading slash: "//host" would be a redirect to another site
            location = "/" + scope["path"].lstrip("/") + (f"?{rest}" if rest else "")
            await _redirect_with_cookie(send, location, self.cookie, self.secrets.token)
            return
        if method in _UNSAFE:
            origin = _header(scope, b"origin")
            if origin is not None and origin.lower() not in self.origins:
                await _plain(send, 403, "cross-origin request refused")
                return
            length = _header(scope, b"content-length")
            if _header(scope, b"transfer-encoding") is not None or length is None:
                await _plain(send, 411, "a request body must declare its length")
                return
            cap = self.max_upload + FORM_LIMIT if scope["path"] == self.upload_path else FORM_LIMIT
            try:
                declared = int(length)
            except ValueError:
                await _plain(send, 400, "bad Content-Length")
                return
            if declared > cap:
                await _plain(send, 413, f"request body over {cap >> 10} KiB")
                return
        await self.app(scope, receive, _with_headers(send))

    def _cookie(self, scope: Scope) -> str | None:
        raw = _header(scope, b"cookie")
        if not raw:
            return None
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # a malformed Cookie header is no token, not a crash
            return None
        morsel = jar.get(self.cookie)
        return None if morsel is None else morsel.value


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0] not in dict(_HEADERS)]
            message = {**message, "headers": headers + _HEADERS}
        await send(message)

    return wrapped


async def _plain(send: Send, status: int, text: str) -> None:
    body = f"{status}: {text}\n".encode()
    headers: list[Any] = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(send: Send, location: str, name: str, token: str) -> None:
    cookie = f"{name}={token}; Path=/; HttpOnly; SameSite=Strict"
    headers: list[Any] = [
        (b"location", location.encode("latin-1", "replace")),
        (b"set-cookie", cookie.encode()),
        (b"content-length", b"0"),
        *_HEADERS,
    ]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
