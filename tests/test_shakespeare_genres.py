"""brickwork.datasets.shakespeare_genres: genre-labelled passages from fake plays, and the by-play split."""

from __future__ import annotations

import numpy as np
import pytest

from brickwork.datasets import shakespeare_genres as G


def _play(speaker: str, words: list[str]) -> str:
    return f"# Title\n\n## ACT I\n\n**{speaker}**  \n" + "  \n".join(words) + "\n"


def _write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_spoken_words_drops_speaker_lines_unless_asked():
    text = "ALPHA:\none two\nthree\n\nBETA:\nfour\n"
    assert G.spoken_words(text) == ["one", "two", "three", "four"]
    assert G.spoken_words(text, keep_speakers=True) == ["ALPHA:", "one", "two", "three", "BETA:", "four"]


def test_passages_labels_and_plays(tmp_path):
    _write(tmp_path, "comedies/a.md", _play("Puck", [f"c{i}" for i in range(7)]))
    _write(tmp_path, "roman/b.md", _play("Brutus", [f"r{i}" for i in range(3)]))
    _write(tmp_path, "romances/skip.md", _play("Prospero", ["x"] * 9))
    texts, labels, plays = G.genre_passages(root=str(tmp_path), words=3)
    assert texts == ["c0 c1 c2", "c3 c4 c5", "r0 r1 r2"]  # the last incomplete piece (c6) is dropped
    assert labels.tolist() == ["comedy", "comedy", "tragedy"]
    assert plays.tolist() == ["comedies/a", "comedies/a", "roman/b"]
    assert not any("PUCK" in t for t in texts)
    texts, _, _ = G.genre_passages(root=str(tmp_path), words=4, keep_speakers=True)
    assert texts[0] == "PUCK: c0 c1 c2"


def test_max_per_play_keeps_a_seeded_ordered_subset(tmp_path):
    _write(tmp_path, "histories/h.md", _play("King", [f"w{i}" for i in range(20)]))
    texts, _, _ = G.genre_passages(root=str(tmp_path), words=2, max_per_play=4, seed=3)
    again, _, _ = G.genre_passages(root=str(tmp_path), words=2, max_per_play=4, seed=3)
    assert texts == again and len(texts) == 4
    starts = [int(t.split()[0][1:]) for t in texts]
    assert starts == sorted(starts) and all(s % 2 == 0 for s in starts)


def test_passage_errors(tmp_path):
    with pytest.raises(ValueError, match="words must be a positive integer"):
        G.genre_passages(root=str(tmp_path), words=0)
    with pytest.raises(ValueError, match="max_per_play"):
        G.genre_passages(root=str(tmp_path), max_per_play=-1)
    _write(tmp_path, "comedies/a.md", _play("Puck", ["one"]))
    with pytest.raises(ValueError, match="no passage of 5 words"):
        G.genre_passages(root=str(tmp_path), words=5)


def test_split_by_play_holds_out_whole_plays():
    plays = np.array(["c1"] * 3 + ["c2"] * 2 + ["c3"] * 4 + ["t1"] * 2 + ["t2"] * 5)
    labels = np.array(["comedy"] * 9 + ["tragedy"] * 7)
    train, test = G.split_by_play(labels, plays, test_plays_per_class=1, seed=0)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(16))
    assert not set(plays[train]) & set(plays[test])
    assert len(set(plays[test])) == 2 and set(labels[test]) == {"comedy", "tragedy"}
    again = G.split_by_play(labels, plays, test_plays_per_class=1, seed=0)
    assert np.array_equal(again[1], test)


def test_split_errors():
    with pytest.raises(ValueError, match="one shape"):
        G.split_by_play(np.array(["a", "b"]), np.array(["p"]))
    with pytest.raises(ValueError, match="has 1 plays"):
        G.split_by_play(np.array(["a", "a"]), np.array(["p", "p"]), test_plays_per_class=1)
    with pytest.raises(ValueError, match="also carries another label"):
        G.split_by_play(np.array(["a", "b", "a", "b"]), np.array(["p", "p", "q", "r"]), test_plays_per_class=1)


def _example():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "shakespeare_genre.py"
    spec = importlib.util.spec_from_file_location("shakespeare_genre_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_never_pretrains_or_validates_on_test_plays(tmp_path):
    """The genre example's splits: pre-training text and validation plays come from training plays only."""
    example = _example()
    for genre, folder in (("comedy", "comedies"), ("history", "histories"), ("tragedy", "tragedies")):
        for k in range(5):
            _write(tmp_path, f"{folder}/{genre}{k}.md", _play("Speaker", [f"{genre}{k}w{i}" for i in range(130)]))
    _write(tmp_path, "problems/p.md", _play("Helena", [f"problemw{i}" for i in range(70)]))
    _write(tmp_path, "romances/r.md", _play("Prospero", [f"romancew{i}" for i in range(70)]))
    texts, labels, plays = G.genre_passages(root=str(tmp_path), words=example.WORDS)
    assert len(texts) == 30  # two passages of each of the 15 labelled plays
    test_plays = set(plays[G.split_by_play(labels, plays, test_plays_per_class=2, seed=0)[1]])
    for validate in (False, True):
        train, evaluation, unlabelled = example.splits(labels, plays, train_per_play=1, validate=validate)
        assert set(train) <= set(unlabelled) and len(train) == len(set(plays[unlabelled]))  # one per play
        assert len(set(plays[evaluation])) == 6 and not set(plays[unlabelled]) & set(plays[evaluation])
        if validate:
            assert not (set(plays[unlabelled]) | set(plays[evaluation])) & test_plays
        else:
            assert set(plays[evaluation]) == test_plays
        corpus = example.pretraining_passages(texts, unlabelled, extra_plays=True, root=str(tmp_path))
        sources = {word.split("w")[0] for passage in corpus for word in passage.split()}  # 'comedy3w17' -> 'comedy3'
        held_out = {play.split("/")[1] for play in set(plays[evaluation]) | test_plays}
        assert not sources & held_out, "a held-out play's text reached pre-training"
        assert sources == {play.split("/")[1] for play in set(plays[unlabelled])} | {"problem", "romance"}
        assert len(example.pretraining_passages(texts, unlabelled, extra_plays=False)) == len(unlabelled)
