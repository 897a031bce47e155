"""The :class:`Layer` base class: Keras 3's ``build`` / ``call`` / ``get_config`` contract.

A layer holds variables (made in :meth:`Layer.build` with
:meth:`Layer.add_weight`) and computes with the stateless primitives of
:mod:`brickwork.functions` in :meth:`Layer.call`. Calling a layer

* on data (a NumPy array or :class:`~brickwork.Tensor`) runs it eagerly,
  PyTorch style, building it on first use from the input's shape;
* on a symbolic tensor (from :func:`~brickwork.layers.Input`) records a node
  of a Functional graph and returns symbolic outputs.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import numpy as np

from brickwork.engine import config
from brickwork.engine.config import no_grad, training_scope
from brickwork.engine.tensor import Tensor
from brickwork.engine.variable import Variable
from brickwork.layers.symbolic import Node, SymbolicTensor, flatten, is_symbolic, map_structure
from brickwork.saving.registry import register_serializable
from brickwork.utils.naming import to_snake_case, unique_name


class InputSpec:
    """What a layer accepts: rank (``ndim``/``min_ndim``) and fixed axis sizes (``axes``)."""

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None) -> None:
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, axes or {}


def _shape_of(x: Any) -> Any:
    return tuple(x.shape)


class Layer:
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

    _call_params: dict[type, frozenset[str]] = {}
    _accepts_strings = False  # lookup layers take text/object inputs; every other layer refuses them

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
        self.supports_masking = False
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
        for layer in self._sublayers():
            layer.trainable = value

    def _sublayers(self) -> list[Layer]:
        """Direct child layers, in attribute-assignment order (lists/dicts included)."""
        found: list[Layer] = []
        seen: set[int] = {id(self)}

        def visit(value: Any) -> None:
            if isinstance(value, Layer):
                if id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for v in value:
                    visit(v)
            elif isinstance(value, dict):
                for v in value.values():
                    visit(v)

        for key, value in vars(self).items():
            if key != "_inbound_nodes":
                visit(value)
        return found

    def _flat_layers(self) -> list[Layer]:
        out: list[Layer] = []
        for layer in self._sublayers():
            out.append(layer)
            out.extend(layer._flat_layers())
        return out

    @property
    def weights(self) -> list[Variable]:
        """All variables: this layer's own (trainable first), then its sublayers'."""
        out: list[Variable] = []
        seen: set[int] = set()
        own = [v for v in self._variables if v.trainable] + [v for v in self._variables if not v.trainable]
        for v in own + [w for layer in self._sublayers() for w in layer.weights]:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        own = [v for v in self._variables if v.trainable]
        subs = [w for layer in self._sublayers() for w in layer.trainable_weights]
        return _dedupe(own + subs)

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the variables' values, in :attr:`weights` order (Keras layouts)."""
        return [v.data.copy() for v in self.weights]

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

    # -------------------------------------------------------------- weights
    def add_weight(self, shape: Any = (), initializer: Any = "glorot_uniform", dtype: Any = None,
                   trainable: bool = True, regularizer: Any = None, constraint: Any = None,
                   name: str | None = None) -> Variable:
        """Create a variable owned by this layer (Keras's ``add_weight``)."""
        from brickwork import constraints, initializers, regularizers

        shape = tuple(int(s) for s in shape)
        dt = config.standardize_dtype(dtype or self._dtype)
        init = initializers.get(initializer)
        value = np.asarray(init(shape, dtype=dt), dtype=dt)
        name = name or f"variable_{len(self._variables)}"
        var = Variable(value, name=name, trainable=trainable and self.trainable,
                       regularizer=regularizers.get(regularizer), constraint=constraints.get(constraint),
                       path=f"{self.name}/{name}")
        self._variables.append(var)
        return var

    # ---------------------------------------------------------------- build
    def build(self, input_shape: Any) -> None:
        """Create the variables for inputs of ``input_shape`` (batch axis included)."""
        self.built = True

    def _maybe_build(self, shapes: Any) -> None:
        if not self.built:
            self._build_shapes = shapes
            self.build(shapes)
            self.built = True

    # ----------------------------------------------------------------- call
    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation; override in subclasses."""
        return inputs

    def _call_parameters(self) -> frozenset[str]:
        cls = type(self)
        params = Layer._call_params.get(cls)
        if params is None:
            params = frozenset(inspect.signature(cls.call).parameters)
            Layer._call_params[cls] = params
        return params

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            if "inputs" not in kwargs:
                raise TypeError(f"Layer '{self.name}' was called without inputs.")
            args = (kwargs.pop("inputs"),)
        if is_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def _to_tensor(self, x: Any) -> Any:
        if isinstance(x, Tensor):
            if x.dtype.kind == "f" and x.dtype != self._dtype and self._autocast_inputs():
                return x.astype(self._dtype)
            return x
        if isinstance(x, (np.ndarray, list, float, int, np.generic)) and not isinstance(x, bool):
            arr = np.asarray(x)
            if arr.dtype.kind == "f" and self._autocast_inputs():
                arr = arr.astype(self._dtype, copy=False)
            elif arr.dtype.kind in "OUS" and not self._accepts_strings:
                raise TypeError(f"Layer '{self.name}' got an input of {arr.dtype} (text or objects) with shape "
                                f"{arr.shape}; encode it as numbers first (e.g. StringLookup).")
            return Tensor(arr)
        if hasattr(x, "to_numpy"):  # pandas
            return self._to_tensor(np.asarray(x.to_numpy()))
        return x

    def _autocast_inputs(self) -> bool:
        return True

    def _eager_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        inputs = map_structure(self._to_tensor, args[0])
        shapes = map_structure(_shape_of, inputs)
        self._maybe_build(shapes)
        self._check_input_spec(shapes)
        params = self._call_parameters()
        training = kwargs.pop("training", None)
        if training is None:
            training = config.learning_phase()
        if "training" in params:
            kwargs["training"] = bool(training) if training is not None else False
        mask = kwargs.get("mask")
        if mask is None:
            masks = [getattr(t, "_keras_mask", None) for t in flatten(inputs)]
            if any(m is not None for m in masks):
                mask = masks[0] if not isinstance(inputs, (list, tuple)) else masks
        if "mask" in params and mask is not None:
            kwargs["mask"] = mask
        elif "mask" not in params:
            kwargs.pop("mask", None)
        if config.learning_phase() is None:  # a top-level call: forget old activity losses
            for layer in [self] + self._flat_layers():
                layer._losses = []
        else:
            self._losses = []
        with training_scope(bool(training) if training is not None else False):
            outputs = self.call(inputs, *args[1:], **kwargs)
        if self.activity_regularizer is not None:
            for out in flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(self.activity_regularizer(out) / out.shape[0])
        out_mask = self.compute_mask(inputs, mask)
        if out_mask is not None:
            for out, m in zip(flatten(outputs), flatten(out_mask) if isinstance(out_mask, list) else
                              [out_mask] * len(flatten(outputs))):
                if isinstance(out, Tensor):
                    out._keras_mask = m
        return outputs

    def _symbolic_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        inputs = args[0]
        shapes = map_structure(lambda t: t.shape if isinstance(t, SymbolicTensor) else np.shape(t), inputs)
        self._maybe_build(shapes)
        self._check_input_spec(shapes)
        extra = self._shape_kwargs()
        out_shapes = self.compute_output_shape(shapes, **{k: v for k, v in kwargs.items() if k in extra})
        node_index = len(self._inbound_nodes)
        outputs: list[SymbolicTensor] = []

        def make(shape: Any) -> SymbolicTensor:
            t = SymbolicTensor(shape, self._output_dtype(), name=self.name,
                               history=(self, node_index, len(outputs)))
            outputs.append(t)
            return t

        structured = _map_shapes(make, out_shapes)
        self._inbound_nodes.append(Node(self, args, kwargs, outputs))
        return structured

    def _shape_kwargs(self) -> frozenset[str]:
        """Call arguments that change the output structure (passed on to ``compute_output_shape``)."""
        params = inspect.signature(self.compute_output_shape).parameters
        return frozenset(p for p in params if p != "input_shape")

    def _output_dtype(self) -> Any:
        return self._dtype

    def _check_input_spec(self, shapes: Any) -> None:
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, list) else [self.input_spec]
        shape_list = shapes if isinstance(shapes, list) else [shapes]
        for i, (spec, shape) in enumerate(zip(specs, shape_list)):
            where = f"Input {i} of layer '{self.name}' ({type(self).__name__}) is incompatible with the layer:"
            if spec.ndim is not None and len(shape) != spec.ndim:
                raise ValueError(f"{where} expected ndim={spec.ndim}, found ndim={len(shape)}. "
                                 f"Full shape received: {tuple(shape)}")
            if spec.min_ndim is not None and len(shape) < spec.min_ndim:
                raise ValueError(f"{where} expected min_ndim={spec.min_ndim}, found ndim={len(shape)}. "
                                 f"Full shape received: {tuple(shape)}")
            for axis, value in spec.axes.items():
                if shape[axis] is not None and shape[axis] != value:
                    raise ValueError(f"{where} expected axis {axis} of input shape to have value {value}, "
                                     f"but received input with shape {tuple(shape)}")

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for ``input_shape``; the default runs the layer on zeros."""
        def dummy(shape: Any) -> np.ndarray:
            dims = [2 if i == 0 and d is None else (3 if d is None else d) for i, d in enumerate(shape)]
            return np.zeros(dims, self._dtype)

        inputs = _map_shapes(dummy, input_shape)
        kwargs = {"training": False} if "training" in self._call_parameters() else {}
        with no_grad(), training_scope(False):
            out = self.call(map_structure(Tensor, inputs), **kwargs)
        return map_structure(lambda t: (None,) + tuple(t.shape[1:]), out)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask for the outputs: passed through by layers that support masking."""
        return mask if self.supports_masking else None

    # --------------------------------------------------------- graph access
    @property
    def input(self) -> Any:
        """The symbolic input of the layer's first call in a graph."""
        return self._first_node().args[0]

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

    # -------------------------------------------------------- serialisation
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (JSON-serialisable)."""
        from brickwork import regularizers

        cfg: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            cfg["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        auto = getattr(self, "_auto_config", None)
        if auto is not None and not type(self).__module__.startswith("brickwork."):
            cfg.update(auto)
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuild a layer from :meth:`get_config` output."""
        config = dict(config)
        batch_input_shape = config.pop("batch_input_shape", None)
        if batch_input_shape is not None:
            config["input_shape"] = tuple(batch_input_shape[1:])
            config["batch_size"] = batch_input_shape[0]
        if not cls.__module__.startswith("brickwork."):  # user classes may not take the base arguments
            params = inspect.signature(cls.__init__).parameters
            if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
                config = {k: v for k, v in config.items() if k in params}
        return cls(**config)

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        obj = super().__new__(cls)
        # Keras 3 style automatic config for user subclasses with simple arguments.
        if not cls.__module__.startswith("brickwork."):
            try:
                bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
                values = {k: v for k, v in bound.arguments.items() if k not in ("self",)}
                extra = values.pop("kwargs", {})
                values.update(extra)
                json.dumps(values)
                obj._auto_config = values
            except (TypeError, ValueError):
                obj._auto_config = None
        return obj

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("brickwork."):
            register_serializable(cls)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _dedupe(variables: list[Variable]) -> list[Variable]:
    seen: set[int] = set()
    out = []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in value)


def _map_shapes(fn: Any, shapes: Any) -> Any:
    """Apply ``fn`` to each shape tuple in a (possibly nested) structure of shapes."""
    if _is_shape(shapes):
        return fn(shapes)
    if isinstance(shapes, list):
        return [_map_shapes(fn, s) for s in shapes]
    if isinstance(shapes, tuple):
        return tuple(_map_shapes(fn, s) for s in shapes)
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    return fn(tuple(shapes))


register_serializable(Layer)
