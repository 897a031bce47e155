"""What every semi-supervised wrapper shares: the ``y == -1`` convention for unlabelled samples,
the ramp-up schedule of the unsupervised weight, and a :class:`~brickwork.models.Model` that wraps the
user's network and logs its supervised and unsupervised losses separately.

Conventions (scikit-learn's): a target ``-1`` marks an unlabelled sample; for one-hot (or any
multi-column) targets a whole row of ``-1``. ``fit(x, y)`` takes labelled and unlabelled samples
mixed; the compiled loss only ever sees the labelled rows of a batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from brickwork import ops
from brickwork.callbacks import Callback
from brickwork.engine.tensor import Tensor
from brickwork.metrics import Mean
from brickwork.models import Model
from brickwork.models.data_adapter import unpack_x_y_sample_weight

UNLABELLED = -1


def labelled_mask(y: Any, what: str = "y") -> np.ndarray:
    """Boolean mask of the labelled rows of ``y``: ``y != -1`` for one column, a row not all ``-1`` else.

    Raises:
        ValueError: a multi-column row with some but not all entries ``-1`` (neither a label nor "unlabelled").
    """
    arr = np.asarray(y.data if isinstance(y, Tensor) else y)
    if arr.ndim == 0:
        raise ValueError(f"{what}: targets must have one entry per sample; got a scalar.")
    flat = arr.reshape(arr.shape[0], -1)
    unl = flat == UNLABELLED
    if flat.shape[1] == 1:
        return ~unl[:, 0]
    full, some = unl.all(axis=1), unl.any(axis=1)
    bad = np.flatnonzero(some & ~full)
    if bad.size and arr.dtype.kind in "iub":
        raise ValueError(f"{what}: row {int(bad[0])} mixes -1 with other values; an unlabelled sample is a row "
                         "of -1 only.")
    return ~full


def sigmoid_rampup(epoch: float, rampup_epochs: float) -> float:
    """Laine & Aila's ramp-up :math:`\\exp(-5 (1 - t/T)^2)` for :math:`t < T`, then 1.

    ``rampup_epochs=0`` gives 1 from the start. At ``t = 0`` the factor is :math:`e^{-5} \\approx 0.0067`.
    """
    if rampup_epochs < 0:
        raise ValueError(f"rampup_epochs must be >= 0; got {rampup_epochs}.")
    if rampup_epochs == 0 or epoch >= rampup_epochs:
        return 1.0
    phase = 1.0 - max(float(epoch), 0.0) / float(rampup_epochs)
    return math.exp(-5.0 * phase * phase)


def oversampled_rows(mask: np.ndarray, fraction: float) -> np.ndarray:
    """Row numbers of an epoch where the labelled rows (``mask``) make up at least ``fraction`` of it.

    Every row once, then each labelled row :math:`r - 1` more times, with the smallest whole
    :math:`r = \\lceil f\\, n_U / ((1 - f)\\, n_L) \\rceil` (:math:`n_L, n_U`: labelled and unlabelled
    rows). No repetition when there are no labelled rows or they already make up ``fraction``.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"labelled_fraction must be in (0, 1); got {fraction!r}.")
    mask = np.asarray(mask, dtype=bool)
    labelled = np.flatnonzero(mask)
    n_lab, n_unl = labelled.size, mask.size - labelled.size
    rows = np.arange(mask.size)
    if n_lab == 0 or n_lab >= fraction * mask.size:
        return rows
    repeats = math.ceil(fraction * n_unl / ((1.0 - fraction) * n_lab) - 1e-9)
    return np.concatenate([rows, np.tile(labelled, repeats - 1)])


def take_rows(data: Any, rows: np.ndarray) -> Any:
    """``data[rows]`` for an array, a list/tuple or a dict of arrays (a model's several inputs)."""
    if isinstance(data, dict):
        return {k: take_rows(v, rows) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(take_rows(v, rows) for v in data)
    return np.asarray(data.data if isinstance(data, Tensor) else data)[rows]


def take_validation_split(x: Any, y: Any, kwargs: dict[str, Any], what: str) -> tuple[Any, Any, dict[str, Any]]:
    """Move ``kwargs['validation_split']`` into ``validation_data``: the last fraction of the rows, as Keras
    takes it (nothing to do without a split, or when ``validation_data`` is given)."""
    split = kwargs.pop("validation_split", 0.0) or 0.0
    if not split or kwargs.get("validation_data") is not None:
        return x, y, kwargs
    if not 0.0 < split < 1.0:
        raise ValueError(f"{what}: validation_split must be in (0, 1); got {split}.")
    n = len(np.asarray(y.data if isinstance(y, Tensor) else y))
    cut = int(n * (1.0 - split))
    train, held = np.arange(cut), np.arange(cut, n)
    kwargs["validation_data"] = (take_rows(x, held), take_rows(y, held))
    if kwargs.get("sample_weight") is not None:
        kwargs["sample_weight"] = take_rows(kwargs["sample_weight"], train)
    return take_rows(x, train), take_rows(y, train), kwargs


def mean_squared_consistency(a: Tensor, b: Any) -> Tensor:
    """:math:`\\frac{1}{C|B|}\\sum_{i\\in B} \\lVert a_i - b_i \\rVert^2` (the papers' squared difference)."""
    diff = a - b
    return ops.mean(ops.square(diff))


class _EpochClock(Callback):
    """Tells the wrapper which epoch is running (``on_epoch_begin``/``on_epoch_end``)."""

    def __init__(self, owner: SemiSupervisedModel) -> None:
        super().__init__()
        self.owner = owner

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.owner.current_epoch = epoch
        self.owner.on_semi_epoch_begin(epoch)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.owner.on_semi_epoch_end(epoch)
        if logs is not None:
            logs["unsupervised_weight"] = self.owner.unsupervised_weight()


class SemiSupervisedModel(Model):
    """Base class: a Model wrapping ``model`` (the network to train), trained by ``fit(x, y)``
    with ``y == -1`` marking unlabelled samples.

    The History logs ``loss`` (the total), ``supervised_loss`` (the compiled loss on the labelled
    rows, plus weight penalties), ``consistency_loss`` (``pseudo_label_loss`` for pseudo-labelling: the unsupervised
    term before its weight) and ``unsupervised_weight`` (the weight at the end of each epoch); the compiled metrics
    are computed on the labelled rows only.

    Args:
        model: The user's network (any brickwork Model or Layer). Its outputs are probabilities
            (softmax / sigmoid), or logits when the compiled loss has ``from_logits=True``.
        unsupervised_weight: The maximum weight :math:`w_{max}` of the unsupervised term.
        rampup_epochs: :math:`T` of the ramp-up :func:`sigmoid_rampup`.
        noise_std: Standard deviation of the Gaussian noise added to the inputs in training passes.
        seed: Seed of the input noise and augmentation.
        augmentation: ``None`` or a callable ``augmentation(x, rng) -> x'`` applied to the inputs of every
            training pass before the noise (e.g. :class:`~brickwork.semi_supervised.RandomShift`).
        labelled_fraction: ``None`` or the share of each epoch the labelled samples should make up: ``fit``
            repeats them (:func:`oversampled_rows`) so that a batch holds about this fraction of labelled rows,
            as Tarvainen & Valpola fix the number of labelled samples per minibatch.
        pseudo_label_weight: :math:`\\beta`, the weight of confident pseudo-labels added on top of the
            consistency term (0: none; see :meth:`train_step`).
        pseudo_label_threshold: :math:`\\tau`, the confidence a pseudo-label needs.
    """

    #: the History key of the unsupervised term
    unsupervised_name = "consistency_loss"

    def __init__(self, model: Any, unsupervised_weight: float = 1.0, rampup_epochs: int = 30,
                 noise_std: float = 0.0, seed: int | None = None, name: str | None = None,
                 augmentation: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
                 labelled_fraction: float | None = None, pseudo_label_weight: float = 0.0,
                 pseudo_label_threshold: float = 0.95) -> None:
        super().__init__(name=name)
        if labelled_fraction is not None and not (isinstance(labelled_fraction, (int, float))
                                                  and 0.0 < labelled_fraction < 1.0):
            raise ValueError(f"{type(self).__name__}: labelled_fraction must be None or in (0, 1); "
                             f"got {labelled_fraction!r}.")
        self.labelled_fraction = None if labelled_fraction is None else float(labelled_fraction)
        for arg, value in (("unsupervised_weight", unsupervised_weight), ("noise_std", noise_std),
                           ("pseudo_label_weight", pseudo_label_weight)):
            if not (isinstance(value, (int, float)) and value >= 0):
                raise ValueError(f"{type(self).__name__}: {arg} must be a number >= 0; got {value!r}.")
        if not (isinstance(rampup_epochs, (int, float)) and rampup_epochs >= 0):
            raise ValueError(f"{type(self).__name__}: rampup_epochs must be >= 0; got {rampup_epochs!r}.")
        if not callable(model):
            raise TypeError(f"{type(self).__name__}: model must be a brickwork Model or Layer; got {model!r}.")
        if augmentation is not None and not callable(augmentation):
            raise TypeError(f"{type(self).__name__}: augmentation must be None or a callable (x, rng) -> x; "
                            f"got {augmentation!r}.")
        if not (isinstance(pseudo_label_threshold, (int, float)) and 0.0 <= pseudo_label_threshold <= 1.0):
            raise ValueError(f"{type(self).__name__}: pseudo_label_threshold must be in [0, 1]; "
                             f"got {pseudo_label_threshold!r}.")
        self.augmentation = augmentation
        self.pseudo_label_weight = float(pseudo_label_weight)
        self.pseudo_label_threshold = float(pseudo_label_threshold)
        self.model = model
        self.max_unsupervised_weight = float(unsupervised_weight)
        self.rampup_epochs = rampup_epochs
        self.noise_std = float(noise_std)
        self.current_epoch = 0
        self._rng = np.random.default_rng(seed)
        self.supervised_tracker = Mean(name="supervised_loss")
        self.unsupervised_tracker = Mean(name=self.unsupervised_name)
        if self.pseudo_label_weight:
            self.pseudo_label_tracker = Mean(name="pseudo_label_loss")

    # ---------------------------------------------------------------- hooks
    def unsupervised_weight(self, epoch: float | None = None) -> float:
        """:math:`w(t) = w_{max} \\exp(-5 (1 - t/T)^2)` at epoch ``t`` (default: the current one)."""
        t = self.current_epoch if epoch is None else epoch
        return self.max_unsupervised_weight * sigmoid_rampup(t, self.rampup_epochs)

    def on_semi_epoch_begin(self, epoch: int) -> None:
        """Called at the start of each training epoch (a subclass's epoch-level state)."""

    def on_semi_epoch_end(self, epoch: int) -> None:
        """Called at the end of each training epoch."""

    def call(self, inputs: Any, training: bool = False) -> Any:
        """The wrapped network's outputs (``predict`` uses this)."""
        return self.model(inputs, training=training)

    def fit(self, x: Any = None, y: Any = None, *args: Any, callbacks: Any = None, **kwargs: Any) -> Any:
        """Keras's ``fit``; ``y == -1`` (a row of -1 for one-hot targets) marks an unlabelled sample.

        With ``labelled_fraction`` set, the labelled rows are repeated first (see :func:`oversampled_rows`;
        ``validation_split`` is then taken here, before the repetition, as the last fraction of the samples).
        """
        if y is not None:
            self.check_targets(y)
        x, y, kwargs = self.prepare_data(x, y, dict(kwargs))
        return super().fit(x, y, *args, callbacks=[*(callbacks or []), _EpochClock(self)], **kwargs)

    def prepare_data(self, x: Any, y: Any, kwargs: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        """``(x, y, fit_kwargs)`` as ``fit`` passes them on: the labelled rows repeated to make up about
        ``labelled_fraction`` of the epoch (nothing changes when it is ``None``)."""
        if not self.labelled_fraction or x is None or y is None:
            return x, y, kwargs
        x, y, kwargs = take_validation_split(x, y, kwargs, f"{type(self).__name__}.fit()")
        rows = oversampled_rows(labelled_mask(y), self.labelled_fraction)
        if kwargs.get("sample_weight") is not None:
            kwargs["sample_weight"] = take_rows(kwargs["sample_weight"], rows)
        return take_rows(x, rows), take_rows(y, rows), kwargs

    def check_targets(self, y: Any) -> None:
        """Raise ``ValueError`` for targets that break the ``-1`` convention (see :func:`labelled_mask`)."""
        labelled_mask(y, f"{type(self).__name__}.fit(): y")

    # ------------------------------------------------------------- pieces
    def augment(self, x: Any) -> Any:
        """``augmentation(x)`` (when set) plus Gaussian noise of std ``noise_std`` (none when it is 0)."""
        if not self.noise_std and self.augmentation is None:
            return x
        arr = np.asarray(x.data if isinstance(x, Tensor) else x)
        if self.augmentation is not None:
            arr = np.asarray(self.augmentation(arr, self._rng))
        if not self.noise_std:
            return arr
        return (arr + self._rng.normal(0.0, self.noise_std, arr.shape)).astype(arr.dtype, copy=False)

    def probabilities(self, y_pred: Tensor) -> Tensor:
        """``y_pred`` as probabilities: softmax (or sigmoid for one column) of logits when the compiled
        loss has ``from_logits=True``, else ``y_pred`` itself."""
        loss = self._compiled_loss.losses[0] if getattr(self, "compiled", False) else None
        if getattr(loss, "from_logits", False):
            return ops.sigmoid(y_pred) if y_pred.shape[-1] == 1 else ops.softmax(y_pred, axis=-1)
        return y_pred

    def supervised_loss(self, x: Any, y: Any, y_pred: Tensor, sample_weight: Any, mask: np.ndarray) -> Tensor:
        """The compiled loss on the labelled rows (``mask``) plus weight penalties; the penalties alone
        when the batch has no labelled row."""
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            total = None
            for penalty in self.losses:
                total = penalty if total is None else total + penalty
            return total if total is not None else Tensor(np.zeros((), y_pred.dtype))
        yl = np.asarray(y.data if isinstance(y, Tensor) else y)[idx]
        swl = None if sample_weight is None else np.asarray(sample_weight)[idx]
        return self.compute_loss(x=x, y=yl, y_pred=y_pred[idx], sample_weight=swl, training=True)

    def unsupervised_loss(self, x: Any, y_pred: Tensor, data: Any) -> Tensor:
        """The method's unsupervised term (before its weight). Subclasses define it."""
        raise NotImplementedError

    def pseudo_label_term(self, x: Any, y_pred: Tensor, mask: np.ndarray) -> Tensor:
        """:math:`L_{PL} = \\frac{1}{|U_\\tau|} \\sum_{i \\in U_\\tau} -\\log f_{y'_i}(x_i + \\eta)`: the
        cross-entropy of the training pass against the argmax class :math:`y'_i` of the *predicting* network's
        inference pass on the clean input (``self(x)``: the network, or the teacher for mean teacher), over the
        unlabelled rows whose confidence reaches :math:`\\tau` (``pseudo_label_threshold``)."""
        from brickwork.engine.config import no_grad
        from brickwork.semi_supervised.pseudo_targets import pseudo_label_cross_entropy

        with no_grad():
            reference = np.asarray(self.probabilities(self(x, training=False)).data)
        return pseudo_label_cross_entropy(self.probabilities(y_pred), reference, ~mask, self.pseudo_label_threshold)

    def after_update(self) -> None:
        """Called after each optimizer step (the mean teacher's EMA)."""

    def train_step(self, data: Any) -> dict[str, float]:
        """Loss :math:`L_{sup} + w(t) L_{unsup}` (plus :math:`\\beta\\, r(t)\\, L_{PL}` with
        ``pseudo_label_weight`` :math:`\\beta > 0`, :math:`r(t)` the ramp-up :func:`sigmoid_rampup` and
        :math:`L_{PL}` :meth:`pseudo_label_term`); one optimizer step; the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        mask = labelled_mask(y)
        y_pred = self.model(self.augment(x), training=True)  # the student's pass
        sup = self.supervised_loss(x, y, y_pred, sample_weight, mask)
        unsup = self.unsupervised_loss(x, y_pred, data)
        w = self.unsupervised_weight()
        loss = sup + unsup * w if w else sup + unsup * 0.0
        n = len(mask)
        if self.pseudo_label_weight:
            pseudo = self.pseudo_label_term(x, y_pred, mask)
            loss = loss + pseudo * (self.pseudo_label_weight * sigmoid_rampup(self.current_epoch, self.rampup_epochs))
            self.pseudo_label_tracker.update_state(float(pseudo.data), sample_weight=n)
        self._loss_tracker.update_state(float(loss.data), sample_weight=n)
        self.supervised_tracker.update_state(float(sup.data), sample_weight=max(int(mask.sum()), 1))
        self.unsupervised_tracker.update_state(float(unsup.data), sample_weight=n)
        variables = self.trainable_weights
        self.zero_grad()
        if loss.requires_grad:
            loss.backward()
            self.apply_gradients_with_hooks([v.grad for v in variables], variables)
        self.after_update()
        return self._labelled_metrics(x, y, y_pred, sample_weight, mask)

    def _labelled_metrics(self, x: Any, y: Any, y_pred: Tensor, sample_weight: Any,
                          mask: np.ndarray) -> dict[str, float]:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return self.get_metrics_result()
        yl = np.asarray(y.data if isinstance(y, Tensor) else y)[idx]
        swl = None if sample_weight is None else np.asarray(sample_weight)[idx]
        return self.compute_metrics(x, yl, y_pred.detach()[idx], swl)

    def test_step(self, data: Any) -> dict[str, float]:
        """Loss and metrics on the labelled rows, in inference mode (what ``predict`` uses)."""
        from brickwork.engine.config import no_grad

        x, y, sample_weight = unpack_x_y_sample_weight(data)
        if y is None:
            return super().test_step(data)
        mask = labelled_mask(y)
        idx = np.flatnonzero(mask)
        with no_grad():
            y_pred = self(x, training=False)
            if idx.size:
                loss = self.supervised_loss(x, y, y_pred, sample_weight, mask)
                self._loss_tracker.update_state(float(loss.data), sample_weight=int(idx.size))
        return self._labelled_metrics(x, y, y_pred, sample_weight, mask)
