"""brickwork.applications.text_encoder.bert_classifier: shapes, parameter count, padding, learning, errors."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork.applications.text_encoder import bert_classifier


def _tiny(**kwargs):
    args = dict(vocabulary_size=20, sequence_length=12, num_classes=3, num_layers=1, num_heads=2,
                embedding_dim=8, intermediate_dim=16, dropout=0.0)
    args.update(kwargs)
    return bert_classifier(**args)


def test_output_shape_and_parameter_count():
    V, T, C, L, d, ff = 20, 12, 3, 2, 8, 16
    model = _tiny(num_layers=L)
    assert model.predict(np.ones((5, 7), dtype=np.int32), verbose=0).shape == (5, C)
    attention = 4 * (d * d + d)  # query, key, value and output projections with biases
    block = attention + 2 * (2 * d) + (d * ff + ff) + (ff * d + d)  # + two layer norms + feed-forward
    assert model.count_params() == V * d + T * d + L * block + d * C + C


def test_padding_does_not_change_the_logits():
    bw.utils.set_random_seed(0)
    model = _tiny(num_layers=2, dropout=0.1)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 20, size=(4, 5)).astype(np.int32)
    padded = np.zeros((4, 12), dtype=np.int32)
    padded[:, :5] = ids
    short = model.predict(ids, verbose=0)
    long = model.predict(padded, verbose=0)
    np.testing.assert_allclose(long, short, rtol=1e-5, atol=1e-6)
    # different padding per row, batched together, equals each row alone
    ragged = padded.copy()
    ragged[0, 3:] = 0
    np.testing.assert_allclose(model.predict(ragged, verbose=0)[0], model.predict(ids[:1, :3], verbose=0)[0],
                               rtol=1e-5, atol=1e-6)
    # and the mask matters: real tokens in place of the padding do change the logits
    filled = padded.copy()
    filled[:, 5:] = 7
    assert not np.allclose(model.predict(filled, verbose=0), long, atol=1e-4)


def test_learns_a_separable_text_task():
    """Class 0 passages use ids 2..9, class 1 ids 10..17; lengths 3..10 with zero padding to 10."""
    rng = np.random.default_rng(1)
    n = 256
    y = rng.integers(0, 2, size=n)
    x = np.zeros((n, 10), dtype=np.int32)
    for i in range(n):
        length = rng.integers(3, 11)
        x[i, :length] = rng.integers(2, 10, size=length) + 8 * y[i]
    bw.utils.set_random_seed(0)
    model = _tiny(num_classes=2, sequence_length=10)
    model.compile(optimizer=bw.optimizers.Adam(1e-2),
                  loss=bw.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:192], y[:192], batch_size=32, epochs=6, verbose=0)
    accuracy = (model.predict(x[192:], verbose=0).argmax(-1) == y[192:]).mean()
    assert accuracy >= 0.95


@pytest.mark.parametrize("kwargs, message", [
    ({"vocabulary_size": 0}, "vocabulary_size must be a positive integer"),
    ({"num_classes": 1.5}, "num_classes must be a positive integer"),
    ({"num_layers": True}, "num_layers must be a positive integer"),
    ({"embedding_dim": 10, "num_heads": 4}, "embedding_dim 10 must be divisible by num_heads 4"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ({"head_dropout": -0.1}, r"bert_classifier: head_dropout must be in \[0, 1\)"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _tiny(**kwargs)


def test_head_dropout_defaults_to_dropout_and_can_differ():
    names = lambda model: {layer.name: layer for layer in model.layers}  # noqa: E731
    assert names(_tiny(dropout=0.1))["head_dropout"].rate == 0.1
    assert names(_tiny(dropout=0.1, head_dropout=0.5))["head_dropout"].rate == 0.5
    assert "head_dropout" not in names(_tiny(dropout=0.1, head_dropout=0.0))
    assert "embedding_dropout" in names(_tiny(dropout=0.1, head_dropout=0.0))
    assert "head_dropout" in names(_tiny(dropout=0.0, head_dropout=0.3))
