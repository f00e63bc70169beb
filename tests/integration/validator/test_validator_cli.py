"""``datadao validator`` signs with an encrypted keystore off the devnet, never with test keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from node.chain.anvil import AnvilProcess
from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from tests.integration.conftest import Devnet
from validator.cli import validator

pytestmark = pytest.mark.integration


def test_status_signs_with_a_keystore(
    devnet: Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = devnet.validators[0]
    keystore = tmp_path / "validator.json"
    keystore.write_text(json.dumps(Account.encrypt(v.key, "correct horse")))
    monkeypatch.setenv("DATADAO_KEYSTORE", str(keystore))
    monkeypatch.setenv("DATADAO_KEYSTORE_PASSWORD", "correct horse")
    out = CliRunner().invoke(validator, ["status", "--home", str(devnet.home)])
    assert out.exit_code == 0, out.output
    assert f"validator {v.address}" in out.output
    assert "registered: True" in out.output


def test_no_key_is_a_clear_error(devnet: Devnet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATADAO_KEYSTORE", raising=False)
    monkeypatch.delenv("DATADAO_KEYSTORE_PASSWORD", raising=False)
    out = CliRunner().invoke(cli, ["validator", "status", "--home", str(devnet.home)])
    assert out.exit_code == ExitCode.CONFIG
    assert "no signing key" in out.output


def test_test_keys_are_refused_off_the_devnet(devnet: Devnet, tmp_path: Path) -> None:
    """The chain's own id decides, not the deployment file's claim: a file that says 31337 but
    points at a chain with another id is refused, and so is a file that says another id."""
    other = AnvilProcess(chain_id=1337).start()
    try:
        raw = json.loads((devnet.home / "devnet" / "deployment.json").read_text())
        for claimed in (31337, 1):
            home = tmp_path / str(claimed)
            (home / "devnet").mkdir(parents=True)
            lie = {**raw, "chain_id": claimed, "rpc_url": other.url}
            (home / "devnet" / "deployment.json").write_text(json.dumps(lie))
            out = CliRunner().invoke(
                cli, ["validator", "stake", "--home", str(home), "--account-index", "1", "5"]
            )
            assert out.exit_code == ExitCode.CONFIG, out.output
            assert "refused on chain 1337" in out.output
    finally:
        other.stop()
