"""Fused cross-entropy primitives that work on logits.

Writing ``log(sigmoid(z))`` or ``log(softmax(z))`` as separate nodes loses
precision for large :math:`|z|` (the probability rounds to 0 or 1 and the log
becomes :math:`-\\infty`). These nodes use the log-sum-exp forms instead and
have the famously simple gradient :math:`\\hat p - y`.
"""

from __future__ import annotations

from brickwork.backend import get_array_module
from brickwork.engine.function import Function
from brickwork.functions.activations import _sigmoid


class SigmoidCrossEntropyWithLogits(Function):
    r"""Element-wise binary cross-entropy of a logit :math:`z` and a target :math:`y`:

    .. math::
        \ell = -[y \ln\sigma(z) + (1-y)\ln(1-\sigma(z))]
             = \max(z, 0) - z y + \ln(1 + e^{-|z|})

    .. math:: \bar z = \bar\ell\,(\sigma(z) - y), \qquad \bar y = -\bar\ell\, z
    """

    def forward(self, z, y):
        xp = get_array_module(z)
        self.z, self.y = z, y
        return xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))

    def backward(self, gl):
        gz = gl * (_sigmoid(self.z) - self.y) if self.needs_input_grad[0] else None
        gy = -gl * self.z if self.needs_input_grad[1] else None
        return gz, gy


class SoftmaxCrossEntropyWithLogits(Function):
    r"""Categorical cross-entropy of logits :math:`z` against a distribution
    :math:`y` along ``axis`` (seed 002's CCE):

    .. math::
        \ell = -\textstyle\sum_j y_j \ln \mathrm{softmax}(z)_j, \qquad
        \bar z = \bar\ell\,(\mathrm{softmax}(z)\textstyle\sum_j y_j - y), \qquad
        \bar y = -\bar\ell \ln\mathrm{softmax}(z)
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, z, y):
        xp = get_array_module(z)
        shifted = z - z.max(axis=self.axis, keepdims=True)
        self.logp = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        self.y = y
        return -(y * self.logp).sum(axis=self.axis)

    def backward(self, gl):
        xp = get_array_module(gl)
        gl = xp.expand_dims(gl, self.axis)
        gz = gy = None
        if self.needs_input_grad[0]:
            gz = gl * (xp.exp(self.logp) * self.y.sum(axis=self.axis, keepdims=True) - self.y)
        if self.needs_input_grad[1]:
            gy = -gl * self.logp
        return gz, gy


class SparseSoftmaxCrossEntropyWithLogits(Function):
    r"""Cross-entropy of logits :math:`z` (classes on the last axis) against
    integer labels :math:`k`:

    .. math:: \ell = -\ln\mathrm{softmax}(z)_k, \qquad
              \bar z = \bar\ell\,(\mathrm{softmax}(z) - \mathrm{onehot}(k))
    """

    def __init__(self, labels):
        xp = get_array_module(labels)
        self.labels = xp.asarray(labels)

    def forward(self, z):
        xp = get_array_module(z)
        shifted = z - z.max(axis=-1, keepdims=True)
        self.logp = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
        # rows × classes, and the (row, label) pairs picked by plain integer indexing (cheaper than
        # take_along_axis, which builds broadcast index arrays on every call)
        self.rows = xp.arange(self.labels.size)
        picked = self.logp.reshape(-1, z.shape[-1])[self.rows, self.labels.reshape(-1)]
        return -picked.reshape(self.labels.shape)

    def backward(self, gl):
        xp = get_array_module(gl)
        p = xp.exp(self.logp)
        p.reshape(-1, p.shape[-1])[self.rows, self.labels.reshape(-1)] -= 1
        return gl[..., None] * p


def sigmoid_cross_entropy_with_logits(logits, targets):
    """Element-wise stable binary cross-entropy from logits."""
    return SigmoidCrossEntropyWithLogits()(logits, targets)


def softmax_cross_entropy_with_logits(logits, targets, axis=-1):
    """Per-sample categorical cross-entropy from logits and target distributions."""
    return SoftmaxCrossEntropyWithLogits(axis)(logits, targets)


def sparse_softmax_cross_entropy_with_logits(logits, labels):
    """Per-sample cross-entropy from logits and integer labels."""
    if hasattr(labels, "creator"):
        labels = labels.data
    return SparseSoftmaxCrossEntropyWithLogits(labels)(logits)
