"""What a layer accepts: :class:`InputSpec` (rank and fixed axis sizes) and the check of input shapes
against it, with Keras 3's error messages."""

from __future__ import annotations

from typing import Any


class InputSpec:
    """What a layer accepts: rank (``ndim``/``min_ndim``) and fixed axis sizes (``axes``)."""

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None) -> None:
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, axes or {}


def check_input_spec(layer: Any, shapes: Any) -> None:
    """Raise ``ValueError`` (naming the layer, its class and the input) when ``shapes`` break ``layer.input_spec``.

    ``layer.input_spec`` is an :class:`InputSpec` or a list of them, one per input; ``shapes`` is one shape
    or the list of the inputs' shapes. A ``None`` size (unknown in a graph) matches any fixed size."""
    if layer.input_spec is None:
        return
    specs = layer.input_spec if isinstance(layer.input_spec, list) else [layer.input_spec]
    shape_list = shapes if isinstance(shapes, list) else [shapes]
    for i, (spec, shape) in enumerate(zip(specs, shape_list)):
        where = f"Input {i} of layer '{layer.name}' ({type(layer).__name__}) is incompatible with the layer:"
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(f"{where} expected ndim={spec.ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {tuple(shape)}")
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(f"{where} expected min_ndim={spec.min_ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {tuple(shape)}")
        for axis, value in spec.axes.items():
            if shape[axis] is not None and shape[axis] != value:
                raise ValueError(f"{where} expected axis {axis} of input shape to have value {value}, "
                                 f"but received input with shape {tuple(shape)}")
