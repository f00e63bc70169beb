"""``/metrics`` (Prometheus text format 0.0.4, by ``prometheus_client``) and ``/healthz``.

Every daemon gets its own :class:`prometheus_client.CollectorRegistry`, built when its metrics
app is: nothing is registered on the library's global default registry, so two daemons (or two
tests) in one process never share or collide on a metric. On it:

* **the daemon's stats, read at scrape time** (:class:`StatsCollector`): every numeric field of
  :class:`validator.daemon.driver.DaemonStats` becomes a counter (``datadao_validator_<f>_total``)
  or, for ``last_*`` fields, a gauge; every ``dict[str, number]`` field becomes one labelled
  family. A counter someone adds to the stats object therefore shows up without an edit here
  (its ``field(metadata=...)`` may give ``help``, ``label`` and ``kind``); the table
  :data:`KNOWN` only gives the established fields their names, labels and help;
* **epochs by state**, a gauge counted from the journal at scrape time;
* **latency histograms** by phase (``decrypt`` per file, ``value`` per epoch, ``tick`` per tick),
  fed by the stats object's ``timers`` hook as each duration is recorded;
* **process and platform metrics** (``process_cpu_seconds_total``,
  ``process_resident_memory_bytes``, open fds, ``python_info``, GC counts).

``/healthz`` answers 503 once the last successful tick is older than ``stale_after_s``, so a
supervisor restarts a daemon that is stuck (e.g. on an RPC that stopped answering) rather than
one that is merely idle between epochs.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Final, Literal

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from validator.daemon.driver import DaemonStats, ValidatorDaemon
from validator.daemon.journal import Journal
from validator.daemon.state import EpochState

__all__ = [
    "CONTENT_TYPE",
    "KNOWN",
    "LATENCY_BUCKETS",
    "PREFIX",
    "DaemonMetrics",
    "StatsCollector",
    "create_metrics_app",
    "render_metrics",
]

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"  # what generate_latest writes
PREFIX: Final = "datadao_validator_"
# One set for every phase: a file decrypts in milliseconds to seconds, an epoch values in
# seconds to many minutes, a tick spans both.
LATENCY_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1800.0,
)

Kind = Literal["counter", "gauge"]


@dataclasses.dataclass(frozen=True, slots=True)
class Export:
    """How one stats field is exported.

    Attributes:
        name: the metric name without the prefix (counters without ``_total``).
        kind: counter or gauge.
        help: the HELP line.
        label: for ``dict`` fields, the label its keys become.
    """

    name: str
    kind: Kind
    help: str
    label: str = "key"


KNOWN: Final[Mapping[str, Export]] = {
    "ticks": Export("ticks", "counter", "Daemon ticks run."),
    "errors": Export("errors", "counter", "Epoch steps that failed and will be retried."),
    "errors_by_class": Export(
        "errors_by_class", "counter", "Failed epoch steps, by error class.", label="class"
    ),
    "missed": Export("missed", "counter", "Epochs that ended MISSED."),
    "last_head": Export("head_block", "gauge", "Chain head seen by the last tick."),
    "last_tick_at": Export(
        "last_tick_timestamp_seconds", "gauge", "Unix time of the last completed tick."
    ),
    "transitions": Export(
        "transitions", "counter", "Epoch state transitions, by new state.", label="state"
    ),
    "seconds": Export(
        "seconds", "counter", "Wall seconds by phase (decrypt, value, tick).", label="phase"
    ),
}


def export_of(f: dataclasses.Field[object]) -> Export:
    """The export of a stats field: from :data:`KNOWN`, else by convention (``last_*`` is a
    gauge, anything else a counter), refined by the field's own metadata if it has any:
    ``field(default=0, metadata={"help": "...", "label": "verdict", "kind": "gauge"})``."""
    known = KNOWN.get(f.name)
    if known is not None:
        return known
    meta = f.metadata
    kind: Kind = "gauge" if f.name.startswith("last_") else "counter"
    if meta.get("kind") in ("counter", "gauge"):
        kind = meta["kind"]
    return Export(
        f.name,
        kind,
        str(meta.get("help", f"DaemonStats.{f.name}.")),
        label=str(meta.get("label", "key")),
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class StatsCollector(Collector):
    """Exports a :class:`DaemonStats` and the journal's epochs by state, read at scrape time."""

    def __init__(self, stats: Callable[[], DaemonStats], journal: Callable[[], Journal]) -> None:
        self._stats = stats
        self._journal = journal

    def collect(self) -> Iterable[Metric]:
        yield from self._stats_families(self._stats())
        yield self._epochs(self._journal())

    def _stats_families(self, stats: DaemonStats) -> Iterator[Metric]:
        for f in dataclasses.fields(stats):
            value = getattr(stats, f.name)
            export = export_of(f)
            name = PREFIX + export.name
            scalar = _number(value)
            if scalar is not None:
                if export.kind == "counter":
                    yield CounterMetricFamily(name, export.help, value=scalar)
                else:
                    yield GaugeMetricFamily(name, export.help, value=scalar)
            elif isinstance(value, dict):
                family = (
                    CounterMetricFamily(name, export.help, labels=[export.label])
                    if export.kind == "counter"
                    else GaugeMetricFamily(name, export.help, labels=[export.label])
                )
                # a copy: the daemon's thread may add a key while this one scrapes
                for key, v in sorted(dict(value).items(), key=lambda kv: str(kv[0])):
                    number = _number(v)
                    if number is not None:
                        family.add_metric([str(key)], number)
                if export.name == "transitions":  # every state, so a rate() starts at 0
                    seen = {s.labels[export.label] for s in family.samples}
                    for state in EpochState:
                        if state.value not in seen:
                            family.add_metric([state.value], 0.0)
                yield family
            # anything else (hooks, nested structures) is not a metric

    @staticmethod
    def _epochs(journal: Journal) -> Metric:
        counts = dict.fromkeys(EpochState, 0)
        for rec in journal.records():
            counts[rec.state] += 1
        family = GaugeMetricFamily(
            PREFIX + "epochs", "Journaled epochs, by current state.", labels=["state"]
        )
        for state, n in counts.items():
            family.add_metric([state.value], float(n))
        return family


class DaemonMetrics:
    """One daemon's metrics, on a registry of its own.

    Args:
        daemon: the daemon to export; its stats' ``timers`` hook gets this object's histogram.
        registry: injected (tests); by default a fresh one per daemon.
        process: also register the process, platform and GC collectors (they read this
            process, so only one daemon per process should ask for them).
    """

    def __init__(
        self,
        daemon: ValidatorDaemon,
        *,
        registry: CollectorRegistry | None = None,
        process: bool = True,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.phase_seconds = Histogram(
            PREFIX + "phase_seconds",
            "Duration of each decrypt (one file), value (one epoch) and tick.",
            labelnames=["phase"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        for phase in ("decrypt", "value", "tick"):
            self.phase_seconds.labels(phase=phase)  # present (at 0) before the first one
        self.registry.register(StatsCollector(lambda: daemon.stats, lambda: daemon.journal))
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        daemon.stats.timers.append(self.observe)

    def observe(self, phase: str, seconds: float) -> None:
        """Record one duration (the stats object calls this on every ``add_time``)."""
        self.phase_seconds.labels(phase=phase).observe(seconds)

    def render(self) -> bytes:
        """The exposition text of everything on this registry."""
        return generate_latest(self.registry)


def render_metrics(daemon: ValidatorDaemon) -> str:
    """The daemon's stats and epochs (no histograms, no process metrics), as exposition text.

    For a one-off look (``validator status``, tests); a served daemon uses :class:`DaemonMetrics`.
    """
    registry = CollectorRegistry()
    registry.register(StatsCollector(lambda: daemon.stats, lambda: daemon.journal))
    return generate_latest(registry).decode()


def create_metrics_app(
    daemon: ValidatorDaemon,
    *,
    stale_after_s: float = 120.0,
    clock: Callable[[], float] = time.time,
    metrics: DaemonMetrics | None = None,
) -> FastAPI:
    """A small app serving ``/metrics`` and ``/healthz`` for one daemon (bind it to loopback).

    Args:
        metrics: injected (tests); by default a :class:`DaemonMetrics` of this daemon's own.
    """
    exported = metrics if metrics is not None else DaemonMetrics(daemon)
    app = FastAPI(title="datadao validator", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        return Response(exported.render(), media_type=CONTENT_TYPE)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        s = daemon.stats
        age = clock() - s.last_tick_at if s.last_tick_at else None
        ok = age is not None and age <= stale_after_s
        body = {"ok": ok, "last_tick_age_s": age, "head": s.last_head, "errors": s.errors}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app
