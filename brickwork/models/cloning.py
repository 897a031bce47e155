"""``clone_model``: the same architecture with fresh weights (Keras's ``keras.models.clone_model``)."""

from __future__ import annotations

from typing import Any


def clone_model(model: Any, compile: bool = False) -> Any:  # noqa: A002
    """Rebuild ``model`` from its config: same layers and wiring, newly initialised weights.

    With ``compile=True`` (brickwork's addition) a compiled model's clone is compiled with
    the same loss, metrics and a fresh optimizer of the same configuration.
    """
    from brickwork import optimizers
    from brickwork.layers.serialization import deserialize_layer, serialize_layer
    from brickwork.saving.model_file import compile_config_of

    clone = deserialize_layer(serialize_layer(model))
    cfg = compile_config_of(model) if compile else None
    if cfg:
        clone.compile(optimizer=optimizers.get(optimizers.serialize(model.optimizer)), loss=cfg.get("loss"),
                      metrics=cfg.get("metrics"), loss_weights=cfg.get("loss_weights"),
                      weighted_metrics=cfg.get("weighted_metrics"))
    return clone
