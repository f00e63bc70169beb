"""The BlobStore conformance suite run against the in-memory fake and the on-disk store.

Kubo's run lives in ``test_kubo_store.py``, next to its fake server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from blobstore_conformance import BlobStoreConformance, Corrupt, layout

from node.storage._cid import ParsedCid
from node.storage.local import LocalBlockstore
from node.storage.memory import MemoryBlobStore
from node.storage.unixfs import Layout

__all__ = ["layout"]  # re-exported fixture


class TestMemoryBlobStore(BlobStoreConformance):
    @pytest.fixture
    def store(self, layout: Layout) -> MemoryBlobStore:
        return MemoryBlobStore(layout=layout)

    @pytest.fixture
    def corrupt(self, store: MemoryBlobStore) -> Corrupt:
        def replace(cid: ParsedCid, data: bytes) -> None:
            assert cid.to_v1() in store.blocks
            store.blocks[cid.to_v1()] = data

        return replace


class TestLocalBlockstore(BlobStoreConformance):
    @pytest.fixture
    def store(self, tmp_path: Path, layout: Layout) -> LocalBlockstore:
        return LocalBlockstore(tmp_path / "store", layout=layout, fsync=False)

    @pytest.fixture
    def corrupt(self, store: LocalBlockstore) -> Corrupt:
        def replace(cid: ParsedCid, data: bytes) -> None:
            path = store._block_path(cid)
            assert path.is_file()
            path.write_bytes(data)

        return replace
