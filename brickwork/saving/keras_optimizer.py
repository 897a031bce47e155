"""An optimizer's state in Keras 3's weights file: ``optimizer/vars/0, 1, ...``.

Keras stores ``optimizer.variables`` in creation order: the step count
(``iteration``, int64), the learning rate (float32), then the slots of the
trainable variables — grouped by slot for SGD, Adagrad and RMSprop (every
velocity, then every momentum, then every average gradient), interleaved per
variable for Adam, AdamW and Nadam (``momentum``, ``velocity`` of the first
variable, then of the second, ...), and for Nadam the running product
:math:`\\prod_t \\mu_t` last. brickwork's optimizers keep the same slots under
the same names (:meth:`~brickwork.optimizers.Optimizer.get_state`), so the state
maps one to one and training resumes where it stopped, in Keras or brickwork.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine.device import to_host
from brickwork.saving.errors import ModelFileError

# slot names in Keras's order, and whether Keras groups them by slot or interleaves them per variable
_LAYOUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "SGD": ("grouped", ("momentum",)),
    "Adagrad": ("grouped", ("accumulator",)),
    "RMSprop": ("grouped", ("velocity", "momentum", "average_gradient")),
    "Adam": ("interleaved", ("momentum", "velocity")),
    "AdamW": ("interleaved", ("momentum", "velocity")),
    "Nadam": ("interleaved", ("momentum", "velocity")),
}


def _slots_used(optimizer: Any) -> tuple[str, tuple[str, ...]] | None:
    """Keras's layout for this optimizer's configuration, or None when brickwork does not know it."""
    name = type(optimizer).__name__
    if name not in _LAYOUTS or getattr(optimizer, "amsgrad", False):
        return None
    layout, slots = _LAYOUTS[name]
    if name == "SGD" and not optimizer.momentum:
        slots = ()
    if name == "RMSprop":
        slots = tuple(s for s in slots if s == "velocity" or (s == "momentum" and optimizer.momentum)
                      or (s == "average_gradient" and optimizer.centered))
    return layout, slots


def _order(layout: str, slots: tuple[str, ...], n: int) -> list[tuple[int, str]]:
    if layout == "grouped":
        return [(i, s) for s in slots for i in range(n)]
    return [(i, s) for i in range(n) for s in slots]


def optimizer_arrays(optimizer: Any, variables: list[Any]) -> list[np.ndarray] | None:
    """The arrays Keras stores for ``optimizer`` training ``variables`` (None: layout unknown)."""
    known = _slots_used(optimizer)
    if known is None:
        return None
    layout, slots = known
    state = optimizer.get_state(variables)
    arrays = [np.asarray(optimizer.iterations, np.int64), np.asarray(optimizer.learning_rate, np.float32)]
    for i, slot in _order(layout, slots, len(variables)):
        value = state.get(f"{i}/{slot}")
        arrays.append(np.zeros(variables[i].shape, variables[i].dtype) if value is None else to_host(value))
    if type(optimizer).__name__ == "Nadam":
        arrays.append(np.asarray(state.get("u_product", 1.0), np.float32))
    return arrays


def set_optimizer_arrays(optimizer: Any, variables: list[Any], arrays: list[np.ndarray], path: str,
                         member: str | None = None) -> bool:
    """Restore the state :func:`optimizer_arrays` describes; False (and nothing changed) when the
    file's arrays do not fit this optimizer and these variables."""
    known = _slots_used(optimizer)
    if known is None:
        return False
    layout, slots = known
    order = _order(layout, slots, len(variables))
    expected = 2 + len(order) + (1 if type(optimizer).__name__ == "Nadam" else 0)
    if len(arrays) != expected:
        return False
    nadam = type(optimizer).__name__ == "Nadam"
    if np.shape(arrays[0]) != () or (nadam and np.shape(arrays[-1]) != ()):
        raise ModelFileError(path, member, "the optimizer's step count (and Nadam's product) must be scalars.")
    state: dict[str, Any] = {"iterations": np.asarray(arrays[0]).astype(np.int64)}
    for (i, slot), value in zip(order, arrays[2:]):
        if tuple(value.shape) != tuple(variables[i].shape):
            raise ModelFileError(path, member, f"optimizer slot {slot!r} of variable '{variables[i].path}' has "
                                               f"shape {tuple(value.shape)} in the file, but the variable has shape "
                                               f"{variables[i].shape}.")
        state[f"{i}/{slot}"] = value
    if type(optimizer).__name__ == "Nadam":
        state["u_product"] = np.asarray(arrays[-1])
    optimizer.set_state(variables, state)
    return True
