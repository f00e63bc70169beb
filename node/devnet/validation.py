"""The dataset's secret validation set and ValuationSpec, registered at devnet bootstrap.

Validators measure each contribution against a validation set nobody else may see: it is sealed
to the DAO key like any submission (so only committee members scoring an epoch can open it), its
sha256 commitment, CID and header hash go into ``DatasetConfig``, and the ValuationSpec every
validator must use is pinned there by digest. Both can be registered only after the first key
ritual (the set is sealed to the ritual's key), which is why the deployer keeps DatasetConfig
until this step and then hands it to the timelock.

The devnet's validation set is synthetic chat data; its plaintext is kept in the devnet data dir
(mode 0600) because the demo needs it to build a contaminated contribution. A real DAO never
stores it in the clear.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from node.chain.client import ChainClient
from node.chain.dataset_config import DatasetConfig
from node.chain.deployment import Deployment
from node.parsers.canonical import CanonicalExport, canonicalize
from node.parsers.registry import parse_export
from node.parsers.scrub import scrub_export
from node.parsers.synthetic import chatgpt_export
from node.protocol.crypto import DaoPublicKey, SealContext, seal_bytes
from node.protocol.ids import VALIDATION_SET_CONTRIBUTOR, validation_file_id
from node.storage.base import BlobStore
from node.types import ContentCommitment, DatasetId, FileId, RitualId

__all__ = [
    "SPEC_FILE",
    "RegisteredValidationSet",
    "register_validation_set",
    "spec_digest",
    "synthetic_validation_set",
    "validation_file_id",
]

SPEC_FILE = Path(__file__).with_name("valuation-spec.json")
"""The devnet's ValuationSpec in canonical JSON (keys sorted, no whitespace): exactly the bytes
``validator.valuation.spec.ValuationSpec.canonical_json()`` gives, so its sha256 is the spec's
digest (a test holds the two together)."""


def spec_digest(path: Path = SPEC_FILE) -> bytes:
    """sha256 of a canonical spec file; refuses a file that is not in canonical form."""
    text = path.read_text().strip()
    canonical = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    if text != canonical:
        raise ValueError(f"{path} is not canonical JSON (sorted keys, no whitespace)")
    return hashlib.sha256(text.encode()).digest()


def synthetic_validation_set(*, seed: int = 424242, conversations: int = 12) -> CanonicalExport:
    """A synthetic chat export, parsed, scrubbed and canonicalized like any contribution."""
    with tempfile.TemporaryDirectory() as tmp:
        made = chatgpt_export(Path(tmp) / "validation.zip", seed=seed, conversations=conversations)
        return canonicalize(scrub_export(parse_export(made.path, platform="chatgpt")))


@dataclass(frozen=True)
class RegisteredValidationSet:
    commitment: ContentCommitment
    cid: str
    header_hash: bytes
    file_id: FileId
    plaintext_path: Path


def register_validation_set(
    owner: ChainClient,
    deployment: Deployment,
    store: BlobStore,
    *,
    dao_key: bytes,
    ritual_id: RitualId,
    canonical: CanonicalExport,
    plaintext_path: Path,
) -> RegisteredValidationSet:
    """Seal, store and register the validation set and the spec digest (``owner`` must own
    DatasetConfig)."""
    dataset = DatasetId(deployment.dataset_id)
    file_id = validation_file_id(dataset)
    ctx = SealContext(
        chain_id=owner.chain_id,
        registry=deployment.address("SubmissionRegistry"),
        dataset_id=dataset,
        contributor=VALIDATION_SET_CONTRIBUTOR,
        ritual_id=ritual_id,
        content_commitment=canonical.commitment,
    )
    sealed = seal_bytes(canonical.data, DaoPublicKey(dao_key), ctx)
    cid = store.add(sealed.data)
    config = DatasetConfig(owner, deployment.address("DatasetConfig"))
    config.setValidationSet(dataset, canonical.commitment, cid, sealed.header_hash)
    config.setValuationSpec(dataset, spec_digest())
    plaintext_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(plaintext_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(canonical.data)
    return RegisteredValidationSet(
        commitment=canonical.commitment,
        cid=str(cid),
        header_hash=bytes(sealed.header_hash),
        file_id=file_id,
        plaintext_path=plaintext_path,
    )
