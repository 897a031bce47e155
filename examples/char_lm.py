"""A character-level language model (LSTM) that writes like its training text, sampled with temperature.

The text is the English of Debian's ``fortunes`` package (public domain and free
quotations, jokes and aphorisms in /usr/share/games/fortunes; ``apt-get install
fortunes``). Without it the script trains on a small generated corpus instead,
and says so.

Run: python examples/char_lm.py [--chars 300000] [--epochs 20] [--units 128]
"""

from __future__ import annotations

import argparse
import glob
import os

import numpy as np

import brickwork as bw
from brickwork import layers

FORTUNES = "/usr/share/games/fortunes"


def load_text(max_chars: int) -> tuple[str, str]:
    """The fortunes files joined (printable ASCII only), or a generated fallback; returns (text, source)."""
    files = sorted(p for p in glob.glob(os.path.join(FORTUNES, "*")) if os.path.isfile(p)
                   and not p.endswith((".dat", ".u8")))
    if files:
        parts = []
        for path in files:
            with open(path, encoding="latin-1") as handle:
                parts.append(handle.read())
        text = "".join(ch for ch in "\n".join(parts) if 32 <= ord(ch) < 127 or ch == "\n")
        return text[:max_chars], f"Debian fortunes ({len(files)} files)"
    rng = np.random.default_rng(0)
    subjects = ["the cat", "a programmer", "my friend", "the computer", "an old man", "the sea"]
    verbs = ["likes", "sees", "writes", "finds", "remembers", "dreams of"]
    objects = ["the moon", "a bug", "good coffee", "the answer", "a long road", "nothing at all"]
    sentences = [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}." for _ in range(max_chars // 30)]
    return " ".join(sentences)[:max_chars], "generated sentences (fortunes not installed)"


def build(vocab: int, units: int) -> bw.Model:
    return bw.Sequential([layers.Input(shape=(None,), dtype="int32"), layers.Embedding(vocab, 32),
                          layers.LSTM(units, return_sequences=True), layers.LSTM(units, return_sequences=True),
                          layers.Dense(vocab, activation="softmax")], name="char_lm")


def sample(model: bw.Model, seed_text: str, chars: list[str], length: int, temperature: float,
           rng: np.random.Generator, context: int = 64) -> str:
    """Generate ``length`` characters: p_i ∝ p_i^(1/temperature) at every step."""
    index = {c: i for i, c in enumerate(chars)}
    ids = [index[c] for c in seed_text if c in index]
    for _ in range(length):
        probs = model.predict(np.array([ids[-context:]]), verbose=0)[0, -1].astype(np.float64)
        logits = np.log(np.maximum(probs, 1e-12)) / temperature
        p = np.exp(logits - logits.max())
        ids.append(int(rng.choice(len(p), p=p / p.sum())))
    return "".join(chars[i] for i in ids)


def main(max_chars: int = 300_000, epochs: int = 20, units: int = 128, seq_len: int = 64, seed: int = 0,
         verbose: int = 2) -> dict:
    bw.set_seed(seed)
    text, source = load_text(max_chars)
    chars = sorted(set(text))
    ids = np.searchsorted(chars, list(text))
    n = (len(ids) - 1) // seq_len
    x = ids[:n * seq_len].reshape(n, seq_len)
    y = ids[1:n * seq_len + 1].reshape(n, seq_len)
    model = build(len(chars), units)
    model.compile(optimizer=bw.optimizers.Adam(0.003, clipnorm=5.0), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=64, epochs=epochs, validation_split=0.05, verbose=verbose)
    rng = np.random.default_rng(seed)
    samples = {t: sample(model, "The ", chars, 240, t, rng) for t in (0.5, 1.0)}
    bits = history.history["val_loss"][-1] / np.log(2)
    print(f"trained on {len(text):,} characters of {source}; vocabulary {len(chars)}")
    print(f"validation loss {history.history['val_loss'][-1]:.3f} nats/char = {bits:.2f} bits/char")
    for t, s in samples.items():
        print(f"--- temperature {t} ---\n{s}\n")
    return {"source": source, "chars": len(text), "val_loss": history.history["val_loss"][-1],
            "bits_per_char": bits, "samples": samples}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=300_000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--units", type=int, default=128)
    args = parser.parse_args()
    main(args.chars, args.epochs, args.units)
