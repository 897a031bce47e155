"""Calling a layer: ``__call__``'s dispatch and the eager half of the call (a base of
:class:`~brickwork.layers.Layer`; the symbolic half is :mod:`brickwork.layers.tracing`).

``layer(x)`` on data converts every tensor argument to the layer's dtype, builds the layer
on first use from the inputs' shapes (one thread builds, others wait), checks the
:class:`~brickwork.layers.InputSpec`, resolves the ``training`` flag (argument, enclosing
call, then the mode of ``train()`` / ``eval()``), fills ``mask`` arguments from the masks the
inputs carry, resets the activity losses, runs ``call`` and attaches the output masks.

A built layer called on one unmasked tensor (``training=`` at most) takes a fast path with the
same steps and results but no argument binding; which layer classes may take it is worked
out once per class.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np

from brickwork.engine import config
from brickwork.engine.config import training_scope
from brickwork.engine.device import is_device_array
from brickwork.engine.tensor import Tensor
from brickwork.layers.call_spec import CallSpec, build_arguments, signature
from brickwork.layers.input_spec import check_input_spec
from brickwork.layers.symbolic import is_symbolic
from brickwork.utils.threads import lock_of
from brickwork.utils.tree import flatten, map_structure


def _shape_of(x: Any) -> Any:
    return tuple(x.shape)


class EagerCalling:
    """``__call__`` and the eager call: building on first call, input conversion, masks, the fast path.

    A base of :class:`~brickwork.layers.Layer`, whose ``build``, ``call``, variables, losses and
    symbolic call (:class:`~brickwork.layers.tracing.SymbolicTracing`) it relies on."""

    _call_params: dict[type, frozenset[str]] = {}
    _accepts_strings = False  # lookup layers take text/object inputs; every other layer refuses them
    _warns_on_mask = True  # Keras's warning when a mask reaches a layer that cannot pass it on

    # ---------------------------------------------------------------- build
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
    def _call_parameters(self) -> frozenset[str]:
        cls = type(self)
        params = EagerCalling._call_params.get(cls)
        if params is None:
            params = frozenset(signature(cls.call).parameters)
            EagerCalling._call_params[cls] = params
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
        if type(self).compute_mask is not EagerCalling.compute_mask and self.supports_masking:
            self._set_output_masks(x, outputs, None)
        return outputs

    _check_input_spec = check_input_spec  # a method: self is the layer

    # ---------------------------------------------------------------- masks
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

    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes (or computes) a mask for its outputs; by default,
        whether it overrides :meth:`compute_mask` (Keras 3's rule)."""
        value = self.__dict__.get("_supports_masking")
        if value is None:
            return type(self).compute_mask is not EagerCalling.compute_mask
        return value

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        object.__setattr__(self, "_supports_masking", bool(value))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask for the outputs: passed through by layers that support masking."""
        return mask if self.supports_masking else None


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
