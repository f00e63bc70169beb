"""Identifiers the protocol derives rather than registers.

**Submissions** (protocol v2). A file's id is ``keccak256(abi.encode(contributor, headerHash))``,
computed here and by ``SubmissionRegistry.fileIdOf`` on chain, never chosen by the submitter.
The header names the contributor (DDF v2), so the id binds who sealed the file to what was
sealed: a front-runner who copies Alice's pending submission gets Alice's file id and Alice's
record, and one who re-seals her plaintext under its own address gets a new header, a new
hash and a new id that validators judge as a copy.

**The validation set.** The dataset's secret validation set is sealed like a submission but never
goes through ``SubmissionRegistry``: its CID, header hash and content commitment live in
``DatasetConfig``, and its header names the zero address (:data:`VALIDATION_SET_CONTRIBUTOR`) as
contributor. It still needs a file id (share requests name one), so both the operator who seals
it and every share service derive the same id from the dataset id under a domain of its own. No
submission can take that id (the registry derives ids from keccak of an address and a hash, a
different preimage shape), and the share service answers scoring requests for it from
``DatasetConfig`` alone.
"""

from __future__ import annotations

from typing import Final

from eth_hash.auto import keccak
from eth_typing import HexAddress, HexStr

from node.types import ChecksumAddress, FileId

__all__ = [
    "VALIDATION_SET_CONTRIBUTOR",
    "VALIDATION_SET_DOMAIN",
    "submission_file_id",
    "validation_file_id",
]

VALIDATION_SET_DOMAIN = b"datadao/validation-set"
VALIDATION_SET_CONTRIBUTOR: Final = ChecksumAddress(HexAddress(HexStr("0x" + "00" * 20)))
"""The contributor a validation set's header names: the zero address (nobody is paid for it)."""


def validation_file_id(dataset_id: int) -> FileId:
    """The file id of ``dataset_id``'s validation set: keccak256(domain ‖ uint256 dataset id)."""
    return FileId(keccak(VALIDATION_SET_DOMAIN + dataset_id.to_bytes(32, "big")))


def submission_file_id(contributor: str, header_hash: bytes) -> FileId:
    """A submission's file id: ``keccak256(abi.encode(address contributor, bytes32 headerHash))``.

    That is keccak of 12 zero bytes ‖ the 20 address bytes ‖ the 32 hash bytes, exactly what
    ``SubmissionRegistry.fileIdOf`` returns. ``contributor`` is a 0x-prefixed 20-byte hex address
    in any letter case (the case is a checksum, not part of the value).

    Raises:
        TypeError, ValueError: not an address, or a hash that is not 32 bytes.
    """
    if not isinstance(contributor, str):
        raise TypeError("contributor must be a 0x-prefixed hex address")
    if len(contributor) != 42 or not contributor.startswith(("0x", "0X")):
        raise ValueError("contributor must be a 0x-prefixed 20-byte hex address")
    try:
        address = bytes.fromhex(contributor[2:])
    except ValueError:
        raise ValueError("contributor must be a 0x-prefixed 20-byte hex address") from None
    if not isinstance(header_hash, bytes | bytearray):
        raise TypeError("header_hash must be bytes")
    if len(header_hash) != 32:
        raise ValueError("header_hash must be 32 bytes")
    return FileId(keccak(bytes(12) + address + bytes(header_hash)))
