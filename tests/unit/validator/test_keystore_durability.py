"""A validator's keystore write is durable once ``save_secret`` returns: the file's data is
fsync'd before the rename, and the directory after it (the rename itself is otherwise only in
the page cache, and a power cut can bring back the old entry: no key, or the previous one)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from node.protocol.keystore import load_secret, save_secret


def test_directory_is_fsynced_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "keys" / "ferveo.json"
    calls: list[tuple[str, int, bool]] = []  # (kind, inode, target present at that moment)
    real = os.fsync

    def recording(fd: int) -> None:
        st = os.fstat(fd)
        calls.append(("dir" if stat.S_ISDIR(st.st_mode) else "file", st.st_ino, target.exists()))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    save_secret(target, b"seed" * 8, passphrase="pw", kind="ferveo")
    monkeypatch.undo()

    assert [k for k, _, _ in calls] == ["file", "dir"]
    file_call, dir_call = calls
    assert file_call[2] is False  # data synced before the rename made it visible
    assert dir_call[1] == target.parent.stat().st_ino  # the directory holding the key
    assert dir_call[2] is True  # after the rename
    assert load_secret(target, passphrase="pw", kind="ferveo").reveal() == b"seed" * 8


def test_a_failed_directory_fsync_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the rename cannot be made durable the caller hears of it (OSError), instead of being
    told the key is saved."""
    real = os.fsync

    def failing_on_dirs(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(5, "I/O error")
        real(fd)

    monkeypatch.setattr(os, "fsync", failing_on_dirs)
    with pytest.raises(OSError, match="I/O error"):
        save_secret(tmp_path / "k.json", b"x" * 32, passphrase="pw", kind="ferveo")
