"""``datadao submissions`` and ``datadao rewards [--claim]`` after a real scored epoch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.chain.anvil import devnet_account
from node.chain.rewards import RewardDistributor
from node.chain.token import DatasetToken
from node.types import DatasetId, Epoch
from tests.integration.conftest import Devnet
from tests.integration.helpers import close_and_fix_seed, score_and_reward
from tests.integration.pipeline.conftest import CONTRIBUTOR_INDEX, NodeHome

pytestmark = pytest.mark.integration


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

    before = node_home.cli("rewards", "--account-index", who, "--json")
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["rewards"][0]["finalized"] is False

    close_and_fix_seed(devnet, epoch)
    # the committee publishes its vector where this node reads (as validators serve it)
    vector = score_and_reward(devnet, epoch, store=node_home.blockstore(), claim=False)
    distributor = RewardDistributor(devnet.chain, devnet.address("RewardDistributor"))
    assert row.file_id is not None
    file_id = bytes.fromhex(row.file_id[2:])
    pool = distributor.epochRewards(dataset, epoch).contributor_pool
    reward = pool * vector.value(file_id) // vector.total
    assert reward > 0

    token = DatasetToken(devnet.chain, devnet.address("DatasetToken"))
    contributor = devnet_account(CONTRIBUTOR_INDEX).address
    balance = token.balanceOf(contributor)
    shown = node_home.cli("rewards", "--account-index", who)
    assert str(vector.value(file_id)) in shown.stdout
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
