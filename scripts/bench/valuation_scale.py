"""Valuation at 100, 1,000 and 10,000 contributors: how many subset models for what accuracy.

Run (about 10 minutes on 2 shared cores; every n gets its own --budget-s for sampled models):

    timeout 1800 .venv/bin/python scripts/bench/valuation_scale.py --n 100,1000,10000 \
        --write-results scripts/bench/RESULTS-valuation-scale.md

Task per n (fixed seeds): n contributors of --per synthetic chat records each
(validator/valuation/synthetic.py), 5% of them corrupted (their own records with the bytes
shuffled: same size and byte histogram, no language); a validation set of --val records and a
pool of 10; the devnet spec's n-gram LM (bytes, order 3, smoothing 1).

Methods (all on the CPU, --threads threads):

* ``banzhaf-ols``: the pipeline's least-squares Banzhaf (estimator.banzhaf) on M antithetic
  subset models; only where M > n (below that the fit is underdetermined).
* ``banzhaf-msr``: difference-of-means Banzhaf (estimator.banzhaf_msr), O(M n), any M.
* ``loo``: exact leave-one-out on the full pool (influence.loo_values), no sampling.
* ``mean-field``: influence.removal_effects with base fraction 1/2 (Banzhaf's expected subset).

Accuracy: (a) share of the corrupted contributors that rank in the bottom 10% of values (1.00
means all of them do); (b) share of contributors with a non-negligible reference value
(|ref| >= 0.1 * mean |ref|) whose value lies within +-20% of the reference; Spearman rho with the
reference. The reference is least-squares Banzhaf on --ref-models models drawn with *another*
epoch seed (so it shares no model with the rows it judges) where that is affordable (n <=
--ols-max); above, no Banzhaf reference fits in minutes and the mean-field value is used,
labelled as such, after the rows at smaller n show how close it is to Banzhaf. The cross-check
line values --players random contributors as a game of their own with everyone else folded into
the pool (least-squares Banzhaf, --cross-models models), which is what leave-one-out
approximates, and reports its agreement with leave-one-out.

Seconds for sampled methods are cumulative, as the adaptive rule pays them: all models up to M
plus that estimate, and so is their peak RSS. Peak RSS is the process's high-water mark during
the method (reset through /proc/self/clear_refs before each), so it includes the epoch's count
matrix.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import math
import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from threadpoolctl import threadpool_limits

from validator.valuation.backends import LocalBackend
from validator.valuation.data import Record
from validator.valuation.estimator import BanzhafEstimate, banzhaf, banzhaf_msr
from validator.valuation.influence import loo_values, removal_effects
from validator.valuation.masks import subset_masks
from validator.valuation.ngram import NgramProblem, build_ngram_problem
from validator.valuation.spec import ValuationSpec
from validator.valuation.synthetic import chat_records, shuffled_records

F64 = npt.NDArray[np.float64]
BAD_FRACTION = 0.05
CHUNK = 64


def epoch_seed(label: str) -> bytes:
    return hashlib.sha256(f"datadao bench scale {label}".encode()).digest()


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Row:
    method: str
    m: int
    seconds: float
    peak: float
    bottom10: float
    within20: float | None
    rho: float | None
    note: str = ""


@dataclass
class Task:
    problem: NgramProblem
    bad: npt.NDArray[np.bool_]
    build_seconds: float
    build_peak: float


def make_task(n: int, per: int, n_val: int) -> Task:
    rng = np.random.default_rng(1000 + n)
    val = chat_records(rng, n_val)
    pool = chat_records(rng, 10)
    bad = np.zeros(n, dtype=np.bool_)
    bad[rng.permutation(n)[: max(1, round(BAD_FRACTION * n))]] = True
    contributors: list[list[Record]] = []
    for j in range(n):
        recs = chat_records(rng, per)
        contributors.append(shuffled_records(recs, rng) if bad[j] else recs)
    reset_peak()
    t0 = time.perf_counter()
    problem = build_ngram_problem(ValuationSpec(), contributors, val, pool)
    return Task(problem, bad, time.perf_counter() - t0, peak_mib())


def bottom10(values: F64, bad: npt.NDArray[np.bool_]) -> float:
    k = math.ceil(0.1 * values.shape[0])
    low = np.zeros(values.shape[0], dtype=np.bool_)
    low[np.argsort(values, kind="stable")[:k]] = True
    return float((low & bad).sum() / bad.sum())


def within20(values: F64, ref: F64) -> float:
    live = np.abs(ref) >= 0.1 * np.abs(ref).mean()
    return float(np.mean(np.abs(values[live] - ref[live]) <= 0.2 * np.abs(ref[live])))


def ranks(x: F64) -> F64:
    """Ranks 0..n-1, ties sharing their mean rank."""
    order = np.argsort(x, kind="stable")
    r = np.empty(x.shape[0], dtype=np.float64)
    r[order] = np.arange(x.shape[0], dtype=np.float64)
    _, inv, cnt = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=r)
    return np.asarray(sums[inv] / cnt[inv], dtype=np.float64)


def rho(a: F64, b: F64) -> float:
    """Spearman rank correlation."""
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def utilities(problem: NgramProblem, masks: npt.NDArray[np.bool_], threads: int) -> F64:
    return LocalBackend("cpu", threads=threads).run(problem, masks, CHUNK, 0)


def reference(problem: NgramProblem, m: int, label: str, threads: int) -> BanzhafEstimate:
    masks = subset_masks(epoch_seed(label), m, problem.n_contributors)
    return banzhaf(masks, utilities(problem, masks, threads))


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "n/a" if x is None else format(x, spec)


def run_n(n: int, args: argparse.Namespace, out: list[str]) -> None:
    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    task = make_task(n, args.per, args.val)
    p, bad = task.problem, task.bad
    utilities(p, subset_masks(epoch_seed("warm-up"), 2, n), args.threads)  # torch start-up
    say(f"## n = {n:,} contributors ({int(bad.sum())} corrupted)")
    say()
    say(
        f"count matrix {p.counts.shape[0]:,} x {p.counts.shape[1]:,} float64 "
        f"({p.counts.nbytes / 2**20:.0f} MiB), {p.weights.shape[0]:,} unique validation "
        f"n-grams; featurize + counts {task.build_seconds:.1f} s, peak RSS "
        f"{task.build_peak:.0f} MiB"
    )
    rows: list[Row] = []

    def timed(fn: Callable[[], F64]) -> tuple[F64, float, float]:
        reset_peak()
        t0 = time.perf_counter()
        v = fn()
        return v, time.perf_counter() - t0, peak_mib()

    loo, loo_s, loo_peak = timed(lambda: loo_values(p))
    mf, mf_s, mf_peak = timed(lambda: removal_effects(p, 0.5))
    raw: list[tuple[str, int, F64, float, float, str]] = []

    def add(method: str, m: int, v: F64, s: float, peak: float, note: str = "") -> None:
        raw.append((method, m, v, s, peak, note))

    add("loo", 0, loo, loo_s, loo_peak, "exact, deterministic")
    add("mean-field", 0, mf, mf_s, mf_peak, "deterministic")

    ladder = [int(m) for m in args.ladder.split(",")]
    masks_seed = epoch_seed(f"epoch {n}")
    utils = np.zeros(0, dtype=np.float64)
    spent = 0.0
    reset_peak()
    for m in ladder:
        new = m - utils.shape[0]
        per_model = spent / utils.shape[0] if utils.shape[0] else 0.0
        if per_model * new > args.budget_s - spent:
            say(
                f"(banzhaf M={m:,} skipped: about {per_model * new:.0f} s more models, over "
                f"the {args.budget_s:.0f} s budget)"
            )
            break
        t0 = time.perf_counter()
        masks = subset_masks(masks_seed, m, n)
        utils = np.concatenate([utils, utilities(p, masks[utils.shape[0] :], args.threads)])
        spent += time.perf_counter() - t0
        t1 = time.perf_counter()
        est = banzhaf_msr(masks, utils)
        add("banzhaf-msr", m, est.values, spent + time.perf_counter() - t1, peak_mib())
        if n < m and n <= args.ols_max:
            t1 = time.perf_counter()
            est = banzhaf(masks, utils)
            add("banzhaf-ols", m, est.values, spent + time.perf_counter() - t1, peak_mib())

    ref_label: str
    if n <= args.ols_max:
        reset_peak()
        t0 = time.perf_counter()
        ref_est = reference(p, args.ref_models, f"ref {n}", args.threads)
        ref_s, ref_peak = time.perf_counter() - t0, peak_mib()
        ref = ref_est.values
        live = np.abs(ref) >= 0.1 * np.abs(ref).mean()
        rel = float(np.median(ref_est.stderr[live] / np.abs(ref[live])))
        ref_label = f"banzhaf-ols M={args.ref_models:,}, other seed"
        say(
            f"reference: {ref_label}: {ref_s:.1f} s, peak RSS {ref_peak:.0f} MiB, median "
            f"stderr/|value| {rel:.3f}"
        )
    else:
        ref = mf
        ref_label = "mean-field (no Banzhaf reference fits in minutes at this n)"
        say(f"reference: {ref_label}")
    say()

    for method, m, v, s, peak, note in raw:
        same = method == "mean-field" and ref is mf
        rows.append(
            Row(
                method,
                m,
                s,
                peak,
                bottom10(v, bad),
                None if same else within20(v, ref),
                None if same else rho(v, ref),
                note,
            )
        )

    say("| method | M | seconds | peak RSS MiB | corrupted in bottom 10% | within +-20% | rho |")
    say("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        say(
            f"| {r.method} | {r.m or '-'} | {r.seconds:.2f} | {r.peak:.0f} | {r.bottom10:.2f}"
            f" | {fmt(r.within20)} | {fmt(r.rho, '.3f')} |"
        )
    say()
    for method in ("banzhaf-ols", "banzhaf-msr"):
        ms = [r for r in rows if r.method == method]
        if not ms:
            continue
        a = next((r.m for r in ms if r.bottom10 == 1.0), None)
        b = next((r.m for r in ms if (r.within20 or 0.0) >= 0.9), None)
        tried = max(r.m for r in ms)
        say(
            f"- {method}: (a) all corrupted in bottom 10% from M = "
            f"{f'{a:,}' if a else f'> {tried:,} (not reached)'}; (b) >= 90% within +-20% of "
            f"the reference from M = {f'{b:,}' if b else f'> {tried:,} (not reached)'}"
        )
    cross(p, loo, args, say)
    say()


def cross(p: NgramProblem, loo: F64, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    """Banzhaf of a random subset of players, everyone else in the pool, against their LOO."""
    n = p.n_contributors
    k = min(args.players, n // 5)
    if k < 5:
        return
    pick = np.sort(np.random.default_rng(7).permutation(n)[:k])
    rest = np.ones(n, dtype=np.bool_)
    rest[pick] = False
    game = dataclasses.replace(
        p,
        counts=p.counts[pick],
        pool=p.pool + p.counts[rest].sum(axis=0),
        token_sizes=p.token_sizes[pick],
        pool_tokens=p.pool_tokens + float(p.token_sizes[rest].sum()),
    )
    t0 = time.perf_counter()
    est = reference(game, args.cross_models, f"cross {n}", args.threads)
    s = time.perf_counter() - t0
    say(
        f"- cross-check: {k} random players, the other {n - k:,} in the pool, banzhaf-ols "
        f"M={args.cross_models:,} ({s:.1f} s): Spearman rho with their LOO "
        f"{rho(loo[pick], est.values):.3f}, within +-20% {within20(loo[pick], est.values):.2f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", default="100,1000,10000")
    ap.add_argument("--per", type=int, default=4, help="chat records per contributor")
    ap.add_argument("--val", type=int, default=100, help="validation records")
    ap.add_argument("--ladder", default="128,512,2048,8192,32768", help="M for sampled Banzhaf")
    ap.add_argument("--ref-models", type=int, default=32768)
    ap.add_argument("--ols-max", type=int, default=1000, help="largest n with an OLS reference")
    ap.add_argument("--players", type=int, default=200)
    ap.add_argument("--cross-models", type=int, default=4096)
    ap.add_argument("--budget-s", type=float, default=240.0, help="sampled models, per n")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write-results", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out = [
        "# Valuation at scale: sampled Banzhaf vs exact leave-one-out",
        "",
        "Command:",
        "",
        "    " + " ".join(["python", "scripts/bench/valuation_scale.py", *sys.argv[1:]]),
        "",
        f"Host: {platform.machine()}, {platform.python_version()}, torch {torch.__version__}, "
        f"numpy {np.__version__}, CPU only, {args.threads} thread(s); the host's 2 cores were "
        "shared with other work, so compare seconds within one run.",
        "",
    ]
    with threadpool_limits(args.threads):
        for n in (int(x) for x in args.n.split(",")):
            run_n(n, args, out)
            if args.write_results:  # after every n, so a timed-out run keeps what it measured
                doc = (__doc__ or "").strip().split("\n\n", 1)[1]
                args.write_results.write_text("\n".join([*out, "## Method", "", doc, ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
