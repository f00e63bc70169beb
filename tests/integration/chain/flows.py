"""Protocol flows shared by integration tests: one scored epoch, so accounts hold votes."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence

from eth_account.signers.local import LocalAccount

from node.chain.economics import RewardDistributor, ScoreBoard
from node.chain.eip712 import SubmissionMessage, sign
from node.chain.protocol import DatasetConfig, SubmissionRegistry
from node.types import Bps, DatasetId, Epoch
from tests.integration.conftest import Devnet
from validator.commitment import ScoreCommitment, new_salt

DATASET = DatasetId(1)


def run_epoch(
    devnet: Devnet, contributors: Sequence[LocalAccount], scores: Sequence[int]
) -> tuple[Epoch, list[bytes]]:
    """Submit one file per contributor, score it identically by every validator, finalize and
    claim, so each contributor ends up holding (self-delegated) tokens."""
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    registry = devnet.address("SubmissionRegistry")
    board_addr = devnet.address("ScoreBoard")
    epoch = Epoch(cfg.currentEpoch(DATASET) + 1)
    windows = cfg.epochWindows(DATASET, epoch)
    devnet.time.mine_to(windows.submit_start)
    for who in contributors:
        m = SubmissionMessage(
            contributor=who.address,
            datasetId=DATASET,
            fileId=secrets.token_bytes(32),
            cid="bafkrei" + secrets.token_hex(20),
            headerHash=secrets.token_bytes(32),
            contentCommitment=secrets.token_bytes(32),
            ritualId=int(devnet.deployment.extra["ritual_id"]),
            epoch=epoch,
            nonce=secrets.randbits(64),
            deadline=int(time.time()) + 3600,
        )
        sig = sign(m, who, chain_id=devnet.chain.chain_id, registry=registry)
        SubmissionRegistry(devnet.client(who), registry).submit(m, sig)
    file_ids = SubmissionRegistry(devnet.chain, registry).epochFiles(DATASET, epoch)
    devnet.time.mine_to(windows.close_block)
    salts = {}
    for v in devnet.validators:
        c = ScoreCommitment(
            chain_id=devnet.chain.chain_id,
            score_board=ScoreBoard(devnet.chain, board_addr).address,
            dataset_id=DATASET,
            epoch=epoch,
            validator=v.address,
            file_ids=tuple(file_ids),
            scores_bps=tuple(Bps(s) for s in scores),
            salt=new_salt(),
        )
        ScoreBoard(devnet.client(v), board_addr).commit(DATASET, epoch, c.digest())
        salts[v.address] = c.salt
    devnet.time.mine_to(windows.reveal_start)
    for v in devnet.validators:
        ScoreBoard(devnet.client(v), board_addr).reveal(
            DATASET, epoch, list(scores), salts[v.address]
        )
    devnet.time.mine_to(windows.finalize_from)
    ScoreBoard(devnet.chain, board_addr).finalize(DATASET, epoch)
    rewards = RewardDistributor(devnet.chain, devnet.address("RewardDistributor"))
    for f in file_ids:
        rewards.claim(DATASET, epoch, f)
    devnet.time.mine(1)  # votes from the claims' self-delegation count from the next block
    return epoch, file_ids
