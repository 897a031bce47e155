"""Singular values of (a batch of) matrices, differentiable."""

from __future__ import annotations

import numpy as np

from brickwork.engine.function import Function


class SingularValues(Function):
    r"""Singular values :math:`\sigma` of each matrix in the last two axes (descending),
    from :math:`X = U \operatorname{diag}(\sigma) V^\top` (thin SVD).

    A perturbation changes :math:`\sigma_i` by :math:`u_i^\top\, dX\, v_i` (first-order
    perturbation theory, distinct singular values), so

    .. math:: \bar X = U \operatorname{diag}(\bar\sigma)\, V^\top
    """

    def forward(self, x):
        self.u, s, self.vh = np.linalg.svd(x, full_matrices=False)
        return s

    def backward(self, gs):
        return (self.u * gs[..., None, :]) @ self.vh


def singular_values(x):
    """The singular values of the matrices in the last two axes of ``x``."""
    return SingularValues()(x)
