"""Content-addressed storage: a Kubo-identical UnixFS importer, the on-disk blockstore (the
embedded default), CAR files, and clients for Kubo's RPC API and the IPFS Pinning Service API.

The HTTP clients (``node.storage.kubo``, ``node.storage.pinning``) are not re-exported here so
that importing the package (for ``datadao cid``, say) does not pull in httpx.
"""

from __future__ import annotations
