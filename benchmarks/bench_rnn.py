"""LSTM and GRU train steps (forward + BPTT backward + SGD update), brickwork vs PyTorch.

Seed 000's shapes: batch 64, 50 time steps, 37 input features; 2 stacked layers of
64 or 128 units; the last hidden state goes through Dense(1) into a mean-squared
error. One process, alternating runs, medians; BLAS threads equal for both.

Usage: python benchmarks/bench_rnn.py [--threads N] [--repeats R] [--steps S] [--kernels on|off]
(``--kernels off``: as without the ``fast`` extra; ``--units 64`` for one size only.) With the kernels
on, the NumPy path is timed in the same process too (``use_kernels(False)``), alternating with the
other two, and the line shows both ratios; the RESULT line is the kernels' one.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402


def _brickwork_step(model, x, y, kernels_on=None):
    if kernels_on is None:
        return lambda: model.train_step((x, y))
    from brickwork import kernels

    def step() -> None:
        with kernels.use_kernels(kernels_on):
            model.train_step((x, y))

    return step


def _torch_step(rnn, head, opt, tx, ty):
    import torch

    def step() -> None:
        opt.zero_grad()
        out, _ = rnn(tx)
        loss = torch.nn.functional.mse_loss(head(out[:, -1]), ty)
        loss.backward()
        opt.step()

    return step


def main() -> None:
    args = parse_and_pin(repeats=9, steps=3, units=0)

    import numpy as np
    import torch

    import brickwork as bw
    from brickwork import kernels, layers, models

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    batch, steps, features = 64, 50, 37
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    y = rng.standard_normal((batch, 1)).astype(np.float32)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    print(f"machine: {machine()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}")
    for kind in ("LSTM", "GRU"):
        for units in (64, 128) if not args.units else (args.units,):
            bw.set_seed(0)
            layer_cls = getattr(layers, kind)
            model = models.Sequential([layers.Input(shape=(steps, features)),
                                       layer_cls(units, return_sequences=True), layer_cls(units), layers.Dense(1)])
            model.compile(optimizer=bw.optimizers.SGD(0.01), loss="mse")
            rnn = getattr(torch.nn, kind)(features, units, num_layers=2, batch_first=True)
            head = torch.nn.Linear(units, 1)
            opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.01)

            runs = {"brickwork": _brickwork_step(model, x, y), "pytorch": _torch_step(rnn, head, opt, tx, ty)}
            compare = kernels.enabled("recurrent")
            if compare:                      # the NumPy path in the same process, for the with/without table
                runs["numpy path"] = _brickwork_step(model, x, y, kernels_on=False)
            times = alternate(runs, repeats=args.repeats, steps=args.steps)
            extra = (f"; NumPy path {times['numpy path'] * 1e3:.1f} ms, ratio "
                     f"{times['numpy path'] / times['pytorch']:.2f}") if compare else ""
            label = "kernels" if compare else "NumPy"
            print(f"{kind} 2x{units}: brickwork ({label}) {times['brickwork'] * 1e3:.1f} ms, "
                  f"pytorch {times['pytorch'] * 1e3:.1f} ms, ratio brickwork/pytorch = "
                  f"{times['brickwork'] / times['pytorch']:.2f}{extra}")
            report(f"{kind} 2x{units}, batch {batch}, {steps}x{features}", args.threads, times["brickwork"] * 1e3,
                   times["pytorch"] * 1e3, "PyTorch", "ms")


if __name__ == "__main__":
    main()
