"""The training API of :class:`~brickwork.models.Model`: ``compile``, ``fit``,
``evaluate``, ``predict`` and the ``*_on_batch`` methods, with Keras 3 semantics.

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

import json
from typing import Any

import numpy as np

from brickwork import optimizers as optimizers_module
from brickwork.callbacks import BackupAndRestore, CallbackList, History, ProgbarLogger
from brickwork.callbacks.backup import FitProgress
from brickwork.callbacks.progbar import StepProgbar
from brickwork.engine import config, threads
from brickwork.engine.config import no_grad
from brickwork.engine.tensor import Tensor
from brickwork.layers.mc_dropout import dropout_active
from brickwork.metrics import Mean, Metric
from brickwork.models import arguments, metric_state
from brickwork.models.compile_utils import CompiledLoss, CompiledMetrics
from brickwork.models.data_adapter import (
    DataAdapter,
    batch_size_of,
    get_shard_hook,
    to_numpy_outputs,
    unpack_x_y_sample_weight,
)
from brickwork.models.devices import batch_on_device
from brickwork.models.input_checks import check_numeric_inputs, model_numeric_inputs
from brickwork.utils.tree import flatten


class CompileMetrics:
    """The compiled metrics seen as one metric, as Keras 3's ``model.metrics`` lists them:
    ``update_state(y, y_pred, sample_weight)`` updates every one; ``result()`` is a dict."""

    name = "compile_metrics"

    def __init__(self, model: Any) -> None:
        self._model = model

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        preds = flatten(y_pred)
        self._model._compiled_metrics.update(self._model._targets_list(y_true, len(preds)), preds, sample_weight)

    def result(self) -> dict[str, float]:
        return self._model._compiled_metrics.results()

    def reset_state(self) -> None:
        self._model._compiled_metrics.reset()


class Trainer:
    """Mixin that gives a model its Keras training loop."""

    def __init__(self) -> None:
        self.compiled = False
        self.optimizer: Any = None
        self.stop_training = False
        self.history: History | None = None
        self._gradient_hooks: list[Any] = []

    # ------------------------------------------------------------- compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None, metrics: Any = None,
                weighted_metrics: Any = None, run_eagerly: bool = True, steps_per_execution: int = 1,
                jit_compile: Any = "auto", auto_scale_loss: bool = True, **kwargs: Any) -> None:
        """Configure training: optimizer, loss(es), metrics and per-output loss weights.

        Args:
            optimizer: ``'rmsprop'`` (Keras's default), ``'adam'``, ``'sgd'``, ... or an instance.
            loss: A name, Loss, callable, or a list/dict of these (one per output). ``None``
                trains on the model's ``add_loss`` terms alone (an autoencoder's
                reconstruction, a VAE's ELBO).
            loss_weights: Weights of the output losses in the total.
            metrics: Metrics that ignore sample weights; ``['acc']`` logs ``acc`` and ``val_acc``.
            weighted_metrics: Metrics that receive ``sample_weight`` / ``class_weight``.
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: Accepted for
                Keras compatibility; brickwork always runs eagerly, one step at a time.
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(kwargs)}.")
        self.optimizer = optimizers_module.get(optimizer)
        names = self._output_names_for_compile(loss)
        self._compiled_loss = CompiledLoss(loss, loss_weights, names)
        self._compiled_metrics = CompiledMetrics(metrics, self._compiled_loss.losses, names,
                                                 weighted_metrics=weighted_metrics)
        self._compile_metrics_view = CompileMetrics(self)
        self._loss_tracker = Mean(name="loss")
        self._compile_config = {"loss": loss if isinstance(loss, (str, list, dict)) else None,
                                "metrics": _metrics_config(metrics),
                                "weighted_metrics": _metrics_config(weighted_metrics),
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
    def metrics(self) -> list[Any]:
        """Keras 3's list: the loss tracker, the compiled metrics (one entry), then any
        :class:`~brickwork.metrics.Metric` held as an attribute of the model."""
        out: list[Any] = []
        if getattr(self, "compiled", False):
            out.append(self._loss_tracker)
            if _has_metrics(self._compiled_metrics):
                out.append(self._compile_metrics_view)
        seen = {id(m) for m in out}
        tracker = getattr(self, "_loss_tracker", None)
        for name, value in vars(self).items():
            if name in _NO_METRICS:
                continue
            if isinstance(value, Metric):
                candidates = [value]
            elif isinstance(value, (list, tuple, dict)):
                candidates = flatten(value)
            else:
                continue
            for m in candidates:
                if isinstance(m, Metric) and id(m) not in seen and m is not tracker:
                    seen.add(id(m))
                    out.append(m)
        return out

    @property
    def metrics_names(self) -> list[str]:
        return list(self.get_metrics_result())

    def reset_metrics(self) -> None:
        """Reset every metric in :attr:`metrics` (and the per-output loss trackers)."""
        for m in self.metrics:
            m.reset_state()
        if getattr(self, "compiled", False):
            self._compiled_loss.reset()
            self._compiled_metrics.reset()

    def get_metrics_result(self) -> dict[str, float]:
        """The current value of every metric, nested results flattened (Keras's log dict)."""
        logs: dict[str, Any] = {}
        for m in self.metrics:
            value = m.result()
            if isinstance(value, dict):
                logs.update(value)
            else:
                logs[m.name] = value
            if m is getattr(self, "_loss_tracker", None):  # then each output's loss, as Keras logs them
                logs.update(self._compiled_loss.results())
        return _pythonify(logs)

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

    # ---------------------------------------------------------------- data
    def _imputes_missing(self) -> bool:
        """Whether a layer of the model fills missing values (then NaN inputs are allowed)."""
        return any(getattr(layer, "fills_missing", False) for layer in self._flat_layers())

    def _float_dtype(self) -> np.dtype:
        return np.dtype(getattr(self, "_dtype", config.floatx()))

    def _adapter(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: int | None = None,
                 steps: int | None = None, shuffle: bool = False, class_weight: Any = None,
                 what: str = "fit") -> DataAdapter:
        inputs = getattr(self, "inputs", None) or []
        check_numeric_inputs(x, f"{what}(): x", model_numeric_inputs(self))  # text where numbers are expected
        if y is not None:
            check_numeric_inputs(y, f"{what}(): y", labels=True)
        return DataAdapter(x, y, sample_weight, batch_size=batch_size, steps=steps, shuffle=shuffle,
                           class_weight=class_weight, input_dtypes=[t.dtype for t in inputs] or None,
                           float_dtype=self._float_dtype(), allow_nan=self._imputes_missing(), what=what)

    # ----------------------------------------------------------------- fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: list[Any] | None = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, class_weight: dict[int, float] | None = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> History:
        """Train for ``epochs`` epochs of mini-batches of ``batch_size`` (Keras's ``fit``).

        ``x`` may be arrays (with ``y``), a generator or a
        :class:`~brickwork.utils.PyDataset` yielding ``(x, y)`` batches, or ``x`` alone for a
        model trained on ``add_loss`` terms. Full-batch gradient descent is
        ``batch_size=len(x)``, stochastic gradient descent ``batch_size=1``.
        Returns a :class:`~brickwork.callbacks.History` whose ``.history`` maps
        ``'loss'``, ``'val_loss'`` and each metric name to per-epoch values.
        """
        self._require_compiled("fit")
        verbose = _progress_verbosity(verbose, "fit")   # data-parallel training: progress on rank 0 only
        args = arguments.check_fit(epochs, batch_size, validation_split, initial_epoch, steps_per_epoch,
                                   validation_steps, validation_batch_size, validation_freq)
        epochs, batch_size, initial_epoch = args["epochs"], args["batch_size"], args["initial_epoch"]
        validation_batch_size, validation_freq = args["validation_batch_size"], args["validation_freq"]
        data = self._adapter(x, y, sample_weight, batch_size, args["steps_per_epoch"], shuffle, class_weight, "fit")
        val = None
        if validation_data is not None:
            val = self._validation_adapter(validation_data, validation_batch_size or batch_size,
                                           args["validation_steps"])
        elif args["validation_split"]:
            val = data.split_validation(args["validation_split"])
            if validation_batch_size:
                val.batch_size = validation_batch_size
        self.history = History()
        cbs = list(callbacks or [])
        if verbose:
            cbs.append(ProgbarLogger())
        cbs.append(self.history)
        cb = CallbackList(cbs, model=self, epochs=epochs, steps=data.num_batches, verbose=verbose)
        progress = FitProgress(data, cb.callbacks, lambda: metric_state.values(self),
                               lambda values: metric_state.set_values(self, values))
        for c in cb.callbacks:
            if isinstance(c, BackupAndRestore):
                c.attach(progress)
        self.stop_training = False
        cb.on_train_begin({})
        start_step = 0
        if progress.start_epoch is not None:  # a backup was restored: continue where it was taken
            initial_epoch, start_step, self.stop_training = progress.start_epoch, progress.start_step, progress.stopped
            if self.stop_training and not start_step:
                initial_epoch = epochs  # the backup was taken after a callback stopped training
        epoch_logs: dict[str, Any] = {}
        for epoch in range(initial_epoch, epochs):
            threads.adapt()   # one BLAS thread while other processes keep the CPUs busy (see engine.threads)
            self.reset_metrics()
            progress.epoch, progress.step = epoch, 0
            cb.on_epoch_begin(epoch, {})
            logs: dict[str, Any] = {}
            order = None
            if start_step:  # the rest of an interrupted epoch, in the same order, with its running metrics
                progress.step, order = start_step, progress.order
                metric_state.set_values(self, progress.metrics or [])
                logs = self.get_metrics_result()
            if not (start_step and self.stop_training):
                for step, batch in data.epoch(start_step, order):
                    cb.on_train_batch_begin(step, {})
                    logs = _pythonify(self.train_step(batch_on_device(self, batch)))
                    progress.step = step + 1
                    cb.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
            start_step = 0
            epoch_logs = dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_test(val, cb)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            progress.epoch, progress.step = epoch + 1, 0
            cb.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cb.on_train_end(epoch_logs)
        return self.history

    def _validation_adapter(self, validation_data: Any, batch_size: int | None, steps: int | None) -> DataAdapter:
        if isinstance(validation_data, (tuple, list)):
            if len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight).")
            vx, vy, vsw = unpack_x_y_sample_weight(tuple(validation_data))
            return self._adapter(vx, vy, vsw, batch_size, steps, False, None, "fit(validation_data)")
        return self._adapter(validation_data, None, None, batch_size, steps, False, None, "fit(validation_data)")

    def _run_test(self, data: DataAdapter, cb: CallbackList, bar: StepProgbar | None = None) -> dict[str, float]:
        self.reset_metrics()
        cb.on_test_begin({})
        logs: dict[str, Any] = {}
        for step, batch in data.epoch():
            cb.on_test_batch_begin(step, {})
            logs = _pythonify(self.test_step(batch_on_device(self, batch)))
            cb.on_test_batch_end(step, logs)
            if bar is not None:
                bar.update(step + 1, logs)
        logs = logs or self.get_metrics_result()
        cb.on_test_end(logs)
        if bar is not None:
            bar.close(logs)
        return logs

    # ----------------------------------------------------------- evaluate
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: int | None = None, callbacks: Any = None,
                 return_dict: bool = False) -> Any:
        """Loss (and metrics) on ``x, y`` in inference mode.

        Returns the loss alone when there are no metrics, else ``[loss, *metrics]``
        (or a dict with ``return_dict=True``). Callbacks get the ``on_test_*`` hooks.
        """
        self._require_compiled("evaluate")
        verbose = _progress_verbosity(verbose, "evaluate")
        data = self._adapter(x, y, sample_weight, batch_size, steps, False, None, "evaluate")
        cb = CallbackList(list(callbacks or []), model=self, steps=data.num_batches, verbose=0)
        logs = self._run_test(data, cb, StepProgbar(data.num_batches, verbose))
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------ predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Any = None, mc_samples: int | None = None) -> Any:
        """Outputs for ``x`` in inference mode, as NumPy arrays (a list or dict for several outputs).
        Callbacks get the ``on_predict_*`` hooks, ``logs['outputs']`` holding each batch's outputs.

        ``mc_samples=N`` (a brickwork extension; Monte-Carlo dropout): ``N`` passes with only the dropout
        layers in training mode, returning ``(mean, std)`` of the passes (``std`` with ``ddof=1``), for
        each output: :math:`\\hat\\mu = \\frac1N \\sum_t f_t(x)`, :math:`\\hat\\sigma^2 = \\frac{1}{N-1}
        \\sum_t (f_t(x) - \\hat\\mu)^2`."""
        if mc_samples is not None:
            return self._mc_predict(x, batch_size, steps, callbacks, mc_samples)
        verbose = _progress_verbosity(verbose, "predict")
        data = self._adapter(x, None, None, batch_size, steps, False, None, "predict")
        cb = CallbackList(list(callbacks or []), model=self, steps=data.num_batches, verbose=0)
        bar = StepProgbar(data.num_batches, verbose)
        cb.on_predict_begin({})
        chunks: list[Any] = []
        for step, batch in data.epoch():
            cb.on_predict_batch_begin(step, {})
            out = to_numpy_outputs(self.predict_step(batch_on_device(self, batch)))
            chunks.append(out)
            cb.on_predict_batch_end(step, {"outputs": out})
            bar.update(step + 1)
        cb.on_predict_end({})
        bar.close()
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

    def _mc_predict(self, x: Any, batch_size: int | None, steps: int | None, callbacks: Any, n: Any) -> Any:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"predict: mc_samples must be an integer >= 2 (the number of dropout passes); got {n!r}.")
        with dropout_active(self) as switched:
            if not switched:
                raise ValueError(f"predict(mc_samples={n}): model '{self.name}' has no dropout layer with a positive "
                                 "rate, so every pass would give the same prediction.")
            passes = [self.predict(x, batch_size=batch_size, verbose=0, steps=steps, callbacks=callbacks)
                      for _ in range(int(n))]
        first = passes[0]
        leaves = [flatten(p) if isinstance(first, (list, tuple, dict)) else [p] for p in passes]
        stacked = [np.stack([p[i] for p in leaves]) for i in range(len(leaves[0]))]
        means, stds = [s.mean(axis=0) for s in stacked], [s.std(axis=0, ddof=1) for s in stacked]
        if isinstance(first, dict):
            return dict(zip(first.keys(), means)), dict(zip(first.keys(), stds))
        if isinstance(first, (list, tuple)):
            return means, stds
        return means[0], stds[0]

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

    def get_compile_config(self) -> dict[str, Any] | None:
        return getattr(self, "_compile_config", None)


# attributes of a model that never hold a metric: the tracking cache (lists of layers and variables), graph
# bookkeeping and the compiled loss/metric containers (their metrics are listed through compile_metrics)
_NO_METRICS = frozenset({"_tracking_cache", "_inbound_nodes", "_losses", "_variables", "_gradient_hooks",
                         "_compile_config", "_build_shapes"})


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


def _has_metrics(compiled_metrics: CompiledMetrics) -> bool:
    if compiled_metrics.built:
        return bool(compiled_metrics.all_metrics)
    return any(m is not None for m in flatten(compiled_metrics.spec) + flatten(compiled_metrics.weighted_spec))


def _pythonify(logs: Any) -> dict[str, Any]:
    """Logs as plain floats; nested dicts (a metric whose result is a dict) flattened in."""
    out: dict[str, Any] = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            out.update(_pythonify(value))
            continue
        if isinstance(value, Tensor):
            value = value.data
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        if isinstance(value, np.generic):
            value = value.item()
        out[key] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    return out


def _progress_verbosity(verbose: Any, what: str) -> int:
    """Keras's ``verbose`` (``'auto'`` is 1), 0 on MPI ranks other than 0."""
    level = arguments.verbosity(verbose, what)
    return 0 if getattr(get_shard_hook(), "rank", 0) != 0 else level


def _metrics_config(spec: Any) -> Any:
    """``compile``'s metrics in a JSON form that ``compile`` accepts back: names stay names, built-in metric
    objects become Keras's ``{"class_name", "config"}`` records (lists, per-output dicts and lists of lists
    kept); None when some metric cannot be written (a custom class or function)."""
    from brickwork.metrics import Metric, serialize

    def one(m: Any) -> Any:
        if m is None or isinstance(m, str):
            return m
        if isinstance(m, Metric):
            return serialize(m)
        if isinstance(m, (list, tuple)):
            return [one(v) for v in m]
        raise ValueError(f"metric {m!r} cannot be written to a model file")

    try:
        out = {k: one(v) for k, v in spec.items()} if isinstance(spec, dict) else one(spec)
    except ValueError:
        return None
    return out if _jsonable(out) else None


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False
