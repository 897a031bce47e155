"""Nested structures of leaves (lists, tuples, dicts): flatten, map, rebuild.

The one place where brickwork walks the structures users pass as inputs,
targets, outputs and shapes.
"""

from __future__ import annotations

from typing import Any


def flatten(structure: Any) -> list[Any]:
    """Leaves of nested lists/tuples/dicts, in order (dicts in insertion order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn: Any, structure: Any) -> Any:
    """Apply ``fn`` to every leaf, keeping the nesting."""
    if isinstance(structure, list):
        return [map_structure(fn, s) for s in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def pack_sequence_as(structure: Any, leaves: list[Any]) -> Any:
    """Rebuild ``structure``'s nesting with ``leaves`` in :func:`flatten` order."""
    it = iter(leaves)
    out = map_structure(lambda _: next(it), structure)
    if next(it, _END) is not _END:
        raise ValueError(f"pack_sequence_as: more leaves than the structure holds ({len(flatten(structure))}).")
    return out


_END = object()
