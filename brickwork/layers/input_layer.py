"""``Input``: the symbolic entry point of a Functional model."""

from __future__ import annotations

from typing import Any

from brickwork.engine import config
from brickwork.layers.layer import Layer
from brickwork.layers.symbolic import Node, SymbolicTensor


class InputLayer(Layer):
    """The layer behind :func:`Input`; it has no weights and one output node."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 name: str | None = None, batch_shape: Any = None, sparse: bool = False,
                 input_shape: Any = None, batch_input_shape: Any = None, **kwargs: Any) -> None:
        dt = dtype or config.floatx()
        super().__init__(name=name, **kwargs)
        if batch_input_shape is not None:
            batch_shape = batch_input_shape
        if shape is None and input_shape is not None:
            shape = input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a shape: Input(shape=(features,)) (without the batch axis).")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.input_dtype = dt
        self.built = True
        tensor = SymbolicTensor(self.batch_shape, object if dt in ("string", "str", "object") else dt,
                                name=self.name, history=(self, 0, 0))
        self._inbound_nodes.append(Node(self, (), {}, [tensor]))

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": str(self.input_dtype), "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None, name: str | None = None,
          batch_shape: Any = None, sparse: bool = False) -> SymbolicTensor:  # noqa: N802 - Keras's name
    """A symbolic input of ``shape`` (without the batch axis) for the Functional API.

    Examples
    --------
    >>> from brickwork.layers import Input, Dense
    >>> from brickwork.models import Model
    >>> x = Input(shape=(10,))
    >>> model = Model(x, Dense(1, activation='sigmoid')(x))
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape)
    return layer._inbound_nodes[0].outputs[0]
