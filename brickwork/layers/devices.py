"""Which device a layer computes on, and moving a layer's variables (``layer.to('gpu')``)."""

from __future__ import annotations

from typing import Any

from brickwork.engine.device import canonical_device, cupy_module, get_device, is_device_array


def device_of_layer(layer: Any) -> str:
    """Where ``layer`` computes: the device of its first weight, else the one it was moved to, else the default."""
    for v in layer.weights:
        return "gpu" if is_device_array(v.data) else "cpu"
    return layer.__dict__.get("_device") or get_device()


def move_layer(layer: Any, device: str) -> Any:
    """``layer.to(device)``: every variable of the layer and its sublayers moves in place, and weights
    created later (a model built on its first call) are created there; returns the layer."""
    device = canonical_device(device, f"{type(layer).__name__} '{layer.name}'.to")
    if device == "gpu":
        cupy_module(f"{layer.name}.to('gpu')")
    for sub in [layer, *layer._flat_layers()]:
        object.__setattr__(sub, "_device", device)
    for v in layer.weights:
        v.to(device)
    return layer
