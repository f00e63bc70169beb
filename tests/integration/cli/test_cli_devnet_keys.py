"""Every command that signs refuses anvil's public test keys off the devnet (issue #17: the
renter once built its own connection and did not check), and the chain's own id decides, not
what the deployment file claims."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from node.chain.anvil import AnvilProcess
from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from tests.integration.conftest import Devnet

pytestmark = pytest.mark.integration

SIGNING_COMMANDS = [
    ["contribute", "EXPORT"],
    ["renter", "request", "--expiry", "3600", "--fee", "0.1"],
    ["renter", "fetch", "1", "--out", "OUT"],
    ["gov", "delegate"],
    ["gov", "propose-access", "1"],
    ["rewards", "--claim"],
    ["validator", "stake", "5"],
    ["validator", "withdraw"],
]


@pytest.fixture(scope="module")
def other_chain() -> Iterator[AnvilProcess]:
    chain = AnvilProcess(chain_id=1337).start()
    yield chain
    chain.stop()


@pytest.mark.parametrize("claimed", [31337, 1337])
@pytest.mark.parametrize("argv", SIGNING_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_devnet_keys_are_refused_on_another_chain(
    devnet: Devnet,
    other_chain: AnvilProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    claimed: int,
) -> None:
    raw = json.loads((devnet.home / "devnet" / "deployment.json").read_text())
    (tmp_path / "devnet").mkdir()
    lie = {**raw, "chain_id": claimed, "rpc_url": other_chain.url}
    (tmp_path / "devnet" / "deployment.json").write_text(json.dumps(lie))
    monkeypatch.setenv("DATADAO_HOME", str(tmp_path))
    monkeypatch.setenv("DATADAO_RENTER_PASSPHRASE", "irrelevant")
    monkeypatch.delenv("DATADAO_RPC_URL", raising=False)
    export = tmp_path / "conversations.json"
    export.write_text("[]")
    args = [a.replace("OUT", str(tmp_path / "out")).replace("EXPORT", str(export)) for a in argv]
    if args[0] == "validator":
        args = [*args[:2], "--home", str(tmp_path), *args[2:]]
    result = CliRunner().invoke(cli, [*args, "--account-index", "5"])
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "refused on chain 1337" in result.output
    assert not (tmp_path / "out").exists()  # nothing was fetched or written
