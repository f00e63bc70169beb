"""What a script sees on a real devnet: ``--json`` documents with complete values, and the exit
code of each refusal (issue #22)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from web3 import Web3

from node.chain.escrow import RentalEscrow
from node.chain.rewards import RewardDistributor
from node.chain.staking import ValidatorStaking
from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from node.types import DatasetId, Epoch
from tests.integration.conftest import Devnet
from tests.integration.helpers import close_and_fix_seed, run_epoch, score_and_reward
from tests.integration.pipeline.conftest import CONTRIBUTOR_INDEX, NodeHome

pytestmark = pytest.mark.integration


def _json(result: Any) -> Any:
    """stdout of a subprocess or CliRunner result, which must be exactly one JSON document."""
    return json.loads(result.stdout)


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_contribute_submissions_rewards_json_and_a_copy_gets_its_own_file_id(
    devnet: Devnet, snapshot: None, node_home: NodeHome, export_zip: Path
) -> None:
    me = str(CONTRIBUTOR_INDEX)
    done = node_home.cli("contribute", str(export_zip), "--account-index", me, "--json")
    assert done.returncode == ExitCode.OK, done.stderr
    doc = _json(done)
    assert doc["outcome"] == "submitted"
    assert doc["resumed_from"] is None
    sub = doc["submission"]
    (row,) = node_home.rows()
    assert sub["file_id"] == row.file_id
    assert len(sub["file_id"]) == 66
    assert sub["cid"] == row.cid
    assert sub["cid"].startswith("baf")
    assert sub["status"] == "registered"
    assert sub["block_number"] == row.block_number
    assert sub["contributor"] == row.contributor

    again = node_home.cli("contribute", str(export_zip), "--account-index", me, "--json")
    assert again.returncode == ExitCode.OK, again.stderr
    assert _json(again)["outcome"] == "already_submitted"

    listed = node_home.cli("submissions", "--account-index", me, "--json")
    assert listed.returncode == ExitCode.OK, listed.stderr
    assert listed.stderr == ""
    doc = _json(listed)
    assert doc["chain_available"] is True
    (entry,) = doc["submissions"]
    assert entry["cid"] == row.cid
    assert entry["chain"]["registered"] is True
    assert entry["chain"]["registered_block"] == row.block_number
    assert entry["chain"]["epoch"] == row.epoch
    assert entry["chain"]["contributor"] == row.contributor

    table = node_home.cli("submissions", "--account-index", me)  # a pipe: nothing cut
    assert row.cid is not None
    assert row.file_id is not None
    assert row.cid in table.stdout
    assert row.file_id in table.stdout

    # Someone else, on their own node, submits the same export: v2 registers it under their own
    # file id (duplicate content across contributors is judged by the validators, not the chain)
    other = NodeHome(
        home=node_home.home.parent / "copier",
        env={**node_home.env, "DATADAO_HOME": str(node_home.home.parent / "copier")},
    )
    copier = other.cli("contribute", str(export_zip), "--account-index", "6", "--json")
    assert copier.returncode == ExitCode.OK, copier.stdout + copier.stderr
    assert _json(copier)["submission"]["file_id"] != row.file_id

    epoch = Epoch(int(row.epoch or 0))
    close_and_fix_seed(devnet, epoch)
    vector = score_and_reward(devnet, epoch, store=node_home.blockstore(), claim=False)
    rewards = node_home.cli("rewards", "--account-index", me, "--json")
    assert rewards.returncode == ExitCode.OK, rewards.stderr
    doc = _json(rewards)
    (r,) = doc["rewards"]
    file_id = bytes.fromhex(row.file_id[2:])
    pool = RewardDistributor(devnet.chain, devnet.address("RewardDistributor")).epochRewards(
        DatasetId(devnet.deployment.dataset_id), epoch
    )
    assert r["value_units"] == vector.value(file_id) > 0
    assert r["total_units"] == vector.total
    assert r["reward"] == str(pool.contributor_pool * vector.value(file_id) // vector.total)
    assert r["finalized"] is True
    assert r["claimed"] is False
    assert r["file_id"] == row.file_id
    assert doc["claimed_now"] == "0"
    claimed = node_home.cli("rewards", "--claim", "--account-index", me, "--json")
    assert claimed.returncode == ExitCode.OK, claimed.stderr
    doc = _json(claimed)
    assert doc["claimed_now"] == r["reward"]
    assert int(doc["bond_refunded_now"]) > 0
    assert doc["rewards"][0]["claimed"] is True


def _gov(devnet: Devnet, *args: str) -> Result:
    env = {"DATADAO_HOME": str(devnet.home)}
    return CliRunner().invoke(cli, list(args), env=env)


def _index_of(devnet: Devnet, address: str) -> str:
    extra = devnet.deployment.extra
    for entry in [*extra["contributors"], *extra["validators"]]:
        if entry["address"] == address:
            return str(entry["account_index"])
    raise AssertionError(address)


def test_gov_and_renter_json_and_unknown_ids(devnet: Devnet, snapshot: None) -> None:
    holders = devnet.contributors[:2]
    epoch, _ = run_epoch(devnet, holders, [6000, 4000])
    renter = devnet.spare[0]
    escrow = RentalEscrow(devnet.client(renter), devnet.address("RentalEscrow"))
    fee = Web3.to_wei(1, "ether") + 1  # not a round number: exactness shows
    req = escrow.requestAccess(
        DatasetId(1), b"renter-key", epoch, epoch, int(time.time()) + 30 * 86400, fee
    )

    status = _gov(devnet, "renter", "status", str(req), "--json")
    assert status.exit_code == ExitCode.OK, status.output
    doc = json.loads(status.stdout)
    assert doc["req_id"] == req
    assert doc["status"] == "OPEN"
    assert doc["renter"] == renter.address
    assert doc["fee_wei"] == str(fee)
    assert doc["granted"] is False
    assert doc["files_in_scope"] is None
    assert doc["renter_key"] == "0x" + b"renter-key".hex()

    unknown_req = _gov(devnet, "renter", "status", "999999", "--json")
    assert unknown_req.exit_code == ExitCode.INPUT, unknown_req.output
    assert unknown_req.stdout == ""

    h0 = _index_of(devnet, holders[0].address)
    proposed = _gov(devnet, "gov", "propose-access", str(req), "--account-index", h0)
    assert proposed.exit_code == ExitCode.OK, proposed.output
    pid = proposed.stdout.rsplit("proposal ", 1)[1].strip()

    listed = _gov(devnet, "gov", "proposals", "--json")
    assert listed.exit_code == ExitCode.OK, listed.output
    doc = json.loads(listed.stdout)
    assert isinstance(doc["head_block"], int)
    (p,) = [p for p in doc["proposals"] if p["id"] == pid]
    assert len(p["id"]) > 16, "the full id, which exceeds 2^53, as a string"
    assert int(p["id"]) > 2**53
    assert p["state"] == "PENDING"
    assert p["votes_for"] == p["votes_against"] == p["votes_abstain"] == "0"
    assert p["proposer"] == devnet.address("RentalEscrow")  # the escrow proposes grants
    assert p["eta"] is None

    table = _gov(devnet, "gov", "proposals")
    assert pid in table.stdout, "piped, the table shows the whole id"

    unknown = _gov(devnet, "gov", "vote", "999999999999", "for", "--account-index", h0)
    assert unknown.exit_code == ExitCode.INPUT, unknown.output
    assert "no proposal with id 999999999999" in _one_error_line(unknown.stderr)


def test_validator_status_json(devnet: Devnet) -> None:
    v = devnet.validators[0]
    index = _index_of(devnet, v.address)
    result = _gov(
        devnet,
        "validator",
        "status",
        "--home",
        str(devnet.home),
        "--account-index",
        index,
        "--json",
    )
    assert result.exit_code == ExitCode.OK, result.output
    doc = json.loads(result.stdout)
    staking = ValidatorStaking(devnet.chain, devnet.address("ValidatorStaking"))
    assert doc["address"] == v.address
    assert doc["registered"] is True
    assert doc["stake_wei"] == str(staking.stakeOf(v.address))
    assert isinstance(doc["epochs"], list)
