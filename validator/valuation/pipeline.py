"""One epoch's valuation: checks -> features -> batched subset models -> Banzhaf -> scores.

This is the function the validator daemon and ``datadao value`` call. Everything it reads is an
argument (spec, contributions, validation set, pool, epoch seed, backend); nothing is global.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import torch

import validator
from node.types import Bps
from validator.valuation.backends import Backend
from validator.valuation.checks import run_checks
from validator.valuation.classifier import (
    Labelled,
    build_classifier_problem,
    featurize_labelled,
)
from validator.valuation.curve import CurveFit, fit_power_law
from validator.valuation.data import Contribution, Record
from validator.valuation.determinism import derive_seed
from validator.valuation.errors import DataFormatError
from validator.valuation.estimator import banzhaf
from validator.valuation.masks import curve_masks, subset_masks
from validator.valuation.neural import build_neural_problem
from validator.valuation.ngram import build_ngram_problem
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
    values) and score 0. Mask column j is the j-th *unflagged* contributor in canonical order;
    the checks are deterministic, so all validators agree on that list.

    Raises:
        DataFormatError: the validation set or pool is unusable for this spec.
        BackendError: the compute backend failed.
    """
    if not validation:
        raise DataFormatError("the validation set is empty")
    checks = run_checks(contributions, validation, pool, spec.checks, registered)
    flags = [list(c.flags) for c in checks]
    labelled: tuple[list[Labelled], Labelled, Labelled, int] | None = None
    per_x: dict[int, Labelled] = {}
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
    valued = [j for j in range(len(checks)) if not flags[j]]
    if spec.model == "classifier":
        labelled = ([per_x[j] for j in valued], val_l, pool_l, len(classes))

    n = len(valued)
    masks = subset_masks(seed, spec.n_models, n, antithetic=spec.antithetic)
    pool_only = np.zeros((1, n), dtype=np.bool_)
    problem = _build(
        spec,
        [checks[j].kept for j in valued],
        validation,
        pool,
        labelled,
        derive_seed(seed, "init"),
    )
    train_seed = derive_seed(seed, "train")
    t0 = time.perf_counter()
    utils = backend.run(problem, np.concatenate([masks, pool_only]), spec.model_chunk, train_seed)
    est = banzhaf(masks, utils[: spec.n_models])

    # The learning curve is a curve of *useful* data: subsets holding a contributor whose data
    # hurts would put a second branch under the curve. So it is fitted on the Banzhaf subsets
    # without any negative-value contributor, the pool alone, and the curve fractions drawn
    # over the non-negative contributors only (a few extra models, trained now).
    good = est.values >= 0
    curve = curve_masks(seed, spec.curve_fractions, n) & good[None, :]
    curve_utils = backend.run(problem, curve, spec.model_chunk, train_seed)
    seconds = time.perf_counter() - t0

    q_valued = quantize(est.values, spec.decimals)
    quanta = [0] * len(checks)
    for j, q in zip(valued, q_valued, strict=True):
        quanta[j] = q
    bps = to_bps(quanta, [bool(f) for f in flags])
    pos = {j: i for i, j in enumerate(valued)}
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
                items=float(problem.sizes[i]) if i is not None else 0.0,
                detail=c.detail,
            )
        )
    clean = ~(masks & ~good[None, :]).any(axis=1)
    point_masks = np.concatenate([masks[clean], pool_only, curve])
    point_utils = np.concatenate([utils[: spec.n_models][clean], utils[-1:], curve_utils])
    sizes = problem.pool_size + point_masks.astype(np.float64) @ problem.sizes
    full = float(problem.pool_size + problem.sizes[good].sum())
    fractions = list(spec.curve_fractions)
    u_full = curve_utils[fractions.index(1.0)] if 1.0 in fractions else float("nan")
    return ValuationResult(
        spec=spec,
        seed=seed,
        contributors=tuple(rows),
        utility_pool=float(utils[-1]),
        utility_full=float(u_full),
        curve=fit_power_law(sizes, -point_utils, full),
        curve_sizes=sizes,
        curve_losses=-point_utils,
        backend=backend.label,
        n_trained=int(masks.shape[0] + 1 + curve.shape[0]),
        train_seconds=seconds,
    )
