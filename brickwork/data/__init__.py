"""Tabular data → model inputs: a schema saved inside the model file, checked on every CSV."""

from brickwork.data.schema import TabularSchema

__all__ = ["TabularSchema"]
