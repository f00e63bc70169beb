"""The demo's supervisor stops every child it started: on exit, on an exception, and the
children's own children too (each runs in its own process group)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from node.demo.procs import (
    ChildExited,
    ChildNotReady,
    DemoInterrupted,
    Supervisor,
    signals_raise,
)

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
# a child that ignores SIGTERM and starts a grandchild: only SIGKILL to the group stops both
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "print(p.pid, flush=True)\n"
    "time.sleep(600)\n",
]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill(0); it is dead for our purposes
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True
    return state == "Z"


def _wait_gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_children_are_stopped_when_the_block_raises(tmp_path: Path) -> None:
    pids: list[int] = []

    def stage() -> None:
        with Supervisor(grace_s=2) as sup:
            for i in range(3):
                pids.append(sup.spawn(f"sleeper {i}", SLEEPER, log=tmp_path / f"{i}.log").pid)
            raise RuntimeError("stage failed")

    with pytest.raises(RuntimeError, match="stage failed"):
        stage()
    assert len(pids) == 3
    assert all(_wait_gone(pid) for pid in pids)


def test_sigterm_ignoring_child_and_its_grandchild_are_killed(tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    sup = Supervisor(grace_s=0.5)
    child = sup.spawn("stubborn", STUBBORN, log=log)
    deadline = time.monotonic() + 10
    while not log.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(log.read_text().split()[0])
    assert sup.close() == []
    assert _wait_gone(child.pid)
    assert _wait_gone(grandchild)


def test_close_runs_cleanups_after_children_and_is_idempotent(tmp_path: Path) -> None:
    order: list[str] = []
    sup = Supervisor(grace_s=1)
    child = sup.spawn("sleeper", SLEEPER, log=tmp_path / "s.log")
    sup.on_close("first", lambda: order.append("first"))
    sup.on_close("second", lambda: order.append("second" if not child.alive() else "early"))
    sup.close()
    sup.close()
    assert order == ["second", "first"]
    with pytest.raises(DemoInterrupted):
        sup.spawn("late", SLEEPER, log=tmp_path / "late.log")


def test_a_failing_cleanup_is_reported_not_raised(tmp_path: Path) -> None:
    sup = Supervisor()

    def boom() -> None:
        raise OSError("disk on fire")

    sup.on_close("anvil", boom)
    assert sup.close() == ["anvil: disk on fire"]


def test_a_dead_child_is_reported_with_its_log(tmp_path: Path) -> None:
    with Supervisor() as sup:
        child = sup.spawn(
            "quitter", [sys.executable, "-c", "raise SystemExit(3)"], log=tmp_path / "q.log"
        )
        child.proc.wait(10)
        with pytest.raises(ChildExited, match=r"quitter exited with code 3; see its log: .*q\.log"):
            sup.check()


def test_wait_http_gives_up_naming_the_log(tmp_path: Path) -> None:
    with Supervisor() as sup:
        child = sup.spawn("mute", SLEEPER, log=tmp_path / "mute.log")
        with pytest.raises(ChildNotReady, match="mute did not answer"):
            sup.wait_http(child, "http://127.0.0.1:9/v1/health", timeout_s=0.5)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_raise_inside_signals_raise(sig: signal.Signals) -> None:
    before = signal.getsignal(sig)

    def stopped() -> None:
        with signals_raise():
            os.kill(os.getpid(), sig)
            time.sleep(5)

    with pytest.raises(DemoInterrupted, match=sig.name):
        stopped()
    assert signal.getsignal(sig) is before
