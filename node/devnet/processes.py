"""Detached background processes, recorded on disk so that a later command finds and stops them.

``datadao devnet up`` starts the validators' share services and scoring daemons and returns; they
keep running until ``datadao devnet down``. Unlike the demo's supervised children (which die with
the demo), these must outlive the command that started them, so:

* each runs in its own session and process group (``start_new_session``): a Ctrl-C in the
  terminal that started it does not reach it, and stopping its group stops whatever it spawned;
* its pid, the kernel's start time of that pid, its argv, log and health URL are written to a
  JSON record (``<home>/devnet/processes.json``), atomically;
* a recorded pid counts as ours only while the kernel's start time still matches (a pid reused
  by an unrelated process after a reboot or a crash is never signalled), and a zombie counts
  as stopped;
* :func:`stop_processes` sends SIGTERM to every group, waits a grace period, then SIGKILLs what is
  left, and finally the group again for grandchildren that outlived their leader.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from node.devnet.errors import ProcessExited, ProcessNotReady
from node.errors import ConfigError

__all__ = [
    "ProcessRecord",
    "http_status",
    "is_running",
    "load_records",
    "python_cli",
    "save_records",
    "spawn_detached",
    "stop_processes",
    "wait_ready",
]

Popen = Callable[..., subprocess.Popen[bytes]]


@dataclass(frozen=True)
class ProcessRecord:
    """One detached process as the record keeps it.

    Attributes:
        name: what messages call it ("share service of 0xAbc…").
        role: what it is ("shares", "daemon"); with ``key`` it identifies the slot it fills.
        key: whom it serves (a validator's address).
        pid: its pid, which is also its process group id.
        start_ticks: the kernel's start time of ``pid`` (``/proc/<pid>/stat`` field 22), or None
            where there is no ``/proc``.
        argv: the command line it was started with.
        log: where its stdout and stderr go.
        health_url: a URL that answers HTTP once it is serving, or None.
    """

    name: str
    role: str
    key: str
    pid: int
    start_ticks: int | None
    argv: list[str]
    log: str
    health_url: str | None = None


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start ticks) of ``pid`` from ``/proc``, or None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = raw[raw.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def _has_proc() -> bool:
    return Path("/proc/self/stat").exists()


def _reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is our child (tests start the devnet in-process),
    so that it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_running(record: ProcessRecord) -> bool:
    """Whether the recorded process is still the one we started, and not a zombie."""
    _reap(record.pid)
    if not _has_proc():
        try:
            os.kill(record.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False  # not ours
        return True
    stat = _stat(record.pid)
    if stat is None:
        return False
    state, ticks = stat
    if state in ("Z", "X"):
        return False
    return record.start_ticks is None or ticks == record.start_ticks


def spawn_detached(
    name: str,
    role: str,
    key: str,
    argv: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str],
    health_url: str | None = None,
    popen: Popen = subprocess.Popen,
) -> ProcessRecord:
    """Start ``argv`` in a new session with stdout and stderr appended to ``log``, not waiting
    for it; the caller records the returned :class:`ProcessRecord`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as fh:
        proc = popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
            close_fds=True,
        )
    stat = _stat(proc.pid)
    return ProcessRecord(
        name=name,
        role=role,
        key=key,
        pid=proc.pid,
        start_ticks=stat[1] if stat else None,
        argv=list(argv),
        log=str(log),
        health_url=health_url,
    )


def load_records(path: Path) -> list[ProcessRecord]:
    """The recorded processes (none if there is no record).

    Raises:
        ConfigError: the record exists but is damaged (it names what to remove).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    try:
        return [ProcessRecord(**item) for item in json.loads(raw)["processes"]]
    except (ValueError, TypeError, KeyError) as err:
        raise ConfigError(
            f"the process record {path} is damaged ({type(err).__name__}); stop the processes "
            "it listed by hand and remove it"
        ) from None


def save_records(path: Path, records: Sequence[ProcessRecord]) -> None:
    """Write the record atomically; an empty list removes it."""
    if not records:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    try:
        tmp.write_text(json.dumps({"processes": [asdict(r) for r in records]}, indent=1))
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _signal_group(record: ProcessRecord, sig: signal.Signals) -> None:
    # the process leads its own session, so its group id is its pid; never signal our own group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if record.pid != os.getpgrp():
            os.killpg(record.pid, sig)


def stop_processes(
    records: Sequence[ProcessRecord],
    *,
    grace_s: float = 10.0,
    progress: Callable[[str], None] = lambda _m: None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """SIGTERM each running process's group, wait up to ``grace_s``, SIGKILL the rest.

    Returns:
        One line per process that survived even SIGKILL (never raises: it runs on the way down).
    """
    running = [r for r in records if is_running(r)]
    for r in running:
        _signal_group(r, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(is_running(r) for r in running) and time.monotonic() < deadline:
        sleep(0.1)
    for r in running:
        if is_running(r):
            _signal_group(r, signal.SIGKILL)
            progress(f"{r.name} (pid {r.pid}) ignored SIGTERM for {grace_s:.0f}s: killed")
    deadline = time.monotonic() + 5.0
    while any(is_running(r) for r in running) and time.monotonic() < deadline:
        sleep(0.05)
    problems = []
    for r in running:
        if is_running(r):
            problems.append(f"{r.name} (pid {r.pid}) survived SIGKILL")
        else:
            # grandchildren that outlived the leader are still in its group
            _signal_group(r, signal.SIGKILL)
            progress(f"stopped {r.name} (pid {r.pid})")
    return problems


def http_status(url: str, timeout_s: float = 1.0) -> int | None:
    """The HTTP status ``url`` answers a GET with, or None if nothing answers."""
    try:
        with httpx.Client(timeout=timeout_s) as http:
            return http.get(url).status_code
    except httpx.HTTPError:
        return None


def wait_ready(
    records: Sequence[ProcessRecord],
    *,
    timeout_s: float,
    poll_s: float = 0.25,
    progress: Callable[[str], None] = lambda _m: None,
) -> None:
    """Block until every record with a health URL answers it (any HTTP status: a daemon's
    ``/healthz`` is 503 until its first tick), checking all the while that each still runs.

    Raises:
        ProcessExited: a process exited while we waited.
        ProcessNotReady: a health URL gave no answer within ``timeout_s``.
    """
    pending = [r for r in records if r.health_url]
    deadline = time.monotonic() + timeout_s
    while pending:
        for r in list(pending):
            if not is_running(r):
                raise ProcessExited(r.name, Path(r.log))
            status = http_status(str(r.health_url))
            if status is not None:
                pending.remove(r)
                progress(f"{r.name} answers on {r.health_url}")
        if pending and time.monotonic() > deadline:
            r = pending[0]
            raise ProcessNotReady(r.name, str(r.health_url), timeout_s, Path(r.log))
        if pending:
            time.sleep(poll_s)


def python_cli(*args: str) -> list[str]:
    """``datadao ARGS`` with this interpreter (the venv's, whatever is on PATH)."""
    return [sys.executable, "-m", "node.cli", *args]
