"""From values to the integer basis points the daemon commits on chain.

The mapping (version 1), applied to contributors in canonical order:

1. ``q_j = rint(value_j * 10**decimals)`` as an integer (round half to even); flagged -> 0.
2. ``q_j = max(q_j, 0)``: data that hurts the proxy model is paid nothing, never negative.
3. ``T = sum(q)``. If ``T == 0`` every score is 0. Otherwise ``bps_j = floor(10_000 q_j / T)``
   and the ``10_000 - sum(bps)`` leftover points go one each to the largest remainders
   ``10_000 q_j mod T``, ties to the lower index, so scores always sum to exactly 10_000.

Steps 2-3 are integer arithmetic, so two validators whose rounded values agree commit identical
scores; rounding is what absorbs float differences between devices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from node.types import Bps

__all__ = ["TOTAL_BPS", "quantize", "to_bps"]

TOTAL_BPS = 10_000


def quantize(values: npt.NDArray[np.float64], decimals: int) -> list[int]:
    """Values as integers in units of ``10**-decimals`` (round half to even)."""
    return [int(q) for q in np.rint(np.asarray(values, dtype=np.float64) * 10.0**decimals)]


def to_bps(quanta: Sequence[int], flagged: Sequence[bool]) -> list[Bps]:
    """Shares in basis points from quantized values; see the module docstring."""
    if len(quanta) != len(flagged):
        raise ValueError("quanta and flagged differ in length")
    q = [0 if f else max(int(v), 0) for v, f in zip(quanta, flagged, strict=True)]
    total = sum(q)
    if total == 0:
        return [Bps(0)] * len(q)
    base = [TOTAL_BPS * v // total for v in q]
    rem = [TOTAL_BPS * v % total for v in q]
    leftover = TOTAL_BPS - sum(base)
    for i in sorted(range(len(q)), key=lambda i: (-rem[i], i))[:leftover]:
        base[i] += 1
    return [Bps(b) for b in base]
