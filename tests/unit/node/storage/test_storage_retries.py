"""Storage retry policies (node.retry.STORAGE_IDEMPOTENT / STORAGE_CREATE) on the HTTP clients.

The hostile question for each request: if the first try reached the server and only the answer
was lost, is repeating it harmless? Reads and content-addressed writes: yes, retried. A new pin
request (``POST /pins``): no, so it is repeated only if the connection was never made.
An HTTP error status is an answer and is never repeated.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from node.errors import StorageError
from node.storage.errors import KuboRpcError, PinningServiceError, StorageTransportError
from node.storage.kubo import KuboStore
from node.storage.pinning import PinningClient
from node.storage.unixfs import import_bytes

CID = import_bytes(b"retry me").cid
Step = Callable[[httpx.Request], httpx.Response]


def _status(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        202, json={"requestid": "req-1", "status": "queued", "pin": {"cid": CID}, "delegates": []}
    )


def _raise(exc: type[httpx.TransportError]) -> Step:
    def step(request: httpx.Request) -> httpx.Response:
        raise exc("injected", request=request)

    return step


def _error(code: int) -> Step:
    return lambda request: httpx.Response(code, json={"error": {"reason": "NOPE"}})


class Script:
    """An httpx transport that plays each step once, then repeats the last one."""

    def __init__(self, *steps: Step) -> None:
        self.steps = steps
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        return self.steps[min(len(self.seen), len(self.steps)) - 1](request)


def _pinning(script: Script, sleeps: list[float]) -> PinningClient:
    return PinningClient(
        "http://pins.test/psa",
        "token",
        attempts=3,
        backoff_s=0.5,
        transport=httpx.MockTransport(script),
        sleep=sleeps.append,
    )


def test_a_pin_request_is_repeated_only_when_it_never_left() -> None:
    script = Script(_raise(httpx.ConnectError), _raise(httpx.ConnectTimeout), _status)
    sleeps: list[float] = []
    with _pinning(script, sleeps) as client:
        assert client.add_pin(CID).request_id == "req-1"
    assert script.seen == ["POST /psa/pins"] * 3
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0  # first wait plus at most one first-wait of jitter


@pytest.mark.parametrize("lost", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
def test_a_pin_request_that_may_have_arrived_is_never_repeated(
    lost: type[httpx.TransportError],
) -> None:
    script = Script(_raise(lost), _status)
    with _pinning(script, []) as client, pytest.raises(StorageTransportError) as info:
        client.add_pin(CID)
    assert script.seen == ["POST /psa/pins"]  # a second POST could be a second pin
    assert info.value.reason == lost.__name__
    assert isinstance(info.value, StorageError)


def test_a_status_read_rides_out_any_transport_failure() -> None:
    script = Script(_raise(httpx.ReadTimeout), _raise(httpx.RemoteProtocolError), _status)
    with _pinning(script, []) as client:
        assert client.get_pin("req-1", cid=CID).status == "queued"
    assert script.seen == ["GET /psa/pins/req-1"] * 3


def test_a_status_read_gives_up_typed_after_its_bound() -> None:
    script = Script(_raise(httpx.ConnectError))
    sleeps: list[float] = []
    with _pinning(script, sleeps) as client, pytest.raises(StorageTransportError) as info:
        client.get_pin("req-1")
    assert len(script.seen) == 3
    assert len(sleeps) == 2
    assert info.value.endpoint == "GET /pins/req-1"
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize("code", [400, 401, 404, 409, 500, 503])
def test_an_error_status_is_an_answer_not_retried(code: int) -> None:
    script = Script(_error(code), _status)
    with _pinning(script, []) as client, pytest.raises(PinningServiceError) as info:
        client.get_pin("req-1")
    assert info.value.status == code
    assert len(script.seen) == 1


def test_kubo_reads_retry_transport_failures_but_not_its_errors() -> None:
    flaky = Script(
        _raise(httpx.ReadTimeout),
        lambda request: httpx.Response(200, json={"Key": CID, "Size": 8}),
    )
    with KuboStore("http://kubo.test:5001", transport=httpx.MockTransport(flaky), backoff_s=0) as s:
        assert s.has(CID)
    assert flaky.seen == ["POST /api/v0/block/stat"] * 2

    refusing = Script(lambda request: httpx.Response(500, json={"Message": "boom", "Code": 0}))
    store = KuboStore("http://kubo.test:5001", transport=httpx.MockTransport(refusing))
    with store, pytest.raises(KuboRpcError):
        store.pin(CID)
    assert refusing.seen == ["POST /api/v0/pin/add"]


def test_kubo_gives_up_typed_after_its_bound() -> None:
    down = Script(_raise(httpx.ConnectError))
    with (
        KuboStore(
            "http://kubo.test:5001", transport=httpx.MockTransport(down), attempts=4, backoff_s=0
        ) as s,
        pytest.raises(StorageTransportError) as info,
    ):
        s.has(CID)
    assert len(down.seen) == 4
    assert info.value.reason == "ConnectError"
