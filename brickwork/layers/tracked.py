"""Tracking on assignment: what a layer holds, found once per structural change.

:class:`Trackable` (a base of every layer) bumps :mod:`brickwork.engine.tracking`
whenever an attribute that holds a layer, a variable or a container of them is
assigned, and caches the lists derived from its attributes — child layers,
variables, trainable variables — until the next bump. A list or dict attribute
(``self.blocks = []`` then ``self.blocks.append(Dense(8))``) is kept as a
:class:`TrackedList` / :class:`TrackedDict`, whose mutations bump too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from brickwork.engine import tracking
from brickwork.engine.variable import Variable
from brickwork.utils.tree import flatten

# attributes that hold call-time state or graph bookkeeping, never children
_UNTRACKED = frozenset({"_inbound_nodes", "_losses", "_tracking_cache", "_build_shapes", "_auto_config",
                        "_mask_warned", "_build_lock"})


def _holds_trackable(value: Any) -> bool:
    if isinstance(value, (Trackable, Variable)):
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


class Trackable:
    """Tracking on assignment and the cached lists of what an object holds (see module docstring)."""

    _variables: list[Variable]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _UNTRACKED or name.startswith("__"):
            object.__setattr__(self, name, value)
            return
        value = wrap(value)
        old = self.__dict__.get(name)
        object.__setattr__(self, name, value)
        if is_trackable(value) or (old is not None and is_trackable(old)):
            tracking.bump()

    def __delattr__(self, name: str) -> None:
        old = self.__dict__.get(name)
        object.__delattr__(self, name)
        if old is not None and is_trackable(old):
            tracking.bump()

    def _cached(self, key: str, compute: Any) -> Any:
        """``compute()``, remembered until the next structural change anywhere."""
        cache = self.__dict__.get("_tracking_cache")
        version = tracking.version()
        if cache is None or cache[0] != version:
            cache = (version, {})
            self._tracking_cache = cache
        value = cache[1].get(key)
        if value is None:
            value = compute()
            cache[1][key] = value
        return value

    def _sublayers(self) -> list[Any]:
        """Direct child layers, in attribute-assignment order (lists/dicts included)."""
        return self._cached("sublayers", self._find_sublayers)

    def _find_sublayers(self) -> list[Any]:
        found: list[Any] = []
        seen: set[int] = {id(self)}

        def visit(value: Any) -> None:
            if isinstance(value, Trackable):
                if id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for v in value:
                    visit(v)
            elif isinstance(value, dict):
                for v in value.values():
                    visit(v)

        for key, value in list(vars(self).items()):  # a snapshot: another thread may be building
            if key not in _UNTRACKED:
                visit(value)
        return found

    def _flat_layers(self) -> list[Any]:
        """Every layer below this one, depth first."""
        def compute() -> list[Any]:
            out: list[Any] = []
            for layer in self._sublayers():
                out.append(layer)
                out.extend(layer._flat_layers())
            return _dedupe(out)

        return self._cached("flat_layers", compute)

    def _own_variables(self) -> list[Variable]:
        """Variables made by add_weight, then any assigned directly as attributes (PyTorch style)."""
        found = list(self._variables)
        for key, value in list(vars(self).items()):  # a snapshot: another thread may be building
            if key not in _UNTRACKED and key != "_variables":
                found.extend(v for v in flatten(value) if isinstance(v, Variable))
        return _dedupe(found)

    @property
    def weights(self) -> list[Variable]:
        """All variables: this layer's own (trainable first), then its sublayers'."""
        def compute() -> list[Variable]:
            own = self._own_variables()
            own = [v for v in own if v.trainable] + [v for v in own if not v.trainable]
            return _dedupe(own + [w for layer in self._sublayers() for w in layer.weights])

        return list(self._cached("weights", compute))

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_weights(self) -> list[Variable]:
        def compute() -> list[Variable]:
            if not self.trainable:
                return []
            own = [v for v in self._own_variables() if v.trainable]
            return _dedupe(own + [w for layer in self._sublayers() for w in layer.trainable_weights])

        return list(self._cached("trainable_weights", compute))

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        def compute() -> list[Variable]:
            trainable = {id(v) for v in self.trainable_weights}
            return [v for v in self.weights if id(v) not in trainable]

        return list(self._cached("non_trainable_weights", compute))

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    # ------------------------------------------------------ PyTorch style
    def parameters(self, recurse: bool = True) -> Iterator[Variable]:
        """An iterator over the trainable variables, sublayers' included (``recurse=False``: this
        layer's own), as PyTorch's ``module.parameters()``: pass it to an optimizer,
        ``SGD(model.parameters(), lr=0.05)``. Variables exist once the layer is built (first call)."""
        return iter(self.trainable_weights if recurse else [v for v in self._own_variables()
                                                             if v.trainable and self.trainable])

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Variable]]:
        """``(path, variable)`` for each of :meth:`parameters` (the path as ``variable.path``,
        ``'dense/kernel'``, after ``prefix + '.'`` when a prefix is given)."""
        for v in self.parameters(recurse):
            yield (f"{prefix}.{v.path}" if prefix else v.path), v

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the ``.grad`` of every trainable variable (PyTorch's ``module.zero_grad()``)."""
        for v in self.trainable_weights:
            if set_to_none or v.grad is None:
                v.grad = None
            else:
                v.grad[...] = 0


def _dedupe(variables: list[Variable]) -> list[Variable]:
    seen: set[int] = set()
    out = []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out
