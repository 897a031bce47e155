"""What ``compile`` sets up: the losses per output (with ``loss_weights``) and
the metrics per output."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import losses as losses_module
from brickwork import metrics as metrics_module
from brickwork.engine.tensor import Tensor
from brickwork.layers.symbolic import flatten


def _per_output(value: Any, names: list[str], what: str, allow_single: bool = True) -> list[Any]:
    """Spread a compile argument over the outputs: one value for all, a list in output order,
    or a dict by output name."""
    n = len(names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile({what}=...) names unknown output(s) {unknown}; outputs are {names}.")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and n > 1 and what != "metrics":
        if len(value) != n:
            raise ValueError(f"compile({what}=...) got {len(value)} entries for {n} outputs {names}.")
        return list(value)
    if what == "metrics" and isinstance(value, (list, tuple)) and n > 1 and value and all(
            isinstance(v, (list, tuple)) for v in value):
        return list(value)
    return [value] * n if allow_single else [value]


class CompiledLoss:
    """Total loss :math:`\\sum_k \\text{weight}_k\\,L_k(y_k, \\hat y_k)` over the outputs."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: list[str]) -> None:
        self.output_names = output_names
        self.losses = [None if l_ is None else losses_module.get(l_) for l_ in _per_output(loss, output_names, "loss")]
        weights = _per_output(1.0 if loss_weights is None else loss_weights, output_names, "loss_weights")
        self.weights = [1.0 if w is None else float(w) for w in weights]
        # with several outputs each output's (unweighted) loss is logged too, as Keras logs "<output>_loss"
        self.trackers = {name: metrics_module.Mean(name=f"{name}_loss")
                         for name, lo in zip(output_names, self.losses) if lo is not None} \
            if len(output_names) > 1 else {}

    def __call__(self, y_true: list[Any], y_pred: list[Tensor], sample_weight: Any) -> Tensor:
        total = None
        for name, loss, w, yt, yp in zip(self.output_names, self.losses, self.weights, y_true, y_pred):
            if loss is None:
                continue
            value = loss(yt, yp, sample_weight=sample_weight)
            if self.trackers:
                self.trackers[name].update_state(float(value.data), sample_weight=len(yp.data))
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
    choice of accuracy depends on them)."""

    def __init__(self, metrics: Any, losses: list[Any], output_names: list[str]) -> None:
        self.spec = _per_output(metrics or [], output_names, "metrics")
        self.losses, self.output_names = losses, output_names
        self.metrics: list[list[Any]] | None = None

    def build(self, y_pred: list[Any]) -> None:
        self.metrics = []
        multi = len(self.output_names) > 1
        for spec, loss, pred, name in zip(self.spec, self.losses, y_pred, self.output_names):
            items = spec if isinstance(spec, (list, tuple)) else ([] if spec is None else [spec])
            built = []
            for item in items:
                m = metrics_module.get(item, loss=loss, output_shape=tuple(pred.shape))
                if multi:
                    m.name = f"{name}_{m.name}"
                built.append(m)
            self.metrics.append(built)

    def update(self, y_true: list[Any], y_pred: list[Any], sample_weight: Any) -> None:
        if self.metrics is None:
            self.build(y_pred)
        for ms, yt, yp in zip(self.metrics, y_true, y_pred):
            pred = yp.data if isinstance(yp, Tensor) else np.asarray(yp)
            for m in ms:
                m.update_state(yt, pred, sample_weight)

    def reset(self) -> None:
        for m in flatten(self.metrics or []):
            m.reset_state()

    def results(self) -> dict[str, float]:
        return {m.name: float(m.result()) for m in flatten(self.metrics or [])}
