"""Models: Functional ``Model``, ``Sequential``, subclassed ``Model``; loading."""

from brickwork.models.cloning import clone_model
from brickwork.models.functional import Functional
from brickwork.models.model import Model
from brickwork.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, max_bytes=None):  # noqa: A002
    """Load a model saved by ``model.save`` (see :func:`brickwork.saving.load_model`), or a
    ``.keras`` file saved by Keras 3 (refusing unknown classes and stored code in safe mode).

    ``max_bytes`` bounds the weights the file may make brickwork allocate (default
    ``brickwork.saving.limits.DEFAULT_MAX_BYTES``, 4 GiB); anything wrong with the file raises
    ``brickwork.saving.ModelFileError``."""
    import os

    from brickwork.saving.limits import DEFAULT_MAX_BYTES

    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    if os.fspath(filepath).endswith(".keras") and _holds_keras_config(filepath):
        from brickwork.saving.keras_file import load_keras_model

        return load_keras_model(filepath, custom_objects=custom_objects, safe_mode=safe_mode, compile=compile,
                                max_bytes=limit)
    from brickwork.saving.model_file import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode, max_bytes=limit)


def _holds_keras_config(filepath) -> bool:
    """Whether a ``.keras`` zip is Keras 3's (``config.json`` inside) rather than brickwork's own format."""
    import os
    import stat
    import zipfile

    try:
        if not stat.S_ISREG(os.stat(filepath).st_mode):
            return True  # a FIFO or device would block zipfile; the Keras reader refuses non-regular files
        with zipfile.ZipFile(filepath) as archive:
            return "config.json" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return True  # let the Keras reader name the problem


__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model"]
