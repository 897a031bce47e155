"""Optional compiled kernels for brickwork's hot loops (``pip install brickwork[fast]``).

The NumPy code is the reference: every kernel here computes exactly what a NumPy
path elsewhere in brickwork computes (the tests compare the two), only as plain
loops compiled by `numba <https://numba.pydata.org>`_. A primitive asks
:func:`enabled` and calls its kernel when the answer is yes and the case is one
the kernel handles (NumPy arrays, float32/float64, the usual activations); it
runs its NumPy code otherwise.

numba is never imported by ``import brickwork``: only the first call of
:func:`available` looks for it. Kernels are off when numba is missing, when the
environment variable ``BRICKWORK_DISABLE_KERNELS=1`` is set, and inside
``with use_kernels(False):``.

Kernels come in families, all on by default: ``"word2vec"``, ``"transformer"`` (the masked
attention softmax, LayerNormalization and GELU row loops), ``"convolution"`` (depthwise
convolution, max pooling, im2col/col2im, bias + ReLU), ``"optimizer"`` (Adam/AdamW and RMSprop updates in one
pass per variable) and ``"recurrent"`` (the LSTM — peephole
and coupled-gate variants too —, GRU and SimpleRNN time loops, in ``lstm_kernels``, ``gru_kernels`` and
``simple_rnn_kernels``; in float64 only when the family is :func:`chosen` by name, because there the scalar
``tanh`` makes the kernel slower than NumPy's vectorised one; see benchmarks/RESULTS.md). Choose the families
with ``BRICKWORK_KERNELS=word2vec,recurrent`` or ``use_kernels(True, families=(...))``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["FAMILIES", "available", "chosen", "enabled", "handles", "use_kernels"]

FAMILIES = ("convolution", "optimizer", "recurrent", "transformer", "word2vec")
_FLOATS = (np.float32, np.float64)
_DEFAULT_FAMILIES = frozenset(FAMILIES)
_numba_missing: list = [False]                       # numba failed to import once: do not retry
_switch: dict = {"on": True, "families": None}      # families None: the defaults (or BRICKWORK_KERNELS)


def available() -> bool:
    """Whether compiled kernels can run: numba imports and ``BRICKWORK_DISABLE_KERNELS`` is not ``1``."""
    flag = os.environ.get("BRICKWORK_DISABLE_KERNELS")
    if flag and flag.strip().lower() in ("1", "true", "yes"):
        return False
    module = sys.modules.get("numba", False)     # a dict lookup: primitives ask this on every call
    if module is not False:
        return module is not None                 # None: imports of numba are blocked
    if _numba_missing[0]:
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        _numba_missing[0] = True
        return False
    return True


def _families() -> frozenset[str]:
    if _switch["families"] is not None:
        return _switch["families"]
    chosen = os.environ.get("BRICKWORK_KERNELS", "").strip()
    if not chosen:
        return _DEFAULT_FAMILIES
    return _check_families(name.strip() for name in chosen.split(",") if name.strip())


def _check_families(families: Iterable[str]) -> frozenset[str]:
    names = frozenset(families)
    unknown = sorted(names - set(FAMILIES))
    if unknown:
        raise ValueError(f"brickwork.kernels: unknown kernel families {unknown}; the families are {list(FAMILIES)}.")
    return names


def enabled(family: str | None = None) -> bool:
    """Whether primitives should call their compiled kernels now: :func:`available`, not switched off,
    and (with ``family``) that family selected."""
    if not (_switch["on"] and available()):
        return False
    return family is None or family in _families()


def handles(family: str, *arrays: Any) -> bool:
    """Whether ``family``'s kernels should run on ``arrays``: the first a float32/float64 NumPy array,
    every other one (``None`` skipped) a NumPy array of that dtype, and the family :func:`enabled`.
    The one check the primitives make before calling a kernel (a CuPy array, a mixed-dtype call or
    another dtype runs their NumPy code)."""
    first = arrays[0]
    if type(first) is not np.ndarray or first.dtype not in _FLOATS:
        return False
    for a in arrays[1:]:
        if a is not None and (type(a) is not np.ndarray or a.dtype != first.dtype):
            return False
    return enabled(family)


def chosen(family: str) -> bool:
    """Whether ``family`` was asked for by name (``BRICKWORK_KERNELS`` or ``use_kernels(families=...)``)
    rather than being on by default — primitives use it for cases where a kernel is only sometimes faster
    (the recurrent kernels in float64)."""
    if _switch["families"] is not None:
        return family in _switch["families"]
    return bool(os.environ.get("BRICKWORK_KERNELS", "").strip()) and family in _families()


@contextmanager
def use_kernels(on: bool = True, families: Iterable[str] | None = None) -> Iterator[None]:
    """Switch the compiled kernels on or off inside a ``with`` block (process-wide, restored on exit).

    ``use_kernels(False)`` runs the NumPy reference code; ``use_kernels(True)`` uses the
    kernels where :func:`available`, ``families`` (e.g. ``("recurrent", "word2vec")``) choosing
    which (default: as outside the block). Meant for tests and benchmarks that compare the two.
    """
    if not isinstance(on, bool):
        raise TypeError(f"use_kernels(on) takes True or False; got {on!r}.")
    chosen = None if families is None else _check_families([families] if isinstance(families, str) else families)
    previous = dict(_switch)
    _switch["on"] = on
    if chosen is not None:
        _switch["families"] = chosen
    try:
        yield
    finally:
        _switch.update(previous)
