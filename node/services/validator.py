"""A validator's status: stake and unbonding (chain), each epoch's journaled state and the share
service's recent audit lines (data dir), the scoring daemon's last ticks and metrics (its
``/healthz`` and ``/metrics``, found in the devnet's process record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from node.chain.staking import ValidatorInfo
from node.devnet.processes import load_records
from node.devnet.validators import DAEMON, processes_file
from node.errors import ConfigError
from node.services.node import UiNode
from node.services.validator_files import AuditLine, JournalScan, audit_tail, journal

__all__ = ["DaemonView", "ValidatorView", "daemon_view", "validator_view"]

_METRIC_PREFIXES = ("datadao_",)
_MAX_METRIC_LINES = 40


@dataclass(frozen=True)
class DaemonView:
    health_url: str | None
    healthy: bool | None = None
    last_tick_age_s: float | None = None
    head: int | None = None
    errors: int | None = None
    metrics: list[tuple[str, str]] = field(default_factory=list)
    problem: str = ""


@dataclass(frozen=True)
class ValidatorView:
    address: str
    info: ValidatorInfo
    unbonding_blocks: int
    head: int
    journal: JournalScan
    audit: list[AuditLine]
    daemon: DaemonView


def daemon_view(node: UiNode, address: str, *, timeout_s: float = 2.0) -> DaemonView:
    """Ask the daemon recorded for ``address`` for its health and metrics (a short timeout: a
    stopped daemon must not hold the page)."""
    try:
        records = load_records(processes_file(node.home))
    except ConfigError as err:
        return DaemonView(health_url=None, problem=str(err))
    found = [r for r in records if r.role == DAEMON and r.key.lower() == address.lower()]
    if not found or not found[0].health_url:
        return DaemonView(health_url=None, problem="no scoring daemon recorded in this data dir")
    health = str(found[0].health_url)
    try:
        with httpx.Client(timeout=timeout_s) as http:
            h = http.get(health)
            body: Any = h.json()
            m = http.get(health.rsplit("/", 1)[0] + "/metrics")
    except (httpx.HTTPError, ValueError) as err:
        return DaemonView(health_url=health, problem=f"the daemon does not answer ({err})")
    metrics = []
    for line in m.text.splitlines():
        if line.startswith(_METRIC_PREFIXES) and " " in line:
            name, _, value = line.rpartition(" ")
            metrics.append((name, value))
        if len(metrics) >= _MAX_METRIC_LINES:
            break
    body = body if isinstance(body, dict) else {}
    age = body.get("last_tick_age_s")
    return DaemonView(
        health_url=health,
        healthy=bool(body.get("ok")),
        last_tick_age_s=float(age) if isinstance(age, int | float) else None,
        head=body.get("head") if isinstance(body.get("head"), int) else None,
        errors=body.get("errors") if isinstance(body.get("errors"), int) else None,
        metrics=metrics,
    )


def validator_view(node: UiNode, address: str) -> ValidatorView:
    ctx = node.chain()
    staking = ctx.contracts.staking
    return ValidatorView(
        address=address,
        info=staking.validatorInfo(address),
        unbonding_blocks=staking.unbondingBlocks(),
        head=ctx.chain.block_number(),
        journal=journal(node.home, address),
        audit=audit_tail(node.home, address),
        daemon=daemon_view(node, address),
    )
