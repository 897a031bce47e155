"""Gradient checking: analytic gradients against central finite differences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor


@dataclass
class GradcheckResult:
    """Outcome of :func:`gradcheck`.

    Attributes
    ----------
    errors : list of float
        Worst normwise relative error per input,
        :math:`\\|g_{\\text{analytic}} - g_{\\text{numeric}}\\|_\\infty /
        \\max(\\|g_{\\text{numeric}}\\|_\\infty, \\text{atol})` (``nan`` for inputs
        that were not checked).
    passed : bool
        Every checked error is at most ``rtol`` and no input was mutated.
    mutated : list of int
        Indices of inputs whose values the function changed in place.
    """

    errors: list[float]
    passed: bool
    rtol: float
    mutated: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        parts = [f"input {i}: {e:.2e}" for i, e in enumerate(self.errors)]
        status = "passed" if self.passed else "FAILED"
        extra = f"; mutated inputs {self.mutated}" if self.mutated else ""
        return f"gradcheck {status} (rtol {self.rtol:g}): " + ", ".join(parts) + extra


def gradcheck(fn: Callable[..., Any], *inputs: Any, eps: float = 1e-6, rtol: float = 1e-5,
              atol: float = 1e-8, wrt: Any = None, params: Any = None, seed: int = 0) -> GradcheckResult:
    """Compare the analytic gradient of ``fn`` with central finite differences.

    Parameters
    ----------
    fn : callable
        Takes the inputs as float64 :class:`Tensor` objects and returns a
        Tensor (or a tuple/list of Tensors). A non-scalar output is reduced to
        :math:`L = \\sum_k w_k\\, y_k` with fixed random weights :math:`w`, so
        every output element takes part.
    *inputs : array_like
        Points at which to check. Arrays are converted to float64; integer
        arrays are passed through unchanged and not checked.
    eps : float
        Finite-difference step:
        :math:`\\partial L/\\partial x_i \\approx (L(x + \\epsilon e_i) - L(x - \\epsilon e_i)) / 2\\epsilon`.
    rtol, atol : float
        Pass when each input's normwise relative error is at most ``rtol``.
    wrt : sequence of int, optional
        Indices of the inputs to check (default: every float input).
    params : sequence of Tensor, optional
        Leaf tensors that ``fn`` uses directly (a layer's ``trainable_weights``).
        Their gradients are checked too, by perturbing their values in place
        (restored afterwards); their errors follow the inputs' in ``errors``.
    seed : int
        Seed of the output weights :math:`w`.

    Returns
    -------
    GradcheckResult
        Truthy when the check passed; ``str()`` gives the per-input errors.
    """
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, copy=True) for x in inputs]
    arrays = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    check = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"] if wrt is None else list(wrt)
    originals = [a.copy() for a in arrays]
    rng = np.random.default_rng(seed)
    weights: list[np.ndarray] = []

    def scalar_loss(values: list[np.ndarray], track: bool) -> tuple[float, list[Tensor]]:
        tensors = [Tensor(v, requires_grad=track and i in check) if v.dtype.kind == "f" else Tensor(v)
                   for i, v in enumerate(values)]
        if track:
            out = fn(*tensors)
        else:
            with no_grad():
                out = fn(*tensors)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if not weights:
            weights.extend(rng.standard_normal(o.shape) for o in outs)
        total = None
        for o, w in zip(outs, weights):
            term = (o * Tensor(w)).sum()
            total = term if total is None else total + term
        if track:
            for p in params or []:
                p.grad = None
            total.backward()
        return float(total.data), tensors

    _, tensors = scalar_loss(arrays, track=True)
    mutated = [i for i, (a, o) in enumerate(zip(arrays, originals)) if not np.array_equal(a, o, equal_nan=True)]
    params = list(params or [])
    param_grads = [np.zeros_like(p.data) if p.grad is None else p.grad.copy() for p in params]
    errors = [float("nan")] * (len(arrays) + len(params))
    passed = not mutated
    targets = [(i, arrays[i], tensors[i].grad) for i in check]
    targets += [(len(arrays) + j, p.data, g) for j, (p, g) in enumerate(zip(params, param_grads))]
    for slot, values, analytic in targets:
        if analytic is None:
            analytic = np.zeros_like(values)
        numeric = np.zeros(values.shape, np.float64)
        flat = values.flat  # writes through to the input or parameter, whatever its memory layout
        nflat = numeric.reshape(-1)
        for k in range(values.size):
            saved = flat[k]
            flat[k] = saved + eps
            plus, _ = scalar_loss(arrays, track=False)
            flat[k] = saved - eps
            minus, _ = scalar_loss(arrays, track=False)
            flat[k] = saved
            nflat[k] = (plus - minus) / (2 * eps)
        scale = max(float(np.max(np.abs(numeric), initial=0.0)), atol)
        err = float(np.max(np.abs(analytic - numeric), initial=0.0)) / scale
        errors[slot] = err
        passed = passed and err <= rtol
    return GradcheckResult(errors=errors, passed=passed, rtol=rtol, mutated=mutated)
