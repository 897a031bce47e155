"""The loops over a dataset: ``fit``, ``evaluate`` and ``predict`` (a base of
:class:`~brickwork.models.training.Trainer`), with Keras 3 semantics.

Each wraps the data in a :class:`~brickwork.models.data_adapter.DataAdapter` (after checking that
numeric inputs hold numbers), runs the model's ``train_step`` / ``test_step`` / ``predict_step`` on
every batch, and drives the callbacks' hooks and the progress bar. ``fit`` also validates
(``validation_data`` / ``validation_split``), keeps the :class:`~brickwork.callbacks.History`, and
resumes an interrupted run from a :class:`~brickwork.callbacks.BackupAndRestore` backup;
``predict(mc_samples=N)`` is Monte-Carlo dropout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.callbacks import BackupAndRestore, CallbackList, History, ProgbarLogger
from brickwork.callbacks.backup import FitProgress
from brickwork.callbacks.progbar import StepProgbar
from brickwork.engine import config, threads
from brickwork.layers.mc_dropout import dropout_active
from brickwork.models import arguments, metric_state
from brickwork.models.compiling import _pythonify
from brickwork.models.data_adapter import DataAdapter, get_shard_hook, to_numpy_outputs, unpack_x_y_sample_weight
from brickwork.models.devices import batch_on_device
from brickwork.models.input_checks import check_numeric_inputs, model_numeric_inputs
from brickwork.utils.tree import flatten


class Loops:
    """``fit``, ``evaluate`` and ``predict``, and the data adapter they share."""

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


def _progress_verbosity(verbose: Any, what: str) -> int:
    """Keras's ``verbose`` (``'auto'`` is 1), 0 on MPI ranks other than 0."""
    level = arguments.verbosity(verbose, what)
    return 0 if getattr(get_shard_hook(), "rank", 0) != 0 else level
