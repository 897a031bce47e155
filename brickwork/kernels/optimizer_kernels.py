"""Compiled optimizer updates (numba): Adam / AdamW and RMSprop in one pass over each variable.

The NumPy update of :class:`~brickwork.optimizers.Adam` is about ten in-place operations, each a pass over
the variable and its slots; on a GPT step's 821 k parameters they took 3.9 ms where one loop that reads
``w, g, m, v`` once and writes ``w, m, v`` once takes 0.4 ms. The loops below make the same operations in
the same order and dtype as the NumPy code (float32 constants for float32 variables, no fast-math), so their
results equal it bit for bit; the tests check that.

* :func:`adam_update` — :math:`m \\mathrel{+}= (g - m)(1 - \\beta_1)`,
  :math:`v \\mathrel{+}= (g^2 - v)(1 - \\beta_2)`, then :math:`w \\mathrel{-}= (a\\,m) / (\\sqrt v / s + \\epsilon)`
  with Keras's form (:math:`a = \\lambda\\sqrt{1-\\beta_2^t}/(1-\\beta_1^t)`, :math:`s = 1`) or the paper's
  (``epsilon_outside``: :math:`a = \\lambda/(1-\\beta_1^t)`, :math:`s = \\sqrt{1-\\beta_2^t}`); AMSGrad is
  left to NumPy.
* :func:`rmsprop_update` — :math:`v \\leftarrow \\rho v + ((1-\\rho) g) g`,
  :math:`\\delta = (\\lambda g) / \\sqrt{v + \\epsilon}`, then :math:`w \\mathrel{-}= \\delta` or, with momentum
  :math:`\\mu`, :math:`p \\leftarrow \\mu p + \\delta` and :math:`w \\mathrel{-}= p`; the centred form is left to
  NumPy.

Both also take what ``Optimizer.apply`` does around an update, in its order: global clipping's factor on the
gradient and decoupled weight decay, :math:`w \\leftarrow w - w\\,\\text{decay}`, before the step. Every array
is a C-contiguous NumPy array of one float dtype (the optimizer checks it), updated in place.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTIONS = dict(cache=True, fastmath=False, nogil=True, error_model="numpy")


@njit(**_OPTIONS, inline="always")
def _prepared(g, w, i, gs, decay, scaled, decayed):  # pragma: no cover - compiled
    """What ``Optimizer.apply`` does before a rule's update, for element ``i``: the gradient times global
    clipping's factor, and the weight after decoupled decay ``w - w * decay``."""
    gi = g[i] * gs if scaled else g[i]
    wi = w[i] - w[i] * decay if decayed else w[i]
    return gi, wi


@njit(**_OPTIONS)
def _adam(w, g, m, v, c, divide, decayed, scaled):  # pragma: no cover - compiled
    one_b1, one_b2, alpha, scale, eps, decay, gs = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    w, g, m, v = w.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1)   # views: C-contiguous arrays
    for i in range(w.size):
        gi, wi = _prepared(g, w, i, gs, decay, scaled, decayed)
        mi = m[i] + (gi - m[i]) * one_b1
        vi = v[i] + (gi * gi - v[i]) * one_b2
        m[i] = mi
        v[i] = vi
        d = np.sqrt(vi)
        if divide:
            d = d / scale
        w[i] = wi - (mi * alpha) / (d + eps)


@njit(**_OPTIONS)
def _rmsprop(w, g, v, p, c, has_momentum, decayed, scaled):  # pragma: no cover - compiled
    rho, one_rho, lr, eps, mu, decay, gs = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    w, g, v, p = w.reshape(-1), g.reshape(-1), v.reshape(-1), p.reshape(-1)   # views: C-contiguous arrays
    for i in range(w.size):
        gi, wi = _prepared(g, w, i, gs, decay, scaled, decayed)
        vi = v[i] * rho + (gi * one_rho) * gi
        v[i] = vi
        step = (gi * lr) / np.sqrt(vi + eps)
        if has_momentum:
            pi = p[i] * mu + step
            p[i] = pi
            w[i] = wi - pi
        else:
            w[i] = wi - step


def adam_update(w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, beta_1: float, beta_2: float,
                alpha: float, epsilon: float, scale: float | None = None, decay: float | None = None,
                grad_scale: float | None = None) -> None:
    """One Adam step in place (see the module docstring); ``scale`` is :math:`\\sqrt{1-\\beta_2^t}` for
    the paper's epsilon placement, None for Keras's; ``decay`` (decoupled weight decay, ``w -= w * decay``
    first) and ``grad_scale`` (global clipping's factor on ``g``) are skipped when None."""
    t = w.dtype.type
    consts = np.array([t(1 - beta_1), t(1 - beta_2), t(alpha), t(1 if scale is None else scale), t(epsilon),
                       t(decay or 0), t(1 if grad_scale is None else grad_scale)], dtype=w.dtype)
    _adam(w, g, m, v, consts, scale is not None, decay is not None, grad_scale is not None)


def rmsprop_update(w: np.ndarray, g: np.ndarray, v: np.ndarray, rho: float, learning_rate: float,
                   epsilon: float, momentum: np.ndarray | None = None, mu: float = 0.0,
                   decay: float | None = None, grad_scale: float | None = None) -> None:
    """One (uncentred) RMSprop step in place; ``momentum`` the slot updated when given; ``decay`` and
    ``grad_scale`` as :func:`adam_update`."""
    t = w.dtype.type
    consts = np.array([t(rho), 1 - t(rho), t(learning_rate), t(epsilon), t(mu), t(decay or 0),  # 1 - ρ as NumPy's
                       t(1 if grad_scale is None else grad_scale)], dtype=w.dtype)
    p = momentum if momentum is not None else v
    _rmsprop(w, g, v, p, consts, momentum is not None, decay is not None, grad_scale is not None)


__all__ = ["adam_update", "rmsprop_update"]
