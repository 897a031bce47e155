"""Fused normalisation (batch and layer norm): one node with a closed-form backward."""

from __future__ import annotations

from brickwork import kernels
from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions._util import sum_to


class Normalize(Function):
    r"""Normalise over ``axes``, then scale and shift (seed 002's batch normalisation):

    .. math::
        \mu = \tfrac1m \textstyle\sum_i x_i, \quad
        \sigma^2 = \tfrac1m \textstyle\sum_i (x_i-\mu)^2, \quad
        \hat x_i = \frac{x_i-\mu}{\sqrt{\sigma^2+\epsilon}}, \quad
        y_i = \gamma \hat x_i + \beta

    the sums running over the :math:`m` elements of ``axes``. Batch
    normalisation (Ioffe & Szegedy 2015) takes them over the batch (and
    spatial) axes; layer normalisation (Ba et al. 2016) over each sample's
    features. ``gamma`` and ``beta`` broadcast against ``x``.

    Backward, with :math:`r = 1/\sqrt{\sigma^2+\epsilon}` and
    :math:`\bar{\hat x} = \bar y\,\gamma`:

    .. math::
        \bar x = \frac{r}{m}\Bigl(m\,\bar{\hat x} - \textstyle\sum_i \bar{\hat x}_i
                 - \hat x \textstyle\sum_i \bar{\hat x}_i \hat x_i\Bigr), \quad
        \bar\gamma = \textstyle\sum \bar y \hat x, \quad
        \bar\beta = \textstyle\sum \bar y

    (:math:`\bar\gamma, \bar\beta` summed over the axes they were broadcast along).
    The statistics stay in ``self.mean``/``self.var`` for running averages (except on the compiled
    layer-norm path, which keeps only :math:`\hat x` and :math:`r`).

    With ``last_axis_kernel`` (set by :func:`layer_norm`) and the ``"transformer"`` kernel family on, a
    normalisation over the last axis alone with ``gamma``/``beta`` of that axis's size runs as one compiled
    loop per row forward and one backward (:mod:`brickwork.kernels.transformer_kernels`).
    """

    def __init__(self, axes, epsilon, last_axis_kernel=False):
        self.axes, self.epsilon = tuple(axes), epsilon
        self.last_axis_kernel = last_axis_kernel
        self.compiled = False

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        m = x.shape[-1] if x.ndim else 0
        if (self.last_axis_kernel and self.axes == (x.ndim - 1,) and gamma.size == m and beta.size == m
                and kernels.handles("transformer", x, gamma, beta)):
            from brickwork.kernels.transformer_kernels import layer_norm_forward

            self.compiled = True
            y, self.xhat, self.rstd = layer_norm_forward(x, gamma, beta, self.epsilon)
            self.gamma, self.beta_shape = gamma, beta.shape
            return y
        self.mean = x.mean(axis=self.axes, keepdims=True)
        xc = x - self.mean
        self.var = (xc * xc).mean(axis=self.axes, keepdims=True)
        self.rstd = (1.0 / xp.sqrt(self.var + self.epsilon)).astype(x.dtype)
        self.xhat = xc * self.rstd
        self.gamma, self.beta_shape = gamma, beta.shape
        return self.xhat * gamma + beta

    def backward(self, gy):
        axes, xhat = self.axes, self.xhat
        if self.compiled:
            from brickwork.kernels.transformer_kernels import layer_norm_backward

            gx, ggamma, gbeta = layer_norm_backward(gy, xhat, self.gamma, self.rstd, self.needs_input_grad[0])
            return gx, ggamma.reshape(self.gamma.shape), gbeta.reshape(self.beta_shape)
        ggamma = sum_to(gy * xhat, self.gamma.shape)
        gbeta = sum_to(gy, self.beta_shape)
        gx = None
        if self.needs_input_grad[0]:
            m = xhat.size // self.rstd.size
            gxhat = gy * self.gamma
            s1 = gxhat.sum(axis=axes, keepdims=True)
            s2 = (gxhat * xhat).sum(axis=axes, keepdims=True)
            gx = (self.rstd / m) * (m * gxhat - s1 - xhat * s2)
        return gx, ggamma, gbeta


def batch_norm(x, gamma, beta, axes, epsilon=1e-3):
    """Training-mode batch normalisation over ``axes``; returns ``(y, batch_mean, batch_var)``.

    ``batch_mean``/``batch_var`` (biased) are plain arrays without gradient,
    for updating running statistics.
    """
    xp = get_array_module(x)
    fn = Normalize(axes, epsilon)
    y = fn(x, gamma, beta)
    return y, xp.squeeze(fn.mean, axis=tuple(axes)), xp.squeeze(fn.var, axis=tuple(axes))


def layer_norm(x, gamma, beta, axes=(-1,), epsilon=1e-3):
    """Layer normalisation of each sample over ``axes``."""
    axes = tuple(a % x.ndim for a in axes)
    return Normalize(axes, epsilon, last_axis_kernel=True)(x, gamma, beta)
