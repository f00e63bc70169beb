"""The devnet's validators as background processes: a share service and a scoring daemon each.

The same commands the demo runs (``datadao validator serve-shares`` / ``datadao validator run``),
built here once so that the demo (supervised children) and ``datadao devnet up`` (detached
processes that outlive it) start them identically. Each share service listens on the URL its
validator registered on chain; each daemon signs with its anvil account (``--account-index``,
refused off the devnet), checks the devnet's ValuationSpec against the chain and serves
``/healthz`` on a free loopback port. Logs go to ``<home>/devnet/logs/``; the record of what
runs is ``<home>/devnet/processes.json`` (:mod:`node.devnet.processes`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from node.chain.anvil import free_port
from node.chain.deployment import Deployment
from node.devnet.bootstrap import validator_passphrase
from node.devnet.processes import (
    Popen,
    ProcessRecord,
    http_status,
    is_running,
    load_records,
    python_cli,
    save_records,
    spawn_detached,
    stop_processes,
    wait_ready,
)
from node.devnet.validation import SPEC_FILE
from node.errors import ConfigError

__all__ = [
    "DAEMON",
    "DAEMON_INTERVAL_S",
    "SHARES",
    "ValidatorProcess",
    "daemon_argv",
    "processes_file",
    "share_service_argv",
    "start_validators",
    "stop_validators",
    "validator_env",
    "validator_processes",
]

Progress = Callable[[str], None]

SHARES, DAEMON = "shares", "daemon"

DAEMON_INTERVAL_S = 1.0
"""Seconds between a background daemon's ticks: quick enough that a by-hand epoch is scored
within a few ticks of each ``devnet advance`` step, idle enough to leave running all day."""


def processes_file(home: Path) -> Path:
    return home / "devnet" / "processes.json"


def log_dir(home: Path) -> Path:
    return home / "devnet" / "logs"


def validator_env(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a validator process: the devnet's Ferveo passphrase (never a flag),
    its data dir, unbuffered logs."""
    return {
        **(os.environ if base is None else base),
        "DATADAO_VALIDATOR_PASSPHRASE": validator_passphrase(),
        "DATADAO_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
    }


def _share_port(v: Mapping[str, Any]) -> int:
    port = urlparse(str(v["share_url"])).port
    if port is None:
        raise ConfigError(f"validator {v['address']} registered no port: {v['share_url']}")
    return port


def share_service_argv(home: Path, v: Mapping[str, Any], *, confirmations: int = 1) -> list[str]:
    """``datadao validator serve-shares`` for the deployment's validator record ``v``, on the
    port it registered. One confirmation: an automining anvil makes no block without a
    transaction, so a deeper read would lag the devnet by whole steps."""
    argv = python_cli("validator", "serve-shares", "--home", str(home))
    argv += ["--validator", str(v["address"]), "--port", str(_share_port(v))]
    return [*argv, "--confirmations", str(confirmations), "--quiet"]


def daemon_argv(
    home: Path,
    v: Mapping[str, Any],
    *,
    interval_s: float = DAEMON_INTERVAL_S,
    metrics_port: int = 0,
    confirmations: int = 1,
) -> list[str]:
    """``datadao validator run`` for the deployment's validator record ``v`` with the devnet's
    ValuationSpec, on one CPU thread (four daemons share the machine)."""
    argv = python_cli("validator", "run", "--home", str(home))
    argv += ["--account-index", str(v["account_index"]), "--spec", str(SPEC_FILE)]
    argv += ["--confirmations", str(confirmations), "--interval", str(interval_s)]
    argv += ["--threads", "1"]
    if metrics_port:
        argv += ["--metrics-port", str(metrics_port)]
    return argv


@dataclass(frozen=True)
class ValidatorProcess:
    """One recorded process and whether it runs now."""

    record: ProcessRecord
    running: bool
    health: int | None
    """The HTTP status of its health URL now (None: no answer, or not asked)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.record.name,
            "role": self.record.role,
            "validator": self.record.key,
            "pid": self.record.pid,
            "running": self.running,
            "health_url": self.record.health_url,
            "health_status": self.health,
            "log": self.record.log,
        }


def start_validators(
    home: Path,
    deployment: Deployment,
    *,
    progress: Progress = lambda _m: None,
    ready_timeout_s: float = 180.0,
    popen: Popen | None = None,
) -> list[ProcessRecord]:
    """Start each validator's share service and daemon that is not already running, record
    them, and wait until every one answers its health URL.

    Idempotent: a running process is kept; a recorded one that exited is started again.

    Raises:
        ProcessExited, ProcessNotReady: a process died or did not answer in time (the others
            keep running; ``datadao devnet down`` stops them all).
    """
    path = processes_file(home)
    recorded = load_records(path)
    alive = {(r.role, r.key.lower()): r for r in recorded if is_running(r)}
    env = validator_env(home)
    spawn_kw: dict[str, Any] = {} if popen is None else {"popen": popen}
    records: list[ProcessRecord] = []
    started: list[ProcessRecord] = []
    validators: list[dict[str, Any]] = list(deployment.extra.get("validators", []))
    for v in validators:
        address, index = str(v["address"]), int(v["account_index"])
        for role in (SHARES, DAEMON):
            found = alive.get((role, address.lower()))
            if found is not None:
                records.append(found)
                continue
            if role == SHARES:
                name = f"share service of {address[:10]}…"
                argv = share_service_argv(home, v)
                health = f"{str(v['share_url']).rstrip('/')}/v1/health"
                log = log_dir(home) / f"shares-{index}.log"
            else:
                name = f"validator daemon of {address[:10]}…"
                port = free_port()
                argv = daemon_argv(home, v, metrics_port=port)
                health = f"http://127.0.0.1:{port}/healthz"
                log = log_dir(home) / f"validator-{index}.log"
            record = spawn_detached(
                name, role, address, argv, log=log, env=env, health_url=health, **spawn_kw
            )
            records.append(record)
            started.append(record)
            # recorded at once: a failure below must not lose track of what already runs
            save_records(path, records + [r for r in alive.values() if r not in records])
    save_records(path, records)
    if started:
        progress(
            f"started {len(started)} validator processes (share services and scoring daemons; "
            f"logs in {log_dir(home)})"
        )
        wait_ready(started, timeout_s=ready_timeout_s, progress=progress)
    else:
        progress(f"{len(records)} validator processes already running")
    return records


def validator_processes(home: Path, *, probe: bool = True) -> list[ValidatorProcess]:
    """The recorded validator processes, whether each runs, and (``probe``) its health status."""
    out = []
    for r in load_records(processes_file(home)):
        running = is_running(r)
        health = http_status(r.health_url) if probe and running and r.health_url else None
        out.append(ValidatorProcess(record=r, running=running, health=health))
    return out


def stop_validators(
    home: Path, *, grace_s: float = 10.0, progress: Progress = lambda _m: None
) -> list[str]:
    """Stop every recorded validator process (SIGTERM, then SIGKILL after ``grace_s``) and drop
    the record. Returns the problems met; never raises for a process that is already gone."""
    path = processes_file(home)
    records = load_records(path)
    if not records:
        return []
    problems = stop_processes(records, grace_s=grace_s, progress=progress)
    survivors: Sequence[ProcessRecord] = [r for r in records if is_running(r)]
    save_records(path, survivors)
    return problems
