"""A hook called before a layer allocates a variable, so a caller can bound what building may cost.

Loading a model file rebuilds layers from a configuration the file supplies; a file declaring
``Dense(units=50_000_000)`` must be refused *before* 4 GB of weights are initialised. The loader opens an
:func:`allocation_scope` whose hook counts the bytes of every variable about to be created and raises when the
file's declared budget is exceeded. Outside a scope the check is one context-variable read.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

AllocationHook = Callable[[str, Any, tuple[int, ...], Any], None]

_HOOK: contextvars.ContextVar[AllocationHook | None] = contextvars.ContextVar("brickwork_allocation_hook",
                                                                              default=None)


def before_allocation(owner: str, name: Any, shape: tuple[int, ...], dtype: Any) -> None:
    """Called by ``Layer.add_weight`` before the initial value exists; runs the active hook, if any."""
    hook = _HOOK.get()
    if hook is not None:
        hook(owner, name, shape, dtype)


@contextlib.contextmanager
def allocation_scope(hook: AllocationHook) -> Iterator[None]:
    """Within the block (this thread/context only), every variable allocation calls ``hook`` first."""
    token = _HOOK.set(hook)
    try:
        yield
    finally:
        _HOOK.reset(token)


__all__ = ["allocation_scope", "before_allocation"]
