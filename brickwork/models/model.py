"""``Model``: a layer that can be trained.

Three ways to make one, as in Keras:

* Functional: ``Model(inputs, outputs)`` over symbolic tensors from ``Input``;
* Sequential: :class:`~brickwork.models.Sequential`;
* subclassing: define layers in ``__init__`` and the forward pass in
  ``call`` — or in ``forward``, PyTorch's name, which then serves as ``call``
  (PyTorch-style research code; see ``docs/training.md``, "PyTorch-style loops").
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from brickwork.engine.tensor import Tensor
from brickwork.layers.layer import Layer
from brickwork.models.devices import move_model
from brickwork.models.training import Trainer


class Model(Trainer, Layer):
    """A trainable layer: Functional (``Model(inputs, outputs)``), Sequential, or subclassed.

    ``Model(inputs, outputs)`` returns a :class:`~brickwork.models.functional.Functional`
    (as Keras 3's ``Model.__new__`` does); a subclass that passes ``inputs`` and
    ``outputs`` to ``super().__init__`` becomes a Functional subclass.

    Args:
        inputs, outputs: Symbolic tensors (or lists/dicts of them), for the Functional API.
        name: Model name.
    """

    _functional_dispatch = True  # Sequential turns it off: its layer list may start with an Input

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        from brickwork.models.functional import Functional

        if cls._functional_dispatch and _functional_arguments(args, kwargs) and not issubclass(cls, Functional):
            if cls is Model:
                return Functional.__new__(Functional, *args, **kwargs)
            cls = _functional_subclass(cls)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from brickwork.models.functional import Functional

        if isinstance(self, Functional) and _functional_arguments(args, kwargs):
            inputs = args[0] if args else kwargs.pop("inputs")
            outputs = args[1] if len(args) > 1 else kwargs.pop("outputs", None)
            Functional.__init__(self, inputs, outputs, **kwargs)
            return
        Layer.__init__(self, **{k: v for k, v in kwargs.items() if k in ("name", "trainable", "dtype")})
        Trainer.__init__(self)

    @property
    def layers(self) -> list[Layer]:
        """The model's child layers, in assignment order."""
        return self._sublayers()

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or index."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[lay.name for lay in self.layers]}.")

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        raise NotImplementedError(
            f"Model '{self.name}' was created without inputs/outputs: subclasses must define call() "
            "(or forward(), PyTorch's name for it)."
        )

    def _to_tensor(self, x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return Tensor(x)  # no cast here: each layer casts to its own dtype, as in Keras
        return super()._to_tensor(x)

    def _float_dtype(self) -> np.dtype:
        """The float type data is converted to once before training: the first float input's, else the model's."""
        for t in getattr(self, "inputs", None) or []:
            if t.dtype.kind == "f":
                return np.dtype(t.dtype)
        return np.dtype(self._dtype)

    def get_compile_config(self) -> dict[str, Any] | None:
        """The arguments given to ``compile`` (None before it), the loss in Keras 3's serialised
        layout (``brickwork.losses.serialize_structure``) when it can be serialised."""
        from brickwork import losses

        cfg = super().get_compile_config()
        if not cfg or not getattr(self, "compiled", False):
            return cfg
        cfg = dict(cfg)
        compiled = self._compiled_loss
        with contextlib.suppress(ValueError):  # an unregistered function: what compile() was given is kept
            cfg["loss"] = losses.serialize_structure(cfg.get("loss"), compiled.losses, compiled.output_names)
        return cfg

    # ----------------------------------------------------------------- misc
    def to(self, device: str) -> Model:
        """Move the model to ``device`` (``'cpu'`` or ``'gpu'``): its variables in place, its optimizer's
        slots and its metrics' state. ``fit``/``evaluate``/``predict`` then move each batch there;
        ``predict`` still returns NumPy arrays. Returns the model (PyTorch's ``model.to('cuda')``)."""
        return move_model(self, device)

    def summary(self, line_length: int | None = None, print_fn: Any = None, expand_nested: bool = False,
                show_trainable: bool = False) -> None:
        """Print a table of layers, output shapes and parameter counts (Keras format)."""
        from brickwork.models.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn, show_trainable=show_trainable)

    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Save architecture, weights and optimizer state to one file (see :mod:`brickwork.saving`).

        A path ending in ``.keras`` writes Keras 3's format (a file Keras loads); any
        other path writes brickwork's own.
        """
        if _is_keras_file(filepath):
            from brickwork.saving.keras_file import save_keras_model

            save_keras_model(self, filepath, overwrite=overwrite)
            return
        from brickwork.saving.model_file import save_model

        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save only the weights (atomically); ``*.weights.h5`` in Keras 3's layout."""
        if _is_keras_weights(filepath):
            from brickwork.saving.keras_file import save_keras_weights

            save_keras_weights(self, filepath, overwrite=overwrite)
            return
        from brickwork.saving.model_file import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, max_bytes: int | None = None) -> None:
        """Load weights saved by :meth:`save_weights` or :meth:`save` — or by Keras 3
        (``*.weights.h5``, matched by Keras's attribute paths). ``max_bytes`` bounds what the file may
        make brickwork allocate (default 4 GiB); a damaged file raises ``brickwork.saving.ModelFileError``."""
        from brickwork.saving.limits import DEFAULT_MAX_BYTES

        limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
        if skip_mismatch:
            raise NotImplementedError("load_weights(skip_mismatch=True) is not supported: shapes must match.")
        if _is_keras_weights(filepath):
            from brickwork.saving.keras_file import load_keras_weights

            load_keras_weights(self, filepath, max_bytes=limit)
            return
        from brickwork.saving.model_file import load_weights

        load_weights(self, filepath, max_bytes=limit)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None, safe_mode: bool = True) -> Model:
        if "layers" in config and "input_layers" in config:  # a Functional model's config
            from brickwork.models.functional import Functional
            from brickwork.models.functional_config import functional_from_config

            target = cls if issubclass(cls, Functional) else (Functional if cls is Model else _functional_subclass(cls))
            return functional_from_config(target, config, custom_objects=custom_objects, safe_mode=safe_mode)
        return super().from_config(config)


def _is_keras_file(path: Any) -> bool:
    import os

    return os.fspath(path).endswith(".keras")


def _is_keras_weights(path: Any) -> bool:
    import os

    return os.fspath(path).endswith((".weights.h5", ".h5"))


def _functional_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    from brickwork.layers.symbolic import is_symbolic

    return (len(args) >= 2 and is_symbolic(args[:2])) or ("inputs" in kwargs and "outputs" in kwargs) or (
        len(args) == 1 and "outputs" in kwargs)


_FUNCTIONAL_SUBCLASSES: dict[type, type] = {}


def _functional_subclass(cls: type) -> type:
    """``cls`` with Functional mixed in, for a subclass that calls ``super().__init__(inputs, outputs)``."""
    from brickwork.models.functional import Functional

    made = _FUNCTIONAL_SUBCLASSES.get(cls)
    if made is None:
        made = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        _FUNCTIONAL_SUBCLASSES[cls] = made
    return made
