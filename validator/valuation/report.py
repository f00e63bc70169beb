"""The per-epoch nutrition label: a JSON report and a PNG figure.

The JSON records everything needed to reproduce the scores (spec and digest, epoch seed, torch
and code versions, backend) next to the per-contributor value, share, basis points and flags,
and the fitted learning curve with its predicted gains from 2x and 10x more data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from validator.valuation.pipeline import ValuationResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BARS_UP_TO", "label_text", "plot_values", "report_dict", "write_figure", "write_report"]


def report_dict(result: ValuationResult) -> dict[str, Any]:
    """JSON-ready report (floats are plain Python floats; bps are integers)."""
    curve = result.curve
    return {
        "spec": result.spec.to_dict(),
        "spec_digest": result.spec.digest(),
        "epoch_seed": "0x" + result.seed.hex(),
        "torch_version": result.torch_version,
        "code_version": result.code_version,
        "backend": result.backend,
        "models_trained": result.n_trained,
        "subset_models": result.n_models_used,
        "predicted_seed_l1": (result.predicted_l1 if np.isfinite(result.predicted_l1) else None),
        "transfer_check": {
            "larger_model": "n-gram LM one order higher, same subsets",
            "spearman": result.transfer_rho,
        },
        "train_seconds": round(result.train_seconds, 3),
        "utility": {
            "name": result.spec.utility,
            "unit": "nats per validation item",
            "pool_only": result.utility_pool,
            "pool_and_nonnegative_contributors": (
                None if np.isnan(result.utility_full) else result.utility_full
            ),
        },
        "contributors": [
            {
                "id": c.contributor,
                "value": round(c.value, result.decimals),
                "value_quanta": c.quanta,
                "msr_value": round(c.msr, result.decimals),
                "stderr": round(c.stderr, result.decimals),
                "share": c.share,
                "bps": int(c.bps),
                "flags": list(c.flags),
                "items": c.items,
                "checks": c.detail,
            }
            for c in result.contributors
        ],
        "learning_curve": None
        if curve is None
        else {
            "form": "loss(m) = a * m**b + c",
            "a": curve.a,
            "b": curve.b,
            "c": curve.c,
            "exponent": curve.b,
            "rmse": curve.rmse,
            "points": curve.n_points,
            "items_now": curve.m_full,
            "predicted_gain_2x": curve.gain_2x,
            "predicted_gain_10x": curve.gain_10x,
            "exponent_at_grid_edge": curve.at_edge,
        },
    }


def label_text(result: ValuationResult) -> str:
    """The nutrition label in words: each contributor's value with its standard error, pay, and
    the reason for every flag; then how stable and transferable the values are."""
    d = result.decimals
    lines = [
        f"Valuation of epoch seed 0x{result.seed.hex()} under spec {result.spec.digest()}",
        f"{result.n_models_used} subset models; utility = validation log-likelihood "
        "(nats per validation item).",
        "",
    ]
    for c in result.contributors:
        pay = f"{int(c.bps)} bps ({c.share:.2%} of the epoch's tokens)"
        if c.flags:
            lines.append(f"- {c.contributor}: {pay}; flagged, not valued:")
            lines.extend(f"    * {f}" for f in c.flags)
        else:
            lines.append(
                f"- {c.contributor}: value {c.value:.{d}f} ± {c.stderr:.{d}f} (standard error); "
                f"{pay}"
            )
    lines.append("")
    lines.append(
        f"Seed stability: the payout shares would differ from another epoch seed's by an "
        f"expected L1 distance of {result.predicted_l1:.3f}."
    )
    if result.transfer_rho is None:
        lines.append("Transfer check: no larger model of this family is defined (not run).")
    else:
        lines.append(
            f"Transfer check: rank correlation {result.transfer_rho:.3f} between these values "
            "and those of the n-gram LM one order higher on the same subsets."
        )
    return "\n".join(lines) + "\n"


BARS_UP_TO = 60
"""Epochs of up to this many contributors get one named bar each in ``label.png``."""


def plot_values(ax_v: Axes, result: ValuationResult) -> None:
    """The label's value panel: one named bar per contributor (flagged ones grey) up to
    :data:`BARS_UP_TO` contributors, the values in decreasing order beyond."""
    ids = [c.contributor for c in result.contributors]
    vals = [c.value for c in result.contributors]
    colors = [
        "#9e9e9e" if c.flags else ("#2e7d32" if c.value > 0 else "#c62828")
        for c in result.contributors
    ]
    errs = [0.0 if c.flags else c.stderr for c in result.contributors]
    if len(ids) <= BARS_UP_TO:
        ax_v.bar(range(len(ids)), vals, color=colors, yerr=errs, capsize=2, ecolor="#424242")
        ax_v.set_xticks(range(len(ids)), ids, rotation=90, fontsize=7)
    else:
        # One named bar per contributor is unreadable past a few dozen and costs matplotlib
        # minutes of text layout at 10,000 (the daemon's commit waited on it): plot the values
        # in decreasing order instead, same colours, the error as a band.
        order = np.argsort(-np.asarray(vals), kind="stable")
        v, e = np.asarray(vals)[order], np.asarray(errs)[order]
        rank = np.arange(len(ids))
        ax_v.fill_between(rank, v - e, v + e, color="#bdbdbd", linewidth=0)
        ax_v.scatter(rank, v, c=[colors[i] for i in order], s=4, linewidths=0)
        ax_v.set_xlabel(f"{len(ids):,} contributors, by value (the report lists each)")
    ax_v.axhline(0.0, color="black", linewidth=0.6)
    ax_v.set_ylabel("Banzhaf value ± standard error (nats / item)")
    reasons = [f"{c.contributor}: {c.flags[0]}" for c in result.contributors if c.flags]
    if reasons:
        ax_v.text(
            0.01, 0.99, "\n".join(r[:90] for r in reasons[:8]), transform=ax_v.transAxes,
            fontsize=6, va="top", ha="left", color="#424242",
        )  # fmt: skip
    ax_v.set_title(
        f"Contributor values ({sum(bool(c.flags) for c in result.contributors)} flagged)"
    )


def write_figure(result: ValuationResult, path: Path) -> None:
    """Bar chart of values (flagged contributors hatched grey) and the learning curve."""
    import matplotlib

    matplotlib.use("Agg")  # headless validators have no display
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), dpi=110)
    ax_v, ax_c = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    plot_values(ax_v, result)
    ax_c.scatter(result.curve_sizes, result.curve_losses, s=8, alpha=0.6, label="subset models")
    if result.curve is not None and result.curve_sizes.max() > 0:
        lo = max(float(result.curve_sizes[result.curve_sizes > 0].min()), 1.0)
        grid = np.geomspace(lo, 10 * result.curve.m_full, 200)
        ax_c.plot(
            grid,
            result.curve.loss(grid),
            color="black",
            label=f"fit, exponent {result.curve.b:.3f}",
        )
        ax_c.axvline(result.curve.m_full, color="grey", linestyle=":", linewidth=0.8)
        ax_c.set_xscale("log")
    ax_c.set_xlabel("training items")
    ax_c.set_ylabel("validation loss (nats / item)")
    ax_c.set_title("Learning curve")
    ax_c.legend(fontsize=8)
    rho = "n/a" if result.transfer_rho is None else f"{result.transfer_rho:.3f}"
    fig.suptitle(
        f"spec {result.spec.digest()[:18]}…  seed 0x{result.seed.hex()[:12]}…  "
        f"M={result.n_models_used}  predicted seed L1 {result.predicted_l1:.3f}  "
        f"transfer (rank corr. with order+1) {rho}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path)


def write_report(result: ValuationResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.json``, ``label.png`` and ``label.txt`` (the label in words) into
    ``out_dir``; return the JSON and PNG paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out_dir / "report.json", out_dir / "label.png"
    json_path.write_text(json.dumps(report_dict(result), indent=2, allow_nan=False) + "\n")
    (out_dir / "label.txt").write_text(label_text(result))
    write_figure(result, png_path)
    return json_path, png_path
