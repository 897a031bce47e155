"""What ``compile`` sets up: the losses per output (with ``loss_weights``) and
the metrics per output (plain ``metrics`` and ``weighted_metrics``), with Keras 3's rules.

Predictions are passed to losses and metrics as Tensors, so the Keras mask a
layer propagated (``y_pred._keras_mask``) reaches them.
"""

from __future__ import annotations

from typing import Any

from brickwork import losses as losses_module
from brickwork import metrics as metrics_module
from brickwork.layers.symbolic import flatten
from brickwork.metrics.base import python_result


def _is_serialized(value: Any) -> bool:
    """A saved object config (``{"class_name": ..., "config": ...}``) rather than a dict per output."""
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _per_output(value: Any, names: list[str], what: str, allow_single: bool = True) -> list[Any]:
    """Spread a compile argument over the outputs: one value for all, a list in output order,
    or a dict by output name."""
    n = len(names)
    is_metrics = what in ("metrics", "weighted_metrics")
    if isinstance(value, dict) and not (_is_serialized(value) and not set(value) & set(names)):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile({what}=...) names unknown output(s) {unknown}; outputs are {names}.")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and n > 1 and not is_metrics:
        if len(value) != n:
            raise ValueError(f"compile({what}=...) got {len(value)} entries for {n} outputs {names}.")
        return list(value)
    if is_metrics and isinstance(value, (list, tuple)) and n > 1 and value and all(
            isinstance(v, (list, tuple, dict)) or v is None for v in value):
        if len(value) != n:
            raise ValueError(f"compile({what}=...) got {len(value)} lists for {n} outputs {names}.")
        return list(value)
    return [value] * n if allow_single else [value]


def _per_output_weights(sample_weight: Any, names: list[str]) -> list[Any]:
    """One sample-weight array per output: a single array is shared, a list/dict is per output."""
    if isinstance(sample_weight, dict):
        return [sample_weight.get(name) for name in names]
    if isinstance(sample_weight, (list, tuple)) and len(names) > 1:
        if len(sample_weight) < len(names):
            return [sample_weight[0]] * len(names)
        return list(sample_weight)
    return [sample_weight] * len(names)


class CompiledLoss:
    """Total loss :math:`\\sum_k \\text{weight}_k\\,L_k(y_k, \\hat y_k)` over the outputs that have a loss.

    ``loss=None`` (or None for every output) is allowed: the model then trains on
    its ``add_loss`` terms only and calling this object returns None.

    Args:
        loss: A loss identifier, or a list / dict of them (one per output; None: no loss there).
        loss_weights: A float, or a list / dict of floats per output.
        output_names: The model's output names.
    """

    def __init__(self, loss: Any, loss_weights: Any, output_names: list[str]) -> None:
        self.output_names = output_names
        self.losses = [losses_module.get(l_) for l_ in _per_output(loss, output_names, "loss")]
        weights = _per_output(1.0 if loss_weights is None else loss_weights, output_names, "loss_weights")
        self.weights = [1.0 if w is None else float(w) for w in weights]
        # with several outputs each output's (unweighted) loss is logged too, as Keras logs "<output>_loss"
        self.trackers = {name: metrics_module.Mean(name=f"{name}_loss")
                         for name, lo in zip(output_names, self.losses) if lo is not None} \
            if len(output_names) > 1 else {}

    @property
    def has_loss(self) -> bool:
        """Whether at least one output has a loss."""
        return any(lo is not None for lo in self.losses)

    def __call__(self, y_true: list[Any], y_pred: list[Any], sample_weight: Any = None) -> Any:
        """The weighted total loss (a scalar Tensor), or None when no output has a loss."""
        total = None
        weights = _per_output_weights(sample_weight, self.output_names)
        for name, loss, w, yt, yp, sw in zip(self.output_names, self.losses, self.weights, y_true, y_pred,
                                             weights):
            if loss is None:
                continue
            value = loss(yt, yp, sample_weight=sw)
            if self.trackers:
                self.trackers[name].update_state(float(value.data), sample_weight=len(yp))
            term = value * w if w != 1.0 else value
            total = term if total is None else total + term
        return total

    def reset(self) -> None:
        for tracker in self.trackers.values():
            tracker.reset_state()

    def results(self) -> dict[str, float]:
        return {t.name: float(t.result()) for t in self.trackers.values()}


class CompiledMetrics:
    """Metrics per output, created once the output shapes are known (Keras's
    choice of accuracy depends on them).

    As in Keras 3, plain ``metrics`` are updated without the sample weights and
    ``weighted_metrics`` with them. Logged names: with several outputs
    ``'<output>_<metric>'``; a repeated plain name gets ``'_1'``, ``'_2'``, ...;
    a weighted metric whose name is taken is logged as ``'weighted_<metric>'``.

    Args:
        metrics: Metric identifiers (a list, or a list / dict of lists per output).
        losses: The per-output losses (they decide what ``'accuracy'`` means).
        output_names: The model's output names.
        weighted_metrics: Like ``metrics``; these receive ``sample_weight``.
    """

    def __init__(self, metrics: Any, losses: list[Any], output_names: list[str],
                 weighted_metrics: Any = None) -> None:
        for what, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value and not isinstance(value, (list, tuple, dict)):
                raise ValueError(f"Expected the `{what}` argument to be a list, tuple, or dict; got {what}={value!r} "
                                 f"of type {type(value).__name__}.")
        self.spec = _per_output(metrics or [], output_names, "metrics")
        self.weighted_spec = _per_output(weighted_metrics or [], output_names, "weighted_metrics")
        self.losses, self.output_names = losses, output_names
        self.metrics: list[list[Any]] | None = None
        self.weighted_metrics: list[list[Any]] | None = None
        self._names: list[str] = []

    def _build_set(self, spec: list[Any], y_pred: list[Any]) -> list[list[Any]]:
        built_all = []
        for items, loss, pred in zip(spec, self.losses, y_pred):
            items = items if isinstance(items, (list, tuple)) else ([] if items is None else [items])
            built_all.append([metrics_module.get(item, loss=loss, output_shape=tuple(pred.shape)) for item in items])
        return built_all

    def build(self, y_pred: list[Any]) -> None:
        """Create the metric objects for predictions ``y_pred`` (one per output) and fix their logged names."""
        self.metrics = self._build_set(self.spec, y_pred)
        self.weighted_metrics = self._build_set(self.weighted_spec, y_pred)
        multi = len(self.output_names) > 1
        counters: dict[str, int] = {}
        names: list[str] = []
        for weighted, sets in ((False, self.metrics), (True, self.weighted_metrics)):
            for out, ms in zip(self.output_names, sets):
                for m in ms:
                    name = f"{out}_{m.name}" if multi else m.name
                    if name in counters and weighted:
                        name = f"{out}_weighted_{m.name}" if multi else f"weighted_{m.name}"
                    if name in counters:
                        counters[name] += 1
                        name = f"{name}_{counters[name] - 1}"
                    counters.setdefault(name, 1)
                    names.append(name)
        self._names = names

    @property
    def built(self) -> bool:
        return self.metrics is not None

    @property
    def all_metrics(self) -> list[Any]:
        """Every metric object, plain ones first, in logging order."""
        return flatten(self.metrics or []) + flatten(self.weighted_metrics or [])

    @property
    def metric_names(self) -> list[str]:
        """The logged names, in the order of :attr:`all_metrics` (empty before the first update)."""
        return list(self._names)

    def update(self, y_true: list[Any], y_pred: list[Any], sample_weight: Any = None) -> None:
        """Update the plain metrics without and the weighted metrics with ``sample_weight``."""
        if self.metrics is None:
            self.build(y_pred)
        weights = _per_output_weights(sample_weight, self.output_names)
        for ms, ws, yt, yp, sw in zip(self.metrics, self.weighted_metrics, y_true, y_pred, weights):
            for m in ms:
                m.update_state(yt, yp)
            for m in ws:
                m.update_state(yt, yp, sample_weight=sw)

    def reset(self) -> None:
        for m in self.all_metrics:
            m.reset_state()

    def results(self) -> dict[str, Any]:
        return {name: python_result(m.result())
                for name, m in zip(self._names, self.all_metrics)}
