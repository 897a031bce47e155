"""The running values of the metrics ``fit`` logs, read and restored as arrays: a backup taken in
the middle of an epoch resumes with the epoch's running loss and metrics, so the epoch logs (and the
callbacks that watch them) are those of the uninterrupted run."""

from __future__ import annotations

from typing import Any

import numpy as np


def variables(model: Any) -> list[Any]:
    """Every state variable of the loss tracker, the per-output losses and the compiled metrics, in a fixed order."""
    found: list[Any] = []
    for m in model.metrics:
        found.extend(getattr(m, "variables", []))
    for tracker in model._compiled_loss.trackers.values():
        found.extend(tracker.variables)
    for m in model._compiled_metrics.all_metrics:
        found.extend(m.variables)
    seen: set[int] = set()
    out = []
    for v in found:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def values(model: Any) -> list[np.ndarray]:
    """Copies of :func:`variables`' values."""
    return [np.array(v.data) for v in variables(model)]


def set_values(model: Any, saved: list[np.ndarray]) -> None:
    """Restore :func:`values` (the compiled metrics are first made from the output shapes if needed)."""
    if saved and not model._compiled_metrics.built and getattr(model, "outputs", None):
        model._compiled_metrics.build(list(model.outputs))
    current = variables(model)
    if len(saved) != len(current):
        raise ValueError(f"Model '{model.name}': a backup holds {len(saved)} metric values, but the compiled metrics "
                         f"have {len(current)} variables; compile the model as in the interrupted run.")
    for var, value in zip(current, saved):
        var.assign(np.asarray(value).reshape(var.shape))
