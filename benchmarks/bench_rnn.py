"""Recurrent train steps (forward + BPTT backward + SGD update), brickwork vs PyTorch.

Seed 000's shapes: batch 64, 50 time steps, 37 input features; 2 stacked layers of
64 or 128 units — LSTM, GRU, SimpleRNN (PyTorch's ``nn.RNN``) and a bidirectional LSTM
(``Bidirectional(LSTM)`` against ``nn.LSTM(bidirectional=True)``); the last hidden state
(both directions' final states, concatenated, for the bidirectional one) goes through
Dense(1) into a mean-squared error. One process, alternating runs, medians; BLAS
threads equal for both.

Usage: python benchmarks/bench_rnn.py [--threads N] [--repeats R] [--steps S] [--kernels on|off]
(``--kernels off``: as without the ``fast`` extra; ``--units 64`` for one size only; ``--only
LSTM,SimpleRNN`` for some rows — the names are LSTM, GRU, SimpleRNN, BiLSTM.) With the kernels
on, the NumPy path is timed in the same process too (``use_kernels(False)``), alternating with the
other two, and the line shows both ratios; the RESULT line is the kernels' one.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402

# row name -> (brickwork layer, PyTorch module, bidirectional)
ROWS = {"LSTM": ("LSTM", "LSTM", False), "GRU": ("GRU", "GRU", False), "SimpleRNN": ("SimpleRNN", "RNN", False),
        "BiLSTM": ("LSTM", "LSTM", True)}


def _only() -> list[str]:
    """The rows named by ``--only`` (read before ``parse_and_pin``, which knows only int options)."""
    if "--only" not in sys.argv:
        return list(ROWS)
    at = sys.argv.index("--only")
    names = [name.strip() for name in sys.argv[at + 1].split(",") if name.strip()] if at + 1 < len(sys.argv) else []
    del sys.argv[at:at + 2]
    unknown = [name for name in names if name not in ROWS]
    if unknown or not names:
        raise SystemExit(f"bench_rnn.py: --only takes names from {list(ROWS)}; got {names or 'nothing'}")
    return names


def _brickwork_step(model, x, y, kernels_on=None):
    if kernels_on is None:
        return lambda: model.train_step((x, y))
    from brickwork import kernels

    def step() -> None:
        with kernels.use_kernels(kernels_on):
            model.train_step((x, y))

    return step


def _torch_step(rnn, head, opt, tx, ty, bidirectional):
    import torch

    def step() -> None:
        opt.zero_grad()
        out, state = rnn(tx)
        if bidirectional:                   # the last layer's final states of both directions, as Keras's
            h_n = state[0] if isinstance(state, tuple) else state
            last = torch.cat([h_n[-2], h_n[-1]], dim=1)
        else:
            last = out[:, -1]
        loss = torch.nn.functional.mse_loss(head(last), ty)
        loss.backward()
        opt.step()

    return step


def _models(name, units, steps, features):
    """The brickwork model and the PyTorch (rnn, head, optimizer) of one row."""
    import torch

    import brickwork as bw
    from brickwork import layers, models

    kind, torch_kind, bidirectional = ROWS[name]
    bw.set_seed(0)
    layer_cls = getattr(layers, kind)
    stack = [layer_cls(units, return_sequences=True), layer_cls(units)]
    if bidirectional:
        stack = [layers.Bidirectional(layer) for layer in stack]
    model = models.Sequential([layers.Input(shape=(steps, features))] + stack + [layers.Dense(1)])
    model.compile(optimizer=bw.optimizers.SGD(0.01), loss="mse")
    rnn = getattr(torch.nn, torch_kind)(features, units, num_layers=2, batch_first=True, bidirectional=bidirectional)
    head = torch.nn.Linear(units * (2 if bidirectional else 1), 1)
    opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=0.01)
    return model, rnn, head, opt, bidirectional


def main() -> None:
    names = _only()
    args = parse_and_pin(repeats=9, steps=3, units=0)

    import numpy as np
    import torch

    from brickwork import kernels

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    batch, steps, features = 64, 50, 37
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    y = rng.standard_normal((batch, 1)).astype(np.float32)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    print(f"machine: {machine()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}")
    for name in names:
        for units in (64, 128) if not args.units else (args.units,):
            model, rnn, head, opt, bidirectional = _models(name, units, steps, features)
            runs = {"brickwork": _brickwork_step(model, x, y),
                    "pytorch": _torch_step(rnn, head, opt, tx, ty, bidirectional)}
            compare = kernels.enabled("recurrent")
            if compare:                      # the NumPy path in the same process, for the with/without table
                runs["numpy path"] = _brickwork_step(model, x, y, kernels_on=False)
            times = alternate(runs, repeats=args.repeats, steps=args.steps)
            extra = (f"; NumPy path {times['numpy path'] * 1e3:.1f} ms, ratio "
                     f"{times['numpy path'] / times['pytorch']:.2f}") if compare else ""
            label = "kernels" if compare else "NumPy"
            title = ("Bidirectional LSTM" if bidirectional else ROWS[name][0]) + f" 2x{units}"
            print(f"{title}: brickwork ({label}) {times['brickwork'] * 1e3:.1f} ms, "
                  f"pytorch {times['pytorch'] * 1e3:.1f} ms, ratio brickwork/pytorch = "
                  f"{times['brickwork'] / times['pytorch']:.2f}{extra}")
            report(f"{title}, batch {batch}, {steps}x{features}", args.threads, times["brickwork"] * 1e3,
                   times["pytorch"] * 1e3, "PyTorch", "ms")


if __name__ == "__main__":
    main()
