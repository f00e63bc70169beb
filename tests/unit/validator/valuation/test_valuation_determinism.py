"""deterministic(): seeds and forces deterministic kernels inside, restores global state after;
building a backend pins the cuBLAS workspace for the process."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from validator.valuation.backends import make_backend
from validator.valuation.determinism import derive_seed, deterministic


def test_restores_global_state() -> None:
    torch.use_deterministic_algorithms(False)
    before = (random.random(), np.random.rand(), torch.rand(1))
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    expected = (random.random(), np.random.rand(), float(torch.rand(1)))
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    with deterministic(42) as gen:
        assert torch.are_deterministic_algorithms_enabled()
        assert not torch.backends.cuda.matmul.allow_tf32
        assert torch.get_float32_matmul_precision() == "highest"
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        torch.rand(3, generator=gen)
        random.random()
    assert not torch.are_deterministic_algorithms_enabled()
    assert (random.random(), np.random.rand(), float(torch.rand(1))) == expected
    del before


def test_same_seed_same_draws() -> None:
    with deterministic(7) as g1:
        a = torch.rand(4, generator=g1)
    with deterministic(7) as g2:
        b = torch.rand(4, generator=g2)
    assert torch.equal(a, b)


def test_derive_seed_separates_purposes() -> None:
    s = bytes(32)
    assert derive_seed(s, "init") != derive_seed(s, "train")
    assert derive_seed(s, "init") == derive_seed(s, "init")
    assert 0 <= derive_seed(s, "init") < 2**63


def test_building_a_backend_pins_cublas_unless_the_operator_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    make_backend("local", "cpu")
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    make_backend("local", "cpu")
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


def test_deterministic_mode_does_not_load_the_compiler_stack() -> None:
    """torch.use_deterministic_algorithms imports torch._inductor (seconds per CLI run); our
    block sets the same eager flag (and warn-only flag) without it, and restores both."""
    import subprocess
    import sys

    code = (
        "import sys, torch\n"
        "from validator.valuation.determinism import deterministic\n"
        "torch._C._set_deterministic_algorithms(True, warn_only=True)\n"
        "with deterministic(1):\n"
        "    assert torch.are_deterministic_algorithms_enabled()\n"
        "    assert not torch.is_deterministic_algorithms_warn_only_enabled()\n"
        "assert torch.is_deterministic_algorithms_warn_only_enabled()\n"
        "assert 'torch._inductor' not in sys.modules, 'inductor was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_inductor_flag_follows_when_inductor_is_loaded() -> None:
    import torch._inductor.config as inductor_config

    torch.use_deterministic_algorithms(False)
    with deterministic(3):
        assert inductor_config.deterministic
    assert not inductor_config.deterministic
