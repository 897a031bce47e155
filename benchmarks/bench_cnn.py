"""Small CNN train step, brickwork vs PyTorch, in one process.

Model: Conv2D(32, 3x3, relu) → MaxPool 2x2 → Conv2D(64, 3x3, relu) → MaxPool 2x2
→ Flatten → Dense(10); softmax cross-entropy from logits; SGD; batch 64 of
28x28x1 images (channels last for brickwork, channels first for PyTorch).

Usage: python benchmarks/bench_cnn.py [--threads N] [--repeats R] [--steps S] [--kernels on|off]
                                     [--wait-policy default|passive] [--only brickwork|pytorch] [--breakdown]

``--only brickwork`` times brickwork alone (PyTorch is never imported), ``--only pytorch`` PyTorch
alone: compare with the alternating run to see whether one side's thread pool slows the other.
``--breakdown`` prints, instead, where brickwork's step goes: each primitive's forward and backward
(per input shape, this thread's CPU time, so that other processes on a shared machine count less)
beside the GEMM floor — the convolutions' and the dense layer's products timed alone.
"""

from __future__ import annotations

import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402


def main() -> None:
    only = None
    if "--only" in sys.argv:                      # not a shared option: taken off before parse_and_pin
        at = sys.argv.index("--only")
        only = sys.argv[at + 1]
        if only not in ("brickwork", "pytorch"):
            raise SystemExit(f"bench_cnn.py: --only takes brickwork or pytorch, not {only!r}")
        del sys.argv[at:at + 2]
    breakdown = "--breakdown" in sys.argv
    if breakdown:
        sys.argv.remove("--breakdown")
    args = parse_and_pin(repeats=11, steps=5, batch=64)

    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((args.batch, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, args.batch)

    if breakdown:
        _breakdown(_brickwork_step(x, y), args)
        return
    if only == "brickwork":
        bw_step = _brickwork_step(x, y)
        t = alternate({"brickwork": bw_step}, repeats=args.repeats, steps=args.steps)["brickwork"]
        print(f"machine: {machine()}; threads: {args.threads}; brickwork alone (PyTorch not imported): "
              f"{t * 1e3:.2f} ms")
        return
    import torch

    torch.set_num_threads(args.threads)
    torch_step = _torch_step(torch, x, y)
    if only == "pytorch":
        t = alternate({"pytorch": torch_step}, repeats=args.repeats, steps=args.steps)["pytorch"]
        print(f"machine: {machine()}; threads: {args.threads}; PyTorch alone: {t * 1e3:.2f} ms")
        return
    times = alternate({"brickwork": _brickwork_step(x, y), "pytorch": torch_step},
                      repeats=args.repeats, steps=args.steps)
    ratio = times["brickwork"] / times["pytorch"]
    print(f"machine: {machine()}; threads: {args.threads}; wait policy: {args.wait_policy}; "
          f"numpy {np.__version__}, torch {torch.__version__}")
    print(f"CNN train step, batch {args.batch}, 28x28x1: brickwork {times['brickwork'] * 1e3:.2f} ms, "
          f"pytorch {times['pytorch'] * 1e3:.2f} ms")
    print(f"ratio brickwork/pytorch = {ratio:.2f}")
    report(f"CNN Conv32-Pool-Conv64-Pool-Dense10, batch {args.batch}", args.threads, times["brickwork"] * 1e3,
           times["pytorch"] * 1e3, "PyTorch", "ms")


def _brickwork_step(x, y):
    """The brickwork model's train step on ``(x, y)``."""
    import brickwork as bw
    from brickwork import layers, models

    bw.set_seed(0)
    model = models.Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(10),
    ])
    model.compile(optimizer=bw.optimizers.SGD(0.01),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    return lambda: model.train_step((x, y))


def _breakdown(step, args) -> None:
    """Print the step's CPU time per primitive (forward and backward, by input shape) and the GEMM floor."""
    import collections
    import time

    import numpy as np

    from brickwork.engine.function import Function

    spent: dict[str, float] = collections.defaultdict(float)

    def timed(cls, name):
        method = cls.__dict__[name]

        def run(self, *arrays):
            start = time.thread_time()
            out = method(self, *arrays)
            spent[f"{cls.__name__}.{name} {tuple(arrays[0].shape)}"] += time.thread_time() - start
            return out
        setattr(cls, name, run)

    stack, seen = [Function], set()
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                for name in ("forward", "backward"):
                    if name in sub.__dict__:
                        timed(sub, name)
    for _ in range(3):
        step()
    spent.clear()
    runs = args.repeats * args.steps
    start = time.thread_time()
    for _ in range(runs):
        step()
    total = (time.thread_time() - start) / runs
    print(f"machine: {machine()}; threads: {args.threads}; brickwork CNN step, CPU time of this thread, "
          f"mean of {runs} steps: {total * 1e3:.2f} ms")
    print("| primitive (first input's shape) | ms | share |\n|---|---:|---:|")
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"| {key} | {seconds / runs * 1e3:.3f} | {seconds / runs / total:.0%} |")
    print(f"| Python and everything outside the primitives | {(total - sum(spent.values()) / runs) * 1e3:.3f} | |")
    b = args.batch
    products = {"conv1 forward (M, 9) @ (9, 32)": ((b * 676, 9), (9, 32)),
                "conv1 weight gradient (9, M) @ (M, 32)": ((9, b * 676), (b * 676, 32)),
                "conv2 forward (M, 288) @ (288, 64)": ((b * 121, 288), (288, 64)),
                "conv2 weight gradient (288, M) @ (M, 64)": ((288, b * 121), (b * 121, 64)),
                "conv2 input gradient (M, 64) @ (64, 288)": ((b * 121, 64), (64, 288)),
                "dense forward and two gradients (3 products)": ((b, 1600), (1600, 10))}
    rng = np.random.default_rng(1)
    floor = 0.0
    print("| GEMM alone (float32, C order) | ms |\n|---|---:|")
    for name, (sa, sb) in products.items():
        a, m = rng.random(sa, dtype=np.float32), rng.random(sb, dtype=np.float32)
        times = []
        for _ in range(5 + args.repeats):
            start = time.thread_time()
            a @ m
            times.append(time.thread_time() - start)
        seconds = statistics.median(times[5:]) * (3 if name.startswith("dense") else 1)
        floor += seconds
        print(f"| {name} | {seconds * 1e3:.3f} |")
    print(f"| GEMM floor | {floor * 1e3:.2f} ({floor / total:.0%} of the step) |")


def _torch_step(torch, x, y):
    """The same network in PyTorch (channels first) and its train step."""
    import numpy as np

    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 5 * 5, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    ty = torch.from_numpy(y)

    def torch_step() -> None:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(tx), ty)
        loss.backward()
        opt.step()

    return torch_step


if __name__ == "__main__":
    main()
