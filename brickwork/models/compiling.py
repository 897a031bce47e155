"""Compiling a model and reading its metrics: ``compile``, ``metrics``, ``metrics_names``,
``reset_metrics``, ``get_metrics_result`` and ``get_compile_config`` (a base of
:class:`~brickwork.models.training.Trainer`), with Keras 3 semantics.

``compile`` makes the :class:`~brickwork.models.compile_utils.CompiledLoss` and
:class:`~brickwork.models.compile_utils.CompiledMetrics` the steps use, the ``loss`` tracker,
and the JSON form of its arguments that a saved model keeps. :class:`CompileMetrics` shows the
compiled metrics as the one entry ``model.metrics`` lists for them; the log dicts the loops hand
to callbacks are plain floats (:func:`_pythonify`).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from brickwork import optimizers as optimizers_module
from brickwork.engine.tensor import Tensor
from brickwork.metrics import Mean, Metric
from brickwork.models.compile_utils import CompiledLoss, CompiledMetrics
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


class Compiling:
    """``compile`` and the metrics of a compiled model."""

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

    def get_compile_config(self) -> dict[str, Any] | None:
        """``compile``'s loss, metrics and loss weights in JSON form (what a saved model keeps); None before."""
        return getattr(self, "_compile_config", None)


# attributes of a model that never hold a metric: the tracking cache (lists of layers and variables), graph
# bookkeeping and the compiled loss/metric containers (their metrics are listed through compile_metrics)
_NO_METRICS = frozenset({"_tracking_cache", "_inbound_nodes", "_losses", "_variables", "_gradient_hooks",
                         "_compile_config", "_build_shapes"})


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
