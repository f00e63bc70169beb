"""Identifiers the protocol derives rather than registers.

The dataset's secret validation set is sealed like a submission but never goes through
``SubmissionRegistry``: its CID, header hash and content commitment live in ``DatasetConfig``.
It still needs a file id (the sealed header binds one, and share requests name one), so both the
operator who seals it and every share service derive the same id from the dataset id under a
domain of its own. A contributor could register a submission under that id, but the share
service answers scoring requests for it from ``DatasetConfig`` alone, so such a submission can
neither stand in for the validation set nor be opened as one.
"""

from __future__ import annotations

from eth_hash.auto import keccak

from node.types import FileId

__all__ = ["VALIDATION_SET_DOMAIN", "validation_file_id"]

VALIDATION_SET_DOMAIN = b"datadao/validation-set"


def validation_file_id(dataset_id: int) -> FileId:
    """The file id of ``dataset_id``'s validation set: keccak256(domain ‖ uint256 dataset id)."""
    return FileId(keccak(VALIDATION_SET_DOMAIN + dataset_id.to_bytes(32, "big")))
