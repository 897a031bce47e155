"""A layer's serialisation config: ``get_config`` / ``from_config``, and the config Keras 3 works out
by itself for a user subclass whose constructor takes JSON-ready arguments (recorded in ``__new__``)
— a base of :class:`~brickwork.layers.Layer`. Writing configs to files is
:mod:`brickwork.layers.serialization`'s."""

from __future__ import annotations

import inspect
import json
from typing import Any, Self


class LayerConfig:
    """``get_config`` / ``from_config`` and the automatic config of user subclasses."""

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
    def from_config(cls, config: dict[str, Any]) -> Self:
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

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
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
