"""Compute backends: where the subset models are trained.

Both backends cut the ``[M, N]`` masks into the spec's ``model_chunk`` chunks and train each
chunk with the same tensor program inside :func:`deterministic`, so a chunk's utilities do not
depend on which machine or worker trained it (on identical hardware and software). Ray assigns
contiguous runs of chunks to ``shards`` workers, a pure function of M, the chunk size and the
shard count, and results are reassembled in model order.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import torch

from validator.valuation.determinism import deterministic, pin_cublas_workspace
from validator.valuation.errors import BackendError
from validator.valuation.problem import Problem

__all__ = ["Backend", "LocalBackend", "RayBackend", "make_backend", "resolve_device", "shard_plan"]

F64 = npt.NDArray[np.float64]


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when present, else CPU; asking for absent CUDA raises BackendError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BackendError("--device cuda asked for, but CUDA is not available")
    try:
        return torch.device(name)
    except RuntimeError as err:
        raise BackendError(f"unknown device {name!r}") from err


def device_label(device: torch.device) -> str:
    """Human-readable device name, printed next to every timing."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def _chunks(n_models: int, chunk: int) -> list[tuple[int, int]]:
    return [(s, min(s + chunk, n_models)) for s in range(0, n_models, chunk)]


def shard_plan(n_models: int, chunk: int, shards: int) -> list[list[tuple[int, int]]]:
    """Contiguous runs of chunks, one run per shard (the last shards may be one chunk shorter)."""
    chunks = _chunks(n_models, chunk)
    shards = max(1, min(shards, len(chunks)))
    size, extra = divmod(len(chunks), shards)
    plan: list[list[tuple[int, int]]] = []
    start = 0
    for s in range(shards):
        end = start + size + (1 if s < extra else 0)
        plan.append(chunks[start:end])
        start = end
    return plan


def train_chunks(
    problem: Problem,
    masks: npt.NDArray[np.bool_],
    chunks: list[tuple[int, int]],
    device: str,
    seed: int,
    threads: int | None = None,
) -> list[F64]:
    """Train the given chunks on one device (also the body of a Ray task).

    ``threads`` caps torch's CPU threads for the call (restored afterwards). The subset models
    are small tensor programs, so on a busy host one thread is often fastest: idle-spinning
    OpenMP workers competing for cores cost more than the parallelism gains.
    """
    saved = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        with deterministic(seed):
            bound = problem.bind(resolve_device(device))
            return [bound.utilities(masks[a:b]) for a, b in chunks]
    finally:
        torch.set_num_threads(saved)


class Backend(Protocol):
    """Maps masks to subset utilities."""

    @property
    def label(self) -> str: ...

    def run(self, problem: Problem, masks: npt.NDArray[np.bool_], chunk: int, seed: int) -> F64:
        """Utilities ``[M]`` of the subset models given by ``masks [M, N]``."""
        ...


class LocalBackend:
    """This process, on CUDA when available (``device="auto"``) or the named device."""

    def __init__(self, device: str = "auto", threads: int | None = None) -> None:
        self._device = resolve_device(device)
        self._threads = threads

    @property
    def label(self) -> str:
        if self._device.type == "cpu" and self._threads is not None:
            return f"cpu ({self._threads} threads)"
        return device_label(self._device)

    def run(self, problem: Problem, masks: npt.NDArray[np.bool_], chunk: int, seed: int) -> F64:
        plan = _chunks(masks.shape[0], chunk)
        parts = train_chunks(problem, masks, plan, str(self._device), seed, self._threads)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)


class RayBackend:
    """Ray tasks over deterministic shards; results identical to :class:`LocalBackend`.

    ``address`` is a ``ray://host:port`` client address, ``"auto"``, or None to use an
    already-initialised Ray (or start a local one). Ray is an optional extra (``pip install
    datadao[ray]``); without it construction raises BackendError.
    """

    def __init__(
        self,
        address: str | None = None,
        shards: int = 2,
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        try:
            self._ray: Any = importlib.import_module("ray")
        except ImportError as err:
            raise BackendError("the Ray backend needs `pip install ray`") from err
        self._address = address
        self._shards = shards
        self._device = device
        self._threads = threads

    @property
    def label(self) -> str:
        return f"ray ({self._address or 'local'}, {self._shards} shards, {self._device})"

    def run(self, problem: Problem, masks: npt.NDArray[np.bool_], chunk: int, seed: int) -> F64:
        ray = self._ray
        if not ray.is_initialized():
            ray.init(address=self._address)
        task = ray.remote(train_chunks)
        problem_ref, masks_ref = ray.put(problem), ray.put(masks)
        plan = shard_plan(masks.shape[0], chunk, self._shards)
        futures = [
            task.remote(problem_ref, masks_ref, s, self._device, seed, self._threads) for s in plan
        ]
        try:
            parts = [u for shard in ray.get(futures) for u in shard]
        except Exception as err:  # Ray wraps worker failures in its own exception types
            raise BackendError(f"ray task failed: {err}") from err
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)


def make_backend(compute: str, device: str, threads: int | None = None) -> Backend:
    """``local`` or ``ray`` / ``ray://host:port`` (the CLI's ``--compute``).

    Entry points build their backend once at start-up, so this is also where the process's
    cuBLAS workspace is pinned (:func:`pin_cublas_workspace`).
    """
    pin_cublas_workspace()
    if compute == "local":
        return LocalBackend(device, threads)
    ray_device = "cpu" if device == "auto" else device
    if compute == "ray":
        return RayBackend(None, device=ray_device, threads=threads)
    if compute.startswith("ray://"):
        return RayBackend(compute, device=ray_device, threads=threads)
    raise BackendError(f"unknown --compute {compute!r}; use local, ray or ray://host:port")
