"""Run under ``mpirun -np 2 python -m mpi4py``: data-parallel ``fit`` of an MLP or of the seed-000 GRU hybrid.

Each rank starts from different weights (seed 100 + rank); BroadcastGlobalVariablesCallback makes them
rank 0's. After every step the ranks' weights are hashed and compared (allgather). Then rank 0 trains
the same model alone (seed 100, the same weights and shuffle draws) with a batch twice as large, and
the weights after every step are compared with the distributed run's. Usage: MODEL OUT.json
"""

import hashlib
import json
import sys

import numpy as np

import brickwork as bw
import brickwork.distributed as hvd
from brickwork import layers

N, BATCH, EPOCHS, STEPS_T, FEATURES = 200, 16, 2, 6, 5


def make_data(kind):
    rng = np.random.default_rng(7)
    app = rng.standard_normal((N, FEATURES))
    if kind == "mlp":
        y = np.sin(app[:, :1]) + 0.5 * app[:, 1:2] * app[:, 2:3] + 0.1 * rng.standard_normal((N, 1))
        return app, y
    seq = rng.standard_normal((N, STEPS_T, 4))
    lengths = np.where(rng.random(N) < 0.4, 0, rng.integers(2, STEPS_T + 1, N))  # 40% without history
    for i, length in enumerate(lengths):
        seq[i, :STEPS_T - length] = 0.0                                          # right-aligned histories
    logit = app[:, 0] - 0.5 * app[:, 1] + seq[:, -1, 0]
    y = (rng.random(N) < 1 / (1 + np.exp(-logit))).astype(np.float64)[:, None]
    return [app, seq], y


def build(kind, optimizer):
    if kind == "mlp":
        model = bw.Sequential([layers.Input((FEATURES,)), layers.Dense(16, activation="tanh"),
                               layers.Dense(8, activation="relu"), layers.Dense(1)])
        model.compile(optimizer, "mse", metrics=["mae"])
        return model
    app_in, seq_in = layers.Input((FEATURES,)), layers.Input((STEPS_T, 4))
    h = layers.GRU(8, return_sequences=True)(layers.Masking(0.0)(seq_in))
    h = layers.GRU(8)(h)
    x = layers.Concatenate()([layers.Dense(8, activation="relu")(app_in), h])
    x = layers.Dense(16, activation="relu", kernel_initializer="he_normal")(x)
    model = bw.Model([app_in, seq_in], layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer, "binary_crossentropy", metrics=["accuracy"])
    return model


class Record(bw.callbacks.Callback):
    """The flat weights after every step; with ``compare``, whether every rank holds the same bytes."""

    def __init__(self, compare):
        super().__init__()
        self.compare, self.snapshots, self.mismatched = compare, [], 0

    def on_train_batch_end(self, batch, logs=None):
        flat = np.concatenate([np.ravel(w.data) for w in self.model.weights]).astype(np.float64)
        self.snapshots.append(flat)
        if self.compare:
            digests = hvd.world().allgather_object(hashlib.sha256(flat.tobytes()).hexdigest())
            checksums = hvd.allgather(np.array([flat.sum()]))
            self.mismatched += int(len(set(digests)) != 1 or checksums.min() != checksums.max())


def main():
    kind, out = sys.argv[1], sys.argv[2]
    bw.set_floatx("float64")
    hvd.init()
    x, y = make_data(kind)
    bw.set_seed(100 + hvd.rank())
    model = build(kind, hvd.DistributedOptimizer(bw.optimizers.Adam(0.01)))
    differs = hvd.allgather(np.array([sum(float(np.sum(w.data)) for w in model.weights)]))
    record = Record(compare=True)
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=True, verbose=0,
                        callbacks=[hvd.BroadcastGlobalVariablesCallback(0), hvd.MetricAverageCallback(), record])
    reducer = model.optimizer.gradient_reducer
    stats = dict(hvd.world().stats)
    rank = hvd.rank()
    hvd.shutdown()
    if rank != 0:
        return
    bw.set_seed(100)
    single = build(kind, bw.optimizers.Adam(0.01))
    reference = Record(compare=False)
    single_history = single.fit(x, y, batch_size=2 * BATCH, epochs=EPOCHS, shuffle=True, verbose=0,
                                callbacks=[reference])
    diffs = [float(np.max(np.abs(a - b))) for a, b in zip(record.snapshots, reference.snapshots)]
    result = {"steps": len(record.snapshots), "single_steps": len(reference.snapshots),
              "initial_weights_differed": bool(differs.min() != differs.max()),
              "mismatched_steps": record.mismatched, "max_abs_diff_per_step": diffs,
              "weight_scale": float(np.max(np.abs(reference.snapshots[-1]))),
              "history": history.history, "single_history": single_history.history,
              "buckets": reducer.num_buckets, "reducer_steps": reducer.steps, "stats": stats}
    with open(out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
