"""Shared pytest parameters for valuation tests (a plain module: conftest is not importable)."""

from __future__ import annotations

import pytest
import torch

cuda_param = pytest.param(
    "cuda",
    marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
    ],
)
"""Use as ``@pytest.mark.parametrize("device", ["cpu", cuda_param])``: every gpu test has a twin."""
