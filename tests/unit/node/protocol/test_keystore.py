"""The validator keystore: round trip, permissions, wrong passphrase, wrong kind, redaction."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from node.protocol.keystore import KeystoreError, load_secret, save_secret


def test_round_trip_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "k" / "ferveo.json"
    save_secret(path, b"\x01" * 32, passphrase="pw", kind="ferveo")
    assert path.stat().st_mode & 0o777 == 0o600
    secret = load_secret(path, passphrase="pw", kind="ferveo")
    assert secret.reveal() == b"\x01" * 32
    assert "01" not in repr(secret)
    assert "redacted" in str(secret)


@pytest.mark.parametrize(("passphrase", "kind"), [("wrong", "ferveo"), ("pw", "other")])
def test_wrong_passphrase_or_kind_is_refused(tmp_path: Path, passphrase: str, kind: str) -> None:
    path = tmp_path / "k.json"
    save_secret(path, b"s", passphrase="pw", kind="ferveo")
    with pytest.raises(KeystoreError, match="wrong passphrase"):
        load_secret(path, passphrase=passphrase, kind=kind)


def test_group_readable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    save_secret(path, b"s", passphrase="pw", kind="ferveo")
    os.chmod(path, 0o644)
    with pytest.raises(KeystoreError, match="readable by others"):
        load_secret(path, passphrase="pw", kind="ferveo")


def test_malformed_and_missing(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="no keystore"):
        load_secret(tmp_path / "none.json", passphrase="pw", kind="ferveo")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    os.chmod(bad, 0o600)
    with pytest.raises(KeystoreError, match="malformed"):
        load_secret(bad, passphrase="pw", kind="ferveo")


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match="empty"):
        save_secret(tmp_path / "k.json", b"s", passphrase="", kind="ferveo")
