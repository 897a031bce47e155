"""The :class:`Metric` base class (Keras 3's contract) and array helpers shared by metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.backend import get_array_module, to_numpy
from brickwork.engine.tensor import Tensor
from brickwork.engine.variable import Variable


def as_array(x: Any) -> Any:
    """The array of a Tensor or Variable (``.data``); a NumPy or CuPy array as it is; other
    input (nested lists, numbers) converted with NumPy."""
    if isinstance(x, Tensor):
        return x.data
    if get_array_module(x) is not np:
        return x
    return np.asarray(x)


def get_mask(y_pred: Any) -> Any:
    """The Keras mask carried by ``y_pred`` (``y_pred._keras_mask``) as a boolean array, or None."""
    mask = getattr(y_pred, "_keras_mask", None)
    return None if mask is None else as_array(mask).astype(bool)


def align(y_true: Any, y_pred: Any) -> Any:
    """Expand or squeeze a trailing axis of 1 so ``y_true`` matches ``y_pred``'s rank."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def python_result(value: Any) -> Any:
    """A metric result as a Python float (scalars) or a NumPy ndarray (vector results, copied to
    the host when they live on a GPU)."""
    value = as_array(value)
    return float(value) if value.ndim == 0 else to_numpy(value)


class Metric:
    """Base class of stateful metrics, with Keras 3's contract.

    A subclass creates its state in ``__init__`` with :meth:`add_variable`
    (or its alias :meth:`add_weight`) *after* calling ``super().__init__()``,
    and implements ``update_state(y_true, y_pred, sample_weight=None)`` and
    ``result()``. ``reset_state()`` puts every state variable back to its
    initial value; ``metric(y_true, y_pred)`` updates and returns the result.

    Args:
        name: Name of the metric (default: the snake_case class name).
        dtype: Default dtype of the state variables (default ``'float32'``).

    Example::

        class CategoricalTruePositives(Metric):
            def __init__(self, name="categorical_true_positives", **kwargs):
                super().__init__(name=name, **kwargs)
                self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

            def update_state(self, y_true, y_pred, sample_weight=None):
                hits = np.argmax(y_pred, -1) == np.reshape(y_true, -1)
                self.true_positives.assign_add(np.sum(hits))

            def result(self):
                return self.true_positives
    """

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        from brickwork.utils.naming import to_snake_case

        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_initial_values", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or to_snake_case(type(self).__name__)
        self._dtype = np.dtype(dtype or "float32").name

    @property
    def dtype(self) -> str:
        return self._dtype

    def __setattr__(self, name: str, value: Any) -> None:
        # sub-metrics assigned as attributes are tracked: their variables are this metric's too
        if isinstance(value, Metric) and value is not self and "_metrics" in self.__dict__ \
                and value not in self._metrics:
            self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self) -> None:
        if "_variables" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: you forgot to call super().__init__() in __init__().")

    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> Variable:
        """Create a non-trainable state variable tracked by this metric.

        Args:
            shape: Shape of the variable (``()`` for a scalar).
            initializer: An initializer name (``'zeros'``), instance or callable ``(shape, dtype)``.
            dtype: dtype of the variable (default: the metric's dtype).
            aggregation: Kept for Keras compatibility (how replicas would be combined).
            name: Short name; the variable's path is ``'<metric>/<name>'``.
        """
        from brickwork import initializers

        self._check_super_called()
        shape = tuple(int(d) for d in np.atleast_1d(np.asarray(shape, dtype=np.int64)))
        init = initializers.get(initializer if initializer is not None else "zeros")
        dt = np.dtype(dtype or self._dtype)
        value = np.asarray(init(shape, dt), dtype=dt).reshape(shape)
        name = name or f"variable_{len(self._variables)}"
        var = Variable(value, name=name, trainable=False, path=f"{self.name}/{name}")
        var.aggregation = aggregation
        self._variables.append(var)
        self._initial_values.append(value.copy())
        return var

    def add_weight(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                   aggregation: str = "sum", name: str | None = None) -> Variable:
        """Alias of :meth:`add_variable` (Keras keeps both names)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, aggregation=aggregation,
                                 name=name)

    @property
    def variables(self) -> list[Variable]:
        """This metric's state variables, then those of its sub-metrics."""
        out = list(self.__dict__.get("_variables", []))
        for m in self.__dict__.get("_metrics", []):
            out.extend(m.variables)
        return out

    def reset_state(self) -> None:
        """Put every state variable back to its initial value."""
        for var, init in zip(self._variables, self._initial_values):
            var.assign(init)
        for m in self._metrics:
            m.reset_state()

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Update with one batch and return the running result."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
