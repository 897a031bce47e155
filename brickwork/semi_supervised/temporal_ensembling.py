"""Temporal ensembling (Laine & Aila, "Temporal Ensembling for Semi-Supervised Learning", ICLR 2017)."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor
from brickwork.models.data_adapter import unpack_x_y_sample_weight
from brickwork.semi_supervised.base import (
    SemiSupervisedModel,
    labelled_mask,
    mean_squared_consistency,
    oversampled_rows,
    take_rows,
    take_validation_split,
)


class TemporalEnsembling(SemiSupervisedModel):
    """Each prediction must agree with the moving average of that sample's past predictions.

    Per sample :math:`i` the wrapper keeps :math:`Z_i`, an exponential moving average (over epochs)
    of the network's training-mode predictions :math:`z_i`, and its bias-corrected target
    :math:`\\tilde z_i = Z_i / (1 - \\alpha^t)` after :math:`t` epochs (:math:`\\tilde z = 0` in the
    first epoch, when :math:`w(0) = w_{max} e^{-5}` is nearly zero anyway):

    .. math::

        L = \\frac{1}{|B \\cap L|} \\sum_{i \\in B \\cap L} \\ell(y_i, z_i)
            + w(t)\\, \\frac{1}{C |B|} \\sum_{i \\in B} \\lVert z_i - \\tilde z_i \\rVert^2,
        \\qquad Z_i \\leftarrow \\alpha Z_i + (1 - \\alpha) z_i \\text{ at the end of each epoch.}

    **Per-sample indices.** ``fit`` appends the sample's row number to ``y`` as one extra column
    (stored in ``y``'s float type, so exact up to :math:`2^{24}` samples in float32) and
    ``train_step`` strips it off again; the ensemble ``Z`` (``self.ensemble``) and the targets
    (``self.targets``) are arrays of shape ``(n_samples, C)`` held by the wrapper between epochs.
    ``validation_split`` is therefore taken here (the last fraction of the samples, as Keras does)
    and passed on as ``validation_data``. One ``fit`` call is one ensemble: a new ``fit`` starts a fresh one.
    With ``labelled_fraction``, a repeated labelled row carries its sample's number and so shares its target.

    Args:
        model: The network.
        ensemble_momentum: :math:`\\alpha` (0.6 in the paper).
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

    def __init__(self, model: Any, ensemble_momentum: float = 0.6, consistency_weight: float = 10.0,
                 rampup_epochs: int = 30, noise_std: float = 0.15, seed: int | None = None,
                 name: str | None = None,
                 augmentation: Any = None, labelled_fraction: float | None = None,
                 pseudo_label_weight: float = 0.0, pseudo_label_threshold: float = 0.95) -> None:
        super().__init__(model, consistency_weight, rampup_epochs, noise_std, seed, name, augmentation,
                         labelled_fraction, pseudo_label_weight, pseudo_label_threshold)
        if not (isinstance(ensemble_momentum, (int, float)) and 0.0 <= ensemble_momentum < 1.0):
            raise ValueError(f"TemporalEnsembling: ensemble_momentum must be in [0, 1); got {ensemble_momentum!r}.")
        self.ensemble_momentum = float(ensemble_momentum)
        self.ensemble: np.ndarray | None = None
        self.targets: np.ndarray | None = None
        self.epochs_done = 0
        self._n_samples = 0
        self._epoch_predictions: np.ndarray | None = None
        self._batch_index: np.ndarray | None = None
        self._y_tail: tuple[int, ...] = ()

    def fit(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Keras's ``fit`` on arrays ``x, y`` (``y == -1``: unlabelled), with the index column added to ``y``."""
        if y is None or x is None:
            raise ValueError("TemporalEnsembling.fit() needs arrays x and y (y == -1 marks unlabelled samples).")
        self.ensemble = self.targets = self._epoch_predictions = None
        self.epochs_done = 0
        return super().fit(x, y, *args, **kwargs)

    def prepare_data(self, x: Any, y: Any, kwargs: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        """Take ``validation_split`` here, repeat the labelled rows (``labelled_fraction``), and append each
        row's sample number to ``y`` (a repeated row keeps its sample's number, so it shares its target)."""
        x, y, kwargs = take_validation_split(x, y, kwargs, "TemporalEnsembling.fit()")
        y_arr = np.asarray(y)
        n = len(y_arr)
        rows = oversampled_rows(labelled_mask(y_arr), self.labelled_fraction) if self.labelled_fraction \
            else np.arange(n)
        self._y_tail = y_arr.shape[1:]
        self._n_samples = n
        dtype = np.float64 if y_arr.dtype.kind == "f" else np.int64
        y_aug = np.concatenate([y_arr.reshape(n, -1).astype(dtype)[rows], rows.astype(dtype)[:, None]], axis=1)
        if kwargs.get("sample_weight") is not None:
            kwargs["sample_weight"] = take_rows(kwargs["sample_weight"], rows)
        return take_rows(x, rows), y_aug, kwargs

    def check_targets(self, y: Any) -> None:
        """Check ``y`` before the index column is appended (see :func:`labelled_mask`)."""
        labelled_mask(y, "TemporalEnsembling.fit(): y")

    def _allocate(self, n_outputs: int) -> None:
        self.ensemble = np.zeros((self._n_samples, n_outputs))
        self.targets = np.zeros((self._n_samples, n_outputs))
        self._epoch_predictions = np.zeros((self._n_samples, n_outputs))

    def train_step(self, data: Any) -> dict[str, float]:
        """Strip the index column from ``y``, then the step of :class:`SemiSupervisedModel`."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y = np.asarray(y)
        if self._n_samples == 0 or y.ndim != 2:
            raise RuntimeError("TemporalEnsembling.train_step() needs the index column that fit() adds to y; "
                               "train it with fit().")
        self._batch_index = np.rint(y[:, -1]).astype(np.int64)
        y_real = y[:, :-1].reshape((len(y), *self._y_tail))
        return super().train_step((x, y_real) if sample_weight is None else (x, y_real, sample_weight))

    def unsupervised_loss(self, x: Any, y_pred: Tensor, data: Any) -> Tensor:
        """:math:`\\frac{1}{C|B|}\\sum_i \\lVert z_i - \\tilde z_i\\rVert^2`; keeps :math:`z_i` for the epoch's end."""
        probs = self.probabilities(y_pred)
        flat = probs.reshape(len(self._batch_index), -1)
        if self.ensemble is None:
            self._allocate(flat.shape[1])
        idx = self._batch_index
        self._epoch_predictions[idx] = flat.data
        target = self.targets[idx].astype(flat.dtype)
        return mean_squared_consistency(flat, target)

    def on_semi_epoch_end(self, epoch: int) -> None:
        """:math:`Z \\leftarrow \\alpha Z + (1-\\alpha) z`; :math:`\\tilde z = Z / (1 - \\alpha^t)`."""
        if self.ensemble is None:
            return
        a = self.ensemble_momentum
        self.ensemble = a * self.ensemble + (1.0 - a) * self._epoch_predictions
        self.epochs_done += 1
        self.targets = self.ensemble / (1.0 - a ** self.epochs_done)
