"""One conformance suite for every ``BlobStore`` (web3's ``module_testing`` pattern).

A backend's test module subclasses :class:`BlobStoreConformance` and provides two fixtures:
``store`` (a fresh, empty store using the ``layout`` fixture) and ``corrupt`` (a function that
replaces a stored block's bytes, to prove reads re-hash). The suite is parametrized over two
small layouts so that multi-level trees, CIDv0 and non-raw leaves are all exercised cheaply.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import pytest

from node.errors import StorageError
from node.storage._cid import RAW, ParsedCid, parse_cid
from node.storage.base import BlobStore, read_blob
from node.storage.errors import BlobTooLarge, BlockNotFound, CidMismatch
from node.storage.unixfs import Layout, import_bytes
from node.types import Cid

Corrupt = Callable[[ParsedCid, bytes], None]

LAYOUTS = {
    "v1-raw-1KiB-4links": Layout(cid_version=1, raw_leaves=True, chunk_size=1024, max_links=4),
    "v0-pb-1KiB-3links": Layout(cid_version=0, raw_leaves=False, chunk_size=1024, max_links=3),
}
SIZES = [0, 1, 1023, 1024, 1025, 4096, 4 * 1024 * 4 + 7]


def blob(size: int, salt: int = 0) -> bytes:
    """Deterministic pseudo-random bytes: no two chunks repeat, so no block is deduplicated."""
    return random.Random(salt).randbytes(size)


@pytest.fixture(params=list(LAYOUTS.values()), ids=list(LAYOUTS))
def layout(request: pytest.FixtureRequest) -> Layout:
    value: Layout = request.param
    return value


class BlobStoreConformance:
    """Behaviour every BlobStore must share."""

    def test_is_a_blob_store(self, store: BlobStore, layout: Layout) -> None:
        assert isinstance(store, BlobStore)
        assert store.layout == layout

    @pytest.mark.parametrize("size", SIZES)
    def test_add_returns_the_local_importer_cid(
        self, store: BlobStore, layout: Layout, size: int
    ) -> None:
        data = blob(size)
        assert store.add(data) == import_bytes(data, layout).cid

    def test_add_stream_equals_add_bytes(self, store: BlobStore) -> None:
        data = blob(9000, salt=1)
        assert store.add(io.BytesIO(data)) == store.add(data)

    @pytest.mark.parametrize("size", SIZES)
    def test_cat_round_trips(self, store: BlobStore, size: int) -> None:
        data = blob(size, salt=2)
        cid = store.add(data)
        assert b"".join(store.cat(cid, max_bytes=size)) == data
        assert read_blob(store, cid, max_bytes=size) == data

    def test_cat_refuses_more_than_max_bytes(self, store: BlobStore) -> None:
        cid = store.add(blob(5000, salt=3))
        with pytest.raises(BlobTooLarge) as info:
            store.cat(cid, max_bytes=4999)
        assert (info.value.size, info.value.limit) == (5000, 4999)

    def test_has(self, store: BlobStore) -> None:
        cid = store.add(blob(3000, salt=4))
        assert store.has(cid)
        absent = import_bytes(b"never added").cid
        assert not store.has(absent)

    def test_cat_of_an_unknown_cid_raises_block_not_found(self, store: BlobStore) -> None:
        absent = import_bytes(b"never added either").cid
        with pytest.raises(BlockNotFound):
            b"".join(store.cat(absent, max_bytes=100))

    def test_cat_rejects_a_corrupt_block(self, store: BlobStore, corrupt: Corrupt) -> None:
        data = blob(3000, salt=5)
        cid = store.add(data)
        blocks: list[tuple[ParsedCid, bytes]] = []
        assert import_bytes(data, store.layout, sink=lambda c, b: blocks.append((c, b))).cid == cid
        leaf_cid, leaf = blocks[1]  # a middle leaf: the root was already served honestly
        corrupt(leaf_cid, bytes([leaf[0] ^ 1]) + leaf[1:])
        with pytest.raises(CidMismatch) as info:
            b"".join(store.cat(cid, max_bytes=len(data)))
        assert info.value.expected == leaf_cid.encode()

    def test_cat_rejects_a_corrupt_root_before_yielding(
        self, store: BlobStore, corrupt: Corrupt
    ) -> None:
        data = blob(10, salt=6)
        cid = store.add(data)
        root = parse_cid(cid)
        forged = b"forged"
        corrupt(root, forged if root.codec == RAW else b"\x0a\x00")
        with pytest.raises(CidMismatch):
            store.cat(cid, max_bytes=100)

    def test_adding_twice_is_idempotent(self, store: BlobStore) -> None:
        data = blob(2500, salt=7)
        first = store.add(data)
        assert store.add(data) == first
        assert b"".join(store.cat(first, max_bytes=2500)) == data

    def test_pin_an_added_blob(self, store: BlobStore) -> None:
        cid = store.add(blob(2000, salt=8), pin=False)
        store.pin(cid)  # must not raise; pinning twice is fine
        store.pin(cid)

    def test_pin_an_unknown_blob_fails(self, store: BlobStore) -> None:
        with pytest.raises(StorageError):
            store.pin(import_bytes(b"not here").cid)

    def test_v0_and_v1_forms_of_a_root_read_the_same(self, store: BlobStore) -> None:
        data = blob(3000, salt=9)
        cid = parse_cid(store.add(data))
        if cid.codec == RAW:
            pytest.fail("3000 bytes in 1 KiB chunks must give a dag-pb root")
        other = ParsedCid(1 - cid.version, cid.codec, cid.digest).encode()
        assert b"".join(store.cat(Cid(other), max_bytes=3000)) == data
