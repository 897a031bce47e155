"""The :class:`Tensor`: a NumPy array that remembers how it was made.

A tensor holds ``data`` (a NumPy array), an optional ``grad`` (a NumPy array
of the same shape, filled by :meth:`Tensor.backward`) and, when it was produced
by a differentiable operation while gradients were being recorded, its
``creator`` (the :class:`~brickwork.engine.function.Function` node that made it).
Following the chain of creators from a loss back to the leaves is the
computational graph that backpropagation walks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine import config
from brickwork.engine.device import is_device_array, to_device, to_host


def as_array(value: Any, dtype: np.dtype | None = None) -> np.ndarray:
    """Convert ``value`` to an ndarray; Python floats become ``floatx()``."""
    if isinstance(value, np.ndarray) or is_device_array(value):
        arr = value
    else:
        arr = np.asarray(value)
        if dtype is None and arr.dtype == np.float64 and not isinstance(value, np.generic):
            arr = arr.astype(config.floatx())
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    elif arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    return arr


class Tensor:
    """A multi-dimensional array with automatic differentiation.

    Parameters
    ----------
    data : array_like
        The values. NumPy float arrays keep their dtype (float32 or float64);
        Python floats and lists become ``brickwork.floatx()`` (float32).
    requires_grad : bool
        Whether gradients with respect to this tensor are wanted.
    name : str, optional
        A label shown in ``repr`` and in error messages.

    Examples
    --------
    >>> import brickwork as bw
    >>> x = bw.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = (
        "data", "grad", "creator", "generation", "requires_grad", "name",
        "_out_index", "_retain_grad", "_keras_mask", "__weakref__", "__dict__",
    )
    __array_ufunc__ = None  # make NumPy defer to Tensor's reflected operators
    __array_priority__ = 1000

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None,
                 dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data = as_array(data, None if dtype is None else np.dtype(dtype))
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Only float tensors can require gradients; got dtype {self.data.dtype}.")
        self.grad: np.ndarray | None = None
        self.creator = None
        self.generation = 0
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._out_index = 0
        self._retain_grad = False
        self._keras_mask = None

    # ----------------------------------------------------------------- basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, prefix="Tensor(", separator=", ")
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, dtype={self.data.dtype}{extra})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __hash__(self) -> int:
        return id(self)

    def numpy(self) -> np.ndarray:
        """Return the underlying NumPy array (shared, not copied; a host copy for a GPU tensor)."""
        return to_host(self.data)

    @property
    def device(self) -> str:
        """``'cpu'`` or ``'gpu'``: where :attr:`data` lives."""
        return "gpu" if is_device_array(self.data) else "cpu"

    def to(self, device: str) -> Tensor:
        """This tensor on ``device`` (itself when it is there already; else a new leaf holding a copy)."""
        data = to_device(self.data, device)
        return self if data is self.data else Tensor(data, requires_grad=self.requires_grad, name=self.name)

    def item(self) -> float:
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A new leaf tensor sharing the data, cut from the graph."""
        return Tensor(self.data)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self._retain_grad = True

    def zero_grad(self) -> None:
        self.grad = None

    def astype(self, dtype: Any) -> Tensor:
        return F.cast(self, dtype)

    # --------------------------------------------------------------- backward
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Backpropagate from this tensor to every leaf that requires grad.

        Parameters
        ----------
        grad : array_like, optional
            :math:`\\partial L / \\partial \\text{self}`. Defaults to ones for a
            tensor with a single element.
        retain_graph : bool
            Keep the saved buffers so that backward can run through the graph
            again. By default they are freed as soon as they are used.
        """
        run_backward(self, grad, retain_graph)

    # ------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Tensor:
        return F.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return F.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return F.subtract(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return F.subtract(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return F.multiply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return F.multiply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return F.divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.divide(other, self)

    def __neg__(self) -> Tensor:
        return F.negative(self)

    def __pos__(self) -> Tensor:
        return self

    def __pow__(self, other: Any) -> Tensor:
        return F.power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return F.power(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __abs__(self) -> Tensor:
        return F.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, tuple):
            index = tuple(_raw(i) for i in index)
        return F.getitem(self, _raw(index))

    # comparisons, logical and integer operators are not differentiable: they
    # return plain tensors (boolean for comparisons), as torch and keras.ops do
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data == _raw(other))

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data != _raw(other))

    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < _raw(other))

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= _raw(other))

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > _raw(other))

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= _raw(other))

    def __and__(self, other: Any) -> Tensor:
        return Tensor(self.data & _raw(other))

    __rand__ = __and__

    def __or__(self, other: Any) -> Tensor:
        return Tensor(self.data | _raw(other))

    __ror__ = __or__

    def __xor__(self, other: Any) -> Tensor:
        return Tensor(self.data ^ _raw(other))

    __rxor__ = __xor__

    def __invert__(self) -> Tensor:
        return Tensor(~self.data)

    def __floordiv__(self, other: Any) -> Tensor:
        return Tensor(self.data // _raw(other))

    def __rfloordiv__(self, other: Any) -> Tensor:
        return Tensor(_raw(other) // self.data)

    def __mod__(self, other: Any) -> Tensor:
        return Tensor(self.data % _raw(other))

    def __rmod__(self, other: Any) -> Tensor:
        return Tensor(_raw(other) % self.data)

    # ---------------------------------------------------------------- methods
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.min(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return F.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return F.transpose(self, axes or None)

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        return F.transpose(self, None)

    def expand_dims(self, axis: int) -> Tensor:
        return F.expand_dims(self, axis)

    def squeeze(self, axis: Any = None) -> Tensor:
        return F.squeeze(self, axis)

    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def sqrt(self) -> Tensor:
        return F.sqrt(self)

    def tanh(self) -> Tensor:
        return F.tanh(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def relu(self) -> Tensor:
        return F.relu(self)


def _raw(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def tensor_of_array(arr: np.ndarray) -> Tensor:
    """``Tensor(arr)`` for a NumPy array, without the conversion checks (the hot path of every primitive's
    output): the array is kept as it is, float16 apart (widened to float32, as :func:`as_array` does)."""
    if arr.dtype == _FLOAT16:
        arr = arr.astype(np.float32)
    t = _new_tensor(Tensor)
    t.data = arr
    t.grad = None
    t.creator = None
    t.generation = 0
    t.requires_grad = False
    t.name = None
    t._out_index = 0
    t._retain_grad = False
    t._keras_mask = None
    return t


_FLOAT16 = np.dtype(np.float16)
_new_tensor = object.__new__


def as_tensor(value: Any, dtype: np.dtype | None = None) -> Tensor:
    """Return ``value`` as a Tensor (no copy when it already is one)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(as_array(value, dtype))


# The operators call the function library, and backward() the graph walk of
# engine/function.py — both build on this module, so neither is imported here:
# ``brickwork.engine`` binds them once everything is loaded (no import cycle).
F: Any = None
run_backward: Any = None
