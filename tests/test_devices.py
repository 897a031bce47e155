"""The device seam (``set_device``, ``model.to``, moves, saving across devices), on the CPU stand-in for CuPy.

Every layer's device behaviour is checked by the conformance harness (``device`` check); here: whole
models trained on the "GPU" with every optimizer, loss and metric give the CPU's numbers, batches move
on their own, ``predict`` returns NumPy, files saved from the device load on the CPU and back, and the
stand-in itself is as strict as CuPy (else these tests could not fail).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conformance_device import fake_gpu

import brickwork as bw
from brickwork import layers, losses, metrics, models, optimizers
from brickwork.engine.device import device_of, is_device_array, scatter_add, to_device, to_host


@pytest.fixture
def gpu():
    with fake_gpu() as cupy:
        yield cupy


# ------------------------------------------------------------------------------ the stand-in is strict
def test_the_stand_in_refuses_implicit_conversions_like_cupy(gpu):
    a = gpu.asarray(np.arange(3.0))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.ones(3)
    with pytest.raises(TypeError, match="Unsupported type"):
        gpu.matmul(a, np.ones(3))
    with pytest.raises(TypeError, match="Unsupported type"):
        a[np.array([0, 1])]
    assert not hasattr(gpu.add, "at")                     # CuPy's scatter is cupyx.scatter_add
    assert is_device_array(a.sum()) and a.sum().ndim == 0  # reductions stay on the device
    assert is_device_array(np.exp(a))                      # NumPy functions dispatch to CuPy, as in CuPy


# ------------------------------------------------------------------------------ the seam
def test_set_device_and_names(gpu):
    assert bw.get_device() == "cpu"
    bw.set_device("cuda")
    assert bw.get_device() == "gpu"
    layer = layers.Dense(3)
    layer(np.ones((2, 4), np.float32))
    assert all(is_device_array(w.data) for w in layer.weights)     # new weights go to the default device
    bw.set_device("cpu")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        bw.set_device("tpu")


def test_gpu_without_cupy_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)   # import cupy -> ImportError
    with pytest.raises(ImportError, match=r"brickwork\[gpu\]"):
        bw.set_device("gpu")
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    with pytest.raises(ImportError, match="pip install"):
        model.to("gpu")
    assert bw.get_device() == "cpu"


def test_moves_are_explicit_copies_and_round_trip(gpu):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    dev = to_device(host, "gpu")
    assert is_device_array(dev) and device_of(dev) == "gpu" and device_of(host) == "cpu"
    back = to_host(dev)
    assert type(back) is np.ndarray and np.array_equal(back, host)
    nested = to_device({"a": [host, "text", None], "b": np.array(["x", "y"])}, "gpu")
    assert is_device_array(nested["a"][0]) and nested["a"][1:] == ["text", None]
    assert type(nested["b"]) is np.ndarray                      # strings stay on the host
    t = bw.Tensor(host, requires_grad=True)
    assert t.to("cpu") is t and t.to("gpu").device == "gpu" and t.to("gpu").requires_grad
    assert type(bw.Tensor(dev).numpy()) is np.ndarray


def test_scatter_add_sums_repeated_indices_on_both_devices(gpu):
    index = np.array([0, 2, 2, 1, 2])
    values = np.arange(5.0)
    expected = np.zeros(3)
    for i, v in zip(index, values):
        expected[i] += v
    host = np.zeros(3)
    scatter_add(host, index, values)
    dev = gpu.zeros(3)
    scatter_add(dev, gpu.asarray(index), gpu.asarray(values))
    np.testing.assert_array_equal(host, expected)
    np.testing.assert_array_equal(to_host(dev), expected)


def test_a_cpu_tensor_that_needs_a_gradient_is_not_silently_moved(gpu):
    w = bw.Tensor(to_device(np.ones((3, 2), np.float32), "gpu"), requires_grad=True)
    x = bw.Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"MatMul: inputs on different devices \['cpu', 'gpu'\].*\(4, 3\)"):
        bw.functions.matmul(x, w)
    y = bw.functions.matmul(np.ones((4, 3), np.float32), w)       # data (no gradient) is copied over
    assert y.device == "gpu"


# ------------------------------------------------------------------------------ training on the device
def _data(seed=0, n=48):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)
    return x, y


def _mlp(out=1, activation="sigmoid"):
    bw.utils.set_random_seed(3)
    return models.Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh"), layers.BatchNormalization(),
                              layers.Dropout(0.2), layers.Dense(out, activation=activation)])


OPTIMIZERS = [lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True), lambda: optimizers.Adam(0.01),
              lambda: optimizers.AdamW(0.01, weight_decay=0.01), lambda: optimizers.RMSprop(0.01, momentum=0.5),
              lambda: optimizers.Adagrad(0.05), lambda: optimizers.Nadam(0.01),
              lambda: optimizers.Adam(0.01, clipnorm=0.5, amsgrad=True)]


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS, ids=lambda f: type(f()).__name__)
def test_fit_on_the_device_gives_the_cpu_numbers_for_every_optimizer(gpu, make_optimizer):
    x, y = _data()
    histories, weights = [], []
    for device in ("cpu", "gpu"):
        model = _mlp()
        model.compile(make_optimizer(), "binary_crossentropy", metrics=["accuracy", metrics.AUC()])
        model.to(device)
        h = model.fit(x, y, epochs=2, batch_size=16, shuffle=True, verbose=0, validation_split=0.25).history
        histories.append(h)
        weights.append(model.get_weights())
        if device == "gpu":
            assert all(is_device_array(w.data) for w in model.weights)
            slots = [a for s in model.optimizer._slots.values() for a in s.values()]
            assert all(is_device_array(a) for a in slots)
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-5, err_msg=key)
    for a, b in zip(weights[1], weights[0]):
        assert type(a) is np.ndarray
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


LOSSES = [("mse", 1, None), ("mae", 1, None), (losses.Huber(0.5), 1, None), ("log_cosh", 1, None),
          ("binary_crossentropy", 1, "sigmoid"), (losses.BinaryCrossentropy(from_logits=True), 1, None),
          ("sparse_categorical_crossentropy", 3, "softmax"),
          (losses.SparseCategoricalCrossentropy(from_logits=True), 3, None),
          ("categorical_crossentropy", 3, "softmax"), ("kl_divergence", 3, "softmax"), ("poisson", 1, "softplus"),
          ("hinge", 1, "tanh"), ("squared_hinge", 1, "tanh"), ("categorical_hinge", 3, None),
          ("cosine_similarity", 3, None), (losses.Dice(), 1, "sigmoid"), (losses.Tversky(), 1, "sigmoid"),
          ("mean_squared_logarithmic_error", 1, "softplus"), ("mean_absolute_percentage_error", 1, "softplus")]


def _targets(name, out, x):
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)
    if out == 3:
        k = np.digitize(x[:, 0], [-0.4, 0.4])
        return k if "sparse" in str(name).lower() else np.eye(3, dtype=np.float32)[k]
    return 2 * y - 1 if "hinge" in str(name) else y + 0.5 * ("percentage" in str(name))


@pytest.mark.parametrize("loss, out, activation", LOSSES, ids=lambda v: v if isinstance(v, str) else None)
def test_every_loss_trains_the_same_on_the_device(gpu, loss, out, activation):
    x, _ = _data(1)
    y = _targets(loss if isinstance(loss, str) else type(loss).__name__.lower(), out, x)
    results = []
    for device in ("cpu", "gpu"):
        model = _mlp(out, activation)
        model.compile(optimizers.Adam(0.01), loss)
        model.to(device)
        h = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
        results.append((h["loss"], model.evaluate(x, y, verbose=0)))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5)


def test_every_metric_gives_the_cpu_value_on_the_device(gpu):
    x, _ = _data(2, n=40)
    k = np.digitize(x[:, 0], [-0.4, 0.4])
    onehot = np.eye(3, dtype=np.float32)[k]
    made = lambda: ["accuracy", metrics.CategoricalAccuracy(), metrics.TopKCategoricalAccuracy(2),  # noqa: E731
                    metrics.Precision(), metrics.Recall(), metrics.AUC(),
                    metrics.F1Score(average="macro"), metrics.MeanSquaredError(), metrics.RootMeanSquaredError(),
                    metrics.MeanAbsoluteError(), metrics.R2Score(), metrics.MeanIoU(3, sparse_y_true=False,
                                                                                    sparse_y_pred=False)]
    values = []
    for device in ("cpu", "gpu"):
        model = _mlp(3, "softmax")
        model.compile("adam", "categorical_crossentropy", metrics=made())
        model.to(device)
        values.append(model.evaluate(x, onehot, verbose=0, return_dict=True))
    assert values[0].keys() == values[1].keys() and len(values[0]) == 13
    for key in values[0]:
        np.testing.assert_allclose(values[1][key], values[0][key], rtol=1e-5, err_msg=key)


def test_sequence_and_image_models_train_the_same_on_the_device(gpu):
    rng = np.random.default_rng(4)
    ids = rng.integers(1, 20, (24, 7))
    ids[:, 5:] = 0
    y = (ids[:, 0] > 10).astype(np.float32)
    images = rng.standard_normal((24, 8, 8, 2)).astype(np.float32)

    def text_model():
        bw.utils.set_random_seed(5)
        inp = layers.Input((7,), dtype="int64")
        h = layers.Embedding(20, 8, mask_zero=True)(inp)
        a = layers.MultiHeadAttention(num_heads=2, key_dim=4)(h, h)
        h = layers.LayerNormalization()(layers.Add()([h, a]))
        h = layers.Bidirectional(layers.LSTM(5, return_sequences=True))(h)
        h = layers.GRU(4)(h)
        return models.Model(inp, layers.Dense(1, activation="sigmoid")(h))

    def image_model():
        bw.utils.set_random_seed(6)
        return models.Sequential([layers.Input((8, 8, 2)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                                  layers.MaxPooling2D(), layers.SeparableConv2D(4, 3, padding="same"),
                                  layers.GlobalAveragePooling2D(), layers.Dense(1, activation="sigmoid")])

    for make, x in ((text_model, ids), (image_model, images)):
        runs = []
        for device in ("cpu", "gpu"):
            model = make()
            model.compile(optimizers.Adam(0.01), "binary_crossentropy")
            model.to(device)
            h = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
            runs.append((h["loss"], model.predict(x, verbose=0)))
        assert type(runs[1][1]) is np.ndarray
        np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-5)
        np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-4, atol=1e-6)


def test_a_model_moved_before_it_is_built_creates_its_weights_there(gpu):
    model = models.Sequential([layers.Dense(4), layers.Dense(1)]).to("gpu")
    model.compile("sgd", "mse")
    x, y = _data(3, n=16)
    model.fit(x, y, epochs=1, verbose=0)
    assert model.weights and all(is_device_array(w.data) for w in model.weights)
    assert type(model(x).numpy()) is np.ndarray and model(x).device == "gpu"


# ------------------------------------------------------------------------------ files across devices
@pytest.mark.parametrize("suffix", [".brick", ".keras", ".weights.h5"])
def test_save_on_the_device_load_on_the_cpu_and_back(gpu, tmp_path, suffix):
    x, y = _data(4)
    model = _mlp()
    model.compile(optimizers.Adam(0.01), "binary_crossentropy")
    model.to("gpu")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / f"m{suffix}")
    if suffix == ".weights.h5":
        model.save_weights(path)
        loaded = _mlp()
        loaded.build((None, 6))
        loaded.load_weights(path)
    else:
        model.save(path)
        loaded = models.load_model(path)
    assert all(type(w.data) is np.ndarray for w in loaded.weights)      # loaded on the CPU (the default)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    loaded.to("gpu")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    model.to("cpu")
    assert all(type(w.data) is np.ndarray for w in model.weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)


# ------------------------------------------------------------------------------ every op of brickwork.ops
class _OnDevice:
    """``brickwork.ops`` with every NumPy argument moved to the device first (sub-namespaces too)."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name):
        target = getattr(self._namespace, name)
        if not callable(target):
            return _OnDevice(target) if hasattr(target, "__dict__") and not isinstance(target, type) else target

        def call(*args, **kwargs):
            bw.set_device("gpu")              # constructors make their arrays on the default device
            try:
                return target(*to_device(args, "gpu"), **to_device(kwargs, "gpu"))
            finally:
                bw.set_device("cpu")

        return call


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [leaf for part in out for leaf in _leaves(part)]
    return [out]


def _op_cases():
    import test_ops_keras

    cases = dict(test_ops_keras.CASES)
    cases["where_indices"] = lambda o: o.where(test_ops_keras.A > 0)   # the Keras case stacks for brickwork only
    return cases


@pytest.mark.parametrize("name", sorted(_op_cases()))
def test_every_op_runs_on_the_device(gpu, name):
    case = _op_cases()[name]
    expected = _leaves(case(bw.ops))
    got = _leaves(case(_OnDevice(bw.ops)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        g_data = g.data if isinstance(g, bw.Tensor) else g
        e_data = e.data if isinstance(e, bw.Tensor) else e
        if isinstance(e_data, np.ndarray):
            assert is_device_array(g_data), f"{name}: came back as {type(g_data).__name__}, not a device array"
            np.testing.assert_allclose(to_host(g_data), e_data, rtol=1e-5, atol=1e-6, err_msg=name)
        else:
            assert g_data == e_data, name
