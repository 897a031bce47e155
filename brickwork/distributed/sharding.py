"""Which training samples each rank takes in an epoch of ``fit``.

Every rank sees the same shuffled order of the epoch (rank 0's, broadcast), drops the last
``n % size`` items so that all ranks take the same number, and takes every ``size``-th item from
its rank on: rank ``r`` gets ``order[r::size]``. No two ranks see the same sample, every rank runs
the same number of steps, and step ``k`` of all ranks together covers exactly
``order[k*B*size:(k+1)*B*size]`` — the batch of single-process training with batch ``B*size``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def shard_indices(order: np.ndarray, rank: int, size: int) -> np.ndarray:
    """Rank ``rank``'s items of ``order`` among ``size`` ranks (see the module docstring)."""
    order = np.asarray(order)
    if not 0 <= rank < size:
        raise ValueError(f"shard_indices: rank must be in [0, {size}); got rank={rank}.")
    if len(order) < size:
        raise ValueError(f"fit(): {len(order)} training sample(s) cannot be shared between {size} processes; "
                         f"each needs at least one.")
    keep = len(order) - len(order) % size
    return order[:keep][rank::size]


class ShardHook:
    """The hook :func:`brickwork.models.data_adapter.set_shard_hook` takes: ``num_local(n)`` and
    ``select(order)``. ``broadcast(array, root_rank)`` makes rank 0's order everyone's (``None``: the
    order is trusted to be the same already)."""

    def __init__(self, rank: int, size: int, broadcast: Callable[[np.ndarray, int], np.ndarray] | None = None) -> None:
        self.rank, self.size, self.broadcast = int(rank), int(size), broadcast

    def num_local(self, n: int) -> int:
        """Items per rank per epoch."""
        if self.size > 1 and n < self.size:
            raise ValueError(f"fit(): {n} training sample(s) cannot be shared between {self.size} processes; "
                             f"each needs at least one.")
        return n // self.size

    def select(self, order: np.ndarray) -> np.ndarray:
        """This rank's items of the epoch's ``order`` (rank 0's order when a broadcast is given)."""
        order = np.ascontiguousarray(order, dtype=np.int64)
        if self.size == 1:
            return order
        if self.broadcast is not None:
            order = np.asarray(self.broadcast(order, 0), dtype=np.int64)
        return shard_indices(order, self.rank, self.size)
