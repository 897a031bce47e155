"""Fused batch and layer normalisation: one node each, with closed-form backward."""

from __future__ import annotations

import numpy as np

from brickwork.engine.function import Function


class BatchNorm(Function):
    r"""Batch normalisation over ``axes`` (Ioffe & Szegedy 2015; seed 002):

    .. math::
        \mu = \tfrac1m \textstyle\sum_i x_i, \quad
        \sigma^2 = \tfrac1m \textstyle\sum_i (x_i-\mu)^2, \quad
        \hat x_i = \frac{x_i-\mu}{\sqrt{\sigma^2+\epsilon}}, \quad
        y_i = \gamma \hat x_i + \beta

    Backward, with :math:`r = 1/\sqrt{\sigma^2+\epsilon}` and
    :math:`\bar{\hat x} = \bar y\,\gamma`:

    .. math::
        \bar x = \frac{r}{m}\Bigl(m\,\bar{\hat x} - \textstyle\sum_i \bar{\hat x}_i
                 - \hat x \textstyle\sum_i \bar{\hat x}_i \hat x_i\Bigr), \quad
        \bar\gamma = \textstyle\sum_i \bar y_i \hat x_i, \quad
        \bar\beta = \textstyle\sum_i \bar y_i

    The batch mean and (biased) variance are kept in ``self.mean`` and
    ``self.var`` for the caller's running statistics.
    """

    def __init__(self, axes, epsilon):
        self.axes, self.epsilon = tuple(axes), epsilon

    def forward(self, x, gamma, beta):
        self.mean = x.mean(axis=self.axes, keepdims=True)
        xc = x - self.mean
        self.var = (xc * xc).mean(axis=self.axes, keepdims=True)
        self.rstd = (1.0 / np.sqrt(self.var + self.epsilon)).astype(x.dtype)
        self.xhat = xc * self.rstd
        self.gamma = gamma
        return self.xhat * gamma + beta

    def backward(self, gy):
        axes, xhat = self.axes, self.xhat
        m = xhat.size // self.rstd.size
        gbeta = gy.sum(axis=axes)
        ggamma = (gy * xhat).sum(axis=axes)
        gx = None
        if self.needs_input_grad[0]:
            gxhat = gy * self.gamma
            s1 = gxhat.sum(axis=axes, keepdims=True)
            s2 = (gxhat * xhat).sum(axis=axes, keepdims=True)
            gx = (self.rstd / m) * (m * gxhat - s1 - xhat * s2)
        return gx, ggamma.reshape(self.gamma.shape), gbeta.reshape(self.gamma.shape)


class LayerNorm(Function):
    r"""Layer normalisation over the feature ``axes`` of each sample (Ba et al. 2016).

    The same formulas as :class:`BatchNorm` with the statistics taken per sample
    over ``axes``; :math:`\bar\gamma, \bar\beta` sum over the remaining axes.
    ``gamma``/``beta`` broadcast over the normalised axes.
    """

    def __init__(self, axes, epsilon):
        self.axes, self.epsilon = tuple(axes), epsilon

    def forward(self, x, gamma, beta):
        mean = x.mean(axis=self.axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=self.axes, keepdims=True)
        self.rstd = (1.0 / np.sqrt(var + self.epsilon)).astype(x.dtype)
        self.xhat = xc * self.rstd
        self.gamma, self.beta_shape = gamma, beta.shape
        return self.xhat * gamma + beta

    def backward(self, gy):
        axes, xhat = self.axes, self.xhat
        m = xhat.size // self.rstd.size
        reduce_axes = tuple(i for i in range(gy.ndim) if i not in axes)
        ggamma = (gy * xhat).sum(axis=reduce_axes, keepdims=True).reshape(self.gamma.shape)
        gbeta = gy.sum(axis=reduce_axes, keepdims=True).reshape(self.beta_shape)
        gx = None
        if self.needs_input_grad[0]:
            gxhat = gy * self.gamma
            s1 = gxhat.sum(axis=axes, keepdims=True)
            s2 = (gxhat * xhat).sum(axis=axes, keepdims=True)
            gx = (self.rstd / m) * (m * gxhat - s1 - xhat * s2)
        return gx, ggamma, gbeta


def batch_norm(x, gamma, beta, axes, epsilon=1e-3):
    """Training-mode batch normalisation; returns ``(y, batch_mean, batch_var)``.

    ``batch_mean``/``batch_var`` are plain arrays (no gradient), for updating
    running statistics.
    """
    fn = BatchNorm(axes, epsilon)
    y = fn(x, gamma, beta)
    return y, np.squeeze(fn.mean, axis=tuple(axes)), np.squeeze(fn.var, axis=tuple(axes))


def layer_norm(x, gamma, beta, axes=(-1,), epsilon=1e-3):
    """Layer normalisation over ``axes``."""
    axes = tuple(a % x.ndim for a in axes)
    return LayerNorm(axes, epsilon)(x, gamma, beta)
