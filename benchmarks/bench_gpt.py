"""One GPT training step (forward + backward + AdamW with global clipping), brickwork vs PyTorch.

nanoGPT's CPU Shakespeare shapes: vocabulary 76, context 64, batch 12, 4 pre-LN decoder blocks of 4 heads,
embedding 128, feed-forward 512 (GELU), final LayerNorm and a Dense head; sparse categorical cross-entropy
from logits averaged over all positions. The PyTorch model is the same architecture from torch.nn layers
(``nn.MultiheadAttention`` with a causal mask). float32, one process, alternating runs, medians; BLAS
threads equal for both.

With ``--kernels on`` (the default) the ``"transformer"`` kernel family (numba: the attention softmax,
layer norm and GELU) runs as well as the default families; ``--kernels off`` runs the NumPy reference.

Usage: python benchmarks/bench_gpt.py [--threads N] [--repeats R] [--steps S] [--kernels on|off]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import alternate, machine, parse_and_pin, report  # noqa: E402

VOCAB, CONTEXT, BATCH, LAYERS, HEADS, DIM = 76, 64, 12, 4, 4, 128


def _torch_model():
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
            self.attn = nn.MultiheadAttention(DIM, HEADS, batch_first=True)
            self.ffn = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))

        def forward(self, h, mask):
            a = self.ln1(h)
            h = h + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
            return h + self.ffn(self.ln2(h))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok, self.pos = nn.Embedding(VOCAB, DIM), nn.Embedding(CONTEXT, DIM)
            self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
            self.ln, self.head = nn.LayerNorm(DIM), nn.Linear(DIM, VOCAB)
            self.register_buffer("mask", torch.triu(torch.ones(CONTEXT, CONTEXT, dtype=torch.bool), 1))

        def forward(self, ids):
            t = ids.shape[1]
            h = self.tok(ids) + self.pos(torch.arange(t))
            for block in self.blocks:
                h = block(h, self.mask[:t, :t])
            return self.head(self.ln(h))

    return GPT()


def _torch_step(model, opt, tx, ty):
    import torch

    def step() -> None:
        opt.zero_grad()
        logits = model(tx)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), ty.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    return step


def main() -> None:
    args = parse_and_pin(repeats=9, steps=5)

    import numpy as np
    import torch

    import brickwork as bw
    from brickwork.applications.gpt import gpt_model

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, (BATCH, CONTEXT)).astype(np.int32)
    y = rng.integers(0, VOCAB, (BATCH, CONTEXT)).astype(np.int32)
    tx, ty = torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.int64))
    print(f"machine: {machine()}; threads: {args.threads}; numpy {np.__version__}, torch {torch.__version__}")

    bw.set_seed(0)
    model = gpt_model(VOCAB, CONTEXT, num_layers=LAYERS, num_heads=HEADS, embedding_dim=DIM)
    model.compile(optimizer=bw.optimizers.AdamW(1e-3, beta_2=0.99, weight_decay=0.1, global_clipnorm=1.0),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    tmodel = _torch_model()
    n_bw, n_torch = model.count_params(), sum(p.numel() for p in tmodel.parameters())
    opt = torch.optim.AdamW(tmodel.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)

    runs = {"brickwork": lambda: model.train_step((x, y)), "pytorch": _torch_step(tmodel, opt, tx, ty)}
    times = alternate(runs, repeats=args.repeats, steps=args.steps)
    print(f"GPT {LAYERS}x{DIM} (heads {HEADS}, context {CONTEXT}, batch {BATCH}; parameters brickwork {n_bw:,}, "
          f"pytorch {n_torch:,}): brickwork {times['brickwork'] * 1e3:.1f} ms, pytorch "
          f"{times['pytorch'] * 1e3:.1f} ms, ratio brickwork/pytorch = {times['brickwork'] / times['pytorch']:.2f}")
    report(f"GPT {LAYERS}x{DIM} train step, batch {BATCH}", args.threads, times["brickwork"] * 1e3,
           times["pytorch"] * 1e3, "PyTorch", "ms")


if __name__ == "__main__":
    main()
