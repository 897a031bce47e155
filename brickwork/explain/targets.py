"""What every attribution method shares: reading the inputs, choosing the explained output, one gradient.

A model :math:`f` maps a batch :math:`x` (rows first) to scores; the explained quantity for row :math:`i`
is the scalar :math:`f_{t_i}(x_i)`, output :math:`t_i` of that row. ``target`` chooses :math:`t_i`:

* ``None``: the single output of a one-output model, else the arg-max output of each row (the predicted class);
* an ``int``: that output for every row;
* a sequence or array of ints, one per row.

Outputs with more than one non-batch axis (a sequence of class scores, say) are flattened row by row, so an
``int`` target indexes the flattened scores. The gradient of :math:`\\sum_i f_{t_i}(x_i)` with respect to the
batch gives every row's own gradient at once, because rows do not interact at inference time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from brickwork.engine.config import enable_grad
from brickwork.engine.function import grad
from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer


def as_batch(model: Any, x: Any, method: str) -> np.ndarray:
    """``x`` as a float array with a batch axis, checked against the model's input shape when it is known."""
    if isinstance(x, Tensor):
        x = x.data
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float32)
    if arr.ndim < 1 or arr.shape[0] == 0:
        raise ValueError(f"{method}: x must be a non-empty batch (rows first); got shape {arr.shape}.")
    expected = expected_input_shape(model)
    if expected is not None:
        ok = len(expected) == arr.ndim and all(e is None or e == a for e, a in zip(expected[1:], arr.shape[1:]))
        if not ok:
            raise ValueError(f"{method}: x has shape {arr.shape} but the model expects inputs of shape "
                             f"{tuple(expected)} (batch first).")
    return arr


def expected_input_shape(model: Any) -> tuple[Any, ...] | None:
    """The model's batch input shape when it has exactly one known symbolic input, else ``None``."""
    inputs = getattr(model, "inputs", None)
    if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and getattr(inputs[0], "shape", None) is not None:
        return tuple(inputs[0].shape)
    return None


def forward(model: Any, x: Any) -> Tensor:
    """Run ``model`` in inference mode and return its output as a ``(rows, outputs)`` tensor."""
    out = model(x, training=False) if isinstance(model, Layer) else model(x)
    if isinstance(out, (list, tuple)):
        if len(out) != 1:
            raise ValueError(f"The model returns {len(out)} outputs; attribution methods explain a model with "
                             "one output (wrap it so that it returns the one to explain).")
        out = out[0]
    if not isinstance(out, Tensor):
        out = Tensor(np.asarray(out))
    if out.ndim == 0:
        raise ValueError("The model returned a scalar; it must return one score (or a row of scores) per input row.")
    if out.ndim != 2:
        out = out.reshape(out.shape[0], -1)
    return out


def resolve_target(target: Any, scores: np.ndarray, method: str) -> np.ndarray:
    """One output index per row (see the module docstring) from ``scores`` of shape ``(rows, outputs)``."""
    n, k = scores.shape
    if target is None:
        return np.zeros(n, np.int64) if k == 1 else np.argmax(scores, axis=1).astype(np.int64)
    idx = np.asarray(target)
    if idx.dtype.kind not in "iu" and not (idx.dtype.kind == "f" and np.all(idx == np.round(idx))):
        raise TypeError(f"{method}: target must be an int, one int per row or None; got {target!r}.")
    idx = idx.astype(np.int64)
    if idx.ndim == 0:
        idx = np.full(n, int(idx), np.int64)
    elif idx.shape != (n,):
        raise ValueError(f"{method}: target has shape {idx.shape}; it must be an int or hold one int for each "
                         f"of the {n} rows.")
    if np.any(idx < 0) or np.any(idx >= k):
        bad = idx[(idx < 0) | (idx >= k)][0]
        raise ValueError(f"{method}: target {int(bad)} is out of range for a model with {k} outputs "
                         f"(valid: 0..{k - 1}).")
    return idx


def selected(out: Tensor, idx: np.ndarray) -> Tensor:
    """The explained scores :math:`f_{t_i}(x_i)`, one per row, as a tensor."""
    return out[np.arange(out.shape[0]), idx]


@contextlib.contextmanager
def weights_frozen(model: Any) -> Iterator[None]:
    """The model's variables do not record gradients inside the block (restored after).

    Attributions need gradients with respect to the input only; without this the backward pass also
    computes every kernel's gradient (about half the work of a convolutional network)."""
    variables = [v for v in getattr(model, "weights", []) if v.requires_grad]
    for v in variables:
        v.requires_grad = False
    try:
        yield
    finally:
        for v in variables:
            v.requires_grad = True


def input_gradients(model: Any, x: np.ndarray, target: Any, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradient of each row's explained score with respect to that row.

    Returns ``(gradients shaped like x, the explained scores, the target indices)``.
    """
    with enable_grad(), weights_frozen(model):
        xt = Tensor(x, requires_grad=True)
        out = forward(model, xt)
        idx = resolve_target(target, out.data, method)
        score = selected(out, idx)
        g = grad(score.sum(), xt)
    return np.asarray(g, dtype=x.dtype), np.asarray(score.data, np.float64), idx


def batches(n: int, size: int | None) -> list[slice]:
    """Slices covering ``range(n)`` in chunks of ``size`` rows (one chunk when ``size`` is None)."""
    if size is None or size >= n:
        return [slice(0, n)]
    if size < 1:
        raise ValueError(f"internal_batch_size must be a positive int; got {size}.")
    return [slice(s, min(s + size, n)) for s in range(0, n, size)]
