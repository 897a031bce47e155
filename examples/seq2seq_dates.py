"""Sequence to sequence with attention (seed 004): human-written dates to ISO dates.

"Saturday, November 21, 2026", "21 Nov 2026", "21.11.2026", ... → "2026-11-21".
A character-level encoder (embedding + bidirectional LSTM) reads the source;
an LSTM decoder, started from the encoder's final states and fed the previous
target character (teacher forcing), attends over the encoder outputs with the
dot score at every step. Decoding at test time is greedy, one character at a
time. The answer is checkable, so we report exact-match accuracy on held-out
dates, and draw the attention heat map of one example.

Run: python examples/seq2seq_dates.py [--samples 20000] [--epochs 12] [--out DIR]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.datasets import dates

SOURCE_CHARS, TARGET_CHARS = dates.SOURCE_CHARS, dates.TARGET_CHARS
IN_LEN, OUT_LEN = dates.SOURCE_LENGTH, dates.TARGET_LENGTH
START = dates.START  # decoder start token (0 is padding)
make_dates, encode = dates.date_pairs, dates.encode


def build() -> tuple[bw.Model, bw.Model]:
    enc_in = layers.Input(shape=(IN_LEN,), dtype="int32", name="source")
    dec_in = layers.Input(shape=(OUT_LEN,), dtype="int32", name="previous")
    emb = layers.Embedding(len(SOURCE_CHARS) + 1, 32, mask_zero=True)(enc_in)
    enc_seq, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(64, return_sequences=True, return_state=True))(emb)
    h, c = layers.concatenate([fh, bh]), layers.concatenate([fc, bc])
    dec_emb = layers.Embedding(len(TARGET_CHARS) + 2, 32)(dec_in)
    dec_seq = layers.LSTM(128, return_sequences=True)(dec_emb, initial_state=[h, c])
    context, weights = layers.Attention()([dec_seq, enc_seq], return_attention_scores=True)
    probs = layers.Dense(len(TARGET_CHARS) + 1, activation="softmax")(layers.concatenate([dec_seq, context]))
    return bw.Model([enc_in, dec_in], probs, name="dates"), bw.Model([enc_in, dec_in], weights, name="alignment")


def teacher_inputs(y: np.ndarray) -> np.ndarray:
    return np.concatenate([np.full((len(y), 1), START), y[:, :-1]], axis=1)


def greedy_decode(model: bw.Model, x: np.ndarray) -> np.ndarray:
    prev = np.zeros((len(x), OUT_LEN), np.int64)
    prev[:, 0] = START
    out = np.zeros((len(x), OUT_LEN), np.int64)
    for step in range(OUT_LEN):
        probs = model.predict([x, prev], batch_size=256, verbose=0)
        out[:, step] = probs[:, step].argmax(-1)
        if step + 1 < OUT_LEN:
            prev[:, step + 1] = out[:, step]
    return out


def decode_text(ids: np.ndarray) -> str:
    return dates.decode(ids)


def main(samples: int = 20000, epochs: int = 12, out: str | None = None, seed: int = 0, verbose: int = 2) -> dict:
    bw.set_seed(seed)
    src, tgt = make_dates(samples + 2000, seed)
    x, y = encode(src, SOURCE_CHARS, IN_LEN), encode(tgt, TARGET_CHARS, OUT_LEN)
    x_train, y_train, x_test, y_test = x[:samples], y[:samples], x[samples:], y[samples:]
    model, alignment = build()
    model.compile(optimizer=bw.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit([x_train, teacher_inputs(y_train)], y_train, batch_size=128, epochs=epochs, validation_split=0.05,
              verbose=verbose)
    predicted = greedy_decode(model, x_test)
    exact = float(np.mean(np.all(predicted == y_test, axis=1)))
    examples = [(src[samples + i], decode_text(predicted[i])) for i in range(5)]
    print(f"held-out exact-match accuracy: {exact:.4f} on {len(x_test)} dates")
    for source, guess in examples:
        print(f"  {source!r:32} -> {guess}")
    result = {"exact_match": exact, "test_size": len(x_test), "examples": examples}
    if out:
        os.makedirs(out, exist_ok=True)
        weights = alignment.predict([x_test[:1], teacher_inputs(predicted[:1])], verbose=0)[0]
        length = int((x_test[0] > 0).sum())
        result["heatmap"] = bw.plot.attention(weights[:, :length], os.path.join(out, "attention.png"),
                                              source=list(src[samples][:length]), target=list(tgt[samples]))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--out", default="seq2seq-dates-out")
    args = parser.parse_args()
    main(args.samples, args.epochs, args.out)
