"""Looking inside a trained network: the activations of any layer."""

from __future__ import annotations

from typing import Any

import numpy as np


def feature_maps(model: Any, layer: Any, x: Any, batch_size: int = 32) -> np.ndarray:
    """Activations of ``layer`` (a layer or its name) of a built Functional or
    Sequential ``model`` for inputs ``x`` — Keras's ``Model(model.inputs, layer.output)``."""
    from brickwork.models import Model

    if isinstance(layer, str):
        layer = model.get_layer(layer)
    if not getattr(model, "inputs", None):
        raise ValueError(f"Model '{model.name}' has no symbolic inputs: give it an input shape (or call it) first.")
    probe = Model(model.inputs, layer.output, name=f"{model.name}_{layer.name}_probe")
    return probe.predict(x, batch_size=batch_size, verbose=0)
