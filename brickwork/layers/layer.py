"""The :class:`Layer` base class: Keras 3's ``build`` / ``call`` / ``get_config`` contract.

A layer holds variables (made in :meth:`Layer.build` with
:meth:`Layer.add_weight`) and computes with the stateless primitives of
:mod:`brickwork.functions` in :meth:`Layer.call`. Calling a layer

* on data (a NumPy array or :class:`~brickwork.Tensor`) runs it eagerly,
  PyTorch style, building it on first use from the input's shape;
* on a symbolic tensor (from :func:`~brickwork.layers.Input`) records a node
  of a Functional graph and returns symbolic outputs.

Every tensor argument of ``call`` is converted, shaped and masked (see
:mod:`brickwork.layers.call_spec`). Child layers and variables are tracked
on assignment: the lists :attr:`Layer.weights`, :attr:`Layer.trainable_weights`
and the sublayers are computed once per structural change
(:mod:`brickwork.engine.tracking`), not on every access.
"""

from __future__ import annotations

import inspect
import json
import warnings
from typing import Any

import numpy as np

from brickwork.engine import config, tracking
from brickwork.engine.allocation import before_allocation
from brickwork.engine.config import training_scope
from brickwork.engine.device import get_device, is_device_array, to_device
from brickwork.engine.tensor import Tensor
from brickwork.engine.variable import Variable
from brickwork.layers.call_spec import CallSpec, build_arguments, signature
from brickwork.layers.devices import move_layer
from brickwork.layers.symbolic import Node, is_symbolic
from brickwork.layers.tracing import SymbolicTracing
from brickwork.layers.tracked import Trackable
from brickwork.utils.naming import to_snake_case, unique_name
from brickwork.utils.registry import register_serializable
from brickwork.utils.threads import lock_of
from brickwork.utils.tree import flatten, map_structure


class InputSpec:
    """What a layer accepts: rank (``ndim``/``min_ndim``) and fixed axis sizes (``axes``)."""

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict[int, int] | None = None) -> None:
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, axes or {}


def _shape_of(x: Any) -> Any:
    return tuple(x.shape)


class Layer(Trackable, SymbolicTracing):
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
    _warns_on_mask = True  # Keras's warning when a mask reaches a layer that cannot pass it on

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

    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes (or computes) a mask for its outputs; by default,
        whether it overrides :meth:`compute_mask` (Keras 3's rule)."""
        value = self.__dict__.get("_supports_masking")
        if value is None:
            return type(self).compute_mask is not Layer.compute_mask
        return value

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        object.__setattr__(self, "_supports_masking", bool(value))

    def to(self, device: str) -> Layer:
        """Move the variables of this layer and its sublayers to ``device`` (``'cpu'``/``'gpu'``), in place.

        Weights created later (a layer built on its first call) are created there too. A model's
        ``to`` also moves its optimizer's slots. Returns the layer, as PyTorch's ``module.to``."""
        return move_layer(self, device)

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

    # ---------------------------------------------------------------- build
    def build(self, input_shape: Any) -> None:
        """Create the variables for inputs of ``input_shape`` (batch axis included).

        A layer whose ``call`` takes several tensors may instead define
        ``build(self, query_shape, value_shape)``: each ``{name}_shape`` receives
        the shape of the call argument ``name``.
        """
        self.built = True

    def _maybe_build(self, shapes: Any) -> None:
        if self.built:
            return
        with lock_of(self):  # threads making the first call together: one builds, the others wait
            if not self.built:
                self._build_shapes = shapes
                self.build(shapes)
                self.built = True

    def _build_for(self, spec: CallSpec, shape_of: Any) -> None:
        if self.built:
            return
        with lock_of(self):
            if self.built:
                return
            args, kwargs = build_arguments(type(self).build, spec, shape_of)
            if args and not kwargs:
                self._maybe_build(args[0])
                return
            self._build_shapes = kwargs
            self.build(**kwargs)
            self.built = True

    # ----------------------------------------------------------------- call
    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation; override in subclasses."""
        return inputs

    def _call_parameters(self) -> frozenset[str]:
        cls = type(self)
        params = Layer._call_params.get(cls)
        if params is None:
            params = frozenset(signature(cls.call).parameters)
            Layer._call_params[cls] = params
        return params

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and self.built and (not kwargs or (len(kwargs) == 1 and type(kwargs.get("training", 0))
                                                              in _PLAIN_FLAGS)):
            x = args[0]
            if isinstance(x, (Tensor, np.ndarray)):
                fast = _FAST_CALLS.get(type(self))
                if fast is None:
                    fast = _fast_call_info(type(self))
                if fast[0]:
                    return self._fast_eager_call(x, kwargs, fast[1])
        if not args:  # all by keyword: layer(inputs=x) or layer(query=q, value=v)
            params = list(signature(type(self).call).parameters)[1:]
            first = "inputs" if "inputs" in kwargs else (params[0] if params else None)
            if first not in kwargs:
                raise TypeError(f"Layer '{self.name}' was called without inputs.")
            args = (kwargs.pop(first),)
        if is_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def _to_tensor(self, x: Any) -> Any:
        """Convert one input to a tensor of the layer's dtype; the mask rides along through the cast."""
        if isinstance(x, Tensor):
            if x.dtype.kind == "f" and x.dtype != self._dtype and self._autocast_inputs():
                y = x.astype(self._dtype)
                y._keras_mask = x._keras_mask
                return y
            return x
        if is_device_array(x):
            if x.dtype.kind == "f" and self._autocast_inputs():
                x = x.astype(self._dtype, copy=False)
            return Tensor(x)
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

    def _fill_masks(self, spec: CallSpec) -> Any:
        """Fill ``mask`` / ``{name}_mask`` from the propagated masks; return the first argument's mask."""
        def mask_of(t: Any) -> Any:
            return getattr(t, "_keras_mask", None)

        tensors = spec.tensor_names
        first_mask = map_structure(mask_of, spec.first) if tensors else None
        if len(tensors) == 1:
            if spec.accepts("mask") and spec.arguments.get("mask") is None and \
                    any(m is not None for m in flatten(first_mask)):
                spec.arguments["mask"] = first_mask
        else:
            for name in tensors:
                key = f"{name}_mask"
                if key in spec.parameters and spec.arguments.get(key) is None:
                    m = map_structure(mask_of, spec.arguments[name])
                    if any(v is not None for v in flatten(m)):
                        spec.arguments[key] = m
        explicit = spec.arguments.get("mask")
        if "mask" in spec.arguments and not spec.accepts("mask"):
            del spec.arguments["mask"]
        return explicit if explicit is not None else first_mask

    def _eager_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        spec = CallSpec(type(self).call, args, kwargs)
        for name in spec.tensor_names:
            spec.arguments[name] = map_structure(self._to_tensor, spec.arguments[name])
        inputs = spec.first
        if not self.built:
            self._build_for(spec, _shape_of)
        if self.input_spec is not None:
            self._check_input_spec(map_structure(_shape_of, inputs))
        training = spec.arguments.pop("training", None)
        if training is None:
            training = config.learning_phase()
        if training is None:  # a top-level call without training=: the mode set by train() / eval()
            training = self.__dict__.get("_train_mode")
        training = bool(training) if training is not None else False
        if "training" in self._call_parameters():
            spec.arguments["training"] = training
        previous_mask = self._fill_masks(spec)
        if config.learning_phase() is None:  # a top-level call: forget old activity losses
            for layer in [self] + self._flat_layers():
                layer._losses = []
        else:
            self._losses = []
        call_args, call_kwargs = spec.call_args()
        with training_scope(training):
            outputs = self.call(*call_args, **call_kwargs)
        if self.activity_regularizer is not None:
            for out in flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(self.activity_regularizer(out) / out.shape[0])
        has_mask = any(m is not None for m in flatten(previous_mask))
        if self.supports_masking:
            self._set_output_masks(inputs, outputs, previous_mask)
        elif has_mask and self._warns_on_mask:
            warnings.warn(
                f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a mask attached "
                "to it. However, this layer does not support masking and will therefore destroy the mask "
                "information. Downstream layers will not see the mask.", stacklevel=3)
        return outputs

    def _fast_eager_call(self, x: Any, kwargs: dict[str, Any], takes_training: bool) -> Any:
        """:meth:`_eager_call` for the common case — a built layer called on one tensor without a mask and
        without keyword arguments other than ``training`` — with the same steps and results, minus the
        argument binding, mask plumbing and input-spec checks that cannot change anything (the input spec is
        checked once per input shape)."""
        x = self._to_tensor(x)
        if not isinstance(x, Tensor) or x._keras_mask is not None:
            return self._eager_call((x,), kwargs)
        if self.input_spec is not None:
            key = (x.data.shape, self.input_spec)
            checked = self.__dict__.get("_spec_checked")
            if checked is None or checked[0] != key[0] or checked[1] is not key[1]:
                self._check_input_spec(x.data.shape)
                object.__setattr__(self, "_spec_checked", key)
        training = kwargs.get("training")
        phase = config.learning_phase()
        if training is None:
            training = phase
        if training is None:  # a top-level call without training=: the mode set by train() / eval()
            training = self.__dict__.get("_train_mode")
        training = bool(training) if training is not None else False
        if phase is None:  # a top-level call: forget old activity losses
            for layer in [self] + self._flat_layers():
                if layer._losses:
                    layer._losses = []
        elif self._losses:
            self._losses = []
        with training_scope(training):
            outputs = self.call(x, training=training) if takes_training else self.call(x)
        if self.activity_regularizer is not None:
            for out in flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(self.activity_regularizer(out) / out.shape[0])
        if type(self).compute_mask is not Layer.compute_mask and self.supports_masking:
            self._set_output_masks(x, outputs, None)
        return outputs

    def _set_output_masks(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        flat_outputs = [t for t in flatten(outputs) if isinstance(t, Tensor)]
        if flat_outputs and all(t._keras_mask is not None for t in flat_outputs):
            return  # the layer set its own output masks
        out_mask = self.compute_mask(inputs, previous_mask)
        if out_mask is None:
            return
        masks = flatten(out_mask) if isinstance(out_mask, (list, tuple)) else [out_mask] * len(flat_outputs)
        for out, m in zip(flat_outputs, masks):
            if out._keras_mask is None and m is not None:
                out._keras_mask = m

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

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask for the outputs: passed through by layers that support masking."""
        return mask if self.supports_masking else None

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

_PLAIN_FLAGS = (bool, type(None))
# per layer class: (whether its call takes one positional tensor first, whether it takes ``training``)
_FAST_CALLS: dict[type, tuple[bool, bool]] = {}


def _fast_call_info(cls: type) -> tuple[bool, bool]:
    params = list(signature(cls.call).parameters.values())[1:]
    ok = bool(params) and params[0].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                             inspect.Parameter.POSITIONAL_OR_KEYWORD) \
        and params[0].name not in ("training", "mask") \
        and all(p.default is not inspect.Parameter.empty                  # one tensor is a complete call
                or p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD) for p in params[1:])
    info = (ok, any(p.name == "training" for p in params))
    _FAST_CALLS[cls] = info
    return info
