"""brickwork.datasets' Keras loaders, read from small files written here in Keras's formats
(following keras/src/datasets/*.py), the missing-file message, and refusal of malicious pickles."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import tarfile
import zipfile

import numpy as np
import pytest

from brickwork.datasets import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
from brickwork.datasets.safe_pickle import RestrictedUnpickler, load_npz, load_pickle
from brickwork.engine import config


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty Keras home: ``$KERAS_HOME/datasets``."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    d = tmp_path / "kh" / "datasets"
    d.mkdir(parents=True)
    return d


def _object_array(seqs):
    arr = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        arr[i] = list(s)
    return arr


class Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.system, (f"touch {self.target}",)


# ---------------------------------------------------------------- mnist


def test_mnist_from_keras_cache(home):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), "y_test": np.array([7, 9], np.uint8)}
    np.savez(home / "mnist.npz", **arrays)
    (x, y), (xt, yt) = mnist.load_data()
    assert x.dtype == np.uint8 and x.shape == (6, 28, 28) and xt.shape == (2, 28, 28)
    np.testing.assert_array_equal(x, arrays["x_train"])
    np.testing.assert_array_equal(yt, [7, 9])
    assert y.dtype == np.uint8


def test_mnist_path_and_cache_dir_arguments(tmp_path, home):
    other = tmp_path / "mine"
    other.mkdir()
    np.savez(other / "digits.npz", x_train=np.zeros((1, 28, 28), np.uint8), y_train=np.zeros(1, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    assert mnist.load_data(path="digits.npz", cache_dir=other)[0][0].shape == (1, 28, 28)
    assert mnist.load_data(path=str(other / "digits.npz"))[1][1].shape == (1,)


def test_missing_file_says_which_file_where_and_the_url(home):
    with pytest.raises(FileNotFoundError) as err:
        mnist.load_data()
    msg = str(err.value)
    assert str(home / "mnist.npz") in msg
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in msg
    assert "never downloads" in msg and "cache_dir=" in msg
    with pytest.raises(FileNotFoundError, match=r"cifar-10-batches-py/.*cifar-10-python\.tar\.gz"):
        cifar10.load_data()
    with pytest.raises(FileNotFoundError, match="imdb_word_index.json"):
        imdb.get_word_index()


def test_keras_home_default_is_home_dot_keras(monkeypatch, tmp_path):
    from brickwork.datasets.keras_cache import cache_dirs

    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dirs()[0] == str(tmp_path / ".keras" / "datasets")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "elsewhere"))
    assert cache_dirs()[0] == str(tmp_path / "elsewhere" / "datasets")


# ---------------------------------------------------------------- fashion-mnist


def _idx(path, arr):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def _write_fashion(folder, n_train=5, n_test=3):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    data = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28)),
            "train-labels-idx1-ubyte.gz": np.arange(n_train) % 10,
            "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28)),
            "t10k-labels-idx1-ubyte.gz": np.arange(n_test)[::-1]}
    for name, arr in data.items():
        _idx(folder / name, arr)
    return data


def test_fashion_mnist_from_keras_cache(home):
    data = _write_fashion(home / "fashion-mnist")
    (x, y), (xt, yt) = fashion_mnist.load_data()
    assert x.shape == (5, 28, 28) and x.dtype == np.uint8 and y.dtype == np.uint8
    np.testing.assert_array_equal(xt, data["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(yt, [2, 1, 0])


def test_fashion_mnist_rejects_inconsistent_header(tmp_path):
    _write_fashion(tmp_path)
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as f:  # declares 1000 labels, holds 5
        f.write(bytes([0, 0, 8, 1]) + (1000).to_bytes(4, "big") + bytes(5))
    with pytest.raises(ValueError, match=r"declares shape \(1000,\)"):
        fashion_mnist.load_data(cache_dir=tmp_path)


@pytest.mark.skipif(not os.path.isdir(fashion_mnist.DEBIAN_DIR),
                    reason="needs Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist)")
def test_fashion_mnist_real_debian_package(home):
    (x, y), (xt, yt) = fashion_mnist.load_data()  # the empty Keras cache falls back to the Debian folder
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == y.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(yt), [1000] * 10)
    assert x.max() == 255 and x.min() == 0


# ---------------------------------------------------------------- cifar


def _cifar_batch(n, seed, label_keys=("labels",)):
    rng = np.random.default_rng(seed)
    d = {b"batch_label": b"batch", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
         b"filenames": [b"f%d.png" % i for i in range(n)]}
    for k in label_keys:
        d[k.encode()] = [int(v) for v in rng.integers(0, 10, n)]
    return d


def _write_cifar10(folder, protocol=2):
    folder.mkdir(parents=True, exist_ok=True)
    batches = {f"data_batch_{i}": _cifar_batch(2, i) for i in range(1, 6)}
    batches["test_batch"] = _cifar_batch(3, 9)
    for name, d in batches.items():
        (folder / name).write_bytes(pickle.dumps(d, protocol=protocol))
    return batches


def _check_cifar10(batches, out):
    (x, y), (xt, yt) = out
    assert x.shape == (10, 32, 32, 3) and x.dtype == np.uint8
    assert y.shape == (10, 1) and y.dtype == np.uint8 and yt.shape == (3, 1) and yt.dtype == np.uint8
    first = batches["data_batch_1"][b"data"][0].reshape(3, 32, 32)
    np.testing.assert_array_equal(x[0], first.transpose(1, 2, 0))  # row-major R, G, B planes -> channels last
    assert y[:, 0].tolist() == sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    assert yt[:, 0].tolist() == batches["test_batch"][b"labels"]


@pytest.mark.parametrize("layout", ["keras3", "plain"])
def test_cifar10_from_extracted_folder(home, layout):
    folder = home / "cifar-10-batches-py-target" / "cifar-10-batches-py" if layout == "keras3" else \
        home / "cifar-10-batches-py"
    batches = _write_cifar10(folder)
    _check_cifar10(batches, cifar10.load_data())


@pytest.mark.parametrize("name", ["cifar-10-batches-py.tar.gz", "cifar-10-python.tar.gz",
                                  "cifar-10-batches-py-target_archive"])
def test_cifar10_from_archive_without_extracting(tmp_path, home, name):
    batches = _write_cifar10(tmp_path / "src" / "cifar-10-batches-py", protocol=4)
    with tarfile.open(home / name, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    _check_cifar10(batches, cifar10.load_data())
    assert sorted(os.listdir(home)) == [name]


def test_cifar10_channels_first(home, monkeypatch):
    batches = _write_cifar10(home / "cifar-10-batches-py")
    monkeypatch.setattr(config, "_IMAGE_DATA_FORMAT", "channels_first")
    (x, _), _ = cifar10.load_data()
    assert x.shape == (10, 3, 32, 32)
    np.testing.assert_array_equal(x[0].reshape(-1), batches["data_batch_1"][b"data"][0])


@pytest.mark.parametrize("mode", ["fine", "coarse"])
def test_cifar100_label_modes(home, mode):
    folder = home / "cifar-100-python-target" / "cifar-100-python"
    folder.mkdir(parents=True)
    train = _cifar_batch(4, 1, ("fine_labels", "coarse_labels"))
    test = _cifar_batch(2, 2, ("fine_labels", "coarse_labels"))
    (folder / "train").write_bytes(pickle.dumps(train, protocol=2))
    (folder / "test").write_bytes(pickle.dumps(test, protocol=2))
    (x, y), (xt, yt) = cifar100.load_data(label_mode=mode)
    assert x.shape == (4, 32, 32, 3) and xt.shape == (2, 32, 32, 3) and y.shape == (4, 1)
    assert y[:, 0].tolist() == train[f"{mode}_labels".encode()] and yt.dtype == np.int64
    with pytest.raises(ValueError, match="label_mode must be 'fine' or 'coarse'"):
        cifar100.load_data(label_mode="medium")


def test_cifar_batch_that_runs_code_is_refused(home, tmp_path):
    batches = _write_cifar10(home / "cifar-10-batches-py")
    marker = tmp_path / "pwned"
    evil = dict(batches["data_batch_3"])
    evil[b"labels"] = Evil(marker)
    (home / "cifar-10-batches-py" / "data_batch_3").write_bytes(pickle.dumps(evil, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load '(posix|os|nt)\.system'"):
        cifar10.load_data()
    assert not marker.exists()


# ---------------------------------------------------------------- safe_pickle


@pytest.mark.parametrize("payload", [
    lambda m: Evil(m),
    lambda m: {"a": [1, Evil(m)]},
])
def test_restricted_unpickler_refuses_any_other_global(tmp_path, payload):
    marker = tmp_path / "pwned"
    for protocol in (2, 4, 5):
        data = pickle.dumps(payload(marker), protocol=protocol)
        with pytest.raises(pickle.UnpicklingError, match="Refusing"):
            load_pickle(data)
    assert not marker.exists()
    for module, name in [("builtins", "eval"), ("subprocess", "Popen"), ("numpy", "load"), ("pickle", "loads")]:
        with pytest.raises(pickle.UnpicklingError, match=f"'{module}.{name}'"):
            RestrictedUnpickler(io.BytesIO(b"")).find_class(module, name)


def test_restricted_unpickler_rebuilds_arrays_and_containers():
    obj = {"x": np.arange(6, dtype=np.int16).reshape(2, 3), "s": np.float32(2.5), "l": [1, (2, "three")],
           "o": _object_array([[1, 2], [3]])}
    for protocol in (2, 3, 4, 5):
        back = load_pickle(pickle.dumps(obj, protocol=protocol))
        np.testing.assert_array_equal(back["x"], obj["x"])
        assert back["x"].dtype == np.int16 and back["s"] == np.float32(2.5) and back["l"] == [1, (2, "three")]
        assert back["o"].tolist() == [[1, 2], [3]]


def test_load_pickle_size_limit():
    with pytest.raises(ValueError, match="byte limit"):
        load_pickle(io.BytesIO(pickle.dumps(list(range(1000)))), max_bytes=100)


def test_npz_object_array_that_runs_code_is_refused(home, tmp_path):
    marker = tmp_path / "pwned"
    bad = np.empty(1, dtype=object)
    bad[0] = Evil(marker)
    np.savez(home / "imdb.npz", x_train=bad, y_train=np.zeros(1, np.int64), x_test=bad, y_test=np.zeros(1, np.int64))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        imdb.load_data()
    assert not marker.exists()


def test_npz_header_must_match_its_data(tmp_path):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros(4, np.float64))
    raw = buf.getvalue().replace(b"(4,)", b"(9,)")  # header now claims 9 values
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as z:
        z.writestr("x.npy", raw)
    with pytest.raises(ValueError, match="declares 9 values"):
        load_npz(str(tmp_path / "bad.npz"))
    with pytest.raises(ValueError, match="byte limit"):
        load_npz(str(tmp_path / "bad.npz"), max_bytes=10)


# ---------------------------------------------------------------- imdb


IMDB_TRAIN = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [2]]
IMDB_TEST = [[9, 1], [3, 3, 3]]


@pytest.fixture
def imdb_files(home):
    np.savez(home / "imdb.npz", x_train=_object_array(IMDB_TRAIN), y_train=np.array([0, 1, 0, 1]),
             x_test=_object_array(IMDB_TEST), y_test=np.array([1, 0]))
    (home / "imdb_word_index.json").write_text(json.dumps({"the": 1, "and": 2}))
    return home


def _permutations(seed, *lengths):
    rng = np.random.RandomState(seed)
    out = []
    for n in lengths:
        p = np.arange(n)
        rng.shuffle(p)
        out.append(p)
    return out


def test_imdb_defaults_shift_by_index_from_and_start_char(imdb_files):
    (x, y), (xt, yt) = imdb.load_data()
    ptrain, ptest = _permutations(113, 4, 2)
    # start_char=1, then word + 3; num_words=None -> the largest index (12) is itself out of range -> oov 2
    shifted = {0: [1, 4, 5, 6], 1: [1, 7, 8], 2: [1, 9, 10, 11, 2], 3: [1, 5]}
    assert [list(s) for s in x] == [shifted[i] for i in ptrain]
    assert y.tolist() == [[0, 1, 0, 1][i] for i in ptrain]
    shifted_test = {0: [1, 2, 4], 1: [1, 6, 6, 6]}  # 9 + 3 = 12 -> oov
    assert [list(s) for s in xt] == [shifted_test[i] for i in ptest]
    assert x.dtype == object and yt.tolist() == [[1, 0][i] for i in ptest]


def test_imdb_num_words_skip_top_maxlen_and_seed(imdb_files):
    (x, y), (xt, _) = imdb.load_data(num_words=8, skip_top=5, maxlen=5, seed=0, oov_char=None)
    ptrain, ptest = _permutations(0, 4, 2)
    # shifted: 0 [1,4,5,6]  1 [1,7,8]  2 [1,9,10,11,12] (length 5 is not < maxlen 5: dropped)  3 [1,5]
    # test: 0 [1,12,4]  1 [1,6,6,6]. Keep indices in [5, 8), drop the rest (oov_char=None).
    kept = {0: [5, 6], 1: [7], 3: [5]}
    assert [list(s) for s in x] == [kept[i] for i in ptrain if i in kept]
    assert y.tolist() == [[0, 1, 0, 1][i] for i in ptrain if i in kept]
    assert [list(s) for s in xt] == [{0: [], 1: [6, 6, 6]}[i] for i in ptest]


def test_imdb_no_start_char_no_shift(imdb_files):
    (x, _), _ = imdb.load_data(start_char=None, index_from=0, num_words=100, seed=5)
    (ptrain,) = _permutations(5, 4)
    assert [list(s) for s in x] == [IMDB_TRAIN[i] for i in ptrain]


def test_imdb_word_index_and_errors(imdb_files):
    assert imdb.get_word_index() == {"the": 1, "and": 2}
    with pytest.raises(ValueError, match="no review is shorter than maxlen=1"):
        imdb.load_data(maxlen=1)
    with pytest.raises(ValueError, match="num_words must be a non-negative integer"):
        imdb.load_data(num_words=-3)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        imdb.load_data(nb_words=10)


# ---------------------------------------------------------------- reuters


def test_reuters_shuffle_shift_split(home):
    seqs = [[1, 2], [3], [4, 5, 6], [7], [8, 9]]
    np.savez(home / "reuters.npz", x=_object_array(seqs), y=np.array([0, 1, 2, 3, 4]))
    (home / "reuters_word_index.json").write_text(json.dumps({"said": 1}))
    (x, y), (xt, yt) = reuters.load_data(num_words=20, test_split=0.4, seed=1)
    (perm,) = _permutations(1, 5)
    assert len(x) == int(5 * 0.6) == 3 and len(xt) == 2
    expected = [[1] + [w + 3 for w in seqs[i]] for i in perm]
    assert [list(s) for s in x] + [list(s) for s in xt] == expected
    assert y.tolist() + yt.tolist() == perm.tolist()
    assert reuters.get_word_index() == {"said": 1}
    names = reuters.get_label_names()
    assert len(names) == 46 and names[3] == "earn" and names[-1] == "lead"


# ---------------------------------------------------------------- boston_housing


def test_boston_housing_split_and_seed(home):
    x = np.arange(506 * 13, dtype=np.float64).reshape(506, 13)
    y = np.arange(506, dtype=np.float64)
    np.savez(home / "boston_housing.npz", x=x, y=y)
    (xtr, ytr), (xte, yte) = boston_housing.load_data()
    (perm,) = _permutations(113, 506)
    assert xtr.shape == (404, 13) and xte.shape == (102, 13)
    np.testing.assert_array_equal(ytr, perm[:404])
    np.testing.assert_array_equal(xte, x[perm[404:]])
    (xtr, _), _ = boston_housing.load_data(test_split=0.5, seed=3)
    (perm,) = _permutations(3, 506)
    np.testing.assert_array_equal(xtr, x[perm[:253]])
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\); got 1"):
        boston_housing.load_data(test_split=1)
