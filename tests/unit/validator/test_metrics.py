"""/metrics through prometheus_client: parsed back, never string-matched.

Each test reads the exposition text with ``text_string_to_metric_families`` (what a Prometheus
server does) and checks that the numbers moved with the work the daemon did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import prometheus_client
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from test_daemon import FILES, FakeChain, make, run_to

from node.errors import ChainError
from node.types import DatasetId, Epoch
from validator.daemon.driver import DaemonStats, ValidatorDaemon
from validator.daemon.metrics import (
    LATENCY_BUCKETS,
    DaemonMetrics,
    create_metrics_app,
    render_metrics,
)

Families = dict[str, list[Sample]]


def scrape(metrics: DaemonMetrics) -> Families:
    out: Families = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        out.setdefault(family.name, []).extend(family.samples)
    return out


def value(families: Families, sample: str, **labels: str) -> float:
    for family in families.values():
        for s in family:
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise AssertionError(f"no sample {sample} {labels}")


def histogram(families: Families, phase: str) -> tuple[float, float, dict[float, float]]:
    """(count, sum, {upper bound: cumulative count}) of one phase."""
    samples = [s for s in families["datadao_validator_phase_seconds"] if s.labels["phase"] == phase]
    count = next(s.value for s in samples if s.name.endswith("_count"))
    total = next(s.value for s in samples if s.name.endswith("_sum"))
    buckets = {float(s.labels["le"]): s.value for s in samples if s.name.endswith("_bucket")}
    return count, total, buckets


def daemon(tmp_path: Path) -> tuple[ValidatorDaemon, FakeChain, DaemonMetrics]:
    chain = FakeChain()
    d = make(chain, tmp_path)
    return d, chain, DaemonMetrics(d, registry=CollectorRegistry())


def test_histograms_count_every_decrypt_value_and_tick(tmp_path: Path) -> None:
    d, chain, metrics = daemon(tmp_path)
    before = scrape(metrics)
    assert histogram(before, "tick")[0] == 0  # exported at 0 before any work
    run_to(d, chain, 21)
    after = scrape(metrics)

    ticks, tick_sum, buckets = histogram(after, "tick")
    assert ticks == 21
    assert tick_sum > 0
    assert sorted(buckets) == [*LATENCY_BUCKETS, float("inf")]
    assert buckets[float("inf")] == ticks
    counts = [buckets[b] for b in sorted(buckets)]
    assert counts == sorted(counts)  # cumulative
    # one opening pass over the epoch's files (one chunk: they are opened together, in
    # batches) and one for the validation set
    assert histogram(after, "decrypt")[0] == 2
    assert d.stats.files_opened == len(FILES) - 1  # the third one's blob is not what it names
    assert histogram(after, "value")[0] == 1  # one epoch scored
    # the histogram agrees with the stats' running totals
    assert tick_sum == pytest.approx(d.stats.seconds["tick"])

    run_to(d, chain, 25)
    assert histogram(scrape(metrics), "tick")[0] == 25


def test_counters_gauges_and_epochs_by_state(tmp_path: Path) -> None:
    d, chain, metrics = daemon(tmp_path)
    run_to(d, chain, 21)
    f = scrape(metrics)
    assert f["datadao_validator_ticks"][0].name == "datadao_validator_ticks_total"
    assert value(f, "datadao_validator_ticks_total") == 21
    assert value(f, "datadao_validator_head_block") == 21
    assert value(f, "datadao_validator_errors_total") == 0
    assert value(f, "datadao_validator_transitions_total", state="COMMITTED") == 1
    assert value(f, "datadao_validator_transitions_total", state="MISSED") == 0  # listed at 0
    assert value(f, "datadao_validator_epochs", state="CLAIMED") == 1
    assert value(f, "datadao_validator_epochs", state="ASSIGNED") == 0
    assert value(f, "datadao_validator_seconds_total", phase="value") > 0


def test_errors_are_counted_by_class(tmp_path: Path) -> None:
    d, chain, metrics = daemon(tmp_path)
    real = chain.commit
    calls = {"n": 0}

    def flaky(dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ChainError("transport failure")
        return real(dataset_id, epoch, commitment)

    chain.commit = flaky  # type: ignore[method-assign]
    run_to(d, chain, 21)
    f = scrape(metrics)
    assert value(f, "datadao_validator_errors_total") == 1
    assert value(f, "datadao_validator_errors_by_class_total", **{"class": "ChainError"}) == 1


def test_process_and_platform_metrics_are_on_the_daemons_registry(tmp_path: Path) -> None:
    _, _, metrics = daemon(tmp_path)
    f = scrape(metrics)
    assert "python_info" in f
    assert value(f, "process_resident_memory_bytes") > 0
    assert "process_cpu_seconds" in f


def test_a_field_added_to_the_stats_is_exported_without_a_metrics_edit(tmp_path: Path) -> None:
    @dataclass
    class MoreStats(DaemonStats):
        unexpected_errors: int = 0
        unexpected_by_file: dict[str, int] = field(default_factory=dict)
        last_reveal_at: float = 0.0
        flags: dict[str, object] = field(default_factory=dict)  # not numbers: not a metric
        enabled: bool = True  # a bool is not a count
        notes: list[str] = field(default_factory=list)
        zeroed: dict[str, int] = field(
            default_factory=dict, metadata={"help": "Files scored 0.", "label": "verdict"}
        )
        queue_depth: int = field(default=0, metadata={"kind": "gauge"})

    d = make(FakeChain(), tmp_path)
    d.stats = MoreStats(unexpected_errors=3, last_reveal_at=12.5)
    d.stats.unexpected_by_file['ab"\n\\'] = 2  # hostile label value: escaped, not broken
    d.stats.flags["x"] = {"nested": 1}
    d.stats.zeroed["invalid"] = 4
    d.stats.queue_depth = 7
    metrics = DaemonMetrics(d, registry=CollectorRegistry(), process=False)
    f = scrape(metrics)
    assert value(f, "datadao_validator_unexpected_errors_total") == 3
    assert value(f, "datadao_validator_last_reveal_at") == 12.5
    assert value(f, "datadao_validator_unexpected_by_file_total", key='ab"\n\\') == 2
    assert f["datadao_validator_flags"] == []
    assert "datadao_validator_enabled" not in f
    assert "datadao_validator_notes" not in f
    assert value(f, "datadao_validator_zeroed_total", verdict="invalid") == 4
    assert value(f, "datadao_validator_queue_depth") == 7  # a gauge: no _total
    text = metrics.render().decode()
    assert "# HELP datadao_validator_zeroed_total Files scored 0." in text
    assert "# TYPE datadao_validator_queue_depth gauge" in text


def test_each_daemon_has_its_own_registry_and_the_global_one_is_untouched(
    tmp_path: Path,
) -> None:
    a, chain_a, metrics_a = daemon(tmp_path / "a")
    _, _, metrics_b = daemon(tmp_path / "b")  # same metric names: no duplicate error
    run_to(a, chain_a, 3)
    assert value(scrape(metrics_a), "datadao_validator_ticks_total") == 3
    assert value(scrape(metrics_b), "datadao_validator_ticks_total") == 0
    assert histogram(scrape(metrics_b), "tick")[0] == 0
    default = prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()
    assert "datadao_" not in default


def test_the_app_serves_parsable_text_and_health(tmp_path: Path) -> None:
    now = [1000.0]
    chain = FakeChain()
    d = make(chain, tmp_path, clock=lambda: now[0])
    metrics = DaemonMetrics(d, registry=CollectorRegistry(), process=False)
    app = TestClient(create_metrics_app(d, stale_after_s=60, clock=lambda: now[0], metrics=metrics))
    assert app.get("/healthz").status_code == 503  # never ticked
    run_to(d, chain, 5)
    r = app.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    names = {f.name for f in text_string_to_metric_families(r.text)}
    assert {"datadao_validator_ticks", "datadao_validator_phase_seconds"} <= names
    assert app.get("/healthz").status_code == 200
    now[0] += 61
    assert app.get("/healthz").json()["ok"] is False


def test_render_metrics_is_a_standalone_snapshot(tmp_path: Path) -> None:
    d, chain, _ = daemon(tmp_path)
    run_to(d, chain, 2)
    names = {f.name for f in text_string_to_metric_families(render_metrics(d))}
    assert "datadao_validator_ticks" in names
    assert "datadao_validator_epochs" in names
    assert "process_cpu_seconds" not in names
