"""The guard, attacker first: no token, a wrong one, a foreign Host or Origin, no CSRF secret,
an oversized or unsized body, a path in a parameter. Each is refused and nothing changes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.routing import APIRoute

from node.errors import ConfigError
from node.ui.app import UPLOAD_PATH
from node.ui.server import check_bind
from tests.unit.node.ui.conftest import PORT, RENTER_PASSPHRASE, Ui

GET_PAGES = [
    "/",
    "/contribute",
    "/contributions",
    "/governance",
    "/rent",
    "/validator",
    "/dataset",
    "/contribute/preview/" + "0" * 32,
    "/jobs/nope",
    "/jobs/nope/events",
    "/dataset/label/0x" + "1" * 40 + "/1/label.png",
    "/static/htmx.min.js",
    "/static/app.js",
    "/no-such-page",
]
POSTS = {
    UPLOAD_PATH: {},
    "/contribute/start": {"upload_id": "0" * 32},
    "/contribute/resume": {"submission": "1"},
    "/contributions/claim": {"file_id": "0x" + "ab" * 32},
    "/governance/delegate": {"to": ""},
    "/governance/propose": {"req_id": "1"},
    "/governance/vote": {"proposal": "1", "support": "for"},
    "/governance/queue": {"proposal": "1"},
    "/governance/execute": {"proposal": "1"},
    "/rent/request": {"fee_eth": "0.1", "expiry_days": "30"},
    "/rent/fetch": {"req_id": "1"},
}


def _post_routes(ui: Ui) -> set[str]:
    """Every POST route of the FastAPI app inside the Guard, included routers too."""
    found: set[str] = set()
    pending = list(ui.client.app.app.routes)  # type: ignore[attr-defined]
    while pending:
        route = pending.pop()
        inner = getattr(route, "original_router", None)  # FastAPI's included-router wrapper
        if inner is not None:
            pending.extend(inner.routes)
        elif isinstance(route, APIRoute) and "POST" in (route.methods or set()):
            found.add(route.path)
    return found


def test_the_post_list_covers_every_action(ui: Ui) -> None:
    assert _post_routes(ui) == set(POSTS)


@pytest.mark.parametrize("path", GET_PAGES)
def test_every_page_refuses_a_request_without_the_token(ui: Ui, path: str) -> None:
    r = ui.client.get(path, follow_redirects=False)
    assert r.status_code == 403
    assert "token" in r.text


@pytest.mark.parametrize("path", GET_PAGES)
def test_every_page_refuses_a_wrong_token(ui: Ui, path: str) -> None:
    sep = "&" if "?" in path else "?"
    r = ui.client.get(f"{path}{sep}token={ui.token[:-1]}x", follow_redirects=False)
    assert r.status_code == 403
    ui.client.cookies.set(f"datadao_ui_{PORT}", "not-the-token")
    assert ui.client.get(path, follow_redirects=False).status_code == 403


@pytest.mark.parametrize("path", sorted(POSTS))
def test_every_action_refuses_a_request_without_the_token(ui: Ui, path: str) -> None:
    r = ui.client.post(path, data={**POSTS[path], "csrf_token": ui.csrf})
    assert r.status_code == 403
    assert ui.spies.calls == []


def test_the_token_link_sets_a_strict_cookie_and_drops_the_token_from_the_url(ui: Ui) -> None:
    r = ui.client.get(f"/governance?token={ui.token}&x=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/governance?x=1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"datadao_ui_{PORT}={ui.token};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    page = ui.client.get("/governance")
    assert page.status_code == 200
    assert "<h1>Governance</h1>" in page.text


def test_a_token_link_never_redirects_to_another_site(ui: Ui) -> None:
    r = ui.client.get(f"//evil.example/?token={ui.token}", follow_redirects=False)
    assert r.status_code == 303
    assert not r.headers["location"].startswith("//")


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:1", "localhost"]
)
def test_a_foreign_host_header_is_refused_even_with_the_token(ui: Ui, host: str) -> None:
    """DNS rebinding: a name that resolves to 127.0.0.1 still sends its own Host."""
    r = ui.client.get(f"/contribute?token={ui.token}", headers={"host": host})
    assert r.status_code == 403
    assert "Host" in r.text


@pytest.mark.parametrize("path", sorted(POSTS))
def test_every_action_refuses_a_missing_or_wrong_csrf_token(ui: Ui, path: str) -> None:
    ui.login()
    files = {"export": ("x.json", b"[]", "application/json")} if path == UPLOAD_PATH else None
    missing = ui.client.post(path, data=POSTS[path], files=files, follow_redirects=False)
    assert missing.status_code == 403
    assert "CSRF" in missing.text
    wrong = ui.client.post(
        path, data={**POSTS[path], "csrf_token": ui.csrf + "x"}, files=files, follow_redirects=False
    )
    assert wrong.status_code == 403
    header = ui.client.post(path, data=POSTS[path], files=files, headers={"X-CSRF-Token": "nope"})
    assert header.status_code == 403
    assert ui.spies.calls == []
    assert not (ui.home / "ui" / "uploads").exists() or not any(
        (ui.home / "ui" / "uploads").iterdir()
    )


def test_a_cross_site_origin_is_refused_before_anything_runs(ui: Ui) -> None:
    ui.login()
    r = ui.client.post(
        "/contributions/claim",
        data={**POSTS["/contributions/claim"], "csrf_token": ui.csrf},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert ui.spies.calls == []


def test_the_csrf_header_or_field_lets_an_action_through(ui: Ui) -> None:
    """The control for the refusals above: the same request with the secret reaches the
    service (the spy)."""
    ui.login()
    with pytest.raises(AssertionError, match="claim must not run"):
        ui.client.post(
            "/contributions/claim", data={**POSTS["/contributions/claim"], "csrf_token": ui.csrf}
        )
    assert [name for name, _ in ui.spies.calls] == ["node.services.contributor.claim"]


def test_an_oversized_upload_is_refused_and_nothing_is_kept(ui: Ui) -> None:
    ui.login()
    big = b"x" * ((64 << 10) + 1)
    r = ui.client.post(
        UPLOAD_PATH,
        data={"csrf_token": ui.csrf},
        files={"export": ("big.json", big, "application/json")},
    )
    assert r.status_code == 413
    uploads = ui.home / "ui" / "uploads"
    assert not uploads.exists() or [p for p in uploads.iterdir() if p.is_dir()] == []


def test_a_body_far_past_the_cap_is_refused_from_its_declared_length(ui: Ui) -> None:
    ui.login()
    r = ui.client.post(
        "/governance/vote",
        content=b"a=" + b"x" * (70 << 10),
        headers={"content-type": "application/x-www-form-urlencoded", "X-CSRF-Token": ui.csrf},
    )
    assert r.status_code == 413


def test_a_body_without_a_declared_length_is_refused(ui: Ui) -> None:
    ui.login()

    def chunks() -> Iterator[bytes]:
        yield b"support=for"

    r = ui.client.post(
        "/governance/vote",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded", "X-CSRF-Token": ui.csrf},
    )
    assert r.status_code == 411
    assert ui.spies.calls == []


@pytest.mark.parametrize(
    "path",
    [
        "/contribute/preview/..%2F..%2Fetc%2Fpasswd",
        "/contribute/preview/" + "0" * 31 + "/",
        "/contribute/preview/%2E%2E",
        "/dataset/label/..%2F..%2F..%2Fetc/1/passwd",
        "/dataset/label/0x" + "1" * 40 + "/1/..%2F..%2F..%2Fnode.sqlite",
        "/dataset/label/0x" + "1" * 40 + "/1/report.json%00.png",
        "/validator?address=..%2F..%2Fetc",
        "/jobs/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_a_path_in_a_parameter_reaches_no_file(ui: Ui, path: str) -> None:
    secret = ui.home / "node.sqlite"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("SECRET-DB-CONTENT")
    ui.login()
    r = ui.client.get(path)
    assert r.status_code == 404
    assert "SECRET-DB-CONTENT" not in r.text
    assert "root:" not in r.text


def test_a_traversal_upload_id_is_refused_when_contributing(ui: Ui) -> None:
    ui.login()
    r = ui.client.post("/contribute/start", data={"upload_id": "../../node", "csrf_token": ui.csrf})
    assert r.status_code == 200  # back to the page with the error in words
    assert "no such upload" in r.text
    assert ui.spies.calls == []


def test_responses_carry_a_strict_content_security_policy(ui: Ui) -> None:
    ui.login()
    r = ui.client.get("/contribute")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert r.headers["referrer-policy"] == "same-origin"  # same-site POSTs keep their Origin
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text  # no inline script: the CSP would block it anyway
    assert not re.search(r"https?://(?!127\.0\.0\.1)", r.text.split("</head>")[0])  # no CDN


def test_no_page_shows_the_renter_passphrase_or_a_secret(ui: Ui) -> None:
    ui.login()
    for path in GET_PAGES:
        if "/static/" in path:
            continue
        body = ui.client.get(path).text
        assert RENTER_PASSPHRASE not in body, path
        assert ui.token not in body, path


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])  # noqa: S104
def test_a_non_loopback_address_needs_the_explicit_flag(host: str) -> None:
    with pytest.raises(ConfigError, match="--allow-remote"):
        check_bind(host, allow_remote=False)
    check_bind(host, allow_remote=True)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_addresses_need_no_flag(host: str) -> None:
    check_bind(host, allow_remote=False)


def test_the_command_refuses_a_non_loopback_host_before_serving() -> None:
    from node.cli.ui import ui as ui_command

    result = CliRunner().invoke(ui_command, ["--host", "0.0.0.0"])  # noqa: S104
    assert result.exit_code == 2
    assert "--allow-remote" in result.output
