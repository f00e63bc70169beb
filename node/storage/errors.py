"""Typed storage errors. Each carries the fields a caller needs to react, not just a message.

All subclass :class:`node.errors.StorageError`, so the CLI and API boundaries handle them without
knowing the details.
"""

from __future__ import annotations

from node.errors import StorageError

__all__ = [
    "BlobTooLarge",
    "BlockNotFound",
    "CarFormatError",
    "CidMismatch",
    "InvalidCid",
    "KuboRpcError",
    "MalformedBlock",
    "PinFailed",
    "PinTimeout",
    "PinningServiceError",
    "StorageError",
    "StorageTransportError",
    "UnsupportedNode",
]


class InvalidCid(StorageError):
    """A CID string or byte string could not be parsed, or uses an unsupported hash."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid CID {value!r}: {reason}")
        self.value, self.reason = value, reason


class CidMismatch(StorageError):
    """Bytes did not hash to the CID they were fetched or announced under."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"CID mismatch: expected {expected}, got {actual}")
        self.expected, self.actual = expected, actual


class BlockNotFound(StorageError):
    """A block is not in the store."""

    def __init__(self, cid: str) -> None:
        super().__init__(f"block not found: {cid}")
        self.cid = cid


class BlobTooLarge(StorageError):
    """A blob, block or response is bigger than the caller's limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"blob is {size} bytes or more; the limit is {limit}")
        self.size, self.limit = size, limit


class MalformedBlock(StorageError):
    """A block verified against its CID but does not decode as what its codec says it is."""

    def __init__(self, cid: str, reason: str) -> None:
        super().__init__(f"malformed block {cid}: {reason}")
        self.cid, self.reason = cid, reason


class UnsupportedNode(StorageError):
    """A well-formed node this store cannot read as a file (a directory, a HAMT shard, ...)."""

    def __init__(self, cid: str, reason: str) -> None:
        super().__init__(f"unsupported node {cid}: {reason}")
        self.cid, self.reason = cid, reason


class CarFormatError(StorageError):
    """A CAR v1 stream is malformed (header, framing or a block that fails verification)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid CAR: {reason}")
        self.reason = reason


class StorageTransportError(StorageError):
    """A remote storage endpoint could not be reached, even after the bounded retries."""

    def __init__(self, endpoint: str, reason: str) -> None:
        super().__init__(f"{endpoint}: transport error: {reason}")
        self.endpoint, self.reason = endpoint, reason


class KuboRpcError(StorageError):
    """The Kubo RPC API answered with an error (HTTP status and Kubo's ``Message``)."""

    def __init__(self, endpoint: str, status: int, message: str) -> None:
        super().__init__(f"kubo {endpoint} failed with HTTP {status}: {message}")
        self.endpoint, self.status, self.message = endpoint, status, message


class PinningServiceError(StorageError):
    """The IPFS Pinning Service API answered with an error status."""

    def __init__(self, endpoint: str, status: int, reason: str) -> None:
        super().__init__(f"pinning service {endpoint} failed with HTTP {status}: {reason}")
        self.endpoint, self.status, self.reason = endpoint, status, reason


class PinFailed(StorageError):
    """The pinning service reported the pin request as ``failed``."""

    def __init__(self, cid: str, request_id: str) -> None:
        super().__init__(f"pinning service failed to pin {cid} (request {request_id})")
        self.cid, self.request_id = cid, request_id


class PinTimeout(StorageError):
    """A pin request was not ``pinned`` before the caller's deadline."""

    def __init__(self, cid: str, request_id: str, status: str, waited_s: float) -> None:
        super().__init__(
            f"pin of {cid} (request {request_id}) still {status} after {waited_s:.1f}s"
        )
        self.cid, self.request_id, self.status, self.waited_s = cid, request_id, status, waited_s
