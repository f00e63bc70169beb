"""``datadao renter request`` goes through the same function as the web app's Rent page: the
session key is saved (encrypted) before the request is sent, and the request is on chain."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from tests.integration.conftest import Devnet

pytestmark = pytest.mark.integration


def test_request_saves_the_session_key_then_escrows_the_fee(
    devnet: Devnet, snapshot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATADAO_HOME", str(devnet.home))
    monkeypatch.setenv("DATADAO_RENTER_PASSPHRASE", "renter passphrase")
    renter = devnet.spare[1]
    index = "12"  # devnet.spare[1] is anvil account 11 + 1
    bad = CliRunner().invoke(
        cli, ["renter", "request", "--expiry", "0", "--fee", "0.1", "--account-index", index]
    )
    assert bad.exit_code == ExitCode.INPUT
    sent = CliRunner().invoke(
        cli, ["renter", "request", "--expiry", "3600", "--fee", "0.1", "--account-index", index]
    )
    assert sent.exit_code == 0, sent.output
    req = int(sent.output.strip().splitlines()[-1])
    sessions = list((devnet.home / "renter" / "sessions").glob("*.json"))
    assert sessions, "the session keystore must exist"
    status = CliRunner().invoke(cli, ["renter", "status", str(req), "--json"])
    doc = json.loads(status.stdout)
    assert doc["status"] == "OPEN"
    assert doc["renter"] == renter.address
    assert doc["fee_wei"] == str(10**17)
    assert any(s.stem == doc["renter_key"][2:] for s in sessions)
