"""The Π-model (Laine & Aila, "Temporal Ensembling for Semi-Supervised Learning", ICLR 2017)."""

from __future__ import annotations

from typing import Any

from brickwork.engine.tensor import Tensor
from brickwork.semi_supervised.base import SemiSupervisedModel, mean_squared_consistency


class PiModel(SemiSupervisedModel):
    """Two stochastic passes of the same network must agree.

    Each batch :math:`B` goes through the network twice, each time with fresh Gaussian input noise
    (``noise_std``) and the network's own dropout, giving :math:`z_i` and :math:`\\tilde z_i`:

    .. math::

        L = \\underbrace{\\frac{1}{|B \\cap L|} \\sum_{i \\in B \\cap L} \\ell(y_i, z_i)}_{\\text{supervised}}
            + w(t)\\, \\underbrace{\\frac{1}{C |B|} \\sum_{i \\in B}
              \\lVert z_i - \\tilde z_i \\rVert^2}_{\\text{consistency}},
        \\qquad w(t) = w_{max}\\, e^{-5 (1 - t/T)^2}\\ (t < T)

    with :math:`\\ell` the compiled loss, :math:`C` the number of outputs, :math:`t` the epoch and
    :math:`T` ``rampup_epochs``. (The paper divides the supervised sum by :math:`|B|`; here it is the
    compiled loss's mean over the labelled rows, so ``supervised_loss`` is the usual Keras loss.) The
    gradient flows through both passes, as in the paper. ``predict`` uses the network.

    Args:
        model: The network (outputs probabilities, or logits with a ``from_logits=True`` loss).
        consistency_weight: :math:`w_{max}`.
        rampup_epochs: :math:`T`.
        noise_std: Std of the Gaussian input noise of each pass.
        seed: Seed of the noise and augmentation.
        augmentation: ``None`` or a callable ``(x, rng) -> x'`` applied to the inputs of each training pass
            before the noise (e.g. :class:`~brickwork.semi_supervised.RandomShift`).
        labelled_fraction: ``None`` or the share of each epoch the labelled rows make up (``fit`` repeats
            them; see :func:`~brickwork.semi_supervised.oversampled_rows`).
        pseudo_label_weight: :math:`\\beta` of confident pseudo-labels added on top (0: none; see
            :meth:`~brickwork.semi_supervised.SemiSupervisedModel.train_step`).
        pseudo_label_threshold: The confidence :math:`\\tau` a pseudo-label needs.
    """

    def __init__(self, model: Any, consistency_weight: float = 10.0, rampup_epochs: int = 30,
                 noise_std: float = 0.15, seed: int | None = None, name: str | None = None,
                 augmentation: Any = None, labelled_fraction: float | None = None,
                 pseudo_label_weight: float = 0.0, pseudo_label_threshold: float = 0.95) -> None:
        super().__init__(model, consistency_weight, rampup_epochs, noise_std, seed, name, augmentation,
                         labelled_fraction, pseudo_label_weight, pseudo_label_threshold)

    def unsupervised_loss(self, x: Any, y_pred: Tensor, data: Any) -> Tensor:
        """:math:`\\frac{1}{C|B|}\\sum_i \\lVert z_i - \\tilde z_i\\rVert^2` with a second noisy pass."""
        second = self.model(self.augment(x), training=True)
        return mean_squared_consistency(self.probabilities(y_pred), self.probabilities(second))
