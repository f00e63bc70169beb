"""Content-addressed storage: a Kubo-identical UnixFS importer, the on-disk blockstore (the
embedded default), CAR files, and clients for Kubo's RPC API and the IPFS Pinning Service API.

The HTTP clients (``node.storage.kubo.KuboStore``, ``node.storage.pinning.PinningClient``) are
not re-exported here, so that importing the package (for ``datadao cid``, say) does not pull in
httpx and tenacity.
"""

from __future__ import annotations

from node.storage._cid import ParsedCid, parse_cid
from node.storage.base import BlobStore, read_blob
from node.storage.local import LocalBlockstore
from node.storage.memory import MemoryBlobStore
from node.storage.unixfs import (
    KUBO_V0_LAYOUT,
    PROJECT_LAYOUT,
    ImportResult,
    Layout,
    import_bytes,
    import_stream,
)

__all__ = [
    "KUBO_V0_LAYOUT",
    "PROJECT_LAYOUT",
    "BlobStore",
    "ImportResult",
    "Layout",
    "LocalBlockstore",
    "MemoryBlobStore",
    "ParsedCid",
    "import_bytes",
    "import_stream",
    "parse_cid",
    "read_blob",
]
