"""Calling a layer on symbolic tensors: the node it records and the outputs' shapes,
dtypes and masks, inferred without data.

A layer that defines ``compute_output_shape`` is asked for its output shapes
(``{name}_shape`` arguments for several tensors); any other is run eagerly on
zeros of two sizes, and the axes whose sizes differ between the two runs are the
unknown (``None``) ones. The outputs' masks come from ``compute_mask`` on zeros
that carry the inputs' masks.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from brickwork.engine.config import no_grad, training_scope
from brickwork.engine.tensor import Tensor
from brickwork.layers.call_spec import CallSpec, build_arguments, signature
from brickwork.layers.shapes import map_shapes
from brickwork.layers.symbolic import Node, SymbolicTensor
from brickwork.utils.tree import flatten, map_structure


class SymbolicTracing:
    """The symbolic half of a layer's call (a base of :class:`~brickwork.layers.Layer`)."""

    def _symbolic_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        spec = CallSpec(type(self).call, args, kwargs)
        inputs = spec.first
        shape_of = _symbolic_shape
        if not self.built:
            self._build_for(spec, shape_of)
        shapes = map_structure(shape_of, inputs)
        if self.input_spec is not None:
            self._check_input_spec(shapes)
        outputs: list[SymbolicTensor] = []
        node_index = len(self._inbound_nodes)
        specs = self.compute_output_spec(*args, **kwargs)

        def make(out: Any) -> SymbolicTensor:
            t = SymbolicTensor(out.shape, out.dtype, name=self.name, history=(self, node_index, len(outputs)))
            outputs.append(t)
            return t

        structured = map_structure(make, specs)
        self._inbound_nodes.append(Node(self, args, kwargs, outputs))
        if self.supports_masking:
            self._set_symbolic_masks(spec, outputs)
        return structured

    def _set_symbolic_masks(self, spec: CallSpec, outputs: list[SymbolicTensor]) -> None:
        """Give symbolic outputs the mask (a boolean :class:`SymbolicTensor`) that running the
        layer would give them: ``compute_mask`` on zeros carrying the inputs' masks."""
        inputs = map_structure(lambda t: _dummy(t, True), spec.first)
        explicit = spec.arguments.get("mask")
        if explicit is not None:
            previous = map_structure(lambda m: _dummy(m, True).data if isinstance(m, SymbolicTensor) else m, explicit)
        else:
            previous = map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)
        try:
            with no_grad(), training_scope(False), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out_mask = self.compute_mask(inputs, previous)
        except Exception:  # a mask that needs real values: the eager run will compute it
            return
        if out_mask is None:
            return
        masks = flatten(out_mask) if isinstance(out_mask, (list, tuple)) else [out_mask] * len(outputs)
        for out, m in zip(outputs, masks):
            if m is not None:
                ndim = np.ndim(getattr(m, "data", m))
                out._keras_mask = SymbolicTensor(out.shape[:ndim], np.bool_)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Shapes and dtypes of the outputs for symbolic ``args`` (a structure of
        :class:`SymbolicTensor`); uses :meth:`compute_output_shape` when the layer
        defines it, else runs ``call`` on zeros of two sizes (sizes that differ are ``None``)."""
        spec = CallSpec(type(self).call, args, kwargs)
        if type(self).compute_output_shape is not SymbolicTracing.compute_output_shape:
            extra = self._shape_kwargs()
            shape_fn = type(self).compute_output_shape
            shape_args, shape_kwargs = build_arguments(shape_fn, spec, _symbolic_shape)
            shape_kwargs.update({k: v for k, v in kwargs.items() if k in extra})
            out_shapes = self.compute_output_shape(*shape_args, **shape_kwargs)
            dtype = self._output_dtype()
            return map_shapes(lambda s: SymbolicTensor(s, dtype), out_shapes)
        return self._run_on_zeros(args, kwargs)

    def _run_on_zeros(self, args: Any, kwargs: Any) -> Any:
        def run(small: bool) -> Any:
            def dummy(t: Any) -> Any:
                return _dummy(t, small)

            call_kwargs = {k: map_structure(dummy, v) for k, v in kwargs.items()}
            if "training" in self._call_parameters():
                call_kwargs["training"] = False
            with no_grad(), training_scope(False):
                return self._eager_call(tuple(map_structure(dummy, a) for a in args), call_kwargs)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a, b = run(True), run(False)

        def merge(x: Any, y: Any) -> SymbolicTensor:
            x, y = (v if isinstance(v, Tensor) else Tensor(np.asarray(v)) for v in (x, y))
            shape = tuple(None if p != q else p for p, q in zip(x.shape, y.shape))
            return SymbolicTensor(shape, x.dtype)

        flat_b = iter(flatten(b))
        return map_structure(lambda x: merge(x, next(flat_b)), a)

    def _shape_kwargs(self) -> frozenset[str]:
        """Call arguments that change the output structure (passed on to ``compute_output_shape``)."""
        params = signature(type(self).compute_output_shape).parameters
        return frozenset(p for p in params if p not in ("self", "input_shape") and not p.endswith("_shape"))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for ``input_shape``; the default runs the layer on zeros."""
        specs = self._run_on_zeros((map_shapes(lambda s: SymbolicTensor(s, self._dtype), input_shape),), {})
        return map_structure(lambda t: t.shape, specs)


def _dummy(t: Any, small: bool) -> Any:
    """Zeros standing in for a symbolic tensor (unknown sizes 2/4, or 3/5), with an all-true
    mask when the symbolic tensor carries one; anything else is returned as is."""
    if not isinstance(t, SymbolicTensor):
        return t

    def dims(shape: tuple[Any, ...]) -> list[int]:
        return [(2 if small else 3) if i == 0 and d is None else ((4 if small else 5) if d is None else d)
                for i, d in enumerate(shape)]

    out = Tensor(np.zeros(dims(t.shape), t.dtype if t.dtype != object else np.float32))
    mask = getattr(t, "_keras_mask", None)
    if isinstance(mask, SymbolicTensor):
        out._keras_mask = np.ones(dims(mask.shape), bool)
    return out


def _symbolic_shape(x: Any) -> Any:
    return tuple(x.shape) if isinstance(x, SymbolicTensor) else np.shape(x)
