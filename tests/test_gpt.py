"""GPT builder, sampler and character tokenizer (brickwork.applications.gpt)."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork.applications import CharTokenizer, generate, gpt_model


def _tiny(vocab: int = 7, context: int = 8, **kwargs) -> bw.Model:
    bw.set_seed(0)
    kwargs.setdefault("num_layers", 2)
    kwargs.setdefault("num_heads", 2)
    kwargs.setdefault("embedding_dim", 16)
    return gpt_model(vocab, context, **kwargs)


def test_output_shape_and_parameter_count():
    v, t, d, layers_, ff = 7, 8, 16, 2, 40
    model = _tiny(v, t, intermediate_dim=ff)
    ids = np.random.default_rng(0).integers(0, v, (3, t)).astype(np.int32)
    assert model.predict_on_batch(ids).shape == (3, t, v)
    assert model.predict_on_batch(ids[:, :5]).shape == (3, 5, v)  # shorter contexts work too
    # embeddings + per block (4 attention projections with biases, 2 LNs, 2 FFN denses) + final LN + head
    block = 4 * (d * d + d) + 2 * 2 * d + (d * ff + ff) + (ff * d + d)
    expected = v * d + t * d + layers_ * block + 2 * d + (d * v + v)
    assert model.count_params() == expected


def test_default_intermediate_dim_is_four_times_embedding():
    model = _tiny()
    dense = model.get_layer("block_0")._feedforward_intermediate_dense
    assert dense.units == 4 * 16


def test_causality_later_tokens_do_not_change_earlier_logits():
    model = _tiny()
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 7, (2, 8)).astype(np.int32)
    changed = ids.copy()
    changed[:, 5:] = (changed[:, 5:] + 1 + rng.integers(0, 5, (2, 3))) % 7
    a, b = model.predict_on_batch(ids), model.predict_on_batch(changed)
    np.testing.assert_allclose(a[:, :5], b[:, :5], rtol=1e-5, atol=1e-6)
    assert np.abs(a[:, 5:] - b[:, 5:]).max() > 1e-4  # the later positions do see the change


def test_tiny_gpt_overfits_a_repeated_string():
    tok = CharTokenizer().fit("hello world ")
    data = tok.encode("hello world " * 20)
    model = _tiny(tok.vocabulary_size, 12)
    model.compile(optimizer=bw.optimizers.AdamW(3e-3, global_clipnorm=1.0),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    starts = np.arange(0, 24)
    x = np.stack([data[s:s + 12] for s in starts]).astype(np.int32)
    y = np.stack([data[s + 1:s + 13] for s in starts]).astype(np.int32)
    first = None
    for _ in range(150):
        model.reset_metrics()
        loss = model.train_step((x, y))["loss"]
        first = loss if first is None else first
    assert first > 1.5  # starts near ln(8) ~ 2.08
    # the string is deterministic after its first character: the loss must approach 0
    assert loss < 0.3


def _greedy(model: bw.Model, prompt: list[int], n: int, context: int) -> list[int]:
    ids = list(prompt)
    for _ in range(n):
        logits = model.predict_on_batch(np.asarray([ids[-context:]], dtype=np.int32))[0, -1]
        ids.append(int(np.argmax(logits)))
    return ids


def test_generate_top_k_1_is_greedy_and_crops_the_context():
    model = _tiny(context=4)
    out = generate(model, [1, 2], 7, top_k=1, seed=3)
    assert out.shape == (9,) and out.dtype == np.int64
    assert out.tolist() == _greedy(model, [1, 2], 7, context=4)


def test_generate_seed_determinism():
    model = _tiny()
    a = generate(model, [0, 3], 10, temperature=1.5, seed=11)
    b = generate(model, [0, 3], 10, temperature=1.5, seed=11)
    c = generate(model, [0, 3], 10, temperature=1.5, seed=12)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert ((a >= 0) & (a < 7)).all()
    np.testing.assert_array_equal(generate(model, [4], 0), [4])


def test_generate_samples_follow_the_softmax():
    # a 1-layer model's first-step distribution, sampled many times via independent seeds
    model = _tiny(vocab=4, num_layers=1)
    logits = model.predict_on_batch(np.asarray([[2]], dtype=np.int32))[0, -1].astype(np.float64)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    draws = np.array([generate(model, [2], 1, seed=s)[-1] for s in range(400)])
    freq = np.bincount(draws, minlength=4) / len(draws)
    assert np.abs(freq - p).max() < 0.08


def test_char_tokenizer_round_trip_and_config():
    text = "To be, or not to be:\nthat is the question."
    tok = CharTokenizer().fit(text)
    assert tok.vocabulary == sorted(set(text))
    ids = tok.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert tok.decode(ids) == text
    again = CharTokenizer.from_config(tok.get_config())
    assert isinstance(tok.get_config()["vocabulary"], list)
    np.testing.assert_array_equal(again.encode(text), ids)
    assert tok.decode([]) == ""


@pytest.mark.parametrize("kwargs, match", [
    ({"vocabulary_size": 0}, "vocabulary_size"),
    ({"sequence_length": 2.5}, "sequence_length"),
    ({"num_heads": 3}, "divisible by num_heads"),
    ({"intermediate_dim": -1}, "intermediate_dim"),
    ({"dropout": 1.0}, "dropout"),
    ({"num_layers": 0}, "num_layers"),
])
def test_gpt_model_bad_arguments(kwargs, match):
    args = {"vocabulary_size": 5, "sequence_length": 4, "num_layers": 1, "num_heads": 2, "embedding_dim": 8}
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"gpt_model.*{match}"):
        gpt_model(**args)


@pytest.mark.parametrize("call, match", [
    (lambda m: generate(m, [], 3), "prompt_ids"),
    (lambda m: generate(m, [[1, 2]], 3), "prompt_ids"),
    (lambda m: generate(m, [1], -1), "max_new_tokens"),
    (lambda m: generate(m, [1], 2, temperature=0.0), "temperature"),
    (lambda m: generate(m, [1], 2, top_k=0), "top_k"),
])
def test_generate_bad_arguments(call, match):
    model = _tiny()
    with pytest.raises(ValueError, match=f"generate.*{match}"):
        call(model)


def test_generate_needs_a_gpt_model():
    model = bw.Sequential([bw.layers.Input(shape=(None,), dtype="int32"), bw.layers.Embedding(5, 4),
                           bw.layers.Dense(5)])
    with pytest.raises(ValueError, match="TokenAndPositionEmbedding"):
        generate(model, [1], 1)


def test_char_tokenizer_errors():
    tok = CharTokenizer()
    with pytest.raises(ValueError, match="CharTokenizer.encode.*fit"):
        tok.encode("a")
    with pytest.raises(ValueError, match="CharTokenizer.fit"):
        tok.fit("")
    tok.fit("abc")
    with pytest.raises(ValueError, match="'z' is not in the vocabulary of 3"):
        tok.encode("abz")
    with pytest.raises(ValueError, match=r"id 3 is outside \[0, 3\)"):
        tok.decode([0, 3])
    with pytest.raises(ValueError, match="repeated"):
        CharTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="single characters"):
        CharTokenizer(["ab"])

