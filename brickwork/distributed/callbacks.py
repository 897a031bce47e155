"""Callbacks for data-parallel ``fit`` (Horovod's names): start every rank from the same weights,
average the epoch's metrics over ranks, and warm the learning rate up to the larger batch's.

Pass them *first* in ``callbacks=[...]``, before callbacks that read the logs (EarlyStopping,
ModelCheckpoint on rank 0, CSVLogger), so those see the averaged values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from brickwork.callbacks import Callback
from brickwork.distributed.communicator import broadcast_variables, world


class BroadcastGlobalVariablesCallback(Callback):
    """Overwrite every rank's weights (and optimizer state, when there is one) with rank ``root_rank``'s
    when training starts, so that all ranks start identical.

    A model that builds its weights during its first step (a subclassed model never called before
    ``fit``) is broadcast after that step instead, as Horovod does; build it first (call it on a
    batch) for the first step to be identical too.
    """

    def __init__(self, root_rank: int = 0) -> None:
        super().__init__()
        self.root_rank = world().check_root(root_rank, "BroadcastGlobalVariablesCallback")
        self.broadcast_done = False

    def _broadcast(self) -> None:
        model = self.model
        variables = list(model.weights)
        if not variables:
            return
        broadcast_variables(variables, self.root_rank)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "get_state"):
            trainable = list(model.trainable_weights)
            state = world().broadcast_object(optimizer.get_state(trainable), self.root_rank)
            if len(state) > 1 or world().rank != self.root_rank:  # slots exist, or the step count to copy
                optimizer.set_state(trainable, state)
        self.broadcast_done = True

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.broadcast_done = False
        self._broadcast()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not self.broadcast_done:
            self._broadcast()


class MetricAverageCallback(Callback):
    """Replace each number in the epoch's logs (loss, metrics, validation metrics) by its average over
    the ranks, in one all-reduce. Exact for means over equally many samples per rank (the loss,
    accuracy, MAE of sharded data); an average of per-rank values for the others (AUC)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not logs:
            return
        keys = sorted(k for k, v in logs.items() if isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
        comm = world()
        everyone = comm.allgather_object(keys)
        if any(other != keys for other in everyone):
            raise RuntimeError(f"MetricAverageCallback: the ranks logged different metrics at epoch {epoch}: "
                               f"{everyone}.")
        if not keys:
            return
        averaged = comm.allreduce(np.array([float(logs[k]) for k in keys], np.float64), "average")
        for key, value in zip(keys, averaged):
            logs[key] = float(value)


class LearningRateWarmupCallback(Callback):
    """Ramp the learning rate linearly from ``initial_lr / size()`` to ``initial_lr`` over ``warmup_epochs``
    (Goyal et al. 2017, "Accurate, large minibatch SGD"; Horovod's callback).

    ``initial_lr`` is the rate for the global batch, usually the single-process rate times
    ``size()``. The rate is set before every step of the warm-up epochs (fractional epoch
    ``e = epoch + (batch + 1) / steps_per_epoch``: ``lr = initial_lr / size * (e * (size - 1) / warmup_epochs + 1)``)
    and is ``initial_lr`` from then on. ``steps_per_epoch`` defaults to ``fit``'s.
    """

    def __init__(self, initial_lr: float, warmup_epochs: int = 5, steps_per_epoch: int | None = None,
                 verbose: int = 0) -> None:
        super().__init__()
        if isinstance(initial_lr, bool) or not isinstance(initial_lr, (int, float, np.number)) \
                or not math.isfinite(initial_lr) or initial_lr <= 0:
            raise ValueError(f"LearningRateWarmupCallback: initial_lr must be a finite number > 0; "
                             f"got initial_lr={initial_lr!r}.")
        for arg, value in (("warmup_epochs", warmup_epochs), ("steps_per_epoch", steps_per_epoch)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                      or value < 1):
                raise ValueError(f"LearningRateWarmupCallback: {arg} must be a whole number >= 1; "
                                 f"got {arg}={value!r}.")
        self.initial_lr, self.warmup_epochs = float(initial_lr), int(warmup_epochs)
        self.steps_per_epoch, self.verbose = steps_per_epoch, verbose
        self.current_epoch = 0
        self._finished = False

    def learning_rate_at(self, epoch: int, batch: int, steps_per_epoch: int) -> float:
        """The warm-up rate before step ``batch`` of ``epoch``."""
        size = world().size
        if epoch >= self.warmup_epochs:
            return self.initial_lr
        progress = epoch + (batch + 1) / steps_per_epoch
        return self.initial_lr / size * (progress * (size - 1) / self.warmup_epochs + 1)

    def _steps(self) -> int:
        steps = self.steps_per_epoch or (self.params or {}).get("steps")
        if not steps:
            raise ValueError("LearningRateWarmupCallback: steps_per_epoch is unknown (a generator without "
                             "steps_per_epoch); pass steps_per_epoch=.")
        return int(steps)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.current_epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        if self.current_epoch >= self.warmup_epochs:
            if not self._finished:  # once: later callbacks (ReduceLROnPlateau) may change it
                optimizer.learning_rate, self._finished = self.initial_lr, True
            return
        if optimizer.has_schedule:
            raise ValueError("LearningRateWarmupCallback: the optimizer's learning rate is a schedule; give it a "
                             "number (or put the warm-up into the schedule).")
        optimizer.learning_rate = self.learning_rate_at(self.current_epoch, batch, self._steps())

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.verbose and epoch == self.warmup_epochs - 1 and world().rank == 0:
            print(f"Epoch {epoch + 1}: finished the learning-rate warm-up; learning rate {self.initial_lr:g}.")
