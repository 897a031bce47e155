"""Checks of layer constructor arguments and of input shapes against a layer's windows.

Every error is a ``ValueError`` whose message names the layer (class and name), the argument and the
value, so that ``Conv2D(groups=0)`` or a pooling window larger than its input says what is wrong
instead of failing deep inside a primitive (``ZeroDivisionError``, a reshape of size 0, an empty output).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def describe(layer: Any) -> str:
    """``"Conv2D 'conv2d_3'"`` (class and name), or the class alone before the name is set."""
    name = getattr(layer, "name", None)
    cls = type(layer).__name__
    return f"{cls} '{name}'" if name else cls


def _argument_error(layer: Any, message: str) -> ValueError:
    """``"Dense: units must be ...; got 0 (layer 'dense_2')."``: the class first, as Keras words it."""
    name = getattr(layer, "name", None)
    return ValueError(f"{type(layer).__name__}: {message}" + (f" (layer '{name}')." if name else "."))


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def positive_int(layer: Any, arg: str, value: Any) -> int:
    """``value`` as an ``int`` if it is a positive integer (not a bool, not a float), else a ValueError
    naming the layer, ``arg`` and ``value``."""
    if not _is_int(value) or value <= 0:
        raise _argument_error(layer, f"{arg} must be a positive integer; got {value!r}")
    return int(value)


def positive_int_tuple(layer: Any, arg: str, value: Any, rank: int) -> tuple[int, ...]:
    """An int (repeated ``rank`` times) or a sequence of ``rank`` positive ints, as a tuple."""
    if _is_int(value):
        items: tuple[Any, ...] = (value,) * rank
    elif isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str):
        items = tuple(value)
        if len(items) != rank:
            raise _argument_error(layer, f"{arg} must be an integer or a tuple of {rank} integers; got {value!r}")
    else:
        raise _argument_error(layer, f"{arg} must be a positive integer or a tuple of {rank} positive integers; "
                                     f"got {value!r}")
    if not all(_is_int(v) and v > 0 for v in items):
        raise _argument_error(layer, f"every entry of {arg} must be a positive integer; got {value!r}")
    return tuple(int(v) for v in items)


def rate(layer: Any, arg: str, value: Any, high_inclusive: bool = False) -> float:
    """A finite number in ``[0, 1)`` (``[0, 1]`` with ``high_inclusive``) as a float."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if ok:
        v = float(value)
        ok = math.isfinite(v) and v >= 0 and (v <= 1 if high_inclusive else v < 1)
    if not ok:
        interval = "[0, 1]" if high_inclusive else "[0, 1)"
        raise _argument_error(layer, f"{arg} must be in {interval}; got {value!r}")
    return float(value)


def window_fits(layer: Any, input_shape: Sequence[Any], spatial: Sequence[Any], window: Sequence[int],
                dilation: Sequence[int] | None = None, padding: str = "valid", what: str = "kernel_size") -> None:
    """With ``'valid'`` padding, each (dilated) window must fit its spatial axis; every known axis
    must be non-empty. Unknown (``None``) axes are skipped."""
    dilation = tuple(dilation) if dilation is not None else (1,) * len(window)
    spans = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
    for n, span in zip(spatial, spans):
        if n is None:
            continue
        if int(n) == 0:
            raise ValueError(f"{describe(layer)}: the input of shape {tuple(input_shape)} has an empty spatial "
                             "axis.")
        if padding == "valid" and span > int(n):
            dil = "" if all(d == 1 for d in dilation) else f" (dilated span {spans})"
            raise ValueError(f"{describe(layer)}: the window {what}={tuple(window)}{dil} is larger than (does not "
                             f"fit) the input of shape {tuple(input_shape)} (spatial {tuple(spatial)}) with "
                             "padding='valid'; use a smaller window, padding='same', or a larger input.")


def nonempty_sequence(layer: Any, input_shape: Sequence[Any]) -> None:
    """A recurrent layer needs at least one time step (axis 1)."""
    if len(input_shape) >= 2 and input_shape[1] is not None and int(input_shape[1]) == 0:
        raise ValueError(f"{describe(layer)}: got a sequence of length 0 (input shape {tuple(input_shape)}); "
                         "a recurrent layer needs at least one time step. Drop empty sequences or pad them "
                         "(e.g. brickwork.utils.pad_sequences) and mask the padding.")
