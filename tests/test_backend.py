"""The array-library seam (brickwork.backend) and Keras's config functions (brickwork.config)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import brickwork as bw
from brickwork import backend, config
from brickwork.engine import config as engine_config


@pytest.fixture
def fake_cupy(monkeypatch):
    """A stand-in ``cupy`` module with an array type of its own."""
    module = types.ModuleType("cupy")

    class ndarray:  # noqa: N801  (named as CuPy's)
        __module__ = "cupy"

        def __init__(self, data):
            self.data_host = np.asarray(data)

    module.ndarray = ndarray
    monkeypatch.setitem(sys.modules, "cupy", module)
    return module


def test_numpy_arrays_tensors_and_scalars_give_numpy():
    a = np.zeros(3)
    assert backend.get_array_module(a) is np
    assert backend.get_array_module(a, np.ones(2), 1.0, None, np.float32(2)) is np
    assert backend.get_array_module() is np
    t = bw.Tensor(np.ones((2, 2), np.float32))
    assert backend.get_array_module(t.data) is np and backend.get_array_module(t) is np
    v = bw.Variable(np.ones(2, np.float32))
    assert backend.get_array_module(v) is np


def test_a_cupy_array_gives_cupy(fake_cupy):
    arr = fake_cupy.ndarray([1, 2])
    assert backend.get_array_module(arr) is fake_cupy
    assert backend.get_array_module(np.zeros(2), arr) is fake_cupy


def test_a_foreign_array_type_is_not_taken_for_cupy_or_numpy(fake_cupy):
    class Foreign:
        __module__ = "cupyish.core"  # a prefix match would be wrong

        def __array__(self, dtype=None, copy=None):
            return np.zeros(1)

    assert backend.get_array_module(Foreign()) is np
    # a cupy-typed array whose module has not been imported is not imported by the seam
    sys.modules.pop("cupy")
    assert backend.get_array_module(fake_cupy.ndarray([1])) is np
    assert "cupy" not in sys.modules


def test_seam_does_not_import_cupy():
    backend.get_array_module(np.zeros(2))
    if "cupy" not in sys.modules:
        assert backend.get_array_module(np.ones(1)) is np and "cupy" not in sys.modules


def test_to_numpy():
    a = np.arange(3)
    assert backend.to_numpy(a) is a
    np.testing.assert_array_equal(backend.to_numpy([1, 2]), [1, 2])


def test_gelu_with_lazy_erf_matches_the_math():
    import math

    values = [0.5, -1.0, 2.0]
    x = bw.Tensor(np.array(values, np.float64), requires_grad=True)
    y = bw.functions.gelu(x)
    y.sum().backward()
    cdf = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in values]
    pdf = [math.exp(-v * v / 2) / math.sqrt(2 * math.pi) for v in values]
    np.testing.assert_allclose(y.data, [v * c for v, c in zip(values, cdf, strict=True)], rtol=1e-12)
    expected = [c + v * p for v, c, p in zip(values, cdf, pdf, strict=True)]
    np.testing.assert_allclose(np.asarray(x.grad), expected, rtol=1e-12)


@pytest.fixture
def restore_config():
    saved = (config.floatx(), config.epsilon(), config.image_data_format())
    yield
    engine_config.set_floatx(saved[0])
    engine_config.set_epsilon(saved[1])
    engine_config.set_image_data_format(saved[2])


def test_config_setters_round_trip(restore_config):
    assert config.floatx() == "float32" and config.epsilon() == 1e-7
    assert config.image_data_format() == "channels_last" and config.backend() == backend.backend() == "numpy"
    config.set_floatx("float64")
    assert config.floatx() == backend.floatx() == bw.floatx() == "float64"
    config.set_epsilon(1e-5)
    assert config.epsilon() == backend.epsilon() == 1e-5
    config.set_image_data_format("channels_first")
    assert config.image_data_format() == backend.image_data_format() == "channels_first"
    backend.set_image_data_format("CHANNELS_LAST")
    assert config.image_data_format() == "channels_last"


@pytest.mark.parametrize(("setter", "value", "message"), [
    ("set_floatx", "float16", r"set_floatx: unknown floatx value 'float16'"),
    ("set_floatx", 32, "set_floatx"),
    ("set_epsilon", 0.0, r"set_epsilon: value must be a positive finite number; got 0.0"),
    ("set_epsilon", -1e-3, "set_epsilon"),
    ("set_epsilon", float("nan"), "set_epsilon"),
    ("set_epsilon", "small", "set_epsilon"),
    ("set_epsilon", True, "set_epsilon"),
    ("set_image_data_format", "channels_middle", r"set_image_data_format: data_format must be 'channels_last'"),
    ("set_image_data_format", None, "data_format"),
])
def test_config_setters_reject_bad_values(restore_config, setter, value, message):
    before = (config.floatx(), config.epsilon(), config.image_data_format())
    with pytest.raises(ValueError, match=message):
        getattr(config, setter)(value)
    assert (config.floatx(), config.epsilon(), config.image_data_format()) == before


def test_enable_unsafe_deserialization(monkeypatch):
    monkeypatch.setattr(engine_config, "_SAFE_MODE", True)
    assert config.safe_mode_default() is True
    config.enable_unsafe_deserialization()
    assert config.safe_mode_default() is False


@pytest.mark.parametrize(("dtype", "name"), [
    (None, "float32"), (int, "int64"), (float, "float32"), (bool, "bool"), ("float", "float32"), ("int", "int64"),
    ("float64", "float64"), (np.float16, "float16"), (np.dtype("uint8"), "uint8"), ("bfloat16", "bfloat16"),
])
def test_standardize_dtype(dtype, name):
    assert backend.standardize_dtype(dtype) == name


def test_standardize_dtype_of_arrays_and_bad_names():
    assert backend.standardize_dtype(np.zeros(2, np.int32)) == "int32"
    with pytest.raises(ValueError, match="standardize_dtype: invalid dtype 'nope'"):
        backend.standardize_dtype("nope")
    with pytest.raises(ValueError, match="invalid dtype"):
        backend.standardize_dtype(object)


def test_is_keras_tensor_and_clear_session():
    inp = bw.Input(shape=(3,))
    assert backend.is_keras_tensor(inp)
    assert not backend.is_keras_tensor(np.zeros(3)) and not backend.is_keras_tensor(bw.Tensor(np.zeros(3)))
    bw.layers.Dense(2)
    assert bw.layers.Dense(2).name != "dense"
    backend.clear_session()
    assert bw.layers.Dense(2).name == "dense"


def test_fast_path_is_one_type_check():
    import timeit

    a = np.zeros(4)
    per_call = min(timeit.repeat(lambda: backend.get_array_module(a), number=20000, repeat=3)) / 20000
    assert per_call < 5e-6  # a Python call and one identity comparison; generous for shared CI machines


SEAM_MODULES = (
    "brickwork.layers.core", "brickwork.layers.embedding", "brickwork.layers.merge", "brickwork.layers.activation",
    "brickwork.layers.attention", "brickwork.layers.pooling", "brickwork.metrics.base",
    "brickwork.metrics.classification", "brickwork.metrics.fscore", "brickwork.metrics.iou",
    "brickwork.metrics.reduction", "brickwork.metrics.regression",
)
# what these modules may still take from NumPy directly: dtypes and Python-side conversions of user input
NUMPY_ALLOWED = {"asarray", "atleast_1d", "bool_", "dtype", "errstate", "float16", "float32", "float64", "int64",
                 "integer", "ndarray"}


class _Recorder(types.ModuleType):
    """NumPy behind a module of its own that logs each attribute looked up on it (``(module, name)``)."""

    def __init__(self, name, owner, log):
        super().__init__(name)
        self._owner, self._log = owner, log

    def __getattr__(self, attr):
        self._log.append((self._owner, attr))
        return getattr(np, attr)


def _masked_lstm_and_metrics():
    bw.backend.clear_session()
    ids = np.array([[3, 5, 0, 0], [1, 2, 4, 0]])
    emb = bw.layers.Embedding(8, 4, mask_zero=True, embeddings_initializer="ones")
    lstm = bw.layers.LSTM(3, return_sequences=True, kernel_initializer="ones", recurrent_initializer="ones")
    x = emb(bw.Tensor(ids))
    mask = emb.compute_mask(bw.Tensor(ids))
    y = lstm(x, mask=mask)
    y_true, y_pred = np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[0.2, 0.9], [0.4, 0.7]])
    acc, mse, prec = bw.metrics.BinaryAccuracy(), bw.metrics.MeanSquaredError(), bw.metrics.Precision()
    for m in (acc, mse, prec):
        m.update_state(y_true, y_pred, sample_weight=np.array([1.0, 0.5]))
    return np.asarray(mask), np.array(y.data), (acc.result(), mse.result(), prec.result())


def test_masked_embedding_lstm_and_metrics_take_their_array_functions_from_the_seam(monkeypatch):
    """With ``get_array_module`` answering a logging module and ``np`` replaced by one that logs too,
    the masked forward pass and the metric updates compute through the seam (same results), and
    touch NumPy directly only for dtypes and input conversions."""
    import importlib

    expected = _masked_lstm_and_metrics()
    seam_log, numpy_log = [], []
    for name in SEAM_MODULES:
        module = importlib.import_module(name)
        recorder = _Recorder("xp", name, seam_log)
        monkeypatch.setattr(module, "get_array_module", lambda *a, _r=recorder: _r)
        monkeypatch.setattr(module, "np", _Recorder("numpy", name, numpy_log), raising=False)
    got = _masked_lstm_and_metrics()
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[2] == expected[2]
    used = set(seam_log)
    assert ("brickwork.layers.embedding", "asarray") in used  # Embedding.compute_mask
    assert ("brickwork.layers.core", "asarray") in used  # mask_array, used by the LSTM for its mask
    assert {("brickwork.metrics.classification", f) for f in ("mean", "argsort", "cumsum", "searchsorted")} <= used
    assert ("brickwork.metrics.regression", "mean") in used and ("brickwork.metrics.reduction", "sum") in used
    direct = {attr for _, attr in numpy_log} - NUMPY_ALLOWED
    assert not direct, f"direct NumPy calls on array data: {sorted(direct)}"
