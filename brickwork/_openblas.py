"""Kept so that ``brickwork/__init__.py`` runs the CPU tweaks before NumPy loads.

The OpenBLAS core-type choice and its reasons now live in :mod:`brickwork.platform`
(standard library only); importing this module imports that one, which applies them.
"""

from __future__ import annotations

from brickwork.platform import CORETYPE_SET
from brickwork.platform import configure_openblas as configure

__all__ = ["CORETYPE_SET", "configure"]
