"""Recurrent layers: gradcheck, PyTorch parity, masking, truncated BPTT, cells vs fused kernels."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers import assert_close, seeded
from hypothesis import given
from hypothesis import strategies as st

import brickwork as bw
from brickwork import layers, models


def randomize(layer, seed=0, scale=0.5):
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.assign(rng.uniform(-scale, scale, w.shape))


def layer_gradcheck(layer, x, **call):
    layer(x, **call)
    randomize(layer)
    result = bw.gradcheck(lambda t: layer(t, **call), x, params=layer.trainable_weights)
    assert result.passed, f"{layer.name}: {result}"


RECURRENT = {
    "simple_rnn": lambda u, **k: layers.SimpleRNN(u, **k),
    "lstm": lambda u, **k: layers.LSTM(u, **k),
    "lstm_peephole": lambda u, **k: layers.LSTM(u, use_peepholes=True, **k),
    "lstm_coupled": lambda u, **k: layers.LSTM(u, coupled_gates=True, **k),
    "lstm_peephole_coupled": lambda u, **k: layers.LSTM(u, use_peepholes=True, coupled_gates=True, **k),
    "gru": lambda u, **k: layers.GRU(u, **k),
    "gru_reset_before": lambda u, **k: layers.GRU(u, reset_after=False, **k),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
@given(n=st.integers(1, 3), t=st.integers(1, 5), d=st.integers(1, 3), u=st.integers(1, 4),
       seq=st.booleans(), back=st.booleans(), seed=st.integers(0, 999))
def test_recurrent_layers_gradcheck(name, n, t, d, u, seq, back, seed):
    x = seeded(seed).standard_normal((n, t, d))
    layer_gradcheck(RECURRENT[name](u, return_sequences=seq, go_backwards=back, dtype="float64"), x)


@given(t=st.integers(2, 5), seed=st.integers(0, 999), merge=st.sampled_from(["concat", "sum", "mul", "ave"]))
def test_bidirectional_and_masking_gradcheck(t, seed, merge):
    rng = seeded(seed)
    x = rng.standard_normal((3, t, 2))
    layer_gradcheck(layers.Bidirectional(layers.GRU(3, return_sequences=True, dtype="float64"), merge_mode=merge,
                                         dtype="float64"), x)
    mask = rng.random((3, t)) > 0.3
    layer_gradcheck(layers.LSTM(3, return_sequences=True, dtype="float64"), x, mask=mask)
    layer_gradcheck(layers.Bidirectional(layers.LSTM(2, dtype="float64"), dtype="float64"), x, mask=mask)


def test_fused_layers_equal_their_reference_cells():
    x = np.random.default_rng(1).standard_normal((3, 6, 4))
    mask = np.random.default_rng(2).random((3, 6)) > 0.3
    pairs = [(layers.LSTM(5, use_peepholes=True, return_sequences=True, dtype="float64"),
              layers.LSTMCell(5, use_peepholes=True, dtype="float64")),
             (layers.LSTM(5, coupled_gates=True, return_sequences=True, dtype="float64"),
              layers.LSTMCell(5, coupled_gates=True, dtype="float64")),
             (layers.GRU(5, return_sequences=True, dtype="float64"), layers.GRUCell(5, dtype="float64")),
             (layers.GRU(5, reset_after=False, return_sequences=True, dtype="float64"),
              layers.GRUCell(5, reset_after=False, dtype="float64")),
             (layers.SimpleRNN(5, return_sequences=True, dtype="float64"), layers.SimpleRNNCell(5, dtype="float64"))]
    for fused, cell in pairs:
        looped = layers.RNN(cell, return_sequences=True, dtype="float64")
        fused(x)
        looped(x)
        randomize(fused, 3)
        looped.set_weights(fused.get_weights())
        for m in (None, mask):
            a, b = bw.Tensor(x, requires_grad=True), bw.Tensor(x, requires_grad=True)
            ya, yb = fused(a, mask=m), looped(b, mask=m)
            np.testing.assert_allclose(ya.data, yb.data, rtol=1e-10, atol=1e-12)
            g = np.random.default_rng(4).standard_normal(ya.shape)
            ya.backward(g)
            yb.backward(g)
            np.testing.assert_allclose(a.grad, b.grad, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ PyTorch parity
def keras_lstm_to_torch(layer):
    w, u, b = layer.get_weights()
    return [w.T, u.T, b, np.zeros_like(b)]


def keras_gru_to_torch(layer):
    def reorder(m):  # Keras (z, r, h) -> PyTorch (r, z, n)
        z, r, h = np.split(m, 3, axis=-1)
        return np.concatenate([r, z, h], axis=-1)
    w, u, b = layer.get_weights()
    return [reorder(w).T, reorder(u).T, reorder(b[0]), reorder(b[1])]


def keras_rnn_to_torch(layer):
    w, u, b = layer.get_weights()
    return [w.T, u.T, b, np.zeros_like(b)]


TORCH = {"lstm": (layers.LSTM, torch.nn.LSTM, keras_lstm_to_torch),
         "gru": (layers.GRU, torch.nn.GRU, keras_gru_to_torch),
         "simple_rnn": (layers.SimpleRNN, torch.nn.RNN, keras_rnn_to_torch)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", sorted(TORCH))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_two_layer_stacks_match_torch(kind, bidirectional, dtype):
    """2-layer (optionally bidirectional) stacks: outputs, final states and every weight gradient."""
    ours_cls, torch_cls, convert = TORCH[kind]
    rng = np.random.default_rng(5)
    n, t, d, u = 3, 7, 4, 5
    x = rng.standard_normal((n, t, d)).astype(dtype)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    net = torch_cls(d, u, num_layers=2, batch_first=True, bidirectional=bidirectional).to(tdtype)
    dt = np.dtype(dtype).name
    stack = []
    for _ in range(2):
        cell = ours_cls(u, return_sequences=True, return_state=True, dtype=dt)
        stack.append(layers.Bidirectional(cell, dtype=dt) if bidirectional else cell)
    h = bw.Tensor(x, requires_grad=True)
    finals = []
    for layer in stack:
        out = layer(h)
        h, finals = out[0], finals + out[1:]
    tx = torch.tensor(x, requires_grad=True)
    # copy our (randomly initialised) weights into PyTorch
    directions = [(lay.forward_layer, lay.backward_layer) if bidirectional else (lay,) for lay in stack]
    with torch.no_grad():
        for k, dirs in enumerate(directions):
            for j, lay in enumerate(dirs):
                suffix = f"_l{k}" + ("_reverse" if j else "")
                for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), convert(lay)):
                    getattr(net, name + suffix).copy_(torch.tensor(value))
    tout, tstate = net(tx)
    assert_close(h, tout.detach().numpy(), dtype, "sequence output")
    th = tstate[0] if kind == "lstm" else tstate
    per_dir = 2 if kind == "lstm" else 1
    h_finals = [finals[i] for i in range(0, len(finals), per_dir)]
    for i, f in enumerate(h_finals):
        assert_close(f, th[i].detach().numpy(), dtype, f"final state {i}")
    g = rng.standard_normal(h.shape).astype(dtype)
    loss = (h * bw.Tensor(g)).sum()
    loss.backward()
    (tout * torch.tensor(g)).sum().backward()
    for k, dirs in enumerate(directions):
        for j, lay in enumerate(dirs):
            suffix = f"_l{k}" + ("_reverse" if j else "")
            grads = [getattr(net, name + suffix).grad.numpy() for name in ("weight_ih", "weight_hh", "bias_ih",
                                                                           "bias_hh")]
            w_grad, u_grad = lay.kernel.grad, lay.recurrent_kernel.grad
            if kind == "gru":
                def reorder(m):
                    r, z, nn = np.split(m, 3, axis=0)
                    return np.concatenate([z, r, nn], axis=0)
                assert_close(w_grad, reorder(grads[0]).T, dtype, "kernel grad")
                assert_close(u_grad, reorder(grads[1]).T, dtype, "recurrent grad")
                assert_close(lay.bias.grad, np.stack([reorder(grads[2]), reorder(grads[3])]), dtype, "bias grad")
            else:
                assert_close(w_grad, grads[0].T, dtype, "kernel grad")
                assert_close(u_grad, grads[1].T, dtype, "recurrent grad")
                assert_close(lay.bias.grad, grads[2], dtype, "bias grad")


# ------------------------------------------------------------------ masking
@pytest.mark.parametrize("factory", [lambda: layers.LSTM(4, return_sequences=True, dtype="float64"),
                                     lambda: layers.GRU(4, return_sequences=True, dtype="float64"),
                                     lambda: layers.SimpleRNN(4, return_sequences=True, dtype="float64"),
                                     lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True,
                                                                              dtype="float64"), dtype="float64")])
def test_padded_batches_equal_sequences_run_one_by_one(factory):
    rng = np.random.default_rng(6)
    lengths = [5, 2, 4]
    seqs = [rng.standard_normal((L, 3)) for L in lengths]
    padded = np.zeros((3, 5, 3))
    for i, s in enumerate(seqs):
        padded[i, :len(s)] = s
    layer = factory()
    emb_model = models.Sequential([layers.Input(shape=(5, 3), dtype="float64"), layers.Masking(0.0, dtype="float64"),
                                   layer])
    randomize(layer, 7)
    batch_out = emb_model(padded)
    weights = layer.trainable_weights
    g = rng.standard_normal(batch_out.shape)
    for i, L in enumerate(lengths):
        g[i, L:] = 0  # padded positions carry no loss
    (batch_out * bw.Tensor(g)).sum().backward()
    batch_grads = [w.grad.copy() for w in weights]
    total = [np.zeros_like(w.data) for w in weights]
    for i, s in enumerate(seqs):
        for w in weights:
            w.grad = None
        out = layer(s[None])
        np.testing.assert_allclose(batch_out.data[i, :len(s)], out.data[0], rtol=1e-10, atol=1e-12)
        (out * bw.Tensor(g[i:i + 1, :len(s)])).sum().backward()
        for k, w in enumerate(weights):
            total[k] += w.grad
    for a, b in zip(batch_grads, total):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_final_state_under_masking_is_the_last_real_step():
    x = np.random.default_rng(8).standard_normal((2, 6, 3))
    x[1, 3:] = 0
    layer = layers.GRU(4, dtype="float64")
    masked = models.Sequential([layers.Input(shape=(6, 3), dtype="float64"), layers.Masking(dtype="float64"), layer])
    np.testing.assert_allclose(masked(x).data[1], layer(x[1:2, :3]).data[0], rtol=1e-12)


def test_embedding_mask_zero_feeds_the_rnn():
    tokens = np.array([[3, 1, 2, 0, 0], [4, 4, 0, 0, 0]])
    model = models.Sequential([layers.Input(shape=(5,), dtype="int32"), layers.Embedding(6, 3, mask_zero=True),
                               layers.LSTM(4)])
    out = model(tokens).data
    emb, lstm = model.layers
    np.testing.assert_allclose(out[1], lstm(emb(tokens[1:2, :2])).data[0], rtol=1e-6)


def test_truncated_bptt_equals_detached_chunks():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 6, 3))
    full = layers.LSTM(4, return_sequences=True, bptt_truncate=2, dtype="float64")
    full(x)
    randomize(full, 10)
    g = rng.standard_normal((2, 6, 4))
    out = full(x)
    (out * bw.Tensor(g)).sum().backward()
    truncated = [w.grad.copy() for w in full.trainable_weights]
    for w in full.trainable_weights:
        w.grad = None
    plain = layers.LSTM(4, return_sequences=True, return_state=True, dtype="float64")
    plain(x)
    plain.set_weights(full.get_weights())
    states = None
    for start in range(0, 6, 2):
        seq, h, c = plain(x[:, start:start + 2], initial_state=states)
        (seq * bw.Tensor(g[:, start:start + 2])).sum().backward()
        states = [h.detach(), c.detach()]
    for a, w in zip(truncated, plain.trainable_weights):
        np.testing.assert_allclose(a, w.grad, rtol=1e-10)


def test_stateful_layers_carry_states_between_batches():
    x = np.random.default_rng(11).standard_normal((2, 8, 3))
    layer = layers.LSTM(4, stateful=True, dtype="float64")
    whole = layers.LSTM(4, dtype="float64")
    layer(x[:, :4])
    whole(x)
    whole.set_weights(layer.get_weights())
    layer.reset_states()
    layer(x[:, :4])
    np.testing.assert_allclose(layer(x[:, 4:]).data, whole(x).data, rtol=1e-12)
    layer.reset_states()
    assert not np.allclose(layer(x[:, 4:]).data, whole(x).data)
    with pytest.raises(ValueError, match="batch size"):
        layer(x[:1, :4])


def test_initial_state_and_encoder_decoder_gradients():
    enc_in, dec_in = layers.Input(shape=(5, 3)), layers.Input(shape=(4, 2))
    encoder = layers.LSTM(6, return_state=True)
    _, h, c = encoder(enc_in)
    dec = layers.LSTM(6, return_sequences=True)(dec_in, initial_state=[h, c])
    model = models.Model([enc_in, dec_in], layers.TimeDistributed(layers.Dense(2))(dec))
    rng = np.random.default_rng(12)
    xe, xd = rng.standard_normal((8, 5, 3)), rng.standard_normal((8, 4, 2))
    model.compile("adam", "mse")
    before = encoder.get_weights()[0].copy()  # the encoder learns only through the decoder's states
    model.fit([xe, xd], rng.standard_normal((8, 4, 2)), epochs=2, verbose=0)
    assert not np.allclose(before, encoder.get_weights()[0])
    assert model.predict([xe, xd], verbose=0).shape == (8, 4, 2)


def test_dropout_and_recurrent_dropout_only_in_training():
    x = np.random.default_rng(13).standard_normal((4, 6, 3)).astype(np.float32)
    layer = layers.GRU(5, dropout=0.5, recurrent_dropout=0.5)
    a, b = layer(x).data, layer(x).data
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(layer(x, training=True).data, a)


def test_recurrent_configs_roundtrip_and_keras_weight_shapes():
    for layer in (layers.LSTM(4, return_sequences=True, dropout=0.1), layers.GRU(3, reset_after=False),
                  layers.SimpleRNN(2, go_backwards=True), layers.LSTM(3, use_peepholes=True, coupled_gates=True),
                  layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="sum"),
                  layers.TimeDistributed(layers.Dense(2)), layers.Attention(use_scale=True, score_mode="general"),
                  layers.AdditiveAttention()):
        cfg = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(cfg).get_config() == layer.get_config()
    lstm = layers.LSTM(4)
    lstm(np.zeros((1, 2, 3), np.float32))
    assert [w.shape for w in lstm.weights] == [(3, 16), (4, 16), (16,)]
    np.testing.assert_array_equal(lstm.bias.data[4:8], 1.0)  # unit_forget_bias
    gru = layers.GRU(4)
    gru(np.zeros((1, 2, 3), np.float32))
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12), (2, 12)]


# ------------------------------------------------------------------ attention
@pytest.mark.parametrize("make", [lambda: layers.Attention(dtype="float64"),
                                  lambda: layers.Attention(use_scale=True, dtype="float64"),
                                  lambda: layers.Attention(score_mode="general", dtype="float64"),
                                  lambda: layers.Attention(score_mode="concat", dtype="float64"),
                                  lambda: layers.AdditiveAttention(dtype="float64"),
                                  lambda: layers.AdditiveAttention(use_scale=False, dtype="float64")])
@given(tq=st.integers(1, 4), tv=st.integers(1, 5), seed=st.integers(0, 999))
def test_attention_scores_gradcheck(make, tq, tv, seed):
    rng = seeded(seed)
    q, v = rng.standard_normal((2, tq, 3)), rng.standard_normal((2, tv, 3))
    layer = make()
    layer([q, v])
    randomize(layer, seed)
    mask = [None, rng.random((2, tv)) > 0.3]
    mask[1][:, 0] = True
    result = bw.gradcheck(lambda a, b: layer([a, b], mask=mask), q, v, params=layer.trainable_weights)
    assert result.passed, str(result)


def test_attention_weights_follow_the_scores():
    q = np.array([[[1.0, 0.0]]])
    v = np.array([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]])
    context, weights = layers.Attention(dtype="float64")([q, v], return_attention_scores=True,
                                                         mask=[None, np.array([[True, True, False]])])
    expected = np.exp([1.0, 0.0]) / np.exp([1.0, 0.0]).sum()
    np.testing.assert_allclose(weights.data[0, 0], [expected[0], expected[1], 0.0], atol=1e-12)
    np.testing.assert_allclose(context.data[0, 0], expected[0] * v[0, 0] + expected[1] * v[0, 1])
    causal = layers.Attention(dtype="float64")([v, v], use_causal_mask=True, return_attention_scores=True)[1]
    assert np.allclose(np.triu(causal.data[0], 1), 0)
