"""Word vectors end to end (seed 000/001): train skip-gram on Debian's fortunes, print the
seed's "most similar words" table, project chosen words by PCA, and use the vectors as
the frozen or fine-tuned ``Embedding`` of a classifier that tells which fortune file a
fortune comes from.

Run: python examples/word_vectors.py [--out DIR]
"""

from __future__ import annotations

import argparse
import glob
import os

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.datasets.corpora import FORTUNES, fortunes_sentences, lee_sentences, simple_tokenize
from brickwork.text import Tokenizer, Word2Vec, pad_sequences

CATEGORIES = ["computers", "food", "love", "sports"]


def similar_table(wv, word: str, topn: int = 12) -> str:
    rows = [f"-----{word}-----", f"{'Word':<16}Cosine similarity"]
    rows += [f"{w:<16}{s:.6f}" for w, s in wv.most_similar(word, topn=topn)]
    return "\n".join(rows)


def fortune_categories() -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for label, name in enumerate(CATEGORIES):
        with open(os.path.join(FORTUNES, name), encoding="latin-1") as handle:
            for fortune in handle.read().split("\n%\n"):
                if simple_tokenize(fortune):
                    texts.append(" ".join(simple_tokenize(fortune)))
                    labels.append(label)
    return texts, np.array(labels)


def classify(wv, texts: list[str], y: np.ndarray, mode: str, seed: int = 0) -> float:
    tok = Tokenizer()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))
    texts, y = [texts[i] for i in order], y[order]
    cut = int(0.8 * len(texts))
    tok.fit_on_texts(texts[:cut])
    x = pad_sequences(tok.texts_to_sequences(texts), maxlen=60, padding="post")
    bw.set_seed(seed)
    if mode == "random":
        embedding = layers.Embedding(len(tok.word_index) + 1, wv.vector_size, mask_zero=True)
    else:
        embedding = wv.embedding_layer(tok.word_index, trainable=(mode == "fine-tuned"), mask_zero=True)
    model = bw.Sequential([layers.Input(shape=(60,), dtype="int32"), embedding, layers.GlobalAveragePooling1D(),
                           layers.Dense(len(CATEGORIES), activation="softmax")])
    model.compile(bw.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:cut], y[:cut], epochs=15, batch_size=32, verbose=0)
    return float(model.evaluate(x[cut:], y[cut:], verbose=0)[1])


def main(out: str = "word-vectors-out", seed: int = 1) -> dict:
    if not glob.glob(os.path.join(FORTUNES, "computers")):
        raise SystemExit("This example needs Debian's 'fortunes' package (apt-get install fortunes).")
    corpus = fortunes_sentences() + lee_sentences()
    print(f"Data: Debian's fortunes (brickwork.datasets.corpora.fortunes_sentences, from {FORTUNES}) + gensim's Lee "
          f"corpus (lee_sentences, from gensim's test data): {len(corpus):,} sentences, "
          f"{sum(map(len, corpus)):,} words", flush=True)
    model = Word2Vec(corpus, vector_size=100, window=5, min_count=5, sg=1, epochs=10, seed=seed)
    wv = model.wv
    print(f"{len(wv)} words, trained at {model.words_per_second:,.0f} words/s")
    for word in ("computer", "love", "money"):
        print(similar_table(wv, word), end="\n\n")
    os.makedirs(out, exist_ok=True)
    pairs = [("man", "woman"), ("king", "queen"), ("boy", "girl"), ("father", "mother"), ("he", "she")]
    figure = bw.plot.word_vectors(wv, [w for p in pairs for w in p], os.path.join(out, "pca.png"), pairs=pairs)
    texts, y = fortune_categories()
    accuracy = {mode: classify(wv, texts, y, mode) for mode in ("random", "frozen", "fine-tuned")}
    majority = float(np.bincount(y).max() / len(y))
    print("fortune category (" + ", ".join(CATEGORIES) + ") from averaged word vectors, test accuracy: "
          + ", ".join(f"{k} {v:.3f}" for k, v in accuracy.items()) + f" (majority class {majority:.3f})")
    return {"vocabulary": len(wv), "figure": figure, "accuracy": accuracy, "majority": majority,
            "tables": {w: wv.most_similar(w, topn=12) for w in ("computer", "love", "money")}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="word-vectors-out")
    main(parser.parse_args().out)
