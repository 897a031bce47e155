"""``Bidirectional`` and ``TimeDistributed``."""

from __future__ import annotations

from typing import Any

from brickwork import functions as F
from brickwork.layers.layer import Layer
from brickwork.layers.serialization import deserialize_layer, serialize_layer


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards and merges the two.

    Args:
        layer: A recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``).
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'`` or ``None`` (a list of both).
        backward_layer: Optional layer for the backward direction (default: a copy with
            ``go_backwards`` flipped).

    With ``return_sequences`` the backward outputs are reversed back so that step
    ``t`` of both directions lines up. With ``return_state`` the forward states
    follow the output, then the backward states.
    """

    def __init__(self, layer: Any, merge_mode: str | None = "concat", backward_layer: Any = None,
                 weights: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if merge_mode not in ("concat", "sum", "mul", "ave", None):
            raise ValueError(f"Bidirectional: invalid merge_mode {merge_mode!r}.")
        self.forward_layer = layer
        if backward_layer is None:
            cfg = layer.get_config()
            cfg["name"] = "backward_" + layer.name
            cfg["go_backwards"] = not layer.go_backwards
            backward_layer = type(layer).from_config(cfg)
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def build(self, input_shape):
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        self.built = True

    def _merge(self, a, b):
        if self.merge_mode == "concat":
            return F.concatenate([a, b], axis=-1)
        if self.merge_mode == "sum":
            return a + b
        if self.merge_mode == "mul":
            return a * b
        if self.merge_mode == "ave":
            return (a + b) * 0.5
        return [a, b]

    def call(self, inputs, mask=None, training=False, initial_state=None):
        fw_init = bw_init = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fw_init, bw_init = initial_state[:half], initial_state[half:]
        fw = self.forward_layer(inputs, mask=mask, training=training, initial_state=fw_init)
        bw = self.backward_layer(inputs, mask=mask, training=training, initial_state=bw_init)
        fw_states = bw_states = []
        if self.return_state:
            fw, fw_states = fw[0], fw[1:]
            bw, bw_states = bw[0], bw[1:]
        if self.return_sequences:
            bw = bw[:, ::-1]
        out = self._merge(fw, bw)
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + list(fw_states) + list(bw_states)
        return out

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], shape[1:]
        if self.merge_mode == "concat":
            out = tuple(shape[:-1]) + (shape[-1] * 2,)
        elif self.merge_mode is None:
            out = [shape, shape]
        else:
            out = shape
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + list(states) * 2
        return out

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * (2 * self.forward_layer.num_states)
        return out

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"layer": serialize_layer(self.forward_layer), "merge_mode": self.merge_mode,
                    "backward_layer": serialize_layer(self.backward_layer)})
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects, safe_mode)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"], custom_objects, safe_mode)
        return cls(**config)


class TimeDistributed(Layer):
    """Applies a layer to every time step: ``(batch, time, ...)`` is folded to
    ``(batch·time, ...)``, passed through ``layer`` and unfolded."""

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def build(self, input_shape):
        self.layer._maybe_build((None,) + tuple(input_shape[2:]))
        self.built = True

    def call(self, inputs, training=False):
        n, t = inputs.shape[0], inputs.shape[1]
        folded = F.reshape(inputs, (n * t,) + tuple(inputs.shape[2:]))
        out = self.layer(folded, training=training)
        return F.reshape(out, (n, t) + tuple(out.shape[1:]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        cfg = super().get_config()
        cfg["layer"] = serialize_layer(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects, safe_mode)
        return cls(**config)


__all__ = ["Bidirectional", "TimeDistributed"]
