"""brickwork.applications.encoder_features.masked_mean_features: the masked mean from the weights, padding
invariance, an all-padding row, and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork.applications.encoder_features import masked_mean_features
from brickwork.applications.text_encoder import bert_classifier


def _model():
    bw.utils.set_random_seed(0)
    return bert_classifier(vocabulary_size=20, sequence_length=10, num_classes=3, num_layers=2, num_heads=2,
                           embedding_dim=8, intermediate_dim=16, dropout=0.1)


def _ids():
    ids = np.zeros((4, 10), dtype=np.int32)
    rng = np.random.default_rng(0)
    for i, n in enumerate((10, 6, 3, 1)):
        ids[i, :n] = rng.integers(1, 20, size=n)
    return ids


def test_embedding_features_are_the_masked_mean_of_token_plus_position_vectors():
    model, ids = _model(), _ids()
    tokens, positions = model.get_layer("embedding").get_weights()
    expected = np.stack([(tokens[row[row > 0]] + positions[: (row > 0).sum()]).mean(axis=0) for row in ids])
    got = masked_mean_features(model, ids, ["embedding"])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_layers_are_concatenated_in_order_and_padding_does_not_matter():
    model, ids = _model(), _ids()
    both = masked_mean_features(model, ids, ["encoder_1", "embedding"])
    assert both.shape == (4, 16)
    np.testing.assert_allclose(both[:, 8:], masked_mean_features(model, ids, ["embedding"]), rtol=1e-6)
    short = masked_mean_features(model, ids[:, :6][1:], ["encoder_1"])  # rows 1-3 have at most 6 real tokens
    np.testing.assert_allclose(both[1:, :8], short, rtol=1e-4, atol=1e-5)


def test_an_all_padding_row_gives_zeros():
    ids = _ids()
    ids[2] = 0
    features = masked_mean_features(_model(), ids, ["encoder_0"])
    assert np.array_equal(features[2], np.zeros(8)) and np.abs(features[0]).sum() > 0


def test_bad_inputs_are_named():
    model = _model()
    with pytest.raises(ValueError, match=r"masked_mean_features: ids must have shape \(batch, sequence\)"):
        masked_mean_features(model, np.ones(5, dtype=np.int32), ["embedding"])
    with pytest.raises(ValueError, match="masked_mean_features: layer_names must name at least one layer"):
        masked_mean_features(model, _ids(), [])
    with pytest.raises(ValueError, match="masked_mean_features: model 'bert_classifier' has no layer 'encoder_7'"):
        masked_mean_features(model, _ids(), ["encoder_7"])
    with pytest.raises(ValueError, match="masked_mean_features: layer 'classifier' outputs shape"):
        masked_mean_features(model, _ids(), ["classifier"])
