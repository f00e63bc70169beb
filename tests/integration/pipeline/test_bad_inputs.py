"""Bad inputs fail with a typed error (exit code 1) and leave nothing half-done behind."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from web3 import Web3

from node.chain.dkg import DKGCoordinator
from node.cli.exit_codes import ExitCode
from node.storage.local import LocalBlockstore
from tests.integration.conftest import Devnet
from tests.integration.pipeline.conftest import CONTRIBUTOR_INDEX, NodeHome

pytestmark = pytest.mark.integration


def _assert_nothing_recorded(node_home: NodeHome) -> None:
    assert node_home.rows() == []
    blocks = node_home.home / "blocks"
    if blocks.exists():
        store = LocalBlockstore(blocks, fsync=False)
        assert store.pins() == []
        assert [p for p in (blocks / "blocks").rglob("*") if p.is_file()] == []
    assert not list((node_home.home / "sealed").glob("*"))


def test_malformed_export_exits_1_with_the_parse_error_and_records_nothing(
    devnet: Devnet, node_home: NodeHome, tmp_path: Path
) -> None:
    bad = tmp_path / "chatgpt.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("conversations.json", b'[{"title": "x", "mapping": {"a": ')
        zf.writestr("user.json", b'{"id": "u"}')
    result = node_home.cli(
        "contribute", str(bad), "--platform", "chatgpt", "--account-index", str(CONTRIBUTOR_INDEX)
    )
    assert result.returncode == ExitCode.INPUT, result.stdout + result.stderr
    assert "Error:" in result.stderr
    assert "Traceback" not in result.stderr
    _assert_nothing_recorded(node_home)

    not_an_export = tmp_path / "notes.txt"
    not_an_export.write_text("hello")
    result = node_home.cli("contribute", str(not_an_export), "--account-index", "5")
    assert result.returncode == ExitCode.INPUT
    assert "no parser recognises this export" in result.stderr
    _assert_nothing_recorded(node_home)


def test_account_index_needs_no_keystore_but_a_missing_key_is_explained(
    devnet: Devnet, node_home: NodeHome, export_zip: Path
) -> None:
    result = node_home.cli("contribute", str(export_zip))
    assert result.returncode == ExitCode.CONFIG
    assert "no signing key" in result.stderr
    _assert_nothing_recorded(node_home)


def _clear_active_ritual(devnet: Devnet) -> None:
    """Zero DKGCoordinator's packed ``_activeRitualId`` in anvil's state (test-only surgery,
    inside a snapshot). The slot is found by value and the change verified through the ABI."""
    dkg = DKGCoordinator(devnet.chain, devnet.address("DKGCoordinator"))
    active = int(dkg.activeRitualId())
    assert active != 0
    w3: Web3 = devnet.chain.w3
    for slot in range(8):
        value = int.from_bytes(w3.eth.get_storage_at(dkg.address, slot), "big")
        for shift in range(0, 256 - 32, 8):
            if (value >> shift) & 0xFFFFFFFF != active:
                continue
            patched = value & ~(0xFFFFFFFF << shift)
            w3.provider.make_request(
                "anvil_setStorageAt",  # type: ignore[arg-type]
                [dkg.address, hex(slot), "0x" + patched.to_bytes(32, "big").hex()],
            )
            if dkg.activeRitualId() == 0:
                return
            w3.provider.make_request(
                "anvil_setStorageAt",  # type: ignore[arg-type]
                [dkg.address, hex(slot), "0x" + value.to_bytes(32, "big").hex()],
            )
    raise AssertionError("could not find DKGCoordinator._activeRitualId")


def test_no_active_ritual_is_a_clear_error_and_records_nothing(
    devnet: Devnet, snapshot: None, node_home: NodeHome, export_zip: Path
) -> None:
    _clear_active_ritual(devnet)
    result = node_home.cli("contribute", str(export_zip), "--account-index", "5")
    assert result.returncode == ExitCode.CUSTODY, result.stdout + result.stderr
    assert "no key ritual has completed" in result.stderr
    assert "no DAO public key" in result.stderr
    _assert_nothing_recorded(node_home)


def test_account_index_is_refused_off_the_devnet(
    devnet: Devnet, node_home: NodeHome, export_zip: Path, tmp_path: Path
) -> None:
    """--account-index uses public keys; on any chain id but 31337 it must be refused."""
    from node.chain.anvil import AnvilProcess

    other = AnvilProcess(chain_id=4242).start()
    try:
        result = node_home.cli(
            "contribute",
            str(export_zip),
            "--account-index",
            "5",
            extra_env={"DATADAO_RPC_URL": other.url},
        )
    finally:
        other.stop()
    assert result.returncode == ExitCode.CONFIG
    assert "refused on chain 4242" in result.stderr
    _assert_nothing_recorded(node_home)
