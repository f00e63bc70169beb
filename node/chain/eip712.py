"""EIP-712 typed data: submissions (verified on chain) and decryption requests (verified by the
validators' share services).

The Submission type must hash exactly as ``SubmissionRegistry`` does; the shared vector file
``tests/vectors/submission_eip712_v1.json`` is asserted both by forge and by pytest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes

__all__ = [
    "DECRYPTION_DOMAIN_NAME",
    "SUBMISSION_DOMAIN_NAME",
    "DecryptionRequest",
    "Purpose",
    "SubmissionMessage",
    "digest",
    "recover_signer",
    "sign",
]

SUBMISSION_DOMAIN_NAME = "DataDAO SubmissionRegistry"
DECRYPTION_DOMAIN_NAME = "DataDAO Decryption"
_VERSION = "1"

_SUBMISSION_TYPES: list[dict[str, str]] = [
    {"name": "contributor", "type": "address"},
    {"name": "datasetId", "type": "uint256"},
    {"name": "fileId", "type": "bytes32"},
    {"name": "cid", "type": "string"},
    {"name": "headerHash", "type": "bytes32"},
    {"name": "contentCommitment", "type": "bytes32"},
    {"name": "ritualId", "type": "uint32"},
    {"name": "epoch", "type": "uint64"},
    {"name": "nonce", "type": "uint256"},
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


class Purpose(IntEnum):
    """Why a decryption share is requested; each purpose has its own on-chain authorisation."""

    ACCESS = 1
    """A renter whose access request was granted by governance."""
    SCORING = 2
    """A committee validator scoring the epoch the file belongs to."""


@dataclass(frozen=True, slots=True)
class SubmissionMessage:
    """The struct a contributor signs; field names and order mirror ``ISubmissionRegistry``."""

    contributor: ChecksumAddress
    datasetId: int  # noqa: N815 - the EIP-712 field name
    fileId: bytes  # noqa: N815
    cid: str
    headerHash: bytes  # noqa: N815
    contentCommitment: bytes  # noqa: N815
    ritualId: int  # noqa: N815
    epoch: int
    nonce: int
    deadline: int

    def typed_data(self, *, chain_id: int, registry: str) -> dict[str, Any]:
        return _typed(
            SUBMISSION_DOMAIN_NAME, chain_id, registry, "Submission", _SUBMISSION_TYPES, self
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
            DECRYPTION_DOMAIN_NAME, chain_id, registry, "DecryptionRequest", _DECRYPTION_TYPES, self
        )


Message = SubmissionMessage | DecryptionRequest


def _typed(
    name: str,
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
            "version": _VERSION,
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
