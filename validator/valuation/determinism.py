"""Scoped determinism for valuation runs.

Every honest validator must compute the same utilities, so training runs with deterministic
kernels, TF32 off and seeded RNGs, and the global state is put back afterwards: library code
never leaves torch configured differently from how it found it (STYLE.md, Validator and ML #3).
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

__all__ = ["derive_seed", "deterministic", "pin_cublas_workspace"]

# cuBLAS needs a fixed workspace to be deterministic; torch raises without it in deterministic mode.
_CUBLAS_ENV = "CUBLAS_WORKSPACE_CONFIG"
_CUBLAS_WORKSPACE = ":4096:8"


def pin_cublas_workspace() -> None:
    """Fix cuBLAS's workspace for the whole process, unless the operator already chose one.

    cuBLAS reads the variable when its handle is created, which can precede the first
    :func:`deterministic` block, so entry points call this before any CUDA work (no effect on CPU).
    """
    os.environ.setdefault(_CUBLAS_ENV, _CUBLAS_WORKSPACE)


def derive_seed(epoch_seed: bytes, label: str) -> int:
    """A 63-bit integer seed from the 32-byte epoch seed and a purpose label.

    sha256 keeps independent purposes (masks, initialisation) uncorrelated while letting every
    validator derive the same number from on-chain data.
    """
    digest = hashlib.sha256(b"datadao/valuation/seed/v1" + epoch_seed + label.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _use_deterministic(mode: bool, warn_only: bool = False) -> None:
    """``torch.use_deterministic_algorithms`` without its import of ``torch._inductor``.

    The public call imports the whole compiler stack (torch._dynamo, torch._inductor) only to
    copy the flag into inductor's config: 9 s of a CLI run on a busy host, longer than training
    a small task. Valuation never compiles, so the eager flag is set directly, and inductor's
    too when something else in the process has already loaded it.
    """
    torch._C._set_deterministic_algorithms(mode, warn_only=warn_only)
    inductor = sys.modules.get("torch._inductor.config")
    if inductor is not None:
        setattr(inductor, "deterministic", mode)  # noqa: B010 - a module from sys.modules


@contextmanager
def deterministic(seed: int) -> Iterator[torch.Generator]:
    """Seed every RNG, force deterministic kernels and no-TF32 matmuls; restore state on exit.

    Yields a CPU ``torch.Generator`` seeded with ``seed``; draw from it (and move results to the
    device) so initialisations are identical on CPU and GPU.
    """
    saved_py, saved_np, saved_torch = (
        random.getstate(),
        np.random.get_state(),
        torch.get_rng_state(),
    )
    saved_cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    was_det = torch.are_deterministic_algorithms_enabled()
    was_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    was_tf32_mm = torch.backends.cuda.matmul.allow_tf32
    was_tf32_cudnn = torch.backends.cudnn.allow_tf32
    was_cudnn_det = torch.backends.cudnn.deterministic
    was_bench = torch.backends.cudnn.benchmark
    was_precision = torch.get_float32_matmul_precision()
    saved_env = os.environ.get(_CUBLAS_ENV)
    os.environ[_CUBLAS_ENV] = _CUBLAS_WORKSPACE
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    _use_deterministic(True)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.set_float32_matmul_precision("highest")
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        _use_deterministic(was_det, warn_only=was_warn)
        torch.backends.cuda.matmul.allow_tf32 = was_tf32_mm
        torch.backends.cudnn.allow_tf32 = was_tf32_cudnn
        torch.backends.cudnn.deterministic = was_cudnn_det
        torch.backends.cudnn.benchmark = was_bench
        torch.set_float32_matmul_precision(was_precision)
        if saved_env is None:
            os.environ.pop(_CUBLAS_ENV, None)
        else:
            os.environ[_CUBLAS_ENV] = saved_env
        random.setstate(saved_py)
        np.random.set_state(saved_np)
        torch.set_rng_state(saved_torch)
        if saved_cuda is not None:
            torch.cuda.set_rng_state_all(saved_cuda)
