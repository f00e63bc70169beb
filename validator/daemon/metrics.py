"""``/metrics`` (Prometheus text format 0.0.4) and ``/healthz`` for the validator daemon.

Rendered by hand from :class:`validator.daemon.DaemonStats` and the journal: a handful of
counters and gauges does not justify a metrics library, and rendering on request means there is
no global registry to build at import. ``/healthz`` answers 503 once the last successful tick is
older than ``stale_after_s``, so a supervisor restarts a daemon that is stuck (e.g. on an RPC
that stopped answering) rather than one that is merely idle between epochs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse

from validator.daemon.driver import ValidatorDaemon
from validator.daemon.state import EpochState

__all__ = ["create_metrics_app", "render_metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render_metrics(daemon: ValidatorDaemon) -> str:
    """The daemon's counters and per-state epoch gauge, in Prometheus text format."""
    s = daemon.stats
    lines = [
        "# HELP datadao_validator_ticks_total Daemon ticks run.",
        "# TYPE datadao_validator_ticks_total counter",
        f"datadao_validator_ticks_total {s.ticks}",
        "# HELP datadao_validator_errors_total Epoch steps that failed and will be retried.",
        "# TYPE datadao_validator_errors_total counter",
        f"datadao_validator_errors_total {s.errors}",
        "# HELP datadao_validator_head_block Chain head seen by the last tick.",
        "# TYPE datadao_validator_head_block gauge",
        f"datadao_validator_head_block {s.last_head}",
        "# HELP datadao_validator_last_tick_timestamp_seconds Unix time of the last tick.",
        "# TYPE datadao_validator_last_tick_timestamp_seconds gauge",
        f"datadao_validator_last_tick_timestamp_seconds {s.last_tick_at:.3f}",
        "# HELP datadao_validator_transitions_total Epoch state transitions, by new state.",
        "# TYPE datadao_validator_transitions_total counter",
    ]
    lines += [
        f'datadao_validator_transitions_total{{state="{st.value}"}} {n}'
        for st in EpochState
        for n in [s.transitions.get(st.value, 0)]
    ]
    lines += [
        "# HELP datadao_validator_seconds_total Wall seconds by phase (decrypt, value, tick).",
        "# TYPE datadao_validator_seconds_total counter",
    ]
    lines += [
        f'datadao_validator_seconds_total{{phase="{k}"}} {v:.3f}'
        for k, v in sorted(s.seconds.items())
    ]
    counts = dict.fromkeys(EpochState, 0)
    for rec in daemon.journal.records():
        counts[rec.state] += 1
    lines += [
        "# HELP datadao_validator_epochs Journaled epochs, by current state.",
        "# TYPE datadao_validator_epochs gauge",
    ]
    lines += [f'datadao_validator_epochs{{state="{st.value}"}} {n}' for st, n in counts.items()]
    return "\n".join(lines) + "\n"


def create_metrics_app(
    daemon: ValidatorDaemon,
    *,
    stale_after_s: float = 120.0,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """A small app serving ``/metrics`` and ``/healthz`` for one daemon (bind it to loopback)."""
    app = FastAPI(title="datadao validator", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/metrics")
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(render_metrics(daemon), media_type=CONTENT_TYPE)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        s = daemon.stats
        age = clock() - s.last_tick_at if s.last_tick_at else None
        ok = age is not None and age <= stale_after_s
        body = {"ok": ok, "last_tick_age_s": age, "head": s.last_head, "errors": s.errors}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app
