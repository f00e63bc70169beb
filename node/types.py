"""Typed identifiers and units shared by node and validator.

NewTypes cost nothing at run time and stop a file id from being passed where an epoch is meant.
"""

from __future__ import annotations

from typing import NewType

from eth_typing import ChecksumAddress

__all__ = [
    "Bps",
    "ChecksumAddress",
    "Cid",
    "ContentCommitment",
    "DatasetId",
    "Epoch",
    "FileId",
    "HeaderHash",
    "ReqId",
    "RitualId",
]

Cid = NewType("Cid", str)
"""A CID in its canonical string form (base58btc for v0, base32 for v1)."""
ContentCommitment = NewType("ContentCommitment", bytes)
"""sha256 of an export's canonical JSONL (32 bytes)."""
HeaderHash = NewType("HeaderHash", bytes)
"""keccak256 of a DDF v1 header (32 bytes)."""
FileId = NewType("FileId", bytes)
"""A file's 32-byte identifier, chosen by the contributor's node."""
DatasetId = NewType("DatasetId", int)
Epoch = NewType("Epoch", int)
RitualId = NewType("RitualId", int)
ReqId = NewType("ReqId", int)
Bps = NewType("Bps", int)
"""Basis points, 0..10_000."""
