"""Seed 001's MLP train step, brickwork vs PyTorch, in one process.

Model: Dense(16, relu, input 10000) → Dense(16, relu) → Dense(1, sigmoid);
RMSprop (lr 1e-3, rho 0.9, eps 1e-7), binary cross-entropy; batch 512 of
binary bag-of-words rows. One step = forward + backward + optimizer update on
a batch already in memory (``model.train_step`` / PyTorch's usual loop).

Usage: python benchmarks/bench_mlp.py [--threads N] [--repeats R] [--steps S]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402


def main() -> None:
    args = parse_and_pin(repeats=15, steps=10, batch=512)

    import numpy as np
    import torch

    import brickwork as bw
    from brickwork import layers, models

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = (rng.random((args.batch, 10000)) < 0.02).astype(np.float32)
    y = (rng.random((args.batch, 1)) < 0.5).astype(np.float32)

    bw.set_seed(0)
    model = models.Sequential([
        layers.Dense(16, activation="relu", input_shape=(10000,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=bw.optimizers.RMSprop(learning_rate=1e-3), loss="binary_crossentropy")

    net = torch.nn.Sequential(torch.nn.Linear(10000, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                              torch.nn.ReLU(), torch.nn.Linear(16, 1), torch.nn.Sigmoid())
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.BCELoss()
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step() -> None:
        opt.zero_grad()
        loss = loss_fn(net(tx), ty)
        loss.backward()
        opt.step()

    times = alternate({"brickwork": lambda: model.train_step((x, y)), "pytorch": torch_step},
                      repeats=args.repeats, steps=args.steps)
    ratio = times["brickwork"] / times["pytorch"]
    print(f"machine: {machine()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}")
    print(f"seed-001 MLP train step, batch {args.batch}: brickwork {times['brickwork'] * 1e3:.2f} ms, "
          f"pytorch {times['pytorch'] * 1e3:.2f} ms")
    print(f"ratio brickwork/pytorch = {ratio:.2f}")
    report(f"seed-001 MLP, batch {args.batch}", args.threads, times["brickwork"] * 1e3, times["pytorch"] * 1e3,
           "PyTorch", "ms")


if __name__ == "__main__":
    main()
