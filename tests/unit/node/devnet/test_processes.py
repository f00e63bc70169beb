"""Detached background processes: recorded, recognised only while they are ours, always stopped.

Real processes (``sleep`` and small Python scripts), since what is under test is how they meet
the kernel: sessions, process groups, pid reuse, zombies, signals that are ignored.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.devnet.errors import ProcessExited, ProcessNotReady
from node.devnet.processes import (
    ProcessRecord,
    is_running,
    load_records,
    save_records,
    spawn_detached,
    stop_processes,
    wait_ready,
)
from node.devnet.validation import SPEC_FILE
from node.devnet.validators import daemon_argv, share_service_argv, validator_env
from node.errors import ConfigError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")

IGNORES_TERM = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(120)\n"
)
SPAWNS_GRANDCHILD = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen(['sleep', '120'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[ProcessRecord]]:
    """Records of what a test started; whatever is left is stopped afterwards."""
    records: list[ProcessRecord] = []
    yield records
    stop_processes(records, grace_s=0.5)


def spawn(tmp_path: Path, argv: list[str], name: str = "p") -> ProcessRecord:
    return spawn_detached(name, "test", name, argv, log=tmp_path / f"{name}.log", env=os.environ)


def wait_for_log(path: Path, timeout_s: float = 20.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.strip():
            return text
        time.sleep(0.05)
    raise AssertionError(f"nothing in {path}")


# --------------------------------------------------------------------------------- hostile


def test_a_reused_pid_is_never_ours(tmp_path: Path, started: list[ProcessRecord]) -> None:
    r = spawn(tmp_path, ["sleep", "60"])
    started.append(r)
    assert is_running(r)
    assert r.start_ticks is not None
    impostor = dataclasses.replace(r, start_ticks=r.start_ticks + 1)
    assert not is_running(impostor), "another process under the same pid is not ours"
    # and stopping the impostor's record signals nothing
    assert stop_processes([impostor], grace_s=0.1) == []
    assert is_running(r)


def test_a_pid_that_does_not_exist_is_not_running() -> None:
    r = ProcessRecord("gone", "test", "gone", 2**22 + 12345, 1, ["x"], "/dev/null")
    assert not is_running(r)
    assert stop_processes([r], grace_s=0.1) == []


def test_an_exited_child_is_not_running_even_unreaped(tmp_path: Path) -> None:
    # started from this process, so it becomes our zombie until someone waits for it
    r = spawn(tmp_path, [sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 20
    while is_running(r) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_running(r)


def test_sigterm_ignored_means_sigkill_after_the_grace(
    tmp_path: Path, started: list[ProcessRecord]
) -> None:
    r = spawn(tmp_path, [sys.executable, "-c", IGNORES_TERM], "stubborn")
    started.append(r)
    wait_for_log(tmp_path / "stubborn.log")
    said: list[str] = []
    assert stop_processes([r], grace_s=0.5, progress=said.append) == []
    assert not is_running(r)
    assert any("ignored SIGTERM" in line for line in said)


def test_stopping_the_group_also_stops_grandchildren(
    tmp_path: Path, started: list[ProcessRecord]
) -> None:
    r = spawn(tmp_path, [sys.executable, "-c", SPAWNS_GRANDCHILD], "parent")
    started.append(r)
    grandchild = int(wait_for_log(tmp_path / "parent.log").split()[0])
    assert os.getpgid(grandchild) == r.pid, "the grandchild is in the detached group"
    stop_processes([r], grace_s=5)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{grandchild}").exists() and time.monotonic() < deadline:
        state = Path(f"/proc/{grandchild}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":  # dead, waiting for its (re)parent to reap it
            break
        time.sleep(0.05)
    else:
        assert not Path(f"/proc/{grandchild}").exists()


def test_a_detached_process_has_its_own_session(
    tmp_path: Path, started: list[ProcessRecord]
) -> None:
    r = spawn(tmp_path, ["sleep", "60"])
    started.append(r)
    assert os.getpgid(r.pid) == r.pid
    assert os.getsid(r.pid) == r.pid, "a Ctrl-C in our terminal must not reach it"
    assert os.getpgid(r.pid) != os.getpgrp()


def test_a_damaged_record_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "processes.json"
    for text in ("{", '{"processes": [{"pid": 1}]}', "[]", '{"processes": 7}'):
        path.write_text(text)
        with pytest.raises(ConfigError, match="damaged"):
            load_records(path)


def test_wait_ready_names_the_process_that_died(tmp_path: Path) -> None:
    r = spawn_detached(
        "dies",
        "test",
        "k",
        [sys.executable, "-c", "raise SystemExit(3)"],
        log=tmp_path / "dies.log",
        env=os.environ,
        health_url="http://127.0.0.1:9/never",
    )
    with pytest.raises(ProcessExited) as info:
        wait_ready([r], timeout_s=30)
    assert info.value.log == tmp_path / "dies.log"


def test_wait_ready_times_out_on_silence(tmp_path: Path, started: list[ProcessRecord]) -> None:
    r = spawn_detached(
        "mute",
        "test",
        "k",
        ["sleep", "60"],
        log=tmp_path / "mute.log",
        env=os.environ,
        health_url="http://127.0.0.1:9/never",
    )
    started.append(r)
    with pytest.raises(ProcessNotReady, match="did not answer"):
        wait_ready([r], timeout_s=0.3, poll_s=0.05)


# --------------------------------------------------------------------------------- happy


def test_records_round_trip_and_an_empty_list_removes_the_file(
    tmp_path: Path, started: list[ProcessRecord]
) -> None:
    r = spawn(tmp_path, ["sleep", "60"])
    started.append(r)
    path = tmp_path / "devnet" / "processes.json"
    save_records(path, [r])
    assert load_records(path) == [r]
    assert is_running(load_records(path)[0])
    save_records(path, [])
    assert not path.exists()
    assert load_records(path) == []


def test_sigterm_stops_a_well_behaved_process(tmp_path: Path, started: list[ProcessRecord]) -> None:
    r = spawn(tmp_path, ["sleep", "60"])
    started.append(r)
    said: list[str] = []
    assert stop_processes([r], grace_s=10, progress=said.append) == []
    assert not is_running(r)
    assert said == [f"stopped p (pid {r.pid})"]


def test_validator_commands_match_what_the_demo_runs(tmp_path: Path) -> None:
    v = {"address": "0xAb", "account_index": 2, "share_url": "http://127.0.0.1:8702"}
    shares = share_service_argv(tmp_path, v)
    assert shares[1:] == [
        "-m", "node.cli", "validator", "serve-shares", "--home", str(tmp_path),
        "--validator", "0xAb", "--port", "8702", "--confirmations", "1", "--quiet",
    ]  # fmt: skip
    daemon = daemon_argv(tmp_path, v, metrics_port=9101)
    assert daemon[3:] == [
        "validator", "run", "--home", str(tmp_path), "--account-index", "2",
        "--spec", str(SPEC_FILE), "--confirmations", "1", "--interval", "1.0",
        "--threads", "1", "--metrics-port", "9101",
    ]  # fmt: skip
    env = validator_env(tmp_path, base={"PATH": "/bin"})
    assert env["DATADAO_HOME"] == str(tmp_path)
    assert env["DATADAO_VALIDATOR_PASSPHRASE"]
    with pytest.raises(ConfigError, match="no port"):
        share_service_argv(tmp_path, {**v, "share_url": "http://127.0.0.1"})
