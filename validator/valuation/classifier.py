"""Classification head for labelled datasets: batched multinomial logistic regression (or a
one-hidden-layer MLP when ``training.hidden > 0``) over numeric or hashed n-gram features.

Classes are the labels of the DAO's validation set, sorted; a contributor record whose label is
missing or unknown makes the file malformed (pipeline.py flags it), because a label the
validation set never asks about can only be noise for this utility.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from validator.valuation.data import Record
from validator.valuation.errors import DataFormatError
from validator.valuation.features import hashed_bag, numeric_rows
from validator.valuation.softmax import SoftmaxProblem
from validator.valuation.spec import ValuationSpec

__all__ = ["Labelled", "build_classifier_problem", "featurize_labelled"]

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
Labelled = tuple[F32, I64]


def featurize_labelled(
    records: Sequence[Record], spec: ValuationSpec, classes: Sequence[str]
) -> Labelled:
    """Feature rows and class indices.

    Raises:
        DataFormatError: a missing or unknown label, or an unreadable numeric row.
    """
    index = {c: i for i, c in enumerate(classes)}
    ys: list[int] = []
    for i, r in enumerate(records):
        if r.label is None or r.label not in index:
            raise DataFormatError(f"record {i}: label {r.label!r} is not one of the task's")
        ys.append(index[r.label])
    fz = spec.featurizer
    x = numeric_rows(records, fz) if fz.kind == "numeric" else hashed_bag(records, fz)
    return x, np.asarray(ys, dtype=np.int64)


def build_classifier_problem(
    spec: ValuationSpec,
    contributors: Sequence[Labelled],
    validation: Labelled,
    pool: Labelled,
    n_classes: int,
    init_seed: int,
) -> SoftmaxProblem:
    """Stack every contributor's examples once; ownership becomes a 0/1 ``counts`` matrix."""
    xs = [x for x, _ in contributors] + [pool[0]]
    width = validation[0].shape[1]
    for x in xs:
        if x.shape[0] and x.shape[1] != width:
            raise DataFormatError(f"feature width {x.shape[1]} differs from validation {width}")
    x_all = np.concatenate([x.reshape(-1, width) for x in xs]).astype(np.float32)
    y_all = np.concatenate([y for _, y in contributors] + [pool[1]]).astype(np.int64)
    sizes = [x.shape[0] for x, _ in contributors]
    counts = np.zeros((len(contributors), x_all.shape[0]), dtype=np.float32)
    start = 0
    for j, n in enumerate(sizes):
        counts[j, start : start + n] = 1.0
        start += n
    pool_w = np.zeros(x_all.shape[0], dtype=np.float32)
    pool_w[start:] = 1.0
    t = spec.training
    return SoftmaxProblem(
        x=x_all,
        y=y_all,
        counts=counts,
        pool=pool_w,
        x_val=validation[0].astype(np.float32),
        y_val=validation[1].astype(np.int64),
        w_val=np.ones(validation[0].shape[0], dtype=np.float64),
        n_classes=n_classes,
        steps=t.steps,
        lr=t.lr,
        l2=t.l2,
        hidden=t.hidden,
        init_seed=init_seed,
        precision=t.precision,
        item_sizes=np.asarray(sizes, dtype=np.float64),
        pool_items=float(pool[0].shape[0]),
    )
