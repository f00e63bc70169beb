"""The interface between proxy models and compute backends.

A :class:`Problem` is everything needed to train subset models, as plain numpy arrays (cheap to
pickle to Ray workers). ``bind(device)`` moves it to a device once; the bound problem then maps
a chunk of masks ``[c, N]`` to utilities ``[c]`` (float64, validation log-likelihood per item).
Problems must compute model ``m`` identically whichever chunk it arrives in together with the
same neighbours; backends therefore always split masks into the spec's ``model_chunk`` chunks.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt
import torch

__all__ = ["BoundProblem", "Problem"]


class BoundProblem(Protocol):
    """A problem whose tensors live on one device."""

    def utilities(self, masks: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        """Validation log-likelihood per item of each subset model (pool always included)."""
        ...


class Problem(Protocol):
    """Device-independent training data for one epoch's subset models."""

    @property
    def n_contributors(self) -> int: ...

    @property
    def sizes(self) -> npt.NDArray[np.float64]:
        """Training items (tokens or examples) per contributor, for the learning curve."""
        ...

    @property
    def pool_size(self) -> float: ...

    def bind(self, device: torch.device) -> BoundProblem: ...
