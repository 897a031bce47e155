"""brickwork.semi_supervised: each method learns on two moons with 10 labels, and each loss term is what
its paper's equation says (expected values computed here with NumPy from the network's own outputs)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import brickwork as bw
from brickwork import layers
from brickwork import semi_supervised as ss


def mlp(seed: int = 0, dropout: float = 0.0, out: int = 2) -> bw.Model:
    bw.set_seed(seed)
    stack = [layers.Input((2,)), layers.Dense(16, activation="tanh")]
    if dropout:
        stack.append(layers.Dropout(dropout))
    return bw.Sequential([*stack, layers.Dense(out, activation="softmax")])


def batch(seed: int = 0, n: int = 12):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype("float32")
    y = rng.integers(0, 2, n)
    y[::3] = -1
    return x, y


def compile_(model, lr: float = 0.01, optimizer=None):
    model.compile(optimizer or bw.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cross_entropy(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-7, 1.0))))


# ------------------------------------------------------------ shared pieces
def test_rampup_values():
    assert ss.sigmoid_rampup(0, 30) == pytest.approx(math.exp(-5.0))
    assert ss.sigmoid_rampup(15, 30) == pytest.approx(math.exp(-5.0 * 0.25))
    assert ss.sigmoid_rampup(30, 30) == 1.0
    assert ss.sigmoid_rampup(45, 30) == 1.0
    assert ss.sigmoid_rampup(0, 0) == 1.0
    model = ss.PiModel(mlp(), consistency_weight=7.0, rampup_epochs=10)
    assert model.unsupervised_weight(0) == pytest.approx(7.0 * math.exp(-5.0))
    assert model.unsupervised_weight(10) == pytest.approx(7.0)


def test_rampup_rejects_negative_length():
    with pytest.raises(ValueError, match="rampup_epochs"):
        ss.sigmoid_rampup(0, -1)


def test_labelled_mask_sparse_and_one_hot():
    np.testing.assert_array_equal(ss.labelled_mask(np.array([0, -1, 2, -1])), [True, False, True, False])
    one_hot = np.array([[0, 1], [-1, -1], [1, 0]])
    np.testing.assert_array_equal(ss.labelled_mask(one_hot), [True, False, True])


def test_labelled_mask_rejects_mixed_row():
    with pytest.raises(ValueError, match=r"y: row 1 mixes -1"):
        ss.labelled_mask(np.array([[0, 1], [-1, 0]]), "y")


def test_unlabelled_rows_excluded_from_supervised_loss():
    x, y = batch()
    net = mlp()
    model = compile_(ss.PiModel(net, consistency_weight=1.0, noise_std=0.0))
    p = net.predict(x, verbose=0)
    lab = y != -1
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["supervised_loss"] == pytest.approx(cross_entropy(p[lab], y[lab]), rel=1e-5)
    assert logs["consistency_loss"] == pytest.approx(0.0, abs=1e-12)  # no noise, no dropout: passes agree


def test_one_hot_rows_of_minus_one_are_unlabelled():
    x, y = batch()
    net = mlp()
    model = ss.PiModel(net, noise_std=0.0)
    model.compile(bw.optimizers.Adam(0.01), "categorical_crossentropy")
    one_hot = np.eye(2)[np.where(y == -1, 0, y)]
    one_hot[y == -1] = -1
    p = net.predict(x, verbose=0)
    lab = y != -1
    logs = model.train_on_batch(x, one_hot, return_dict=True)
    assert logs["supervised_loss"] == pytest.approx(cross_entropy(p[lab], y[lab]), rel=1e-5)


def test_batch_without_labels_has_zero_supervised_loss():
    x, _ = batch()
    model = compile_(ss.PiModel(mlp(), noise_std=0.1, seed=0))
    logs = model.train_on_batch(x, np.full(len(x), -1), return_dict=True)
    assert logs["supervised_loss"] == 0.0
    assert logs["consistency_loss"] > 0.0  # two noisy passes differ


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="ema_decay"):
        ss.MeanTeacher(mlp(), ema_decay=1.0)
    with pytest.raises(ValueError, match="noise_std"):
        ss.PiModel(mlp(), noise_std=-0.1)
    with pytest.raises(ValueError, match="ensemble_momentum"):
        ss.TemporalEnsembling(mlp(), ensemble_momentum=1.5)
    with pytest.raises(ValueError, match="threshold"):
        ss.PseudoLabeling(mlp(), threshold=2.0)
    with pytest.raises(TypeError, match="model"):
        ss.PiModel("not a network")


def test_fit_rejects_mixed_target_row():
    model = compile_(ss.MeanTeacher(mlp()))
    with pytest.raises(ValueError, match=r"MeanTeacher.fit\(\): y: row 0"):
        model.fit(np.zeros((2, 2), "float32"), np.array([[-1, 1], [0, 1]]), verbose=0)


# ------------------------------------------------------------ mean teacher
def test_mean_teacher_consistency_zero_when_teacher_equals_student():
    x, y = batch()
    model = compile_(ss.MeanTeacher(mlp(), noise_std=0.0))
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["consistency_loss"] == pytest.approx(0.0, abs=1e-12)


def test_mean_teacher_consistency_is_mean_squared_difference():
    x, y = batch()
    net = mlp()
    model = compile_(ss.MeanTeacher(net, noise_std=0.0))
    net(x)
    teacher = model.teacher
    teacher.set_weights([w + 0.3 for w in net.get_weights()])
    expected = np.mean((net.predict(x, verbose=0) - teacher.predict(x, verbose=0)) ** 2)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["consistency_loss"] == pytest.approx(float(expected), rel=1e-5)


def test_mean_teacher_ema_update_follows_formula():
    x, y = batch()
    net = mlp()
    model = compile_(ss.MeanTeacher(net, ema_decay=0.9, noise_std=0.0), lr=0.05)
    net(x)
    teacher_0 = [w.copy() for w in model.teacher.get_weights()]
    model.train_on_batch(x, y)
    alpha_1 = min(1 - 1 / 2, 0.9)  # warm-up: alpha_k = min(1 - 1/(k+1), decay)
    for t0, t1, s1 in zip(teacher_0, model.teacher.get_weights(), net.get_weights()):
        np.testing.assert_allclose(t1, alpha_1 * t0 + (1 - alpha_1) * s1, rtol=1e-6, atol=1e-7)
    for _ in range(30):
        model.train_on_batch(x, y)
    before = [w.copy() for w in model.teacher.get_weights()]
    model.train_on_batch(x, y)
    for t0, t1, s1 in zip(before, model.teacher.get_weights(), net.get_weights()):
        np.testing.assert_allclose(t1, 0.9 * t0 + 0.1 * s1, rtol=1e-6, atol=1e-7)  # decay reached its cap


def test_mean_teacher_predicts_with_teacher():
    x, y = batch()
    net = mlp()
    model = compile_(ss.MeanTeacher(net, noise_std=0.0), lr=0.1)
    for _ in range(3):
        model.train_on_batch(x, y)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.teacher.predict(x, verbose=0), rtol=1e-6)
    assert not np.allclose(model.predict(x, verbose=0), net.predict(x, verbose=0))
    assert not model.teacher.trainable_weights  # only the student is trained
    assert {id(v) for v in model.trainable_weights} == {id(v) for v in net.trainable_weights}


# ----------------------------------------------------- temporal ensembling
def test_temporal_ensembling_targets_are_bias_corrected_average():
    x, y = batch(n=20)
    net = mlp()
    model = ss.TemporalEnsembling(net, ensemble_momentum=0.6, noise_std=0.0)
    compile_(model, optimizer=bw.optimizers.SGD(0.0))  # a fixed network: every epoch predicts the same z
    z = net.predict(x, verbose=0)
    history = model.fit(x, y, epochs=1, batch_size=6, shuffle=True, verbose=0)
    # epoch 1: target 0, so the consistency is the mean square of z; then Z = 0.4 z and z~ = Z / (1 - 0.6) = z
    assert history.history["consistency_loss"][0] == pytest.approx(float(np.mean(z ** 2)), rel=1e-5)
    np.testing.assert_allclose(model.ensemble, 0.4 * z, rtol=1e-5)
    np.testing.assert_allclose(model.targets, z, rtol=1e-5)  # indices found each sample despite shuffling
    model.fit(x, y, epochs=2, batch_size=6, verbose=0)
    np.testing.assert_allclose(model.ensemble, (1 - 0.6 ** 2) * z, rtol=1e-5)
    np.testing.assert_allclose(model.targets, z, rtol=1e-5)


def test_temporal_ensembling_consistency_zero_when_prediction_equals_target():
    x, y = batch(n=20)
    model = ss.TemporalEnsembling(mlp(), noise_std=0.0)
    compile_(model, optimizer=bw.optimizers.SGD(0.0))
    history = model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    assert history.history["consistency_loss"][1] == pytest.approx(0.0, abs=1e-10)


def test_temporal_ensembling_validation_split_keeps_plain_targets():
    x, y = batch(n=20)
    y[-5:] = [0, 1, 0, 1, 1]
    model = compile_(ss.TemporalEnsembling(mlp()))
    history = model.fit(x, y, epochs=1, batch_size=5, validation_split=0.25, verbose=0)
    assert "val_accuracy" in history.history
    assert model.ensemble.shape == (15, 2)


def test_temporal_ensembling_needs_arrays():
    model = compile_(ss.TemporalEnsembling(mlp()))
    with pytest.raises(ValueError, match="TemporalEnsembling.fit"):
        model.fit(np.zeros((3, 2)), None)


# --------------------------------------------------------- pseudo-labelling
def test_lee_schedule():
    assert ss.lee_alpha(5, 3.0, 10, 60) == 0.0
    assert ss.lee_alpha(35, 3.0, 10, 60) == pytest.approx(1.5)
    assert ss.lee_alpha(60, 3.0, 10, 60) == 3.0


def test_pseudo_label_loss_is_cross_entropy_with_argmax_of_unlabelled():
    x, y = batch()
    net = mlp()
    model = compile_(ss.PseudoLabeling(net, threshold=0.0))
    p = net.predict(x, verbose=0)
    unl = y == -1
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["pseudo_label_loss"] == pytest.approx(cross_entropy(p[unl], p[unl].argmax(1)), rel=1e-5)


def test_pseudo_label_threshold_drops_unconfident_samples():
    x, y = batch()
    model = compile_(ss.PseudoLabeling(mlp(), threshold=1.0))  # nothing is certain
    assert model.train_on_batch(x, y, return_dict=True)["pseudo_label_loss"] == 0.0


# ------------------------------------------------------------ augmentation
def shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` moved down ``dy`` and right ``dx`` pixels, zeros shifted in (by explicit slicing)."""
    h, w = image.shape
    out = np.zeros_like(image)
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = image[max(-dy, 0):h - max(dy, 0),
                                                                      max(-dx, 0):w - max(dx, 0)]
    return out


def test_random_shift_moves_each_image_by_at_most_max_shift():
    rng = np.random.default_rng(0)
    images = rng.random((200, 8, 8)).astype("float32") + 0.5  # no zero pixel: every shift is distinguishable
    out = ss.RandomShift((8, 8), max_shift=1)(images.reshape(200, 64), np.random.default_rng(1))
    assert out.shape == (200, 64) and out.dtype == np.float32
    found = set()
    for image, moved in zip(images, out.reshape(200, 8, 8)):
        match = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if np.array_equal(moved, shifted(image, dy, dx))]
        assert len(match) == 1
        found.add(match[0])
    assert len(found) == 9  # every offset of {-1, 0, 1}^2 occurs in 200 draws


def test_random_shift_channels_and_zero_shift():
    x = np.arange(2 * 4 * 4 * 3, dtype="float32").reshape(2, 4, 4, 3)
    np.testing.assert_array_equal(ss.RandomShift((4, 4, 3), 0)(x, np.random.default_rng(0)), x)
    out = ss.RandomShift((4, 4, 3), 2, fill=-1.0)(x, np.random.default_rng(0))
    for c in range(3):  # every channel of an image moves together
        assert np.array_equal(out[..., c] == -1.0, out[..., 0] == -1.0)


def test_random_shift_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="RandomShift: image_shape"):
        ss.RandomShift((64,))
    with pytest.raises(ValueError, match="RandomShift: max_shift"):
        ss.RandomShift((8, 8), max_shift=8)
    with pytest.raises(ValueError, match=r"RandomShift: a batch of shape \(3, 10\)"):
        ss.RandomShift((8, 8))(np.zeros((3, 10)), np.random.default_rng(0))


def test_augmentation_runs_before_the_noise_in_training_passes():
    x, _ = batch()
    model = ss.PiModel(mlp(), noise_std=0.0, augmentation=lambda a, rng: a + 1.0)
    np.testing.assert_allclose(model.augment(x), x + 1.0)
    noisy = ss.PiModel(mlp(), noise_std=0.5, seed=3, augmentation=lambda a, rng: a * 0.0)
    expected = np.random.default_rng(3).normal(0.0, 0.5, x.shape)  # the noise alone, on the zeroed batch
    np.testing.assert_allclose(noisy.augment(x), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="MeanTeacher: augmentation"):
        ss.MeanTeacher(mlp(), augmentation="shift")


# ------------------------------------------------------------ labelled oversampling
def test_oversampled_rows_smallest_repetition_reaching_fraction():
    mask = np.zeros(1347, bool)
    mask[:50] = True
    rows = ss.oversampled_rows(mask, 0.25)
    # r = ceil(0.25 * 1297 / (0.75 * 50)) = ceil(8.647) = 9 copies of each labelled row
    assert len(rows) == 1347 + 8 * 50
    np.testing.assert_array_equal(np.bincount(rows, minlength=1347), np.where(mask, 9, 1))
    assert mask[rows].mean() >= 0.25 and (50 * 8) / (1297 + 50 * 8) < 0.25  # 8 copies would fall short
    np.testing.assert_array_equal(ss.oversampled_rows(np.zeros(5, bool), 0.5), np.arange(5))  # no labels
    np.testing.assert_array_equal(ss.oversampled_rows(np.ones(5, bool), 0.5), np.arange(5))  # already enough
    with pytest.raises(ValueError, match="labelled_fraction"):
        ss.oversampled_rows(mask, 1.0)


def test_labelled_fraction_repeats_rows_after_taking_the_validation_split():
    x = np.arange(20, dtype="float32").reshape(10, 2)
    y = np.array([0, -1, -1, -1, -1, -1, -1, -1, 1, -1])
    model = ss.PiModel(mlp(), labelled_fraction=0.5)
    xs, ys, kwargs = model.prepare_data(x, y, {"validation_split": 0.2})
    x_val, y_val = kwargs["validation_data"]
    np.testing.assert_array_equal(x_val, x[8:])  # the last 20% of the original rows, no repeats
    np.testing.assert_array_equal(y_val, y[8:])
    # 8 training rows, 1 labelled: ceil(0.5 * 7 / (0.5 * 1)) = 7 copies
    assert len(ys) == 8 + 6 and (ys == 0).sum() == 7 and (ys != -1).mean() == 0.5
    np.testing.assert_array_equal(xs[:8], x[:8])
    with pytest.raises(ValueError, match="PiModel: labelled_fraction"):
        ss.PiModel(mlp(), labelled_fraction=0.0)


def test_temporal_ensembling_repeated_rows_share_their_sample_index():
    x, y = batch(n=12)  # 4 unlabelled, 8 labelled
    y[:] = -1
    y[0] = 1
    model = compile_(ss.TemporalEnsembling(mlp(), labelled_fraction=0.5, noise_std=0.0))
    xs, ys, _ = model.prepare_data(x, y, {})
    index = ys[:, -1]
    assert len(ys) == 12 + 10 and (index[12:] == 0).all()  # the copies are sample 0
    np.testing.assert_array_equal(xs[index.astype(int)], xs)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert model.ensemble.shape == (12, 2) and model.epochs_done == 2


# ------------------------------------------------------------ learning
def moons():
    from sklearn.datasets import make_moons

    x, y = make_moons(400, noise=0.1, random_state=0)
    xt, yt = make_moons(400, noise=0.1, random_state=1)
    rng = np.random.default_rng(0)
    lab = np.concatenate([rng.choice(np.flatnonzero(y == c), 5, replace=False) for c in (0, 1)])
    y_semi = np.full(len(y), -1)
    y_semi[lab] = y[lab]
    return x.astype("float32"), y_semi, xt.astype("float32"), yt


def moons_net():
    bw.set_seed(0)
    return bw.Sequential([layers.Input((2,)), layers.Dense(32, activation="relu"), layers.Dropout(0.1),
                          layers.Dense(32, activation="relu"), layers.Dense(2, activation="softmax")])


@pytest.fixture(scope="module")
def labels_only_accuracy() -> float:
    """The same network trained on the 10 labels alone."""
    x, y, xt, yt = moons()
    net = compile_(moons_net())
    net.fit(x[y != -1], y[y != -1], epochs=100, batch_size=10, verbose=0)
    return float((net.predict(xt, verbose=0).argmax(1) == yt).mean())


@pytest.mark.slow
@pytest.mark.parametrize("make", [
    lambda n: ss.PiModel(n, noise_std=0.1, rampup_epochs=10, seed=0),
    lambda n: ss.TemporalEnsembling(n, noise_std=0.1, rampup_epochs=10, seed=0),
    lambda n: ss.MeanTeacher(n, noise_std=0.1, rampup_epochs=10, seed=0),
    lambda n: ss.PseudoLabeling(n, t1=5, t2=20, threshold=0.9, noise_std=0.1, seed=0),
], ids=["pi", "temporal", "mean_teacher", "pseudo_label"])
def test_learns_two_moons_from_ten_labels(make, labels_only_accuracy):
    x, y, xt, yt = moons()
    model = compile_(make(moons_net()))
    history = model.fit(x, y, epochs=40, batch_size=64, verbose=0)
    assert {"loss", "supervised_loss", "unsupervised_weight"} <= set(history.history)
    accuracy = (model.predict(xt, verbose=0).argmax(1) == yt).mean()
    assert accuracy >= 0.85  # labels only: about 0.81
    assert accuracy >= labels_only_accuracy + 0.04


@pytest.mark.slow
def test_digits_example_runs():
    example = load_example("semi_supervised_digits")
    x_tr, y_semi, x_te, y_te, y_true = example.split(0, 50)
    assert len(x_te) == 450 and (y_semi != -1).sum() == 50
    assert np.bincount(y_semi[y_semi != -1]).tolist() == [5] * 10  # balanced labels
    assert 0.0 < example.run("mean teacher", 0, 50, epochs=1) <= 1.0
    assert example.run("LabelSpreading", 0, 50, epochs=1) > 0.85


def load_example(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


@pytest.mark.slow
def test_default_risk_example_runs():
    from sklearn.metrics import roc_auc_score

    example = load_example("semi_supervised_default_risk")
    x_tr, y_semi, x_te, y_te, y_true, p_te = example.split(0, 2000, 0.05)
    assert len(x_te) == 500 and (y_semi != -1).sum() == 75  # 5% of the 1500 training applicants
    assert not np.isnan(x_tr).any() and x_tr.shape[1] == x_te.shape[1]
    np.testing.assert_array_equal(y_semi[y_semi != -1], y_true[y_semi != -1])
    y, score = example.scores("mean teacher", 0, 2000, 0.05, epochs=1)
    assert len(score) == len(y) == 500 and score.min() >= 0.0 and score.max() <= 1.0
    y, oracle = example.scores("generator's probability", 0, 2000, 0.05, epochs=1)
    assert roc_auc_score(y, oracle) > 0.7  # the generator's own probability ranks defaults well


def test_grid_vs_random_example_grid_has_side_values_per_range():
    from brickwork.tuner import HyperParameters

    example = load_example("tuning_grid_vs_random")
    hp = HyperParameters()
    example.make_build(True, 4)(hp)
    np.testing.assert_allclose(hp.grid_values("log10_lr"), np.linspace(-5.0, -1.0, 4))
    np.testing.assert_allclose(hp.grid_values("dropout"), np.linspace(0.0, 0.6, 4))
    hp = HyperParameters()
    example.make_build(False)(hp)
    with pytest.raises(ValueError, match="log10_lr"):  # random search's ranges are continuous
        hp.grid_values("log10_lr")


@pytest.mark.slow
def test_grid_vs_random_example_searches(tmp_path):
    pytest.importorskip("optuna")
    example = load_example("tuning_grid_vs_random")
    data = example.digits()
    grid = example.search("grid", 0, 4, 1, data, str(tmp_path))
    assert sorted((t.params["log10_lr"], t.params["dropout"]) for t in grid.trials) == [
        (-5.0, 0.0), (-5.0, 0.6), (-1.0, 0.0), (-1.0, 0.6)]  # a 2 x 2 grid: the ends of each range
    random = example.search("random", 0, 4, 1, data, str(tmp_path))
    assert len(random.trials) == 4 and all(0.0 <= v <= 1.0 for v in example.values(random))
    assert len({t.params["log10_lr"] for t in random.trials}) == 4
