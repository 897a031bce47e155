"""Layer configs to and from JSON-ready dicts, through the registry only."""

from __future__ import annotations

import inspect
from typing import Any

from brickwork.utils.registry import lookup


def serialize_layer(layer: Any) -> dict[str, Any]:
    """``{'class_name', 'config'}`` for a layer (its ``get_config()``)."""
    try:
        cfg = layer.get_config()
    except NotImplementedError:
        raise NotImplementedError(
            f"Layer '{layer.name}' ({type(layer).__name__}) does not implement get_config(), so it cannot be "
            "saved with its architecture. Implement get_config() or use save_weights()."
        ) from None
    return {"class_name": type(layer).__name__, "config": cfg}


def deserialize_layer(data: dict[str, Any], custom_objects: dict[str, Any] | None = None,
                      safe_mode: bool = True) -> Any:
    """Rebuild a layer from :func:`serialize_layer` output (registered classes only)."""
    cls = lookup(data["class_name"], custom_objects, kind="layer class")
    cfg = data["config"]
    params = inspect.signature(cls.from_config).parameters
    kwargs: dict[str, Any] = {}
    if "safe_mode" in params:
        kwargs["safe_mode"] = safe_mode
    if "custom_objects" in params:
        kwargs["custom_objects"] = custom_objects
    return cls.from_config(cfg, **kwargs)
