"""Pseudo-labelling (Lee, "Pseudo-Label: The Simple and Efficient Semi-Supervised Learning Method for
Deep Neural Networks", ICML 2013 workshop), with a confidence threshold."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor
from brickwork.semi_supervised.base import SemiSupervisedModel, labelled_mask
from brickwork.semi_supervised.pseudo_targets import as_class_probabilities, pseudo_label_cross_entropy


def lee_alpha(epoch: float, alpha_f: float, t1: float, t2: float) -> float:
    """Lee's schedule: 0 before :math:`T_1`, :math:`\\frac{t - T_1}{T_2 - T_1}\\alpha_f` until :math:`T_2`,
    then :math:`\\alpha_f`."""
    if epoch < t1:
        return 0.0
    if epoch < t2:
        return (epoch - t1) / (t2 - t1) * alpha_f
    return float(alpha_f)


class PseudoLabeling(SemiSupervisedModel):
    """Unlabelled samples are trained on the class the network itself predicts for them.

    For every unlabelled sample of a batch the pseudo-label :math:`y'_i = \\arg\\max_c f_c(x_i)` is taken
    from an inference-mode pass (no dropout, no noise; recomputed at every step, as in the paper) and
    kept only when the network is confident, :math:`\\max_c f_c(x_i) \\ge \\tau` (``threshold``):

    .. math::

        L = \\frac{1}{|B \\cap L|} \\sum_{i \\in B \\cap L} \\ell(y_i, f(x_i))
            + \\alpha(t)\\, \\frac{1}{|U_\\tau|} \\sum_{i \\in U_\\tau} -\\log f_{y'_i}(x_i),
        \\qquad
        \\alpha(t) = \\begin{cases} 0 & t < T_1 \\\\ \\frac{t - T_1}{T_2 - T_1}\\alpha_f & T_1 \\le t < T_2
        \\\\ \\alpha_f & t \\ge T_2 \\end{cases}

    (:math:`U_\\tau`: the confident unlabelled samples of the batch; Lee's defaults are
    :math:`T_1 = 100, T_2 = 600, \\alpha_f = 3` epochs; here ``t1, t2`` default to 10 and 60). With
    ``threshold=0`` every unlabelled sample is used, as in the paper. The network's outputs are
    class probabilities (or logits with a ``from_logits=True`` loss); one column is a sigmoid.

    Args:
        model: The network.
        alpha_f: :math:`\\alpha_f`, the final weight of the pseudo-label term.
        t1, t2: The epochs where :math:`\\alpha` starts rising and reaches :math:`\\alpha_f`.
        threshold: Confidence :math:`\\tau` a pseudo-label needs.
        noise_std: Std of Gaussian noise on the inputs of the training pass (0: none).
        seed: Seed of the noise and augmentation.
        augmentation: ``None`` or a callable ``(x, rng) -> x'`` applied to the inputs of each training pass
            before the noise (e.g. :class:`~brickwork.semi_supervised.RandomShift`).
        labelled_fraction: ``None`` or the share of each epoch the labelled rows make up (``fit`` repeats
            them; see :func:`~brickwork.semi_supervised.oversampled_rows`).
    """

    unsupervised_name = "pseudo_label_loss"

    def __init__(self, model: Any, alpha_f: float = 3.0, t1: float = 10, t2: float = 60, threshold: float = 0.95,
                 noise_std: float = 0.0, seed: int | None = None, name: str | None = None,
                 augmentation: Any = None, labelled_fraction: float | None = None) -> None:
        super().__init__(model, alpha_f, 0, noise_std, seed, name, augmentation,
                         labelled_fraction)
        if not (0 <= t1 < t2):
            raise ValueError(f"PseudoLabeling: need 0 <= t1 < t2; got t1={t1!r}, t2={t2!r}.")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"PseudoLabeling: threshold must be in [0, 1]; got {threshold!r}.")
        self.t1, self.t2, self.threshold = float(t1), float(t2), float(threshold)

    def unsupervised_weight(self, epoch: float | None = None) -> float:
        """Lee's :math:`\\alpha(t)` at epoch ``t`` (default: the current one)."""
        return lee_alpha(self.current_epoch if epoch is None else epoch, self.max_unsupervised_weight, self.t1,
                         self.t2)

    def pseudo_labels(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(labels, confidence)`` from an inference-mode pass: the argmax class and its probability."""
        probs = self.reference_probabilities(x)
        return probs.argmax(axis=-1), probs.max(axis=-1)

    def reference_probabilities(self, x: Any) -> np.ndarray:
        """Class probabilities ``(batch, C)`` of an inference-mode pass (no dropout, no noise, no gradient)."""
        with no_grad():
            return as_class_probabilities(np.asarray(self.probabilities(self.model(x, training=False)).data))

    def unsupervised_loss(self, x: Any, y_pred: Tensor, data: Any) -> Tensor:
        """:math:`\\frac{1}{|U_\\tau|}\\sum_{i \\in U_\\tau} -\\log f_{y'_i}(x_i)` (0 when no sample qualifies)."""
        unl = ~labelled_mask(data[1])
        return pseudo_label_cross_entropy(self.probabilities(y_pred), self.reference_probabilities(x), unl,
                                          self.threshold)
