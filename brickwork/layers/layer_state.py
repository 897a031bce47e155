"""What a layer owns: the variables it creates (``add_weight``, ``get_weights`` / ``set_weights``,
``count_params``) and the losses it adds (``add_loss``, ``losses``) — a base of
:class:`~brickwork.layers.Layer`.

The lists of variables themselves (``weights``, ``trainable_weights``, ...) come from tracking on
assignment (:mod:`brickwork.layers.tracked`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.engine import config, tracking
from brickwork.engine.allocation import before_allocation
from brickwork.engine.device import get_device, is_device_array, to_device
from brickwork.engine.tensor import Tensor
from brickwork.engine.variable import Variable


class LayerState:
    """A layer's own variables and losses (``self._variables``, ``self._losses``, set by ``Layer.__init__``)."""

    # -------------------------------------------------------------- weights
    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None, trainable: bool = True,
                   regularizer: Any = None, constraint: Any = None, name: str | None = None,
                   autocast: bool = True, aggregation: str = "none", **kwargs: Any) -> Variable:
        """Create a variable owned by this layer (Keras 3's ``add_weight``).

        Args:
            shape: The variable's shape (``()`` for a scalar).
            initializer: Name, instance or callable; default ``'glorot_uniform'``
                for float variables and ``'zeros'`` for integer ones, as Keras.
            dtype: Default the layer's dtype.
            trainable: Whether gradients update it.
            regularizer, constraint: Penalty added to the loss; projection after each update.
            name: Short name (the path is ``'<layer>/<name>'``).
        """
        from brickwork import constraints, initializers, regularizers

        unknown = set(kwargs) - {"overwrite_with_gradient", "synchronization", "use_resource", "experimental_autocast"}
        if unknown:
            raise TypeError(f"add_weight() of layer '{self.name}' got unexpected arguments {sorted(unknown)}.")
        shape = () if shape is None else tuple(int(s) for s in shape)
        if dtype is not None and np.dtype(dtype).kind in "iub":  # counters, step numbers (Keras's dtype="int")
            dt = np.dtype(dtype)
        else:
            dt = config.standardize_dtype(dtype or self._dtype)
        before_allocation(self.name, name, shape, dt)  # a model-file loader's memory budget, if one is active
        if initializer is None:
            initializer = "glorot_uniform" if dt.kind == "f" else "zeros"
        init = initializers.get(initializer)
        value = to_device(np.asarray(init(shape, dtype=dt), dtype=dt), self.__dict__.get("_device") or get_device())
        name = name or f"variable_{len(self._variables)}"
        var = Variable(value, name=name, trainable=trainable and self.trainable and dt.kind == "f",
                       regularizer=regularizers.get(regularizer), constraint=constraints.get(constraint),
                       path=f"{self.name}/{name}")
        var._initializer = init
        self._variables.append(var)
        tracking.bump()
        return var

    add_variable = add_weight

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the variables' values, in :attr:`weights` order (Keras layouts)."""
        return [v.data.get() if is_device_array(v.data) else v.data.copy() for v in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Assign values in :attr:`weights` order; shapes must match exactly."""
        variables = self.weights
        if len(weights) != len(variables):
            raise ValueError(
                f"Layer '{self.name}' expects {len(variables)} weight arrays, but set_weights got {len(weights)}."
            )
        for var, value in zip(variables, weights):
            value = np.asarray(value)
            if value.shape != var.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{var.path}' has shape {var.shape}, "
                    f"but set_weights got an array of shape {value.shape}."
                )
            var.assign(value)

    def count_params(self) -> int:
        """Number of scalar values in all variables."""
        if not self.built:
            raise ValueError(f"Layer '{self.name}' is not built yet: call it on data or give it an input shape.")
        return int(sum(v.size for v in self.weights))

    # --------------------------------------------------------------- losses
    @property
    def losses(self) -> list[Tensor]:
        """Activity penalties from the last call plus the weight-regularisation penalties."""
        out: list[Tensor] = []
        for layer in [self] + self._flat_layers():
            out.extend(layer._losses)
        for v in self.trainable_weights:
            if v.regularizer is not None:
                out.append(v.regularizer(v))
        return out

    def add_loss(self, loss: Any) -> None:
        """Add a scalar penalty to the training loss (reset at each top-level call)."""
        self._losses.append(loss if isinstance(loss, Tensor) else Tensor(loss))
