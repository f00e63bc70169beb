"""Batched softmax models: all subset models of a chunk trained as one tensor program.

Used by the classifier head (classifier.py) and the hashed-feature neural LM (neural.py). The
training examples ``x [U, D]`` are shared by every model; a subset only changes how much each
example weighs: ``weights = masks @ counts + pool`` (``counts [N, U]`` says how often each
contributor holds each example). Model m minimises::

    (sum_u w_mu * CE(f_m(x_u), y_u) + l2/2 * |W_m|^2) / (sum_u w_mu + 1)

(sklearn's ``LogisticRegression(C=1/l2)`` objective divided by the subset size plus one, so one
learning rate suits every subset; with two classes and no hidden layer the penalty is doubled,
because a two-column softmax splits sklearn's one binary weight vector ``w`` into ``±w/2``, whose
penalty ``l2/2 * 2 * |w/2|^2`` is half of sklearn's: without the factor a binary task would be
regularised half as much as the spec says, which let random-label rows pay as regularisers)
by full-batch Adam for a fixed number of steps. Parameters
carry a leading model dimension and the c models' losses are summed before one backward pass:
the models share no parameters, so each gets exactly its own gradient. Every model starts from
the same initialisation (drawn on the CPU from ``init_seed``), which makes utility differences
reflect data, not initial weights. Everything trains in the spec's ``precision`` (fp64 unless the
spec says fp32; see ``TrainSpec``), so a CPU and a GPU validator agree after rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F  # noqa: N812 - torch's conventional alias

from validator.valuation.spec import Precision

__all__ = ["SoftmaxProblem"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_BETAS = (0.9, 0.999)
_EPS = 1e-8


@dataclass(frozen=True, slots=True)
class SoftmaxProblem:
    """Shared features, per-contributor example weights, and the training recipe."""

    x: F32
    y: I64
    counts: F32
    pool: F32
    x_val: F32
    y_val: I64
    w_val: F64
    n_classes: int
    steps: int
    lr: float
    l2: float
    hidden: int
    init_seed: int
    item_sizes: F64
    pool_items: float
    precision: Precision = "fp64"

    @property
    def n_contributors(self) -> int:
        return int(self.counts.shape[0])

    @property
    def sizes(self) -> F64:
        return self.item_sizes

    @property
    def pool_size(self) -> float:
        return self.pool_items

    def bind(self, device: torch.device) -> _BoundSoftmax:
        return _BoundSoftmax(self, device)


class _BoundSoftmax:
    def __init__(self, p: SoftmaxProblem, device: torch.device) -> None:
        self._p = p
        self._dev = device
        self._dt = torch.float64 if p.precision == "fp64" else torch.float32
        self._x = torch.from_numpy(p.x).to(device, self._dt)
        self._y = torch.from_numpy(p.y).to(device)
        # one-hot targets once, so the gradient is a plain subtraction: scatter_add_ is
        # nondeterministic on CUDA
        self._onehot = F.one_hot(self._y, p.n_classes).to(self._dt)
        self._counts = torch.from_numpy(p.counts).to(device, self._dt)
        self._pool = torch.from_numpy(p.pool).to(device, self._dt)
        self._xv = torch.from_numpy(p.x_val).to(device, self._dt)
        self._yv = torch.from_numpy(p.y_val).to(device)
        self._wv = torch.from_numpy(p.w_val).to(device)
        # see the module docstring: the binary linear head matches sklearn's C = 1/l2 only doubled
        self._l2 = p.l2 * (2.0 if p.n_classes == 2 and p.hidden == 0 else 1.0)

    def _init(self, c: int) -> list[torch.Tensor]:
        p, d = self._p, self._x.shape[1]
        if p.hidden == 0:  # model-last layout: see _linear_grads
            shapes = [(d, p.n_classes, c), (p.n_classes, c)]
            return [torch.zeros(s, device=self._dev, dtype=self._dt) for s in shapes]
        gen = torch.Generator().manual_seed(p.init_seed)
        w1 = torch.randn(d, p.hidden, generator=gen) / d**0.5
        w2 = torch.randn(p.hidden, p.n_classes, generator=gen) / p.hidden**0.5
        base = [w1, torch.zeros(p.hidden), w2, torch.zeros(p.n_classes)]
        return [t.to(self._dev, self._dt).expand(c, *t.shape).clone() for t in base]

    def _logits(self, params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Logits ``[c, U, C]`` of the c models (the linear head's are transposed from its
        model-last layout, which only the validation pass reads this way)."""
        if len(params) == 2:
            e, b = params
            d, k, c = e.shape
            z = (x @ e.reshape(d, k * c)).view(-1, k, c) + b
            return z.permute(2, 0, 1)
        h = torch.relu(torch.matmul(x, params[0]) + params[1][:, None, :])
        return torch.matmul(h, params[2]) + params[3][:, None, :]

    def _linear_grads(
        self, params: list[torch.Tensor], w_t: torch.Tensor, norm: torch.Tensor
    ) -> list[torch.Tensor]:
        """Closed-form gradient of the linear head: two flat GEMMs, no autograd graph.

        The weights are laid out model-last, ``[D, C, c]``, so the batched product is one wide
        matrix product ``x @ [D, C*c]`` and the softmax's max and sum over classes run along a
        strided axis with the c models contiguous: several times faster on CPU than
        ``torch.softmax`` over a last axis of 2-10 classes (measured 12 ms -> 2 ms per step for
        64 models of a 3-class task). The softmax is the usual max-shifted one, computed in
        place. ``w_t [U, c]`` are the example weights, already divided by ``norm``.
        """
        e, b = params
        d, k, c = e.shape
        g = (self._x @ e.reshape(d, k * c)).view(-1, k, c)  # [U, C, c]
        g.add_(b)
        g.sub_(g.amax(dim=1, keepdim=True))
        g.exp_()
        g.div_(g.sum(dim=1, keepdim=True))
        g.sub_(self._onehot[:, :, None])
        g.mul_(w_t[:, None, :])
        grad_e = (self._x.T @ g.view(-1, k * c)).view(d, k, c)
        grad_e.add_(e * (self._l2 / norm))
        return [grad_e, g.sum(dim=0)]

    def _autograd_grads(
        self, params: list[torch.Tensor], w: torch.Tensor, norm: torch.Tensor
    ) -> list[torch.Tensor]:
        for t in params:
            t.requires_grad_(True)
        logp = F.log_softmax(self._logits(params, self._x), dim=-1)
        ce = -logp.gather(-1, self._y.expand(w.shape[0], -1)[..., None]).squeeze(-1)
        reg = sum((t * t).flatten(1).sum(dim=1) for t in params[0::2])
        loss = (((w * ce).sum(dim=1) + 0.5 * self._l2 * reg) / norm).sum()
        grads = torch.autograd.grad(loss, params)
        for t in params:
            t.requires_grad_(False)
        return list(grads)

    def utilities(self, masks: npt.NDArray[np.bool_]) -> F64:
        p = self._p
        sel = torch.from_numpy(masks.astype(np.float32)).to(self._dev, self._dt)
        w = sel @ self._counts + self._pool  # [c, U]
        norm = w.sum(dim=1) + 1.0  # [c]
        params = self._init(w.shape[0])
        w_t = (w / norm[:, None]).T.contiguous()  # [U, c], the linear head's layout

        def grads_of(ps: list[torch.Tensor]) -> list[torch.Tensor]:
            if p.hidden == 0:
                return self._linear_grads(ps, w_t, norm)
            return self._autograd_grads(ps, w, norm)

        exp_avg = [torch.zeros_like(t) for t in params]
        exp_sq = [torch.zeros_like(t) for t in params]
        b1, b2 = _BETAS
        for step in range(1, p.steps + 1):
            grads = grads_of(params)
            with torch.no_grad():
                for t, g, m, v in zip(params, grads, exp_avg, exp_sq, strict=True):
                    m.mul_(b1).add_(g, alpha=1 - b1)
                    v.mul_(b2).addcmul_(g, g, value=1 - b2)
                    denom = (v / (1 - b2**step)).sqrt_().add_(_EPS)
                    t.addcdiv_(m, denom, value=-p.lr / (1 - b1**step))
        with torch.no_grad():
            logp_val = F.log_softmax(self._logits(params, self._xv), dim=-1)
            ll = logp_val.gather(-1, self._yv.expand(w.shape[0], -1)[..., None]).squeeze(-1)
            util = ll.double() @ self._wv / self._wv.sum()
        return np.asarray(util.cpu().numpy(), dtype=np.float64)
