"""The process group: MPI collectives through ``mpi4py``, and the module state behind
``init()`` / ``rank()`` / ``size()``.

Every byte between processes goes through an MPI collective (``Allreduce``, ``Bcast``,
``Allgather``); there is no transport of brickwork's own. Arrays are staged through host memory
(a CuPy array is copied to the host and back), so any MPI build works.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from brickwork.backend import get_array_module, to_numpy
from brickwork.distributed.buckets import DEFAULT_BUCKET_BYTES, BucketPlan

_INSTALL_HINT = ("brickwork.distributed needs mpi4py and an MPI library: apt-get install openmpi-bin "
                 "libopenmpi-dev, then pip install mpi4py.")


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    return MPI


class Communicator:
    """An MPI communicator (``MPI.COMM_WORLD`` by default) with the collectives brickwork uses.

    ``stats`` counts the all-reduce calls, the bytes they carried and the seconds spent in them.
    """

    def __init__(self, comm: Any = None) -> None:
        MPI = _mpi()
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self._local = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)  # processes on this host
        self.local_rank = self._local.Get_rank()
        self.local_size = self._local.Get_size()
        self.stats = {"allreduce_calls": 0, "allreduce_bytes": 0, "allreduce_seconds": 0.0}

    # ------------------------------------------------------------- in place
    def allreduce_inplace(self, buffer: np.ndarray, op: str = "sum") -> None:
        """``buffer`` (contiguous NumPy) replaced by its element-wise sum (or ``'max'``/``'min'``) over ranks."""
        mpi_op = {"sum": self.MPI.SUM, "max": self.MPI.MAX, "min": self.MPI.MIN}[op]
        start = time.perf_counter()
        self.comm.Allreduce(self.MPI.IN_PLACE, buffer, op=mpi_op)
        self.stats["allreduce_seconds"] += time.perf_counter() - start
        self.stats["allreduce_calls"] += 1
        self.stats["allreduce_bytes"] += buffer.nbytes

    def broadcast_inplace(self, buffer: np.ndarray, root: int) -> None:
        """``buffer`` (contiguous NumPy) overwritten with rank ``root``'s."""
        self.comm.Bcast(buffer, root=root)

    # --------------------------------------------------------------- values
    def allreduce(self, value: Any, op: str = "average") -> Any:
        """The element-wise ``'average'`` (default), ``'sum'``, ``'max'`` or ``'min'`` of ``value`` over ranks,
        with its shape; a float for a Python number, else an array on ``value``'s device."""
        if op not in ("average", "sum", "max", "min"):
            raise ValueError(f"allreduce: op must be 'average', 'sum', 'max' or 'min'; got op={op!r}.")
        data = getattr(value, "data", value)
        scalar = np.ndim(data) == 0 and not hasattr(data, "shape")
        host = np.array(to_numpy(data), copy=True, order="C")
        if host.dtype.kind not in "fiub":
            raise TypeError(f"allreduce: value must be numeric; got dtype {host.dtype}.")
        if op == "average" and host.dtype.kind != "f":
            host = host.astype(np.float64)
        self.allreduce_inplace(host, "sum" if op == "average" else op)
        if op == "average":
            host /= self.size
        if scalar:
            return host.item()
        return _like(host, data)

    def broadcast(self, value: Any, root_rank: int = 0) -> Any:
        """Rank ``root_rank``'s array (same shape and dtype on every rank) on every rank."""
        self.check_root(root_rank, "broadcast")
        data = getattr(value, "data", value)
        host = np.array(to_numpy(data), copy=True, order="C")
        self.broadcast_inplace(host, root_rank)
        return _like(host, data)

    def broadcast_arrays(self, arrays: list[np.ndarray], root_rank: int = 0,
                         bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> list[np.ndarray]:
        """Rank ``root_rank``'s ``arrays`` (host NumPy, same shapes on every rank), bucketed: few ``Bcast`` calls."""
        self.check_root(root_rank, "broadcast")
        plan = BucketPlan.for_arrays(arrays, bucket_bytes)
        return [a.copy() for a in plan.run(arrays, lambda buf: self.broadcast_inplace(buf, root_rank))]

    def allgather(self, value: Any) -> np.ndarray:
        """Every rank's array stacked along a new first axis (rank order); same shape on every rank."""
        host = np.ascontiguousarray(to_numpy(getattr(value, "data", value)))
        out = np.empty((self.size, *host.shape), host.dtype)
        self.comm.Allgather(host, out)
        return out

    def allgather_object(self, obj: Any) -> list[Any]:
        """Every rank's picklable ``obj``, in rank order."""
        return self.comm.allgather(obj)

    def broadcast_object(self, obj: Any, root_rank: int = 0) -> Any:
        """Rank ``root_rank``'s picklable ``obj`` on every rank."""
        self.check_root(root_rank, "broadcast_object")
        return self.comm.bcast(obj, root=root_rank)

    def barrier(self) -> None:
        """Wait until every rank gets here."""
        self.comm.Barrier()

    def check_root(self, root_rank: Any, what: str) -> int:
        """``root_rank`` if it names a rank, else a ValueError naming ``what``."""
        if isinstance(root_rank, bool) or not isinstance(root_rank, (int, np.integer)) \
                or not 0 <= root_rank < self.size:
            raise ValueError(f"{what}: root_rank must be an integer in [0, {self.size}); got root_rank={root_rank!r}.")
        return int(root_rank)


def _like(host: np.ndarray, original: Any) -> Any:
    """``host`` on the device of ``original`` (NumPy stays NumPy)."""
    xp = get_array_module(original) if hasattr(original, "shape") else np
    return host if xp is np else xp.asarray(host)


# ------------------------------------------------------------------ module state
_world: Communicator | None = None


def init(comm: Any = None) -> None:
    """Start brickwork.distributed in this process (once; later calls do nothing).

    ``comm``: an ``mpi4py`` communicator to train over (default ``MPI.COMM_WORLD``). Installs the
    hook that makes ``fit`` give each rank its own slice of the training data every epoch.
    """
    global _world
    if _world is not None:
        return
    world = Communicator(comm)
    from brickwork.distributed import sharding
    from brickwork.models import data_adapter

    data_adapter.set_shard_hook(sharding.ShardHook(world.rank, world.size, world.broadcast))
    _world = world


def shutdown() -> None:
    """Forget the process group and remove the sharding hook (MPI itself ends when Python exits)."""
    global _world
    from brickwork.models import data_adapter

    data_adapter.set_shard_hook(None)
    _world = None


def is_initialized() -> bool:
    """Whether :func:`init` has been called (and not :func:`shutdown`)."""
    return _world is not None


def world() -> Communicator:
    """The communicator of :func:`init`; a RuntimeError before it."""
    if _world is None:
        raise RuntimeError("brickwork.distributed has not been initialized: call brickwork.distributed.init() "
                           "first (then launch with mpirun -np N python -m mpi4py train.py).")
    return _world


def rank() -> int:
    """This process's rank, 0 ... size()-1 (rank 0 prints and saves)."""
    return world().rank


def size() -> int:
    """The number of processes."""
    return world().size


def local_rank() -> int:
    """This process's rank among the processes on its host."""
    return world().local_rank


def local_size() -> int:
    """The number of processes on this host."""
    return world().local_size


def allreduce(value: Any, op: str = "average", name: str | None = None) -> Any:
    """``value`` reduced over every rank: ``op`` is ``'average'`` (default), ``'sum'``, ``'max'`` or ``'min'``
    (``name`` is accepted for Horovod compatibility)."""
    return world().allreduce(value, op)


def broadcast(value: Any, root_rank: int = 0, name: str | None = None) -> Any:
    """Rank ``root_rank``'s array on every rank (same shape and dtype everywhere)."""
    return world().broadcast(value, root_rank)


def allgather(value: Any, name: str | None = None) -> np.ndarray:
    """Every rank's array (same shape everywhere) stacked along a new first axis, in rank order."""
    return world().allgather(value)


def broadcast_object(obj: Any, root_rank: int = 0) -> Any:
    """Rank ``root_rank``'s picklable object on every rank."""
    return world().broadcast_object(obj, root_rank)


def broadcast_variables(variables: list[Any], root_rank: int = 0) -> None:
    """Overwrite ``variables`` (brickwork Variables, in the same order on every rank) with rank
    ``root_rank``'s values, in few bucketed ``Bcast`` calls."""
    variables = list(variables)
    comm = world()
    host = [np.ascontiguousarray(to_numpy(v.data)) for v in variables]
    numeric = [i for i, a in enumerate(host) if a.dtype.kind in "fiub"]
    if numeric:
        values = comm.broadcast_arrays([host[i] for i in numeric], root_rank)
        for i, value in zip(numeric, values):
            variables[i].assign(_like(value, variables[i].data))
    others = sorted(set(range(len(host))) - set(numeric))   # strings (a vocabulary): pickled
    if others:
        values = comm.broadcast_object([host[i] for i in others], root_rank)
        for i, value in zip(others, values):
            variables[i].assign(value)
