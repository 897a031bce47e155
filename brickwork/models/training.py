"""The training API of :class:`~brickwork.models.Model`: ``compile``, ``fit``,
``evaluate``, ``predict`` and the ``*_on_batch`` methods, with Keras semantics.

One training step is the whole of seed 000's loop: input → model → prediction
→ loss → backpropagation → optimizer update.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork import optimizers as optimizers_module
from brickwork.callbacks import CallbackList, History, ProgbarLogger
from brickwork.engine import config
from brickwork.engine.config import no_grad
from brickwork.engine.random import generator
from brickwork.engine.tensor import Tensor
from brickwork.layers.symbolic import flatten, map_structure
from brickwork.metrics import Mean
from brickwork.models import data as data_utils
from brickwork.models.compile_utils import CompiledLoss, CompiledMetrics


class Trainer:
    """Mixin that gives a model its Keras training loop."""

    def __init__(self) -> None:
        self.compiled = False
        self.optimizer: Any = None
        self.stop_training = False
        self.history: History | None = None

    # ------------------------------------------------------------- compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, weighted_metrics: Any = None, run_eagerly: bool = True,
                jit_compile: Any = None, **kwargs: Any) -> None:
        """Configure training: optimizer, loss(es), metrics and per-output loss weights.

        Parameters
        ----------
        optimizer : str or Optimizer
            ``'rmsprop'`` (Keras's default), ``'adam'``, ``'sgd'``, ... or an instance.
        loss : str, Loss, callable, or list/dict of these (one per output)
        metrics : list of str/Metric/callable, or list/dict per output
            ``['acc']`` logs ``acc`` and ``val_acc``; ``['accuracy']`` logs ``accuracy``.
        loss_weights : list or dict of float, optional
            Weights of the output losses in the total.
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(kwargs)}.")
        if loss is None:
            raise ValueError("compile() needs a loss, for example loss='binary_crossentropy'.")
        self.optimizer = optimizers_module.get(optimizer)
        names = self._output_names_for_compile(loss)
        self._compiled_loss = CompiledLoss(loss, loss_weights, names)
        self._compiled_metrics = CompiledMetrics(metrics, self._compiled_loss.losses, names)
        self._loss_tracker = Mean(name="loss")
        self._compile_config = {"loss": loss if isinstance(loss, (str, list, dict)) else None,
                                "metrics": metrics if _jsonable(metrics) else None,
                                "loss_weights": loss_weights}
        self.compiled = True

    def _output_names_for_compile(self, loss: Any) -> list[str]:
        names = list(getattr(self, "output_names", []) or [])
        if names:
            return names
        if isinstance(loss, (list, tuple)):
            return [f"output_{i}" for i in range(len(loss))]
        return ["output"]

    def _require_compiled(self, what: str) -> None:
        if not getattr(self, "compiled", False):
            raise RuntimeError(f"You must call compile() on model '{self.name}' before {what}().")

    @property
    def metrics_names(self) -> list[str]:
        names = ["loss"]
        if getattr(self, "_compiled_metrics", None) is not None and self._compiled_metrics.metrics:
            names += [m.name for m in flatten(self._compiled_metrics.metrics)]
        return names

    # -------------------------------------------------------------- steps
    def _targets_list(self, y: Any, n_outputs: int) -> list[Any]:
        if isinstance(y, dict):
            names = self._compiled_loss.output_names
            missing = [n for n in names if n not in y]
            if missing:
                raise ValueError(f"The target dict lacks output(s) {missing}; outputs are {names}.")
            return [y[n] for n in names]
        if isinstance(y, list) and n_outputs > 1:
            if len(y) != n_outputs:
                raise ValueError(f"Model '{self.name}' has {n_outputs} outputs but y holds {len(y)} arrays.")
            return y
        return [y] if n_outputs == 1 else flatten(y)

    def _compute_loss(self, y: Any, y_pred: Any, sample_weight: Any) -> tuple[Tensor, list[Any], list[Any]]:
        preds = flatten(y_pred)
        targets = self._targets_list(y, len(preds))
        if len(targets) != len(preds):
            raise ValueError(f"Model '{self.name}' produced {len(preds)} output(s) but got {len(targets)} target(s).")
        loss = self._compiled_loss(targets, preds, sample_weight)
        penalties = self.losses
        for p in penalties:
            loss = loss + p
        return loss, targets, preds

    def train_step(self, x: Any, y: Any, sample_weight: Any = None) -> float:
        """One optimisation step on a batch; returns the batch loss."""
        y_pred = self(x, training=True)
        loss, targets, preds = self._compute_loss(y, y_pred, sample_weight)
        variables = self.trainable_weights
        for v in variables:
            v.grad = None
        loss.backward()
        self.optimizer.apply([v.grad for v in variables], variables)
        self._compiled_metrics.update(targets, preds, sample_weight)
        return float(loss.data)

    def test_step(self, x: Any, y: Any, sample_weight: Any = None) -> float:
        with no_grad():
            y_pred = self(x, training=False)
            loss, targets, preds = self._compute_loss(y, y_pred, sample_weight)
        self._compiled_metrics.update(targets, preds, sample_weight)
        return float(loss.data)

    # ---------------------------------------------------------------- data
    def _float_dtype(self) -> np.dtype:
        return np.dtype(getattr(self, "_dtype", config.floatx()))

    def _imputes_missing(self) -> bool:
        """Whether a layer of the model fills missing values (then NaN inputs are allowed)."""
        return any(getattr(layer, "fills_missing", False) for layer in self._flat_layers())

    def _prepare(self, x: Any, y: Any, sample_weight: Any, what: str) -> tuple[Any, Any, Any, int]:
        dt = self._float_dtype()
        x = data_utils.to_numpy_structure(x, "x", dt)
        if x is None:
            raise ValueError(f"{what}() needs input data x.")
        n = data_utils.num_samples(x, "x")
        data_utils.check_finite(x, "x", allow_nan=self._imputes_missing())
        if y is not None:
            y = data_utils.to_numpy_structure(y, "y", dt)
            ny = data_utils.num_samples(y, "y")
            if ny != n:
                raise ValueError(
                    f"{what}(): x and y have different numbers of samples: x has {n} "
                    f"(shapes {[a.shape for a in flatten(x)]}), y has {ny} (shapes {[a.shape for a in flatten(y)]})."
                )
            data_utils.check_finite(y, "y")
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if len(sample_weight) != n:
                raise ValueError(f"{what}(): sample_weight has {len(sample_weight)} entries for {n} samples.")
        return x, y, sample_weight, n

    # ----------------------------------------------------------------- fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: list[Any] | None = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, class_weight: dict[int, float] | None = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> History:
        """Train for ``epochs`` epochs of mini-batches of ``batch_size`` (Keras's ``fit``).

        Full-batch gradient descent is ``batch_size=len(x)``, stochastic gradient
        descent ``batch_size=1``. Returns a :class:`~brickwork.callbacks.History`
        whose ``.history`` maps ``'loss'``, ``'val_loss'`` and each metric name
        (and ``'val_'`` + name) to per-epoch values.
        """
        self._require_compiled("fit")
        if y is None:
            raise ValueError("fit() needs targets y.")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size <= 0:
            raise ValueError(f"fit(): batch_size must be positive; got {batch_size}.")
        verbose = 1 if verbose == "auto" else int(verbose)
        x, y, sample_weight, n = self._prepare(x, y, sample_weight, "fit")
        if class_weight is not None:
            cw = data_utils.class_weights_to_sample_weights(y, class_weight)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight).")
            vx, vy = validation_data[0], validation_data[1]
            vsw = validation_data[2] if len(validation_data) == 3 else None
            vx, vy, vsw, _ = self._prepare(vx, vy, vsw, "fit(validation_data)")
            val = (vx, vy, vsw)
        elif validation_split:
            x, y, sample_weight, vx, vy, vsw = data_utils.split_validation(x, y, sample_weight, validation_split)
            n = data_utils.num_samples(x, "x")
            val = (vx, vy, vsw)
        steps = steps_per_epoch or math.ceil(n / batch_size)
        self.history = History()
        cbs = list(callbacks or [])
        if verbose:
            cbs.append(ProgbarLogger())
        cbs.append(self.history)
        cb = CallbackList(cbs, model=self, epochs=epochs, steps=steps, verbose=verbose)
        self.stop_training = False
        cb.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            self._reset_trackers()
            cb.on_epoch_begin(epoch)
            order = generator().permutation(n) if shuffle else None
            logs: dict[str, Any] = {}
            for step in range(steps):
                start = (step * batch_size) % n
                idx = slice(start, min(start + batch_size, n)) if order is None else order[start:start + batch_size]
                cb.on_train_batch_begin(step)
                xb, yb = data_utils.take(x, idx), data_utils.take(y, idx)
                swb = None if sample_weight is None else sample_weight[idx]
                loss = self.train_step(xb, yb, swb)
                self._loss_tracker.update_state(loss, sample_weight=len(flatten(xb)[0]))
                logs = self._logs()
                cb.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_arrays(*val, batch_size=validation_batch_size or batch_size)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cb.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cb.on_train_end()
        return self.history

    def _reset_trackers(self) -> None:
        self._loss_tracker.reset_state()
        self._compiled_loss.reset()
        self._compiled_metrics.reset()

    def _logs(self) -> dict[str, float]:
        logs = {"loss": float(self._loss_tracker.result())}
        logs.update(self._compiled_loss.results())
        logs.update(self._compiled_metrics.results())
        return logs

    def _evaluate_arrays(self, x: Any, y: Any, sample_weight: Any, batch_size: int) -> dict[str, float]:
        self._reset_trackers()
        n = data_utils.num_samples(x, "x")
        for start in range(0, n, batch_size):
            idx = slice(start, start + batch_size)
            swb = None if sample_weight is None else sample_weight[idx]
            loss = self.test_step(data_utils.take(x, idx), data_utils.take(y, idx), swb)
            self._loss_tracker.update_state(loss, sample_weight=min(batch_size, n - start))
        return self._logs()

    # ----------------------------------------------------------- evaluate
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: int | None = None, callbacks: Any = None,
                 return_dict: bool = False) -> Any:
        """Loss (and metrics) on ``x, y`` in inference mode.

        Returns the loss alone when there are no metrics, else ``[loss, *metrics]``
        (or a dict with ``return_dict=True``).
        """
        self._require_compiled("evaluate")
        if y is None:
            raise ValueError("evaluate() needs targets y.")
        x, y, sample_weight, _ = self._prepare(x, y, sample_weight, "evaluate")
        logs = self._evaluate_arrays(x, y, sample_weight, batch_size or 32)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------ predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Any = None) -> Any:
        """Outputs for ``x`` in inference mode, as NumPy arrays (a list for several outputs)."""
        x = data_utils.to_numpy_structure(x, "x", self._float_dtype())
        n = data_utils.num_samples(x, "x")
        data_utils.check_finite(x, "x", allow_nan=self._imputes_missing())
        batch_size = batch_size or 32
        chunks: list[Any] = []
        with no_grad():
            for start in range(0, n, batch_size):
                out = self(data_utils.take(x, slice(start, start + batch_size)), training=False)
                chunks.append(map_structure(lambda t: t.data if isinstance(t, Tensor) else np.asarray(t), out))
        if not chunks:
            raise ValueError("predict() got no samples.")
        first = chunks[0]
        if isinstance(first, (list, tuple, dict)):
            leaves = [flatten(c) for c in chunks]
            merged = [np.concatenate([c[i] for c in leaves]) for i in range(len(leaves[0]))]
            if isinstance(first, dict):
                return dict(zip(first.keys(), merged))
            return merged
        return np.concatenate(chunks)

    def __call_on_batch(self, fn: Any, x: Any, y: Any, sample_weight: Any, class_weight: Any,
                        return_dict: bool, what: str) -> Any:
        self._require_compiled(what)
        x, y, sample_weight, _ = self._prepare(x, y, sample_weight, what)
        if class_weight is not None:
            cw = data_utils.class_weights_to_sample_weights(y, class_weight)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        self._reset_trackers()
        loss = fn(x, y, sample_weight)
        self._loss_tracker.update_state(loss)
        logs = self._logs()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One gradient update on one batch; returns its loss (and metrics)."""
        return self.__call_on_batch(self.train_step, x, y, sample_weight, class_weight, return_dict,
                                    "train_on_batch")

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, without updating."""
        return self.__call_on_batch(self.test_step, x, y, sample_weight, None, return_dict, "test_on_batch")

    def predict_on_batch(self, x: Any) -> Any:
        """Outputs for one batch."""
        return self.predict(x, batch_size=max(1, data_utils.num_samples(
            data_utils.to_numpy_structure(x, "x"), "x")))

    def reset_metrics(self) -> None:
        if getattr(self, "compiled", False):
            self._reset_trackers()

    def get_compile_config(self) -> dict[str, Any] | None:
        return getattr(self, "_compile_config", None)


def _jsonable(value: Any) -> bool:
    import json

    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False
