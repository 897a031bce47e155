"""One BLAS thread for the products made inside compiled loops.

numba compiles ``np.dot`` into calls of SciPy's BLAS (``scipy.linalg.cython_blas``) — on a pip
install a second OpenBLAS, loaded beside NumPy's, with a thread pool of its own. A compiled time
loop (the recurrent kernels) makes one small product per step; with several threads each of those
products pays a synchronisation, and the two pools' spinning workers fight for the same cores
(measured: an LSTM 2x64 step 82 ms with 2 threads against 22 ms with 1). :func:`single_threaded`
sets that second pool to one thread for the duration of a kernel call and restores it after.

It uses ``threadpoolctl`` when it is installed (it comes with scikit-learn) and does nothing
otherwise; NumPy's own BLAS is never touched.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_pools: dict[str, Any] = {"found": None}     # the SciPy-BLAS controllers, once SciPy's BLAS is loaded


def _scipy_blas_pools() -> list[Any]:
    if _pools["found"] is not None:
        return _pools["found"]
    if "scipy.linalg.cython_blas" not in sys.modules:
        return []                           # not loaded yet (the first kernel call loads it): look again later
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        _pools["found"] = []
        return []
    found = [lib for lib in ThreadpoolController().lib_controllers
             if lib.internal_api in ("openblas", "mkl", "blis") and "scipy" in str(lib.filepath).lower()
             and "numpy" not in str(lib.filepath).lower()]
    _pools["found"] = found
    return found


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run the block with SciPy's BLAS (the one compiled ``np.dot`` calls) on one thread."""
    pools = _scipy_blas_pools()
    before = [lib.num_threads for lib in pools]
    for lib, n in zip(pools, before):
        if n != 1:
            lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(pools, before):
            if n != 1:
                lib.set_num_threads(n)
