"""Saving and loading: a single zip file of JSON and arrays that never holds code."""

from brickwork.saving.errors import ModelFileError
from brickwork.saving.limits import DEFAULT_MAX_BYTES
from brickwork.saving.model_file import load_model, load_weights, save_model, save_weights
from brickwork.utils.registry import register_serializable

__all__ = ["DEFAULT_MAX_BYTES", "ModelFileError", "load_model", "load_weights", "register_serializable", "save_model",
           "save_weights"]
