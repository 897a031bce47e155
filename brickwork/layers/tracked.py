"""Containers that report structural changes: a layer's list or dict attribute
of layers or variables (``self.blocks = []`` then ``self.blocks.append(Dense(8))``)
is kept as a :class:`TrackedList` / :class:`TrackedDict`, whose mutations bump
:mod:`brickwork.engine.tracking`, so the owner's cached weight lists stay right.
"""

from __future__ import annotations

from typing import Any

from brickwork.engine import tracking
from brickwork.engine.variable import Variable


def _holds_trackable(value: Any) -> bool:
    from brickwork.layers.layer import Layer

    if isinstance(value, (Layer, Variable)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_trackable(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_trackable(v) for v in value.values())
    return False


def is_trackable(value: Any) -> bool:
    """Whether assigning ``value`` to a layer attribute changes the layer's structure."""
    return _holds_trackable(value)


def _bump_if(values: Any) -> None:
    if _holds_trackable(values):
        tracking.bump()


class TrackedList(list):
    """A list whose mutations bump the structure version when they touch layers or variables."""

    def append(self, value: Any) -> None:
        super().append(value)
        _bump_if(value)

    def extend(self, values: Any) -> None:
        values = list(values)
        super().extend(values)
        _bump_if(values)

    def insert(self, index: Any, value: Any) -> None:
        super().insert(index, value)
        _bump_if(value)

    def __setitem__(self, index: Any, value: Any) -> None:
        old = self[index]
        super().__setitem__(index, value)
        _bump_if([old, value])

    def __delitem__(self, index: Any) -> None:
        old = self[index]
        super().__delitem__(index)
        _bump_if(old)

    def __iadd__(self, values: Any) -> TrackedList:
        self.extend(values)
        return self

    def pop(self, index: Any = -1) -> Any:
        value = super().pop(index)
        _bump_if(value)
        return value

    def remove(self, value: Any) -> None:
        super().remove(value)
        _bump_if(value)

    def clear(self) -> None:
        old = list(self)
        super().clear()
        _bump_if(old)


class TrackedDict(dict):
    """A dict whose mutations bump the structure version when they touch layers or variables."""

    def __setitem__(self, key: Any, value: Any) -> None:
        old = self.get(key)
        super().__setitem__(key, value)
        _bump_if([old, value])

    def __delitem__(self, key: Any) -> None:
        old = self[key]
        super().__delitem__(key)
        _bump_if(old)

    def update(self, *args: Any, **kwargs: Any) -> None:
        other = dict(*args, **kwargs)
        super().update(other)
        _bump_if(list(other.values()))

    def pop(self, key: Any, *default: Any) -> Any:
        value = super().pop(key, *default)
        _bump_if(value)
        return value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        old = list(self.values())
        super().clear()
        _bump_if(old)


def wrap(value: Any) -> Any:
    """Plain lists and dicts become tracked ones (the same items); anything else is returned as is."""
    if type(value) is list:
        return TrackedList(value)
    if type(value) is dict:
        return TrackedDict(value)
    return value
