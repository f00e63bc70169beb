"""`datadao value` end to end on a folder of contributor files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from valuation_params import cuda_param

from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from validator.valuation.data import Record
from validator.valuation.spec import FeaturizerSpec, ValuationSpec
from validator.valuation.synthetic import chat_records, shuffled_records


def _write(path: Path, records: list[Record]) -> None:
    path.write_text("".join(json.dumps({"text": r.text}) + "\n" for r in records))


def _folder(tmp_path: Path) -> tuple[ValuationSpec, list[str]]:
    """Four honest chat contributors, shuffled noise and a broken file; the `value` arguments."""
    rng = np.random.default_rng(11)
    data = tmp_path / "contributors"
    data.mkdir()
    for j in range(4):
        _write(data / f"alice{j}.jsonl", chat_records(rng, 15))
    _write(data / "mallory.jsonl", shuffled_records(chat_records(rng, 15), rng))
    (data / "broken.jsonl").write_text('{"text": "ok"}\nnot json\n')
    val = chat_records(rng, 30)
    _write(tmp_path / "val.jsonl", val)
    _write(tmp_path / "pool.jsonl", chat_records(rng, 10))
    spec = ValuationSpec(featurizer=FeaturizerSpec(order=3), n_models=32)
    (tmp_path / "spec.json").write_text(spec.canonical_json())
    args = [
        "value", "--spec", str(tmp_path / "spec.json"), "--data", str(data),
        "--validation", str(tmp_path / "val.jsonl"), "--pool", str(tmp_path / "pool.jsonl"),
        "--seed", "0x" + "ab" * 32, "--threads", "1",
    ]  # fmt: skip
    return spec, args


def test_value_writes_report_and_label(tmp_path: Path) -> None:
    spec, args = _folder(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["spec_digest"] == spec.digest()
    rows = {r["id"]: r for r in report["contributors"]}
    assert rows["broken"]["flags"][0].startswith("malformed: line 2")
    assert rows["mallory"]["bps"] == 0
    assert sum(r["bps"] for r in rows.values()) == 10_000
    assert report["learning_curve"]["exponent"] < 0
    assert (out / "label.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("device", ["cpu", cuda_param])
def test_value_on_a_device_reports_what_the_cpu_does(tmp_path: Path, device: str) -> None:
    _, args = _folder(tmp_path)
    reports = []
    for dev in ("cpu", device):
        out = tmp_path / f"out-{dev}"
        result = CliRunner().invoke(cli, [*args, "--out", str(out), "--device", dev])
        assert result.exit_code == 0, result.output
        reports.append(json.loads((out / "report.json").read_text()))
    cpu, other = ({r["id"]: (r["bps"], r["flags"]) for r in rep["contributors"]} for rep in reports)
    assert cpu == other
    assert reports[1]["backend"].startswith(device)


def test_bad_seed_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "spec.json").write_text("{}")
    result = CliRunner().invoke(
        cli,
        ["value", "--spec", str(tmp_path / "spec.json"), "--data", str(tmp_path),
         "--validation", str(tmp_path / "v.jsonl"), "--seed", "0x1234"],
    )  # fmt: skip
    assert result.exit_code == ExitCode.VALUATION
    assert "32 bytes" in result.output


def test_zero_threads_is_a_clean_usage_error(tmp_path: Path) -> None:
    _, args = _folder(tmp_path)
    result = CliRunner().invoke(cli, [*args, "--threads", "0", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--threads" in result.output
    assert not (tmp_path / "out").exists()
