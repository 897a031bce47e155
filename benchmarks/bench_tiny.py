"""A tiny model, where per-step Python overhead is what counts: brickwork vs PyTorch, in one process.

Model: Dense(64, relu, input 64) → Dense(10); softmax cross-entropy from logits; Adam (lr 1e-3,
epsilon 1e-7); batch 32. PyTorch runs the same network with brickwork's initial weights copied in.

Two measurements, alternating between the frameworks, medians of ``--repeats``:

* **train step**: forward + backward + Adam update on one batch already in memory
  (``model.train_step`` / PyTorch's ``zero_grad(); loss.backward(); step()``);
* **fit epoch, per step**: brickwork's ``fit`` (shuffled, ``verbose=0``) over ``--samples`` rows vs a
  plain PyTorch loop over shuffled batches of the same rows, divided by the number of batches — the
  step plus everything ``fit`` does around it (batching, metrics, callbacks).

Usage: python benchmarks/bench_tiny.py [--threads N] [--repeats R] [--steps S] [--samples N] [--kernels on|off]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402

FEATURES, HIDDEN, CLASSES = 64, 64, 10


def main() -> None:
    args = parse_and_pin(repeats=15, steps=50, batch=32, samples=2048)

    import numpy as np
    import torch

    import brickwork as bw
    from brickwork import layers, models

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x_all = rng.standard_normal((args.samples, FEATURES)).astype(np.float32)
    y_all = rng.integers(0, CLASSES, args.samples)
    x, y = x_all[:args.batch], y_all[:args.batch]

    bw.set_seed(0)
    model = models.Sequential([layers.Input(shape=(FEATURES,)), layers.Dense(HIDDEN, activation="relu"),
                               layers.Dense(CLASSES)])
    model.compile(optimizer=bw.optimizers.Adam(1e-3, epsilon=1e-7),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))

    net = torch.nn.Sequential(torch.nn.Linear(FEATURES, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, CLASSES))
    with torch.no_grad():
        for lin, dense in zip((net[0], net[2]), model.layers):
            lin.weight.copy_(torch.from_numpy(dense.kernel.numpy().T))
            lin.bias.copy_(torch.from_numpy(dense.bias.numpy()))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tx_all, ty_all = torch.from_numpy(x_all), torch.from_numpy(y_all)

    with torch.no_grad():  # the same network: the same loss before training
        torch_loss = float(torch.nn.functional.cross_entropy(net(tx), ty))
    bw_loss = float(model.compute_loss(y=y, y_pred=model(x)).data)

    def torch_step() -> None:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(tx), ty)
        loss.backward()
        opt.step()

    def torch_epoch() -> None:
        order = torch.randperm(args.samples)
        for start in range(0, args.samples, args.batch):
            idx = order[start:start + args.batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(tx_all[idx]), ty_all[idx])
            loss.backward()
            opt.step()

    def bw_epoch() -> None:
        model.fit(x_all, y_all, batch_size=args.batch, epochs=1, verbose=0, shuffle=True)

    steps = alternate({"brickwork": lambda: model.train_step((x, y)), "pytorch": torch_step},
                      repeats=args.repeats, steps=args.steps)
    batches = -(-args.samples // args.batch)
    epochs = alternate({"brickwork": bw_epoch, "pytorch": torch_epoch}, repeats=args.repeats, steps=1, warmup=1)
    print(f"machine: {machine()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}")
    print(f"initial loss: brickwork {bw_loss:.6f}, pytorch {torch_loss:.6f} (same weights)")
    print(f"| tiny MLP 64-64-10, batch {args.batch} | brickwork µs | PyTorch µs | ratio |")
    print("|---|---:|---:|---:|")
    step_b, step_t = steps["brickwork"] * 1e6, steps["pytorch"] * 1e6
    fit_b, fit_t = epochs["brickwork"] / batches * 1e6, epochs["pytorch"] / batches * 1e6
    print(f"| train step | {step_b:.0f} | {step_t:.0f} | {step_b / step_t:.2f} |")
    print(f"| fit epoch per step ({batches} batches) | {fit_b:.0f} | {fit_t:.0f} | {fit_b / fit_t:.2f} |")
    report(f"tiny MLP 64-64-10 train step, batch {args.batch}", args.threads, step_b / 1e3, step_t / 1e3,
           "PyTorch", "ms")
    report(f"tiny MLP 64-64-10 fit per step, batch {args.batch}", args.threads, fit_b / 1e3, fit_t / 1e3,
           "PyTorch", "ms")


if __name__ == "__main__":
    main()
