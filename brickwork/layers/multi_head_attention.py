r"""Multi-head attention (Vaswani et al. 2017), Keras 3's ``layers.MultiHeadAttention``.

Each of :math:`h` heads projects the query, key and value to
:math:`Q_i = X_q W^Q_i + b^Q_i \in \mathbb R^{T\times d_k}`, :math:`K_i = X_k W^K_i + b^K_i`,
:math:`V_i = X_v W^V_i + b^V_i \in \mathbb R^{S\times d_v}`, attends with scaled dot products

.. math:: \mathrm{head}_i = \mathrm{softmax}\Bigl(\frac{Q_i K_i^\top}{\sqrt{d_k}} \text{ masked}\Bigr) V_i

(one fused node, :func:`brickwork.functions.scaled_dot_product_attention`) and mixes the heads back:
:math:`Y = \sum_i \mathrm{head}_i W^O_i + b^O`. The weights keep Keras's ``EinsumDense`` layouts:
``query/kernel (E_q, h, d_k)``, ``query/bias (h, d_k)``, likewise ``key`` and ``value`` (with ``d_v``),
``attention_output/kernel (h, d_v, E_out)`` and ``attention_output/bias (E_out,)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork import constraints, initializers, regularizers
from brickwork import functions as F
from brickwork.engine.device import asarray
from brickwork.engine.random import make_generator
from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer


def _prod(shape: Any) -> int:
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


class HeadProjection(Layer):
    """The projection sublayers of :class:`MultiHeadAttention` (Keras's ``EinsumDense`` with the equations
    ``'...e,ehd->...hd'`` / ``'...hd,hde->...e'``): the last ``len(in_dims)`` axes are contracted with a
    ``in_dims + out_dims`` kernel and a bias of shape ``out_dims`` is added.
    """

    _warns_on_mask = False  # the owning attention layer consumes the masks

    def __init__(self, in_dims: Any, out_dims: Any, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_dims, self.out_dims, self.use_bias = tuple(in_dims), tuple(out_dims), use_bias
        self.kernel = self.add_weight(self.in_dims + self.out_dims, kernel_initializer, name="kernel",
                                      regularizer=kernel_regularizer, constraint=kernel_constraint)
        self.bias = self.add_weight(self.out_dims, bias_initializer, name="bias", regularizer=bias_regularizer,
                                    constraint=bias_constraint) if use_bias else None
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        n_in = len(self.in_dims)
        lead = tuple(inputs.shape[:inputs.ndim - n_in])
        n_in, n_out = _prod(self.in_dims), _prod(self.out_dims)
        flat = F.reshape(inputs, lead + (n_in,))
        bias = None if self.bias is None else F.reshape(self.bias, (n_out,))
        y = F.linear(flat, F.reshape(self.kernel, (n_in, n_out)), bias)  # one GEMM over all leading axes
        return F.reshape(y, lead + self.out_dims)

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"in_dims": list(self.in_dims), "out_dims": list(self.out_dims), "use_bias": self.use_bias})
        return cfg


def _mask_array(m: Any) -> np.ndarray:
    arr = asarray(m.data if isinstance(m, Tensor) else m)
    return arr.astype(bool) if arr.dtype != bool else arr


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Keras 3's ``MultiHeadAttention``; see the module docstring).

    Args:
        num_heads: Number of heads :math:`h`.
        key_dim: Size :math:`d_k` of each head's query and key.
        value_dim: Size :math:`d_v` of each head's value (default ``key_dim``).
        dropout: Dropout rate on the attention probabilities (training only).
        use_bias: Whether the four projections have biases.
        output_shape: Trailing output shape (int or tuple); default the query's last dimension.
        attention_axes: Only ``None`` (attend over every axis between batch and features, flattened) or the
            equivalent explicit tuple; other values raise ``NotImplementedError``.
        sliding_window: Optional band: each query attends to keys less than ``sliding_window`` steps away.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, kernel_constraint,
            bias_constraint: For the kernels and biases of the four projections.
        seed: Seed of the dropout generator.

    Call arguments:
        query: ``(B, T, E_q)``; value: ``(B, S, E_v)``; key: ``(B, S, E_k)`` (default ``value``).
        query_mask, value_mask, key_mask: ``(B, T)`` / ``(B, S)`` booleans, taken from the inputs' propagated
            masks when not given. A masked query position attends to nothing, and its output is the output
            bias (its probabilities are 0), as in Keras's masked-softmax path.
        attention_mask: Boolean ``(B, T, S)`` (or ``(T, S)``, ``(B, h, T, S)``), True = may attend.
        return_attention_scores: Also return the probabilities ``(B, h, T, S)`` (before dropout).
        training: Dropout on or off. use_causal_mask: Hide keys after each query.

    Input shape:
        query ``(B, T..., E_q)``, value ``(B, S..., E_v)``, key ``(B, S..., E_k)``; middle axes are flattened.

    Output shape:
        ``(B, T..., E_out)``, and with ``return_attention_scores`` also ``(B, h, T..., S...)``.
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: Any = None, attention_axes: Any = None,
                 sliding_window: int | None = None, flash_attention: Any = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, use_gate: bool = False,
                 seed: int | None = None, **kwargs: Any) -> None:
        for arg, val, optional in (("num_heads", num_heads, False), ("key_dim", key_dim, False),
                                   ("value_dim", value_dim, True)):
            if (val is None and not optional) or (val is not None and (not isinstance(val, int) or val <= 0)):
                raise ValueError(f"MultiHeadAttention: `{arg}` must be a positive integer; got {arg}={val!r}.")
        if not 0 <= float(dropout) < 1:
            raise ValueError(f"MultiHeadAttention: `dropout` must be in [0, 1); got dropout={dropout!r}.")
        if sliding_window is not None and (not isinstance(sliding_window, int) or sliding_window <= 0):
            raise ValueError(f"MultiHeadAttention: `sliding_window` must be None or a positive integer; got "
                             f"sliding_window={sliding_window!r}.")
        if use_gate:
            raise NotImplementedError("MultiHeadAttention: `use_gate=True` (gated attention) is not implemented.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = value_dim if value_dim else key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), use_bias, seed
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        self._output_shape = tuple(output_shape) if output_shape else None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"MultiHeadAttention: `attention_axes` must be an int, list or tuple; got "
                             f"attention_axes={attention_axes!r}.")
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        self.sliding_window = sliding_window
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._rng = make_generator(seed) if seed is not None else None
        self._scores_returned = False

    # ------------------------------------------------------------------ build
    def _projection(self, name: str, in_dims: Any, out_dims: Any) -> HeadProjection:
        return HeadProjection(in_dims, out_dims, use_bias=self.use_bias, kernel_initializer=self.kernel_initializer,
                              bias_initializer=self.bias_initializer, kernel_regularizer=self.kernel_regularizer,
                              bias_regularizer=self.bias_regularizer, kernel_constraint=self.kernel_constraint,
                              bias_constraint=self.bias_constraint, name=name, dtype=self.dtype)

    def _check_shapes(self, query_shape: Any, value_shape: Any, key_shape: Any) -> None:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        where = f"MultiHeadAttention '{self.name}'"
        if len(query_shape) < 3 or len(value_shape) < 3:
            raise ValueError(f"{where}: query and value must have rank >= 3 (batch, steps..., features); got "
                             f"query_shape={query_shape}, value_shape={value_shape}.")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"{where}: all dimensions of `value` and `key`, except the last one, must be equal; "
                             f"got value_shape={value_shape} and key_shape={key_shape}.")
        if len(query_shape) != len(value_shape):
            raise ValueError(f"{where}: query and value must have the same rank; got query_shape={query_shape}, "
                             f"value_shape={value_shape}.")
        default_axes = tuple(range(1, len(query_shape) - 1))
        if self.attention_axes is not None and tuple(a % len(query_shape) for a in self.attention_axes) \
                != default_axes:
            raise NotImplementedError(f"{where}: attention_axes={self.attention_axes} is not implemented; only "
                                      f"None (all axes between batch and features, here {default_axes}).")

    def build(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> None:
        self._check_shapes(query_shape, value_shape, key_shape)
        key_shape = value_shape if key_shape is None else key_shape
        h = self.num_heads
        self._query_dense = self._projection("query", (query_shape[-1],), (h, self.key_dim))
        self._key_dense = self._projection("key", (key_shape[-1],), (h, self.key_dim))
        self._value_dense = self._projection("value", (value_shape[-1],), (h, self.value_dim))
        out = self._output_shape or (query_shape[-1],)
        self._output_dense = self._projection("attention_output", (h, self.value_dim), out)
        self._feature_dims = (query_shape[-1], value_shape[-1], key_shape[-1])
        self.built = True

    @property
    def query_dense(self) -> HeadProjection:
        return self._query_dense

    @property
    def key_dense(self) -> HeadProjection:
        return self._key_dense

    @property
    def value_dense(self) -> HeadProjection:
        return self._value_dense

    @property
    def output_dense(self) -> HeadProjection:
        return self._output_dense

    # ------------------------------------------------------------------- call
    def _keep_mask(self, b: int, t_shape: tuple[int, ...], s_shape: tuple[int, ...], query_mask: Any,
                   value_mask: Any, key_mask: Any, attention_mask: Any, use_causal_mask: bool) -> Any:
        """The boolean ``(B or 1, 1 or h, T, S)`` keep-mask: Keras's AND of the query mask ``(B, T, 1)``,
        the value and key masks ``(B, 1, S)``, the causal and sliding-window bands and ``attention_mask``."""
        t, s = _prod(t_shape), _prod(s_shape)
        where = f"MultiHeadAttention '{self.name}'"
        keep = None

        def both(m: np.ndarray) -> None:
            nonlocal keep
            keep = m if keep is None else keep & m

        for arg, m, steps, expand in (("query_mask", query_mask, t_shape, (slice(None), None, slice(None), None)),
                                      ("value_mask", value_mask, s_shape, (slice(None), None, None, slice(None))),
                                      ("key_mask", key_mask, s_shape, (slice(None), None, None, slice(None)))):
            if m is None:
                continue
            arr = _mask_array(m)
            if arr.shape != (b,) + steps:
                raise ValueError(f"{where}: {arg} must have shape {(b,) + steps}; got {arr.shape}.")
            both(arr.reshape(b, -1)[expand])
        if use_causal_mask or self.sliding_window is not None:
            if len(t_shape) != 1:
                raise NotImplementedError(f"{where}: use_causal_mask / sliding_window need (B, T, E) inputs; got "
                                          f"{len(t_shape)} attention axes.")
            rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
            if use_causal_mask:
                both((rows >= cols)[None, None])
            if self.sliding_window is not None:
                both((np.abs(rows - cols) < self.sliding_window)[None, None])
        if attention_mask is not None:
            arr = _mask_array(attention_mask)
            full = t_shape + s_shape
            if arr.shape[arr.ndim - len(full):] != full or arr.ndim > len(full) + 2:
                raise ValueError(f"{where}: attention_mask must have shape (B, {', '.join(map(str, full))}) "
                                 f"(batch and head axes may be missing); got {arr.shape}.")
            arr = arr.reshape(arr.shape[:arr.ndim - len(full)] + (t, s))
            while arr.ndim < 4:
                arr = arr[..., None, :, :]
            if arr.shape[0] not in (1, b) or arr.shape[1] not in (1, self.num_heads):
                raise ValueError(f"{where}: attention_mask of shape {_mask_array(attention_mask).shape} does not "
                                 f"broadcast to (B, heads, T, S) = {(b, self.num_heads, t, s)}.")
            both(arr)
        return keep

    def _project(self, query: Tensor, key: Tensor, value: Tensor, b: int, t: int, s: int) -> tuple[Tensor, ...]:
        """Heads-first ``q (b, h, t, d_k)``, ``k (b, h, s, d_k)``, ``v (b, h, s, d_v)``; projections of the same
        input tensor share one GEMM (self-attention: all three; cross-attention: key and value)."""
        dense = {"q": self._query_dense, "k": self._key_dense, "v": self._value_dense}
        inputs = {"q": (query, t), "k": (key, s), "v": (value, s)}
        groups: list[list[str]] = []
        for name in ("q", "k", "v"):
            for group in groups:
                if inputs[group[0]][0] is inputs[name][0]:
                    group.append(name)
                    break
            else:
                groups.append([name])
        heads: dict[str, Tensor] = {}
        for group in groups:
            x, steps = inputs[group[0]]
            if x.ndim != 3:
                x = F.reshape(x, (b, steps, x.shape[-1]))
            biases = [dense[n].bias for n in group] if self.use_bias else None
            for name, y in zip(group, F.split_heads_projection(x, [dense[n].kernel for n in group], biases),
                               strict=True):
                heads[name] = y
        return heads["q"], heads["k"], heads["v"]

    def call(self, query: Tensor, value: Tensor, key: Tensor | None = None, query_mask: Any = None,
             value_mask: Any = None, key_mask: Any = None, attention_mask: Any = None,
             return_attention_scores: bool = False, training: bool | None = None,
             use_causal_mask: bool = False) -> Any:
        if key is None:
            key = value
        shapes = (tuple(query.shape), tuple(value.shape), tuple(key.shape))
        self._check_shapes(*shapes)
        if (shapes[0][-1], shapes[1][-1], shapes[2][-1]) != self._feature_dims:
            raise ValueError(f"MultiHeadAttention '{self.name}' was built for query/value/key feature sizes "
                             f"{self._feature_dims}; got query {shapes[0]}, value {shapes[1]}, key {shapes[2]}.")
        if shapes[0][0] != shapes[1][0]:
            raise ValueError(f"MultiHeadAttention '{self.name}': query and value batch sizes differ: query "
                             f"{shapes[0]}, value {shapes[1]}.")
        self._scores_returned = bool(return_attention_scores)
        b, t_shape, s_shape = shapes[0][0], shapes[0][1:-1], shapes[1][1:-1]
        t, s, h = _prod(t_shape), _prod(s_shape), self.num_heads
        keep = self._keep_mask(b, t_shape, s_shape, query_mask, value_mask, key_mask, attention_mask,
                               use_causal_mask)
        q, k, v = self._project(query, key, value, b, t, s)
        attended = F.scaled_dot_product_attention(
            q, k, v, mask=keep, dropout_rate=self.dropout, scale=1.0 / math.sqrt(float(self.key_dim)),
            masked_rows="zeros", rng=self._rng, training=bool(training),
            return_probabilities=bool(return_attention_scores))
        context, probs = attended if return_attention_scores else (attended, None)
        out = self._output_dense
        kernel, bias = out.kernel, out.bias
        if len(out.out_dims) != 1:  # a multi-axis output_shape: flatten it for the GEMM
            kernel = F.reshape(kernel, (h, self.value_dim, _prod(out.out_dims)))
            bias = None if bias is None else F.reshape(bias, (_prod(out.out_dims),))
        output = F.merge_heads_projection(context, kernel, bias)  # (b, t, h, dv) @ (h, dv, E): one GEMM
        if output.shape[1:] != t_shape + out.out_dims:
            output = F.reshape(output, (b,) + t_shape + out.out_dims)
        if return_attention_scores:
            return output, F.reshape(probs, (b, h) + t_shape + s_shape)
        return output

    def compute_mask(self, query: Any, mask: Any = None) -> Any:
        if self._scores_returned:
            return [mask, None]
        return mask

    def compute_output_shape(self, query_shape: Any, value_shape: Any, key_shape: Any = None,
                             return_attention_scores: bool = False) -> Any:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        out = query_shape[:-1] + (self._output_shape or (query_shape[-1],))
        if return_attention_scores:
            return out, (query_shape[0], self.num_heads) + query_shape[1:-1] + value_shape[1:-1]
        return out

    def get_config(self) -> dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "num_heads": self.num_heads, "key_dim": self.key_dim, "value_dim": self.value_dim,
            "dropout": self.dropout, "use_bias": self.use_bias, "use_gate": False,
            "output_shape": list(self._output_shape) if self._output_shape else None,
            "attention_axes": list(self.attention_axes) if self.attention_axes is not None else None,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        })
        return cfg
