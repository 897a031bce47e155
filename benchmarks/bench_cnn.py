"""Small CNN train step, brickwork vs PyTorch, in one process.

Model: Conv2D(32, 3x3, relu) → MaxPool 2x2 → Conv2D(64, 3x3, relu) → MaxPool 2x2
→ Flatten → Dense(10); softmax cross-entropy from logits; SGD; batch 64 of
28x28x1 images (channels last for brickwork, channels first for PyTorch).

Usage: python benchmarks/bench_cnn.py [--threads N] [--repeats R] [--steps S] [--kernels on|off]
                                     [--wait-policy default|passive] [--only brickwork|pytorch]

``--only brickwork`` times brickwork alone (PyTorch is never imported), ``--only pytorch`` PyTorch
alone: compare with the alternating run to see whether one side's thread pool slows the other.
"""

from __future__ import annotations

import os
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
    args = parse_and_pin(repeats=11, steps=5, batch=64)

    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((args.batch, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, args.batch)

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
