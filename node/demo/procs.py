"""Child-process supervision for ``datadao demo``: start, wait for, and always stop.

The demo runs a whole Data DAO on one machine (share services and validator daemons as child
processes). Whatever happens — a failed stage, Ctrl-C, SIGTERM from a CI runner — it must not
leave anything behind, because an orphaned share service keeps its port and an orphaned daemon
keeps sending transactions to an anvil that is gone. So:

* every child runs in its own process group (``start_new_session``), so stopping it also stops
  whatever it spawned, and a Ctrl-C in the terminal reaches only the demo, which then stops the
  children in order instead of racing them;
* on Linux each child also gets ``PR_SET_PDEATHSIG`` = SIGTERM, so even a demo killed with
  SIGKILL (no ``finally`` runs) takes its children down with it;
* :meth:`Supervisor.close` sends SIGTERM to each group, waits, then SIGKILLs what is left; it is
  idempotent and runs from ``__exit__`` and from extra cleanup callbacks (anvil);
* :func:`signals_raise` turns SIGINT/SIGTERM/SIGHUP into :class:`DemoInterrupted` so
  ``finally`` blocks run and the exit is one clear line.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO

import httpx

from node.errors import DataDaoError

__all__ = [
    "Child",
    "ChildExited",
    "ChildNotReady",
    "DemoInterrupted",
    "Supervisor",
    "port_open",
    "signals_raise",
]

_PR_SET_PDEATHSIG = 1


class DemoInterrupted(DataDaoError):
    """The demo was asked to stop (Ctrl-C, SIGTERM, SIGHUP); children are being stopped."""


class ChildExited(DataDaoError):
    """A child process the demo depends on exited; its log says why."""

    def __init__(self, name: str, code: int, log: Path) -> None:
        super().__init__(f"{name} exited with code {code}; see its log: {log}")
        self.name, self.code, self.log = name, code, log


class ChildNotReady(DataDaoError):
    """A child did not become ready (e.g. answer HTTP) in time."""

    def __init__(self, name: str, what: str, timeout_s: float, log: Path) -> None:
        super().__init__(f"{name} did not {what} within {timeout_s:.0f}s; see its log: {log}")
        self.name, self.log = name, log


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A preexec hook (Linux): the kernel SIGTERMs the child when the demo dies, even by SIGKILL.

    libc is loaded here, in the parent: the hook runs between fork and exec, where only the
    ``prctl`` call itself is safe (no dlopen, no locks)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


@dataclass
class Child:
    """One supervised process and where its output goes."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    _log_fh: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def check(self) -> None:
        """Raise :class:`ChildExited` if the process is gone."""
        code = self.proc.poll()
        if code is not None:
            raise ChildExited(self.name, code, self.log)


class Supervisor:
    """Starts children in their own process groups and stops all of them on exit.

    Args:
        grace_s: how long a child gets between SIGTERM and SIGKILL.
        popen: injected process factory (tests); ``subprocess.Popen`` by default.
    """

    def __init__(
        self,
        *,
        grace_s: float = 5.0,
        popen: Callable[..., subprocess.Popen[bytes]] = subprocess.Popen,
    ) -> None:
        self._grace_s = grace_s
        self._popen = popen
        self._children: list[Child] = []
        self._cleanups: list[tuple[str, Callable[[], None]]] = []
        self._closed = False

    @property
    def children(self) -> tuple[Child, ...]:
        return tuple(self._children)

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def spawn(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Child:
        """Start ``argv`` with stdout and stderr appended to ``log``."""
        if self._closed:
            raise DemoInterrupted(f"not starting {name}: the supervisor is shutting down")
        log.parent.mkdir(parents=True, exist_ok=True)
        fh = log.open("ab")
        try:
            proc = self._popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent_hook(),
            )
        except BaseException:
            fh.close()
            raise
        child = Child(name=name, proc=proc, log=log, _log_fh=fh)
        self._children.append(child)
        return child

    def on_close(self, name: str, fn: Callable[[], None]) -> None:
        """Run ``fn`` at close, after the children are stopped (e.g. stop anvil)."""
        self._cleanups.append((name, fn))

    def check(self) -> None:
        """Raise :class:`ChildExited` for the first child that is no longer running."""
        for child in self._children:
            child.check()

    def close(self) -> list[str]:
        """Stop every child (SIGTERM to its group, then SIGKILL) and run the cleanups.

        Returns the problems met (never raises: it runs from ``finally``).
        """
        if self._closed:
            return []
        self._closed = True
        problems: list[str] = []
        for child in reversed(self._children):
            if child.alive():
                _signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + self._grace_s
        for child in reversed(self._children):
            left = max(0.0, deadline - time.monotonic())
            try:
                child.proc.wait(left)
            except subprocess.TimeoutExpired:
                _signal_group(child.proc, signal.SIGKILL)
                try:
                    child.proc.wait(5)
                except subprocess.TimeoutExpired:
                    problems.append(f"{child.name} (pid {child.pid}) survived SIGKILL")
            # the group may hold grandchildren that outlived the leader
            _signal_group(child.proc, signal.SIGKILL)
            if child._log_fh is not None:
                child._log_fh.close()
        for name, fn in reversed(self._cleanups):
            try:
                fn()
            except Exception as err:  # cleanup must go on; report instead
                problems.append(f"{name}: {err}")
        return problems

    # ------------------------------------------------------------------------- readiness

    def wait_http(
        self, child: Child, url: str, *, timeout_s: float = 30.0, interval_s: float = 0.1
    ) -> None:
        """Wait until ``url`` answers an HTTP GET (any status below 500).

        Raises:
            ChildExited: the child died while we waited.
            ChildNotReady: no answer within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=1.0) as http:
            while time.monotonic() < deadline:
                child.check()
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(url).status_code < 500:
                        return
                time.sleep(interval_s)
        raise ChildNotReady(child.name, f"answer {url}", timeout_s, child.log)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The child leads its own session, so its pgid is its pid. Never signal our own group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(proc.pid) != os.getpgrp():
            os.killpg(proc.pid, sig)
            return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`DemoInterrupted`, so cleanup in
    ``finally`` runs and the CLI prints one line instead of a traceback. SIGINT is included
    because a process started in the background by a shell inherits it *ignored*, and Python
    then installs no KeyboardInterrupt handler. Restores the old handlers after."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise DemoInterrupted(f"stopped by {signal.Signals(signum).name}")

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
