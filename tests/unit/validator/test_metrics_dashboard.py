"""dashboards/validator.json only asks for what the daemon exposes.

The exposition of a daemon that has done real work (ticks, an error, a scored epoch) is parsed
with prometheus_client; every PromQL expression in the dashboard is then checked: each metric it
names is a sample the app exposes, each label it filters or groups by is on that metric, each
exact label value exists, and each function is one PromQL has. A renamed metric fails here, not
on a blank panel in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from test_daemon import FakeChain, make, run_to

from node.errors import ChainError
from node.types import DatasetId, Epoch
from validator.daemon.metrics import DaemonMetrics

DASHBOARD = Path(__file__).resolve().parents[3] / "dashboards" / "validator.json"
SCRAPE_LABELS = {"instance", "job"}  # added by Prometheus to every series it scrapes
FUNCTIONS = {"rate", "increase", "sum", "histogram_quantile", "time", "max", "avg", "min"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"


@dataclass
class Query:
    """What one PromQL expression refers to."""

    metrics: set[str] = field(default_factory=set)
    matchers: list[tuple[str, str, str, str]] = field(default_factory=list)  # metric, label, op, v
    grouping: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)


def parse(expr: str) -> Query:
    """A small PromQL reader: enough for metric names, matchers, groupings and calls."""
    q = Query()
    expr = re.sub(r"\$__\w+|\$\w+", "1m", expr)  # Grafana variables
    for metric, body in re.findall(rf"({NAME})\s*\{{([^}}]*)\}}", expr):
        q.metrics.add(metric)
        for label, op, value in re.findall(r'(\w+)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"', body):
            q.matchers.append((metric, label, op, value))
    rest = re.sub(r"\{[^}]*\}", " ", expr)
    rest = re.sub(r"\[[^\]]*\]", " ", rest)
    for labels in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", rest):
        q.grouping |= {label.strip() for label in labels.split(",") if label.strip()}
    rest = re.sub(r"\b(?:by|without)\s*\([^)]*\)", " ", rest)
    for name, call in re.findall(rf"({NAME})\s*(\()?", rest):
        if re.fullmatch(r"[0-9.eE]+", name) or name in KEYWORDS:
            continue
        (q.functions if call else q.metrics).add(name)
    return q


def expressions(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, expr) for every panel target and every query variable."""

    def walk(panels: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
        for panel in panels:
            for target in panel.get("targets", []):
                yield panel["title"], target["expr"]
            yield from walk(panel.get("panels", []))

    yield from walk(dashboard["panels"])
    for var in dashboard["templating"]["list"]:
        if var["type"] == "query":
            query = var["query"]
            text = query["query"] if isinstance(query, dict) else query
            inner = re.fullmatch(rf"label_values\(({NAME}),\s*(\w+)\)", text)
            assert inner is not None, f"variable {var['name']}: unsupported query {text}"
            yield f"variable {var['name']}", inner.group(1)


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    """sample name -> the label sets it is exposed with, from a daemon that did real work."""
    chain = FakeChain()
    d = make(chain, tmp_path_factory.mktemp("journal"))
    metrics = DaemonMetrics(d, registry=CollectorRegistry())
    real, calls = chain.commit, {"n": 0}

    def flaky(dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ChainError("transport failure")
        return real(dataset_id, epoch, commitment)

    chain.commit = flaky  # type: ignore[method-assign]
    run_to(d, chain, 21)
    out: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(dict(sample.labels))
    return out


def problems(dashboard: dict[str, Any], exposed: dict[str, list[dict[str, str]]]) -> list[str]:
    found: list[str] = []
    for where, expr in expressions(dashboard):
        q = parse(expr)
        if not q.metrics:
            found.append(f"{where}: no metric in {expr!r}")
        for metric in q.metrics - exposed.keys():
            found.append(f"{where}: {metric} is not exposed")
        labels = {k for m in q.metrics & exposed.keys() for s in exposed[m] for k in s}
        for label in q.grouping - labels:
            found.append(f"{where}: no metric in {expr!r} has the label {label!r}")
        for metric, label, op, value in q.matchers:
            if label in SCRAPE_LABELS or metric not in exposed:
                continue
            values = {s[label] for s in exposed[metric] if label in s}
            if not values:
                found.append(f"{where}: {metric} has no label {label!r}")
            elif op == "=" and value not in values:
                found.append(f"{where}: {metric}{{{label}={value!r}}} is never exposed")
        for fn in q.functions - FUNCTIONS:
            found.append(f"{where}: unknown function {fn}")
    return found


def test_the_dashboard_only_references_exposed_metrics(
    exposed: dict[str, list[dict[str, str]]],
) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert problems(dashboard, exposed) == []


def test_the_dashboard_has_the_panels_the_issue_asks_for(
    exposed: dict[str, list[dict[str, str]]],
) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [parse(e) for _, e in expressions(dashboard)]
    used = set().union(*(q.metrics for q in queries))
    assert {
        "datadao_validator_ticks_total",
        "datadao_validator_errors_by_class_total",
        "datadao_validator_epochs",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
    } <= used
    quantiles = {
        value
        for q in queries
        if "histogram_quantile" in q.functions
        for metric, label, op, value in q.matchers
        if metric == "datadao_validator_phase_seconds_bucket" and label == "phase"
    }
    assert quantiles == {"decrypt", "value", "tick"}
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert all("gridPos" in p for p in dashboard["panels"])


@pytest.mark.parametrize(
    ("expr", "complaint"),
    [
        ("rate(datadao_validator_tick_total[5m])", "datadao_validator_tick_total is not exposed"),
        (
            'datadao_validator_phase_seconds_bucket{phase="decrpyt"}',
            "phase='decrpyt'",
        ),
        ("sum by (colour) (datadao_validator_epochs)", "label 'colour'"),
        ("rates(datadao_validator_ticks_total[5m])", "unknown function rates"),
        ("sum(rate(process_cpu_seconds_totl[5m]))", "process_cpu_seconds_totl is not exposed"),
    ],
)
def test_the_check_catches_a_broken_panel(
    exposed: dict[str, list[dict[str, str]]], expr: str, complaint: str
) -> None:
    dashboard = {
        "panels": [{"title": "broken", "targets": [{"expr": expr}]}],
        "templating": {"list": []},
    }
    found = problems(dashboard, exposed)
    assert any(complaint in p for p in found), found
