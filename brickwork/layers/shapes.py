"""Shape structures: a shape is a tuple of ints and ``None`` (unknown size)."""

from __future__ import annotations

from typing import Any

import numpy as np


def is_shape(value: Any) -> bool:
    """Whether ``value`` is one shape tuple (not a structure of them)."""
    return isinstance(value, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


def map_shapes(fn: Any, shapes: Any) -> Any:
    """Apply ``fn`` to each shape tuple in a (possibly nested) structure of shapes."""
    if is_shape(shapes):
        return fn(shapes)
    if isinstance(shapes, list):
        return [map_shapes(fn, s) for s in shapes]
    if isinstance(shapes, tuple):
        return tuple(map_shapes(fn, s) for s in shapes)
    if isinstance(shapes, dict):
        return {k: map_shapes(fn, v) for k, v in shapes.items()}
    return fn(tuple(shapes))


def shape_from_json(value: Any) -> Any:
    """Inverse of JSON's tuple-to-list: lists of ints/None become shape tuples again."""
    if isinstance(value, list) and all(d is None or isinstance(d, int) for d in value):
        return tuple(value)
    if isinstance(value, list):
        return [shape_from_json(v) for v in value]
    if isinstance(value, dict):
        return {k: shape_from_json(v) for k, v in value.items()}
    return value
