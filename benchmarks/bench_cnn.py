"""Small CNN train step, brickwork vs PyTorch, in one process.

Model: Conv2D(32, 3x3, relu) → MaxPool 2x2 → Conv2D(64, 3x3, relu) → MaxPool 2x2
→ Flatten → Dense(10); softmax cross-entropy from logits; SGD; batch 64 of
28x28x1 images (channels last for brickwork, channels first for PyTorch).

Usage: python benchmarks/bench_cnn.py [--threads N] [--repeats R] [--steps S]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402


def main() -> None:
    args = parse_and_pin(repeats=11, steps=5, batch=64)

    import numpy as np
    import torch

    import brickwork as bw
    from brickwork import layers, models

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, args.batch)

    bw.set_seed(0)
    model = models.Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(10),
    ])
    model.compile(optimizer=bw.optimizers.SGD(0.01),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))

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

    times = alternate({"brickwork": lambda: model.train_step((x, y)), "pytorch": torch_step},
                      repeats=args.repeats, steps=args.steps)
    ratio = times["brickwork"] / times["pytorch"]
    print(f"machine: {machine()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}")
    print(f"CNN train step, batch {args.batch}, 28x28x1: brickwork {times['brickwork'] * 1e3:.2f} ms, "
          f"pytorch {times['pytorch'] * 1e3:.2f} ms")
    print(f"ratio brickwork/pytorch = {ratio:.2f}")
    report(f"CNN Conv32-Pool-Conv64-Pool-Dense10, batch {args.batch}", args.threads, times["brickwork"] * 1e3,
           times["pytorch"] * 1e3, "PyTorch", "ms")


if __name__ == "__main__":
    main()
