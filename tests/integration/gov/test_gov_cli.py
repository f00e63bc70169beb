"""`datadao gov` against anvil: the happy path and every refusal a holder can run into."""

from __future__ import annotations

import re
import time

import pytest
from click.testing import CliRunner, Result
from web3 import Web3

from node.chain.access import AccessRegistry
from node.chain.escrow import RentalEscrow
from node.chain.governor import DataDAOGovernor, TimelockController
from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from node.types import DatasetId
from tests.integration.conftest import Devnet
from tests.integration.helpers import run_epoch

pytestmark = pytest.mark.integration


def gov(devnet: Devnet, *args: str) -> Result:
    env = {"DATADAO_HOME": str(devnet.home), "COLUMNS": "200"}
    return CliRunner().invoke(cli, ["gov", *args], env=env, catch_exceptions=False)


def index_of(devnet: Devnet, address: str) -> str:
    for entry in [*devnet.deployment.extra["contributors"], *devnet.deployment.extra["validators"]]:
        if entry["address"] == address:
            return str(entry["account_index"])
    raise AssertionError(address)


def test_gov_commands_end_to_end_with_bad_input(devnet: Devnet, snapshot: None) -> None:
    holders = devnet.contributors[:3]
    epoch, _ = run_epoch(devnet, holders, [6000, 3000, 1000])
    escrow = RentalEscrow(devnet.client(devnet.spare[0]), devnet.address("RentalEscrow"))
    expiry = int(time.time()) + 30 * 86400
    req = escrow.requestAccess(
        DatasetId(1), b"renter-key", epoch, epoch, expiry, Web3.to_wei(1, "ether")
    )
    h0, h1, h2 = (index_of(devnet, h.address) for h in holders)
    idle = index_of(devnet, devnet.contributors[5].address)  # holds no tokens

    bad = gov(devnet, "propose-access", "999", "--account-index", h0)
    assert bad.exit_code == ExitCode.INPUT
    assert "no access request #999" in bad.output

    proposed = gov(devnet, "propose-access", str(req), "--account-index", h0)
    assert proposed.exit_code == 0, proposed.output
    pid = re.search(r"proposal (\d+)", proposed.output)
    assert pid is not None
    ident = pid.group(1)[:12]
    listed = gov(devnet, "proposals")
    assert listed.exit_code == 0
    assert ident in listed.output
    assert "PENDING" in listed.output

    early = gov(devnet, "vote", ident, "for", "--account-index", h0)
    assert early.exit_code == ExitCode.CHAIN
    assert "PENDING" in early.output

    governor = DataDAOGovernor(devnet.chain, devnet.address("DataDAOGovernor"))
    devnet.time.mine(governor.votingDelay() + 1)
    ok = gov(devnet, "vote", ident, "for", "--reason", "useful lab", "--account-index", h0)
    assert ok.exit_code == 0, ok.output
    twice = gov(devnet, "vote", ident, "against", "--account-index", h0)
    assert twice.exit_code == ExitCode.CONFLICT
    assert "already voted" in twice.output
    powerless = gov(devnet, "vote", ident, "for", "--account-index", idle)
    assert powerless.exit_code == ExitCode.CHAIN
    assert "no voting power" in powerless.output
    assert gov(devnet, "vote", ident, "for", "--account-index", h1).exit_code == 0
    assert gov(devnet, "vote", ident, "abstain", "--account-index", h2).exit_code == 0

    not_yet = gov(devnet, "queue", ident, "--account-index", h0)
    assert not_yet.exit_code == ExitCode.CHAIN
    assert "ACTIVE" in not_yet.output
    devnet.time.mine(governor.votingPeriod() + 1)
    assert gov(devnet, "queue", ident, "--account-index", h0).exit_code == 0
    locked = gov(devnet, "execute", ident, "--account-index", h0)
    assert locked.exit_code == ExitCode.CHAIN
    assert "timelock" in locked.output
    delay = TimelockController(devnet.chain, devnet.address("TimelockController")).getMinDelay()
    devnet.time.increase_time(delay + 1)
    done = gov(devnet, "execute", ident, "--account-index", h0)
    assert done.exit_code == 0, done.output
    assert AccessRegistry(devnet.chain, devnet.address("AccessRegistry")).isGranted(req)

    again = gov(devnet, "propose-access", str(req), "--account-index", h0)
    assert again.exit_code == ExitCode.CHAIN
    assert "GRANTED" in again.output
    listed = gov(devnet, "proposals")
    assert "EXECUTED" in listed.output

    # a leaked renter key: holders revoke the grant before its expiry
    access = AccessRegistry(devnet.chain, devnet.address("AccessRegistry"))
    unknown = gov(devnet, "propose-revoke", "999", "--account-index", h0)
    assert unknown.exit_code == ExitCode.CHAIN
    assert "not granted now" in unknown.output
    revoking = gov(
        devnet, "propose-revoke", str(req), "--reason", "key leaked", "--account-index", h0
    )
    assert revoking.exit_code == 0, revoking.output
    rid = re.search(r"proposal (\d+)", revoking.output)
    assert rid is not None
    rident = rid.group(1)[:12]
    devnet.time.mine(governor.votingDelay() + 1)
    for h in (h0, h1):
        assert gov(devnet, "vote", rident, "for", "--account-index", h).exit_code == 0
    devnet.time.mine(governor.votingPeriod() + 1)
    assert gov(devnet, "queue", rident, "--account-index", h0).exit_code == 0
    devnet.time.increase_time(delay + 1)
    assert access.isGranted(req)
    revoked = gov(devnet, "execute", rident, "--account-index", h0)
    assert revoked.exit_code == 0, revoked.output
    assert not access.isGranted(req)
    assert access.revokedAtBlock(req) > 0

    delegated = gov(devnet, "delegate", "--to", holders[0].address, "--account-index", h2)
    assert delegated.exit_code == 0, delegated.output
    assert "voting power of" in delegated.output
    nonsense = gov(devnet, "delegate", "--to", "not-an-address", "--account-index", h2)
    assert nonsense.exit_code == ExitCode.INPUT
