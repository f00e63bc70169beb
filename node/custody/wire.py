"""Wire formats of the decryption-share service (``POST /v1/shares``), shared by server and client.

Everything is JSON with ``0x``-hex byte strings. Both sides enforce the size caps here: the
service refuses bodies over :data:`MAX_REQUEST_BYTES` before parsing them, and the client refuses
responses over :data:`MAX_RESPONSE_BYTES` before decoding them, so neither side can be made to
buffer attacker-sized JSON.

The request carries the EIP-712 ``DecryptionRequest`` (``node.chain.eip712``) and its signature;
the validator recovers the signer itself and never trusts any other field the requester could
add (there is no header, CID or address in the request: those come from the chain and storage).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from node.chain.eip712 import (
    MAX_BATCH_FILES,
    DecryptionBatch,
    DecryptionRequest,
    Purpose,
    file_ids_hash,
)

__all__ = [
    "BATCH_PATH",
    "MAX_BATCH_REQUEST_BYTES",
    "MAX_BATCH_RESPONSE_BYTES",
    "MAX_REQUEST_BYTES",
    "MAX_RESPONSE_BYTES",
    "SHARES_PATH",
    "BatchItem",
    "BatchRequestBody",
    "BatchResponseBody",
    "ErrorBody",
    "Refusal",
    "ShareRequestBody",
    "ShareResponseBody",
    "WireBatch",
    "WireRequest",
    "from_hex",
    "to_hex",
]

SHARES_PATH: Final = "/v1/shares"
MAX_REQUEST_BYTES: Final = 4 * 1024
"""A request is ~600 bytes of JSON; 4 KiB leaves room and nothing more."""
MAX_RESPONSE_BYTES: Final = 16 * 1024
"""A sealed Ferveo share is ~700 bytes (~1.5 KiB as hex JSON)."""
_MAX_SHARE_HEX: Final = 2 * 4 * 1024
BATCH_PATH: Final = "/v1/shares/batch"
MAX_BATCH_REQUEST_BYTES: Final = 32 * 1024
"""A batch of :data:`MAX_BATCH_FILES` ids is ~18 KiB of JSON; 32 KiB leaves room and no more."""
MAX_BATCH_RESPONSE_BYTES: Final = MAX_BATCH_FILES * 4 * 1024
"""~1.7 KiB of JSON per served file; 4 KiB per file bounds what a client buffers."""

_UINT256 = Annotated[int, Field(ge=0, lt=1 << 256)]
_UINT64 = Annotated[int, Field(ge=0, lt=1 << 64)]


class Refusal(StrEnum):
    """Machine-readable reasons a validator gives for not serving a share."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    BAD_SIGNATURE = "bad_signature"
    WRONG_DOMAIN = "wrong_domain"
    REQUEST_EXPIRED = "request_expired"
    DEADLINE_TOO_FAR = "deadline_too_far"
    RATE_LIMITED = "rate_limited"
    REPLAYED_NONCE = "replayed_nonce"
    NOT_GRANTED = "not_granted"
    GRANT_EXPIRED = "grant_expired"
    GRANT_REVOKED = "grant_revoked"
    WRONG_DATASET = "wrong_dataset"
    WRONG_SIGNER = "wrong_signer"
    WRONG_REQUESTER_KEY = "wrong_requester_key"
    OUT_OF_SCOPE = "out_of_scope"
    UNKNOWN_FILE = "unknown_file"
    NOT_COMMITTEE = "not_committee"
    WRONG_EPOCH = "wrong_epoch"
    RITUAL_NOT_SERVED = "ritual_not_served"
    HEADER_MISMATCH = "header_mismatch"
    HEADER_UNAVAILABLE = "header_unavailable"
    CHAIN_UNAVAILABLE = "chain_unavailable"


def to_hex(data: bytes) -> str:
    return "0x" + data.hex()


def from_hex(value: str, *, length: int | None = None, max_length: int | None = None) -> bytes:
    """Decode ``0x``-hex, checking an exact or maximum decoded length.

    Raises:
        ValueError: not ``0x``-prefixed hex, or the wrong length.
    """
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError("expected 0x-prefixed hex")
    if max_length is not None and len(value) > 2 + 2 * max_length:
        raise ValueError(f"longer than {max_length} bytes")
    raw = bytes.fromhex(value[2:])
    if length is not None and len(raw) != length:
        raise ValueError(f"expected {length} bytes, got {len(raw)}")
    return raw


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class WireRequest(_Strict):
    """The EIP-712 ``DecryptionRequest`` as JSON (field names as in the typed data)."""

    purpose: Purpose
    reqId: _UINT256 = 0  # noqa: N815 - EIP-712 field name
    datasetId: _UINT256  # noqa: N815
    epoch: _UINT64 = 0
    fileId: str  # noqa: N815
    requesterKey: str  # noqa: N815
    deadline: _UINT256
    nonce: _UINT256

    @field_validator("fileId", "requesterKey")
    @classmethod
    def _bytes32(cls, v: str) -> str:
        from_hex(v, length=32)
        return v.lower()

    def to_message(self) -> DecryptionRequest:
        return DecryptionRequest(
            purpose=int(self.purpose),
            reqId=self.reqId,
            datasetId=self.datasetId,
            epoch=self.epoch,
            fileId=from_hex(self.fileId, length=32),
            requesterKey=from_hex(self.requesterKey, length=32),
            deadline=self.deadline,
            nonce=self.nonce,
        )

    @classmethod
    def from_message(cls, m: DecryptionRequest) -> WireRequest:
        return cls(
            purpose=Purpose(m.purpose),
            reqId=m.reqId,
            datasetId=m.datasetId,
            epoch=m.epoch,
            fileId=to_hex(m.fileId),
            requesterKey=to_hex(m.requesterKey),
            deadline=m.deadline,
            nonce=m.nonce,
        )


class _Signed(_Strict):
    """A body carrying a 65-byte ECDSA signature in hex (single and batched requests)."""

    signature: str

    @field_validator("signature")
    @classmethod
    def _sig(cls, v: str) -> str:
        from_hex(v, length=65)
        return v

    def signature_bytes(self) -> bytes:
        return from_hex(self.signature, length=65)


class ShareRequestBody(_Signed):
    """``POST /v1/shares`` body: the signed request."""

    request: WireRequest


class ShareResponseBody(_Strict):
    """A served share: sealed to ``requesterKey`` with the request digest as AAD."""

    validator: str
    ritualId: int = Field(ge=0, lt=1 << 32)  # noqa: N815
    fileId: str  # noqa: N815
    ephemeralKey: str  # noqa: N815
    ciphertext: str = Field(max_length=_MAX_SHARE_HEX)

    @field_validator("ephemeralKey", "fileId")
    @classmethod
    def _bytes32(cls, v: str) -> str:
        from_hex(v, length=32)
        return v.lower()


class ErrorBody(_Strict):
    """A refusal or failure: a :class:`Refusal` code and a human-readable detail."""

    error: str
    detail: str


class WireBatch(_Strict):
    """The EIP-712 ``DecryptionBatch`` as JSON, with the file ids it signs (in order).

    ``fileIdsHash`` travels too, so a body whose ids do not hash to what was signed is refused
    as malformed before any signature recovery, and a body that names an id twice is refused
    here (a duplicate would cost the service a share twice for one signature).
    """

    purpose: Purpose
    reqId: _UINT256 = 0  # noqa: N815 - EIP-712 field name
    datasetId: _UINT256  # noqa: N815
    epoch: _UINT64 = 0
    fileIds: list[str] = Field(min_length=1)  # noqa: N815 - capped by the service (413)
    fileIdsHash: str  # noqa: N815
    requesterKey: str  # noqa: N815
    deadline: _UINT256
    nonce: _UINT256

    @field_validator("fileIdsHash", "requesterKey")
    @classmethod
    def _bytes32(cls, v: str) -> str:
        from_hex(v, length=32)
        return v.lower()

    @field_validator("fileIds")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        out = []
        for item in v:
            from_hex(item, length=32)
            out.append(item.lower())
        if len(set(out)) != len(out):
            raise ValueError("a file id appears twice")
        return out

    def file_ids(self) -> list[bytes]:
        return [from_hex(f, length=32) for f in self.fileIds]

    def hash_matches(self) -> bool:
        """Whether the ids in the body hash to the ``fileIdsHash`` the requester signed."""
        return file_ids_hash(self.file_ids()) == from_hex(self.fileIdsHash, length=32)

    def to_message(self) -> DecryptionBatch:
        return DecryptionBatch(
            purpose=int(self.purpose),
            reqId=self.reqId,
            datasetId=self.datasetId,
            epoch=self.epoch,
            fileIdsHash=from_hex(self.fileIdsHash, length=32),
            requesterKey=from_hex(self.requesterKey, length=32),
            deadline=self.deadline,
            nonce=self.nonce,
        )

    @classmethod
    def from_message(cls, m: DecryptionBatch, file_ids: list[bytes]) -> WireBatch:
        return cls(
            purpose=Purpose(m.purpose),
            reqId=m.reqId,
            datasetId=m.datasetId,
            epoch=m.epoch,
            fileIds=[to_hex(f) for f in file_ids],
            fileIdsHash=to_hex(m.fileIdsHash),
            requesterKey=to_hex(m.requesterKey),
            deadline=m.deadline,
            nonce=m.nonce,
        )


class BatchRequestBody(_Signed):
    """``POST /v1/shares/batch`` body: the signed batch."""

    request: WireBatch


class BatchItem(_Strict):
    """One file's outcome in a batch: a sealed share, or a refusal code (never both).

    The share is sealed to ``requesterKey`` with AAD ``batch digest ‖ fileId``
    (:func:`node.chain.eip712.batch_share_aad`).
    """

    fileId: str  # noqa: N815
    ritualId: int | None = Field(default=None, ge=0, lt=1 << 32)  # noqa: N815
    ephemeralKey: str | None = None  # noqa: N815
    ciphertext: str | None = Field(default=None, max_length=_MAX_SHARE_HEX)
    error: str | None = None
    detail: str | None = Field(default=None, max_length=1024)

    @field_validator("fileId")
    @classmethod
    def _file(cls, v: str) -> str:
        from_hex(v, length=32)
        return v.lower()


class BatchResponseBody(_Strict):
    """A batch answer: one item per requested file, in the request's order."""

    validator: str
    results: list[BatchItem] = Field(max_length=MAX_BATCH_FILES)
