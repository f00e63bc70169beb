"""Batched softmax training against sklearn, and chunking invariance of the backends."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits
from valuation_params import cuda_param

from validator.valuation.backends import LocalBackend, shard_plan, train_chunks
from validator.valuation.masks import subset_masks
from validator.valuation.softmax import SoftmaxProblem


def _digits_problem(steps: int, hidden: int = 0, n: int = 6) -> SoftmaxProblem:
    x, y = load_digits(return_X_y=True)
    x = (x / 16).astype(np.float32)
    per = 50
    counts = np.zeros((n, n * per), dtype=np.float32)
    for j in range(n):
        counts[j, j * per : (j + 1) * per] = 1
    return SoftmaxProblem(
        x=x[: n * per], y=y[: n * per].astype(np.int64), counts=counts,
        pool=np.zeros(n * per, np.float32), x_val=x[-300:], y_val=y[-300:].astype(np.int64),
        w_val=np.ones(300), n_classes=10, steps=steps, lr=0.05, l2=1.0, hidden=hidden,
        init_seed=3, item_sizes=np.full(n, per, np.float64), pool_items=0.0,
    )  # fmt: skip


def test_converges_to_sklearn_logistic_regression(seed: bytes) -> None:
    problem = _digits_problem(steps=400)
    masks = subset_masks(seed, 3, 6, antithetic=False)
    ours = LocalBackend("cpu", threads=1).run(problem, masks, 3, 0)
    for m in range(3):
        keep = (masks[m].astype(np.float32) @ problem.counts) > 0
        ref = LogisticRegression(C=1.0, max_iter=2000, tol=1e-8)
        with threadpool_limits(1):
            ref.fit(problem.x[keep], problem.y[keep])
        proba = ref.predict_proba(problem.x_val)
        ll = float(np.mean(np.log(proba[np.arange(300), problem.y_val])))
        assert ours[m] == pytest.approx(ll, abs=0.01)


@pytest.mark.parametrize("l2", [0.5, 4.0])
def test_binary_task_matches_sklearn_at_the_same_c(seed: bytes, l2: float) -> None:
    """Two classes: the same C = 1/l2 as sklearn's binary LogisticRegression (a two-column
    softmax splits its one weight vector in two halves, so its penalty must be doubled)."""
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype(np.float32)
    n, per = 4, 60
    counts = np.zeros((n, n * per), dtype=np.float32)
    for j in range(n):
        counts[j, j * per : (j + 1) * per] = 1
    problem = SoftmaxProblem(
        x=x[: n * per], y=y[: n * per].astype(np.int64), counts=counts,
        pool=np.zeros(n * per, np.float32), x_val=x[-200:], y_val=y[-200:].astype(np.int64),
        w_val=np.ones(200), n_classes=2, steps=600, lr=0.05, l2=l2, hidden=0,
        init_seed=3, item_sizes=np.full(n, per, np.float64), pool_items=0.0,
    )  # fmt: skip
    masks = np.array([[1, 1, 1, 1], [1, 0, 1, 0]], dtype=bool)
    ours = LocalBackend("cpu", threads=1).run(problem, masks, 2, 0)
    for m in range(2):
        keep = (masks[m].astype(np.float32) @ problem.counts) > 0
        ref = LogisticRegression(C=1.0 / l2, max_iter=5000, tol=1e-10)
        with threadpool_limits(1):
            ref.fit(problem.x[keep], problem.y[keep])
        proba = ref.predict_proba(problem.x_val)
        ll = float(np.mean(np.log(proba[np.arange(200), problem.y_val])))
        assert ours[m] == pytest.approx(ll, abs=0.005)


def test_mlp_head_learns(seed: bytes) -> None:
    problem = _digits_problem(steps=40, hidden=16)
    u = LocalBackend("cpu", threads=1).run(problem, np.array([[1] * 6, [0] * 6], bool), 2, 0)
    assert u[0] > u[1] + 1.0  # far better than the untrained network


@pytest.mark.parametrize("device", ["cpu", cuda_param])
def test_fp64_training_agrees_across_devices_chunks_and_threads(seed: bytes, device: str) -> None:
    """The reason fp64 is the default: another device, chunking or thread count changes the
    summation order, and in fp64 that moves a utility by far less than the 1e-4 rounding unit."""
    problem = _digits_problem(steps=50)
    masks = subset_masks(seed, 16, 6)
    reference = LocalBackend("cpu", threads=1).run(problem, masks, 4, 0)
    other = LocalBackend(device, threads=2).run(problem, masks, 16, 0)
    assert np.abs(reference - other).max() < 1e-9


def test_fp32_trains_the_same_models_less_exactly(seed: bytes) -> None:
    p64 = _digits_problem(steps=50)
    p32 = dataclasses.replace(p64, precision="fp32")
    masks = subset_masks(seed, 8, 6)
    u64 = LocalBackend("cpu", threads=1).run(p64, masks, 8, 0)
    u32 = LocalBackend("cpu", threads=1).run(p32, masks, 8, 0)
    assert np.abs(u64 - u32).max() < 1e-3
    assert not np.array_equal(u64, u32)  # the precision really changed the arithmetic


def test_shards_reassemble_to_the_local_result(seed: bytes) -> None:
    problem = _digits_problem(steps=10)
    masks = subset_masks(seed, 40, 6)
    local = LocalBackend("cpu", threads=1).run(problem, masks, 8, 5)
    plan = shard_plan(40, 8, 3)
    assert [c for shard in plan for c in shard] == [(0, 8), (8, 16), (16, 24), (24, 32), (32, 40)]
    sharded = np.concatenate(
        [u for shard in reversed(plan) for u in train_chunks(problem, masks, shard, "cpu", 5, 1)]
    )
    reordered = np.concatenate([sharded[24:], sharded[8:24], sharded[:8]])
    assert np.array_equal(local, reordered)


@pytest.mark.slow
def test_ray_backend_identical_to_local(seed: bytes) -> None:
    import ray  # a dev dependency: this conformance test must run wherever the suite does

    from validator.valuation.backends import RayBackend

    problem = _digits_problem(steps=10)
    masks = subset_masks(seed, 32, 6)
    local = LocalBackend("cpu", threads=1).run(problem, masks, 8, 5)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = RayBackend(None, shards=2, threads=1).run(problem, masks, 8, 5)
    finally:
        ray.shutdown()
    assert np.array_equal(local, remote)
