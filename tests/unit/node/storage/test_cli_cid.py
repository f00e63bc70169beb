"""``datadao cid`` through click's CliRunner, via the root group (so the lazy loading is tested).

The command must say what it hashed (the file as is, the plaintext export, not the sealed copy
``contribute`` stores) and with which layout, keep stdout to the CID alone (scripts and
``scripts/bench/cid.py`` read it), and turn every unusable path into one typed line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from storage_testing import ChaChaStream, Vector, load_vectors

import node.cli.cid as cid_module
from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from node.storage.unixfs import import_bytes

HW_V1 = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"  # Kubo's published vectors
HW_V0 = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
HW_V1_PB = "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa"
PROJECT_LAYOUT_JSON = {
    "cid_version": 1,
    "raw_leaves": True,
    "chunk_size": 262144,
    "max_links": 174,
    "description": "CIDv1, raw leaves, 256 KiB chunks, 174 links",
    "project_layout": True,
    "ipfs_add": "ipfs add --cid-version=1",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- hostile paths first ------------------------------------------------------------------------


def _unreadable_by_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    f = _write(tmp_path / "secret", b"x")
    f.chmod(0)
    return f, "Permission denied"


def _unreadable_by_os(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """root reads mode-000 files, so the refusal the OS would give anyone else is injected."""
    f = _write(tmp_path / "secret", b"x")

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(f))

    monkeypatch.setattr(cid_module, "open", refuse, raising=False)
    return f, "Permission denied"


def _fails_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """Opens fine, then read() fails: /proc/self/mem at offset 0 is unmapped (EIO)."""
    return Path("/proc/self/mem"), "read failed: Input/output error"


def _missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    return tmp_path / "absent.zip", "no such file"


def _directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    return tmp_path, "it is a directory; give one file"


def _missing_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    f = _write(tmp_path / "file", b"x")
    return f / "child", "Not a directory"


_HOSTILE = [_missing, _directory, _missing_parent, _unreadable_by_os]
if os.geteuid() != 0:
    _HOSTILE.append(_unreadable_by_mode)
if Path("/proc/self/mem").exists():
    _HOSTILE.append(_fails_while_reading)


@pytest.mark.parametrize("make", _HOSTILE, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_an_unusable_path_is_one_typed_line_and_exit_4(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Any,
    as_json: bool,
) -> None:
    path, reason = make(tmp_path, monkeypatch)
    result = runner.invoke(cli, ["cid", *(["--json"] if as_json else []), str(path)])
    assert result.exit_code == ExitCode.INPUT, result.output
    assert result.stdout == ""  # nothing a script could mistake for a CID or a document
    assert result.stderr.splitlines() == [f"Error: cannot hash {path}: {reason}"]


def test_the_typed_error_is_an_input_error() -> None:
    from node.errors import InputError

    err = cid_module.CidInputError("x", "no such file")
    assert isinstance(err, InputError)
    assert (err.path, err.reason) == ("x", "no such file")


# -- what was hashed, and how -------------------------------------------------------------------


def test_defaults_are_the_project_layout_and_say_so(runner: CliRunner, tmp_path: Path) -> None:
    f = _write(tmp_path / "export.zip", b"hello world")
    result = runner.invoke(cli, ["cid", str(f)])
    assert result.exit_code == 0, result.output
    assert result.stdout == HW_V1 + "\n"  # stdout is the CID alone
    note = result.stderr
    assert f"hashed: {f} as is: 11 bytes of plaintext" in note
    assert "not the sealed file `datadao contribute` stores" in note
    assert "CIDv1, raw leaves, 256 KiB chunks, 174 links (the project's storage layout)" in note
    assert "= `ipfs add --cid-version=1`" in note
    assert "a plain `ipfs add` (Kubo's defaults, CIDv0) matches --cid-version 0" in note


def test_cid_version_0_is_what_a_plain_ipfs_add_gives(runner: CliRunner, tmp_path: Path) -> None:
    f = _write(tmp_path / "hw", b"hello world")
    result = runner.invoke(cli, ["cid", "--cid-version", "0", str(f)])
    assert result.exit_code == 0, result.output
    assert result.stdout == HW_V0 + "\n"
    assert "CIDv0, dag-pb leaves, 256 KiB chunks, 174 links (Kubo's defaults) = `ipfs add`\n" in (
        result.stderr
    )
    assert "matches --cid-version 0" not in result.stderr


def test_cid_version_1_without_raw_leaves(runner: CliRunner, tmp_path: Path) -> None:
    f = _write(tmp_path / "hw", b"hello world")
    result = runner.invoke(cli, ["cid", "--cid-version", "1", "--no-raw-leaves", str(f)])
    assert result.stdout == HW_V1_PB + "\n"
    assert "= `ipfs add --cid-version=1 --raw-leaves=false`" in result.stderr
    assert "project's storage layout" not in result.stderr


def test_quiet_prints_only_the_cid(runner: CliRunner, tmp_path: Path) -> None:
    f = _write(tmp_path / "hw", b"hello world")
    result = runner.invoke(cli, ["cid", "-q", str(f)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, HW_V1 + "\n", "")


def test_json_project_layout(runner: CliRunner, tmp_path: Path) -> None:
    f = _write(tmp_path / "hw", b"hello world")
    result = runner.invoke(cli, ["cid", "--json", str(f)])
    assert _json(result) == {
        "cid": HW_V1,
        "bytes": 11,
        "hashed": "plaintext file",
        "path": str(f),
        "layout": PROJECT_LAYOUT_JSON,
    }
    assert result.stderr == ""  # the note is for people; the document says it all


def test_json_cid_version_0(runner: CliRunner, tmp_path: Path) -> None:
    f = _write(tmp_path / "hw", b"hello world")
    doc = _json(runner.invoke(cli, ["cid", "--json", "--cid-version", "0", str(f)]))
    assert doc["cid"] == HW_V0
    assert doc["hashed"] == "plaintext file"
    assert doc["layout"] == {
        "cid_version": 0,
        "raw_leaves": False,
        "chunk_size": 262144,
        "max_links": 174,
        "description": "CIDv0, dag-pb leaves, 256 KiB chunks, 174 links",
        "project_layout": False,
        "ipfs_add": "ipfs add",
    }


def test_json_of_a_multi_block_file(runner: CliRunner, tmp_path: Path) -> None:
    """Kubo's published CIDv0 vector for 256 KiB + 1 byte (two leaves under a root)."""
    (vector,) = [v for v in load_vectors() if v.name == "v0 file chunk size + 1"]
    assert vector.seed is not None
    f = _write(tmp_path / "in", ChaChaStream(vector.seed, vector.size).read())
    doc = _json(runner.invoke(cli, ["cid", "--json", "--cid-version=0", str(f)]))
    assert (doc["cid"], doc["bytes"]) == (vector.cid, 262_145)


def test_stdin(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["cid", "-"], input=b"hello world")
    assert result.stdout == HW_V1 + "\n"
    assert "hashed: stdin as is: 11 bytes of plaintext" in result.stderr
    doc = _json(runner.invoke(cli, ["cid", "--json", "-"], input=b"hello world"))
    assert (doc["cid"], doc["hashed"], doc["path"]) == (HW_V1, "plaintext stdin", None)


# -- progress -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "tty", "shown"),
    [
        (cid_module.PROGRESS_MIN_BYTES, True, True),
        (None, True, True),  # stdin or a pipe: size unknown
        (cid_module.PROGRESS_MIN_BYTES - 1, True, False),
        (cid_module.PROGRESS_MIN_BYTES, False, False),  # never into a log file or a pipe
    ],
)
def test_progress_only_at_a_terminal_and_for_large_inputs(
    size: int | None, tty: bool, shown: bool
) -> None:
    assert cid_module.show_progress(size, stderr_is_tty=tty) is shown


def test_with_the_bar_forced_on_stdout_still_carries_only_the_result(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cid_module, "_stderr_is_tty", lambda: True)
    monkeypatch.setattr(cid_module, "PROGRESS_MIN_BYTES", 1)
    seen: list[int] = []
    real = cid_module._Counting.readinto

    def spy(self: Any, buf: bytearray | memoryview) -> int:
        n = real(self, buf)
        seen.append(n)
        return n

    monkeypatch.setattr(cid_module._Counting, "readinto", spy)
    data = ChaChaStream("progress", 3 * 262_144 + 5).read()
    f = _write(tmp_path / "big", data)
    result = runner.invoke(cli, ["cid", str(f)])
    assert result.exit_code == 0, result.output
    expected = import_bytes(data).cid
    assert result.stdout == expected + "\n"
    assert sum(seen) == len(data)  # every byte went through the counting reader
    doc = _json(runner.invoke(cli, ["cid", "--json", str(f)]))
    assert doc["cid"] == expected


# -- layouts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vector",
    [v for v in load_vectors() if not v.slow and v.seed is not None],
    ids=lambda v: v.name,
)
def test_every_option_against_kubo_vectors(
    runner: CliRunner, tmp_path: Path, vector: Vector
) -> None:
    assert vector.seed is not None
    f = _write(tmp_path / "in", ChaChaStream(vector.seed, vector.size).read())
    lay = vector.layout
    args = [
        "cid",
        f"--cid-version={lay.cid_version}",
        "--raw-leaves" if lay.raw_leaves else "--no-raw-leaves",
        f"--chunk-size={lay.chunk_size}",
        f"--max-links={lay.max_links}",
        str(f),
    ]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == vector.cid


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cid-version", "2"], "0<=x<=1"),
        (["--chunk-size", "1048577"], "1<=x<=1048576"),
        (["--max-links", "1"], "x>=2"),
    ],
)
def test_refuses_layouts_kubo_refuses(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    f = _write(tmp_path / "x", b"x")
    result = runner.invoke(cli, ["cid", *args, str(f)])
    assert result.exit_code == 2
    assert message in result.output
