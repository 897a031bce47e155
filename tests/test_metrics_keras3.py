"""Metrics against Keras 3: the custom-Metric contract, new metrics, masks, compile-time wiring."""

from __future__ import annotations

import keras  # noqa: E402  (test oracle; conftest selects the PyTorch backend)
import numpy as np
import pytest

import brickwork as bw
from brickwork import losses, metrics
from brickwork.models.compile_utils import CompiledLoss, CompiledMetrics


def _k(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


class CategoricalTruePositives(metrics.Metric):
    """The Keras guide's custom metric, written against brickwork."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.reshape(np.argmax(np.asarray(y_pred), axis=1), (-1, 1))
        values = (np.asarray(y_true).reshape(-1, 1) == y_pred).astype("float32")
        if sample_weight is not None:
            values = values * np.asarray(sample_weight, "float32").reshape(-1, 1)
        self.true_positives.assign_add(bw.Tensor(np.sum(values).astype("float32")))

    def result(self):
        return self.true_positives


def test_custom_metric_contract():
    m = CategoricalTruePositives()
    assert [v.path for v in m.variables] == ["categorical_true_positives/ctp"]
    assert not m.variables[0].trainable and m.dtype == "float32"
    y, p = np.array([0, 1, 2]), np.eye(3)[[0, 2, 2]]
    assert float(m(y, p).data) == 2.0
    m.update_state(y, p, sample_weight=np.array([1.0, 1.0, 0.5]))
    assert float(m.result().data) == 3.5
    m.reset_state()
    assert float(m.result().data) == 0.0
    assert CategoricalTruePositives.from_config(m.get_config()).get_config() == m.get_config()


def test_add_weight_initializer_reset_and_sub_metrics():
    class Counter(metrics.Metric):
        def __init__(self):
            super().__init__(name="counter")
            self.n = self.add_weight(shape=(2,), initializer="ones", dtype="float64", name="n")
            self.inner = metrics.Mean(name="inner")

        def update_state(self, values):
            self.n.assign_add(np.ones(2))
            self.inner.update_state(values)

        def result(self):
            return self.n.data.sum() + self.inner.result()

    c = Counter()
    assert [v.path for v in c.variables] == ["counter/n", "inner/total", "inner/count"]
    c.update_state([4.0])
    assert c.result() == 8.0
    c.reset_state()  # back to the initializer's values, sub-metric too
    assert c.result() == 2.0

    class Forgot(metrics.Metric):
        def __init__(self):
            self.x = 1

    with pytest.raises(RuntimeError, match="super"):
        Forgot().add_variable(shape=(), initializer="zeros")


def test_existing_metrics_keep_state_in_variables():
    for m in (metrics.BinaryAccuracy(), metrics.AUC(), metrics.Precision(), metrics.MeanSquaredError()):
        assert m.variables and all(isinstance(v, bw.engine.variable.Variable) for v in m.variables)
    auc = metrics.AUC(num_thresholds=50)
    assert metrics.AUC.from_config(auc.get_config()).num_thresholds == 50


def _compare(ours, theirs, batches, weighted, rtol=1e-5):
    for yt, yp, w in batches:
        ours.update_state(yt, yp, sample_weight=w if weighted else None)
        theirs.update_state(yt, yp, sample_weight=w if weighted else None)
    np.testing.assert_allclose(np.asarray(ours.result(), np.float64), _k(theirs.result()), rtol=rtol, atol=1e-6)


def _batches(rng, make, n=3):
    return [(*make(rng), rng.random(8)) for _ in range(n)]


CASES = [
    ("TopKCategoricalAccuracy", {"k": 2}, lambda r: (np.eye(5)[r.integers(0, 5, 8)], r.random((8, 5)))),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, lambda r: (r.integers(0, 5, 8), r.random((8, 5)))),
    ("SparseTopKCategoricalAccuracy", {}, lambda r: (r.integers(0, 7, (8, 1)), r.random((8, 7)))),
    ("F1Score", {}, lambda r: (np.eye(4)[r.integers(0, 4, 8)], r.random((8, 4)))),
    ("F1Score", {"average": "micro", "threshold": 0.5}, lambda r: (r.random((8, 3)) > 0.5, r.random((8, 3)))),
    ("F1Score", {"average": "macro"}, lambda r: (np.eye(4)[r.integers(0, 4, 8)], r.random((8, 4)))),
    ("FBetaScore", {"average": "weighted", "beta": 2.0, "threshold": 0.4},
     lambda r: (r.random((8, 3)) > 0.5, r.random((8, 3)))),
    ("FBetaScore", {"beta": 0.5}, lambda r: (np.eye(3)[r.integers(0, 3, 8)], r.random((8, 3)))),
    ("R2Score", {}, lambda r: (r.normal(size=(8, 2)), r.normal(size=(8, 2)))),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, lambda r: (r.normal(size=(8, 3)),
                                                                              r.normal(size=(8, 3)))),
    ("R2Score", {"class_aggregation": None}, lambda r: (r.normal(size=(8, 2)), r.normal(size=(8, 2)))),
    ("R2Score", {"num_regressors": 2}, lambda r: (r.normal(size=(8, 1)), r.normal(size=(8, 1)))),
    ("MeanAbsolutePercentageError", {}, lambda r: (r.normal(size=(8, 3)), r.normal(size=(8, 3)))),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("cls", "kwargs", "make"), CASES)
def test_new_metrics_match_keras(cls, kwargs, make, weighted, rng):
    batches = [(yt.astype(np.float64), yp, w) for yt, yp, w in _batches(rng, make)]
    _compare(getattr(metrics, cls)(**kwargs), getattr(keras.metrics, cls)(**kwargs), batches, weighted)
    ours = getattr(metrics, cls)(**kwargs)
    assert ours.get_config() == getattr(keras.metrics, cls)(**kwargs).get_config()
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_iou_matches_keras(weighted, rng):
    batches = [(rng.integers(0, 4, (2, 5)), rng.integers(0, 4, (2, 5)), rng.integers(0, 3, (2, 5)))
               for _ in range(3)]
    _compare(metrics.MeanIoU(4), keras.metrics.MeanIoU(4), batches, weighted)
    scores = [(rng.integers(0, 3, 6), rng.random((6, 3)), None) for _ in range(2)]
    _compare(metrics.MeanIoU(3, sparse_y_pred=False, ignore_class=1),
             keras.metrics.MeanIoU(3, sparse_y_pred=False, ignore_class=1), scores, False)
    assert metrics.MeanIoU(3).get_config() == {**keras.metrics.MeanIoU(3, name="mean_io_u").get_config(),
                                                "dtype": "float32"}


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_sum_and_wrapper_match_keras(weighted, rng):
    values = [rng.normal(size=(4, 3)) for _ in range(3)]
    for name in ("Mean", "Sum"):
        ours, theirs = getattr(metrics, name)(), getattr(keras.metrics, name)()
        for v in values:
            w = rng.random(4) if weighted else None
            ours.update_state(v, sample_weight=w)
            theirs.update_state(v, sample_weight=w)
        assert ours.result() == pytest.approx(float(_k(theirs.result())), rel=1e-5)

    def sq(y_true, y_pred):
        return (y_true - y_pred) ** 2

    ours = metrics.MeanMetricWrapper(sq, name="sq", dtype="float32")
    theirs = keras.metrics.MeanMetricWrapper(lambda a, b: keras.ops.square(a - b), name="sq")
    batches = [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.random(4)) for _ in range(3)]
    _compare(ours, theirs, batches, weighted)
    assert ours.name == "sq"


@pytest.mark.parametrize(("name", "cls"), [
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
    ("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"), ("mape", "MeanAbsolutePercentageError"),
    ("mean_absolute_percentage_error", "MeanAbsolutePercentageError"), ("f1_score", "F1Score"),
    ("r2_score", "R2Score"), ("mean", "Mean"), ("sum", "Sum"), ("F1Score", "F1Score"),
])
def test_string_names(name, cls):
    m = metrics.get(name)
    assert type(m) is getattr(metrics, cls)
    assert m.name == (name if name[0].islower() else m.name)


def test_top_k_ties_count_as_hits_like_keras():
    p = np.array([[0.5, 0.5, 0.5, 0.1]])
    for k in (1, 2):
        ours = metrics.sparse_top_k_categorical_accuracy(np.array([2]), p, k=k)
        theirs = _k(keras.metrics.sparse_top_k_categorical_accuracy(np.array([2]), p, k=k))
        np.testing.assert_array_equal(ours, theirs)


def test_metric_argument_errors():
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match="beta"):
        metrics.FBetaScore(beta=1)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.F1Score()(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_classes"):
        metrics.MeanIoU(0)


# ---------------------------------------------------------------------------------------- masks


def _masked(rng):
    y = rng.integers(0, 3, (4, 5))
    p = rng.random((4, 5, 3))
    mask = rng.random((4, 5)) > 0.4
    return y, p, mask


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_metrics_honour_the_mask_like_keras(weighted, rng):
    y, p, mask = _masked(rng)
    w = rng.random((4, 5)) if weighted else None
    yp = bw.Tensor(p)
    yp._keras_mask = mask
    kp = keras.ops.convert_to_tensor(p)
    kp._keras_mask = keras.ops.convert_to_tensor(mask)
    for ours, theirs in [(metrics.SparseCategoricalAccuracy(), keras.metrics.SparseCategoricalAccuracy()),
                         (metrics.SparseTopKCategoricalAccuracy(k=2),
                          keras.metrics.SparseTopKCategoricalAccuracy(k=2))]:
        ours.update_state(y, yp, sample_weight=w)
        theirs.update_state(y, kp, sample_weight=w)
        assert ours.result() == pytest.approx(float(_k(theirs.result())), rel=1e-5)
    hits = (p.argmax(-1) == y).astype(float)
    ww = mask * (1.0 if w is None else w)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(y, yp, sample_weight=w)
    assert m.result() == pytest.approx((hits * ww).sum() / ww.sum())


# ----------------------------------------------------------------------------------- compile wiring


def test_weighted_metrics_get_sample_weight_and_plain_do_not(rng):
    y = rng.integers(0, 2, (10, 1)).astype(float)
    p = bw.Tensor(rng.random((10, 1)))
    w = rng.random(10)
    loss = losses.get("binary_crossentropy")
    cm = CompiledMetrics(["accuracy", "mse"], [loss], ["output"], weighted_metrics=["accuracy", "mae"])
    cm.update([y], [p], w)
    res = cm.results()
    assert list(res) == ["accuracy", "mse", "weighted_accuracy", "mae"]
    hits = ((p.data > 0.5) == (y > 0.5)).astype(float)[:, 0]
    assert res["accuracy"] == pytest.approx(hits.mean())
    assert res["weighted_accuracy"] == pytest.approx((hits * w).sum() / w.sum())
    assert res["mae"] == pytest.approx((np.abs(p.data - y)[:, 0] * w).sum() / w.sum())
    assert cm.metric_names == list(res)
    cm.reset()
    assert all(v == 0.0 for v in cm.results().values())
    with pytest.raises(ValueError, match="metrics"):
        CompiledMetrics("accuracy", [loss], ["output"])


def test_multi_output_metric_names_like_keras(rng):
    names = ["a", "b"]
    ls = [losses.get("mse"), losses.get("mse")]
    cm = CompiledMetrics({"a": ["mae", "mae"], "b": ["mae"]}, ls, names, weighted_metrics={"b": ["mae"]})
    cm.update([np.zeros((3, 1)), np.zeros((3, 1))], [bw.Tensor(np.ones((3, 1))), bw.Tensor(np.ones((3, 1)))],
              np.ones(3))
    assert list(cm.results()) == ["a_mae", "a_mae_1", "b_mae", "b_weighted_mae"]


def test_compiled_loss_allows_no_loss_and_logs_outputs(rng):
    none = CompiledLoss(None, None, ["output"])
    assert not none.has_loss and none([np.zeros(2)], [bw.Tensor(np.zeros((2, 1)))]) is None
    two = CompiledLoss({"a": "mse"}, {"a": 2.0}, ["a", "b"])
    total = two([np.zeros((2, 1)), None], [bw.Tensor(np.ones((2, 1))), bw.Tensor(np.ones((2, 1)))], None)
    assert total.item() == 2.0 and two.results() == {"a_loss": 1.0}
    one = CompiledLoss(losses.serialize(losses.Hinge()), None, ["output"])  # a saved config, not a dict per output
    assert isinstance(one.losses[0], losses.Hinge)


def test_compiled_losses_and_metrics_see_the_mask(rng):
    y, p, mask = _masked(rng)
    yp = bw.Tensor(p)
    yp._keras_mask = mask
    loss = CompiledLoss("sparse_categorical_crossentropy", None, ["output"])
    cm = CompiledMetrics(["accuracy"], loss.losses, ["output"])
    value = loss([y], [yp], None)
    cm.update([y], [yp], None)
    per = -np.log(np.clip(np.take_along_axis(p / p.sum(-1, keepdims=True), y[..., None], -1)[..., 0],
                          1e-7, 1 - 1e-7))
    assert value.item() == pytest.approx(per[mask].mean())
    assert cm.results()["accuracy"] == pytest.approx((p.argmax(-1) == y)[mask].mean())


def test_masked_sequence_model_matches_keras(rng):
    """Embedding(mask_zero) -> GRU(return_sequences) -> Dense: loss and accuracy on a padded batch."""
    x = np.array([[3, 1, 4, 0, 0], [2, 5, 0, 0, 0], [1, 1, 2, 3, 4], [5, 0, 0, 0, 0]])
    y = rng.integers(0, 3, x.shape)
    kmodel = keras.Sequential([keras.Input((5,), dtype="int32"), keras.layers.Embedding(6, 4, mask_zero=True),
                               keras.layers.GRU(3, return_sequences=True), keras.layers.Dense(3)])
    kmodel.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    k_loss, k_acc = kmodel.evaluate(x, y, verbose=0)
    model = bw.models.Sequential([bw.layers.Input(shape=(5,), dtype="int32"),
                                  bw.layers.Embedding(6, 4, mask_zero=True),
                                  bw.layers.GRU(3, return_sequences=True), bw.layers.Dense(3)])
    model.compile(loss=losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.set_weights([np.asarray(w) for w in kmodel.get_weights()])
    # the loss objects directly, with the mask the Embedding computes
    pred = model(x)
    np.testing.assert_array_equal(np.asarray(pred._keras_mask, bool), x != 0)
    assert losses.SparseCategoricalCrossentropy(from_logits=True)(y, pred).item() == pytest.approx(k_loss, rel=1e-5)
    acc = metrics.SparseCategoricalAccuracy()
    acc.update_state(y, pred)
    assert acc.result() == pytest.approx(k_acc, rel=1e-5)
    # and through evaluate(): CompiledLoss / CompiledMetrics receive the masked predictions
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), [k_loss, k_acc], rtol=1e-5)
