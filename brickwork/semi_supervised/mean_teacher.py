"""Mean teacher (Tarvainen & Valpola, "Mean teachers are better role models", NeurIPS 2017)."""

from __future__ import annotations

import copy
from typing import Any

from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor
from brickwork.semi_supervised.base import SemiSupervisedModel, mean_squared_consistency


def _copy_network(model: Any) -> Any:
    """A second network of the same architecture holding the same weights (config clone, else deepcopy)."""
    try:
        from brickwork.models.cloning import clone_model

        twin = clone_model(model)
        twin.set_weights(model.get_weights())
        return twin
    except Exception:  # a subclassed model without a config: copy the object
        return copy.deepcopy(model)


class MeanTeacher(SemiSupervisedModel):
    """The student learns; the teacher is the exponential moving average of the student's weights.

    After each optimizer step :math:`k` the teacher's weights become

    .. math:: \\theta'_k = \\alpha_k \\theta'_{k-1} + (1 - \\alpha_k) \\theta_k, \\qquad
              \\alpha_k = \\min\\left(1 - \\frac{1}{k + 1}, \\alpha\\right)

    (the paper's warm-up of the decay; :math:`\\alpha` is ``ema_decay``), and the loss of a batch is

    .. math::

        L = \\frac{1}{|B \\cap L|} \\sum_{i \\in B \\cap L} \\ell(y_i, f(x_i + \\eta; \\theta))
            + w(t)\\, \\frac{1}{C |B|} \\sum_{i \\in B}
              \\lVert f(x_i + \\eta; \\theta) - f(x_i + \\eta'; \\theta') \\rVert^2

    with independent Gaussian noises :math:`\\eta, \\eta'` (``noise_std``) and dropout in both networks;
    no gradient flows into the teacher. :math:`w(t)` ramps up as in :class:`PiModel`.

    ``predict`` / ``call`` use the **teacher** (the better model in the paper); ``self.student`` is the
    network passed in, ``self.teacher`` its moving average.

    Args:
        model: The student network.
        ema_decay: :math:`\\alpha`.
        consistency_weight: :math:`w_{max}`.
        rampup_epochs: :math:`T`.
        noise_std: Std of the Gaussian input noise.
        seed: Seed of the noise and augmentation.
        augmentation: ``None`` or a callable ``(x, rng) -> x'`` applied to the inputs of each training pass
            before the noise (e.g. :class:`~brickwork.semi_supervised.RandomShift`).
        labelled_fraction: ``None`` or the share of each epoch the labelled rows make up (``fit`` repeats
            them; see :func:`~brickwork.semi_supervised.oversampled_rows`).
        pseudo_label_weight: :math:`\\beta` of confident pseudo-labels added on top (0: none; see
            :meth:`~brickwork.semi_supervised.SemiSupervisedModel.train_step`).
        pseudo_label_threshold: The confidence :math:`\\tau` a pseudo-label needs.
    """

    def __init__(self, model: Any, ema_decay: float = 0.99, consistency_weight: float = 10.0,
                 rampup_epochs: int = 30, noise_std: float = 0.15, seed: int | None = None,
                 name: str | None = None,
                 augmentation: Any = None, labelled_fraction: float | None = None,
                 pseudo_label_weight: float = 0.0, pseudo_label_threshold: float = 0.95) -> None:
        super().__init__(model, consistency_weight, rampup_epochs, noise_std, seed, name, augmentation,
                         labelled_fraction, pseudo_label_weight, pseudo_label_threshold)
        if not (isinstance(ema_decay, (int, float)) and 0.0 <= ema_decay < 1.0):
            raise ValueError(f"MeanTeacher: ema_decay must be in [0, 1); got {ema_decay!r}.")
        self.ema_decay = float(ema_decay)
        self.ema_step = 0
        self._teacher: Any = None

    @property
    def student(self) -> Any:
        """The network being trained."""
        return self.model

    @property
    def teacher(self) -> Any:
        """The moving average of the student (created, equal to the student, at first use)."""
        if self._teacher is None:
            if not self.model.weights:
                raise RuntimeError("MeanTeacher: build or call the student network before using the teacher.")
            teacher = _copy_network(self.model)
            teacher.trainable = False
            object.__setattr__(self, "_teacher", teacher)  # not a tracked sublayer: its weights are not trained
        return self._teacher

    def call(self, inputs: Any, training: bool = False) -> Any:
        """The teacher's outputs (``predict`` and ``evaluate`` use the teacher)."""
        if self._teacher is None and not self.model.weights:
            self.model(inputs, training=False)
        return self.teacher(inputs, training=training)

    def train_step(self, data: Any) -> dict[str, float]:
        """The student's step (see :class:`SemiSupervisedModel`), then the EMA update of the teacher."""
        if self._teacher is None:
            x0 = data[0] if isinstance(data, (tuple, list)) else data
            if not self.model.weights:
                self.model(x0, training=False)
            _ = self.teacher
        return super().train_step(data)

    def unsupervised_loss(self, x: Any, y_pred: Tensor, data: Any) -> Tensor:
        """:math:`\\frac{1}{C|B|}\\sum_i \\lVert f(x_i+\\eta;\\theta) - f(x_i+\\eta';\\theta')\\rVert^2`."""
        with no_grad():
            target = self.probabilities(self.teacher(self.augment(x), training=True)).detach()
        return mean_squared_consistency(self.probabilities(y_pred), target)

    def current_decay(self) -> float:
        """:math:`\\alpha_k = \\min(1 - 1/(k+1), \\alpha)` for the next update ``k = ema_step + 1``."""
        k = self.ema_step + 1
        return min(1.0 - 1.0 / (k + 1.0), self.ema_decay)

    def update_teacher(self) -> None:
        """:math:`\\theta' \\leftarrow \\alpha_k \\theta' + (1 - \\alpha_k) \\theta` over every weight."""
        alpha = self.current_decay()
        for t, s in zip(self.teacher.weights, self.model.weights):
            t.data[...] = (alpha * t.data + (1.0 - alpha) * s.data).astype(t.data.dtype, copy=False)
        self.ema_step += 1

    def after_update(self) -> None:
        self.update_teacher()
