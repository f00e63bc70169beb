"""An epoch larger than protocol v1's 256-file cap, through the real contracts on anvil.

v1 refused the 257th submission of an epoch (``EpochFull``) because ``finalize`` looped over
every file. v2 lists an epoch's files from the registry's events and finalizes one Merkle root,
so 300 files register, are listed in chain order, finalize, and are claimed with proofs: a test
of the protocol, not a timing.
"""

from __future__ import annotations

import secrets
import time

import pytest

from node.chain.dataset_config import DatasetConfig
from node.chain.eip712 import SubmissionMessage, sign
from node.chain.registry import SubmissionRegistry
from node.chain.rewards import RewardDistributor
from node.types import Epoch
from tests.integration.conftest import Devnet
from tests.integration.helpers import DATASET, close_and_fix_seed, score_and_reward

pytestmark = pytest.mark.integration

FILES = 300
"""More than v1's MAX_FILES_PER_EPOCH (256)."""


def test_an_epoch_of_300_files_registers_finalizes_and_pays(devnet: Devnet, snapshot: None) -> None:
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    registry_address = devnet.address("SubmissionRegistry")
    relayer = SubmissionRegistry(devnet.client(devnet.spare[0]), registry_address)
    bond = cfg.submissionBond(DATASET)
    epoch = Epoch(cfg.currentEpoch(DATASET) + 1)
    devnet.time.mine_to(cfg.epochWindows(DATASET, epoch).submit_start)
    ritual = int(devnet.deployment.extra["ritual_id"])
    expected: list[bytes] = []
    pending = []
    rpc = devnet.chain.w3.provider.make_request
    # one block per transaction would outrun the devnet's submit window: queue a chunk with
    # automine off, then mine it as one block (a chunk of 100 fits a 30M-gas block)
    rpc("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        for i in range(FILES):
            who = devnet.contributors[i % len(devnet.contributors)]
            m = SubmissionMessage(
                contributor=who.address,
                datasetId=DATASET,
                cid="bafkrei" + secrets.token_hex(20),
                headerHash=secrets.token_bytes(32),
                contentCommitment=secrets.token_bytes(32),
                ritualId=ritual,
                epoch=epoch,
                deadline=int(time.time()) + 3600,
            )
            sig = sign(m, who, chain_id=devnet.chain.chain_id, registry=registry_address)
            fn = relayer.contract.functions.submit(m.as_tuple(), sig)
            pending.append(relayer.chain.send_nowait(fn, value=bond, gas=200_000))
            expected.append(bytes(m.file_id()))
            if len(pending) % 100 == 0:
                rpc("evm_mine", [])  # type: ignore[arg-type]
        rpc("evm_mine", [])  # type: ignore[arg-type]
    finally:
        rpc("evm_setAutomine", [True])  # type: ignore[arg-type]
    for p in pending:
        assert relayer.chain.wait(p)["status"] == 1
    assert cfg.currentEpoch(DATASET) == epoch, "the submissions spilled into the next epoch"

    records = SubmissionRegistry(devnet.chain, registry_address).epoch_records(DATASET, epoch)
    assert [r.file_id for r in records] == expected  # all of them, in chain order

    # every tenth file is worth nothing; the rest in proportion to their position
    weights = [0 if i % 10 == 0 else i for i in range(FILES)]
    close_and_fix_seed(devnet, epoch)
    vector = score_and_reward(devnet, epoch, weights, claim=False)
    assert len(vector.entries) == FILES
    assert vector.total == 10**9

    rewards = RewardDistributor(devnet.client(devnet.spare[1]), devnet.address("RewardDistributor"))
    pool = rewards.epochRewards(DATASET, epoch).contributor_pool
    minted = 0
    for fid in expected[:25]:  # a sample of both kinds: claims and forfeits
        value = vector.value(fid)
        if value == 0:
            rewards.forfeitBond(DATASET, epoch, fid, vector.proof(fid))
            continue
        receipt = rewards.claim(DATASET, epoch, fid, value, vector.proof(fid))
        ((amount, refund),) = rewards.claimed_amounts(receipt)
        assert amount == pool * value // vector.total
        assert refund == bond
        minted += amount
    assert rewards.epochRewards(DATASET, epoch).minted == minted <= pool
