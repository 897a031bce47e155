"""``DistributedOptimizer``: average the gradients over every rank between backward and the update.

The optimizer's ``apply(grads, variables)`` — what ``fit``'s ``train_step``, ``apply_gradients``,
``minimize`` and PyTorch-style ``step()`` all end in — is wrapped on the instance: the gradients
are packed into a few flat buffers (:mod:`brickwork.distributed.buckets`), each buffer is summed
over the ranks with one ``MPI_Allreduce`` and divided by the number of ranks, and the optimizer
updates with the averages. Every rank then makes the same update, so ranks that start from the
same weights (:class:`~brickwork.distributed.BroadcastGlobalVariablesCallback`) stay identical.
The optimizer keeps its class, so saving and ``get_config`` are unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork import optimizers as optimizers_module
from brickwork.backend import get_array_module, to_numpy
from brickwork.distributed.buckets import DEFAULT_BUCKET_BYTES, BucketPlan
from brickwork.distributed.communicator import Communicator, world


class GradientReducer:
    """Averages lists of gradients over the ranks of ``communicator`` in buckets of ``bucket_bytes``.

    ``None`` gradients stay ``None`` (every rank must have the same ones). ``steps`` counts the calls.
    """

    def __init__(self, communicator: Communicator, bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> None:
        self.communicator = communicator
        self.bucket_bytes = bucket_bytes
        self.plan: BucketPlan | None = None
        self.steps = 0

    def __call__(self, grads: list[Any]) -> list[Any]:
        self.steps += 1
        comm = self.communicator
        if comm.size == 1:
            return list(grads)
        present = [i for i, g in enumerate(grads) if g is not None]
        raw = [getattr(grads[i], "data", grads[i]) for i in present]
        host = [np.asarray(to_numpy(g)) for g in raw]
        if self.plan is None or not self.plan.matches(host):
            self.plan = BucketPlan.for_arrays(host, self.bucket_bytes)
        inverse = 1.0 / comm.size

        def average(buffer: np.ndarray) -> None:
            comm.allreduce_inplace(buffer, "sum")
            buffer *= buffer.dtype.type(inverse)

        reduced = self.plan.run(host, average)
        out = list(grads)
        for i, g, value in zip(present, raw, reduced):
            xp = get_array_module(g)
            out[i] = value if xp is np else xp.asarray(value)
        return out

    @property
    def num_buckets(self) -> int:
        """Buckets (``Allreduce`` calls) per step in the current plan."""
        return 0 if self.plan is None else len(self.plan.buckets)


def DistributedOptimizer(optimizer: Any, bucket_bytes: int = DEFAULT_BUCKET_BYTES,
                         name: str | None = None) -> Any:
    """``optimizer`` (an instance or a name such as ``'adam'``) made to average gradients over every rank.

    Returns the same optimizer object (its class, config and saving unchanged) whose ``apply``
    first all-reduces the gradients in buckets of at most ``bucket_bytes``; its
    ``gradient_reducer`` attribute holds the reducer (``num_buckets``, ``steps``). Call
    :func:`brickwork.distributed.init` first. ``name`` is accepted for Horovod compatibility.

    Raises:
        RuntimeError: before ``init()``.
        ValueError: for a non-positive ``bucket_bytes``, or an optimizer that is already distributed.
    """
    communicator = world()
    if isinstance(bucket_bytes, bool) or not isinstance(bucket_bytes, (int, np.integer)) or bucket_bytes < 1:
        raise ValueError(f"DistributedOptimizer: bucket_bytes must be a positive integer; "
                         f"got bucket_bytes={bucket_bytes!r}.")
    opt = optimizers_module.get(optimizer)
    if getattr(opt, "gradient_reducer", None) is not None:
        raise ValueError(f"DistributedOptimizer: optimizer '{opt.name}' is already distributed; wrap it once.")
    reducer = GradientReducer(communicator, int(bucket_bytes))
    local_apply = opt.apply

    def apply(grads: list[Any], variables: list[Any]) -> None:
        """All-reduce (average) ``grads`` over the ranks, then the optimizer's own update."""
        return local_apply(reducer(list(grads)), variables)

    opt.apply = apply
    opt.gradient_reducer = reducer
    return opt
