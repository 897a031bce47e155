"""brickwork.distributed: bucketing, sharding and argument checks in this process, and data-parallel
training under ``mpirun -np 2`` (the scripts in tests/mpi_scripts/; skipped when mpirun or mpi4py is missing).

Expected values come from the arithmetic of averaging and slicing, and from single-process training
with a batch twice as large (the definition of synchronous data parallelism).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import brickwork as bw
import brickwork.distributed as hvd
from brickwork.models import data_adapter
from brickwork.models.data_adapter import DataAdapter

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "mpi_scripts"
MPI_MISSING = ("mpirun (Open MPI: apt-get install openmpi-bin libopenmpi-dev) is not installed"
               if shutil.which("mpirun") is None else
               "mpi4py is not installed (pip install mpi4py)" if importlib.util.find_spec("mpi4py") is None else None)
needs_mpi = pytest.mark.skipif(MPI_MISSING is not None, reason=MPI_MISSING or "")


# ------------------------------------------------------------------ bucketing
def test_bucket_plan_groups_by_dtype_and_size():
    arrays = [np.zeros(10, np.float32), np.zeros((2, 3), np.float64), np.zeros(20, np.float32),
              np.zeros(100, np.float32)]
    plan = hvd.BucketPlan.for_arrays(arrays, bucket_bytes=128)
    layout = [(b.dtype, [s[0] for s in b.slots], b.size) for b in plan.buckets]
    # 40 B + 80 B fit in 128 B; the float64 array has its own bucket; 400 B is larger than a bucket: alone
    assert layout == [(np.float32, [0, 2], 30), (np.float64, [1], 6), (np.float32, [3], 100)]


def test_bucket_plan_round_trip_and_collective():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(d) for s, d in (((3, 4), np.float32), ((5,), np.float64), ((), np.float32))]
    plan = hvd.BucketPlan.for_arrays(arrays)
    assert len(plan.buckets) == 2 and plan.matches(arrays)
    calls = []

    def triple(buffer):
        calls.append(buffer.size)
        buffer *= 3

    out = plan.run(arrays, triple)
    assert sorted(calls) == [5, 13]                      # one call per bucket, not per array
    for got, a in zip(out, arrays):
        assert got.shape == a.shape and got.dtype == a.dtype
        np.testing.assert_array_equal(got, a * 3)
    assert not plan.matches([a.astype(np.float64) for a in arrays])


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "25MB"])
def test_bucket_plan_rejects_bad_bucket_bytes(bad):
    with pytest.raises(ValueError, match="bucket_bytes"):
        hvd.BucketPlan([(2,)], [np.float32], bucket_bytes=bad)


def test_bucket_plan_rejects_mismatched_lists():
    with pytest.raises(ValueError, match="BucketPlan: 2 shapes but 1 dtypes"):
        hvd.BucketPlan([(2,), (3,)], [np.float32])


class FakeCommunicator:
    """Two ranks holding the same gradients: the sum over ranks is twice the array."""

    def __init__(self, size=2):
        self.size, self.calls = size, 0

    def allreduce_inplace(self, buffer, op="sum"):
        self.calls += 1
        buffer *= self.size


def test_gradient_reducer_averages_in_one_call_and_keeps_none():
    comm = FakeCommunicator()
    reducer = hvd.GradientReducer(comm)
    grads = [np.full((2, 2), 3.0, np.float32), None, bw.Tensor(np.arange(4.0, dtype=np.float32))]
    out = reducer(grads)
    assert comm.calls == 1 and reducer.num_buckets == 1 and reducer.steps == 1
    assert out[1] is None
    np.testing.assert_array_equal(out[0], np.full((2, 2), 3.0, np.float32))   # mean of (3, 3)
    np.testing.assert_array_equal(out[2], np.arange(4.0, dtype=np.float32))
    reducer(grads)
    assert comm.calls == 2 and reducer.num_buckets == 1                      # the plan is reused


def test_gradient_reducer_single_process_is_identity():
    comm = FakeCommunicator(size=1)
    g = np.ones(3, np.float32)
    assert hvd.GradientReducer(comm)([g])[0] is g and comm.calls == 0


# ------------------------------------------------------------------- sharding
def test_shard_indices_strided_disjoint_and_equal():
    order = np.array([7, 3, 9, 0, 5, 1, 8, 2, 6, 4, 10])                       # 11 items, 2 ranks: 10 kept
    parts = [hvd.shard_indices(order, r, 2) for r in range(2)]
    np.testing.assert_array_equal(parts[0], [7, 9, 5, 8, 6])
    np.testing.assert_array_equal(parts[1], [3, 0, 1, 2, 4])
    three = [hvd.shard_indices(np.arange(9), r, 3) for r in range(3)]
    assert sorted(np.concatenate(three).tolist()) == list(range(9)) and {len(p) for p in three} == {3}


def test_shard_indices_errors():
    with pytest.raises(ValueError, match="1 training sample.*2 processes"):
        hvd.shard_indices(np.arange(1), 0, 2)
    with pytest.raises(ValueError, match="rank must be in"):
        hvd.shard_indices(np.arange(4), 2, 2)


@pytest.fixture
def shard_hook():
    """Install a hook as rank 1 of 2 (the order is trusted, not broadcast); always removed."""
    hook = hvd.ShardHook(1, 2)
    data_adapter.set_shard_hook(hook)
    yield hook
    data_adapter.set_shard_hook(None)


def test_fit_data_is_sharded_with_the_hook(shard_hook):
    x = np.arange(10, dtype=np.float32)[:, None]
    data = DataAdapter(x, x, batch_size=2, shuffle=False, what="fit")
    assert data.num_batches == 3                                               # 5 samples of 10, batches of 2
    seen = [b[0][:, 0].tolist() for _, b in data.epoch()]
    assert seen == [[1.0, 3.0], [5.0, 7.0], [9.0]]
    bw.set_seed(3)
    shuffled = DataAdapter(x, x, batch_size=5, shuffle=True, what="fit")
    batch = next(iter(shuffled.epoch()))[1][0][:, 0]
    expected = np.random.default_rng(3).permutation(10)[1::2]                  # brickwork's generator after set_seed(3)
    np.testing.assert_array_equal(batch, expected.astype(np.float32))


def test_validation_evaluate_and_train_on_batch_are_not_sharded(shard_hook):
    x = np.arange(20, dtype=np.float32)[:, None]
    fit_data = DataAdapter(x, x, batch_size=5, what="fit")
    val = fit_data.split_validation(0.5)
    assert (fit_data.num_batches, val.num_batches) == (1, 2)
    assert DataAdapter(x, x, batch_size=5, what="evaluate").num_batches == 4
    assert DataAdapter(x, x, batch_size=5, what="train_on_batch").num_batches == 4


def test_pydataset_batches_are_sharded(shard_hook):
    class Batches(bw.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full((2, 1), float(i), np.float32), np.zeros((2, 1), np.float32)

    data = DataAdapter(Batches(), what="fit")
    assert data.num_batches == 2
    assert [float(b[0][0, 0]) for _, b in data.epoch()] == [1.0, 3.0]


def test_fit_trains_on_this_rank_share_only(shard_hook):
    seen = []
    model = bw.Sequential([bw.layers.Input((1,)), bw.layers.Dense(1)])
    model.compile("sgd", "mse")
    probe = bw.callbacks.LambdaCallback(on_train_batch_begin=lambda b, logs: seen.append(b))
    x = np.arange(8, dtype=np.float32)[:, None]
    model.fit(x, x, batch_size=2, epochs=1, verbose=0, callbacks=[probe])
    assert seen == [0, 1]                                                      # 4 of 8 samples: 2 steps


def test_set_shard_hook_rejects_other_objects():
    with pytest.raises(TypeError, match="set_shard_hook expects an object with num_local"):
        data_adapter.set_shard_hook(lambda order: order)
    assert data_adapter.get_shard_hook() is None


# --------------------------------------------------------- before init, args
def test_calls_before_init_name_init():
    assert not hvd.is_initialized()
    for call in (hvd.rank, hvd.size, hvd.local_rank, lambda: hvd.allreduce(1.0),
                 lambda: hvd.DistributedOptimizer("sgd"), lambda: hvd.BroadcastGlobalVariablesCallback(0)):
        with pytest.raises(RuntimeError, match=r"brickwork\.distributed\.init\(\)"):
            call()


@pytest.mark.parametrize(("kwargs", "word"), [({"initial_lr": 0.0}, "initial_lr"),
                                              ({"initial_lr": float("nan")}, "initial_lr"),
                                              ({"initial_lr": 0.1, "warmup_epochs": 0}, "warmup_epochs"),
                                              ({"initial_lr": 0.1, "steps_per_epoch": 2.5}, "steps_per_epoch")])
def test_warmup_rejects_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=f"LearningRateWarmupCallback: {word}"):
        hvd.LearningRateWarmupCallback(**kwargs)


def test_importing_distributed_needs_no_mpi():
    code = "import sys, brickwork, brickwork.distributed; assert 'mpi4py' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


# ----------------------------------------------------------- under mpirun -np 2
def mpirun(script: str | Path, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    """Run a script of tests/mpi_scripts (or an absolute path) on 2 ranks, as CI and containers need."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl_vader_single_copy_mechanism="none",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    cmd = ["mpirun", "--oversubscribe", "-np", "2", sys.executable, "-m", "mpi4py", str(SCRIPTS / script), *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def run_json(script: str, tmp_path_factory, *args: str) -> dict:
    out = tmp_path_factory.mktemp("mpi") / "out.json"
    proc = mpirun(script, *args, str(out))
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def collectives(tmp_path_factory):
    return run_json("collectives.py", tmp_path_factory)


CHECKS = ["rank_size", "allreduce_average", "allreduce_sum", "allreduce_max", "allreduce_scalar", "allreduce_tensor",
          "broadcast_root1", "allgather", "broadcast_object", "broadcast_variables", "buckets_26214400", "buckets_64",
          "shard_12", "shard_11", "validation_not_sharded", "evaluate_not_sharded", "warmup", "double_wrap",
          "bad_bucket_bytes", "bad_root", "bad_callback_root", "bad_op", "bad_warmup_lr", "bad_warmup_epochs",
          "torch_style_step"]


@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize("rank", [0, 1])
@pytest.mark.parametrize("name", CHECKS)
def test_under_mpirun(collectives, name, rank):
    passed, detail = collectives[f"rank{rank}:{name}"]
    assert passed, f"rank {rank}, {name}: {detail}"


@needs_mpi
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["mlp", "gru"])
def test_two_ranks_equal_single_process_with_twice_the_batch(kind, tmp_path_factory):
    r = run_json("train_equivalence.py", tmp_path_factory, kind)
    assert r["initial_weights_differed"]                  # rank 1 started elsewhere: the broadcast mattered
    assert r["steps"] == r["single_steps"] == 14          # 2 epochs of ceil(100 / 16) steps each
    assert r["mismatched_steps"] == 0                     # identical weights on both ranks after every step
    assert max(r["max_abs_diff_per_step"]) <= 1e-10 * max(1.0, r["weight_scale"])    # float64
    np.testing.assert_allclose(r["history"]["loss"], r["single_history"]["loss"], rtol=1e-10)
    metric = "mae" if kind == "mlp" else "accuracy"
    np.testing.assert_allclose(r["history"][metric], r["single_history"][metric], rtol=1e-10)
    assert r["buckets"] == 1 and r["reducer_steps"] == 14
    assert r["stats"]["allreduce_calls"] == 14 + 2        # one per step (bucketed), one per epoch's metrics


@needs_mpi
@pytest.mark.slow
def test_a_failing_rank_ends_the_job():
    proc = mpirun("failing_rank.py", timeout=30)
    assert proc.returncode != 0 and "rank 1 failed on purpose" in proc.stderr + proc.stdout


@needs_mpi
@pytest.mark.slow
def test_example_prints_and_checkpoints_on_rank_0_only(tmp_path):
    checkpoint = tmp_path / "best.bw"
    proc = mpirun(ROOT / "examples" / "mpi_train.py", "--n", "400", "--epochs", "2", "--checkpoint", str(checkpoint),
                  timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("Epoch 1/2") == 1 and proc.stdout.count("2 rank(s): test ROC AUC") == 1, proc.stdout
    assert "identical trainable weights on every rank: True" in proc.stdout   # BatchNorm/Dropout model
    assert checkpoint.exists()
