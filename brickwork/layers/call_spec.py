"""How a layer's ``call`` arguments are read: which are tensors, which shapes
``build`` receives, and which masks are filled in.

Keras 3's contract, for ``call(self, query, value, key=None, query_mask=None,
value_mask=None, training=None)``:

* the first positional argument is always a tensor argument; any other
  argument is one when its value is an array or tensor (or a list/tuple/dict of
  them);
* ``build`` takes the first tensor argument's shape when it has one parameter
  (``build(self, input_shape)``), else each ``{name}_shape`` parameter takes the
  shape of the call argument ``name`` (``build(self, query_shape, value_shape)``);
* ``mask`` is the first argument's propagated mask and ``{name}_mask`` that of
  argument ``name``, filled in when the caller did not pass them.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor
from brickwork.layers.symbolic import SymbolicTensor
from brickwork.utils.tree import flatten

_SIGNATURES: dict[Any, inspect.Signature] = {}
_RESERVED = frozenset({"training", "mask"})


def signature(fn: Any) -> inspect.Signature:
    """``inspect.signature`` of a function, cached (a call path runs it once per layer class)."""
    sig = _SIGNATURES.get(fn)
    if sig is None:
        sig = inspect.signature(fn)
        _SIGNATURES[fn] = sig
    return sig


def _is_tensor_like(value: Any) -> bool:
    leaves = flatten(value)
    return bool(leaves) and all(isinstance(v, (Tensor, SymbolicTensor, np.ndarray)) for v in leaves)


class CallSpec:
    """The arguments of one call, bound to the names of ``call``'s parameters.

    Attributes:
        arguments: ``{parameter name: value}`` in signature order (positional and
            keyword alike); ``*args`` / ``**kwargs`` catch-alls keep their own names.
        tensor_names: the names of the tensor arguments, the first argument first.
    """

    def __init__(self, call_fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        sig = signature(call_fn)
        params = list(sig.parameters.values())[1:]  # drop self
        self.parameters = {p.name: p for p in params}
        self.accepts_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
        self.arguments: dict[str, Any] = {}
        self.extra_args: tuple[Any, ...] = ()
        positional = [p for p in params if p.kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                      inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        var_positional = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
        if len(args) > len(positional) and not var_positional:
            raise TypeError(f"call() takes {len(positional)} positional argument(s) but {len(args)} were given.")
        self.positional_names = [p.name for p in positional]
        for p, value in zip(positional, args):
            self.arguments[p.name] = value
        self.extra_args = tuple(args[len(positional):])
        for key, value in kwargs.items():
            if key in self.arguments:
                raise TypeError(f"call() got multiple values for argument '{key}'.")
            self.arguments[key] = value
        names = list(self.arguments)
        self.first_name = names[0] if names else None
        self.tensor_names = [n for i, n in enumerate(names)
                             if i == 0 or (n not in _RESERVED and not n.endswith("_mask")
                                           and _is_tensor_like(self.arguments[n]))]

    @property
    def first(self) -> Any:
        return self.arguments[self.first_name]

    def tensors(self) -> dict[str, Any]:
        return {n: self.arguments[n] for n in self.tensor_names}

    def call_args(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` to call ``call`` with: the first argument positionally and the rest by name,
        or, when ``*args`` caught extras, every positional parameter positionally, then the extras."""
        names = list(self.arguments)
        if not self.extra_args:
            return ((self.arguments[names[0]],) if names else ()), {n: self.arguments[n] for n in names[1:]}
        args = tuple(self.arguments[n] for n in self.positional_names if n in self.arguments) + self.extra_args
        return args, {n: v for n, v in self.arguments.items() if n not in self.positional_names}

    def accepts(self, name: str) -> bool:
        return name in self.parameters or self.accepts_kwargs


def build_arguments(build_fn: Any, spec: CallSpec, shape_of: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments ``build`` receives for this call (see the module docstring)."""
    from brickwork.utils.tree import map_structure

    params = [p for p in list(signature(build_fn).parameters.values())[1:]
              if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    first_shape = map_structure(shape_of, spec.first)
    if len(params) <= 1:
        return (first_shape,), {}
    kwargs = {}
    for p in params:
        base = p.name[:-len("_shape")] if p.name.endswith("_shape") else None
        if base is not None and base in spec.arguments and spec.arguments[base] is not None:
            kwargs[p.name] = map_structure(shape_of, spec.arguments[base])
    if not kwargs:
        return (first_shape,), {}
    return (), kwargs
