"""Moving a model and its batches between devices (``model.to('gpu')``; see :mod:`brickwork.engine.device`)."""

from __future__ import annotations

import sys
from typing import Any

from brickwork.engine.device import canonical_device, to_device
from brickwork.layers.devices import device_of_layer, move_layer


def move_model(model: Any, device: str) -> Any:
    """``model.to(device)``: :func:`move_layer`, plus the optimizer's slots and the metrics' state."""
    move_layer(model, device)
    device = canonical_device(device)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and hasattr(optimizer, "to"):
        optimizer.to(device)
    for metric in getattr(model, "metrics", []):
        for v in getattr(metric, "variables", []):
            v.to(device)
    return model


def batch_on_device(model: Any, batch: Any) -> Any:
    """A batch for ``model``: moved to the GPU when the model computes there, unchanged otherwise.

    Called for every batch: without CuPy imported no array can be on a GPU, so the usual case costs one
    dictionary lookup."""
    if "cupy" not in sys.modules or device_of_layer(model) != "gpu":
        return batch
    return to_device(batch, "gpu")
