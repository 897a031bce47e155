"""Variables: the trainable (and non-trainable) state that layers own."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine import tracking
from brickwork.engine.device import get_array_module, is_device_array, to_device
from brickwork.engine.tensor import Tensor


class Variable(Tensor):
    """A leaf :class:`Tensor` that a layer owns and an optimizer updates in place.

    Parameters
    ----------
    value : ndarray
        Initial value (its dtype is kept).
    name : str
        Short name (``'kernel'``); ``path`` adds the owner (``'dense/kernel'``).
    trainable : bool
        Trainable variables receive gradients; non-trainable ones (batch-norm
        moving statistics) are updated by their layer.
    regularizer, constraint : callable, optional
        Penalty added to the loss; projection applied after each update.
    """

    def __init__(self, value: Any, name: str = "variable", trainable: bool = True,
                 regularizer: Any = None, constraint: Any = None, path: str | None = None) -> None:
        xp = get_array_module(value)
        super().__init__(xp.array(value, copy=True, order="C"), requires_grad=trainable, name=name)
        self._trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.path = path or name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = bool(value)
        tracking.bump()

    def assign(self, value: Any) -> None:
        """Overwrite the value in place (shape must match)."""
        value = self._on_my_device(value.data if isinstance(value, Tensor) else value)
        if value.shape != self.data.shape:
            raise ValueError(
                f"Cannot assign a value of shape {value.shape} to variable '{self.path}' of shape {self.data.shape}."
            )
        self.data[...] = value

    def assign_add(self, delta: Any) -> None:
        self.data += self._on_my_device(delta).astype(self.data.dtype, copy=False)

    def assign_sub(self, delta: Any) -> None:
        self.data -= self._on_my_device(delta).astype(self.data.dtype, copy=False)

    def _on_my_device(self, value: Any) -> Any:
        """``value`` as an array on this variable's device (an explicit host/device copy if needed)."""
        if isinstance(value, Tensor):
            value = value.data
        if not is_device_array(value):
            value = np.asarray(value)
        return to_device(value, "gpu" if is_device_array(self.data) else "cpu")

    def to(self, device: str) -> Variable:
        """Move this variable's value (and its gradient) to ``device`` in place; returns itself.

        Unlike :meth:`Tensor.to` the variable keeps its identity, so the layers and optimizers that
        hold it see the move."""
        self.data = to_device(self.data, device)
        if self.grad is not None:
            self.grad = to_device(self.grad, device)
        return self

    @property
    def value(self) -> Tensor:
        """The variable itself, a leaf tensor gradients reach (Keras's ``variable.value``)."""
        return self

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, trainable={self.trainable}>"
