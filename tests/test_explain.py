"""brickwork.explain against the math: analytic gradients, completeness, exact inverses, shap's additivity."""

from __future__ import annotations

import numpy as np
import pytest

import brickwork as bw
from brickwork import explain, layers, models
from brickwork.explain.smoothgrad import noise_samples


def logistic_model(w, b):
    """p = sigmoid(x w + b) with the given weights (Sequential)."""
    model = models.Sequential([layers.Input((len(w),)), layers.Dense(1, activation="sigmoid")])
    model.layers[0].kernel.assign(np.asarray(w, np.float32).reshape(-1, 1))
    model.layers[0].bias.assign(np.asarray([b], np.float32))
    return model


def functional_mlp(p=4, k=3):
    inputs = layers.Input((p,))
    h = layers.Dense(6, activation="tanh", name="hidden")(inputs)
    return models.Model(inputs, layers.Dense(k, activation="softmax", name="head")(h))


class SubclassedMLP(bw.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(6, activation="tanh")
        self.head = layers.Dense(3, activation="softmax")

    def call(self, x, training=False):
        return self.head(self.hidden(x))


def tiny_cnn(linear_head=True):
    """conv(relu) -> GAP -> Dense, channels last, 8x8x2 images."""
    return models.Sequential([
        layers.Input((8, 8, 2)), layers.Conv2D(4, 3, activation="relu", name="conv"),
        layers.GlobalAveragePooling2D(name="gap"), layers.Dense(3, activation=None if linear_head else "softmax",
                                                                 name="logits")])


def softmax_np(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mlp_forward_np(model, x):
    """The functional/subclassed MLP in NumPy (tanh hidden, softmax head)."""
    (w1, b1), (w2, b2) = [(la.kernel.data.astype(np.float64), la.bias.data.astype(np.float64))
                          for la in model.layers if hasattr(la, "kernel")]
    h = np.tanh(x @ w1 + b1)
    return h, softmax_np(h @ w2 + b2), (w1, w2)


# ------------------------------------------------------------------------------------------- saliency
def test_saliency_is_the_analytic_gradient_of_a_logistic_model():
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal(5), 0.3
    model = logistic_model(w, b)
    x = rng.standard_normal((7, 5)).astype(np.float32)
    p = 1 / (1 + np.exp(-(x.astype(np.float64) @ w.astype(np.float32) + b)))
    expected = (p * (1 - p))[:, None] * w.astype(np.float32)[None]
    np.testing.assert_allclose(explain.saliency(model, x, abs=False), expected, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(explain.saliency(model, x), np.abs(expected), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("build", [functional_mlp, SubclassedMLP], ids=["functional", "subclassed"])
def test_saliency_of_softmax_mlp_matches_hand_derivative(build):
    rng = np.random.default_rng(1)
    model = build()
    x = rng.standard_normal((5, 4))
    model(x[:1].astype(np.float32))
    h, p, (w1, w2) = mlp_forward_np(model, x)
    t = p.argmax(axis=1)  # target=None: the predicted class
    # d p_t / d z_j = p_t (1[j=t] - p_j);  d z / d h = w2^T;  d h / d x = (1 - h^2) w1^T
    dz = p[np.arange(5), t][:, None] * (np.eye(3)[t] - p)
    expected = ((dz @ w2.T) * (1 - h ** 2)) @ w1.T
    np.testing.assert_allclose(explain.saliency(model, x, abs=False), expected, rtol=1e-4, atol=1e-6)


def test_target_int_and_per_row_array_pick_those_outputs():
    rng = np.random.default_rng(2)
    model = functional_mlp()
    x = rng.standard_normal((4, 4)).astype(np.float32)
    per_class = [explain.saliency(model, x, target=c, abs=False) for c in range(3)]
    rows = np.array([2, 0, 1, 2])
    mixed = explain.saliency(model, x, target=rows, abs=False)
    np.testing.assert_allclose(mixed, np.stack([per_class[c][i] for i, c in enumerate(rows)]), rtol=1e-6)
    assert not np.allclose(per_class[0], per_class[1])


# ------------------------------------------------------------------------------------------- integrated gradients
def test_integrated_gradients_of_a_linear_model_is_input_minus_baseline_times_weight():
    rng = np.random.default_rng(3)
    model = models.Sequential([layers.Input((6,)), layers.Dense(2)])
    w = model.layers[0].kernel.data.astype(np.float64)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    base = rng.standard_normal(6).astype(np.float32)
    attr = explain.integrated_gradients(model, x, target=1, baselines=base, n_steps=4)
    np.testing.assert_allclose(attr, (x - base) * w[:, 1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid", "riemann_middle"])
def test_integrated_gradients_completeness(method):
    rng = np.random.default_rng(4)
    model = functional_mlp()
    x = rng.standard_normal((6, 4)).astype(np.float32) * 2
    base = rng.standard_normal((6, 4)).astype(np.float32)
    attr, delta = explain.integrated_gradients(model, x, baselines=base, method=method, n_steps=50,
                                               return_convergence_delta=True)
    _, p, _ = mlp_forward_np(model, x.astype(np.float64))
    _, p0, _ = mlp_forward_np(model, base.astype(np.float64))
    t = p.argmax(axis=1)
    gap = p[np.arange(6), t] - p0[np.arange(6), t]
    tol = 1e-3 if method == "gausslegendre" else 2e-2
    np.testing.assert_allclose(attr.sum(axis=1), gap, rtol=tol, atol=tol * np.abs(gap).max())
    np.testing.assert_allclose(delta, attr.sum(axis=1) - gap, atol=1e-5)


def test_integrated_gradients_completeness_on_a_cnn_and_in_chunks():
    rng = np.random.default_rng(5)
    model = tiny_cnn(linear_head=False)
    x = rng.uniform(0, 1, (3, 8, 8, 2)).astype(np.float32)
    whole, delta = explain.integrated_gradients(model, x, return_convergence_delta=True)
    chunked = explain.integrated_gradients(model, x, internal_batch_size=7)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-8)
    p, p0 = model.predict(x, verbose=0), model.predict(np.zeros_like(x), verbose=0)
    t = p.argmax(axis=1)
    gap = (p - p0)[np.arange(3), t]
    np.testing.assert_allclose(whole.reshape(3, -1).sum(axis=1), gap, rtol=1e-3, atol=1e-6)
    assert np.all(np.abs(delta) <= 1e-3 * np.abs(gap) + 1e-6)


def test_sequence_input_integrated_gradients_and_saliency_shapes():
    rng = np.random.default_rng(6)
    model = models.Sequential([layers.Input((10, 3)), layers.Conv1D(4, 3, activation="tanh", name="conv1d"),
                               layers.GlobalAveragePooling1D(), layers.Dense(1, activation="sigmoid")])
    x = rng.standard_normal((2, 10, 3)).astype(np.float32)
    attr = explain.integrated_gradients(model, x)
    assert attr.shape == x.shape
    gap = model.predict(x, verbose=0)[:, 0] - model.predict(np.zeros_like(x), verbose=0)[:, 0]
    np.testing.assert_allclose(attr.reshape(2, -1).sum(axis=1), gap, rtol=1e-3, atol=1e-6)
    heat = explain.grad_cam(model, x, layer="conv1d")
    assert heat.shape == (2, 10)


# ------------------------------------------------------------------------------------------- smoothgrad
def test_smoothgrad_of_a_linear_model_is_the_absolute_weight():
    model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
    w = model.layers[0].kernel.data
    x = np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32)
    out = explain.smoothgrad(model, x, target=0, n_samples=5, stdevs=1.0, seed=0)
    np.testing.assert_allclose(out, np.broadcast_to(np.abs(w[:, 0]), x.shape), rtol=1e-6)


def test_smoothgrad_is_the_mean_saliency_over_its_noise():
    rng = np.random.default_rng(8)
    model = functional_mlp()
    x = rng.standard_normal((3, 4)).astype(np.float32)
    noise = noise_samples(x.shape, 6, 0.3, seed=11)
    expected = np.mean([explain.saliency(model, (x + e).astype(np.float32), target=[0, 1, 2]) for e in noise], axis=0)
    got = explain.smoothgrad(model, x, target=[0, 1, 2], n_samples=6, stdevs=0.3, seed=11)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)
    var = explain.smoothgrad(model, x, target=[0, 1, 2], n_samples=6, stdevs=0.3, seed=11, nt_type="vargrad")
    sal = np.stack([explain.saliency(model, (x + e).astype(np.float32), target=[0, 1, 2]) for e in noise])
    np.testing.assert_allclose(var, sal.var(axis=0), rtol=1e-4, atol=1e-9)


# ------------------------------------------------------------------------------------------- Grad-CAM and CAM
def test_grad_cam_equals_the_hand_formula_and_cam_times_positions():
    rng = np.random.default_rng(9)
    model = tiny_cnn(linear_head=True)
    x = rng.standard_normal((2, 8, 8, 2)).astype(np.float32)
    conv, dense = model.get_layer("conv"), model.get_layer("logits")
    a = conv(x).data.astype(np.float64)  # (2, 6, 6, 4)
    w = dense.kernel.data.astype(np.float64)
    t = np.array([2, 0])
    # logits = mean_ij A w + b, so dy/dA_ijk = w_kt / 36 and alpha_k = w_kt / 36
    expected = np.einsum("nijk,kn->nij", a, w[:, t]) / 36
    raw = explain.grad_cam(model, x, target=t, layer="conv", relu_attributions=False, upsample=False)
    np.testing.assert_allclose(raw, expected, rtol=1e-4, atol=1e-6)
    relu = explain.grad_cam(model, x, target=t, layer=conv, upsample=False)
    np.testing.assert_allclose(relu, np.maximum(expected, 0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(explain.cam(model, x, target=t, upsample=False), expected * 36, rtol=1e-4, atol=1e-5)
    up = explain.grad_cam(model, x, target=t, layer="conv", interpolate_mode="nearest")
    assert up.shape == (2, 8, 8)
    np.testing.assert_allclose(up[:, 0, 0], relu[:, 0, 0], rtol=1e-6)


def test_grad_cam_finds_a_layer_inside_a_nested_model():
    rng = np.random.default_rng(10)
    base = models.Sequential([layers.Input((8, 8, 2)), layers.Conv2D(3, 3, activation="relu", name="inner_conv")],
                             name="base")
    inputs = layers.Input((8, 8, 2))
    outputs = layers.Dense(2, activation="softmax")(layers.GlobalAveragePooling2D()(base(inputs)))
    model = models.Model(inputs, outputs)
    x = rng.standard_normal((2, 8, 8, 2)).astype(np.float32)
    heat = explain.grad_cam(model, x, layer="inner_conv")
    assert heat.shape == (2, 8, 8) and np.all(heat >= 0) and np.isfinite(heat).all()


# ------------------------------------------------------------------------------------------- occlusion
def test_occlusion_of_a_linear_model_with_single_element_windows():
    rng = np.random.default_rng(12)
    model = models.Sequential([layers.Input((5,)), layers.Dense(3)])
    w = model.layers[0].kernel.data.astype(np.float64)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    out = explain.occlusion(model, x, target=1, sliding_window_shapes=(1,), baselines=0.5)
    np.testing.assert_allclose(out, (x - 0.5) * w[:, 1], rtol=1e-4, atol=1e-6)


def test_occlusion_windows_average_the_drops():
    # a sum model: occluding a 2-wide window (stride 1) of x with zeros drops the score by the window's sum;
    # element i is the mean over the windows covering it (Captum's rule, the last window cut at the edge).
    model = models.Sequential([layers.Input((4,)), layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    x = np.array([[1.0, 2.0, 3.0, 4.0]], np.float32)
    out = explain.occlusion(model, x, sliding_window_shapes=(2,), strides=(1,), perturbations_per_eval=2)
    windows = [[0, 1], [1, 2], [2, 3]]
    drops = [x[0, w].sum() for w in windows]
    expected = [np.mean([d for d, w in zip(drops, windows) if i in w]) for i in range(4)]
    np.testing.assert_allclose(out[0], expected, rtol=1e-6)


# ------------------------------------------------------------------------------------------- maximisation, back query
def test_activation_maximization_of_a_linear_unit_reaches_the_l2_optimum():
    model = models.Sequential([layers.Input((3,)), layers.Dense(2, name="lin")])
    w = model.layers[0].kernel.data
    # maximise w_u . x - l2 |x|^2  =>  x* = w_u / (2 l2)
    x = explain.activation_maximization(model, layer="lin", unit=1, steps=300, lr=0.2, l2=0.5, seed=0)
    np.testing.assert_allclose(x[0], w[:, 1] / (2 * 0.5), rtol=1e-4, atol=1e-6)


def test_activation_maximization_raises_a_conv_channel():
    model = tiny_cnn()
    rng = np.random.default_rng(13)
    start = rng.standard_normal((1, 8, 8, 2)).astype(np.float32) * 0.01
    before = model.get_layer("conv")(start).data[..., 2].mean()
    x = explain.activation_maximization(model, layer="conv", unit=2, steps=30, lr=0.05, l2=1e-3, blur_every=5,
                                        jitter=1, seed=1, x0=start, normalize=True)
    assert x.shape == (1, 8, 8, 2)
    assert model.get_layer("conv")(x).data[..., 2].mean() > before + 0.05


def test_back_query_inverts_an_invertible_sigmoid_mlp():
    rng = np.random.default_rng(14)
    model = models.Sequential([layers.Input((4,)), layers.Dense(4, activation="sigmoid"),
                               layers.Dropout(0.5), layers.Dense(4, activation="sigmoid")])
    x0 = rng.uniform(-1, 1, (1, 4)).astype(np.float32)
    y = model.predict(x0, verbose=0)
    np.testing.assert_allclose(explain.back_query(model, y[0]), x0, rtol=1e-3, atol=1e-4)


def test_back_query_of_a_label_rescales_like_the_seed():
    model = models.Sequential([layers.Input((6,)), layers.Dense(5, activation="sigmoid"),
                               layers.Dense(3, activation="sigmoid")])
    img = explain.back_query(model, 2, method="transpose", input_range=(0.01, 0.99))
    assert img.shape == (1, 6)
    np.testing.assert_allclose([img.min(), img.max()], [0.01, 0.99], rtol=1e-5)


# ------------------------------------------------------------------------------------------- SHAP
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["kernel", "exact", "permutation"])
def test_shap_values_are_additive(kind):
    pytest.importorskip("shap")
    rng = np.random.default_rng(15)
    model = functional_mlp()
    x = rng.standard_normal((3, 4)).astype(np.float32)
    bg = rng.standard_normal((10, 4)).astype(np.float32)
    values, base = explain.shap_values(model, x, bg, explainer=kind, return_expected_value=True)
    p, pb = model.predict(x, verbose=0).astype(np.float64), model.predict(bg, verbose=0).astype(np.float64)
    t = p.argmax(axis=1)
    np.testing.assert_allclose(base, pb.mean(axis=0)[t], rtol=1e-5)
    np.testing.assert_allclose(values.sum(axis=1), p[np.arange(3), t] - pb.mean(axis=0)[t], atol=1e-5)


@pytest.mark.slow
def test_shap_values_of_a_linear_model_are_centred_weighted_inputs():
    pytest.importorskip("shap")
    rng = np.random.default_rng(16)
    model = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    w = model.layers[0].kernel.data[:, 0].astype(np.float64)
    x, bg = rng.standard_normal((2, 3)), rng.standard_normal((8, 3))
    values = explain.shap_values(model, x, bg, explainer="exact")
    np.testing.assert_allclose(values, (x - bg.mean(axis=0)) * w, rtol=1e-4, atol=1e-6)


# ------------------------------------------------------------------------------------------- plots
def test_plots_write_pngs(tmp_path):
    rng = np.random.default_rng(17)
    heat = explain.plot_heatmap(rng.uniform(size=(8, 8)), rng.uniform(size=(6, 6)), tmp_path / "heat.png")
    bars = explain.plot_attributions([0.3, -0.1, 0.5], ["a", "b", "c"], tmp_path / "bars.png", k=2)
    for path in (heat, bars):
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------------------- bad inputs
def test_unknown_layer_name_is_named():
    with pytest.raises(ValueError, match="no layer named 'nope'.*conv"):
        explain.grad_cam(tiny_cnn(), np.zeros((1, 8, 8, 2), np.float32), layer="nope")


def test_grad_cam_needs_a_spatial_layer():
    model = functional_mlp()
    with pytest.raises(ValueError, match="grad_cam: layer 'hidden'.*spatial"):
        explain.grad_cam(model, np.zeros((1, 4), np.float32), layer="hidden")


@pytest.mark.parametrize("target", [3, -1, [0, 5]])
def test_target_out_of_range_is_named(target):
    x = np.zeros((2, 4), np.float32)
    with pytest.raises(ValueError, match=r"integrated_gradients: target -?\d+ is out of range.*3 outputs"):
        explain.integrated_gradients(functional_mlp(), x, target=target)


def test_target_with_wrong_length_is_named():
    with pytest.raises(ValueError, match="saliency: target has shape"):
        explain.saliency(functional_mlp(), np.zeros((2, 4), np.float32), target=[0, 1, 2])


def test_input_shape_mismatch_is_named():
    with pytest.raises(ValueError, match=r"saliency: x has shape \(2, 5\).*\(None, 4\)"):
        explain.saliency(functional_mlp(), np.zeros((2, 5), np.float32))


def test_baselines_shape_mismatch_is_named():
    with pytest.raises(ValueError, match="integrated_gradients: baselines has shape"):
        explain.integrated_gradients(functional_mlp(), np.zeros((2, 4), np.float32), baselines=np.zeros(3))


def test_bad_method_and_steps_are_named():
    x = np.zeros((1, 4), np.float32)
    with pytest.raises(ValueError, match="integrated_gradients: method"):
        explain.integrated_gradients(functional_mlp(), x, method="simpson")
    with pytest.raises(ValueError, match="integrated_gradients: n_steps"):
        explain.integrated_gradients(functional_mlp(), x, method="riemann_left", n_steps=1)


def test_occlusion_window_errors_are_named():
    x = np.zeros((1, 4), np.float32)
    model = models.Sequential([layers.Input((4,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="occlusion: sliding_window_shapes"):
        explain.occlusion(model, x, sliding_window_shapes=(5,))
    with pytest.raises(ValueError, match="occlusion: strides"):
        explain.occlusion(model, x, sliding_window_shapes=(2,), strides=3)
    with pytest.raises(ValueError, match="occlusion: sliding_window_shapes is required"):
        explain.occlusion(model, x)


def test_smoothgrad_and_maximization_argument_errors():
    with pytest.raises(ValueError, match="smoothgrad: n_samples"):
        explain.smoothgrad(functional_mlp(), np.zeros((1, 4), np.float32), n_samples=0)
    with pytest.raises(ValueError, match="activation_maximization: unit 9 is out of range for 'conv'"):
        explain.activation_maximization(tiny_cnn(), layer="conv", unit=9, steps=1)


def test_back_query_rejects_layers_it_cannot_invert():
    with pytest.raises(ValueError, match="back_query: layer 'conv'.*Conv2D"):
        explain.back_query(tiny_cnn(), 0)
    with pytest.raises(ValueError, match="back_query: target 7 is out of range"):
        explain.back_query(logistic_model([1.0, 2.0], 0.0), 7)


def test_shap_background_shape_is_named():
    with pytest.raises(ValueError, match="shap_values: background has shape"):
        explain.shap_values(functional_mlp(), np.zeros((1, 4), np.float32), np.zeros((5, 3)))


def test_heatmap_bad_shapes_are_named(tmp_path):
    with pytest.raises(ValueError, match="plot_heatmap: attribution"):
        explain.plot_heatmap(np.zeros((4, 4)), np.zeros(4), tmp_path / "x.png")
    with pytest.raises(ValueError, match="plot_attributions: 2 names for 3 values"):
        explain.plot_attributions([1, 2, 3], ["a", "b"], tmp_path / "y.png")


@pytest.mark.slow
def test_explain_digits_example_writes_its_figures(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "explain_digits.py"
    spec = importlib.util.spec_from_file_location("explain_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    summary = module.main(epochs=2, out=str(tmp_path), n_show=2)
    assert summary["completeness"] < 5e-3  # 2 epochs only; the 15-epoch run of the docs reaches 4.9e-4
    assert all(Path(p).exists() for p in summary["figures"])


def test_attributions_do_not_differentiate_the_weights_and_restore_them():
    from brickwork.engine.variable import Variable
    from brickwork.explain.targets import weights_frozen

    bw_model = models.Sequential([layers.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(2)])
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    with weights_frozen(bw_model):
        out = bw_model(bw.Tensor(x, requires_grad=True))
        seen, stack = [], [out.creator]
        while stack:
            fn = stack.pop()
            if fn is None or not hasattr(fn, "inputs"):
                continue
            seen.append(fn)
            for t, needed in zip(fn.inputs, fn.needs_input_grad):
                assert not (isinstance(t, Variable) and needed), f"{type(fn).__name__} differentiates {t.path}"
                stack.append(t.creator)
    assert seen, "the graph to the input was recorded"
    assert all(v.requires_grad for v in bw_model.trainable_weights)
