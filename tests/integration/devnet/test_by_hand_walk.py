"""The README's by-hand walk, as a user types it: one subprocess per command, its own home.

``devnet up`` (with its validators) → a sample export → ``contribute`` → ``devnet advance``
(the daemons commit and reveal on their own) → ``rewards`` shows the epoch finalized →
``rewards --claim`` mints → ``devnet down`` leaves no process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from node.devnet.processes import is_running, load_records
from node.devnet.validators import processes_file
from node.storage.local import LocalBlockstore

pytestmark = pytest.mark.integration

DATADAO = [sys.executable, "-m", "node.cli"]
CONTRIBUTOR = "5"
CONFIG, INPUT, CHAIN, CUSTODY = 3, 4, 5, 7  # node/cli/exit_codes.py


def run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATADAO_HOME": str(home), "COLUMNS": "200"}
    for key in ("DATADAO_RPC_URL", "DATADAO_DEPLOYMENT_FILE", "DATADAO_KUBO_API_URL"):
        env.pop(key, None)
    return subprocess.run(
        [*DATADAO, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_by_hand_walk_from_up_to_a_claim(tmp_path: Path) -> None:
    home = tmp_path / "home"
    t0 = time.monotonic()
    try:
        ok(run(home, "devnet", "up", "--contributors", "2"))
        records = load_records(processes_file(home))
        assert sorted(r.role for r in records) == ["daemon"] * 4 + ["shares"] * 4
        assert all(is_running(r) for r in records)
        status = json.loads(ok(run(home, "devnet", "status", "--json")))
        assert status["running"] is True
        assert [p["running"] for p in status["processes"]] == [True] * 8
        again = ok(run(home, "devnet", "up"))
        assert "already running" in again
        assert load_records(processes_file(home)) == records, "up twice starts nothing twice"

        export = tmp_path / "chatgpt.zip"
        ok(run(home, "devnet", "sample-export", "chatgpt", str(export)))
        ok(run(home, "contribute", str(export), "--account-index", CONTRIBUTOR))
        before = ok(run(home, "rewards", "--account-index", CONTRIBUTOR))
        assert "waiting for epoch" in before, before

        # one step at a time first: the daemons commit on their own
        committed = json.loads(ok(run(home, "devnet", "advance", "--to", "commit", "--json")))
        assert committed["stage"] == "commit"
        assert committed["files"] == 1
        assert len(committed["committee"]) == 4
        assert sorted(committed["committed"]) == sorted(committed["committee"])
        assert committed["finalized"] is False

        done = json.loads(ok(run(home, "devnet", "advance", "--json")))
        assert done["epoch"] == committed["epoch"], "the same epoch is picked up again"
        assert done["finalized"] is True
        assert done["quorum_met"] is True
        assert sorted(done["revealed"]) == sorted(done["committee"])
        assert done["total_units"] > 0
        assert done["root"].startswith("0x")
        scored = time.monotonic()

        after = ok(run(home, "rewards", "--account-index", CONTRIBUTOR))
        assert "ready to claim" in after, after
        claimed = ok(run(home, "rewards", "--claim", "--account-index", CONTRIBUTOR))
        minted = int(claimed.strip().splitlines()[-1].split()[1])
        assert minted > 0, claimed
        nothing_left = run(home, "devnet", "advance")
        assert nothing_left.returncode == INPUT
        assert "no unfinalized epoch with submissions" in nothing_left.stderr

        # the stored contribution leaves as a CAR any node re-imports to the same root
        car = tmp_path / "submission.car"
        ok(run(home, "storage", "car", "--submission", "1", "--out", str(car)))
        with car.open("rb") as fh:
            (root,) = LocalBlockstore(tmp_path / "elsewhere", fsync=False).import_car(fh)
        assert f"root {root}" in ok(run(home, "storage", "car", root, "--out", str(car), "--force"))

        # a dead daemon: status says so with its own exit code
        daemon = next(r for r in records if r.role == "daemon")
        os.kill(daemon.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while is_running(daemon) and time.monotonic() < deadline:
            time.sleep(0.05)
        dead = run(home, "devnet", "status")
        assert dead.returncode == CUSTODY, dead.stderr
        assert "validators DOWN: 1 of 8" in dead.stderr
    finally:
        down = run(home, "devnet", "down")
    print(f"\nby-hand walk: {scored - t0:.1f}s to a scored epoch")  # noqa: T201 - reported
    assert down.returncode == 0, down.stderr
    assert "stopped anvil" in down.stdout
    assert not any(is_running(r) for r in records), "down left a validator process running"
    assert not processes_file(home).exists()
    stopped = run(home, "devnet", "status")
    assert stopped.returncode == CHAIN
    assert "devnet is DOWN" in stopped.stderr
