"""Benchmark of the valuation engine against pyDVL and a serial sklearn reference.

Run (prints every figure with the device it was measured on; about 15 minutes on 2 busy cores):

    .venv/bin/python scripts/bench/valuation.py --device cpu --threads 1 \
        --write-results scripts/bench/RESULTS-valuation.md

Tasks (one run, same splits for every system):

* digits: scikit-learn's digits, 20 contributors x 60 examples, 4 of them with 60% (and,
  separately, 30%) of labels flipped; the other 597 examples are the validation set; logistic
  regression proxy; utility = validation log-likelihood. Quality = AUC of "value ranks the
  corrupted contributors lowest" and how often all 4 are the 4 lowest, over --seeds seeds.
* pyDVL 0.10 (MSR Banzhaf and TMC-Shapley, single process, one BLAS thread) on the same split
  with the same number of model fits as our M (--pydvl-seeds seeds; it is slow).
* sklearn-serial: LogisticRegression fitted per subset, one after another, on *our* masks
  (the in-repo reference for speed and for how faithful the batched proxy is).
* agreement (L1 distance of token shares between validators), sybil splitting, and the
  text task (n-gram LM, chat-like contributors with noise, duplicates, validation copies).
* throughput: subset models per second at scale, on the digits task with --tp-models models
  in chunks of --tp-chunk, and on a synthetic 20,000 x 128 task split across 100 contributors
  (10 classes, --large-models models in chunks of --large-chunk) against serial sklearn fits of
  the same subsets (--large-ref-fits of them).

On a GPU (what produced the README's GPU figures; see scripts/bench/RESULTS-valuation-gpu.md):

    python scripts/bench/valuation.py --device cuda --chunk 1024 --tp-models 65536 \
        --tp-chunk 4096 --large-models 4096 --large-chunk 512 --sybil-models 8192 \
        --sybil-seeds 8 --agree-models 128,1024,4096
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import math
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from validator.valuation.backends import LocalBackend, device_label, resolve_device
from validator.valuation.classifier import build_classifier_problem
from validator.valuation.data import Contribution, Record
from validator.valuation.masks import subset_masks
from validator.valuation.pipeline import ValuationResult, value_epoch
from validator.valuation.spec import (
    CheckSpec,
    FeaturizerSpec,
    Precision,
    TrainSpec,
    ValuationSpec,
)
from validator.valuation.synthetic import chat_records, shuffled_records

N_CONTRIB, PER, N_BAD = 20, 60, 4
Out = Callable[[str], None]


def epoch_seed(label: str) -> bytes:
    return hashlib.sha256(f"datadao bench {label}".encode()).digest()


def auc(values: Sequence[float], bad: set[int]) -> float:
    """P(a corrupted contributor is valued below a clean one); ties count one half."""
    good = [i for i in range(len(values)) if i not in bad]
    pairs = [(values[b] < values[g]) + 0.5 * (values[b] == values[g]) for b in bad for g in good]
    return float(np.mean(pairs))


def lowest(values: Sequence[float], bad: set[int]) -> bool:
    return set(np.argsort(values, kind="stable")[: len(bad)].tolist()) == bad


# --------------------------------------------------------------------------- digits task


@dataclasses.dataclass
class Split:
    """One tabular epoch: ``N_CONTRIB`` contributors of ``per`` consecutive training rows."""

    x_train: np.ndarray  # [N_CONTRIB * per, D] as the model sees it (digits: already /16)
    y_train: np.ndarray  # labels after flipping
    x_val: np.ndarray
    y_val: np.ndarray
    bad: set[int]
    per: int = PER
    n_classes: int = 10
    scale: float = 1 / 16  # the featurizer's scale: records hold x / scale

    def row(self, v: np.ndarray) -> str:
        if self.scale == 1 / 16:
            return " ".join(str(round(float(a) * 16)) for a in v)
        return " ".join(f"{a:.4f}" for a in v)


def digits_split(seed: int, flip: float) -> Split:
    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    x, y = x[perm] / 16.0, y[perm].copy()
    n = N_CONTRIB * PER
    bad = set(rng.choice(N_CONTRIB, N_BAD, replace=False).tolist())
    y_train = _flipped(y[:n], bad, flip, rng, n_classes=10)
    return Split(x[:n], y_train, x[n:], y[n:], bad)


def _flipped(
    y: npt.NDArray[Any], bad: set[int], flip: float, rng: np.random.Generator, n_classes: int
) -> npt.NDArray[Any]:
    """A copy of the training labels with ``flip`` of each bad contributor's moved to another
    class (the same draws, in the same order, for every task)."""
    out = y.copy()
    for j in bad:
        idx = np.arange(j * PER, (j + 1) * PER)
        flip_idx = idx[rng.random(PER) < flip]
        out[flip_idx] = (out[flip_idx] + rng.integers(1, n_classes, flip_idx.size)) % n_classes
    return out


def multiclass_split(seed: int, flip: float) -> Split:
    """The issue's small multi-class task: ``make_classification`` 1,800 x 20, 3 classes; 20
    contributors x 60 rows, 4 of them with ``flip`` of their labels moved to another class; the
    other 600 rows are the validation set."""
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=1800, n_features=20, n_informative=10, n_redundant=5, n_classes=3,
        class_sep=0.8, random_state=seed,
    )  # fmt: skip
    x = np.round(x, 4)  # what the records carry
    rng = np.random.default_rng(seed)
    n = N_CONTRIB * PER
    bad = set(rng.choice(N_CONTRIB, N_BAD, replace=False).tolist())
    y_train = _flipped(y[:n], bad, flip, rng, n_classes=3)
    return Split(x[:n], y_train, x[n:], y[n:], bad, n_classes=3, scale=1.0)


BC_PER = 17


def breast_cancer_split(seed: int) -> Split:
    """breast_cancer, 20 contributors x 17 rows (features standardised on their rows, rounded
    as the records carry them); contributor 0 has uniformly random labels (noise); the other
    229 rows are the validation set. Issue #18: this noise contributor was paid 278-1143 bps."""
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(y))
    x, y = x[perm], y[perm]
    n = N_CONTRIB * BC_PER
    x = np.round((x - x[:n].mean(axis=0)) / (x[:n].std(axis=0) + 1e-9), 4)
    y_train = y[:n].copy()
    y_train[:BC_PER] = rng.integers(0, 2, BC_PER)
    return Split(x[:n], y_train, x[n:], y[n:], {0}, per=BC_PER, n_classes=2, scale=1.0)


TASKS = ("digits", "multiclass", "breast_cancer")


def task_split(task: str, seed: int, flip: float) -> Split:
    if task == "digits":
        return digits_split(seed, flip)
    if task == "multiclass":
        return multiclass_split(seed, flip)
    if task == "breast_cancer":
        return breast_cancer_split(seed)
    raise SystemExit(f"unknown task {task!r}; use {', '.join(TASKS)}")


def to_contributions(split: Split) -> tuple[list[Contribution], list[Record]]:
    per = split.per
    contribs = [
        Contribution(
            f"c{j:02d}",
            tuple(
                Record(split.row(split.x_train[i]), str(split.y_train[i]))
                for i in range(j * per, (j + 1) * per)
            ),
        )
        for j in range(N_CONTRIB)
    ]
    val = [Record(split.row(x), str(y)) for x, y in zip(split.x_val, split.y_val, strict=True)]
    return contribs, val


def digits_spec(models: int, chunk: int, scale: float = 1 / 16) -> ValuationSpec:
    """The tabular tasks' spec (``scale`` 1/16 for digits' 0..16 pixels, 1 for the others)."""
    return ValuationSpec(
        model="classifier",
        featurizer=FeaturizerSpec(kind="numeric", scale=scale),
        training=TrainSpec(steps=50, lr=0.1, l2=1.0),
        checks=CheckSpec(near_dup_threshold=None),
        n_models=models,
        model_chunk=chunk,
        curve_fractions=(0.125, 0.25, 1.0),
    )


def ours(spec: ValuationSpec, split: Split, seed: bytes, backend: LocalBackend) -> ValuationResult:
    contribs, val = to_contributions(split)
    return value_epoch(spec, contribs, val, [], seed, backend)


def throughput(spec: ValuationSpec, split: Split, backend: LocalBackend) -> float:
    """Models/s of one timed run, after a one-chunk warm-up (CUDA context, kernels, allocator)."""
    warm = dataclasses.replace(spec, n_models=spec.model_chunk)
    ours(warm, split, epoch_seed("warm"), backend)
    res = ours(spec, split, epoch_seed("throughput"), backend)
    return res.n_trained / res.train_seconds


def _ll(model: LogisticRegression, x: np.ndarray, y: np.ndarray, n_classes: int = 10) -> float:
    proba = np.full((len(y), n_classes), 1e-12)
    proba[:, model.classes_] = model.predict_proba(x)
    return float(np.mean(np.log(proba[np.arange(len(y)), y])))


def sklearn_serial(split: Split, masks: np.ndarray) -> tuple[np.ndarray, float]:
    """Utilities of the same subsets, one sklearn fit after another (the in-repo reference)."""
    out = np.empty(masks.shape[0])
    owner = np.repeat(np.arange(N_CONTRIB), split.per)
    t0 = time.perf_counter()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m, mask in enumerate(masks):
            keep = mask[owner]
            if keep.sum() == 0 or np.unique(split.y_train[keep]).size < 2:
                out[m] = -math.log(split.n_classes)
                continue
            model = LogisticRegression(C=1.0, max_iter=100).fit(
                split.x_train[keep], split.y_train[keep]
            )
            out[m] = _ll(model, split.x_val, split.y_val, split.n_classes)
    return out, time.perf_counter() - t0


def pydvl_run(split: Split, method: str, budget: int, seed: int) -> tuple[np.ndarray, int, float]:
    """pyDVL values per contributor (group), the number of fits and the seconds taken."""
    from joblib import parallel_config
    from pydvl.valuation import (
        Dataset,
        GroupedDataset,
        MaxUpdates,
        ModelUtility,
        MSRBanzhafValuation,
        RelativeTruncation,
        SupervisedScorer,
        TMCShapleyValuation,
    )

    fits = [0]

    class CountingLR(LogisticRegression):  # type: ignore[misc]
        def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: object = None) -> object:
            fits[0] += 1
            return super().fit(x, y, sample_weight)

    train = GroupedDataset.from_dataset(
        Dataset(split.x_train, split.y_train),
        data_groups=np.repeat(np.arange(N_CONTRIB), split.per),
    )
    # pyDVL's generics are not worth pinning here: Any keeps mypy quiet with or without pyDVL
    scorer: Any = SupervisedScorer(
        "neg_log_loss", Dataset(split.x_val, split.y_val), default=-math.log(split.n_classes)
    )
    utility: Any = ModelUtility(CountingLR(C=1.0, max_iter=100), scorer)
    val: Any
    t0 = time.perf_counter()
    with threadpool_limits(1), parallel_config(n_jobs=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "msr":
            # MSR spends two fits per update here; match our number of subset models
            val = MSRBanzhafValuation(utility, is_done=MaxUpdates(budget // 2), seed=seed)
        else:
            val = TMCShapleyValuation(
                utility, truncation=RelativeTruncation(0.01), is_done=MaxUpdates(budget), seed=seed
            )
        val.fit(train)
    seconds = time.perf_counter() - t0
    res = val.result
    values = np.zeros(N_CONTRIB)
    for idx, v in zip(res.indices, res.values, strict=True):
        values[int(idx)] = v
    return values, fits[0], seconds


# --------------------------------------------------------------------------- large task

LARGE_CONTRIB, LARGE_PER, LARGE_DIM, LARGE_CLASSES, LARGE_VAL = 100, 200, 128, 10, 2000


def large_arrays(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """20,000 training points (100 contributors x 200) and 2,000 validation points: a mixture of
    10 Gaussian classes in 128 dimensions, overlapping enough that more data keeps helping."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0.0, 0.35, (LARGE_CLASSES, LARGE_DIM))

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, LARGE_CLASSES, n)
        return (means[y] + rng.normal(0.0, 1.0, (n, LARGE_DIM))).astype(np.float32), y

    x, y = draw(LARGE_CONTRIB * LARGE_PER)
    xv, yv = draw(LARGE_VAL)
    return x, y, xv, yv


def large_throughput(
    backend: LocalBackend, models: int, chunk: int, ref_fits: int
) -> tuple[float, float, float]:
    """Models/s on the 20k x 128 x 100 task, same masks: ours in fp64, ours in fp32, and
    ``ref_fits`` serial sklearn fits."""
    x, y, xv, yv = large_arrays(0)
    per = [
        (x[j * LARGE_PER : (j + 1) * LARGE_PER], y[j * LARGE_PER : (j + 1) * LARGE_PER])
        for j in range(LARGE_CONTRIB)
    ]
    empty = (np.zeros((0, LARGE_DIM), np.float32), np.zeros(0, np.int64))
    masks = subset_masks(epoch_seed("large"), models, LARGE_CONTRIB)
    rates: list[float] = []
    precisions: tuple[Precision, ...] = ("fp64", "fp32")
    for precision in precisions:
        spec = ValuationSpec(
            model="classifier",
            featurizer=FeaturizerSpec(kind="numeric"),
            training=TrainSpec(steps=50, lr=0.1, l2=1.0, precision=precision),
            n_models=models,
            model_chunk=chunk,
        )
        problem = build_classifier_problem(spec, per, (xv, yv), empty, LARGE_CLASSES, init_seed=0)
        backend.run(problem, masks[:chunk], chunk, 0)  # warm-up: CUDA context, kernels, allocator
        t0 = time.perf_counter()
        utils = backend.run(problem, masks, chunk, 0)
        rates.append(models / (time.perf_counter() - t0))
        if not np.isfinite(utils).all():
            raise RuntimeError(f"non-finite utilities on the large task ({precision})")
    owner = np.repeat(np.arange(LARGE_CONTRIB), LARGE_PER)
    t0 = time.perf_counter()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mask in masks[:ref_fits]:
            keep = mask[owner]
            LogisticRegression(C=1.0, max_iter=100).fit(x[keep], y[keep])
    return rates[0], rates[1], ref_fits / (time.perf_counter() - t0)


# --------------------------------------------------------------------------- text task


def text_task(seed: int) -> tuple[list[Contribution], list[Record], list[Record], set[str]]:
    rng = np.random.default_rng(1000 + seed)
    val = chat_records(rng, 100)
    pool = chat_records(rng, 30)
    contribs = [Contribution(f"honest{j:02d}", tuple(chat_records(rng, 30))) for j in range(16)]
    contribs += [
        Contribution(f"noise{j}", tuple(shuffled_records(chat_records(rng, 30), rng)))
        for j in range(2)
    ]
    contribs.append(Contribution("copycat", contribs[0].records))
    contribs.append(Contribution("valcopy", tuple(val[:30])))
    return contribs, val, pool, {"noise0", "noise1"}


def sybil_section(
    args: argparse.Namespace, spec: ValuationSpec, backend: LocalBackend, out: Out
) -> None:
    """Sybil splitting on clean digits (common random numbers across the compared runs)."""
    out(f"## Sybil splitting (digits, clean data, M={args.sybil_models}, "
        f"{args.sybil_seeds} seeds)")  # fmt: skip
    out("")
    out("One clean contributor's 60 examples are split across k identities (or copied to 2).")
    out("The identities sort last, so every other contributor keeps its mask column (common")
    out("random numbers across the compared runs). Ratio = paid to identities / paid unsplit.")
    out("")
    out("| k | bps ratio mean ± sd | bps ratio per seed | value-sum ratio mean |")
    out("|---|---|---|---|")
    sspec = dataclasses.replace(spec, n_models=args.sybil_models)
    clean = digits_split(0, 0.0)
    contribs, val = to_contributions(clean)
    target = contribs[0]
    others = contribs[1:]
    base_runs = []
    for s in range(args.sybil_seeds):
        seed = epoch_seed(f"sybil {s}")
        whole = value_epoch(
            sspec, [*others, Contribution("zz", target.records)], val, [], seed, backend
        )
        base_runs.append((seed, whole.contributors[-1].bps, whole.contributors[-1].value))
    for label, k in (("2", 2), ("4", 4), ("8", 8), ("copy x2", -2)):
        ratios, vratios = [], []
        for seed, base_bps, base_val in base_runs:
            if k > 0:
                ids = [Contribution(f"zz-{i}", target.records[i::k]) for i in range(k)]
            else:
                ids = [Contribution(f"zz-{i}", target.records) for i in range(-k)]
            res = value_epoch(sspec, [*others, *ids], val, [], seed, backend)
            tail = res.contributors[-len(ids) :]
            ratios.append(sum(c.bps for c in tail) / base_bps)
            vratios.append(sum(c.value for c in tail) / base_val)
        sd = float(np.std(ratios, ddof=1)) if len(ratios) > 1 else 0.0
        out(f"| {label} | {np.mean(ratios):.3f} ± {sd:.3f} | "
            f"{', '.join(f'{r:.3f}' for r in ratios)} | {np.mean(vratios):.3f} |")  # fmt: skip
    out("")


def text_section(args: argparse.Namespace, backend: LocalBackend, out: Out) -> None:
    """The n-gram text task: noise ranked lowest, copies flagged."""
    # ---- text task
    out("## Text task: byte 3-gram LM, 16 honest chat contributors + 2 shuffled-noise + 1 copy")
    out("of an honest contributor + 1 copy of the validation set; pool of 30 conversations")
    out("")
    tspec = ValuationSpec(
        model="ngram",
        featurizer=FeaturizerSpec(kind="bytes", order=3),
        n_models=args.models,
        model_chunk=args.chunk,
    )
    aucs, hits, rates, flagged_ok = [], [], [], []
    for s in range(args.seeds):
        contribs, val, pool, noise = text_task(s)
        res = value_epoch(tspec, contribs, val, pool, epoch_seed(f"text {s}"), backend)
        valued = [c for c in res.contributors if not c.flags]
        vals = [c.value for c in valued]
        bad = {i for i, c in enumerate(valued) if c.contributor in noise}
        aucs.append(auc(vals, bad))
        hits.append(lowest(vals, bad))
        rates.append(res.n_trained / res.train_seconds)
        flags = {c.contributor: c.flags for c in res.contributors}
        flagged_ok.append(
            bool(flags["copycat"]) and bool(flags["honest00"]) and bool(flags["valcopy"])
            and all(not flags[f"honest{j:02d}"] for j in range(1, 16))
            and all(c.bps == 0 for c in res.contributors if c.contributor in noise)
        )  # fmt: skip
    out(f"- noise ranked below every honest contributor: AUC mean {np.mean(aucs):.3f} "
        f"(min {min(aucs):.3f}), both lowest in {np.mean(hits):.0%} of {args.seeds} "
        "runs")  # fmt: skip
    out("- copies flagged (copy + original as duplicate, validation copy as overlap), no honest")
    out(f"  contributor flagged, noise paid 0 bps: {np.mean(flagged_ok):.0%} of runs")
    out(f"- n-gram subset models/s: {np.median(rates):.1f} on {backend.label}")
    out("")


def stability_section(
    args: argparse.Namespace,
    backend: LocalBackend,
    spec_of: Callable[[str], ValuationSpec],
    out: Out,
) -> None:
    """Payout shares of one epoch under ``--stability-seeds`` epoch seeds, with the adaptive M
    of the spec (``max_models`` = ``--max-models``, ``stable_l1`` 0.03): what two validators
    that drew different seeds would pay. Validators share the epoch seed, so this measures how
    much a contributor's pay depends on the blockhash."""
    seeds = args.stability_seeds
    out(f"## Seed stability: L1 distance between payout shares under {seeds} epoch seeds "
        f"({seeds * (seeds - 1) // 2} pairs)")  # fmt: skip
    out("")
    out(f"Adaptive M (ValuationSpec.max_models = {args.max_models}, stable_l1 = 0.03): M doubles "
        "from 128 while the predicted seed-to-seed L1 exceeds 0.03 (the prediction runs above "
        "the measured L1, so a cap can stop it with the measured L1 in bounds).")  # fmt: skip
    out("")
    out("| task | M cap | M used per seed | L1 mean (max) | predicted L1 (max) | s per epoch | "
        "corrupted bps per seed |")  # fmt: skip
    out("|---|---|---|---|---|---|---|")
    for task in args.stability.split(","):
        if task == "text":
            contribs, val, pool, noise = text_task(0)
            base = ValuationSpec(
                model="ngram", featurizer=FeaturizerSpec(kind="bytes", order=3),
                n_models=args.models, model_chunk=args.chunk,
            )  # fmt: skip
            bad = {i for i, c in enumerate(contribs) if c.contributor in noise}
        else:
            split = task_split(task, 0, 0.6)
            contribs, val = to_contributions(split)
            pool, bad, base = [], split.bad, spec_of(task)
        caps = dict(kv.split("=") for kv in args.max_models.split(",") if "=" in kv)
        default_cap = next((int(kv) for kv in args.max_models.split(",") if "=" not in kv), 16384)
        cap = int(caps.get(task, default_cap))
        tspec = dataclasses.replace(base, max_models=cap, stable_l1=0.03)
        results, secs = [], []
        for k in range(seeds):
            t0 = time.perf_counter()
            results.append(value_epoch(tspec, contribs, val, pool, epoch_seed(f"stab {k}"),
                                       backend))  # fmt: skip
            secs.append(time.perf_counter() - t0)
        shares = [np.array([c.bps for c in r.contributors]) / 1e4 for r in results]
        l1 = [float(np.abs(shares[a] - shares[b]).sum())
              for a in range(seeds) for b in range(a + 1, seeds)]  # fmt: skip
        bad_bps = [sum(r.contributors[j].bps for j in bad) for r in results]
        out(f"| {task} | {cap} | {', '.join(str(r.n_models_used) for r in results)} | "
            f"{np.mean(l1):.4f} ({max(l1):.4f}) | "
            f"{max(r.predicted_l1 for r in results):.4f} | {np.median(secs):.1f} | "
            f"{', '.join(map(str, bad_bps))} |")  # fmt: skip
    shared = [
        [c.bps for c in ours(spec_of("digits"), digits_split(0, 0.6), epoch_seed("d0"),
                             backend).contributors]
        for _ in range(2)
    ]  # fmt: skip
    out("")
    out(f"- shared epoch seed, two runs (digits, M=128): bps identical = {shared[0] == shared[1]}")
    out("")


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 = fair vs pyDVL)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--pydvl-seeds", type=int, default=2)
    ap.add_argument("--models", type=int, default=128)
    ap.add_argument("--chunk", type=int, default=64)
    ap.add_argument("--sybil-seeds", type=int, default=4)
    ap.add_argument(
        "--agree-models",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[128, 1024],
        help="comma-separated M values for the agreement test",
    )
    ap.add_argument("--agree-pairs", type=int, default=3)
    ap.add_argument(
        "--sections",
        default="quality,fidelity,speed,large,stability,sybil,text",
        help="comma-separated sections to run (the slow ones: stability, large, sybil)",
    )
    ap.add_argument("--tasks", default=",".join(TASKS), help="tabular tasks of quality/speed")
    ap.add_argument(
        "--stability",
        default="digits,multiclass,breast_cancer,text",
        help="tasks of the seed-stability section",
    )
    ap.add_argument("--stability-seeds", type=int, default=4)
    ap.add_argument(
        "--max-models",
        default="16384",
        help="adaptive M's cap there: one number, or per task (digits=4096,text=16384,...)",
    )
    ap.add_argument("--sybil-models", type=int, default=256)
    ap.add_argument("--tp-models", type=int, default=1024, help="digits throughput run's M")
    ap.add_argument("--tp-chunk", type=int, default=None, help="its chunk (default --chunk)")
    ap.add_argument("--large-models", type=int, default=32, help="20k x 128 x 100 task's M")
    ap.add_argument("--large-chunk", type=int, default=16)
    ap.add_argument("--large-ref-fits", type=int, default=4, help="serial sklearn fits timed")
    ap.add_argument("--no-pydvl", action="store_true")
    ap.add_argument("--write-results", type=Path, default=None)
    ap.add_argument("--label-dir", type=Path, default=None, help="write a sample JSON+PNG label")
    args = ap.parse_args()

    device = resolve_device(args.device)
    backend = LocalBackend(str(device), args.threads if device.type == "cpu" else None)
    dev = backend.label if device.type == "cpu" else device_label(device)
    cpu_name = platform.processor() or platform.machine()
    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    out(f"# Valuation benchmark ({time.strftime('%Y-%m-%d')})")
    out("")
    out(f"command: `{' '.join(['.venv/bin/python', *sys.argv])}`")
    out(f"ours on: {dev}; torch {torch.__version__}; host CPU: {cpu_name}, "
        f"{torch.get_num_threads()} torch threads available")  # fmt: skip
    spec = digits_spec(args.models, args.chunk)
    out(f"digits spec digest: {spec.digest()}  (M={args.models}, Adam 50 steps, fp64)")
    out("")

    sections = set(args.sections.split(","))
    tasks = args.tasks.split(",")
    rows_of = {"digits": [0.6, 0.3], "multiclass": [0.6], "breast_cancer": [1.0]}

    def spec_of(task: str) -> ValuationSpec:
        return digits_spec(args.models, args.chunk, 1 / 16 if task == "digits" else 1.0)

    # ---- quality + speed on the tabular tasks
    speed: dict[tuple[str, str], list[float]] = {}
    first_result: ValuationResult | None = None
    if "quality" in sections:
        out("## Tabular tasks: 20 contributors, the corrupted ones should be valued lowest")
        out("")
        out("digits: 20 x 60 rows, 4 with flipped labels; multiclass: `make_classification` 1,800")
        out("x 20, 3 classes, 20 x 60 rows, 4 with flipped labels; breast_cancer: 20 x 17 rows,")
        out("one with random labels (column flip = 100%; its bps are in the last column).")
        out("")
        out("| task | system | flip | runs | AUC mean (min) | all lowest | models | models/s "
            "| device | corrupted bps |")  # fmt: skip
        out("|---|---|---|---|---|---|---|---|---|---|")
    for task in tasks if "quality" in sections else []:
        spec = spec_of(task)
        # untimed warm-up (first-call costs: thread pools, allocator), as throughput() does
        warm = dataclasses.replace(spec, n_models=spec.model_chunk)
        ours(warm, task_split(task, 0, rows_of[task][0]), epoch_seed("warm"), backend)
        for flip in rows_of[task]:
            aucs, hits, rates, nmodels, bad_bps = [], [], [], 0, []
            for s in range(args.seeds):
                split = task_split(task, s, flip)
                res = ours(spec, split, epoch_seed(f"{task} {s}"), backend)
                if task == "digits":
                    first_result = first_result or res
                v = [c.value for c in res.contributors]
                aucs.append(auc(v, split.bad))
                hits.append(lowest(v, split.bad))
                rates.append(res.n_trained / res.train_seconds)
                nmodels = res.n_trained
                bad_bps.append(sum(res.contributors[j].bps for j in split.bad))
            speed.setdefault((task, "ours"), []).extend(rates)
            out(f"| {task} | ours (Banzhaf, batched torch) | {flip:.0%} | {args.seeds} | "
                f"{np.mean(aucs):.3f} ({min(aucs):.3f}) | {np.mean(hits):.0%} | {nmodels} | "
                f"{np.median(rates):.1f} | {dev} | {', '.join(map(str, bad_bps))} |")  # fmt: skip
            if args.no_pydvl:
                continue
            methods = (("msr", "pyDVL MSR-Banzhaf"), ("tmc", "pyDVL TMC-Shapley"))
            for method, name in methods if task == "digits" else methods[:1]:
                aucs, hits, rates, fits_all = [], [], [], []
                for s in range(args.pydvl_seeds):
                    split = task_split(task, s, flip)
                    budget = args.models if method == "msr" else max(1, args.models // 20)
                    v_arr, fits, secs = pydvl_run(split, method, budget, seed=s)
                    aucs.append(auc(v_arr.tolist(), split.bad))
                    hits.append(lowest(v_arr.tolist(), split.bad))
                    rates.append(fits / secs)
                    fits_all.append(fits)
                speed.setdefault((task, f"pydvl-{method}"), []).extend(rates)
                out(f"| {task} | {name} (1 process) | {flip:.0%} | {args.pydvl_seeds} | "
                    f"{np.mean(aucs):.3f} ({min(aucs):.3f}) | {np.mean(hits):.0%} | "
                    f"{int(np.mean(fits_all))} | {np.median(rates):.1f} | cpu (1 BLAS thread) "
                    "| - |")  # fmt: skip
    if "quality" in sections:
        out("")

    # ---- in-repo serial reference on our masks
    spec = digits_spec(args.models, args.chunk)
    split = digits_split(0, 0.6)
    if "fidelity" in sections:
        out(f"## Proxy fidelity: our batched proxy vs sklearn LogisticRegression on the same "
            f"{args.models} masks")  # fmt: skip
        out("")
        from validator.valuation.estimator import banzhaf

        for task in tasks:
            fsplit = task_split(task, 0, rows_of[task][0])
            masks = subset_masks(epoch_seed(f"{task} 0"), args.models, N_CONTRIB)
            ref_u, ref_s = sklearn_serial(fsplit, masks)
            speed.setdefault((task, "sklearn"), []).append(args.models / ref_s)
            res0 = ours(spec_of(task), fsplit, epoch_seed(f"{task} 0"), backend)
            ref_v = banzhaf(masks, ref_u).values
            our_v = np.array([c.value for c in res0.contributors])
            out(f"- {task}: sklearn-serial {args.models} fits in {ref_s:.1f} s = "
                f"{args.models / ref_s:.1f} models/s (cpu, 1 BLAS thread); AUC of its values "
                f"{auc(ref_v.tolist(), fsplit.bad):.3f}; Pearson r of Banzhaf values, ours vs "
                f"sklearn-serial: {np.corrcoef(our_v, ref_v)[0, 1]:.4f}")  # fmt: skip
        out("")

    # ---- speed summary
    if "speed" in sections:
        out("## Speed (subset models per second, median over runs, same run)")
        out("")
        out("| task | ours at M=128 | pyDVL MSR-Banzhaf | ours / pyDVL MSR | pyDVL TMC | "
            "sklearn-serial | ours / sklearn |")  # fmt: skip
        out("|---|---|---|---|---|---|---|")

        def med(task: str, key: str) -> float:
            v = speed.get((task, key))
            return float(np.median(v)) if v else float("nan")

        for task in tasks:
            o, p, t, k = (med(task, key) for key in ("ours", "pydvl-msr", "pydvl-tmc", "sklearn"))
            out(f"| {task} | {o:.1f} | {p:.1f} | {o / p:.1f}x | {t:.1f} | {k:.1f} | "
                f"{o / k:.1f}x |")  # fmt: skip
        out("")
        tp_chunk = args.tp_chunk or args.chunk
        tspec = dataclasses.replace(spec, n_models=args.tp_models, model_chunk=tp_chunk)
        tp_rate = throughput(tspec, split, backend)
        out(f"- digits, ours at M={args.tp_models} (chunks of {tp_chunk}): {tp_rate:.1f} "
            f"models/s on {dev}")  # fmt: skip
        t32 = dataclasses.replace(
            tspec, training=dataclasses.replace(tspec.training, precision="fp32")
        )
        tp32_rate = throughput(t32, split, backend)
        out(f"- same in fp32 (TF32 off): {tp32_rate:.1f} models/s -> fp64/fp32 = "
            f"{tp_rate / tp32_rate:.2f}x")  # fmt: skip
        out("")

    if "large" in sections:
        out(f"## Throughput at scale: {LARGE_CONTRIB * LARGE_PER} points x {LARGE_DIM} features "
            f"x {LARGE_CONTRIB} contributors, {LARGE_CLASSES} classes")  # fmt: skip
        out("")
        big, big32, ref_big = large_throughput(
            backend, args.large_models, args.large_chunk, args.large_ref_fits
        )
        out(f"- ours: {args.large_models} models (chunks of {args.large_chunk}, Adam 50 steps) "
            f"at {big:.1f} models/s on {dev}")  # fmt: skip
        out(f"- same in fp32 (TF32 off): {big32:.1f} models/s -> fp64/fp32 = {big / big32:.2f}x")
        out(f"- sklearn-serial: {args.large_ref_fits} fits at {ref_big:.2f} models/s (cpu, 1 "
            f"BLAS thread) -> ours/sklearn = {big / ref_big:.1f}x")  # fmt: skip
        out("")

    # ---- seed stability (agreement between validators)
    if "stability" in sections:
        stability_section(args, backend, spec_of, out)

    # ---- sybil splitting
    if "sybil" in sections:
        sybil_section(args, spec, backend, out)
    if "text" in sections:
        text_section(args, backend, out)

    if first_result is not None and args.label_dir is not None:
        from validator.valuation.report import write_report

        json_path, png_path = write_report(first_result, args.label_dir)
        out(f"nutrition label of digits seed 0 (60% flips): {json_path}, {png_path}")
    if args.write_results is not None:
        args.write_results.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
