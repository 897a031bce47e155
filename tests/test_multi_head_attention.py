"""The fused attention primitive and ``layers.MultiHeadAttention`` against the composed autograd
reference, finite differences, Keras 3 (torch backend) and ``torch.nn.MultiheadAttention``."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest
import torch

import brickwork as bw
from brickwork import functions as F
from brickwork import layers, models, ops
from brickwork.ops.attention import composed_dot_product_attention

TOL = {"float64": 1e-6, "float32": 1e-4}


def _rng(seed=0):
    return np.random.default_rng(seed)


def _np(x):
    if isinstance(x, bw.Tensor):
        return np.asarray(x.data)
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _close(a, b, tol, what=""):
    a, b = _np(a).astype(np.float64), _np(b).astype(np.float64)
    assert a.shape == b.shape, f"{what}: {a.shape} != {b.shape}"
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    err = float(np.abs(a - b).max(initial=0.0))
    assert err <= tol * scale, f"{what}: max |diff| {err:.3g} > {tol * scale:.3g}"
    return err


def _random_keep(rng, shape, full_row=None):
    keep = rng.random(shape) > 0.35
    keep[..., 0] = True
    if full_row is not None:
        keep[full_row] = False  # a fully masked row
    return keep


# ---------------------------------------------------------------------------------------------- primitive
def _composed_zero_rows(q, k, v, keep, scale):
    """The readable reference in (B, H, T, D) layout: matmul, masked softmax, matmul, with fully masked
    rows zeroed (Keras's masked-softmax result)."""
    logits = F.matmul(q, F.transpose(k, (0, 1, 3, 2))) * scale
    logits = F.where(keep, logits, np.asarray(-1e9, q.dtype))
    probs = F.softmax(logits, -1) * bw.Tensor(keep.any(-1, keepdims=True).astype(q.dtype))
    return F.matmul(probs, v), probs


@pytest.mark.parametrize("masked_rows", ["zeros", "uniform"])
def test_fused_matches_composed_reference(masked_rows):
    rng = _rng(1)
    b, h, t, s, d, dv = 2, 3, 4, 5, 3, 3  # ops.dot_product_attention needs equal key and value sizes
    keep = _random_keep(rng, (b, h, t, s), full_row=(1, 2, 3))
    arrays = [rng.normal(size=shp) for shp in ((b, h, t, d), (b, h, s, d), (b, h, s, dv))]
    g_out, g_p = rng.normal(size=(b, h, t, dv)), rng.normal(size=(b, h, t, s))

    def run(fused):
        xs = [bw.Tensor(a, requires_grad=True) for a in arrays]
        if fused:
            out, probs = F.scaled_dot_product_attention(*xs, mask=keep, masked_rows=masked_rows)
        elif masked_rows == "zeros":
            out, probs = _composed_zero_rows(*xs, keep, 1 / np.sqrt(d))
        else:  # Keras's ops layout (B, T, N, H) through the composed ops version
            tr = [F.transpose(x, (0, 2, 1, 3)) for x in xs]
            out = F.transpose(composed_dot_product_attention(*tr, mask=keep), (0, 2, 1, 3))
            probs = None
        loss = F.sum(out * bw.Tensor(g_out))
        if masked_rows == "zeros":  # the composed ops version does not return its probabilities
            loss = loss + F.sum(probs * bw.Tensor(g_p))
        loss.backward()
        return [out] + [x.grad for x in xs]

    for got, want, what in zip(run(True), run(False), ["out", "dq", "dk", "dv"]):
        _close(got, want, 1e-12, what)
    assert np.isfinite(run(True)[1]).all()


def test_fully_masked_row_outputs_zero_and_finite_gradients():
    rng = _rng(2)
    q, k, v = (bw.Tensor(rng.normal(size=(1, 1, 3, 2)), requires_grad=True) for _ in range(3))
    keep = np.ones((3, 3), bool)
    keep[1] = False
    out, probs = F.scaled_dot_product_attention(q, k, v, mask=keep)
    F.sum(out * out).backward()
    np.testing.assert_array_equal(out.data[0, 0, 1], 0.0)
    np.testing.assert_array_equal(probs.data[0, 0, 1], 0.0)
    np.testing.assert_array_equal(q.grad[0, 0, 1], 0.0)
    for x in (q, k, v):
        assert np.isfinite(x.grad).all()


def test_primitive_matches_torch_sdpa():
    rng = _rng(3)
    q, k, v = rng.normal(size=(2, 2, 3, 4)), rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(2, 2, 5, 3))
    keep = _random_keep(rng, (2, 1, 3, 5))
    bias = rng.normal(size=(1, 2, 3, 5))
    xs = [bw.Tensor(a, requires_grad=True) for a in (q, k, v, bias)]
    out, _ = F.scaled_dot_product_attention(xs[0], xs[1], xs[2], mask=keep, bias=xs[3], scale=0.7)
    g = rng.normal(size=out.shape)
    F.sum(out * bw.Tensor(g)).backward()
    ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v, bias)]
    attn_bias = ts[3] + torch.where(torch.tensor(keep), 0.0, -torch.inf).double()
    tout = torch.nn.functional.scaled_dot_product_attention(ts[0], ts[1], ts[2], attn_mask=attn_bias, scale=0.7)
    (tout * torch.tensor(g)).sum().backward()
    _close(out, tout, 1e-12, "out")
    for x, t, what in zip(xs, ts, ["dq", "dk", "dv", "dbias"]):
        _close(x.grad, t.grad, 1e-12, what)


@pytest.mark.parametrize("masked_rows", ["zeros", "uniform"])
def test_primitive_gradcheck_with_masks_and_bias(masked_rows):
    rng = _rng(4)
    keep = _random_keep(rng, (2, 1, 3, 4), full_row=(0, 0, 2))
    arrays = (rng.normal(size=(2, 2, 3, 3)), rng.normal(size=(2, 2, 4, 3)), rng.normal(size=(2, 2, 4, 2)),
              rng.normal(size=(2, 1, 3, 4)))

    def fn(q, k, v, bias):  # both outputs take part: the probabilities are differentiable too
        return F.scaled_dot_product_attention(q, k, v, mask=keep, bias=bias, masked_rows=masked_rows)

    assert bw.gradcheck(fn, *arrays)


def test_primitive_dropout_mask_saved_for_backward():
    rng = _rng(5)
    arrays = (rng.normal(size=(2, 2, 3, 3)), rng.normal(size=(2, 2, 4, 3)), rng.normal(size=(2, 2, 4, 2)))
    keep = _random_keep(rng, (2, 2, 3, 4))

    def fn(q, k, v):  # a fresh generator with the same seed: the same dropout mask at every evaluation
        return F.scaled_dot_product_attention(q, k, v, mask=keep, dropout_rate=0.4,
                                              rng=np.random.default_rng(7))[0]

    assert bw.gradcheck(fn, *arrays)
    out = fn(*(bw.Tensor(a) for a in arrays))
    _, probs = F.scaled_dot_product_attention(*(bw.Tensor(a) for a in arrays), mask=keep)
    draw = np.random.default_rng(7).random(probs.shape) >= 0.4
    np.testing.assert_allclose(out.data, (probs.data * draw / 0.6) @ arrays[2], atol=1e-12)
    no_drop = F.scaled_dot_product_attention(*(bw.Tensor(a) for a in arrays), mask=keep, dropout_rate=0.4,
                                             training=False)[0]
    np.testing.assert_allclose(no_drop.data, probs.data @ arrays[2], atol=1e-12)


def test_ops_dot_product_attention_is_one_fused_node():
    rng = _rng(6)
    q = bw.Tensor(rng.normal(size=(1, 3, 2, 4)), requires_grad=True)
    out = ops.dot_product_attention(q, q, q, is_causal=True)
    node, kinds = out.creator, set()
    while node is not None:
        kinds.add(type(node).__name__)
        node = next((x.creator for x in node.inputs if x.creator is not None), None)
    assert "ScaledDotProductAttention" in kinds and "Softmax" not in kinds


@pytest.mark.parametrize("call, match", [
    (lambda: F.scaled_dot_product_attention(np.zeros((2, 3, 4)), np.zeros((2, 5, 3)), np.zeros((2, 5, 4))),
     r"q \(2, 3, 4\), k \(2, 5, 3\)"),
    (lambda: F.scaled_dot_product_attention(np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 4)),
                                            mask=np.ones((3, 4), bool)), r"mask of shape \(3, 4\).*\(2, 3, 5\)"),
    (lambda: F.scaled_dot_product_attention(np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 4)),
                                            dropout_rate=1.0), "dropout_rate"),
    (lambda: ops.dot_product_attention(np.zeros((1, 3, 2, 4)), np.zeros((1, 5, 2, 4)), np.zeros((1, 5, 2, 4)),
                                       mask=np.ones((2, 2), bool)), r"mask of shape \(2, 2\)"),
])
def test_primitive_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------------------------- the layer
def _keras_mha(layer, **kwargs):
    import keras

    cfg = dict(num_heads=layer.num_heads, key_dim=layer.key_dim, value_dim=layer.value_dim,
               output_shape=layer._output_shape, dtype=layer.dtype, **kwargs)
    return keras.layers.MultiHeadAttention(**cfg)


def _k_tensor(a, mask=None):
    from keras.src.backend.common.masking import set_keras_mask

    t = torch.tensor(a, requires_grad=True)
    if mask is not None:
        set_keras_mask(t, torch.tensor(mask))
    return t


def _bw_tensor(a, mask=None):
    t = bw.Tensor(a, requires_grad=True)
    if mask is not None:
        t._keras_mask = mask
    return t


CASES = {
    # name: (query shape, value shape, key shape or None, masks on (query, value, key), attention-mask, causal)
    "self": ((2, 4, 6), None, None, (False, False, False), False, False),
    "self-padding": ((2, 4, 6), None, None, (True, True, False), False, False),
    "self-causal": ((2, 4, 6), None, None, (False, False, False), False, True),
    "self-causal-padding": ((2, 4, 6), None, None, (True, True, False), False, True),
    "cross": ((2, 3, 6), (2, 5, 4), None, (False, True, False), False, False),
    "cross-key": ((2, 3, 6), (2, 5, 4), (2, 5, 3), (True, True, True), True, False),
    "cross-attention-mask": ((2, 3, 6), (2, 5, 4), None, (False, False, False), True, False),
}


def _case_data(case, dtype, seed=0):
    qs, vs, ks, masked, with_am, causal = CASES[case]
    rng = _rng(seed)
    q = rng.normal(size=qs).astype(dtype)
    v = q if vs is None else rng.normal(size=vs).astype(dtype)
    k = None if ks is None else rng.normal(size=ks).astype(dtype)
    s = v.shape[1]
    masks = [(_random_keep(rng, (qs[0], n)) if m else None) for m, n in zip(masked, (qs[1], s, s))]
    am = _random_keep(rng, (qs[0], qs[1], s)) if with_am else None
    return q, v, k, masks, am, causal


def _run_bw(layer, q, v, k, masks, am, causal, g_out, g_scores, self_attention):
    tq = _bw_tensor(q, masks[0])
    tv = tq if self_attention else _bw_tensor(v, masks[1])
    tk = None if k is None else _bw_tensor(k, masks[2])
    out, scores = layer(tq, tv, key=tk, attention_mask=am, use_causal_mask=causal, return_attention_scores=True)
    loss = F.sum(out * bw.Tensor(g_out)) + F.sum(scores * bw.Tensor(g_scores))
    for w in layer.trainable_weights:
        w.grad = None
    loss.backward()
    grads = [tq.grad] + ([] if self_attention else [tv.grad]) + ([] if tk is None else [tk.grad])
    return out, scores, grads, [w.grad for w in layer.trainable_weights]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_keras(case, dtype):
    from keras.src.backend.common.masking import get_keras_mask

    q, v, k, masks, am, causal = _case_data(case, dtype)
    self_attention = CASES[case][1] is None
    if self_attention:
        masks[1] = masks[0] if masks[1] is not None else None
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, dtype=dtype)
    layer(q, v, key=k)
    rng = _rng(9)
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(dtype) for w in layer.weights])
    klayer = _keras_mha(layer)
    klayer(torch.tensor(q), torch.tensor(v), key=None if k is None else torch.tensor(k))
    klayer.set_weights(layer.get_weights())
    assert [w.path.split("/", 1)[1] for w in klayer.weights] == [w.path for w in layer.weights]

    out_shape = q.shape[:-1] + (q.shape[-1],)
    g_out = rng.normal(size=out_shape).astype(dtype)
    g_scores = rng.normal(size=(q.shape[0], 2, q.shape[1], v.shape[1])).astype(dtype)
    out, scores, grads, wgrads = _run_bw(layer, q, v, k, masks, am, causal, g_out, g_scores, self_attention)

    kq = _k_tensor(q, masks[0])
    kv = kq if self_attention else _k_tensor(v, masks[1])
    kk = None if k is None else _k_tensor(k, masks[2])
    kout, kscores = klayer(kq, kv, key=kk, attention_mask=None if am is None else torch.tensor(am),
                           use_causal_mask=causal, return_attention_scores=True)
    ((kout * torch.tensor(g_out)).sum() + (kscores * torch.tensor(g_scores)).sum()).backward()
    tol = TOL[dtype]
    _close(out, kout, tol, "output")
    _close(scores, kscores, tol, "scores")
    kgrads = [kq.grad] + ([] if self_attention else [kv.grad]) + ([] if kk is None else [kk.grad])
    for i, (a, b) in enumerate(zip(grads, kgrads)):
        _close(a, b, tol, f"input gradient {i}")
    for w, a, kw in zip(layer.trainable_weights, wgrads, klayer.trainable_weights):
        _close(a, kw.value.grad, tol, f"gradient of {w.path}")
    kmask = get_keras_mask(kout)
    if masks[0] is None:
        assert out._keras_mask is None and kmask is None
    else:
        np.testing.assert_array_equal(out._keras_mask, _np(kmask))
        assert scores._keras_mask is None
    if not any(m is not None for m in masks[:1]):  # no fully masked rows: Keras's fused path agrees too
        fused = klayer(torch.tensor(q), torch.tensor(v), key=None if k is None else torch.tensor(k),
                       value_mask=None if masks[1] is None else torch.tensor(masks[1]),
                       key_mask=None if masks[2] is None else torch.tensor(masks[2]),
                       attention_mask=None if am is None else torch.tensor(am), use_causal_mask=causal)
        _close(out, fused, tol, "output vs Keras's fused path")


def _torch_mha(layer, dtype, kdim, vdim):
    e = layer.num_heads * layer.key_dim
    mha = torch.nn.MultiheadAttention(e, layer.num_heads, batch_first=True, kdim=kdim, vdim=vdim,
                                      dtype=getattr(torch, dtype))
    wq, bq, wk, bk, wv, bv, wo, bo = (torch.tensor(w) for w in layer.get_weights())
    with torch.no_grad():
        if mha._qkv_same_embed_dim:
            mha.in_proj_weight.copy_(torch.cat([w.reshape(w.shape[0], -1).T for w in (wq, wk, wv)]))
        else:
            for name, w in (("q", wq), ("k", wk), ("v", wv)):
                getattr(mha, f"{name}_proj_weight").copy_(w.reshape(w.shape[0], -1).T)
        mha.in_proj_bias.copy_(torch.cat([bq.reshape(-1), bk.reshape(-1), bv.reshape(-1)]))
        mha.out_proj.weight.copy_(wo.reshape(-1, wo.shape[-1]).T)
        mha.out_proj.bias.copy_(bo)
    return mha


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", ["self", "self-padding", "self-causal", "cross", "cross-key"])
def test_matches_torch_multihead_attention(case, dtype):
    q, v, k, masks, _, causal = _case_data(case, dtype, seed=1)
    self_attention = CASES[case][1] is None
    masks[0] = None  # torch has no query mask (Keras's query mask gives fully masked rows, NaN in torch)
    if self_attention:
        masks[1] = None if masks[1] is None else _random_keep(_rng(2), masks[1].shape)
    if masks[2] is not None:  # torch has one key-padding mask: give Keras's value and key masks the same one
        masks[2] = masks[1]
    e = q.shape[-1]
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=e // 2, dtype=dtype)
    key = v if k is None else k
    layer(q, v, key=k)
    rng = _rng(10)
    layer.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(dtype) for w in layer.weights])
    g_out = rng.normal(size=q.shape).astype(dtype)
    g_scores = rng.normal(size=(q.shape[0], 2, q.shape[1], v.shape[1])).astype(dtype)
    out, scores, grads, wgrads = _run_bw(layer, q, v, k, masks, None, causal, g_out, g_scores,
                                         self_attention and masks[1] is None)
    mha = _torch_mha(layer, dtype, key.shape[-1], v.shape[-1])
    tq = torch.tensor(q, requires_grad=True)
    tv = tq if self_attention and masks[1] is None else torch.tensor(v, requires_grad=True)
    tk = tv if k is None else torch.tensor(k, requires_grad=True)
    kpm = None if masks[1] is None else torch.tensor(~masks[1])
    attn_mask = torch.tensor(~np.tril(np.ones((q.shape[1], v.shape[1]), bool))) if causal else None
    tout, tscores = mha(tq, tk, tv, key_padding_mask=kpm, attn_mask=attn_mask, need_weights=True,
                        average_attn_weights=False)
    ((tout * torch.tensor(g_out)).sum() + (tscores * torch.tensor(g_scores)).sum()).backward()
    tol = TOL[dtype]
    _close(out, tout, tol, "output")
    _close(scores, tscores, tol, "scores")
    tgrads = [tq.grad] + ([] if tv is tq else [tv.grad]) + ([] if k is None else [tk.grad])
    for i, (a, b) in enumerate(zip(grads, tgrads)):
        _close(a, b, tol, f"input gradient {i}")
    # weight gradients, mapped back to torch's layouts
    dq, dbq, dk, dbk, dv, dbv, do, dbo = wgrads
    if mha._qkv_same_embed_dim:
        want_in = mha.in_proj_weight.grad
        _close(np.concatenate([g.reshape(g.shape[0], -1).T for g in (dq, dk, dv)]), want_in, tol, "in_proj_weight")
    else:
        for name, g in (("q", dq), ("k", dk), ("v", dv)):
            _close(g.reshape(g.shape[0], -1).T, getattr(mha, f"{name}_proj_weight").grad, tol, f"{name}_proj")
    _close(np.concatenate([dbq.ravel(), dbk.ravel(), dbv.ravel()]), mha.in_proj_bias.grad, tol, "in_proj_bias")
    _close(do.reshape(-1, do.shape[-1]).T, mha.out_proj.weight.grad, tol, "out_proj.weight")
    _close(dbo, mha.out_proj.bias.grad, tol, "out_proj.bias")


@pytest.mark.parametrize("causal", [False, True])
def test_layer_gradcheck_with_masks(causal):
    rng = _rng(11)
    q, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 5))
    q_mask, v_mask = _random_keep(rng, (2, 3)), _random_keep(rng, (2, 3))
    q_mask[1, 1] = False
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=3, output_shape=(2, 3), dtype="float64")
    layer(q, v)
    for w in layer.weights:
        w.assign(rng.uniform(-0.5, 0.5, w.shape))

    def fn(a, b):
        return layer(a, b, query_mask=q_mask, value_mask=v_mask, use_causal_mask=causal,
                     return_attention_scores=True)

    # key/bias has an identically zero gradient (softmax is shift-invariant: q.(k + b) moves a whole row by q.b),
    # so its finite differences are pure round-off; check it is zero and finite-difference the rest
    key_bias = layer.key_dense.bias
    assert bw.gradcheck(fn, q, v, params=[w for w in layer.trainable_weights if w is not key_bias])
    key_bias.grad = None
    out, scores = fn(bw.Tensor(q), bw.Tensor(v))
    (F.sum(out * out) + F.sum(scores * scores)).backward()
    np.testing.assert_allclose(key_bias.grad, 0.0, atol=1e-12)


def test_dropout_in_training_only_and_seeded():
    rng = _rng(12)
    q = rng.normal(size=(2, 4, 6))
    layer = layers.MultiHeadAttention(2, 3, dropout=0.5, seed=3, dtype="float64")
    a = layer(q, q, training=False)
    b = layer(q, q, training=False)
    np.testing.assert_array_equal(a.data, b.data)
    c = layer(q, q, training=True)
    assert np.abs(c.data - a.data).max() > 1e-3
    twin = layers.MultiHeadAttention(2, 3, dropout=0.5, seed=3, dtype="float64")
    twin(q, q)
    twin.set_weights(layer.get_weights())
    fresh = layers.MultiHeadAttention(2, 3, dropout=0.5, seed=3, dtype="float64")
    fresh(q, q)
    fresh.set_weights(layer.get_weights())
    np.testing.assert_array_equal(twin(q, q, training=True).data, fresh(q, q, training=True).data)


def test_functional_model_saves_and_loads():
    q_in, v_in = layers.Input((3, 6)), layers.Input((5, 4))
    out = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(q_in, v_in)
    model = models.Model([q_in, v_in], layers.Dense(2)(out))
    assert model.output.shape == (None, 3, 2)
    rng = _rng(13)
    x = [rng.normal(size=(2, 3, 6)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("float32")]
    expected = model(x).data
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.bw")
        model.save(path)
        loaded = models.load_model(path)
    np.testing.assert_allclose(loaded(x).data, expected, rtol=1e-6, atol=1e-6)
    assert [w.path for w in loaded.get_layer("mha").weights] == [w.path for w in model.get_layer("mha").weights]


def test_symbolic_call_returns_scores_shape_and_mask():
    q_in = layers.Input((4,), dtype="int64")
    emb = layers.Embedding(7, 6, mask_zero=True)(q_in)
    out, scores = layers.MultiHeadAttention(2, 3)(emb, emb, return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 2, 4, 4)
    assert out._keras_mask is not None


def test_config_round_trip_and_keras_accepts_it():
    import keras

    layer = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, dropout=0.1, use_bias=False,
                                      output_shape=5, kernel_regularizer="l2", seed=2)
    cfg = layer.get_config()
    assert layers.MultiHeadAttention.from_config(cfg).get_config() == cfg
    kcfg = {k: v for k, v in cfg.items() if k not in ("name",)}
    klayer = keras.layers.MultiHeadAttention.from_config(kcfg)
    for key in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "seed"):
        assert klayer.get_config()[key] == cfg[key]
    layer(np.zeros((1, 2, 3), "float32"), np.zeros((1, 4, 3), "float32"))
    klayer(np.zeros((1, 2, 3), "float32"), np.zeros((1, 4, 3), "float32"))
    assert [tuple(w.shape) for w in klayer.weights] == [w.shape for w in layer.weights]
    assert len(layer.losses) == 4  # an L2 penalty for each kernel


@pytest.mark.parametrize("make, call, error, match", [
    (lambda: layers.MultiHeadAttention(0, 2), None, ValueError, "num_heads"),
    (lambda: layers.MultiHeadAttention(2, 2, attention_axes=(2,)), lambda m: m(np.zeros((1, 2, 3, 4)),
                                                                              np.zeros((1, 2, 3, 4))),
     NotImplementedError, "attention_axes"),
    (lambda: layers.MultiHeadAttention(2, 2, name="att"), lambda m: m(np.zeros((2, 4)), np.zeros((2, 4))),
     ValueError, r"'att'.*rank >= 3.*\(2, 4\)"),
    (lambda: layers.MultiHeadAttention(2, 2, name="att"),
     lambda m: m(np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), key=np.zeros((2, 6, 4))),
     ValueError, r"'att'.*value_shape=\(2, 5, 4\) and key_shape=\(2, 6, 4\)"),
    (lambda: layers.MultiHeadAttention(2, 2, name="att"),
     lambda m: (m(np.zeros((2, 3, 4)), np.zeros((2, 5, 4))), m(np.zeros((2, 3, 7)), np.zeros((2, 5, 4)))),
     ValueError, r"'att' was built for .*\(4, 4, 4\).*\(2, 3, 7\)"),
    (lambda: layers.MultiHeadAttention(2, 2, name="att"),
     lambda m: m(np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), attention_mask=np.ones((2, 5, 3), bool)),
     ValueError, r"'att'.*attention_mask.*\(2, 5, 3\)"),
    (lambda: layers.MultiHeadAttention(2, 2, name="att"),
     lambda m: m(np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), value_mask=np.ones((2, 3), bool)),
     ValueError, r"'att'.*value_mask must have shape \(2, 5\); got \(2, 3\)"),
    (lambda: layers.MultiHeadAttention(2, 2, name="att"),
     lambda m: m(np.zeros((2, 3, 4)), np.zeros((3, 5, 4))), ValueError, r"'att'.*batch sizes.*\(3, 5, 4\)"),
])
def test_bad_inputs(make, call, error, match):
    with pytest.raises(error, match=match):
        m = make()
        call(m)


def test_higher_rank_inputs_flatten_the_attention_axes():
    """Keras's default ``attention_axes=None`` on (B, X, Y, E): attention over the X*Y positions jointly."""
    import keras

    rng = _rng(14)
    q, v = rng.normal(size=(2, 2, 3, 4)), rng.normal(size=(2, 2, 2, 5))
    layer = layers.MultiHeadAttention(2, 3, dtype="float64")
    out, scores = layer(q, v, return_attention_scores=True)
    klayer = keras.layers.MultiHeadAttention(2, 3, dtype="float64")
    klayer(torch.tensor(q), torch.tensor(v))
    klayer.set_weights(layer.get_weights())
    kout, kscores = klayer(torch.tensor(q), torch.tensor(v), return_attention_scores=True)
    _close(out, kout, 1e-10, "output")
    _close(scores, kscores, 1e-10, "scores")
