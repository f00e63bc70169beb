"""One epoch's valuation: checks -> features -> batched subset models -> Banzhaf -> scores.

This is the function the validator daemon and ``datadao value`` call. Everything it reads is an
argument (spec, contributions, validation set, pool, epoch seed, backend); nothing is global.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import torch

import validator
from node.types import Bps
from validator.valuation.backends import Backend
from validator.valuation.blocks import blocks_of, grouped_banzhaf
from validator.valuation.checks import run_checks
from validator.valuation.classifier import (
    Labelled,
    build_classifier_problem,
    featurize_labelled,
)
from validator.valuation.concentration import item_gains, top_share
from validator.valuation.curve import CurveFit, fit_power_law
from validator.valuation.data import Contribution, Record
from validator.valuation.determinism import derive_seed
from validator.valuation.errors import DataFormatError, SpecError
from validator.valuation.estimator import predicted_l1
from validator.valuation.influence import grouped_loo
from validator.valuation.masks import curve_masks, subset_masks
from validator.valuation.neural import build_neural_problem
from validator.valuation.ngram import NgramProblem, build_ngram_problem
from validator.valuation.problem import Problem
from validator.valuation.scores import quantize, to_bps
from validator.valuation.spec import ValuationSpec

__all__ = ["ContributorValue", "ValuationResult", "value_epoch"]

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ContributorValue:
    """One contributor's line of the nutrition label."""

    contributor: str
    value: float
    msr: float
    stderr: float
    quanta: int
    bps: Bps
    flags: tuple[str, ...]
    items: float
    detail: dict[str, int]

    @property
    def share(self) -> float:
        return self.bps / 10_000


@dataclass(frozen=True, slots=True)
class ValuationResult:
    """Values, scores and everything needed to reproduce them (STYLE: record what scored)."""

    spec: ValuationSpec
    seed: bytes
    contributors: tuple[ContributorValue, ...]
    utility_pool: float
    utility_full: float  # pool + every contributor of non-negative value
    # learning-curve points: training items and validation loss of each model used in the fit
    curve: CurveFit | None
    curve_sizes: F64
    curve_losses: F64
    backend: str
    n_trained: int
    train_seconds: float
    n_models_used: int = 0  # M after the adaptive rule (ValuationSpec.max_models)
    decimals: int = 4  # the values' rounding before scores (spec.decimals, or loo_decimals)
    predicted_l1: float = 0.0  # expected seed-to-seed L1 of the shares at that M
    # Spearman correlation of the values with a larger model's of the same family on the same
    # subsets (the n-gram LM one order higher); None where no larger model is defined.
    transfer_rho: float | None = None
    torch_version: str = field(default_factory=lambda: torch.__version__)
    code_version: str = validator.__version__

    @property
    def bps(self) -> list[Bps]:
        return [c.bps for c in self.contributors]


def _build(
    spec: ValuationSpec,
    kept: list[tuple[Record, ...]],
    validation: Sequence[Record],
    pool: Sequence[Record],
    labelled: tuple[list[Labelled], Labelled, Labelled, int] | None,
    init_seed: int,
) -> Problem:
    if spec.model == "ngram":
        return build_ngram_problem(spec, kept, validation, pool)
    if spec.model == "neural":
        return build_neural_problem(spec, kept, validation, pool, init_seed)
    if labelled is None:
        raise DataFormatError("classifier inputs were not featurized")
    xs, val, pool_l, n_classes = labelled
    return build_classifier_problem(spec, xs, val, pool_l, n_classes, init_seed)


def _spearman(a: F64, b: F64) -> float | None:
    """Rank correlation (average ranks for ties); None when either side is constant."""
    ra = np.argsort(np.argsort(a, kind="stable"), kind="stable").astype(np.float64)
    rb = np.argsort(np.argsort(b, kind="stable"), kind="stable").astype(np.float64)
    for r, x in ((ra, a), (rb, b)):
        for v in np.unique(x):
            tie = x == v
            r[tie] = r[tie].mean()
    if ra.std() == 0.0 or rb.std() == 0.0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def _transfer_check(
    spec: ValuationSpec,
    kept: list[tuple[Record, ...]],
    validation: Sequence[Record],
    pool: Sequence[Record],
    masks: npt.NDArray[np.bool_],
    values: F64,
    backend: Backend,
    train_seed: int,
    owners: Sequence[int],
    n_owners: int,
    *,
    loo: bool = False,
) -> float | None:
    """Do the proxy's values carry over to a larger model of its family? For the n-gram LM the
    larger model is one order higher, valued on the same subsets (or by the same leave-one-out
    when ``loo``); the label reports the rank correlation. It changes no score (values and bps
    come from the spec's model only)."""
    if spec.model != "ngram" or spec.featurizer.order >= 8 or n_owners < 3:
        return None
    bigger = dataclasses.replace(
        spec, featurizer=dataclasses.replace(spec.featurizer, order=spec.featurizer.order + 1)
    )
    try:
        problem = build_ngram_problem(bigger, kept, validation, pool)
    except SpecError:  # the higher order overflows exact keys: no transfer figure
        return None
    if loo:
        _, big = grouped_loo(problem, 0.0, owners, n_owners)  # the intercept is not compared
    else:
        _, big = grouped_banzhaf(
            masks, backend.run(problem, masks, spec.model_chunk, train_seed), owners, n_owners
        )
    return _spearman(values, big.values)


def _concentration_flags(
    spec: ValuationSpec,
    problem: Problem,
    validation: Sequence[Record],
    owners: Sequence[int],
    valued: Sequence[int],
    flags: list[list[str]],
    shares: dict[int, int],
) -> bool:
    """Flag valued contributors whose gain sits on a few validation items (concentration.py,
    ``CheckSpec.concentration_max``); True when any was flagged. Each judged contributor's top-k
    share (permille) goes into ``shares`` for the label. n-gram LM only."""
    limit, k = spec.checks.concentration_max, spec.checks.concentration_top
    if limit is None or not isinstance(problem, NgramProblem) or not valued:
        return False
    groups: list[list[int]] = [[] for _ in valued]
    for i, o in enumerate(owners):  # one pass: a scan per contributor is quadratic at 10,000
        groups[o].append(i)
    gains = item_gains(spec, problem, validation, groups)
    flagged = False
    for g, j in enumerate(valued):
        share = top_share(gains[g], k)
        if share is not None:
            shares[j] = round(1000 * share)
        if share is not None and share > limit:
            flags[j].append(
                f"concentration: {share:.0%} of its gain on the validation set comes from "
                f"{min(k, len(validation))} of the {len(validation)} validation items (limit "
                f"{limit:.0%}); data tailored to a few items, not broadly useful"
            )
            flagged = True
    return flagged


def value_epoch(
    spec: ValuationSpec,
    contributions: Sequence[Contribution],
    validation: Sequence[Record],
    pool: Sequence[Record],
    seed: bytes,
    backend: Backend,
    registered: Sequence[int] | None = None,
) -> ValuationResult:
    """Value every contribution of an epoch.

    ``registered`` gives each contribution's position in the chain's registration order, which
    decides who keeps a contested record (:mod:`validator.valuation.checks`); without it, every
    holder of a contested record loses it.

    Flagged contributors are left out of every subset (so an attack cannot distort the others'
    values) and score 0. Mask columns are the players: the *unflagged* contributors in canonical
    order, each as its blocks in order when ``spec.block_chars`` is set (blocks.py); the checks
    and blocks are deterministic, so all validators agree on that list.

    Raises:
        DataFormatError: the validation set or pool is unusable for this spec.
        BackendError: the compute backend failed.
    """
    if not validation:
        raise DataFormatError("the validation set is empty")
    cs = spec.checks
    if spec.featurizer.kind == "numeric":
        # Rows of numbers share their "words" (values) by construction: word containment is a
        # text check. Numeric rows are matched exactly (and by MinHash where the spec sets it).
        # Word order is a text check too (the columns of a row have no order to test).
        cs = dataclasses.replace(cs, containment_margin=None, word_order_min_lift=None)
    checks = run_checks(contributions, validation, pool, cs, registered)
    flags = [list(c.flags) for c in checks]
    per_x: dict[int, Labelled] = {}
    classes: list[str] = []
    val_l = pool_l = (np.zeros((0, 0), np.float32), np.zeros(0, np.int64))
    if spec.model == "classifier":
        classes = sorted({r.label for r in validation if r.label is not None})
        if len(classes) < 2 or any(r.label is None for r in validation):
            raise DataFormatError("a classifier needs every validation record labelled, 2+ classes")
        val_l = featurize_labelled(validation, spec, classes)
        pool_l = (
            featurize_labelled(pool, spec, classes)
            if pool
            else (np.zeros((0, val_l[0].shape[1]), np.float32), np.zeros(0, np.int64))
        )
        for j, c in enumerate(checks):
            if flags[j]:
                continue
            try:
                per_x[j] = featurize_labelled(c.kept, spec, classes)
            except DataFormatError as err:
                flags[j].append(f"malformed: {err}")
            else:
                if per_x[j][0].shape[1] != val_l[0].shape[1]:
                    flags[j].append("malformed: feature width differs from the validation set")

    def players_of(
        valued: list[int],
    ) -> tuple[list[int], list[tuple[Record, ...]], Problem]:
        """Players: blocks of each valued contributor's records (ValuationSpec.block_chars;
        blocks.py says why), one block per contributor when block_chars is 0."""
        owners: list[int] = []
        players: list[tuple[Record, ...]] = []
        for o, j in enumerate(valued):
            for b in blocks_of(checks[j].kept, spec.block_chars):
                owners.append(o)
                players.append(b)
        lab = None
        if spec.model == "classifier":
            xs = (
                [featurize_labelled(b, spec, classes) for b in players]
                if spec.block_chars
                else [per_x[j] for j in valued]
            )
            lab = (xs, val_l, pool_l, len(classes))
        init = derive_seed(seed, "init")
        return owners, players, _build(spec, players, validation, pool, lab, init)

    valued = [j for j in range(len(checks)) if not flags[j]]
    owners, players, problem = players_of(valued)
    concentration: dict[int, int] = {}
    if _concentration_flags(spec, problem, validation, owners, valued, flags, concentration):
        valued = [j for j in range(len(checks)) if not flags[j]]
        owners, players, problem = players_of(valued)
    n = len(players)
    pool_only = np.zeros((1, n), dtype=np.bool_)
    train_seed = derive_seed(seed, "train")
    t0 = time.perf_counter()
    # leave-one-out (influence.py) where the spec asks for it or the epoch is too large for
    # sampled Banzhaf: no subset models then (M = 0)
    loo = spec.estimator == "loo" or (spec.estimator == "auto" and n > spec.loo_above)
    m = 0 if loo else spec.n_models
    masks = subset_masks(seed, m, n, antithetic=spec.antithetic)
    first = backend.run(problem, np.concatenate([masks, pool_only]), spec.model_chunk, train_seed)
    pool_utility = float(first[-1])
    subset_utils = first[:m]
    n_owned = len(valued)
    if loo:
        block, est = grouped_loo(problem, pool_utility, owners, n_owned)
    else:
        block, est = grouped_banzhaf(masks, subset_utils, owners, n_owned)
    while m and m < spec.max_models and predicted_l1(est.values, est.stderr) > spec.stable_l1:
        m = min(2 * m, spec.max_models)
        masks = subset_masks(seed, m, n, antithetic=spec.antithetic)
        more = backend.run(problem, masks[subset_utils.shape[0] :], spec.model_chunk, train_seed)
        subset_utils = np.concatenate([subset_utils, more])
        block, est = grouped_banzhaf(masks, subset_utils, owners, n_owned)

    transfer = _transfer_check(spec, players, validation, pool, masks, est.values, backend,
                               train_seed, owners, n_owned, loo=loo)  # fmt: skip

    # The learning curve is a curve of *useful* data: subsets holding a contributor whose data
    # hurts would put a second branch under the curve. So it is fitted on the Banzhaf subsets
    # without any negative-value contributor, the pool alone, and the curve fractions drawn
    # over the non-negative contributors only (a few extra models, trained now).
    good = block.values >= 0
    curve = curve_masks(seed, spec.curve_fractions, n) & good[None, :]
    curve_utils = backend.run(problem, curve, spec.model_chunk, train_seed)
    seconds = time.perf_counter() - t0

    decimals = spec.decimals if not loo or spec.loo_decimals is None else spec.loo_decimals
    q_valued = quantize(est.values, decimals)
    quanta = [0] * len(checks)
    for j, q in zip(valued, q_valued, strict=True):
        quanta[j] = q
    bps = to_bps(quanta, [bool(f) for f in flags])
    pos = {j: i for i, j in enumerate(valued)}
    items = np.zeros(n_owned)
    np.add.at(items, np.asarray(owners, dtype=np.int64), problem.sizes)
    n_blocks = np.bincount(np.asarray(owners, dtype=np.int64), minlength=n_owned)
    rows = []
    for j, c in enumerate(checks):
        i = pos.get(j)
        rows.append(
            ContributorValue(
                contributor=c.contributor,
                value=float(est.values[i]) if i is not None else 0.0,
                msr=float(est.msr[i]) if i is not None else 0.0,
                stderr=float(est.stderr[i]) if i is not None else 0.0,
                quanta=quanta[j],
                bps=bps[j],
                flags=tuple(flags[j]),
                items=float(items[i]) if i is not None else 0.0,
                detail={
                    **c.detail,
                    "blocks": int(n_blocks[i]) if i is not None else 0,
                    "concentration_top_permille": concentration.get(j, -1),
                },
            )
        )
    clean = ~(masks & ~good[None, :]).any(axis=1)
    point_masks = np.concatenate([masks[clean], pool_only, curve])
    point_utils = np.concatenate([subset_utils[clean], [pool_utility], curve_utils])
    sizes = problem.pool_size + point_masks.astype(np.float64) @ problem.sizes
    full = float(problem.pool_size + problem.sizes[good].sum())
    fractions = list(spec.curve_fractions)
    stable = predicted_l1(est.values, est.stderr)
    u_full = curve_utils[fractions.index(1.0)] if 1.0 in fractions else float("nan")
    return ValuationResult(
        spec=spec,
        seed=seed,
        contributors=tuple(rows),
        utility_pool=pool_utility,
        utility_full=float(u_full),
        curve=fit_power_law(sizes, -point_utils, full),
        curve_sizes=sizes,
        curve_losses=-point_utils,
        backend=backend.label,
        n_trained=int(masks.shape[0] + 1 + curve.shape[0]),
        train_seconds=seconds,
        n_models_used=m,
        decimals=decimals,
        predicted_l1=stable,
        transfer_rho=transfer,
    )
