"""``fit`` on a 50-layer Dense(16) MLP, brickwork vs PyTorch, in one process.

Per-layer overhead dominates here (each matrix product is 32×16·16×16), so
this measures the framework's own cost per layer call: argument binding,
weight lookups, graph recording and the optimizer loop. One run = one epoch
of 64 mini-batches of 32 (``model.fit(..., epochs=1, verbose=0)`` / PyTorch's
usual loop over the same batches), Adam, MSE.

Usage: python benchmarks/bench_deep_mlp.py [--threads N] [--repeats R] [--steps S]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402


def main() -> None:
    args = parse_and_pin(repeats=7, steps=1, depth=50, width=16)

    import numpy as np
    import torch

    import brickwork as bw
    from brickwork import layers, models

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2048, args.width)).astype(np.float32)
    y = rng.normal(size=(2048, 1)).astype(np.float32)

    bw.set_seed(0)
    model = models.Sequential([layers.Input(shape=(args.width,))]
                              + [layers.Dense(args.width, activation="relu") for _ in range(args.depth)]
                              + [layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")

    mods: list[torch.nn.Module] = []
    for _ in range(args.depth):
        mods += [torch.nn.Linear(args.width, args.width), torch.nn.ReLU()]
    net = torch.nn.Sequential(*mods, torch.nn.Linear(args.width, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def torch_epoch() -> None:
        order = torch.randperm(len(tx))
        for start in range(0, len(tx), 32):
            idx = order[start:start + 32]
            opt.zero_grad()
            loss = loss_fn(net(tx[idx]), ty[idx])
            loss.backward()
            opt.step()

    times = alternate({"brickwork": lambda: model.fit(x, y, batch_size=32, epochs=1, verbose=0),
                       "pytorch": torch_epoch}, repeats=args.repeats, steps=args.steps, warmup=1)
    ratio = times["brickwork"] / times["pytorch"]
    print(f"machine: {machine()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}")
    print(f"{args.depth}-layer Dense({args.width}) MLP, fit one epoch of 64 batches of 32: "
          f"brickwork {times['brickwork'] * 1e3:.1f} ms, pytorch {times['pytorch'] * 1e3:.1f} ms")
    print(f"ratio brickwork/pytorch = {ratio:.2f}")
    report(f"{args.depth}-layer Dense({args.width}) MLP, fit 64 batches of 32", args.threads,
           times["brickwork"] * 1e3, times["pytorch"] * 1e3, "PyTorch", "ms")


if __name__ == "__main__":
    main()
