"""Models: Functional ``Model``, ``Sequential``, subclassed ``Model``; loading."""

from brickwork.models.cloning import clone_model
from brickwork.models.functional import Functional
from brickwork.models.model import Model
from brickwork.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 - Keras's name
    """Load a model saved by ``model.save`` (see :func:`brickwork.saving.load_model`), or a
    ``.keras`` file saved by Keras 3 (refusing unknown classes and stored code in safe mode)."""
    import os

    if os.fspath(filepath).endswith(".keras") and _holds_keras_config(filepath):
        from brickwork.saving.keras_file import load_keras_model

        return load_keras_model(filepath, custom_objects=custom_objects, safe_mode=safe_mode, compile=compile)
    from brickwork.saving.model_file import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def _holds_keras_config(filepath) -> bool:
    """Whether a ``.keras`` zip is Keras 3's (``config.json`` inside) rather than brickwork's own format."""
    import zipfile

    try:
        with zipfile.ZipFile(filepath) as archive:
            return "config.json" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return True  # let the Keras reader name the problem


__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model"]
