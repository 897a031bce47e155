"""Depthwise, separable and grouped convolution train steps, brickwork vs PyTorch, in one process.

Layers (3x3 kernels, ``'same'`` padding, bias) on a float32 batch of shape (batch, size, size, channels),
default (8, 88, 88, 64) — channels last for brickwork, channels first for PyTorch:

* ``DepthwiseConv2D(3)`` vs ``torch.nn.Conv2d(C, C, 3, groups=C)``;
* ``SeparableConv2D(C, 3)`` vs a depthwise ``Conv2d(groups=C, bias=False)`` then a 1x1 ``Conv2d(C, C)``;
* ``Conv2D(C, 3, groups=4)`` vs ``Conv2d(C, C, 3, groups=4)`` (the general grouped case, for reference).

A train step is the forward pass and the backward pass of a fixed random output gradient, with the
input requiring its gradient too (as for a layer inside a network), gradients cleared each step.
brickwork and PyTorch alternate, medians of ``--repeats`` timings of ``--steps`` steps, equal threads.

Usage::

    python benchmarks/bench_depthwise.py               # 1 and 2 threads (a fresh process each), one table
    python benchmarks/bench_depthwise.py --threads 2   # one thread count
    python benchmarks/bench_depthwise.py --kernels off # without the compiled kernels (the NumPy reference)
    python benchmarks/bench_depthwise.py --grouped 0   # skip the Conv2D groups=4 reference case
    python benchmarks/bench_depthwise.py --parts 1     # also the DepthwiseConv2D step part by part

``--parts 1`` times the pieces of the DepthwiseConv2D step on their own (the primitive's forward with the
bias, the input gradient alone, the kernel and bias gradients alone) beside PyTorch's forward and backward.
"""

from __future__ import annotations

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402

CASES = ("DepthwiseConv2D", "SeparableConv2D", "Conv2D groups=4")


def bench(args) -> None:
    """Time every case at ``args.threads`` threads; print one RESULT line per case."""
    import numpy as np
    import torch

    import brickwork as bw
    from brickwork import layers

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    n, s, c = args.batch, args.size, args.channels
    x = rng.standard_normal((n, s, s, c), dtype=np.float32)
    gy = rng.standard_normal((n, s, s, c), dtype=np.float32)
    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).requires_grad_(True)
    tgy = torch.from_numpy(np.ascontiguousarray(gy.transpose(0, 3, 1, 2)))

    bw.set_seed(0)
    ours = {"DepthwiseConv2D": layers.DepthwiseConv2D(3, padding="same"),
            "SeparableConv2D": layers.SeparableConv2D(c, 3, padding="same"),
            "Conv2D groups=4": layers.Conv2D(c, 3, padding="same", groups=4)}
    theirs = {"DepthwiseConv2D": torch.nn.Conv2d(c, c, 3, padding=1, groups=c),
              "SeparableConv2D": torch.nn.Sequential(torch.nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False),
                                                     torch.nn.Conv2d(c, c, 1)),
              "Conv2D groups=4": torch.nn.Conv2d(c, c, 3, padding=1, groups=4)}
    xt = bw.Tensor(x, requires_grad=True)
    for layer in ours.values():
        layer.build(x.shape)

    def our_step(layer) -> None:
        xt.grad = None
        for v in layer.trainable_weights:
            v.grad = None
        layer(xt).backward(gy)

    def torch_step(module) -> None:
        tx.grad = None
        module.zero_grad(set_to_none=True)
        module(tx).backward(tgy)

    print(f"machine: {machine()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}; "
          f"input ({n}, {s}, {s}, {c}) float32", flush=True)
    for case in CASES if args.grouped else CASES[:2]:
        times = alternate({"brickwork": lambda layer=ours[case]: our_step(layer),
                           "pytorch": lambda module=theirs[case]: torch_step(module)},
                          repeats=args.repeats, steps=args.steps, warmup=2)
        print(f"{case} train step: brickwork {times['brickwork'] * 1e3:.1f} ms, pytorch "
              f"{times['pytorch'] * 1e3:.1f} ms, ratio {times['brickwork'] / times['pytorch']:.2f}", flush=True)
        report(f"{case} 3x3 train step, ({n}, {s}, {s}, {c})", args.threads, times["brickwork"] * 1e3,
               times["pytorch"] * 1e3, "PyTorch", "ms")
    if args.parts:
        parts(args, x, gy, ours["DepthwiseConv2D"], tx, tgy, theirs["DepthwiseConv2D"])


def parts(args, x, gy, layer, tx, tgy, module) -> None:
    """Print the DepthwiseConv2D step's pieces, brickwork's primitive and PyTorch's module alternating."""
    import torch

    from brickwork.functions.depthwise import DepthwiseConv2D

    w, b = layer.kernel.numpy(), layer.bias.numpy()

    def ours(needs):
        fn = DepthwiseConv2D(pads=((1, 1), (1, 1)))
        fn.needs_input_grad = needs
        fn.forward(x, w, b)
        return fn

    forward_only = ours((False, False, False))
    input_grad, kernel_grad = ours((True, False, False)), ours((False, True, True))
    ty = module(tx)
    runs = {"brickwork forward (+ bias)": lambda: forward_only.forward(x, w, b),
            "brickwork input gradient": lambda: input_grad.backward(gy),
            "brickwork kernel + bias gradients": lambda: kernel_grad.backward(gy),
            "pytorch forward": lambda: module(tx),
            "pytorch backward (all three)": lambda: torch.autograd.grad(ty, (tx, *module.parameters()), tgy,
                                                                        retain_graph=True)}
    times = alternate(runs, repeats=args.repeats, steps=args.steps, warmup=2)
    for name, seconds in times.items():
        print(f"  part, {args.threads} thread(s): {name:36s} {seconds * 1e3:7.2f} ms", flush=True)


def table(args) -> None:
    """Run :func:`bench` at 1 and 2 threads, each in a fresh process, and print one markdown table."""
    rows = []
    for threads in (1, 2):
        command = [sys.executable, os.path.abspath(__file__), "--threads", str(threads), "--kernels", args.kernels,
                   "--repeats", str(args.repeats), "--steps", str(args.steps), "--batch", str(args.batch),
                   "--size", str(args.size), "--channels", str(args.channels),
                   "--grouped", str(args.grouped), "--parts", str(args.parts)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        sys.stdout.write(done.stdout)
        if done.returncode != 0:
            sys.stdout.write(done.stderr[-4000:])
            raise SystemExit(f"bench_depthwise.py --threads {threads} failed with exit status {done.returncode}")
        rows += [line.split("\t")[1:] for line in done.stdout.splitlines() if line.startswith("RESULT\t")]
    print("\n| benchmark | threads | kernels | brickwork ms | PyTorch ms | ratio |\n|---|---|---|---|---|---|")
    for name, threads, kernels, ours, peer, _, _, ratio in rows:
        print(f"| {name} | {threads} | {kernels} | {ours} | {peer} | {ratio} |")


def main() -> None:
    single = "--threads" in sys.argv
    args = parse_and_pin(repeats=7, steps=2, batch=8, size=88, channels=64, grouped=1, parts=0)
    if single:
        bench(args)
    else:
        table(args)


if __name__ == "__main__":
    main()
