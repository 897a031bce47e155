"""brickwork.utils's Keras names: normalize, timeseries windows, split_dataset, PyDataset,
seeding and the serializable registry."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import brickwork as bw
from brickwork import layers, utils
from brickwork.utils.registry import lookup

# ---------------------------------------------------------------- pad_sequences / to_categorical re-exports


def test_pad_sequences_is_the_text_one():
    from brickwork.text import pad_sequences

    assert utils.pad_sequences is pad_sequences
    np.testing.assert_array_equal(utils.pad_sequences([[1, 2], [3]]), [[1, 2], [0, 3]])
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        utils.nope  # noqa: B018


# ---------------------------------------------------------------- normalize


def test_normalize_l2_rows_and_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0], [1.0, 0.0]])


def test_normalize_l1_and_axis0():
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    np.testing.assert_allclose(utils.normalize(x, order=1), x / 6.0)
    np.testing.assert_allclose(utils.normalize(x, axis=0), x / np.sqrt([10.0, 8.0, 10.0]))


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.floats(-100, 100), min_size=2, max_size=12))
def test_normalize_matches_keras(keras, values):
    x = np.asarray(values, dtype=np.float64).reshape(-1, 2) if len(values) % 2 == 0 else np.asarray(values)
    np.testing.assert_allclose(utils.normalize(x), keras.utils.normalize(x), rtol=1e-12, atol=1e-15)


def test_normalize_bad_axis_names_axis_and_shape():
    with pytest.raises(ValueError, match=r"axis=2 .*\(2, 2\)"):
        utils.normalize(np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="scalar"):
        utils.normalize(3.0)


# ---------------------------------------------------------------- timeseries_dataset_from_array


def test_timeseries_keras_example_1_indices():
    # Keras's docstring: indices 0..98, sequence_length=10, sampling_rate=2, sequence_stride=3.
    ds = utils.timeseries_dataset_from_array(np.arange(99), None, sequence_length=10, sampling_rate=2,
                                             sequence_stride=3, batch_size=None)
    windows = list(ds)
    np.testing.assert_array_equal(windows[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(windows[1], np.arange(3, 23, 2))
    np.testing.assert_array_equal(windows[2], np.arange(6, 26, 2))
    np.testing.assert_array_equal(windows[-1], np.arange(78, 98, 2))
    assert len(windows) == len(ds) == 27  # starts 0, 3, ..., 78; 81 would end past 98


def test_timeseries_keras_example_2_temporal_regression():
    data = np.arange(100.0) ** 2
    ds = utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10, batch_size=16)
    batches = list(ds)
    x, y = batches[0]
    assert x.shape == (16, 10) and y.shape == (16,)
    np.testing.assert_array_equal(x[0], data[:10])
    assert y[0] == data[10]
    np.testing.assert_array_equal(x[5], data[5:15])
    assert y[5] == data[15]
    total = sum(len(b[0]) for b in batches)
    assert total == 90 - 10 + 1 == len(np.concatenate([b[1] for b in batches]))
    assert len(ds) == 6 and len(batches[-1][0]) == 81 - 5 * 16


def test_timeseries_keras_example_3_non_overlapping():
    x, y = np.arange(100), np.arange(100) * 2
    xs = list(utils.timeseries_dataset_from_array(x, None, sequence_length=20, sequence_stride=20))
    ys = list(utils.timeseries_dataset_from_array(y, None, sequence_length=20, sequence_stride=20))
    assert xs[0].shape == (5, 20)
    np.testing.assert_array_equal(xs[0][0], x[:20])
    np.testing.assert_array_equal(ys[0][1], y[20:40])


def test_timeseries_start_end_index_and_multifeature():
    data = np.arange(60).reshape(30, 2)
    targets = np.arange(30) * 10
    ds = utils.timeseries_dataset_from_array(data, targets, sequence_length=3, sampling_rate=2,
                                             start_index=5, end_index=20, batch_size=4)
    xs = np.concatenate([b[0] for b in ds])
    ys = np.concatenate([b[1] for b in ds])
    # usable steps 5..19; a window spans 5 steps, so starts 5..15 (11 windows)
    assert xs.shape == (11, 3, 2)
    np.testing.assert_array_equal(xs[0], data[[5, 7, 9]])
    np.testing.assert_array_equal(xs[-1], data[[15, 17, 19]])
    np.testing.assert_array_equal(ys, targets[5:16])


def test_timeseries_shuffle_is_randomstate_permutation_of_starts():
    data = np.arange(50)
    ds = utils.timeseries_dataset_from_array(data, data, sequence_length=5, batch_size=None, shuffle=True, seed=7)
    starts = np.arange(46)
    np.random.RandomState(7).shuffle(starts)
    got = [int(x[0]) for x, _ in ds]
    assert got == list(starts)
    assert all(int(t) == int(x[0]) for x, t in ds)
    again = [int(x[0]) for x, _ in ds]
    assert again == got  # iterable again, same order


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sampling_rate": 0}, "sampling_rate must be a positive integer"),
    ({"sequence_stride": 0}, "sequence_stride must be a positive integer"),
    ({"sequence_stride": 10}, "sequence_stride=10 must be lower than the length of data"),
    ({"sampling_rate": 10}, "sampling_rate=10 must be lower"),
    ({"start_index": 12}, "start_index=12"),
    ({"start_index": 5, "end_index": 3}, "end_index=3 must be higher than start_index=5"),
    ({"end_index": 10}, "end_index=10"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
])
def test_timeseries_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        utils.timeseries_dataset_from_array(np.arange(10), None, sequence_length=2, **kwargs)


# ---------------------------------------------------------------- split_dataset


def test_split_dataset_counts_fractions_and_structures():
    x = np.arange(10).reshape(10, 1)
    y = np.arange(10) * 2
    left, right = utils.split_dataset((x, y), left_size=0.8)
    assert isinstance(left, tuple) and left[0].shape == (8, 1) and right[1].tolist() == [16, 18]
    left, right = utils.split_dataset(x, right_size=3)
    assert left.ravel().tolist() == list(range(7)) and right.ravel().tolist() == [7, 8, 9]
    left, right = utils.split_dataset({"a": x, "b": y}, left_size=2, right_size=3)
    assert left["b"].tolist() == [0, 2] and right["b"].tolist() == [14, 16, 18]  # the middle is dropped
    left, right = utils.split_dataset([x, y], left_size=0.25, right_size=0.25)  # round(2.5) == 2
    assert isinstance(left, list) and len(left[0]) == 2 and len(right[0]) == 2


def test_split_dataset_shuffle_matches_keras_python_random():
    x = np.arange(20)
    left, right = utils.split_dataset(x, left_size=0.5, shuffle=True, seed=3)
    order = list(range(20))
    random.seed(3)
    random.shuffle(order)
    assert left.tolist() == order[:10] and right.tolist() == order[10:]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({}, ValueError, "left_size, right_size or both"),
    ({"left_size": 10}, ValueError, "left_size=10 must be a positive integer smaller than the dataset length 10"),
    ({"right_size": 1.5}, ValueError, r"right_size=1.5 must be a float in \(0, 1\)"),
    ({"left_size": 0.7, "right_size": 0.6}, ValueError, "greater than 1"),
    ({"left_size": 6, "right_size": 6}, ValueError, "more than the dataset length 10"),
    ({"left_size": "half"}, TypeError, "left_size must be an int, a float or None"),
    ({"left_size": 0.01}, ValueError, "leave the left split empty"),
])
def test_split_dataset_bad_sizes(kwargs, error, message):
    with pytest.raises(error, match=message):
        utils.split_dataset(np.arange(10), **kwargs)


def test_split_dataset_length_mismatch():
    with pytest.raises(ValueError, match=r"same length; got \[3, 4\]"):
        utils.split_dataset((np.zeros(3), np.zeros(4)), left_size=1)


# ---------------------------------------------------------------- PyDataset


class Squares(utils.PyDataset):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        self.epochs_ended = 0

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return np.full((2, 1), index, np.float32), np.full((2,), index * index, np.float32)

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_pydataset_protocol():
    ds = Squares(3, workers=2, max_queue_size=4)
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (2, False, 4)
    assert ds.num_batches == 3 == len(ds)
    assert [float(y[0]) for _, y in ds] == [0.0, 1.0, 4.0]
    ds.on_epoch_begin()
    ds.on_epoch_end()
    assert ds.epochs_ended == 1
    assert utils.Sequence is utils.PyDataset


def test_pydataset_without_len_or_getitem():
    class Endless(utils.PyDataset):
        def __getitem__(self, index):
            return index

    ds = Endless()
    with pytest.raises(NotImplementedError, match="num_batches"):
        ds.num_batches  # noqa: B018
    it = iter(ds)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(NotImplementedError, match="__getitem__"):
        utils.PyDataset()[0]
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        utils.PyDataset(workers=0)


def test_pydataset_warns_when_super_init_not_called():
    class NoSuper(utils.PyDataset):
        def __init__(self):
            pass

    with pytest.warns(UserWarning, match="super"):
        assert NoSuper().workers == 1


# ---------------------------------------------------------------- set_random_seed


def test_set_random_seed_seeds_python_numpy_and_brickwork():
    from brickwork.engine import random as bw_random

    utils.set_random_seed(123)
    draws = (random.random(), np.random.rand(), bw_random.generator().random())
    utils.set_random_seed(123)
    assert draws == (random.random(), np.random.rand(), bw_random.generator().random())
    random.seed(123)
    np.random.seed(123)
    assert draws[:2] == (random.random(), np.random.rand())
    assert draws[2] == np.random.default_rng(123).random()
    with pytest.raises(ValueError, match="set_random_seed: seed must be an integer"):
        utils.set_random_seed(1.5)


# ---------------------------------------------------------------- register_keras_serializable


@utils.register_keras_serializable(package="TestPkg")
class Doubler(layers.Layer):
    def call(self, x):
        return x * 2.0

    def get_config(self):
        return super().get_config()


@utils.register_keras_serializable(package="TestPkg", name="triple")
def triple(x):
    return x * 3.0


def test_registered_names_use_package_key():
    assert utils.get_custom_objects()["TestPkg>Doubler"] is Doubler
    assert utils.get_custom_objects()["TestPkg>triple"] is triple
    assert lookup("TestPkg>Doubler") is Doubler and lookup("TestPkg>triple") is triple
    assert lookup("Doubler") is Doubler  # the bare class name, as brickwork's writer stores it
    assert utils.get_registered_name(Doubler) == "TestPkg>Doubler"
    assert utils.get_registered_name(np.add) == "add"


def test_objects_added_to_get_custom_objects_are_found():
    def quadruple(x):
        return x * 4

    utils.get_custom_objects()["quadruple_fn"] = quadruple
    try:
        assert lookup("quadruple_fn") is quadruple
    finally:
        del utils.get_custom_objects()["quadruple_fn"]
    with pytest.raises(ValueError, match="Unknown object 'quadruple_fn'"):
        lookup("quadruple_fn")


def test_registered_layer_survives_save_and_load(tmp_path):
    model = bw.Sequential([bw.Input(shape=(2,)), Doubler(), layers.Dense(1)])
    x = np.array([[1.0, -2.0]], np.float32)
    expected = model(x).data
    model.save(tmp_path / "m.brick")
    loaded = bw.load_model(tmp_path / "m.brick")
    assert isinstance(loaded.layers[0], Doubler)
    np.testing.assert_allclose(loaded(x).data, expected)


def test_registered_activation_survives_save_and_load(tmp_path):
    model = bw.Sequential([bw.Input(shape=(2,)), layers.Dense(1, activation=triple)])
    model.save(tmp_path / "a.brick")
    assert bw.load_model(tmp_path / "a.brick").layers[0].activation is triple


def test_register_keras_serializable_bad_input():
    with pytest.raises(ValueError, match="package must be a non-empty string"):
        utils.register_keras_serializable(package="a>b")
    with pytest.raises(ValueError, match="no get_config"):
        utils.register_keras_serializable()(type("Plain", (), {}))
