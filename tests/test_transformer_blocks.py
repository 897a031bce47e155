"""TransformerEncoder / TransformerDecoder against a reference built from Keras 3's own layers
(MultiHeadAttention, LayerNormalization, Dense) wired as keras_hub 0.32's blocks are (keras_hub
itself needs TensorFlow to import), weights copied across."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import brickwork as bw
from brickwork import layers, models

K = keras.layers


def _copy(keras_layer, bw_layer, *sample):
    keras_layer(*sample)  # build
    keras_layer.set_weights(bw_layer.get_weights())
    return keras_layer


def _residual(x, norm, f, normalize_first):
    y = norm(x) if normalize_first else x
    y = f(y) + x
    return y if normalize_first else norm(y)


def _keras_block(block, x, masks, encoder=None):
    """Run ``block``'s computation with Keras layers holding ``block``'s weights; ``masks`` are the
    attention masks of its attention sub-blocks, computed by the test from the rule keras_hub documents."""
    nf, h = block.normalize_first, block.num_heads
    d = x.shape[-1]
    x = keras.ops.convert_to_tensor(x)
    encoder = None if encoder is None else keras.ops.convert_to_tensor(encoder)
    mha = _copy(K.MultiHeadAttention(h, d // h), block._self_attention_layer, x, x)
    ln1 = _copy(K.LayerNormalization(epsilon=1e-5), block._self_attention_layer_norm, x)
    ff1 = _copy(K.Dense(block.intermediate_dim, activation="relu"), block._feedforward_intermediate_dense, x)
    ff2 = _copy(K.Dense(d), block._feedforward_output_dense, ff1(x))
    ln2 = _copy(K.LayerNormalization(epsilon=1e-5), block._feedforward_layer_norm, x)
    out = _residual(x, ln1, lambda y: mha(y, y, attention_mask=masks[0]), nf)
    if encoder is not None:
        cross = _copy(K.MultiHeadAttention(h, d // h), block._cross_attention_layer, x, encoder)
        ln_c = _copy(K.LayerNormalization(epsilon=1e-5), block._cross_attention_layer_norm, x)
        out = _residual(out, ln_c, lambda y: cross(y, encoder, attention_mask=masks[1]), nf)
    out = _residual(out, ln2, lambda y: ff2(ff1(y)), nf)
    return keras.ops.convert_to_numpy(keras.ops.stop_gradient(out))


def _padding(rng, n, t):
    lengths = rng.integers(1, t + 1, size=n)
    return np.arange(t)[None, :] < lengths[:, None]


@pytest.mark.parametrize("normalize_first", [False, True])
def test_encoder_equals_the_keras_composition_with_a_padding_mask(normalize_first, rng):
    x = rng.normal(size=(3, 5, 8)).astype("float32")
    pad = _padding(rng, 3, 5)
    block = layers.TransformerEncoder(intermediate_dim=16, num_heads=2, normalize_first=normalize_first)
    got = block(x, padding_mask=pad).data
    want = _keras_block(block, x, [np.broadcast_to(pad[:, None, :], (3, 5, 5))])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    d, ff = 8, 16
    assert block.count_params() == 4 * (d * d + d) + 2 * 2 * d + (d * ff + ff) + (ff * d + d)
    carried = bw.Tensor(x)
    carried._keras_mask = pad  # a mask the inputs carry is the padding mask (and, as in Keras, the
    np.testing.assert_allclose(block(carried).data[pad], got[pad], rtol=1e-5, atol=1e-6)  # queries' mask too)


def test_decoder_without_encoder_is_causal_and_padded(rng):
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    pad = _padding(rng, 2, 6)
    block = layers.TransformerDecoder(intermediate_dim=12, num_heads=4)
    got = block(x, decoder_padding_mask=pad).data
    causal = np.tril(np.ones((6, 6), bool))[None]
    want = _keras_block(block, x, [pad[:, None, :] & causal])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # causal: changing the last position leaves every earlier output unchanged
    x2 = x.copy()
    x2[:, -1] += 1.0
    np.testing.assert_allclose(block(x2).data[:, :-1], block(x).data[:, :-1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("normalize_first", [False, True])
def test_decoder_with_cross_attention(normalize_first, rng):
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    enc = rng.normal(size=(2, 7, 8)).astype("float32")
    enc_pad = _padding(rng, 2, 7)
    block = layers.TransformerDecoder(intermediate_dim=16, num_heads=2, normalize_first=normalize_first)
    got = block(x, enc, encoder_padding_mask=enc_pad).data
    causal = np.tril(np.ones((4, 4), bool))[None].repeat(2, 0)
    want = _keras_block(block, x, [causal, np.broadcast_to(enc_pad[:, None, :], (2, 4, 7))], encoder=enc)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="built with cross-attention"):
        block(x)


def test_blocks_in_a_functional_model_save_load_and_gradcheck(tmp_path, rng):
    tokens = layers.Input(shape=(None,), dtype="int64")
    h = layers.Embedding(11, 8, mask_zero=True)(tokens)
    h = layers.TransformerEncoder(16, 2)(h)
    h = layers.TransformerDecoder(16, 2)(h)
    model = models.Model(tokens, layers.Dense(3)(layers.GlobalAveragePooling1D()(h)))
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 0, 0, 0]])
    expected = model.predict(ids, verbose=0)
    longer = np.concatenate([ids, np.zeros((2, 3), ids.dtype)], axis=1)  # more padding changes nothing
    np.testing.assert_allclose(model.predict(longer, verbose=0), expected, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "t.brick")
    np.testing.assert_allclose(bw.load_model(tmp_path / "t.brick").predict(ids, verbose=0), expected, rtol=1e-6)

    for block in (layers.TransformerEncoder(6, 2, activation="tanh", dtype="float64"),
                  layers.TransformerDecoder(6, 2, activation="tanh", normalize_first=True, dtype="float64")):
        x = rng.normal(size=(2, 3, 4))
        block(x)
        key_bias = [v for v in block.trainable_weights if v.path.endswith("key/bias")]
        others = [v for v in block.trainable_weights if all(v is not k for k in key_bias)]
        result = bw.gradcheck(lambda t, b=block: b(t), x, params=others)
        assert result.passed, f"{block.name}: {result}"
        xt = bw.Tensor(x, requires_grad=True)
        (block(xt) * bw.Tensor(rng.normal(size=x.shape))).sum().backward()
        assert len(key_bias) == 1 and np.abs(key_bias[0].grad).max() < 1e-12  # softmax is shift-invariant


def test_block_arguments_are_checked():
    with pytest.raises(ValueError, match="hidden_dim 2 must be at least num_heads 4"):
        layers.TransformerEncoder(8, 4)(np.zeros((1, 3, 2), np.float32))
    with pytest.raises(ValueError, match="padding mask must have shape"):
        layers.TransformerEncoder(8, 2)(np.zeros((1, 3, 4), np.float32), padding_mask=np.ones((1, 3, 1), bool))
