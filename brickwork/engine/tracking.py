"""One counter that changes whenever the structure of any layer changes.

Layers cache the lists they derive from their attributes (child layers,
variables, trainable variables). A structural change anywhere — an attribute
that holds a layer, a variable or a container of them is assigned, a tracked
list is mutated, a variable is created, a ``trainable`` flag flips — bumps the
counter, and every cache computed under an older value is recomputed on its
next use. In a training loop nothing structural changes, so every lookup of
``model.trainable_weights`` is a dictionary hit.
"""

from __future__ import annotations

_version = 0


def bump() -> None:
    """Record a structural change (invalidates every layer's cached lists)."""
    global _version
    _version += 1


def version() -> int:
    """The current structure version."""
    return _version
