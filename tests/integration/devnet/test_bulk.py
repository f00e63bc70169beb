"""Bulk submission (node.devnet.bulk): real sealed files, one real ``submit`` per file with its
bond, many per block; the registry must hold each under the id it derives itself."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from node.chain.dataset_config import DatasetConfig
from node.chain.registry import SubmissionRegistry
from node.devnet.bulk import (
    BulkFile,
    BulkSubmitFailed,
    SealJob,
    contributor_key,
    prepare_files,
    submit_bulk,
    synthetic_plaintext,
    vocabulary,
)
from node.errors import ChainError
from node.parsers.canonical import load_canonical
from node.protocol.ids import submission_file_id
from node.storage.local import LocalBlockstore
from node.types import Epoch
from tests.integration.conftest import Devnet
from tests.integration.helpers import DATASET, chain_now, open_fresh_epoch

pytestmark = pytest.mark.integration

FILES = 10


def _jobs(devnet: Devnet, epoch: Epoch, *, seed: int, n: int) -> list[SealJob]:
    words = vocabulary("alpha beta gamma delta epsilon zeta eta theta iota kappa")
    return [
        SealJob(
            index=i,
            seed=seed,
            records=3,
            words=words,
            chain_id=devnet.chain.chain_id,
            registry=devnet.address("SubmissionRegistry"),
            dataset_id=int(DATASET),
            ritual_id=int(devnet.deployment.extra["ritual_id"]),
            dao_key=bytes.fromhex(devnet.deployment.extra["dkg_public_key"]),
            epoch=int(epoch),
            deadline=chain_now(devnet) + 3600,
        )
        for i in range(n)
    ]


def test_a_replayed_bulk_submission_is_refused_and_names_the_failure(
    devnet: Devnet, snapshot: None
) -> None:
    """Hostile first: the same signed files relayed twice must not register twice; the second
    batch fails as a typed error (the registry refuses a known file id), never silently."""
    epoch = open_fresh_epoch(devnet)
    store = LocalBlockstore(devnet.home / "bulk-blocks")
    *files, fresh = prepare_files(_jobs(devnet, epoch, seed=7, n=4), store, workers=1)
    registry = SubmissionRegistry(
        devnet.client(devnet.spare[0]), devnet.address("SubmissionRegistry")
    )
    bond = DatasetConfig(devnet.chain, devnet.address("DatasetConfig")).submissionBond(DATASET)
    submit_bulk(registry.chain, registry, files, bond=bond)
    with pytest.raises(BulkSubmitFailed, match="call 0"):
        # a fresh file first (it goes alone), then the replays, batched: they revert in the block
        submit_bulk(registry.chain, registry, [fresh, *files], bond=bond)
    assert [r.file_id for r in registry.epoch_records(DATASET, epoch)] == [
        f.file_id for f in (*files, fresh)
    ]


def test_a_tampered_signature_is_refused(devnet: Devnet, snapshot: None) -> None:
    """A file whose signature is not its contributor's must revert, not register."""
    epoch = open_fresh_epoch(devnet)
    store = LocalBlockstore(devnet.home / "bulk-blocks")
    good, other = prepare_files(_jobs(devnet, epoch, seed=8, n=2), store, workers=1)
    forged = dataclasses.replace(good, signature=other.signature)
    registry = SubmissionRegistry(
        devnet.client(devnet.spare[0]), devnet.address("SubmissionRegistry")
    )
    bond = DatasetConfig(devnet.chain, devnet.address("DatasetConfig")).submissionBond(DATASET)
    with pytest.raises(ChainError):  # the registry's typed revert (bad signature)
        submit_bulk(registry.chain, registry, [forged], bond=bond)
    assert registry.epoch_records(DATASET, epoch) == []


def test_bulk_files_register_with_their_derived_ids_bonds_and_stored_bytes(
    devnet: Devnet, snapshot: None
) -> None:
    epoch = open_fresh_epoch(devnet)
    store = LocalBlockstore(devnet.home / "bulk-blocks")
    jobs = _jobs(devnet, epoch, seed=1, n=FILES)
    files: list[BulkFile] = prepare_files(jobs, store, workers=2, chunksize=2)
    registry = SubmissionRegistry(
        devnet.client(devnet.spare[0]), devnet.address("SubmissionRegistry")
    )
    bond = DatasetConfig(devnet.chain, devnet.address("DatasetConfig")).submissionBond(DATASET)
    assert bond > 0
    head0 = devnet.chain.block_number()
    receipts = submit_bulk(registry.chain, registry, files, bond=bond, per_block=4)
    assert all(r["status"] == 1 for r in receipts)
    # batched: fewer blocks than files (the first alone, then 4 a block)
    assert devnet.chain.block_number() - head0 < FILES

    records = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    listed = records.epoch_records(DATASET, epoch)
    assert [r.file_id for r in listed] == [f.file_id for f in files]  # chain order = file order
    for f, rec in zip(files, listed, strict=True):
        who = contributor_key(1, f.index)
        assert rec.contributor == who.address  # the signer, not the relayer
        assert f.file_id == submission_file_id(who.address, f.message.headerHash)
        assert records.file_id_of(who.address, f.message.headerHash) == f.file_id
        assert records.stored(f.file_id).bond == bond
        assert rec.cid == f.message.cid
        assert store.has(rec.cid)
        plain = synthetic_plaintext(f.index, seed=1, records=3, words=jobs[0].words)
        assert rec.content_commitment == hashlib.sha256(plain).digest()
        assert len(load_canonical(plain, file="bulk").records) == 3
    assert len({f.message.contentCommitment for f in files}) == FILES  # all distinct content
