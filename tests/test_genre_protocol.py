"""brickwork.applications.genre_protocol: per-play subsets, whole-play splits (test and validation), the
pre-training text and the TF-IDF baseline, on fake plays."""

from __future__ import annotations

import numpy as np
import pytest

from brickwork.applications import genre_protocol as P
from brickwork.datasets.shakespeare_genres import split_by_play


def _corpus(plays_per_genre=5, passages=(3, 4, 6, 2, 5)):
    plays, labels = [], []
    for genre in ("comedy", "history", "tragedy"):
        for k in range(plays_per_genre):
            n = passages[k % len(passages)]
            plays += [f"{genre}/{k}"] * n
            labels += [genre] * n
    return np.asarray(labels), np.asarray(plays)


def test_per_play_subset_caps_each_play_and_is_seeded():
    labels, plays = _corpus()
    index = np.arange(len(plays))
    keep = P.per_play_subset(plays, index, 3, seed=0)
    counts = {p: int((plays[keep] == p).sum()) for p in set(plays)}
    assert counts == {p: min(3, int((plays == p).sum())) for p in set(plays)}
    assert np.array_equal(keep, np.sort(keep)) and np.array_equal(keep, P.per_play_subset(plays, index, 3, seed=0))
    assert not np.array_equal(keep, P.per_play_subset(plays, index, 3, seed=1))
    assert np.array_equal(P.per_play_subset(plays, index, 100, seed=0), index)  # a large cap keeps all


def test_test_split_is_split_by_play_and_train_is_a_per_play_subset():
    labels, plays = _corpus()
    for seed in (0, 3):
        train, evaluation, unlabelled = P.genre_splits(labels, plays, train_per_play=2, split_seed=seed)
        ref_train, ref_test = split_by_play(labels, plays, test_plays_per_class=2, seed=seed)
        assert np.array_equal(evaluation, ref_test) and np.array_equal(unlabelled, ref_train)
        assert set(train) <= set(unlabelled)
        assert all((plays[train] == p).sum() == min(2, (plays[unlabelled] == p).sum()) for p in set(plays[unlabelled]))
    other = P.genre_splits(labels, plays, train_per_play=2, split_seed=3)[1]
    assert set(plays[other]) != set(plays[P.genre_splits(labels, plays, 2, split_seed=0)[1]])


def test_validation_never_touches_the_test_plays():
    labels, plays = _corpus()
    test_plays = set(plays[P.genre_splits(labels, plays, 2)[1]])
    train, evaluation, unlabelled = P.genre_splits(labels, plays, train_per_play=2, validate=True)
    assert not (set(plays[evaluation]) | set(plays[unlabelled])) & test_plays
    assert not set(plays[evaluation]) & set(plays[unlabelled])
    assert len(set(plays[evaluation])) == 6 and set(labels[evaluation]) == {"comedy", "history", "tragedy"}
    assert len(set(plays[unlabelled])) == 3  # 15 plays - 6 test - 6 validation


def test_a_cap_above_every_play_labels_every_training_passage():
    labels, plays = _corpus()
    train, _, unlabelled = P.genre_splits(labels, plays, train_per_play=1000)
    assert np.array_equal(train, unlabelled)


def test_pretraining_passages_without_extra_plays_are_the_unlabelled_ones():
    texts = [f"passage {i}" for i in range(10)]
    assert P.pretraining_passages(texts, np.array([1, 4, 7]), extra_plays=False) == ["passage 1", "passage 4",
                                                                                     "passage 7"]


def test_tfidf_baseline_learns_word_cues():
    train = ["merry wooing jest"] * 5 + ["crown battle throne"] * 5 + ["grave poison murder"] * 5
    y = np.repeat([0, 1, 2], 5)
    test = ["a merry jest", "the crown and throne", "poison and grave"]
    assert P.tfidf_logistic_regression(train, y, test).tolist() == [0, 1, 2]


def test_per_play_subset_rejects_a_bad_cap():
    labels, plays = _corpus()
    with pytest.raises(ValueError, match="per_play_subset: per_play must be a positive integer"):
        P.per_play_subset(plays, np.arange(len(plays)), 0, seed=0)
    with pytest.raises(ValueError, match="per_play_subset: per_play"):
        P.genre_splits(labels, plays, train_per_play=-1)
