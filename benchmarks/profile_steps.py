"""Where a training step's time goes: BLAS products, other NumPy work, Python overhead, allocation.

For each model (bench_mlp's seed-001 MLP at batch 512, bench_cnn's CNN, bench_rnn's LSTM 2x64 and GRU 2x64,
bench_gpt's GPT step, bench_tiny's 2-layer MLP) and each BLAS thread count, one table row splits
``model.train_step`` (forward + backward + optimizer update on a batch in memory) into:

* **step** — the median wall time of a step on plain NumPy arrays (``--repeats`` × ``--steps``);
* **GEMM floor** — the matrix products alone: one traced step (below) records every ``matmul``/``@``,
  ``dot``, ``tensordot``, ``einsum``, ``inner`` and ``vdot`` with its operand shapes, dtypes and memory
  layouts (C order, transposed, ...); each is then replayed on fresh arrays of the same kind and timed
  by itself (median of ``--gemm-repeats``), and the sum is the floor — what the products cost with no
  framework around them;
* **other NumPy** — the time inside every other NumPy call of the traced step: element-wise ufuncs and
  their reductions, ``np.*`` functions (``take_along_axis``, ``concatenate``, ``add.at``, ...) and the
  copies made by indexing, ``astype``, ``copy`` and ``reshape``;
* **compiled kernels** — the time inside brickwork's numba kernels (``--kernels on`` with numba installed),
  timed by wrapping the kernel modules' functions during the traced step. A primitive hands a kernel only
  exact ``ndarray`` objects, so with kernels on the primitives of a module that uses them run on plain
  arrays in the traced step: their whole ``forward``/``backward`` time less the kernels' counts as
  "other NumPy" (their products too: the GEMM floor does not see inside them);
* **Python** — step − GEMM floor − other NumPy − kernels: the interpreter's share (layer calls, graph recording,
  the backward walk, optimizer and metric bookkeeping), plus whatever the products lose in context
  (cache misses) against the floor;
* **allocation** — the arrays NumPy created in the traced step (count and MiB: results of calls without
  ``out=``, copies) and ``tracemalloc``'s peak over one plain step (NumPy reports its buffers to it).

The trace. Every model weight and input is viewed as ``Traced``, an ``ndarray`` subclass whose
``__array_ufunc__`` (every ufunc, ``@`` included, and their ``reduce``/``at`` methods) and
``__array_function__`` (every ``np.*`` function with a dispatcher) time the real call on plain views
and pass ``Traced`` results on, so everything computed from them is traced too; a depth counter
keeps nested calls (``tensordot`` calling ``dot``) from counting twice. NumPy work on arrays that
never meet a traced one (an optimizer's fresh scratch buffers alone) and C-level work without a
Python entry (``np.empty``) is not seen and falls into "Python". This is a deterministic method
rather than cProfile's: cProfile does not see operators such as ``a @ b`` or ``x * y`` (no call
event), so its ``tottime`` would count NumPy time as Python time. The traced step itself runs slower
(the wrapper costs a few microseconds per call) but only its NumPy-internal times are used.

Usage: python benchmarks/profile_steps.py [--threads 1,2] [--only mlp,cnn,lstm,gru,gpt,tiny]
       [--repeats R] [--steps S] [--gemm-repeats G] [--traces T] [--kernels on|off]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import add_kernels_option, apply_kernels_option, machine  # noqa: E402

BLAS_FUNCTIONS = ("dot", "tensordot", "einsum", "inner", "vdot", "matmul")


class _Record:
    """What the traced step saw: NumPy seconds outside products, the products themselves, allocations."""

    def __init__(self) -> None:
        self.depth = 0
        self.other = 0.0
        self.blas = 0.0
        self.products: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []
        self.allocations = 0
        self.bytes = 0
        self.kernels = 0.0

    def allocated(self, result: Any) -> None:
        for r in result if isinstance(result, tuple) else (result,):
            if isinstance(r, np.ndarray) and r.base is None:
                self.allocations += 1
                self.bytes += r.nbytes


RECORD = _Record()


def _plain(value: Any) -> Any:
    return value.view(np.ndarray) if isinstance(value, Traced) else value


def _traced(value: Any) -> Any:
    if type(value) is np.ndarray:
        return value.view(Traced)
    if isinstance(value, tuple):
        return tuple(_traced(v) for v in value)
    return value


def _spec(value: Any) -> Any:
    """An operand as (shape, dtype, layout) to rebuild it; anything else as it is."""
    if not isinstance(value, np.ndarray):
        return value
    if value.flags.c_contiguous:
        layout = "C"
    elif value.ndim >= 2 and np.swapaxes(value, -1, -2).flags.c_contiguous:
        layout = "T"
    elif value.flags.f_contiguous:
        layout = "F"
    else:
        layout = "C"   # strided: replayed as a C-ordered copy
    return ("__array__", value.shape, value.dtype, layout)


def _build(spec: Any, rng: np.random.Generator) -> Any:
    if not (isinstance(spec, tuple) and len(spec) == 4 and spec[0] == "__array__"):
        return spec
    _, shape, dtype, layout = spec
    if layout == "T":
        swapped = shape[:-2] + (shape[-1], shape[-2])
        return np.swapaxes(rng.standard_normal(swapped).astype(dtype), -1, -2)
    arr = rng.standard_normal(shape).astype(dtype)
    return np.asfortranarray(arr) if layout == "F" else arr


class Traced(np.ndarray):
    """An ndarray whose NumPy calls are timed into :data:`RECORD` (see the module docstring)."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        plain_inputs = [_plain(i) for i in inputs]
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(_plain(o) for o in out)
        RECORD.depth += 1
        start = time.perf_counter()
        try:
            result = getattr(ufunc, method)(*plain_inputs, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            RECORD.depth -= 1
        if RECORD.depth == 0:
            if ufunc is np.matmul and method == "__call__":
                RECORD.blas += elapsed
                RECORD.products.append((np.matmul, tuple(_spec(i) for i in plain_inputs), {}))
            else:
                RECORD.other += elapsed
            if out is None:
                RECORD.allocated(result)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _traced(result)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        RECORD.depth += 1
        start = time.perf_counter()
        try:
            result = super().__array_function__(func, types, args, kwargs)
        finally:
            elapsed = time.perf_counter() - start
            RECORD.depth -= 1
        if RECORD.depth == 0:
            if func.__name__ in BLAS_FUNCTIONS:
                RECORD.blas += elapsed
                RECORD.products.append((func, tuple(_spec(_plain(a)) for a in args),
                                        {k: _spec(_plain(v)) for k, v in kwargs.items()}))
            else:
                RECORD.other += elapsed
            RECORD.allocated(result)
        return _traced(result) if type(result) is np.ndarray else result

    def _timed(self, name: str, *args: Any, **kwargs: Any) -> Any:
        RECORD.depth += 1
        start = time.perf_counter()
        try:
            result = getattr(np.ndarray, name)(self, *args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            RECORD.depth -= 1
        if RECORD.depth == 0:
            RECORD.other += elapsed
            if isinstance(result, np.ndarray) and not np.shares_memory(result, self):
                RECORD.allocations += 1
                RECORD.bytes += result.nbytes
        return result

    def __getitem__(self, index: Any) -> Any:
        return self._timed("__getitem__", index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._timed("__setitem__", index, _plain(value))

    def astype(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("astype", *args, **kwargs)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("copy", *args, **kwargs)

    def reshape(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("reshape", *args, **kwargs)


# ------------------------------------------------------------------ models
def _mlp(bw: Any) -> tuple[Any, tuple[Any, Any]]:
    from brickwork import layers, models
    rng = np.random.default_rng(0)
    x = (rng.random((512, 10000)) < 0.02).astype(np.float32)
    y = (rng.random((512, 1)) < 0.5).astype(np.float32)
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(10000,)),
                               layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=bw.optimizers.RMSprop(learning_rate=1e-3), loss="binary_crossentropy")
    return model, (x, y)


def _cnn(bw: Any) -> tuple[Any, tuple[Any, Any]]:
    from brickwork import layers, models
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 64)
    model = models.Sequential([layers.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                               layers.MaxPooling2D(), layers.Conv2D(64, 3, activation="relu"),
                               layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10)])
    model.compile(optimizer=bw.optimizers.SGD(0.01), loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, (x, y)


def _rnn(kind: str) -> Callable[[Any], tuple[Any, tuple[Any, Any]]]:
    def build(bw: Any) -> tuple[Any, tuple[Any, Any]]:
        from brickwork import layers, models
        rng = np.random.default_rng(0)
        x = rng.standard_normal((64, 50, 37)).astype(np.float32)
        y = rng.standard_normal((64, 1)).astype(np.float32)
        cls = getattr(layers, kind)
        model = models.Sequential([layers.Input(shape=(50, 37)), cls(64, return_sequences=True), cls(64),
                                   layers.Dense(1)])
        model.compile(optimizer=bw.optimizers.SGD(0.01), loss="mse")
        return model, (x, y)
    return build


def _gpt(bw: Any) -> tuple[Any, tuple[Any, Any]]:
    from brickwork.applications.gpt import gpt_model
    rng = np.random.default_rng(0)
    x = rng.integers(0, 76, (12, 64)).astype(np.int32)
    y = rng.integers(0, 76, (12, 64)).astype(np.int32)
    model = gpt_model(76, 64, num_layers=4, num_heads=4, embedding_dim=128)
    model.compile(optimizer=bw.optimizers.AdamW(1e-3, beta_2=0.99, weight_decay=0.1, global_clipnorm=1.0),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, (x, y)


def _tiny(bw: Any) -> tuple[Any, tuple[Any, Any]]:
    from brickwork import layers, models
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 64)).astype(np.float32), rng.integers(0, 10, 32)
    model = models.Sequential([layers.Input(shape=(64,)), layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(optimizer=bw.optimizers.Adam(1e-3), loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, (x, y)


MODELS: dict[str, tuple[str, Callable[[Any], tuple[Any, tuple[Any, Any]]]]] = {
    "mlp": ("seed-001 MLP, batch 512", _mlp),
    "cnn": ("CNN Conv32-Pool-Conv64-Pool-Dense10, batch 64", _cnn),
    "lstm": ("LSTM 2x64, batch 64, 50x37", _rnn("LSTM")),
    "gru": ("GRU 2x64, batch 64, 50x37", _rnn("GRU")),
    "gpt": ("GPT 4x128 (4 heads, context 64), batch 12", _gpt),
    "tiny": ("tiny MLP 64-64-10, batch 32", _tiny),
}


# ------------------------------------------------------------- measuring
def step_time(step: Callable[[], Any], repeats: int, steps: int) -> float:
    """Median seconds per step."""
    for _ in range(2):
        step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        samples.append((time.perf_counter() - start) / steps)
    return statistics.median(samples)


KERNEL_MODULES = ("brickwork.kernels.recurrent_kernels", "brickwork.kernels.transformer_kernels",
                  "brickwork.kernels.conv_kernels")


def _timed_kernel(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        plain_args = [_plain(a) for a in args]
        RECORD.depth += 1
        start = time.perf_counter()
        try:
            result = fn(*plain_args, **{k: _plain(v) for k, v in kwargs.items()})
        finally:
            RECORD.depth -= 1
            if RECORD.depth == 0:
                RECORD.kernels += time.perf_counter() - start
        return _traced(result)
    return call


def _patch_kernels() -> list[tuple[Any, str, Any]]:
    """Wrap the compiled kernels (when they run) with timers; returns what to restore."""
    import importlib

    from brickwork import kernels

    patched: list[tuple[Any, str, Any]] = []
    if not kernels.enabled():
        return patched
    for name in KERNEL_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, value in list(vars(module).items()):
            if not attr.startswith("_") and callable(value) and getattr(value, "__module__", None) == name:
                patched.append((module, attr, value))
                setattr(module, attr, _timed_kernel(value))
    return patched


def _kernel_callers() -> list[type]:
    """The primitives whose module may hand work to a compiled kernel (they take exact ndarrays only)."""
    import inspect

    from brickwork.engine.function import Function

    found, stack = [], list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        try:
            source = inspect.getsource(sys.modules[cls.__module__])
        except (OSError, TypeError, KeyError):
            continue
        if "brickwork.kernels" in source and ("forward" in cls.__dict__ or "backward" in cls.__dict__):
            found.append(cls)
    return found


def _plain_primitive(method: Callable[..., Any]) -> Callable[..., Any]:
    """``forward``/``backward`` run on plain arrays (so that a kernel may take them), timed as a whole: the
    kernels' share is recorded by their own timers, the rest counted as other NumPy."""
    def call(self: Any, *arrays: Any) -> Any:
        RECORD.depth += 1
        kernels_before = RECORD.kernels
        start = time.perf_counter()
        try:
            depth, RECORD.depth = RECORD.depth, 0      # the kernels' timers see the top level
            result = method(self, *[_plain(a) for a in arrays])
            RECORD.depth = depth
        finally:
            elapsed = time.perf_counter() - start
            RECORD.depth -= 1
        RECORD.other += max(0.0, elapsed - (RECORD.kernels - kernels_before))
        return _traced(result)
    return call


def traced_step(model: Any, batch: tuple[Any, Any]) -> _Record:
    """One step with the weights and the batch traced; the weights are restored afterwards (as plain arrays)."""
    global RECORD
    patched = _patch_kernels()
    if patched:  # kernels on: the primitives that call them run untraced, so that they still take the kernel path
        for cls in _kernel_callers():
            for name in ("forward", "backward"):
                if name in cls.__dict__:
                    patched.append((cls, name, cls.__dict__[name]))
                    setattr(cls, name, _plain_primitive(cls.__dict__[name]))
    variables = model.weights
    saved = [v.data for v in variables]
    for v in variables:
        v.data = v.data.view(Traced)
    slots = getattr(model.optimizer, "_slots", {})
    saved_slots = {k: dict(s) for k, s in slots.items()}
    for s in slots.values():
        for name, arr in s.items():
            if type(arr) is np.ndarray:
                s[name] = arr.view(Traced)
    RECORD = _Record()
    try:
        model.train_step(tuple(np.asarray(b).view(Traced) for b in batch))
    finally:
        for v, data in zip(variables, saved):
            v.data = data
        for k, s in saved_slots.items():
            slots[k].update(s)
        for v in variables:
            v.grad = None
        for module, attr, value in patched:
            setattr(module, attr, value)
    return RECORD


def gemm_floor(products: list[tuple[Any, tuple[Any, ...], dict[str, Any]]], repeats: int) -> float:
    """Seconds for the recorded products replayed alone (each the median of ``repeats`` runs)."""
    rng = np.random.default_rng(0)
    total = 0.0
    for func, args, kwargs in products:
        real_args = [_build(a, rng) for a in args]
        real_kwargs = {k: _build(v, rng) for k, v in kwargs.items()}
        func(*real_args, **real_kwargs)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            func(*real_args, **real_kwargs)
            times.append(time.perf_counter() - start)
        total += statistics.median(times)
    return total


def peak_mib(step: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        step()
        return (tracemalloc.get_traced_memory()[1] - base) / 2 ** 20
    finally:
        tracemalloc.stop()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    parts = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})" for i in threadpool_info()
             if i.get("user_api") == "blas"]
    return ", ".join(parts) or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated BLAS thread counts")
    parser.add_argument("--only", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--gemm-repeats", type=int, default=7)
    parser.add_argument("--traces", type=int, default=3, help="traced steps (medians of their NumPy times)")
    add_kernels_option(parser)
    args = parser.parse_args()
    apply_kernels_option(args.kernels)
    names = [n for n in args.only.split(",") if n]
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        parser.error(f"--only: unknown model(s) {unknown}; choose from {sorted(MODELS)}")

    import brickwork as bw
    from brickwork.engine import threads

    print(f"CPU: {cpu_model()}; {os.cpu_count()} cores; BLAS: {blas_info()}; numpy {np.__version__}; "
          f"{machine()}; kernels {args.kernels}")
    print()
    print("| model | threads | step ms | GEMM floor ms | other NumPy ms | compiled kernels ms | Python ms | "
          "arrays/step | MiB alloc/step | peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n_threads in (int(t) for t in args.threads.split(",")):
        threads.set_num_threads(n_threads)
        for name in names:
            label, build = MODELS[name]
            bw.set_seed(0)
            model, batch = build(bw)
            def step(m: Any = model, b: Any = batch) -> Any:
                return m.train_step(b)

            total = step_time(step, args.repeats, args.steps)
            records = [traced_step(model, batch) for _ in range(max(1, args.traces))]
            rec = records[0]
            other = statistics.median(r.other for r in records)
            compiled = statistics.median(r.kernels for r in records)
            floor = gemm_floor(rec.products, args.gemm_repeats)
            python = total - floor - other - compiled
            peak = peak_mib(step)
            cells = " | ".join(f"{s * 1e3:.2f} ({s / total:.0%})" for s in (floor, other, compiled, python))
            print(f"| {label} | {n_threads} | {total * 1e3:.2f} | {cells} | {rec.allocations} | "
                  f"{rec.bytes / 2 ** 20:.1f} | {peak:.1f} |", flush=True)
    threads.set_num_threads("auto")


if __name__ == "__main__":
    main()
