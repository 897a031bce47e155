"""brickwork.applications.masked_lm: BERT's masking rule, the masked-LM head and loss, pre-training, transfer."""

from __future__ import annotations

import math

import numpy as np
import pytest

import brickwork as bw
from brickwork.applications.masked_lm import (
    copy_encoder_weights,
    mask_tokens,
    masked_lm_loss,
    masked_lm_model,
    pretrain_masked_lm,
    pretraining_cache_key,
    warmup_cosine_schedule,
)
from brickwork.applications.text_encoder import bert_classifier

V, MASK = 40, 40  # real ids 0..39 (0 = padding); [MASK] = 40


def _padded(rows, length, seed=0, vocabulary=V):
    rng = np.random.default_rng(seed)
    ids = np.zeros((rows, length), dtype=np.int64)
    lengths = rng.integers(0, length + 1, size=rows)
    for i, n in enumerate(lengths):
        ids[i, :n] = rng.integers(1, vocabulary, size=n)
    return ids, lengths


def _tiny_mlm(**kwargs):
    args = dict(vocabulary_size=V + 1, sequence_length=12, num_layers=1, num_heads=2, embedding_dim=8,
                intermediate_dim=16, dropout=0.0)
    args.update(kwargs)
    return masked_lm_model(**args)


def test_counts_positions_and_targets_follow_the_rule():
    ids, lengths = _padded(300, 20, seed=1)
    draw = mask_tokens(ids, MASK, V, rate=0.15, seed=0)
    expected = np.where(lengths > 0, np.maximum(1, np.floor(0.15 * lengths + 0.5)), 0)
    np.testing.assert_array_equal(draw.weights.sum(axis=1), expected)
    assert draw.positions.shape == draw.targets.shape == draw.weights.shape == (300, int(expected.max()))
    for i in range(300):
        k = int(expected[i])
        chosen = draw.positions[i, :k]
        assert len(set(chosen.tolist())) == k and np.all(np.diff(chosen) > 0)  # distinct, ascending
        assert np.all(chosen < lengths[i])  # real tokens only: padding is never drawn
        np.testing.assert_array_equal(draw.targets[i, :k], ids[i, chosen])
        assert np.all(draw.weights[i, k:] == 0) and np.all(draw.targets[i, k:] == 0)
        others = np.setdiff1d(np.arange(20), chosen)
        np.testing.assert_array_equal(draw.inputs[i, others], ids[i, others])  # nothing else changes
    assert draw.inputs.dtype == np.int32 and draw.weights.dtype == np.float32


def test_80_10_10_on_a_large_draw():
    ids = np.random.default_rng(2).integers(1, V, size=(4000, 50))
    draw = mask_tokens(ids, MASK, V, seed=3)
    rows, slots = np.nonzero(draw.weights)
    shown = draw.inputs[rows, draw.positions[rows, slots]]
    original = draw.targets[rows, slots]
    n = shown.size
    assert n == 4000 * 8  # floor(0.15 * 50 + 0.5) = 8 per row
    masked = (shown == MASK).mean()
    kept = (shown == original).mean()
    replaced = ((shown != MASK) & (shown != original)).mean()
    tolerance = 4 * math.sqrt(0.8 * 0.2 / n)  # four binomial standard deviations
    assert abs(masked - 0.8) < tolerance
    # a random replacement equals the original with probability 1 / (V - 1)
    assert abs(kept - (0.1 + 0.1 / (V - 1))) < tolerance
    assert abs(replaced - 0.1 * (1 - 1 / (V - 1))) < tolerance
    random_ids = shown[(shown != MASK)]
    assert random_ids.min() >= 1 and random_ids.max() < V  # never padding, never outside the vocabulary
    # the replacements cover the vocabulary roughly uniformly
    counts = np.bincount(shown[(shown != MASK) & (shown != original)], minlength=V)[1:]
    assert counts.min() > 0.5 * counts.mean() and counts.max() < 1.5 * counts.mean()


def test_rates_and_cap_are_honoured():
    ids = np.random.default_rng(4).integers(1, V, size=(50, 40))
    draw = mask_tokens(ids, MASK, V, rate=0.5, mask_token_rate=1.0, random_token_rate=0.0, seed=0)
    assert np.all(draw.weights.sum(axis=1) == 20)
    assert np.all(draw.inputs[draw.weights.sum(axis=1) > 0][:, :].max() <= MASK)
    rows, slots = np.nonzero(draw.weights)
    assert np.all(draw.inputs[rows, draw.positions[rows, slots]] == MASK)
    keep_all = mask_tokens(ids, MASK, V, rate=0.5, mask_token_rate=0.0, random_token_rate=0.0, seed=0)
    np.testing.assert_array_equal(keep_all.inputs, ids)
    capped = mask_tokens(ids, MASK, V, rate=0.5, max_predictions=3, seed=0)
    assert capped.positions.shape == (50, 3) and np.all(capped.weights == 1)


def test_all_padding_rows_and_a_custom_padding_id():
    ids = np.full((3, 6), 7)
    ids[1, :2] = [3, 4]
    draw = mask_tokens(ids, MASK, V, padding_id=7, seed=0)
    assert draw.weights.sum(axis=1).tolist() == [0, 1, 0]
    np.testing.assert_array_equal(draw.inputs[[0, 2]], ids[[0, 2]])
    assert draw.positions[1, 0] in (0, 1)
    random_ids = mask_tokens(np.ones((2000, 10), dtype=int), MASK, 9, padding_id=7, mask_token_rate=0.0,
                             random_token_rate=1.0, seed=1).inputs
    assert 7 not in random_ids and set(np.unique(random_ids).tolist()) <= set(range(9)) - {7}


def test_seeded():
    ids, _ = _padded(64, 16, seed=5)
    a, b = mask_tokens(ids, MASK, V, seed=11), mask_tokens(ids, MASK, V, seed=11)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = mask_tokens(ids, MASK, V, seed=12)
    assert not np.array_equal(a.inputs, c.inputs)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"rate": 0.0}, ValueError, r"rate must be in \(0, 1\)"),
    ({"rate": 1.0}, ValueError, r"rate must be in \(0, 1\)"),
    ({"rate": -0.2}, ValueError, r"rate must be in \(0, 1\)"),
    ({"rate": "0.15"}, ValueError, "rate must be a number"),
    ({"mask_id": 5}, ValueError, r"mask_id 5 is inside the vocabulary range \[0, 40\)"),
    ({"mask_id": 0}, ValueError, "mask_id 0 is inside the vocabulary range"),
    ({"mask_id": -1}, ValueError, "mask_id must be non-negative"),
    ({"mask_id": 40.0}, ValueError, "mask_id must be an integer"),
    ({"ids": np.ones((2, 3), dtype=np.float32)}, TypeError, "ids must be an integer array; got dtype float32"),
    ({"ids": np.ones(5, dtype=int)}, ValueError, r"ids must have shape \(batch, sequence\)"),
    ({"ids": np.full((2, 3), 40)}, ValueError, r"ids must lie in \[0, 40\)"),
    ({"mask_token_rate": 0.95}, ValueError, "mask_token_rate \\+ random_token_rate must be at most 1"),
    ({"random_token_rate": 1.5}, ValueError, r"random_token_rate must be in \[0, 1\]"),
    ({"max_predictions": 0}, ValueError, "max_predictions must be a positive integer"),
    ({"vocabulary_size": 0, "mask_id": 3}, ValueError, "vocabulary_size must be a positive integer"),
    ({"padding_id": 40}, ValueError, "padding_id 40 must be in"),
])
def test_bad_inputs_name_the_argument(kwargs, error, message):
    args = dict(ids=np.ones((2, 3), dtype=int), mask_id=MASK, vocabulary_size=V)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        mask_tokens(**args)


def _gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2)))


def _layer_norm(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_head_logits_and_loss_equal_numpy():
    """The head gathers the drawn positions and scores them with the tied embedding; the loss is the mean
    cross-entropy over the drawn positions only (NumPy, from the model's weights and the encoder's output)."""
    bw.utils.set_random_seed(0)
    model = _tiny_mlm()
    ids, _ = _padded(16, 12, seed=6)
    ids[:, 0] = 5  # no empty row
    draw = mask_tokens(ids, MASK, V, rate=0.3, seed=1)
    logits = np.asarray(model.predict([draw.inputs, draw.positions], verbose=0), dtype=np.float64)
    assert logits.shape == draw.positions.shape + (V + 1,)

    encoder = bw.models.Model(model.inputs[0], model.get_layer("encoder_0").output)
    h = np.asarray(encoder.predict(draw.inputs, verbose=0), dtype=np.float64)
    head = model.get_layer("mlm_head")
    kernel, bias = (np.asarray(w, np.float64) for w in head.intermediate_dense.get_weights())
    gamma, beta = (np.asarray(w, np.float64) for w in head.intermediate_layer_norm.get_weights())
    table = np.asarray(model.get_layer("embedding").token_embedding.get_weights()[0], np.float64)
    output_bias = np.asarray(head.output_bias.numpy(), np.float64)
    gathered = np.take_along_axis(h, draw.positions[:, :, None].astype(np.int64), axis=1)
    expected = _layer_norm(_gelu(gathered @ kernel + bias), gamma, beta) @ table.T + output_bias
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-5)

    model.compile(loss=masked_lm_loss())
    loss = model.evaluate([draw.inputs, draw.positions], draw.targets, sample_weight=draw.weights,
                          batch_size=16, verbose=0)
    shifted = logits - logits.max(-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    nll = -np.take_along_axis(log_p, draw.targets[:, :, None].astype(np.int64), axis=-1)[..., 0]
    used = draw.weights > 0
    assert (~used).any()  # some padded slots exist, and they must not count
    np.testing.assert_allclose(float(loss), nll[used].mean(), rtol=1e-5)
    assert not np.isclose(nll[used].mean(), nll.mean())


def test_untied_head_has_its_own_output_matrix():
    tied, untied = _tiny_mlm(), _tiny_mlm(tie_weights=False)
    assert untied.count_params() - tied.count_params() == 8 * (V + 1)


def test_tiny_pretraining_lowers_the_loss():
    """Every row repeats one id: a masked id can be read off the other positions through attention."""
    ids = np.repeat(np.random.default_rng(7).integers(1, V, size=(192, 1)), 12, axis=1)
    bw.utils.set_random_seed(0)
    model = _tiny_mlm(embedding_dim=16, num_heads=2, intermediate_dim=32)
    held_out = mask_tokens(ids[:64], MASK, V, rate=0.2, seed=10 ** 6)  # the draw pretrain_masked_lm scores
    model.compile(loss=masked_lm_loss())
    before = model.evaluate([held_out.inputs, held_out.positions], held_out.targets, sample_weight=held_out.weights,
                            verbose=0)
    assert abs(before - math.log(V + 1)) < 0.3  # an untrained head is close to uniform over V + 1 ids
    history = pretrain_masked_lm(model, ids, MASK, V, epochs=5, batch_size=32, rate=0.2,
                                 optimizer=bw.optimizers.Adam(1e-2), validation_ids=ids[:64], seed=0)
    assert len(history["loss"]) == len(history["val_loss"]) == 5
    assert history["val_loss"][-1] < 0.6 * before
    assert history["loss"][-1] < history["loss"][0]


def test_copy_encoder_weights_hands_over_embedding_and_blocks():
    bw.utils.set_random_seed(0)
    source = _tiny_mlm(num_layers=2)
    target = bert_classifier(V + 1, 12, 3, num_layers=2, num_heads=2, embedding_dim=8, intermediate_dim=16,
                             dropout=0.0)
    assert copy_encoder_weights(source, target) == ["embedding", "encoder_0", "encoder_1"]
    for name in ("embedding", "encoder_0", "encoder_1"):
        for a, b in zip(source.get_layer(name).get_weights(), target.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="layer 'embedding' has weights"):
        copy_encoder_weights(source, bert_classifier(V, 12, 3, num_layers=2, num_heads=2, embedding_dim=8,
                                                     intermediate_dim=16))
    with pytest.raises(ValueError, match="has no layer 'encoder_1'"):
        copy_encoder_weights(_tiny_mlm(num_layers=1), target)


def test_model_argument_errors():
    with pytest.raises(ValueError, match="masked_lm_model: embedding_dim 10 must be divisible by num_heads 4"):
        _tiny_mlm(embedding_dim=10, num_heads=4)
    with pytest.raises(ValueError, match="masked_lm_model: vocabulary_size must be a positive integer"):
        _tiny_mlm(vocabulary_size=0)
    with pytest.raises(ValueError, match="pretrain_masked_lm: epochs must be a positive integer"):
        pretrain_masked_lm(_tiny_mlm(), np.ones((2, 3), dtype=int), MASK, V, epochs=0)


def test_warmup_cosine_schedule_follows_the_formula():
    peak, total, warm = 2e-3, 110, 10
    schedule = warmup_cosine_schedule(peak, total, warmup_steps=warm)
    for step in (0, 3, 5, 9):
        assert math.isclose(schedule(step), peak * step / warm, abs_tol=1e-15)
    for step in (10, 37, 60, 99, 110):
        expected = peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm)))
        assert math.isclose(schedule(step), expected, rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(schedule(60), peak / 2) and schedule(110) == pytest.approx(0.0, abs=1e-15)
    assert math.isclose(warmup_cosine_schedule(1e-3, 4)(0), 1e-3)  # no warm-up: starts at the peak


@pytest.mark.parametrize("args, message", [
    ((0.0, 10), "peak_learning_rate must be a positive number"),
    (("1e-3", 10), "peak_learning_rate must be a positive number"),
    ((1e-3, 0), "total_steps must be a positive integer"),
    ((1e-3, 10, 10), r"warmup_steps must be an integer in \[0, total_steps = 10\)"),
    ((1e-3, 10, -1), "warmup_steps must be an integer"),
    ((1e-3, 10, 2.5), "warmup_steps must be an integer"),
])
def test_warmup_cosine_schedule_bad_arguments(args, message):
    with pytest.raises(ValueError, match=f"warmup_cosine_schedule: {message}"):
        warmup_cosine_schedule(*args)


def test_the_schedule_runs_on_across_pretraining_epochs():
    """pretrain_masked_lm calls fit once per epoch; the optimizer's step count (and so the schedule) carries on."""
    ids, _ = _padded(64, 12, seed=8)
    ids[:, 0] = 3
    schedule = warmup_cosine_schedule(1e-3, total_steps=6, warmup_steps=2)
    optimizer = bw.optimizers.Adam(schedule)
    bw.utils.set_random_seed(0)
    pretrain_masked_lm(_tiny_mlm(), ids, MASK, V, epochs=3, batch_size=32, optimizer=optimizer, seed=0)
    assert optimizer.iterations == 6  # 2 steps per epoch, 3 epochs
    assert optimizer.learning_rate == pytest.approx(0.0, abs=1e-15)  # the cosine has reached 0 at step 6


def test_cache_key_changes_with_the_text_and_every_setting():
    ids = np.arange(12, dtype=np.int32).reshape(3, 4)
    key = pretraining_cache_key(ids, seed=0, epochs=15, learning_rate=1e-3)
    assert len(key) == 16 and int(key, 16) >= 0
    assert pretraining_cache_key(ids.copy(), learning_rate=1e-3, epochs=15, seed=0) == key  # order-free
    changed = ids.copy()
    changed[2, 3] = 0
    others = [pretraining_cache_key(changed, seed=0, epochs=15, learning_rate=1e-3),
              pretraining_cache_key(ids.reshape(4, 3), seed=0, epochs=15, learning_rate=1e-3),
              pretraining_cache_key(ids.astype(np.int64), seed=0, epochs=15, learning_rate=1e-3),
              pretraining_cache_key(ids, seed=1, epochs=15, learning_rate=1e-3),
              pretraining_cache_key(ids, seed=0, epochs=16, learning_rate=1e-3),
              pretraining_cache_key(ids, seed=0, epochs=15, learning_rate=2e-3)]
    assert len(set(others) | {key}) == 7
    with pytest.raises(TypeError, match="pretraining_cache_key: setting 'optimizer'"):
        pretraining_cache_key(ids, optimizer=object())



@pytest.mark.slow
def test_cached_masked_lm_reads_back_and_retrains_for_a_missing_checkpoint(tmp_path):
    from brickwork.applications.pretraining_cache import cached_masked_lm

    ids = _padded(20, 6, seed=3)[0].astype(np.int32)
    ids[:, 0] = np.maximum(ids[:, 0], 1)  # every row has a real token
    cache = str(tmp_path)
    first = cached_masked_lm(ids, 0, 2, 1e-3, 16, 0.0, cache, V, verbose=0)
    assert not first["cached"] and sorted(first["weights"]) == [2] and first["passages"] == 18
    assert cached_masked_lm(ids, 0, 2, 1e-3, 16, 0.0, cache, V, verbose=0)["cached"]
    with_checkpoint = cached_masked_lm(ids, 0, 2, 1e-3, 16, 0.0, cache, V, checkpoints=(1,), verbose=0)
    assert not with_checkpoint["cached"] and sorted(with_checkpoint["weights"]) == [1, 2]
    assert with_checkpoint["loss"] == pytest.approx(first["loss"], rel=1e-6)  # a checkpoint changes nothing


def test_cached_masked_lm_bad_arguments(tmp_path):
    from brickwork.applications.pretraining_cache import cached_masked_lm

    ids = np.ones((20, 6), dtype=np.int32)
    with pytest.raises(ValueError, match=r"cached_masked_lm: ids must have shape \(passages, sequence\)"):
        cached_masked_lm(ids[0], 0, 2, 1e-3, 16, 0.0, str(tmp_path), V)
    with pytest.raises(ValueError, match="cached_masked_lm: epochs must be a positive integer"):
        cached_masked_lm(ids, 0, 0, 1e-3, 16, 0.0, str(tmp_path), V)
    with pytest.raises(ValueError, match=r"cached_masked_lm: warmup must be in \[0, 1\)"):
        cached_masked_lm(ids, 0, 2, 1e-3, 16, 1.0, str(tmp_path), V)
