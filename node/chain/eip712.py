"""EIP-712 typed data: submissions (verified on chain) and decryption requests (verified by the
validators' share services).

The Submission type must hash exactly as ``SubmissionRegistry`` does; the shared vector file
``tests/vectors/submission_eip712_v2.json`` is asserted both by forge and by pytest.

Protocol v2 (domain version ``"2"``) dropped ``fileId`` and ``nonce`` from the signed struct: the
registry derives the file id from the contributor and the header hash
(:func:`node.protocol.ids.submission_file_id`), so a signature can only ever register one file,
and replaying it yields the same id, which the registry refuses as a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from node.protocol.ids import submission_file_id
from node.types import FileId

__all__ = [
    "DECRYPTION_DOMAIN_NAME",
    "DECRYPTION_DOMAIN_VERSION",
    "MAX_BATCH_FILES",
    "SUBMISSION_DOMAIN_NAME",
    "SUBMISSION_DOMAIN_VERSION",
    "SUBMISSION_TYPE",
    "DecryptionBatch",
    "DecryptionRequest",
    "Purpose",
    "SubmissionMessage",
    "batch_share_aad",
    "digest",
    "file_ids_hash",
    "recover_signer",
    "sign",
]

SUBMISSION_DOMAIN_NAME = "DataDAO SubmissionRegistry"
DECRYPTION_DOMAIN_NAME = "DataDAO Decryption"
SUBMISSION_DOMAIN_VERSION = "2"
"""Protocol v2's Submission struct (no fileId, no nonce)."""
DECRYPTION_DOMAIN_VERSION = "1"
"""The DecryptionRequest struct did not change in v2, so neither did its domain."""
SUBMISSION_TYPE = (
    "Submission(address contributor,uint256 datasetId,string cid,bytes32 headerHash,"
    "bytes32 contentCommitment,uint32 ritualId,uint64 epoch,uint256 deadline)"
)
"""The EIP-712 type string; its keccak is ``SubmissionRegistry.SUBMISSION_TYPEHASH``."""

_SUBMISSION_TYPES: list[dict[str, str]] = [
    {"name": "contributor", "type": "address"},
    {"name": "datasetId", "type": "uint256"},
    {"name": "cid", "type": "string"},
    {"name": "headerHash", "type": "bytes32"},
    {"name": "contentCommitment", "type": "bytes32"},
    {"name": "ritualId", "type": "uint32"},
    {"name": "epoch", "type": "uint64"},
    {"name": "deadline", "type": "uint256"},
]

_DECRYPTION_TYPES: list[dict[str, str]] = [
    {"name": "purpose", "type": "uint8"},
    {"name": "reqId", "type": "uint256"},
    {"name": "datasetId", "type": "uint256"},
    {"name": "epoch", "type": "uint64"},
    {"name": "fileId", "type": "bytes32"},
    {"name": "requesterKey", "type": "bytes"},
    {"name": "deadline", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
]


_BATCH_TYPES: list[dict[str, str]] = [
    {"name": "purpose", "type": "uint8"},
    {"name": "reqId", "type": "uint256"},
    {"name": "datasetId", "type": "uint256"},
    {"name": "epoch", "type": "uint64"},
    {"name": "fileIdsHash", "type": "bytes32"},
    {"name": "requesterKey", "type": "bytes"},
    {"name": "deadline", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
]

MAX_BATCH_FILES = 256
"""Files one :class:`DecryptionBatch` may name (bounds the service's work per signature)."""


class Purpose(IntEnum):
    """Why a decryption share is requested; each purpose has its own on-chain authorisation."""

    ACCESS = 1
    """A renter whose access request was granted by governance."""
    SCORING = 2
    """A committee validator scoring the epoch the file belongs to."""


@dataclass(frozen=True, slots=True)
class SubmissionMessage:
    """The struct a contributor signs; field names and order mirror ``ISubmissionRegistry``.

    No file id (derived: :meth:`file_id`) and no nonce (a replay registers the same file id, which
    the registry refuses).
    """

    contributor: ChecksumAddress
    datasetId: int  # noqa: N815 - the EIP-712 field name
    cid: str
    headerHash: bytes  # noqa: N815
    contentCommitment: bytes  # noqa: N815
    ritualId: int  # noqa: N815
    epoch: int
    deadline: int

    def file_id(self) -> FileId:
        """The file id the registry will assign: keccak256(abi.encode(contributor, headerHash))."""
        return submission_file_id(self.contributor, self.headerHash)

    def typed_data(self, *, chain_id: int, registry: str) -> dict[str, Any]:
        return _typed(
            SUBMISSION_DOMAIN_NAME,
            SUBMISSION_DOMAIN_VERSION,
            chain_id,
            registry,
            "Submission",
            _SUBMISSION_TYPES,
            self,
        )

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple for ``SubmissionRegistry.submit``."""
        return tuple(asdict(self).values())


@dataclass(frozen=True, slots=True)
class DecryptionRequest:
    """What a requester signs to ask one validator for a decryption share of one file.

    ``requesterKey`` is the requester's session public key: the share comes back encrypted to it.
    The domain's verifying contract is the SubmissionRegistry, so a request is bound to one
    deployment on one chain.
    """

    purpose: int
    reqId: int  # noqa: N815
    datasetId: int  # noqa: N815
    epoch: int
    fileId: bytes  # noqa: N815
    requesterKey: bytes  # noqa: N815
    deadline: int
    nonce: int

    def typed_data(self, *, chain_id: int, registry: str) -> dict[str, Any]:
        return _typed(
            DECRYPTION_DOMAIN_NAME,
            DECRYPTION_DOMAIN_VERSION,
            chain_id,
            registry,
            "DecryptionRequest",
            _DECRYPTION_TYPES,
            self,
        )


def file_ids_hash(file_ids: Sequence[bytes]) -> bytes:
    """``keccak256(abi.encodePacked(bytes32[] fileIds))``: the ordered ids a batch signs."""
    for f in file_ids:
        if len(f) != 32:
            raise ValueError("file ids are 32 bytes")
    return keccak(b"".join(bytes(f) for f in file_ids))


@dataclass(frozen=True, slots=True)
class DecryptionBatch:
    """What a requester signs to ask one validator for shares of many files at once.

    One signature (one recovery, one authorisation, one nonce) covers up to
    :data:`MAX_BATCH_FILES` files of one epoch (SCORING) or one grant (ACCESS); the ids travel
    in the request body and the signature binds them through ``fileIdsHash``
    (:func:`file_ids_hash`, in the body's order). A distinct primary type, so a batch signature
    can never pass as a single :class:`DecryptionRequest` or the reverse.
    """

    purpose: int
    reqId: int  # noqa: N815
    datasetId: int  # noqa: N815
    epoch: int
    fileIdsHash: bytes  # noqa: N815
    requesterKey: bytes  # noqa: N815
    deadline: int
    nonce: int

    def typed_data(self, *, chain_id: int, registry: str) -> dict[str, Any]:
        return _typed(
            DECRYPTION_DOMAIN_NAME,
            DECRYPTION_DOMAIN_VERSION,
            chain_id,
            registry,
            "DecryptionBatch",
            _BATCH_TYPES,
            self,
        )


def batch_share_aad(batch_digest: bytes, file_id: bytes) -> bytes:
    """AAD of one file's sealed share in a batch answer: the batch digest then the file id.

    Binds each share to the signed batch *and* to its file, so a validator (or a relay) cannot
    answer file A's slot with file B's share without the requester noticing.
    """
    return bytes(batch_digest) + bytes(file_id)


Message = SubmissionMessage | DecryptionRequest | DecryptionBatch


def _typed(
    name: str,
    version: str,
    chain_id: int,
    registry: str,
    primary: str,
    fields: list[dict[str, str]],
    message: Message,
) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            primary: fields,
        },
        "primaryType": primary,
        "domain": {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": registry,
        },
        "message": asdict(message),
    }


def _signable(message: Message, chain_id: int, registry: str) -> SignableMessage:
    return encode_typed_data(full_message=message.typed_data(chain_id=chain_id, registry=registry))


def digest(message: Message, *, chain_id: int, registry: str) -> bytes:
    """The 32-byte EIP-712 digest (``keccak256(0x1901 ‖ domainSeparator ‖ structHash)``)."""
    s = _signable(message, chain_id, registry)
    return keccak(b"\x19" + s.version + s.header + s.body)


def sign(message: Message, account: LocalAccount, *, chain_id: int, registry: str) -> bytes:
    """65-byte r‖s‖v signature over the typed data."""
    signed = account.sign_message(_signable(message, chain_id, registry))
    return bytes(HexBytes(signed.signature))


def recover_signer(
    message: Message, signature: bytes, *, chain_id: int, registry: str
) -> ChecksumAddress:
    """Address that signed ``message``; raises ValueError on a malformed signature."""
    address: ChecksumAddress = Account.recover_message(
        _signable(message, chain_id, registry), signature=signature
    )
    return address
