"""Run under ``mpirun -np 2 python -m mpi4py``: the collectives, bucketing, sharding, the warm-up and the
argument errors of brickwork.distributed. Rank 0 writes ``{check: [passed, detail]}`` to OUT.json."""

import json
import sys

import numpy as np

import brickwork as bw
import brickwork.distributed as hvd
from brickwork import layers
from brickwork.models.data_adapter import DataAdapter

checks = {}


def check(name, passed, detail=""):
    checks[name] = [bool(passed), str(detail)]


def raises(fn, error, *words):
    try:
        fn()
    except error as exc:
        return all(w in str(exc) for w in words), str(exc)
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"
    return False, "no error"


def collectives(r, n):
    check("rank_size", (hvd.size(), hvd.local_size(), hvd.local_rank()) == (2, 2, r), (hvd.size(), hvd.local_rank()))
    value = np.arange(6, dtype=np.float32).reshape(2, 3) * (r + 1)           # rank 0: v, rank 1: 2v
    base = np.arange(6, dtype=np.float32).reshape(2, 3)
    avg, total = hvd.allreduce(value), hvd.allreduce(value, op="sum")
    check("allreduce_average", avg.shape == (2, 3) and np.array_equal(avg, 1.5 * base), avg)
    check("allreduce_sum", np.array_equal(total, 3 * base), total)
    check("allreduce_max", np.array_equal(hvd.allreduce(value, op="max"), 2 * base))
    check("allreduce_scalar", hvd.allreduce(float(r)) == 0.5 and hvd.allreduce(r + 1, op="sum") == 3)
    check("allreduce_tensor", np.array_equal(hvd.allreduce(bw.Tensor(value), op="sum"), 3 * base))
    got = hvd.broadcast(np.full(4, r, np.int64), root_rank=1)
    check("broadcast_root1", np.array_equal(got, np.ones(4, np.int64)), got)
    gathered = hvd.allgather(np.array([r, 10 * r]))
    check("allgather", np.array_equal(gathered, [[0, 0], [1, 10]]), gathered)
    check("broadcast_object", hvd.broadcast_object({"rank": r}, root_rank=0) == {"rank": 0})
    v = bw.Variable(np.full((3, 2), float(r + 5), np.float32))
    hvd.broadcast_variables([v], root_rank=1)
    check("broadcast_variables", np.array_equal(v.data, np.full((3, 2), 6.0, np.float32)), v.data)


def bucketing(r):
    grads = [np.full((10,), r + 1.0, np.float32), None, np.arange(12.0).reshape(3, 4) * (r + 1),
             np.full((5, 5), 2.0 * r, np.float32), np.ones((7,), np.float32) * r]
    expected = [np.full((10,), 1.5, np.float32), None, np.arange(12.0).reshape(3, 4) * 1.5,
                np.ones((5, 5), np.float32), np.full((7,), 0.5, np.float32)]
    world = hvd.world()
    for bucket_bytes, buckets in ((hvd.DEFAULT_BUCKET_BYTES, 2), (64, 4)):  # float32 + float64; then 40+ bytes each
        reducer = hvd.GradientReducer(world, bucket_bytes)
        before = world.stats["allreduce_calls"]
        out = reducer(grads)
        calls = world.stats["allreduce_calls"] - before
        same = all((e is None and o is None) or (o is not None and o.dtype == e.dtype and np.array_equal(o, e))
                   for o, e in zip(out, expected))
        check(f"buckets_{bucket_bytes}", same and calls == buckets == reducer.num_buckets,
              f"calls={calls} buckets={reducer.num_buckets}")


def sharding(r):
    for n in (12, 11):
        bw.set_seed(r)                                    # different generators: the order must come from rank 0
        x = np.arange(n, dtype=np.float32)[:, None]
        data = DataAdapter(x, x, batch_size=2, shuffle=True, what="fit")
        epochs = []
        for _ in range(2):
            epochs.append(sorted(int(b[0][i, 0]) for _, b in data.epoch() for i in range(len(b[0]))))
        everyone = hvd.world().allgather_object((data.num_batches, epochs))
        steps = {e[0] for e in everyone}
        disjoint = all(not set(everyone[0][1][k]) & set(everyone[1][1][k]) for k in range(2))
        union = [len(set(everyone[0][1][k]) | set(everyone[1][1][k])) for k in range(2)]
        check(f"shard_{n}", steps == {3} and disjoint and union == [n - n % 2] * 2, f"steps={steps} union={union}")
    x = np.arange(20, dtype=np.float32)[:, None]
    fit_data = DataAdapter(x, x, batch_size=5, what="fit")
    val = fit_data.split_validation(0.5)
    check("validation_not_sharded", (fit_data.num_batches, val.num_batches) == (1, 2),
          (fit_data.num_batches, val.num_batches))
    check("evaluate_not_sharded", DataAdapter(x, x, batch_size=5, what="evaluate").num_batches == 4)


def warmup_and_errors(r):
    bw.set_seed(0)
    model = bw.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(hvd.DistributedOptimizer(bw.optimizers.SGD(0.1)), "mse")
    seen = []
    probe = bw.callbacks.LambdaCallback(on_train_batch_begin=lambda b, logs: seen.append(model.optimizer.learning_rate))
    warm = hvd.LearningRateWarmupCallback(0.2, warmup_epochs=2)
    x = np.ones((16, 3), np.float32)
    model.fit(x, x[:, :1], batch_size=4, epochs=3, verbose=0, callbacks=[warm, probe])
    expected = [0.2 / 2 * ((e + (b + 1) / 2) / 2 + 1) for e in range(2) for b in range(2)] + [0.2, 0.2]
    check("warmup", np.allclose(seen, expected), (seen, expected))
    check("double_wrap", *raises(lambda: hvd.DistributedOptimizer(model.optimizer), ValueError, "already"))
    check("bad_bucket_bytes", *raises(lambda: hvd.DistributedOptimizer("sgd", bucket_bytes=0), ValueError,
                                       "bucket_bytes"))
    check("bad_root", *raises(lambda: hvd.broadcast(np.ones(2), root_rank=2), ValueError, "root_rank"))
    check("bad_callback_root", *raises(lambda: hvd.BroadcastGlobalVariablesCallback(5), ValueError,
                                       "BroadcastGlobalVariablesCallback", "root_rank"))
    check("bad_op", *raises(lambda: hvd.allreduce(np.ones(2), op="mean"), ValueError, "op"))
    check("bad_warmup_lr", *raises(lambda: hvd.LearningRateWarmupCallback(-1.0), ValueError, "initial_lr"))
    check("bad_warmup_epochs", *raises(lambda: hvd.LearningRateWarmupCallback(0.1, warmup_epochs=0), ValueError,
                                       "warmup_epochs"))
    # PyTorch style: loss.backward(); optimizer.step() averages too
    w = bw.Variable(np.zeros(3, np.float32))
    opt = hvd.DistributedOptimizer(bw.optimizers.SGD([w], lr=1.0))
    w.grad = np.full(3, 2.0 * r, np.float32)                       # rank 0: 0, rank 1: 2 -> average 1
    opt.step()
    check("torch_style_step", np.array_equal(w.data, -np.ones(3, np.float32)), w.data)


def main():
    out = sys.argv[1]
    hvd.init()
    r = hvd.rank()
    collectives(r, hvd.size())
    bucketing(r)
    sharding(r)
    warmup_and_errors(r)
    everyone = hvd.world().allgather_object(checks)
    if r == 0:
        merged = {f"rank{i}:{k}": v for i, c in enumerate(everyone) for k, v in c.items()}
        with open(out, "w") as f:
            json.dump(merged, f)


if __name__ == "__main__":
    main()
