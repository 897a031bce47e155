"""keras_hub's position layers: formulas computed here with NumPy / PyTorch, gradients, masks, configs, saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import brickwork as bw
from brickwork import layers as L
from brickwork import models


def _sine_reference(length, d, wavelength, start=0):
    """Vaswani's table, keras_hub's interleaving: even columns sin, odd columns cos of pos / wl^(2*(k//2)/d)."""
    out = np.zeros((length, d))
    for p in range(length):
        for k in range(d):
            angle = (p + start) / wavelength ** (2 * (k // 2) / d)
            out[p, k] = np.sin(angle) if k % 2 == 0 else np.cos(angle)
    return out


def _rope_torch(x, wavelength=10000.0, scaling=1.0, start=0):
    """Rotate-half RoPE (GPT-NeoX / keras_hub) on (batch, seq, ..., d), written with PyTorch."""
    t = torch.tensor(x, dtype=torch.float64)
    seq, d = t.shape[1], t.shape[-1]
    inv = 1.0 / wavelength ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    pos = (torch.arange(seq, dtype=torch.float64) + start) / scaling
    ang = torch.outer(pos, inv)
    ang = torch.cat([ang, ang], dim=-1).reshape((1, seq) + (1,) * (t.ndim - 3) + (d,))
    x1, x2 = t[..., : d // 2], t[..., d // 2:]
    return (t * torch.cos(ang) + torch.cat([-x2, x1], dim=-1) * torch.sin(ang)).numpy()


def _rope_pairs(x, wavelength=10000.0):
    """The same rotation as 2x2 rotations of the pairs (j, j + d/2), looped in NumPy."""
    out = np.array(x, dtype=np.float64)
    b, s, d = x.shape
    for p in range(s):
        for j in range(d // 2):
            th = p * wavelength ** (-2 * j / d)
            a, c = x[:, p, j], x[:, p, j + d // 2]
            out[:, p, j] = a * np.cos(th) - c * np.sin(th)
            out[:, p, j + d // 2] = c * np.cos(th) + a * np.sin(th)
    return out


rng = np.random.default_rng(0)


# ------------------------------------------------------------------ SinePositionEncoding
@pytest.mark.parametrize("d, wl, start", [(6, 10000, 0), (5, 100, 3), (8, 10, 0)])
def test_sine_matches_formula(d, wl, start):
    x = rng.normal(size=(2, 7, d)).astype("float32")
    y = L.SinePositionEncoding(max_wavelength=wl)(x, start_index=start)
    np.testing.assert_allclose(y.data, np.broadcast_to(_sine_reference(7, d, wl, start), x.shape), atol=1e-6)
    assert y.dtype == np.float32


def test_sine_is_interleaved_not_concatenated():
    y = L.SinePositionEncoding()(np.zeros((1, 3, 4), "float32")).data[0]
    np.testing.assert_allclose(y[:, 0], np.sin(np.arange(3)), atol=1e-7)
    np.testing.assert_allclose(y[:, 1], np.cos(np.arange(3)), atol=1e-7)
    np.testing.assert_allclose(y[:, 3], np.cos(np.arange(3) / 100.0), atol=1e-7)


def test_sine_gradient_is_zero_and_gradcheck():
    x = bw.Tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)
    layer = L.SinePositionEncoding(dtype="float64")
    assert bw.gradcheck(lambda t: layer(t) * t, x.data).passed
    layer(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data if hasattr(x.grad, "data") else x.grad, 0.0)


# ------------------------------------------------------------------------ RotaryEmbedding
@pytest.mark.parametrize("shape, wl, scale, start", [((2, 5, 6), 10000, 1.0, 0), ((2, 4, 3, 8), 50, 2.0, 2)])
def test_rotary_matches_torch(shape, wl, scale, start):
    x = rng.normal(size=shape)
    y = L.RotaryEmbedding(max_wavelength=wl, scaling_factor=scale, dtype="float64")(x, start_index=start)
    np.testing.assert_allclose(y.data, _rope_torch(x, wl, scale, start), rtol=1e-12, atol=1e-12)


def test_rotary_matches_pairwise_rotations_and_keeps_norms():
    x = rng.normal(size=(2, 6, 4))
    y = L.RotaryEmbedding(max_wavelength=100, dtype="float64")(x).data
    np.testing.assert_allclose(y, _rope_pairs(x, 100.0), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-12)


def test_rotary_other_axes_and_positions():
    x = rng.normal(size=(2, 6, 5))  # (batch, features, sequence)
    y = L.RotaryEmbedding(sequence_axis=2, feature_axis=1, dtype="float64")(x).data
    np.testing.assert_allclose(y, np.swapaxes(_rope_torch(np.swapaxes(x, 1, 2)), 1, 2), atol=1e-12)
    x = rng.normal(size=(1, 4, 6))
    by_start = L.RotaryEmbedding(dtype="float64")(x, start_index=3).data
    by_pos = L.RotaryEmbedding(dtype="float64")(x, positions=np.arange(3, 7)).data
    np.testing.assert_allclose(by_pos, by_start, atol=1e-12)


def test_rotary_gradcheck():
    layer = L.RotaryEmbedding(max_wavelength=20, dtype="float64")
    assert bw.gradcheck(lambda t: layer(t), rng.normal(size=(2, 3, 2, 4))).passed


# ---------------------------------------------------------------------- PositionEmbedding
def test_position_embedding_rows_and_start_index():
    layer = L.PositionEmbedding(sequence_length=6)
    x = np.zeros((3, 4, 2), "float32")
    y = layer(x)
    assert [w.name for w in layer.weights] == ["embeddings"] and layer.weights[0].shape == (6, 2)
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(y.data, np.broadcast_to(table[:4], (3, 4, 2)))
    np.testing.assert_array_equal(layer(x[:, :2], start_index=4).data, np.broadcast_to(table[4:6], (3, 2, 2)))
    assert layer(np.zeros((2, 3, 4, 2), "float32")).shape == (2, 3, 4, 2)


def test_position_embedding_gradient_sums_over_batch():
    layer = L.PositionEmbedding(5, dtype="float64")
    x = rng.normal(size=(3, 4, 2))
    out = layer(x, start_index=1)
    (out * bw.Tensor(np.ones_like(x))).sum().backward()
    g = layer.weights[0].grad
    g = g.data if hasattr(g, "data") else g
    want = np.zeros((5, 2))
    want[1:5] = 3.0
    np.testing.assert_allclose(g, want)
    assert bw.gradcheck(lambda t: layer(t) * t, x, params=layer.trainable_weights).passed


# -------------------------------------------------------------- TokenAndPositionEmbedding
def test_token_and_position_is_the_sum_and_masks():
    layer = L.TokenAndPositionEmbedding(vocabulary_size=7, sequence_length=5, embedding_dim=3, mask_zero=True)
    ids = np.array([[1, 4, 0, 0], [6, 2, 3, 0]])
    y = layer(ids)
    assert [w.path for w in layer.weights] == ["token_embedding/embeddings", "position_embedding/embeddings"]
    tok, pos = layer.get_weights()
    np.testing.assert_allclose(y.data, tok[ids] + pos[None, :4], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), ids != 0)
    assert layer.supports_masking
    assert not L.TokenAndPositionEmbedding(7, 5, 3).supports_masking
    assert getattr(L.TokenAndPositionEmbedding(7, 5, 3)(ids), "_keras_mask", None) is None
    np.testing.assert_allclose(layer(ids[:, :2], start_index=3).data, tok[ids[:, :2]] + pos[None, 3:5], rtol=1e-6)


def test_token_and_position_defaults_and_untied_weights():
    layer = L.TokenAndPositionEmbedding(7, 5, 3, tie_weights=False)
    layer(np.array([[1, 2]]))
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("token_embedding/embeddings", (7, 3)), ("token_embedding/reverse_embeddings", (3, 7)),
        ("position_embedding/embeddings", (5, 3))]
    w = layer.get_weights()
    assert np.all(np.abs(w[0]) <= 0.05) and np.all(np.abs(w[2]) <= 0.05)  # 'uniform' = U(-0.05, 0.05) for both
    cfg = layer.get_config()
    assert {k: cfg[k] for k in ("vocabulary_size", "sequence_length", "embedding_dim", "tie_weights",
                                "mask_zero")} == {"vocabulary_size": 7, "sequence_length": 5, "embedding_dim": 3,
                                                  "tie_weights": False, "mask_zero": False}


def test_token_and_position_gradcheck():
    layer = L.TokenAndPositionEmbedding(6, 4, 2, dtype="float64")
    ids = np.array([[1, 5, 0], [2, 2, 3]])
    layer(ids)
    result = bw.gradcheck(lambda t: layer(ids) * t, rng.normal(size=(2, 3, 2)), params=layer.trainable_weights)
    assert result.passed


# ----------------------------------------------------------------- config and saving
CASES = [
    (L.PositionEmbedding, {"sequence_length": 6, "initializer": "he_normal"}, rng.normal(size=(2, 4, 3))),
    (L.SinePositionEncoding, {"max_wavelength": 77}, rng.normal(size=(2, 4, 3))),
    (L.RotaryEmbedding, {"max_wavelength": 30, "scaling_factor": 4.0, "sequence_axis": 1, "feature_axis": -1},
     rng.normal(size=(2, 4, 2, 6))),
    (L.TokenAndPositionEmbedding, {"vocabulary_size": 9, "sequence_length": 6, "embedding_dim": 4,
                                   "tie_weights": False, "mask_zero": True}, rng.integers(0, 9, (2, 5))),
]


@pytest.mark.parametrize("cls, kwargs, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_config_round_trip_and_save_load(cls, kwargs, x, tmp_path):
    layer = cls(**kwargs)
    cfg = layer.get_config()
    for key, value in kwargs.items():
        if key not in ("initializer",):
            assert cfg[key] == value, key
    assert cls.from_config(cfg).get_config() == cfg
    x = x.astype("float32") if x.dtype.kind == "f" else x
    model = models.Sequential([L.Input(shape=x.shape[1:], dtype=str(x.dtype)), cls(**kwargs)])
    model.layers[-1].set_weights([w + 0.25 for w in model.layers[-1].get_weights()])
    path = str(tmp_path / "model.bw")
    model.save(path)
    loaded = models.load_model(path)
    assert type(loaded.layers[-1]) is cls
    np.testing.assert_allclose(loaded(x).data, model(x).data, rtol=1e-6)


# --------------------------------------------------------------------------- bad inputs
def test_bad_arguments_name_the_layer():
    with pytest.raises(ValueError, match="PositionEmbedding: sequence_length"):
        L.PositionEmbedding(0)
    with pytest.raises(ValueError, match="SinePositionEncoding: max_wavelength"):
        L.SinePositionEncoding(max_wavelength=-1)
    with pytest.raises(ValueError, match="RotaryEmbedding: scaling_factor"):
        L.RotaryEmbedding(scaling_factor=0)
    with pytest.raises(ValueError, match="TokenAndPositionEmbedding: embedding_dim"):
        L.TokenAndPositionEmbedding(5, 4, 0)


def test_bad_inputs_name_the_layer_and_shapes():
    layer = L.PositionEmbedding(4, name="pe")
    with pytest.raises(ValueError, match=r"'pe'.*\(2, 5, 3\).*sequence_length=4"):
        layer(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"'pe'.*\(2, 3, 3\)"):
        layer(np.zeros((2, 3, 3), "float32"), start_index=2)
    with pytest.raises(ValueError, match=r"'pe'.*3 features.*\(2, 2, 5\)"):
        layer(np.zeros((2, 2, 5), "float32"))
    with pytest.raises(ValueError, match=r"PositionEmbedding 'pe2'.*\(3,\)"):
        L.PositionEmbedding(4, name="pe2")(np.zeros((3,), "float32"))
    with pytest.raises(ValueError, match=r"RotaryEmbedding 're'.*even.*\(2, 3, 5\)"):
        L.RotaryEmbedding(name="re")(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match=r"RotaryEmbedding 're2'.*at least 3.*\(2, 4\)"):
        L.RotaryEmbedding(name="re2")(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"RotaryEmbedding 're3'.*distinct.*\(2, 4, 6\)"):
        L.RotaryEmbedding(sequence_axis=2, feature_axis=-1, name="re3")(np.zeros((2, 4, 6), "float32"))
    with pytest.raises(ValueError, match=r"RotaryEmbedding 're4'.*positions of shape \(1, 3\).*\(2, 4, 6\)"):
        L.RotaryEmbedding(name="re4")(np.zeros((2, 4, 6), "float32"), positions=np.arange(3))
    with pytest.raises(ValueError, match=r"SinePositionEncoding 'se'.*start_index"):
        L.SinePositionEncoding(name="se")(np.zeros((2, 4, 6), "float32"), start_index=-1)
    with pytest.raises(ValueError, match=r"'position_embedding'.*sequence_length=3"):
        L.TokenAndPositionEmbedding(5, 3, 2)(np.ones((1, 4), "int64"))
