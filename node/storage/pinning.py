"""Client for the IPFS Pinning Service API (ipfs.github.io/pinning-services-api-spec).

``POST /pins`` asks a remote service to pin a CID and returns a ``PinStatus`` with a
``requestid``; ``GET /pins/{requestid}`` reports ``queued`` → ``pinning`` → ``pinned`` or
``failed``. :meth:`PinningClient.pin` does both and polls with exponential backoff until the pin
is ``pinned``, ``failed`` or the caller's deadline passes.

The bearer token is a credential: it is sent only in the ``Authorization`` header, never
logged, never put in an exception, and hidden from ``repr``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import httpx

from node import safejson
from node.retry import STORAGE_CREATE, STORAGE_IDEMPOTENT, retry_call
from node.storage._cid import parse_cid
from node.storage._http import read_capped
from node.storage.errors import (
    CidMismatch,
    InvalidCid,
    PinFailed,
    PinningServiceError,
    PinTimeout,
    StorageTransportError,
)
from node.types import Cid

__all__ = ["PinState", "PinStatus", "PinningClient"]

log = logging.getLogger(__name__)

PinState = Literal["queued", "pinning", "pinned", "failed"]
_STATES: Final = ("queued", "pinning", "pinned", "failed")
MAX_RESPONSE_BYTES: Final = 1 << 20
"""A PinStatus is well under 1 KiB plus delegates; refuse anything above 1 MiB."""


@dataclass(frozen=True, slots=True)
class PinStatus:
    """A pin request as the service reports it.

    Attributes:
        request_id: the service's id for this request (``requestid``).
        status: queued, pinning, pinned or failed.
        cid: the CID being pinned.
        name: the name given with the request, if any.
        delegates: multiaddrs the service asks us to connect to for the transfer.
    """

    request_id: str
    status: PinState
    cid: Cid
    name: str | None
    delegates: tuple[str, ...]


class PinningClient:
    """A remote pinning service: request a pin and wait for it."""

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        attempts: int = 3,
        backoff_s: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the client (nothing is sent until the first call).

        Args:
            endpoint: the API base URL, e.g. ``https://api.pinata.cloud/psa``.
            token: the bearer access token.
            timeout_s: per-request timeout; connecting gets at most 5 s.
            attempts: total tries per request on transport errors (``GET``: any; ``POST /pins``:
                only a connection that was never made, see :data:`node.retry.STORAGE_CREATE`).
            backoff_s: first retry wait, doubling (with jitter, capped).
            transport: an httpx transport (tests inject a fake service here).
            sleep, clock: injectable for tests that must not wait in real time.
        """
        self._endpoint = endpoint.rstrip("/")
        self._read_retry = STORAGE_IDEMPOTENT.with_attempts(attempts).with_waits(backoff_s)
        self._create_retry = STORAGE_CREATE.with_attempts(attempts).with_waits(backoff_s)
        self._sleep = sleep
        self._clock = clock
        self._client = httpx.Client(
            base_url=self._endpoint,
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"PinningClient(endpoint={self._endpoint!r}, token=<redacted>)"

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> PinningClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        def attempt() -> Any:
            request = self._client.build_request(method, path, json=body)
            response = self._client.send(request, stream=True)
            try:
                raw = read_capped(response, MAX_RESPONSE_BYTES)
            finally:
                response.close()
            if response.status_code >= 400:
                raise PinningServiceError(path, response.status_code, _reason(raw))
            try:
                return safejson.loads(raw)
            except ValueError:
                raise PinningServiceError(path, response.status_code, "not JSON") from None

        # A repeated POST /pins is a second pin request (a new request id, maybe a second
        # bill): it is repeated only if the connection was never made, so it never arrived.
        creates = method == "POST"
        what = f"{method} {path}"
        try:
            return retry_call(
                attempt,
                policy=self._create_retry if creates else self._read_retry,
                retry_if=_never_sent if creates else _transport,
                give_up=lambda last: StorageTransportError(what, type(last).__name__),
                sleep=self._sleep,
            )
        except httpx.TransportError as err:  # a create that may have arrived: reported, not resent
            raise StorageTransportError(what, type(err).__name__) from err

    def _status(self, payload: Any, expected_cid: str | None) -> PinStatus:
        if not isinstance(payload, dict):
            raise PinningServiceError("/pins", 200, "PinStatus is not an object")
        status = payload.get("status")
        pin = payload.get("pin")
        request_id = payload.get("requestid")
        if status not in _STATES or not isinstance(pin, dict) or not isinstance(request_id, str):
            raise PinningServiceError("/pins", 200, "malformed PinStatus")
        cid = str(pin.get("cid", ""))
        if expected_cid is not None:
            try:
                same = parse_cid(cid) == parse_cid(expected_cid)
            except InvalidCid:
                same = False
            if not same:
                raise CidMismatch(expected_cid, cid)
        name = pin.get("name")
        delegates = payload.get("delegates") or []
        return PinStatus(
            request_id=request_id,
            status=status,
            cid=Cid(cid),
            name=name if isinstance(name, str) else None,
            delegates=tuple(str(d) for d in delegates),
        )

    def add_pin(self, cid: Cid, name: str | None = None) -> PinStatus:
        """Ask the service to pin ``cid`` (``POST /pins``).

        Raises:
            InvalidCid: if ``cid`` is not a CID (checked before anything is sent).
            CidMismatch: if the service answers about another CID.
            PinningServiceError: on an error status or a malformed answer.
            StorageTransportError: if the service cannot be reached.
        """
        parse_cid(cid)
        body: dict[str, Any] = {"cid": cid}
        if name is not None:
            body["name"] = name
        status = self._status(self._request("POST", "/pins", body), cid)
        log.info(
            "pin requested: cid=%s request=%s status=%s", cid, status.request_id, status.status
        )
        return status

    def get_pin(self, request_id: str, *, cid: Cid | None = None) -> PinStatus:
        """The current status of a pin request (``GET /pins/{requestid}``).

        Args:
            request_id: from :meth:`add_pin`.
            cid: if given, the answer must be about this CID.
        """
        if not request_id or "/" in request_id:
            raise ValueError(f"bad request id {request_id!r}")
        return self._status(self._request("GET", f"/pins/{request_id}"), cid)

    def wait_pinned(
        self,
        status: PinStatus,
        *,
        deadline_s: float,
        poll_s: float = 1.0,
        max_poll_s: float = 30.0,
    ) -> PinStatus:
        """Poll until the request is ``pinned``, with exponential backoff and a deadline.

        Rate limiting (HTTP 429) and unreachable-service errors while polling are waited out
        until the deadline; other error statuses are raised.

        Raises:
            PinFailed: if the service reports ``failed``.
            PinTimeout: if it is not pinned within ``deadline_s`` seconds.
            PinningServiceError: on a non-429 error status.
        """
        started = self._clock()
        delay = poll_s
        while True:
            if status.status == "pinned":
                return status
            if status.status == "failed":
                raise PinFailed(status.cid, status.request_id)
            waited = self._clock() - started
            if waited >= deadline_s:
                raise PinTimeout(status.cid, status.request_id, status.status, waited)
            self._sleep(min(delay, deadline_s - waited))
            delay = min(delay * 2, max_poll_s)
            try:
                status = self.get_pin(status.request_id, cid=status.cid)
            except PinningServiceError as err:
                if err.status != httpx.codes.TOO_MANY_REQUESTS:
                    raise
                log.debug("pin %s: rate limited, backing off", status.request_id)
                continue  # rate limited: the backoff above is the remedy
            except StorageTransportError:
                log.debug("pin %s: service unreachable, retrying", status.request_id)
                continue  # the deadline bounds how long an outage is tolerated
            log.debug("pin %s: %s", status.request_id, status.status)

    def pin(self, cid: Cid, name: str | None = None, *, deadline_s: float = 600.0) -> PinStatus:
        """Request a pin and wait until it is ``pinned`` (see :meth:`wait_pinned`)."""
        return self.wait_pinned(self.add_pin(cid, name), deadline_s=deadline_s)


def _transport(err: BaseException) -> bool:
    return isinstance(err, httpx.TransportError)


def _never_sent(err: BaseException) -> bool:
    """A failure before any byte of the request left: no connection, or none free in the pool."""
    return isinstance(err, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _reason(raw: bytes) -> str:
    """The spec's ``{"error": {"reason": .., "details": ..}}``, or a short excerpt."""
    try:
        error = safejson.loads(raw).get("error", {})
        reason = str(error.get("reason", ""))
        details = error.get("details")
        return f"{reason}: {details}" if details else reason
    except (ValueError, AttributeError):
        return raw[:200].decode("utf-8", "replace")
