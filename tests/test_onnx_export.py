"""ONNX export (issue 17): every supported layer exported, checked by ``onnx.checker`` (full check) and
scored by onnxruntime — an independent runtime — at two batch sizes (the batch axis is symbolic), to
1e-5 of brickwork's ``predict`` in float32. Plus the pinned opset/IR version and the errors."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from brickwork import layers, models  # noqa: E402
from brickwork.export import IR_VERSIONS, SUPPORTED_OPSETS, OnnxScorer, to_onnx, to_onnx_model  # noqa: E402

TOL = 1e-5
BATCHES = (2, 5)


def randomize(model, seed=0):
    """Non-trivial weights (biases and moving statistics too), variances positive."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if w.dtype.kind != "f":
            continue
        if "variance" in w.name:
            w.assign(rng.uniform(0.5, 1.5, w.shape))
        else:
            w.assign(rng.uniform(-0.6, 0.6, w.shape))
    return model


def floats(*shape):
    def make(n, seed=0):
        return np.random.default_rng(seed + n).normal(size=(n,) + shape).astype(np.float32)
    return make


def check_export(model, make_inputs, tmp_path, opset=17):
    """Export, full-check, and compare onnxruntime with ``model.predict`` at two batch sizes."""
    path = to_onnx(model, tmp_path / "model.onnx", opset=opset)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for spec in session.get_inputs():
        assert spec.shape[0] == "batch", f"{spec.name}: batch axis {spec.shape[0]!r} is not symbolic"
    for n in BATCHES:
        xs = make_inputs(n)
        xs = list(xs) if isinstance(xs, tuple) else [xs]
        expected = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        expected = expected if isinstance(expected, list) else [expected]
        got = session.run(None, {spec.name: x for spec, x in zip(session.get_inputs(), xs)})
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            e = np.asarray(e)
            assert g.shape == e.shape and g.shape[0] == n
            np.testing.assert_allclose(g, e, rtol=TOL, atol=TOL)
    return proto


def seq(input_shape, *stack, dtype=None):
    return randomize(models.Sequential([layers.Input(input_shape, dtype=dtype), *stack]))


# ------------------------------------------------------------------------- core
ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "elu", "selu", "leaky_relu", "swish", "silu",
               "softplus", "softsign", "hard_sigmoid", "relu6", "exponential", "log_softmax"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_dense_with_each_activation(name, tmp_path):
    model = seq((6,), layers.Dense(5, activation=name), layers.Dense(3, use_bias=False))
    check_export(model, floats(6), tmp_path)


ACTIVATION_LAYERS = {
    "activation_gelu": lambda: layers.Activation("gelu"),
    "relu": lambda: layers.ReLU(),
    "relu_options": lambda: layers.ReLU(max_value=0.8, negative_slope=0.1, threshold=0.2),
    "relu_max": lambda: layers.ReLU(max_value=0.5),
    "leaky_relu": lambda: layers.LeakyReLU(0.1),
    "elu": lambda: layers.ELU(0.7),
    "prelu": lambda: layers.PReLU(),
    "softmax_axis1": lambda: layers.Softmax(axis=1),
    "identity": lambda: layers.Identity(),
}


@pytest.mark.parametrize("key", sorted(ACTIVATION_LAYERS))
def test_activation_layers(key, tmp_path):
    model = seq((4, 3), layers.Dense(3), ACTIVATION_LAYERS[key]())
    check_export(model, floats(4, 3), tmp_path)


def test_dropout_family_is_removed(tmp_path):
    model = seq((8,), layers.Dropout(0.5), layers.Dense(4), layers.GaussianNoise(0.3), layers.GaussianDropout(0.2),
                layers.ActivityRegularization(l1=0.1))
    proto = check_export(model, floats(8), tmp_path)
    assert {n.op_type for n in proto.graph.node} <= {"MatMul", "Add", "Identity"}


# ----------------------------------------------------------------- convolutions
CONV2D = {
    "valid": dict(filters=4, kernel_size=3),
    "same_stride2": dict(filters=4, kernel_size=3, strides=2, padding="same"),
    "same_even_kernel": dict(filters=3, kernel_size=(2, 4), padding="same", activation="relu"),
    "dilated_same": dict(filters=2, kernel_size=3, dilation_rate=2, padding="same", activation="tanh"),
    "groups": dict(filters=4, kernel_size=3, groups=2),
    "channels_first": dict(filters=3, kernel_size=2, data_format="channels_first", strides=(1, 2)),
}


@pytest.mark.parametrize("key", sorted(CONV2D))
def test_conv2d(key, tmp_path):
    model = seq((7, 6, 4), layers.Conv2D(**CONV2D[key]), layers.Flatten(), layers.Dense(2))
    check_export(model, floats(7, 6, 4), tmp_path)


CONV1D = {
    "valid": dict(filters=4, kernel_size=3),
    "same_stride": dict(filters=3, kernel_size=4, strides=2, padding="same"),
    "causal_dilated": dict(filters=2, kernel_size=3, padding="causal", dilation_rate=2, activation="relu"),
}


@pytest.mark.parametrize("key", sorted(CONV1D))
def test_conv1d(key, tmp_path):
    model = seq((9, 3), layers.Conv1D(**CONV1D[key]), layers.GlobalMaxPooling1D())
    check_export(model, floats(9, 3), tmp_path)


def test_depthwise_and_separable(tmp_path):
    model = seq((6, 6, 3), layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
                layers.SeparableConv2D(4, 3, depth_multiplier=2, activation="relu"), layers.GlobalAveragePooling2D())
    check_export(model, floats(6, 6, 3), tmp_path)


POOL = {
    "max2d": lambda: layers.MaxPooling2D(),
    "max2d_same": lambda: layers.MaxPooling2D(3, strides=2, padding="same"),
    "avg2d_same": lambda: layers.AveragePooling2D(2, padding="same"),
    "avg2d": lambda: layers.AveragePooling2D((2, 3), strides=1),
    "gmax2d_keepdims": lambda: layers.GlobalMaxPooling2D(keepdims=True),
    "gavg2d": lambda: layers.GlobalAveragePooling2D(),
}


@pytest.mark.parametrize("key", sorted(POOL))
def test_pooling_2d(key, tmp_path):
    model = seq((5, 7, 3), layers.Conv2D(3, 1), POOL[key](), layers.Flatten())
    check_export(model, floats(5, 7, 3), tmp_path)


@pytest.mark.parametrize("pool", [layers.MaxPooling1D, layers.AveragePooling1D])
def test_pooling_1d_same(pool, tmp_path):
    model = seq((7, 2), pool(2, padding="same"), layers.GlobalAveragePooling1D())
    check_export(model, floats(7, 2), tmp_path)


# -------------------------------------------------------------------- reshaping
def test_reshape_permute_repeat(tmp_path):
    model = seq((12,), layers.Reshape((3, -1)), layers.Permute((2, 1)), layers.Flatten(), layers.Dense(3),
                layers.RepeatVector(2), layers.Reshape((6,)))
    check_export(model, floats(12), tmp_path)


def test_flatten_channels_first(tmp_path):
    model = seq((2, 3, 4), layers.Flatten(data_format="channels_first"), layers.Dense(3))
    check_export(model, floats(2, 3, 4), tmp_path)


# ---------------------------------------------------------------- normalisation
@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_normalization_inference(axis, tmp_path):
    model = seq((4, 5, 3), layers.Conv2D(6 if axis == -1 else 3, 1), layers.BatchNormalization(axis=axis),
                layers.Flatten(), layers.Dense(2), layers.BatchNormalization(center=False))
    check_export(model, floats(4, 5, 3), tmp_path)


@pytest.mark.parametrize("axis", [-1, (1, 2), 1])
def test_layer_normalization(axis, tmp_path):
    model = seq((4, 5), layers.Dense(5), layers.LayerNormalization(axis=axis, epsilon=1e-4))
    proto = check_export(model, floats(4, 5), tmp_path)
    ops = {n.op_type for n in proto.graph.node}
    assert ("LayerNormalization" in ops) == (axis != 1)  # axis 1 of a 3-D input is not a trailing block


def test_normalization_preprocessing(tmp_path):
    data = np.random.default_rng(1).normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    norm = layers.Normalization()
    norm.adapt(data)
    model = models.Sequential([layers.Input((4,)), norm, layers.Dense(2),
                               layers.Normalization(mean=1.0, variance=4.0, invert=True)])
    check_export(model, floats(4), tmp_path)


@pytest.mark.parametrize("add_indicator", [True, False])
def test_imputation_fills_nan(add_indicator, tmp_path):
    impute = layers.Imputation(add_indicator=add_indicator)
    data = np.random.default_rng(2).normal(size=(30, 3)).astype(np.float32)
    data[::4, 1] = np.nan
    impute.adapt(data)
    model = models.Sequential([layers.Input((3,)), impute, layers.Dense(2)])

    def make(n):
        x = floats(3)(n)
        x[0, 1] = x[-1, 2] = np.nan
        return x

    check_export(model, make, tmp_path)


def test_embedding_int_inputs(tmp_path):
    model = seq((6,), layers.Embedding(20, 4), layers.GlobalAveragePooling1D(), layers.Dense(2), dtype="int32")

    def make(n):
        return np.random.default_rng(n).integers(0, 20, size=(n, 6)).astype(np.int32)

    check_export(model, make, tmp_path)


def test_masking_values(tmp_path):
    model = seq((5, 3), layers.Masking(0.0), layers.Dense(2))

    def make(n):
        x = floats(5, 3)(n)
        x[:, 1] = 0.0
        return x

    check_export(model, make, tmp_path)


# ------------------------------------------------------------ merge, functional
MERGES = {"add": layers.Add, "subtract": layers.Subtract, "multiply": layers.Multiply, "average": layers.Average,
          "maximum": layers.Maximum, "minimum": layers.Minimum, "concatenate": layers.Concatenate}


@pytest.mark.parametrize("key", sorted(MERGES))
def test_merge_layers_two_inputs_two_outputs(key, tmp_path):
    a, b = layers.Input((4,), name="left"), layers.Input((4,), name="right")
    merged = MERGES[key]()([layers.Dense(3)(a), layers.Dense(3)(b)])
    model = randomize(models.Model([a, b], [layers.Dense(2, name="head")(merged), layers.Dense(1)(merged)]))
    proto = check_export(model, lambda n: (floats(4)(n), floats(4)(n, seed=7)), tmp_path)
    assert [i.name for i in proto.graph.input] == ["left", "right"]
    assert proto.graph.output[0].name == "head"


def test_nested_sequential_in_functional(tmp_path):
    inner = models.Sequential([layers.Input((5,)), layers.Dense(4, activation="relu"), layers.Dense(3)])
    x = layers.Input((5,))
    y = layers.Concatenate()([inner(x), layers.Dense(2)(x)])
    model = randomize(models.Model(x, layers.Dense(1, activation="sigmoid")(y)))
    check_export(model, floats(5), tmp_path)


# -------------------------------------------------------------------- recurrent
RECURRENT = {
    "lstm": lambda **k: layers.LSTM(4, **k),
    "gru": lambda **k: layers.GRU(4, **k),
    "gru_reset_before": lambda **k: layers.GRU(4, reset_after=False, **k),
    "simple_rnn": lambda **k: layers.SimpleRNN(4, **k),
    "lstm_no_bias": lambda **k: layers.LSTM(3, use_bias=False, **k),
    "gru_relu": lambda **k: layers.GRU(3, activation="relu", **k),
}


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("key", sorted(RECURRENT))
def test_recurrent(key, return_sequences, go_backwards, tmp_path):
    layer = RECURRENT[key](return_sequences=return_sequences, go_backwards=go_backwards)
    model = seq((6, 3), layer, layers.Dense(2))
    check_export(model, floats(6, 3), tmp_path)


@pytest.mark.parametrize("cls", [layers.LSTM, layers.GRU])
def test_recurrent_return_state_and_initial_state(cls, tmp_path):
    x = layers.Input((5, 3))
    out, *states = cls(4, return_sequences=True, return_state=True)(x)
    y = cls(4)(out, initial_state=states)
    model = randomize(models.Model(x, [y] + states))
    check_export(model, floats(5, 3), tmp_path)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_bidirectional(merge_mode, tmp_path):
    model = seq((5, 3), layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode=merge_mode),
                layers.Bidirectional(layers.GRU(2), merge_mode=merge_mode), layers.Dense(2))
    check_export(model, floats(5, 3), tmp_path)


def test_lstm_gate_order_is_mapped(tmp_path):
    """The exported W rows are Keras's kernel columns in ONNX's i, o, f, c order."""
    model = seq((4, 3), layers.LSTM(2))
    proto = to_onnx_model(model)
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    w = next(v for k, v in weights.items() if k.endswith("/W"))
    i, f, c, o = np.split(model.layers[0].kernel.data, 4, axis=1)
    np.testing.assert_array_equal(w[0], np.concatenate([i, o, f, c], axis=1).T)
    gru = to_onnx_model(seq((4, 3), layers.GRU(2)))
    node = next(n for n in gru.graph.node if n.op_type == "GRU")
    assert onnx.helper.get_attribute_value(next(a for a in node.attribute if a.name == "linear_before_reset")) == 1


# -------------------------------------------------------------------- attention
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_self(causal, tmp_path):
    x = layers.Input((5, 8))
    y = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x, use_causal_mask=causal)
    model = randomize(models.Model(x, layers.Dense(2)(y)))
    check_export(model, floats(5, 8), tmp_path)


def test_multi_head_attention_cross_with_scores(tmp_path):
    q, v, k = layers.Input((4, 6)), layers.Input((7, 5)), layers.Input((7, 3))
    out, scores = layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=(2, 5))(
        q, v, key=k, return_attention_scores=True)
    model = randomize(models.Model([q, v, k], [out, scores]))
    check_export(model, lambda n: (floats(4, 6)(n), floats(7, 5)(n, 1), floats(7, 3)(n, 2)), tmp_path)


# ------------------------------------------------------------- opset/ir version
@pytest.mark.parametrize("opset", SUPPORTED_OPSETS)
def test_opset_and_ir_version_are_pinned(opset, tmp_path):
    model = seq((4, 3), layers.Dense(3, activation="gelu"), layers.LayerNormalization(),
                layers.GlobalAveragePooling1D(), layers.Dense(2))
    check_export(model, floats(4, 3), tmp_path, opset=opset)
    proto = onnx.load(str(tmp_path / "model.onnx"))
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", opset)]
    assert proto.ir_version == IR_VERSIONS[opset]
    assert proto.producer_name == "brickwork"


def test_default_opset_is_17(tmp_path):
    proto = onnx.load(to_onnx(seq((3,), layers.Dense(1)), tmp_path / "m.onnx"))
    assert proto.opset_import[0].version == 17 and proto.ir_version == 8


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("opset", [16, 22, 99, "17", 17.0, True, None])
def test_bad_opset(opset, tmp_path):
    with pytest.raises(ValueError, match="opset"):
        to_onnx(seq((3,), layers.Dense(1)), tmp_path / "m.onnx", opset=opset)
    assert not (tmp_path / "m.onnx").exists()


def test_unsupported_layer_names_layer_class_and_supported(tmp_path):
    model = seq((4, 4, 2), layers.Conv2DTranspose(2, 3, name="upsampler"))
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match=r"'upsampler' of class Conv2DTranspose.*Supported layers: \[.*'Conv2D'"):
        to_onnx(model, path)
    assert path.read_bytes() == b"previous"  # the failed export left the old file alone


def test_unbuilt_model(tmp_path):
    model = models.Sequential([layers.Dense(2)], name="not_yet")
    with pytest.raises(ValueError, match="'not_yet' is not built"):
        to_onnx(model, tmp_path / "m.onnx")


def test_subclassed_model_refused(tmp_path):
    class Net(models.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net.predict(np.zeros((2, 3), np.float32), verbose=0)
    with pytest.raises(TypeError, match="Net 'net'"):
        to_onnx(net, tmp_path / "m.onnx")


def test_mask_consumer_refused(tmp_path):
    model = seq((5,), layers.Embedding(10, 3, mask_zero=True), layers.LSTM(2, name="masked_lstm"), dtype="int32")
    with pytest.raises(ValueError, match="'masked_lstm' of class LSTM would use a mask"):
        to_onnx(model, tmp_path / "m.onnx")


def test_stateful_and_peephole_recurrent_refused(tmp_path):
    stateful = models.Sequential([layers.Input((3, 2), batch_size=4), layers.GRU(2, stateful=True, name="sgru")])
    with pytest.raises(ValueError, match="GRU 'sgru': stateful=True"):
        to_onnx(stateful, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="LSTM 'peep': the peephole"):
        to_onnx(seq((3, 2), layers.LSTM(2, use_peepholes=True, name="peep")), tmp_path / "m.onnx")


def test_unsupported_activation_names_layer(tmp_path):
    model = seq((3,), layers.Dense(2, activation=lambda t: t * 2, name="odd"))
    with pytest.raises(ValueError, match="Dense 'odd': activation .* supported activations"):
        to_onnx(model, tmp_path / "m.onnx")


def test_attention_mask_refused(tmp_path):
    q, m = layers.Input((3, 4)), layers.Input((3, 3), dtype="bool")
    y = layers.MultiHeadAttention(2, 2, name="mha")(q, q, attention_mask=m)
    with pytest.raises(ValueError, match="MultiHeadAttention 'mha': attention_mask"):
        to_onnx(models.Model([q, m], y), tmp_path / "m.onnx")


def test_float64_model_warns_where_onnxruntime_is_float32_only(tmp_path):
    model = seq((4, 3), layers.GRU(2, dtype="float64"), dtype="float64")
    with pytest.warns(UserWarning, match=r"float64 and uses \['GRU'\]"):
        to_onnx(model, tmp_path / "m.onnx")
    dense = seq((3,), layers.Dense(2, dtype="float64"), dtype="float64")  # float64 MatMul runs: no warning
    check_export(dense, lambda n: floats(3)(n).astype(np.float64), tmp_path)


def test_bad_path_type():
    with pytest.raises(TypeError, match="path"):
        to_onnx(seq((3,), layers.Dense(1)), 42)


# ------------------------------------------------------------------------ scorer
def test_scorer_matches_predict_and_accepts_list_dict_and_chunks(tmp_path):
    a, b = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    model = randomize(models.Model([a, b], layers.Dense(2)(layers.Concatenate()([a, b]))))
    scorer = OnnxScorer(to_onnx(model, tmp_path / "m.onnx"))
    assert scorer.input_names == ["a", "b"] and len(scorer.output_names) == 1
    xa, xb = floats(3)(9), floats(2)(9)
    expected = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(scorer.predict([xa, xb]), expected, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(scorer.predict({"a": xa, "b": xb.astype(np.float64)}, batch_size=4), expected,
                               rtol=TOL, atol=TOL)
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \['a', 'b'\]"):
        scorer.predict([xa])
    with pytest.raises(ValueError, match=r"lacks \['b'\]"):
        scorer.predict({"a": xa})
    with pytest.raises(ValueError, match="batch_size"):
        scorer.predict([xa, xb], batch_size=0)


def test_scorer_missing_and_broken_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        OnnxScorer(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="bad.onnx"):
        OnnxScorer(bad)


def test_import_needs_no_onnx():
    code = ("import sys, brickwork, brickwork.export; "
            "print(any(m in sys.modules for m in ('onnx', 'onnxruntime')))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"
