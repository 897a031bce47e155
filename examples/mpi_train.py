"""Seed 000's default-risk GRU hybrid trained data-parallel over MPI (``brickwork.distributed``, Horovod's API).

The same script runs on one process or on N, on one machine or several::

    python examples/mpi_train.py                                         # 1 process
    mpirun -np 2 python -m mpi4py examples/mpi_train.py                  # 2 processes on this machine
    mpirun -H host1,host2 -np 2 python -m mpi4py examples/mpi_train.py   # one process on each of two hosts

(as root or in a container add ``--allow-run-as-root --oversubscribe``). Each process trains on its
share of every epoch (``fit`` shards the data), the gradients are averaged over the processes
after each backward pass, and rank 0 alone prints, evaluates and saves. ``--global-batch-size`` is
split between the ranks, so every run takes the same optimisation steps whatever N is; the
learning rate is warmed up over the first epochs as Goyal et al. recommend for large batches.

``--benchmark`` prints one JSON line from rank 0: samples per second for each epoch (all ranks
together), their median, and the seconds per step spent in the gradient all-reduce.
``--threads`` sets the BLAS threads of each process (threadpoolctl).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from default_risk_rnn import RNNModel, auc, make_data  # noqa: E402

import brickwork as bw  # noqa: E402
import brickwork.distributed as hvd  # noqa: E402


class EpochTimer(bw.callbacks.Callback):
    """Wall time of each training epoch and the all-reduce seconds it contained."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self.allreduce_seconds: list[float] = []
        self.steps: list[int] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._reduce = hvd.world().stats["allreduce_seconds"]
        self._steps = self.model.optimizer.gradient_reducer.steps

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        self.allreduce_seconds.append(hvd.world().stats["allreduce_seconds"] - self._reduce)
        self.steps.append(self.model.optimizer.gradient_reducer.steps - self._steps)


def allreduce_alone(model, size: int, repeats: int = 30) -> float:
    """Median seconds of one all-reduce of the model's gradients (the same bucketed buffers) after a
    barrier: the communication cost alone, without waiting for a slower rank."""
    reducer = hvd.GradientReducer(hvd.world(), model.optimizer.gradient_reducer.bucket_bytes)
    grads = [np.ones_like(w.data) for w in model.trainable_weights]
    times = []
    for _ in range(repeats):
        hvd.world().barrier()
        start = time.perf_counter()
        reducer(grads)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) if size > 1 else 0.0


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--n", type=int, default=4000, help="applicants (80%% train, 20%% test)")
    parser.add_argument("--global-batch-size", type=int, default=128, help="samples per step, all ranks together")
    parser.add_argument("--learning-rate", type=float, default=0.003, help="for the global batch")
    parser.add_argument("--warmup-epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads per process")
    parser.add_argument("--checkpoint", default=None, help="rank 0 saves the best model here (.bw)")
    parser.add_argument("--benchmark", action="store_true", help="print samples/s as JSON; skip the test AUC")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads)
    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    if args.global_batch_size % size:
        raise SystemExit(f"--global-batch-size {args.global_batch_size} must be a multiple of the {size} ranks.")
    bw.set_seed(args.seed)                                   # the same data on every rank
    app, balances, y = make_data(args.n, seed=args.seed)
    cut = int(0.8 * args.n)
    x_train, x_test = [app[:cut], balances[:cut]], [app[cut:], balances[cut:]]
    model = RNNModel()
    model([app[:2], balances[:2]])                           # build now, so rank 0's weights are broadcast at once
    model.compile(optimizer=hvd.DistributedOptimizer(bw.optimizers.Adam(args.learning_rate)),
                  loss="binary_crossentropy")
    timer = EpochTimer()
    callbacks = [timer, hvd.BroadcastGlobalVariablesCallback(0), hvd.MetricAverageCallback(),  # timer first: its
                 hvd.LearningRateWarmupCallback(args.learning_rate, warmup_epochs=args.warmup_epochs)]  # epoch ends
    # before the metrics' all-reduce, so allreduce_seconds counts the gradients' alone
    if args.checkpoint and rank == 0:                        # checkpoints only on rank 0
        callbacks.append(bw.callbacks.ModelCheckpoint(args.checkpoint, monitor="loss", save_best_only=True))
    verbose = 2 if rank == 0 and not args.benchmark else 0   # progress only on rank 0
    model.fit(x_train, y[:cut], batch_size=args.global_batch_size // size, epochs=args.epochs,
              callbacks=callbacks, verbose=verbose)
    samples = cut - cut % size
    rates = [samples / s for s in timer.seconds]
    result = {"ranks": size, "threads_per_rank": args.threads, "global_batch_size": args.global_batch_size,
              "samples_per_second": rates, "median_samples_per_second": float(np.median(rates)),
              "allreduce_seconds_per_step": float(sum(timer.allreduce_seconds) / max(sum(timer.steps), 1)),
              "step_seconds": float(np.median([s / k for s, k in zip(timer.seconds, timer.steps)])),
              "gradient_buckets": model.optimizer.gradient_reducer.num_buckets,
              "gradient_bytes": int(sum(w.data.nbytes for w in model.trainable_weights))}
    checksum = np.array([sum(float(np.sum(w.data, dtype=np.float64)) for w in model.trainable_weights)])
    result["identical_trainable_weights"] = bool(np.ptp(hvd.allgather(checksum)) == 0)
    if args.benchmark:
        result["allreduce_alone_seconds"] = allreduce_alone(model, size)
    if not args.benchmark:
        score = model.predict(x_test, verbose=0)[:, 0]       # identical weights: every rank would agree
        result["test_auc"] = auc(y[cut:], score)
    if rank == 0:
        print(json.dumps(result) if args.benchmark else
              f"{size} rank(s): test ROC AUC {result['test_auc']:.4f}, "
              f"{result['median_samples_per_second']:.0f} samples/s, "
              f"all-reduce {1e3 * result['allreduce_seconds_per_step']:.2f} ms/step; identical trainable weights on "
              f"every rank: {result['identical_trainable_weights']}", flush=True)
    return result


if __name__ == "__main__":
    main()
