"""``datadao submissions`` and ``datadao rewards [--claim]`` after a real scored epoch."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.chain.anvil import devnet_account
from node.chain.dataset_config import DatasetConfig
from node.chain.registry import SubmissionRegistry
from node.chain.rewards import RewardDistributor
from node.chain.scoreboard import ScoreBoard
from node.chain.token import DatasetToken
from node.types import Bps, DatasetId, Epoch
from tests.integration.conftest import Devnet
from tests.integration.pipeline.conftest import CONTRIBUTOR_INDEX, NodeHome
from validator.daemon.commitment import ScoreCommitment, new_salt

pytestmark = pytest.mark.integration

SCORE = 7_000


def _score_epoch(devnet: Devnet, dataset: DatasetId, epoch: Epoch) -> None:
    """Every committee validator commits and reveals SCORE for each file; then finalize."""
    cfg = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    registry = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    board = ScoreBoard(devnet.chain, devnet.address("ScoreBoard"))
    windows = cfg.epochWindows(dataset, epoch)
    file_ids = registry.epochFiles(dataset, epoch)
    devnet.time.mine_to(windows.close_block)
    ScoreBoard(devnet.client(devnet.spare[1]), board.address).fixSeed(dataset, epoch)
    commitments = {}
    for v in devnet.validators:
        c = ScoreCommitment(
            chain_id=devnet.chain.chain_id,
            score_board=board.address,
            dataset_id=dataset,
            epoch=epoch,
            validator=v.address,
            file_ids=tuple(file_ids),
            scores_bps=tuple(Bps(SCORE) for _ in file_ids),
            salt=new_salt(),
        )
        ScoreBoard(devnet.client(v), board.address).commit(dataset, epoch, c.digest())
        commitments[v.address] = c
    devnet.time.mine_to(windows.reveal_start)
    for v in devnet.validators:
        c = commitments[v.address]
        ScoreBoard(devnet.client(v), board.address).reveal(
            dataset, epoch, list(c.scores_bps), c.salt
        )
    devnet.time.mine_to(windows.finalize_from)
    ScoreBoard(devnet.client(devnet.spare[2]), board.address).finalize(dataset, epoch)
    assert board.epochStatus(dataset, epoch).finalized


def test_submissions_and_rewards_claim_after_a_scored_epoch(
    devnet: Devnet, snapshot: None, node_home: NodeHome, export_zip: Path
) -> None:
    who = str(CONTRIBUTOR_INDEX)
    assert node_home.cli("contribute", str(export_zip), "--account-index", who).returncode == 0
    (row,) = node_home.rows()
    dataset = DatasetId(devnet.deployment.dataset_id)
    epoch = Epoch(int(row.epoch or 0))

    listed = node_home.cli("submissions", "--account-index", who)
    assert listed.returncode == 0, listed.stderr
    assert "registered" in listed.stdout
    assert f"registered @{row.block_number}" in listed.stdout

    before = node_home.cli("rewards", "--account-index", who)
    assert before.returncode == 0, before.stderr
    assert "no" in before.stdout  # not finalized yet

    _score_epoch(devnet, dataset, epoch)
    distributor = RewardDistributor(devnet.chain, devnet.address("RewardDistributor"))
    file_id = bytes.fromhex(row.file_id[2:])
    reward = distributor.contributorReward(dataset, epoch, file_id)
    assert reward > 0

    token = DatasetToken(devnet.chain, devnet.address("DatasetToken"))
    contributor = devnet_account(CONTRIBUTOR_INDEX).address
    balance = token.balanceOf(contributor)
    shown = node_home.cli("rewards", "--account-index", who)
    assert str(SCORE) in shown.stdout
    assert str(reward) in shown.stdout
    assert token.balanceOf(contributor) == balance  # listing claims nothing

    claimed = node_home.cli("rewards", "--claim", "--account-index", who)
    assert claimed.returncode == 0, claimed.stdout + claimed.stderr
    assert f"claimed {reward} token units now" in claimed.stdout
    assert token.balanceOf(contributor) == balance + reward
    assert distributor.claimed(dataset, epoch, file_id)

    again = node_home.cli("rewards", "--claim", "--account-index", who)
    assert again.returncode == 0
    assert "claimed 0 token units now" in again.stdout
    assert token.balanceOf(contributor) == balance + reward
