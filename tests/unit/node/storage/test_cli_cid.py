"""``datadao cid`` through click's CliRunner, via the root group (so the lazy loading is tested)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from storage_testing import ChaChaStream, Vector, load_vectors

from node.cli.main import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_defaults_are_the_project_layout(runner: CliRunner, tmp_path: Path) -> None:
    f = _write(tmp_path / "hw", b"hello world")
    result = runner.invoke(cli, ["cid", str(f)])
    assert result.exit_code == 0, result.output
    assert result.output == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e\n"


def test_cid_version_0_implies_no_raw_leaves_like_kubo(runner: CliRunner, tmp_path: Path) -> None:
    f = _write(tmp_path / "hw", b"hello world")
    result = runner.invoke(cli, ["cid", "--cid-version", "0", str(f)])
    assert result.output == "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD\n"
    result = runner.invoke(cli, ["cid", "--cid-version", "1", "--no-raw-leaves", str(f)])
    assert result.output == "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa\n"


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
    assert result.output.strip() == vector.cid


def test_reads_stdin(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["cid", "-"], input=b"hello world")
    assert result.output == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e\n"


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


def test_refuses_a_directory_and_a_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["cid", str(tmp_path)]).exit_code == 2
    assert runner.invoke(cli, ["cid", str(tmp_path / "absent")]).exit_code == 2
