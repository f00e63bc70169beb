"""PinningClient against a fake Pinning Service API served on 127.0.0.1 (a real socket)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from node.storage.errors import (
    CidMismatch,
    InvalidCid,
    PinFailed,
    PinningServiceError,
    PinTimeout,
)
from node.storage.pinning import PinningClient
from node.storage.unixfs import import_bytes
from node.types import Cid

TOKEN = "sk-test-5ecret-token-never-logged"
CID = import_bytes(b"pin me").cid


@dataclass
class ServiceState:
    script: list[str] = field(default_factory=lambda: ["queued", "pinning", "pinned"])
    """Statuses returned by POST then by each successive GET."""
    answer_cid: str | None = None
    rate_limit_gets: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)


def _handler(state: ServiceState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: object) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _authorized(self) -> bool:
            state.auth.append(self.headers.get("Authorization", ""))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                error = {"reason": "UNAUTHORIZED", "details": "Access token is missing or invalid"}
                self._send(401, {"error": error})
                return False
            return True

        def _status(self, request_id: str) -> dict[str, Any]:
            req = state.requests[request_id]
            return {
                "requestid": request_id,
                "status": req["status"],
                "created": "2026-01-01T00:00:00Z",
                "pin": {"cid": state.answer_cid or req["cid"], "name": req["name"]},
                "delegates": ["/ip4/203.0.113.1/tcp/4001/p2p/QmServicePeerId"],
                "info": {},
            }

        def do_POST(self) -> None:
            if not self._authorized():
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.bodies.append(body)
            request_id = f"req-{len(state.requests) + 1}"
            state.requests[request_id] = {
                "cid": body["cid"],
                "name": body.get("name"),
                "status": state.script.pop(0),
            }
            self._send(202, self._status(request_id))

        def do_GET(self) -> None:
            if not self._authorized():
                return
            request_id = self.path.removeprefix("/psa/pins/")
            if request_id not in state.requests:
                self._send(404, {"error": {"reason": "NOT_FOUND"}})
                return
            if state.rate_limit_gets:
                state.rate_limit_gets -= 1
                self._send(429, {"error": {"reason": "RATE_LIMITED"}})
                return
            if state.script:
                state.requests[request_id]["status"] = state.script.pop(0)
            self._send(200, self._status(request_id))

    return Handler


@pytest.fixture
def state() -> ServiceState:
    return ServiceState()


@pytest.fixture
def endpoint(state: ServiceState) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/psa"
    finally:
        server.shutdown()
        server.server_close()


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(endpoint: str, fake_time: FakeTime) -> Iterator[PinningClient]:
    with PinningClient(
        endpoint, TOKEN, timeout_s=5, sleep=fake_time.sleep, clock=fake_time.clock
    ) as client:
        yield client


def test_pin_polls_with_backoff_until_pinned(
    client: PinningClient, state: ServiceState, fake_time: FakeTime
) -> None:
    state.script = ["queued", "queued", "pinning", "pinned"]
    status = client.pin(CID, name="submission-7", deadline_s=60)
    assert status.status == "pinned"
    assert status.cid == CID
    assert status.name == "submission-7"
    assert status.delegates == ("/ip4/203.0.113.1/tcp/4001/p2p/QmServicePeerId",)
    assert state.bodies == [{"cid": CID, "name": "submission-7"}]
    assert fake_time.sleeps == [1.0, 2.0, 4.0]
    assert set(state.auth) == {f"Bearer {TOKEN}"}


def test_failed_pin_raises(client: PinningClient, state: ServiceState) -> None:
    state.script = ["queued", "failed"]
    with pytest.raises(PinFailed) as info:
        client.pin(CID, deadline_s=60)
    assert (info.value.cid, info.value.request_id) == (CID, "req-1")


def test_deadline_bounds_the_wait(
    client: PinningClient, state: ServiceState, fake_time: FakeTime
) -> None:
    state.script = ["queued"] + ["pinning"] * 50
    with pytest.raises(PinTimeout) as info:
        client.pin(CID, deadline_s=20)
    assert info.value.status == "pinning"
    assert fake_time.now == pytest.approx(20)
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0, 5.0]


def test_rate_limiting_is_waited_out(
    client: PinningClient, state: ServiceState, fake_time: FakeTime
) -> None:
    state.script = ["queued", "pinned"]
    state.rate_limit_gets = 2
    assert client.pin(CID, deadline_s=60).status == "pinned"
    assert len(fake_time.sleeps) == 3


def test_answer_about_another_cid_is_rejected(client: PinningClient, state: ServiceState) -> None:
    state.answer_cid = import_bytes(b"other").cid
    with pytest.raises(CidMismatch):
        client.add_pin(CID)


def test_invalid_cid_is_refused_before_sending(client: PinningClient, state: ServiceState) -> None:
    with pytest.raises(InvalidCid):
        client.add_pin(Cid("not-a-cid"))
    assert state.bodies == []


def test_bad_token_is_a_typed_error_without_the_token(endpoint: str) -> None:
    client = PinningClient(endpoint, "wrong-token")
    with client, pytest.raises(PinningServiceError) as info:
        client.add_pin(CID)
    assert info.value.status == 401
    assert "UNAUTHORIZED" in info.value.reason
    assert "wrong-token" not in str(info.value)


def test_the_token_is_never_logged_or_shown(
    client: PinningClient, state: ServiceState, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    state.script = ["queued", "pinned"]
    client.pin(CID, deadline_s=60)
    assert caplog.records  # the flow did log something
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(client)


def test_unknown_request_id_is_a_typed_error(client: PinningClient) -> None:
    with pytest.raises(PinningServiceError) as info:
        client.get_pin("req-404")
    assert info.value.status == 404
