"""The training API of :class:`~brickwork.models.Model`: ``compile``, ``fit``,
``evaluate``, ``predict`` and the ``*_on_batch`` methods, with Keras 3 semantics.

:class:`Trainer` gathers it; this module holds the per-batch steps and the
``*_on_batch`` methods, its bases the rest: :mod:`brickwork.models.compiling`
(``compile`` and the metrics) and :mod:`brickwork.models.loops` (``fit``,
``evaluate`` and ``predict`` over a dataset).

One training step is the whole of seed 000's loop: input → model → prediction
→ loss → backpropagation → optimizer update. Every piece is a method a
subclass may override, as in Keras 3:

* ``train_step(data) -> dict`` / ``test_step(data)`` / ``predict_step(data)``
  receive one batch packed as ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``;
* ``compute_loss(x, y, y_pred, sample_weight)`` forms the loss: the compiled
  loss (if any) plus every ``add_loss`` term;
* ``compute_metrics`` updates the compiled metrics; ``metrics`` lists them;
* ``compile(...)`` may take extra arguments (a GAN's two optimizers) and call
  ``super().compile()``.

Between ``loss.backward()`` and ``optimizer.apply`` the default step runs the
model's gradient hooks (:meth:`Trainer.add_gradient_hook`): each maps
``(grads, variables)`` to new gradients — the place for gradient
accumulation, custom clipping or an all-reduce across processes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.callbacks import History
from brickwork.engine import config
from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor
from brickwork.metrics import Mean
from brickwork.models.compiling import (  # noqa: F401 - importable from here, as before the split
    _NO_METRICS,
    CompileMetrics,
    Compiling,
    _has_metrics,
    _jsonable,
    _metrics_config,
    _pythonify,
)
from brickwork.models.data_adapter import batch_size_of, to_numpy_outputs, unpack_x_y_sample_weight
from brickwork.models.devices import batch_on_device
from brickwork.models.loops import Loops, _progress_verbosity  # noqa: F401 - importable from here, as before
from brickwork.utils.tree import flatten


class Trainer(Compiling, Loops):
    """Mixin that gives a model its Keras training loop."""

    def __init__(self) -> None:
        self.compiled = False
        self.optimizer: Any = None
        self.stop_training = False
        self.history: History | None = None
        self._gradient_hooks: list[Any] = []

    # ---------------------------------------------------------- the steps
    def _targets_list(self, y: Any, n_outputs: int) -> list[Any]:
        if isinstance(y, dict):
            names = self._compiled_loss.output_names
            missing = [n for n in names if n not in y]
            if missing:
                raise ValueError(f"The target dict lacks output(s) {missing}; outputs are {names}.")
            return [y[n] for n in names]
        if isinstance(y, (list, tuple)) and n_outputs > 1:
            if len(y) != n_outputs:
                raise ValueError(f"Model '{self.name}' has {n_outputs} outputs but y holds {len(y)} arrays.")
            return list(y)
        return [y] if n_outputs == 1 else flatten(y)

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Tensor:
        """The loss to minimise: the compiled loss of ``y`` and ``y_pred`` plus every
        :meth:`~brickwork.layers.Layer.add_loss` term and weight penalty (Keras 3's ``compute_loss``)."""
        total = None
        if getattr(self, "compiled", False) and self._compiled_loss.has_loss:
            if y is None:
                raise ValueError(f"Model '{self.name}' was compiled with a loss, so it needs targets y; "
                                 "compile(loss=None) trains on add_loss terms alone.")
            preds = flatten(y_pred)
            targets = self._targets_list(y, len(preds))
            if len(targets) != len(preds):
                raise ValueError(f"Model '{self.name}' produced {len(preds)} output(s) but got "
                                 f"{len(targets)} target(s).")
            total = self._compiled_loss(targets, preds, sample_weight)
        for penalty in self.losses:
            total = penalty if total is None else total + penalty
        if total is None:
            total = Tensor(np.zeros((), config.floatx()))
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, float]:
        """Update the compiled metrics with this batch; return :meth:`get_metrics_result`."""
        if y is not None and _has_metrics(self._compiled_metrics):
            self._compile_metrics_view.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def zero_grad(self) -> None:
        """Forget the gradients of every trainable variable (PyTorch's ``zero_grad(set_to_none=True)``)."""
        for v in self.trainable_weights:
            v.grad = None

    def add_gradient_hook(self, hook: Any) -> None:
        """Run ``hook(grads, variables) -> grads`` between backward and the optimizer's update.

        Hooks run in the order added, in the default :meth:`train_step` (and in any
        step that calls :meth:`apply_gradients_with_hooks`).
        """
        if not callable(hook):
            raise TypeError(f"add_gradient_hook expects a callable (grads, variables) -> grads; got {hook!r}.")
        self._gradient_hooks.append(hook)

    def apply_gradients_with_hooks(self, grads: list[Any], variables: list[Any]) -> None:
        """The gradient hooks, then ``optimizer.apply(grads, variables)``."""
        for hook in self._gradient_hooks:
            grads = hook(grads, variables)
        self.optimizer.apply(grads, variables)

    def train_step(self, data: Any) -> dict[str, float]:
        """One optimisation step on one batch; returns the logs (loss and metrics so far this epoch)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
        _track_loss(self._loss_tracker, loss, x)
        variables = self.trainable_weights
        self.zero_grad()
        if loss.requires_grad:
            loss.backward()
            self.apply_gradients_with_hooks([v.grad for v in variables], variables)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict[str, float]:
        """Loss and metrics on one batch, in inference mode."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        _track_loss(self._loss_tracker, loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The model's outputs for one batch, in inference mode."""
        x, _, _ = unpack_x_y_sample_weight(data)
        with no_grad():
            return self(x, training=False)

    # ----------------------------------------------------- one batch each
    def _on_batch(self, step: Any, x: Any, y: Any, sample_weight: Any, class_weight: Any, return_dict: bool,
                  what: str) -> Any:
        self._require_compiled(what)
        data = self._adapter(x, y, sample_weight, None, None, False, class_weight, what)
        data.batch_size = max(1, data.num_samples)
        self.reset_metrics()
        logs: dict[str, Any] = {}
        for _, batch in data.epoch():
            logs = _pythonify(step(batch_on_device(self, batch)))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One gradient update on one batch; returns its loss (and metrics)."""
        return self._on_batch(self.train_step, x, y, sample_weight, class_weight, return_dict, "train_on_batch")

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, without updating."""
        return self._on_batch(self.test_step, x, y, sample_weight, None, return_dict, "test_on_batch")

    def predict_on_batch(self, x: Any) -> Any:
        """Outputs for one batch."""
        data = self._adapter(x, None, None, None, None, False, None, "predict_on_batch")
        return to_numpy_outputs(self.predict_step(batch_on_device(self, (data.x,))))


def _track_loss(tracker: Any, loss: Tensor, x: Any) -> None:
    """``tracker.update_state(loss, sample_weight=batch size)``; for the compiled :class:`Mean` tracker
    the same two additions (``total += loss * n``, ``count += n``) without the general weighting path."""
    value = float(loss.data)
    n = batch_size_of(x)
    if type(tracker) is Mean and type(tracker.total.data) is np.ndarray:
        tracker.total.data += np.float64(value) * np.float64(n)
        tracker.count.data += np.float64(n)
        return
    tracker.update_state(value, sample_weight=n)
