"""ContributionPipeline against a fake registry that enforces the v2 contract's rules: the happy
path, exactly-once after a crash at every step, the epoch-boundary hazard, reconciliation, the
bond (read, shown, paid; a wrong or too high one refused before sending), per-contributor
content dedupe and the file id derived from the sealed header."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from pipeline_testing import FakeChain
from sqlalchemy import Engine
from sqlmodel import Session, select

from node.db.models import Submission, SubmissionStatus
from node.errors import ParseError
from node.parsers import ScrubOptions, canonicalize, parse_export, scrub_export
from node.pipeline import (
    CRASH_STEPS,
    BondAboveLimit,
    ContentAlreadyContributed,
    ContributionOutcome,
    ContributionPipeline,
    NoActiveRitual,
    Progress,
    WrongBond,
)
from node.protocol.crypto import SealContext, open_sealed_bytes, read_header
from node.protocol.dkg_local import LocalRitual
from node.protocol.ids import submission_file_id
from node.storage import parse_cid, read_blob
from node.storage.memory import MemoryBlobStore
from node.storage.unixfs import walk_blocks
from node.types import Cid, RitualId

Sessions = Callable[[], Session]


class Killed(BaseException):
    """Stands in for os._exit in-process: the run stops dead at the crash point."""


def _die(code: int) -> None:
    raise Killed(code)


def make(
    sessions: Sessions,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    *,
    crash_after: str | None = None,
    max_bond: int | None = None,
) -> ContributionPipeline:
    return ContributionPipeline(
        sessions=sessions,
        store=store,
        gateway=chain,
        sealed_dir=tmp_path / "sealed",
        crash_after=crash_after,
        max_bond=max_bond,
    )


def rows(engine: Engine) -> list[Submission]:
    with Session(engine) as s:
        return list(s.exec(select(Submission)).all())


def assert_single_registration(
    engine: Engine, store: MemoryBlobStore, chain: FakeChain, tmp_path: Path, export: Path
) -> Submission:
    """Exactly one row, REGISTERED, matching the one on-chain record; no orphans anywhere."""
    (row,) = rows(engine)
    assert row.status is SubmissionStatus.REGISTERED
    commitment = canonicalize(scrub_export(parse_export(export), ScrubOptions())).commitment
    assert row.file_id is not None
    assert chain.by_commitment == {commitment: bytes.fromhex(row.file_id[2:])}
    (record,) = [r for r in chain.records.values() if r.contributor == chain.contributor]
    # the file id is the registry's derivation from the contributor and the sealed header
    assert row.header_hash is not None
    assert record.file_id == submission_file_id(row.contributor, bytes.fromhex(row.header_hash[2:]))
    assert record.bond == chain.bond
    assert record.cid == row.cid
    assert "0x" + record.header_hash.hex() == row.header_hash
    assert "0x" + record.content_commitment.hex() == row.content_commitment
    # every stored block belongs to the registered blob, which is the only pin
    root = parse_cid(Cid(row.cid or ""))
    reachable = {c.to_v1() for c, _ in walk_blocks(root, lambda c: store.blocks[c.to_v1()])}
    assert set(store.blocks) == reachable
    assert store.pinned == {root.to_v1()}
    assert list((tmp_path / "sealed").glob("*")) == []
    return row


def test_contribute_then_rerun_sends_nothing(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    ritual: LocalRitual,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    events: list[Progress] = []
    result = make(sessions, store, chain, tmp_path).run(export_zip, progress=events.append)
    assert result.outcome is ContributionOutcome.SUBMITTED
    assert result.resumed_from is None
    row = assert_single_registration(engine, store, chain, tmp_path, export_zip)
    assert chain.broadcasts == 1
    assert {e.step for e in events} >= {"parse", "seal", "upload", "register"}
    assert [e for e in events if e.step == "upload"][-1].done == row.sealed_size

    # The stored blob opens, with the ritual's threshold decryption, to the canonical export.
    blob = read_blob(store, Cid(row.cid or ""), max_bytes=1 << 26)
    header = read_header(io.BytesIO(blob))
    assert "0x" + header.header_hash.hex() == row.header_hash
    canon = canonicalize(scrub_export(parse_export(export_zip), ScrubOptions()))
    assert header.header.contributor == chain.contributor  # v2: the header names its sealer
    ctx = SealContext(
        chain_id=chain.chain_id,
        registry=chain.registry,
        dataset_id=chain.dataset_id,
        contributor=chain.contributor,
        ritual_id=RitualId(1),
        content_commitment=canon.commitment,
    )
    assert open_sealed_bytes(blob, ctx, dek_for=ritual.decrypt) == canon.data
    # the bond was read, shown before sending, and paid once
    assert chain.paid == chain.bond
    notes = [e.note for e in events if e.step == "register"]
    bond_note = next(i for i, n in enumerate(notes) if "submission bond" in n)
    sent_note = next(i for i, n in enumerate(notes) if "sent" in n)
    assert bond_note < sent_note
    assert "0.01 ETH" in notes[bond_note]

    again = make(sessions, store, chain, tmp_path).run(export_zip)
    assert again.outcome is ContributionOutcome.ALREADY_SUBMITTED
    assert again.resumed_from is SubmissionStatus.REGISTERED
    assert chain.broadcasts == 1
    assert len(rows(engine)) == 1


@pytest.mark.parametrize("step", CRASH_STEPS)
def test_crash_after_each_step_resumes_to_exactly_one_registration(
    monkeypatch: pytest.MonkeyPatch,
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
    step: str,
) -> None:
    monkeypatch.setattr("os._exit", _die)
    with pytest.raises(Killed):
        make(sessions, store, chain, tmp_path, crash_after=step).run(export_zip)
    (row,) = rows(engine)
    expected = {
        "parsed": SubmissionStatus.PARSED,
        "sealed": SubmissionStatus.SEALED,
        "stored": SubmissionStatus.STORED,
        "signed": SubmissionStatus.SIGNED,
        "sent": SubmissionStatus.SIGNED,
        "registered": SubmissionStatus.REGISTERED,
    }[step]
    assert row.status is expected
    if step == "sent":
        assert row.tx_hash is not None
        assert chain.pending  # broadcast, not mined yet: the re-run must wait, not resend

    result = make(sessions, store, chain, tmp_path).run(export_zip)
    assert_single_registration(engine, store, chain, tmp_path, export_zip)
    assert chain.broadcasts == 1
    want = (
        ContributionOutcome.ALREADY_SUBMITTED
        if step == "registered"
        else (ContributionOutcome.SUBMITTED)
    )
    assert result.outcome is want


def test_killed_after_broadcast_and_mined_while_down_is_reconciled(
    monkeypatch: pytest.MonkeyPatch,
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    monkeypatch.setattr("os._exit", _die)
    with pytest.raises(Killed):
        make(sessions, store, chain, tmp_path, crash_after="sent").run(export_zip)
    chain.mine_pending()
    result = make(sessions, store, chain, tmp_path).run(export_zip)
    assert result.outcome is ContributionOutcome.ALREADY_SUBMITTED
    assert_single_registration(engine, store, chain, tmp_path, export_zip)
    assert chain.broadcasts == 1


def test_does_not_sign_in_the_last_blocks_of_a_window(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    chain.move_to(chain.submit_blocks * 3 - 2)  # epoch 2, its window closes in 2 blocks
    notes: list[str] = []
    make(sessions, store, chain, tmp_path).run(export_zip, progress=lambda e: notes.append(e.note))
    assert chain.waits_for_block == [chain.submit_blocks * 3]
    assert any("waiting for epoch 3" in n for n in notes)
    (record,) = chain.records.values()
    assert record.epoch == 3
    assert chain.broadcasts == 1


def test_wrong_epoch_at_inclusion_resigns_without_resealing(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    chain.move_to(chain.submit_blocks * 2 + 1)  # early in epoch 2: the margin check passes
    chain.inclusion_delay = chain.submit_blocks  # ... but the transaction lands in epoch 3
    result = make(sessions, store, chain, tmp_path).run(export_zip)
    assert result.outcome is ContributionOutcome.SUBMITTED
    assert chain.broadcasts == 2
    row = assert_single_registration(engine, store, chain, tmp_path, export_zip)
    assert row.epoch == 3
    (first_tx,) = chain.reverted
    assert type(chain.reverted[first_tx]).__name__ == "SubmissionRegistryWrongEpoch"
    # one sealed blob only: the re-sign reused it (a re-seal would have stored a second root)
    assert len(store.pinned) == 1


def _message_of_other(chain: FakeChain, contributor: str, commitment: bytes) -> object:
    from node.chain.eip712 import SubmissionMessage

    return SubmissionMessage(
        contributor=contributor,  # type: ignore[arg-type]
        datasetId=1,
        cid="bafkreiexample",
        headerHash=b"\x01" * 32,
        contentCommitment=commitment,
        ritualId=1,
        epoch=chain.epoch_at(chain.block + 1),
        deadline=chain.timestamp + 3600,
    )


def test_same_content_by_another_contributor_is_not_ours_to_refuse(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    """v2: the registry dedupes per contributor; validators judge cross-contributor copies. A
    stranger who registered our content first cannot lock us out of submitting it."""
    from node.chain.anvil import devnet_account
    from node.chain.eip712 import SubmissionMessage, sign

    other = devnet_account(6)
    commitment = canonicalize(scrub_export(parse_export(export_zip), ScrubOptions())).commitment
    m = _message_of_other(chain, other.address, commitment)
    assert isinstance(m, SubmissionMessage)
    chain.register_directly(m, sign(m, other, chain_id=chain.chain_id, registry=chain.registry))
    result = make(sessions, store, chain, tmp_path).run(export_zip)
    assert result.outcome is ContributionOutcome.SUBMITTED
    assert len(chain.records) == 2
    assert_single_registration(engine, store, chain, tmp_path, export_zip)


def test_resubmission_of_our_own_content_is_refused_locally(
    sessions: Sessions,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    """A lost or second data dir: contentSubmitted says this account already registered the
    content; the run says so clearly and sends (and pays) nothing, records nothing."""
    from node.db.engine import open_database

    make(sessions, store, chain, tmp_path).run(export_zip)
    fresh = open_database(f"sqlite:///{tmp_path / 'new.sqlite'}")
    try:
        with pytest.raises(ContentAlreadyContributed, match="once per contributor") as err:
            make(lambda: Session(fresh, expire_on_commit=False), store, chain, tmp_path).run(
                export_zip
            )
        assert chain.contributor in str(err.value)
        assert rows(fresh) == []
        assert chain.broadcasts == 1
        assert chain.paid == chain.bond
    finally:
        fresh.dispose()


def test_a_second_account_sharing_the_database_is_not_already_submitted(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    from node.chain.anvil import devnet_account

    make(sessions, store, chain, tmp_path).run(export_zip)
    chain.account = devnet_account(6)  # same node, same export, another key
    result = make(sessions, store, chain, tmp_path).run(export_zip)
    assert result.outcome is ContributionOutcome.SUBMITTED
    assert result.submission.contributor == devnet_account(6).address
    assert len(rows(engine)) == 2
    assert len(chain.records) == 2
    assert len({r.file_id for r in rows(engine)}) == 2


def test_wrong_bond_is_refused_before_sending(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    """A stale or tampered bond read must not reach the chain (and lose gas) or overpay."""
    chain.bond_seen_by_pipeline = chain.bond * 10
    with pytest.raises(WrongBond) as err:
        make(sessions, store, chain, tmp_path).run(export_zip)
    assert (err.value.expected, err.value.got) == (chain.bond, chain.bond * 10)
    assert chain.broadcasts == 0
    assert chain.paid == 0
    (row,) = rows(engine)
    assert row.status is SubmissionStatus.SIGNED  # kept: the next run resumes it
    chain.bond_seen_by_pipeline = None
    assert make(sessions, store, chain, tmp_path).run(export_zip).outcome is (
        ContributionOutcome.SUBMITTED
    )
    assert chain.paid == chain.bond


def test_bond_above_the_users_limit_is_refused_before_sending(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    with pytest.raises(BondAboveLimit, match="nothing was sent"):
        make(sessions, store, chain, tmp_path, max_bond=chain.bond - 1).run(export_zip)
    assert chain.broadcasts == 0
    result = make(sessions, store, chain, tmp_path, max_bond=chain.bond).run(export_zip)
    assert result.outcome is ContributionOutcome.SUBMITTED


def test_bond_changed_between_read_and_inclusion_is_sent_again(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    """Governance raised the bond after estimation: the tx reverts WrongBond on inclusion; the
    pipeline reads the new bond and sends again, without re-sealing."""
    original_include = chain._include

    def raise_bond_then_include(tx: object) -> int:
        chain.bond *= 2
        chain._include = original_include  # type: ignore[method-assign]
        return original_include(tx)  # type: ignore[arg-type]

    chain._include = raise_bond_then_include  # type: ignore[method-assign]
    result = make(sessions, store, chain, tmp_path).run(export_zip)
    assert result.outcome is ContributionOutcome.SUBMITTED
    assert chain.broadcasts == 2
    (first,) = chain.reverted.values()
    assert first.error_name == "SubmissionRegistryWrongBond"
    assert chain.paid == chain.bond
    assert len(store.pinned) == 1


def test_malformed_export_raises_parse_error_and_records_nothing(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
) -> None:
    import zipfile

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("conversations.json", b'[{"mapping": {"a": ')
        zf.writestr("user.json", b'{"id": "u"}')
    with pytest.raises(ParseError):
        make(sessions, store, chain, tmp_path).run(bad, platform="chatgpt")
    missing = tmp_path / "nope.zip"
    with pytest.raises(ParseError, match="cannot read export"):
        make(sessions, store, chain, tmp_path).run(missing)
    assert rows(engine) == []
    assert store.blocks == {}
    assert chain.broadcasts == 0


def test_no_active_ritual_is_a_clear_error_and_records_nothing(
    sessions: Sessions,
    engine: Engine,
    store: MemoryBlobStore,
    chain: FakeChain,
    tmp_path: Path,
    export_zip: Path,
) -> None:
    chain.ritual = None
    with pytest.raises(NoActiveRitual, match="no key ritual has completed"):
        make(sessions, store, chain, tmp_path).run(export_zip)
    assert rows(engine) == []
    assert store.blocks == {}
