"""KuboStore against the fake daemon (conformance suite + Kubo specifics) and against real
sockets on 127.0.0.1 for connection failures and timeouts."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import httpx
import pytest
from blobstore_conformance import BlobStoreConformance, Corrupt, blob, layout
from fake_kubo import FakeKubo

from node.storage._cid import ParsedCid, parse_cid
from node.storage.car import write_car
from node.storage.errors import (
    BlobTooLarge,
    BlockNotFound,
    CidMismatch,
    KuboRpcError,
    StorageTransportError,
)
from node.storage.kubo import KuboStore
from node.storage.unixfs import PROJECT_LAYOUT, Layout, import_bytes

__all__ = ["layout"]


def _kubo_store(fake: FakeKubo, layout: Layout = PROJECT_LAYOUT) -> KuboStore:
    return KuboStore(
        "http://kubo.test:5001", layout=layout, transport=fake.transport(), backoff_s=0
    )


class TestKuboStore(BlobStoreConformance):
    @pytest.fixture
    def fake(self) -> FakeKubo:
        return FakeKubo()

    @pytest.fixture
    def store(self, fake: FakeKubo, layout: Layout) -> Iterator[KuboStore]:
        with _kubo_store(fake, layout) as store:
            yield store

    @pytest.fixture
    def corrupt(self, fake: FakeKubo) -> Corrupt:
        def replace(cid: ParsedCid, data: bytes) -> None:
            assert cid.to_v1() in fake.blocks
            fake.blocks[cid.to_v1()] = data

        return replace


@pytest.fixture
def fake() -> FakeKubo:
    return FakeKubo()


@pytest.fixture
def kubo(fake: FakeKubo) -> Iterator[KuboStore]:
    with _kubo_store(fake) as store:
        yield store


def test_add_sends_every_layout_flag_explicitly(fake: FakeKubo, kubo: KuboStore) -> None:
    kubo.add(b"hello world")
    params = dict(fake.requests[-1].url.params)
    assert params == {
        "cid-version": "1",
        "raw-leaves": "true",
        "chunker": "size-262144",
        "max-file-links": "174",
        "hash": "sha2-256",
        "trickle": "false",
        "inline": "false",
        "wrap-with-directory": "false",
        "progress": "false",
        "pin": "true",
        "only-hash": "false",
    }


def test_only_hash_stores_nothing_and_is_checked(fake: FakeKubo, kubo: KuboStore) -> None:
    cid = kubo.add_only_hash(b"hello world")
    assert cid == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert fake.requests[-1].url.params["only-hash"] == "true"
    assert fake.requests[-1].url.params["pin"] == "false"
    assert fake.blocks == {}


def test_a_cid_other_than_the_local_one_is_rejected(fake: FakeKubo, kubo: KuboStore) -> None:
    fake.lie_with_cid = import_bytes(b"something else").cid
    with pytest.raises(CidMismatch) as info:
        kubo.add(b"hello world")
    assert info.value.expected == import_bytes(b"hello world").cid
    assert info.value.actual == fake.lie_with_cid


def test_a_kubo_with_other_defaults_is_caught(fake: FakeKubo) -> None:
    # Same bytes, but the daemon is configured for a different layout than the client: the
    # fake honours the flags, so this can only pass because the flags are sent.
    with _kubo_store(fake, Layout(cid_version=0, raw_leaves=False)) as v0:
        assert v0.add(blob(300_000)).startswith("Qm")


def test_transport_errors_are_retried_then_succeed(fake: FakeKubo, kubo: KuboStore) -> None:
    fake.transport_failures = [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]
    data = blob(600_000)
    assert kubo.add(io.BytesIO(data)) == import_bytes(data).cid
    assert len(fake.requests) == 3
    assert b"".join(kubo.cat(import_bytes(data).cid, max_bytes=len(data))) == data


def test_retries_are_bounded(fake: FakeKubo, kubo: KuboStore) -> None:
    fake.transport_failures = [httpx.ConnectError("refused")] * 5
    with pytest.raises(StorageTransportError) as info:
        kubo.add(b"x")
    assert info.value.endpoint == "add"
    assert len(fake.requests) == 3


class _OneShot(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        return self._buf.readinto(b)


def test_an_unseekable_upload_is_not_replayed(fake: FakeKubo, kubo: KuboStore) -> None:
    fake.transport_failures = [httpx.ConnectError("refused")]
    with pytest.raises(StorageTransportError):
        kubo.add(io.BufferedReader(_OneShot(b"abc")))
    assert len(fake.requests) == 1
    data = blob(700_000)
    assert kubo.add(io.BufferedReader(_OneShot(data))) == import_bytes(data).cid


def test_http_errors_are_typed_and_not_retried(fake: FakeKubo, kubo: KuboStore) -> None:
    absent = import_bytes(b"absent").cid
    with pytest.raises(KuboRpcError) as info:
        kubo.pin(absent)
    assert (info.value.endpoint, info.value.status) == ("pin/add", 500)
    assert "not found" in info.value.message
    assert len(fake.requests) == 1


def test_block_get_maps_not_found_and_verifies(fake: FakeKubo, kubo: KuboStore) -> None:
    with pytest.raises(BlockNotFound):
        kubo.get(import_bytes(b"absent").cid)
    cid = kubo.add(b"block")
    assert kubo.get(cid) == b"block"
    fake.blocks[parse_cid(cid)] = b"other"
    with pytest.raises(CidMismatch):
        kubo.get(cid)


def test_fetch_uses_cat_and_verifies(fake: FakeKubo, kubo: KuboStore) -> None:
    data = blob(700_000)
    cid = kubo.add(data)
    before = len(fake.requests)
    assert kubo.fetch(cid, max_bytes=len(data)) == data
    assert [r.url.path for r in fake.requests[before:]] == ["/api/v0/cat"]
    with pytest.raises(BlobTooLarge):
        kubo.fetch(cid, max_bytes=len(data) - 1)


def test_fetch_falls_back_to_the_verified_walk_for_another_layout(fake: FakeKubo) -> None:
    data = blob(300_000)
    with _kubo_store(fake, Layout(chunk_size=1024, max_links=4)) as other:
        cid = other.add(data)
    with _kubo_store(fake) as kubo:  # project layout: re-importing gives another CID
        assert kubo.fetch(cid, max_bytes=len(data)) == data
        assert any(r.url.path == "/api/v0/block/get" for r in fake.requests)


def test_fetch_never_returns_forged_bytes(fake: FakeKubo, kubo: KuboStore) -> None:
    data = blob(600_000)
    cid = kubo.add(data)
    leaf = next(c for c in fake.blocks if c != parse_cid(cid))
    fake.blocks[leaf] = b"\0" * len(fake.blocks[leaf])
    fake.cat_override = data[:-1] + b"!"
    with pytest.raises(CidMismatch):
        kubo.fetch(cid, max_bytes=len(data))


def test_dag_import_verifies_locally_and_checks_roots(fake: FakeKubo, kubo: KuboStore) -> None:
    data = blob(600_000)
    blocks: list[tuple[ParsedCid, bytes]] = []
    root = import_bytes(data, sink=lambda c, b: blocks.append((c, b))).root
    car = io.BytesIO()
    write_car(car, [root], blocks)
    car.seek(0)
    assert kubo.import_car(car) == [root.encode()]
    assert root.to_v1() in fake.pins
    assert fake.requests[-1].url.params["pin-roots"] == "true"

    forged = io.BytesIO()
    write_car(forged, [root], [(blocks[0][0], b"forged")])
    forged.seek(0)
    before = len(fake.requests)
    with pytest.raises(CidMismatch):
        kubo.import_car(forged)
    assert len(fake.requests) == before  # nothing forged was sent


def test_dag_import_reports_pin_errors(fake: FakeKubo, kubo: KuboStore) -> None:
    blocks: list[tuple[ParsedCid, bytes]] = []
    root = import_bytes(blob(600_000), sink=lambda c, b: blocks.append((c, b))).root
    car = io.BytesIO()
    write_car(car, [root], blocks[1:])  # the first leaf is missing
    car.seek(0)
    with pytest.raises(KuboRpcError, match="not found"):
        kubo.import_car(car)


def test_has_uses_offline_block_stat(fake: FakeKubo, kubo: KuboStore) -> None:
    assert not kubo.has(import_bytes(b"nope").cid)
    assert fake.requests[-1].url.params["offline"] == "true"


def test_oversized_answers_are_refused(kubo: KuboStore, fake: FakeKubo) -> None:
    huge = httpx.MockTransport(lambda _r: httpx.Response(200, content=b"x" * (5 << 20)))
    with KuboStore("http://kubo.test", transport=huge) as store, pytest.raises(BlobTooLarge):
        store.get(import_bytes(b"x").cid)


# -- real sockets ----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_connection_refused_becomes_a_transport_error() -> None:
    with KuboStore(f"http://127.0.0.1:{_closed_port()}", attempts=2, backoff_s=0) as store:
        with pytest.raises(StorageTransportError) as info:
            store.has(import_bytes(b"x").cid)
        assert info.value.reason == "ConnectError"


def test_a_silent_server_times_out() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)  # accepts connections into the backlog, never answers
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        with KuboStore(url, timeout_s=0.2, attempts=2, backoff_s=0) as store:
            with pytest.raises(StorageTransportError) as info:
                store.has(import_bytes(b"x").cid)
            assert info.value.reason == "ReadTimeout"
