"""Proofs through the contributor pipeline: sealed inside the export, covered by the commitment,
and a different proof is a different contribution (never a silent resume of the old one)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from pipeline_testing import FakeChain
from sqlalchemy import Engine
from sqlmodel import Session, select

from node.db.models import Submission
from node.parsers import AttachedProof, canonicalize, load_canonical, parse_export, scrub_export
from node.parsers.canonical import export_commitment
from node.parsers.synthetic import synthetic_email
from node.pipeline import ContributionOutcome, ContributionPipeline
from node.proofs.devkeys import dev_export_email
from node.protocol.crypto import SealContext, open_sealed_bytes, read_header
from node.protocol.dkg_local import LocalRitual
from node.storage import read_blob
from node.storage.memory import MemoryBlobStore
from node.types import Cid, ContentCommitment, RitualId

Sessions = Callable[[], Session]


def test_proof_is_sealed_with_the_export_and_names_the_unproven_commitment(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    ritual: LocalRitual,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    plain = canonicalize(scrub_export(parse_export(export_zip)))
    span = parse_export(export_zip).time_span()
    assert span is not None
    eml = dev_export_email(synthetic_email(11), span[1] + timedelta(hours=1))
    proof = AttachedProof("dkim", eml)
    pipeline = ContributionPipeline(
        sessions=sessions, store=store, gateway=chain, sealed_dir=tmp_path / "sealed"
    )
    result = pipeline.run(export_zip, proofs=(proof,))
    assert result.outcome is ContributionOutcome.SUBMITTED
    with Session(engine) as s:
        (row,) = s.exec(select(Submission)).all()
    assert row.content_commitment != "0x" + plain.commitment.hex()
    blob = read_blob(store, Cid(row.cid or ""), max_bytes=1 << 26)
    header = read_header(io.BytesIO(blob))
    ctx = SealContext(
        chain_id=chain.chain_id,
        registry=chain.registry,
        dataset_id=chain.dataset_id,
        contributor=chain.contributor,
        ritual_id=RitualId(1),
        content_commitment=ContentCommitment(bytes.fromhex(row.content_commitment[2:])),
    )
    assert header is not None
    data = open_sealed_bytes(blob, ctx, dek_for=ritual.decrypt)
    loaded = load_canonical(data)
    assert loaded.proofs == (proof,)
    assert loaded.email == synthetic_email(11)
    assert loaded.records == load_canonical(plain.data).records
    assert export_commitment(data) == plain.commitment

    # The same export without the proof is another source: not a resume of the proven one.
    again = pipeline.run(export_zip)
    assert again.outcome is ContributionOutcome.SUBMITTED
    assert again.submission.content_commitment == "0x" + plain.commitment.hex()
