"""The :class:`Layer` base class: Keras 3's ``build`` / ``call`` / ``get_config`` contract.

A layer holds variables (made in :meth:`Layer.build` with
:meth:`Layer.add_weight`) and computes with the stateless primitives of
:mod:`brickwork.functions` in :meth:`Layer.call`. Calling a layer

* on data (a NumPy array or :class:`~brickwork.Tensor`) runs it eagerly,
  PyTorch style, building it on first use from the input's shape;
* on a symbolic tensor (from :func:`~brickwork.layers.Input`) records a node
  of a Functional graph and returns symbolic outputs.

This module holds the class itself — its constructor, dtype and ``trainable``
flag, the ``build`` / ``call`` hooks, graph access (``input``, ``output``) and
PyTorch's ``train()`` / ``eval()`` modes. Its bases hold the rest, one concept each:

* :mod:`brickwork.layers.calling` — ``__call__``, the eager call and its fast path,
  building on first call, masks (every tensor argument of ``call`` is converted,
  shaped and masked, see :mod:`brickwork.layers.call_spec`);
* :mod:`brickwork.layers.tracing` — the symbolic call;
* :mod:`brickwork.layers.layer_state` — ``add_weight``, ``get_weights`` / ``set_weights``, losses;
* :mod:`brickwork.layers.layer_config` — ``get_config`` / ``from_config``;
* :mod:`brickwork.layers.tracked` — tracking on assignment: the lists
  :attr:`Layer.weights`, :attr:`Layer.trainable_weights` and the sublayers are
  computed once per structural change (:mod:`brickwork.engine.tracking`), not on
  every access.

:class:`~brickwork.layers.InputSpec` lives in :mod:`brickwork.layers.input_spec`
and is importable from here too.
"""

from __future__ import annotations

from typing import Any

from brickwork.engine import config, tracking
from brickwork.engine.tensor import Tensor
from brickwork.engine.variable import Variable
from brickwork.layers.calling import (  # noqa: F401 - the private names: importable from here, as before the split
    _FAST_CALLS,
    _PLAIN_FLAGS,
    EagerCalling,
    _fast_call_info,
    _shape_of,
)
from brickwork.layers.devices import move_layer
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer_config import LayerConfig
from brickwork.layers.layer_state import LayerState
from brickwork.layers.symbolic import Node
from brickwork.layers.tracing import SymbolicTracing
from brickwork.layers.tracked import Trackable
from brickwork.utils.naming import to_snake_case, unique_name
from brickwork.utils.registry import register_serializable
from brickwork.utils.tree import flatten


class Layer(Trackable, SymbolicTracing, EagerCalling, LayerState, LayerConfig):
    """Base class of all layers.

    Parameters
    ----------
    trainable : bool
        Whether the layer's variables are updated by training.
    name : str, optional
        Unique name; defaults to the snake-case class name (``dense_2``).
    dtype : {'float32', 'float64'}, optional
        Dtype of the variables and computations (default ``floatx()``).
    input_shape : tuple, optional
        Keras 2 style: lets the first layer of a ``Sequential`` declare its
        input (without the batch axis). ``input_dim`` is the 1-D shorthand.
    activity_regularizer : str or callable, optional
        Penalty on the layer's output, added to the loss.
    """

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 input_shape: Any = None, input_dim: int | None = None, batch_size: int | None = None,
                 activity_regularizer: Any = None, autocast: bool = True, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword argument(s) passed to {type(self).__name__}: {sorted(kwargs)}"
            )
        from brickwork import regularizers

        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self._dtype = config.standardize_dtype(dtype)
        self._trainable = trainable
        self.built = False
        self.input_spec: InputSpec | list[InputSpec] | None = None
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._variables: list[Variable] = []
        self._losses: list[Tensor] = []
        self._inbound_nodes: list[Node] = []
        self._build_shapes: Any = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._batch_input_shape = None
        if input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)

    # ------------------------------------------------------------ properties
    @property
    def dtype(self) -> str:
        return self._dtype.name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        tracking.bump()
        for layer in self._sublayers():
            layer.trainable = value

    def to(self, device: str) -> Layer:
        """Move the variables of this layer and its sublayers to ``device`` (``'cpu'``/``'gpu'``), in place.

        Weights created later (a layer built on its first call) are created there too. A model's
        ``to`` also moves its optimizer's slots. Returns the layer, as PyTorch's ``module.to``."""
        return move_layer(self, device)

    # ---------------------------------------------------------------- build
    def build(self, input_shape: Any) -> None:
        """Create the variables for inputs of ``input_shape`` (batch axis included).

        A layer whose ``call`` takes several tensors may instead define
        ``build(self, query_shape, value_shape)``: each ``{name}_shape`` receives
        the shape of the call argument ``name``.
        """
        self.built = True

    # ----------------------------------------------------------------- call
    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation; override in subclasses."""
        return inputs

    def _output_dtype(self) -> Any:
        return self._dtype

    # --------------------------------------------------------- graph access
    @property
    def input(self) -> Any:
        """The symbolic input of the layer's first call in a graph: the first argument, or, as in Keras,
        the list of every symbolic tensor passed when the call had several (``block(x, encoder_out)``)."""
        node = self._first_node()
        if len(node.args) == 1 and len(node.input_tensors) <= len(flatten(node.args[0])):
            return node.args[0]
        return list(node.input_tensors)

    @property
    def output(self) -> Any:
        """The symbolic output of the layer's first call in a graph."""
        outs = self._first_node().outputs
        return outs[0] if len(outs) == 1 else outs

    @property
    def output_shape(self) -> Any:
        out = self.output
        return [t.shape for t in out] if isinstance(out, list) else out.shape

    def _first_node(self) -> Node:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called on a symbolic input, so it has "
                                 "no defined input/output.")
        return self._inbound_nodes[0]

    # ------------------------------------------------------ PyTorch style
    def train(self, mode: bool = True) -> Layer:
        """Set the default ``training`` flag of calls that do not pass one, for this layer and
        all its sublayers (PyTorch's ``module.train()``); returns the layer.

        Explicit ``training=`` arguments and the flag of an enclosing call still win, so
        ``fit`` trains in training mode and ``predict``/``evaluate`` run in inference mode
        whatever the mode. Unlike a PyTorch module, a new brickwork layer starts in
        inference mode (Keras's default) until ``train()`` is called.
        """
        mode = bool(mode)
        for layer in [self] + self._flat_layers():
            object.__setattr__(layer, "_train_mode", mode)
        return self

    def eval(self) -> Layer:  # noqa: A003 - PyTorch's name
        """Inference mode for calls without ``training=`` (PyTorch's ``module.eval()``); returns the layer."""
        return self.train(False)

    @property
    def training(self) -> bool:
        """The mode set by :meth:`train` / :meth:`eval` (False until one is called)."""
        return bool(self.__dict__.get("_train_mode", False))

    @training.setter
    def training(self, value: bool) -> None:
        self.train(value)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__ and "call" not in cls.__dict__:
            cls.call = cls.__dict__["forward"]  # PyTorch style: forward() is the layer's call()
        if cls.__module__.startswith("brickwork."):
            register_serializable(cls)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


register_serializable(Layer)
