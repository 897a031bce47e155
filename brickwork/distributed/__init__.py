"""Data-parallel training over MPI, with Horovod's API (``import brickwork.distributed as hvd``).

Each of N processes (``mpirun -np N python -m mpi4py train.py``) holds a copy of the model and
trains on its own slice of every epoch's data; :func:`DistributedOptimizer` averages the
gradients over all processes between backward and the update, so the copies stay identical and
the run equals single-process training with an N times larger batch. Needs ``mpi4py`` and an
MPI library (Open MPI); ``import brickwork`` does not import this package. See docs/scaling-mpi.md.
"""

from brickwork.distributed.buckets import DEFAULT_BUCKET_BYTES, BucketPlan
from brickwork.distributed.callbacks import (
    BroadcastGlobalVariablesCallback,
    LearningRateWarmupCallback,
    MetricAverageCallback,
)
from brickwork.distributed.communicator import (
    Communicator,
    allgather,
    allreduce,
    broadcast,
    broadcast_object,
    broadcast_variables,
    init,
    is_initialized,
    local_rank,
    local_size,
    rank,
    shutdown,
    size,
    world,
)
from brickwork.distributed.optimizer import DistributedOptimizer, GradientReducer
from brickwork.distributed.sharding import ShardHook, shard_indices

__all__ = [
    "DEFAULT_BUCKET_BYTES", "BroadcastGlobalVariablesCallback", "BucketPlan", "Communicator", "DistributedOptimizer",
    "GradientReducer", "LearningRateWarmupCallback", "MetricAverageCallback", "ShardHook", "allgather", "allreduce",
    "broadcast", "broadcast_object", "broadcast_variables", "init", "is_initialized", "local_rank", "local_size",
    "rank", "shard_indices", "shutdown", "size", "world",
]
