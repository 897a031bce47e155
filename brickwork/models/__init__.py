"""Models: Functional ``Model``, ``Sequential``, subclassed ``Model``; loading."""

from brickwork.models.cloning import clone_model
from brickwork.models.model import Model
from brickwork.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 - Keras's name
    """Load a model saved by ``model.save`` (see :func:`brickwork.saving.load_model`)."""
    from brickwork.saving.model_file import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


__all__ = ["Model", "Sequential", "clone_model", "load_model"]
