"""Layer conformance harness: what every layer in ``brickwork.layers`` must pass.

``run_layer_test(layer_cls, init_kwargs, input_shape=... | input_data=...)`` (in the spirit of
Keras's ``run_layer_test``) builds the layer from ``init_kwargs`` and runs these checks; a new layer gets an
entry in ``tests/test_conformance.py`` and must pass all of them (an entry may skip a check only with a
reason string in ``skip={check: reason}``):

``shapes``
    the eager output shape equals the symbolic one from ``Input`` (batch axis ``None``), the
    ``compute_output_shape`` result and ``expected_output_shape``; symbolic and eager dtypes agree.
``weights``
    the numbers of trainable / non-trainable weights equal the expected ones.
``containers``
    inside ``Sequential``, a Functional ``Model`` and a subclassed ``Model`` (weights copied with
    ``get_weights``/``set_weights``) the layer gives the bare layer's outputs, and the containers track
    the layer's weights.
``dtypes``
    built with ``dtype='float32'`` / ``'float64'``, every float weight and float output has that dtype.
``mask``
    an input carrying ``_keras_mask`` gives the output mask Keras 3 gives (pass-through where Keras is not
    available); a layer without masking support emits Keras's "does not support masking" warning, and
    ``layer.supports_masking`` equals ``supports_masking`` (and Keras's flag).
``config``
    ``get_config`` is JSON-serialisable and ``from_config(get_config())`` gives an equal config.
``saving``
    ``Sequential([Input, layer]).save(path)`` in brickwork's own format, then ``brickwork.models.load_model``,
    gives equal outputs (a Functional model for layers with several inputs).
``keras_file``
    the same through a ``.keras`` file (Keras 3's format), loaded back both by brickwork and by Keras 3.
``keras``
    ``keras.layers.<Name>.from_config(config)``, with the config brickwork writes into ``.keras`` files
    (``get_config()`` with nested layers as Keras object records), has the same weights (count, names, shapes,
    order, trainability) and, after copying the weights across, outputs equal to 1e-5 in float32.
``device``
    a copy moved with ``layer.to('gpu')`` gives the same outputs and gradients (inputs and weights) on device
    arrays, through the CPU stand-in for CuPy (:mod:`conformance_device`).
``gradcheck``
    ``brickwork.gradcheck`` in float64 of the outputs w.r.t. the float inputs and the trainable weights (in
    inference mode; with ``gradcheck_training=True`` also w.r.t. the inputs in training mode, with the seeded
    layer rebuilt for every evaluation so that its randomness is the same in each).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from conformance_device import check_device

import brickwork as bw
from brickwork import layers, models

CHECKS = ("shapes", "weights", "containers", "dtypes", "mask", "config", "saving", "keras_file", "keras", "gradcheck",
          "device")
_MASK_WARNING = "does not support masking"


class _Wrapper(models.Model):
    """A subclassed model around one layer (PyTorch-style research code)."""

    def __init__(self, inner: layers.Layer) -> None:
        super().__init__()
        self.inner = inner

    def call(self, inputs: Any, training: bool = False) -> Any:
        return self.inner(inputs, training=training)


def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _numpy(x: Any) -> np.ndarray:
    if isinstance(x, bw.Tensor):
        return np.asarray(x.data)
    if hasattr(x, "detach"):  # a torch tensor from Keras
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _close(actual: Any, expected: Any, rtol: float, what: str) -> None:
    actual, expected = _numpy(actual), _numpy(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if expected.dtype.kind in "OUS":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    scale = max(float(np.max(np.abs(expected.astype(np.float64)), initial=0.0)), 1.0)
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                               atol=rtol * scale, err_msg=what)


def _all_close(actual: Any, expected: Any, rtol: float, what: str) -> None:
    a, e = _as_list(actual), _as_list(expected)
    assert len(a) == len(e), f"{what}: {len(a)} outputs != {len(e)}"
    for i, (p, q) in enumerate(zip(a, e)):
        _close(p, q, rtol, f"{what} (output {i})")


def randomize_weights(layer: layers.Layer, seed: int = 0) -> None:
    """Non-trivial values in every float weight (variances and counts kept positive)."""
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        if w.dtype.kind != "f":
            continue
        low, high = (0.5, 1.5) if any(k in w.name for k in ("variance", "count")) else (-0.5, 0.5)
        w.assign(rng.uniform(low, high, w.shape).astype(w.dtype))


def _make_data(input_shape: Any, input_dtype: str, seed: int, int_high: int) -> Any:
    rng = np.random.default_rng(seed)
    if isinstance(input_shape, list):
        return [_make_data(s, input_dtype, seed + i, int_high) for i, s in enumerate(input_shape)]
    if np.dtype(input_dtype).kind in "iu":
        return rng.integers(0, int_high, size=input_shape).astype(input_dtype)
    return rng.uniform(-1.0, 1.0, size=input_shape).astype(input_dtype)


def _cast(x: Any, dtype: str) -> Any:
    if isinstance(x, list):
        return [_cast(v, dtype) for v in x]
    return x.astype(dtype) if x.dtype.kind == "f" else x


def _call(layer: Any, x: Any, training: bool = False) -> Any:
    return layer(x, training=training)


def _inputs_for(x: Any) -> Any:
    def one(a: np.ndarray) -> Any:
        dtype = "string" if a.dtype.kind in "OUS" else str(a.dtype)
        return layers.Input(shape=a.shape[1:], dtype=dtype)

    return [one(a) for a in x] if isinstance(x, list) else one(x)


def _keras_config(layer: layers.Layer) -> dict[str, Any]:
    from brickwork.saving.keras_file import keras_layer_entry

    return keras_layer_entry(layer)["config"]


def _to_keras_tensor(x: Any) -> Any:
    import keras

    if isinstance(x, list):
        return [_to_keras_tensor(v) for v in x]
    return keras.ops.convert_to_tensor(x)


def _make_mask(x: np.ndarray, seed: int, shape: Any = None) -> np.ndarray:
    if shape is None:
        shape = x.shape[:2] if x.ndim >= 3 else x.shape[:1]
    mask = np.random.default_rng(seed + 99).random(shape) > 0.4
    mask[(slice(None),) + (0,) * (len(shape) - 1)] = True  # every sample keeps its first step
    return mask


def run_layer_test(layer_cls: type, init_kwargs: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
                   input_shape: Any = None, input_data: Any = None, input_dtype: str = "float32",
                   expected_output_shape: Any = None, expected_num_trainable_weights: int | None = None,
                   expected_num_non_trainable_weights: int | None = None, supports_masking: bool | None = None,
                   keras_name: str | None = None, skip: dict[str, str] | None = None,
                   gradcheck_training: bool = False, gradcheck_data: Any = None, mask_shape: Any = None,
                   int_high: int = 5, rtol: float = 1e-5, checks: tuple[str, ...] = CHECKS, seed: int = 0) -> None:
    """Run the conformance checks of the module docstring on one layer configuration.

    Args:
        layer_cls: The layer class.
        init_kwargs: Constructor arguments, or a function ``f(dtype)`` returning them (for arguments that
            are layers, which must be fresh for every construction and built with the outer layer's dtype).
        input_shape: Batch shape of the random input (a list of shapes for several inputs); or
        input_data: The input itself (text, or values the layer needs, e.g. in range).
        input_dtype: Dtype of the random input (integers are drawn in ``[0, int_high)``).
        expected_output_shape: Eager output shape(s), batch axis included.
        expected_num_trainable_weights, expected_num_non_trainable_weights: Expected weight counts.
        supports_masking: Expected ``layer.supports_masking``.
        keras_name: Name of the Keras 3 class (default the class name).
        skip: ``{check: reason}`` for checks that do not apply; every reason must be a non-empty string.
        gradcheck_data: Input of the gradient check when ``input_data`` sits on a kink (default the input).
        mask_shape: Shape of the input masks of the ``mask`` check (default the batch and time axes).
        gradcheck_training: Also gradcheck the inputs in training mode (the seeded layer rebuilt per evaluation).
        rtol: Tolerance of the output comparisons.
        checks: The checks to run (default all of :data:`CHECKS`).
    """
    skip = dict(skip or {})
    unknown = set(skip) - set(CHECKS)
    assert not unknown, f"unknown checks in skip: {sorted(unknown)}"
    assert all(isinstance(r, str) and r for r in skip.values()), "every skipped check needs a reason"
    if input_data is None:
        assert input_shape is not None, "give input_shape or input_data"
        input_data = _make_data(input_shape, input_dtype, seed, int_high)
    x = input_data

    def make(**extra: Any) -> layers.Layer:
        kwargs = init_kwargs(extra.get("dtype")) if callable(init_kwargs) else dict(init_kwargs or {})
        kwargs.update(extra)
        return layer_cls(**kwargs)

    layer = make()
    _call(layer, x)  # build
    randomize_weights(layer, seed)
    expected = _call(layer, x)
    ctx = dict(layer_cls=layer_cls, make=make, layer=layer, x=x, expected=expected, rtol=rtol,
               keras_name=keras_name or layer_cls.__name__, seed=seed, skip=skip,
               gradcheck_training=gradcheck_training, supports_masking=supports_masking, mask_shape=mask_shape,
               gradcheck_data=x if gradcheck_data is None else gradcheck_data,
               expected_output_shape=expected_output_shape,
               weight_counts=(expected_num_trainable_weights, expected_num_non_trainable_weights))
    for check in checks:
        if check not in skip:
            _CHECK_FUNCTIONS[check](ctx)


# ------------------------------------------------------------------------------------------------ checks
def check_shapes(ctx: dict[str, Any]) -> None:
    layer, x, expected = ctx["layer"], ctx["x"], ctx["expected"]
    eager_shapes = [tuple(_numpy(o).shape) for o in _as_list(expected)]
    if ctx["expected_output_shape"] is not None:
        want = ctx["expected_output_shape"]
        want = [tuple(s) for s in want] if isinstance(want, list) else [tuple(want)]
        assert eager_shapes == want, f"eager output shapes {eager_shapes} != expected {want}"
    symbolic = ctx["make"]()(_inputs_for(x))
    for i, (sym, eager_shape, out) in enumerate(zip(_as_list(symbolic), eager_shapes, _as_list(expected))):
        assert sym.shape[0] is None, f"symbolic output {i} has batch axis {sym.shape[0]}, not None"
        assert len(sym.shape) == len(eager_shape) and all(
            s is None or s == e for s, e in zip(sym.shape[1:], eager_shape[1:])
        ), f"symbolic output {i} shape {sym.shape} does not match eager {eager_shape}"
        assert np.dtype(sym.dtype).kind == _numpy(out).dtype.kind, \
            f"symbolic dtype {sym.dtype} != eager dtype {_numpy(out).dtype}"
    assert len(_as_list(symbolic)) == len(eager_shapes), "symbolic and eager output counts differ"
    if type(layer).compute_output_shape is not layers.Layer.compute_output_shape:
        in_shape = [tuple(a.shape) for a in x] if isinstance(x, list) else tuple(x.shape)
        computed = layer.compute_output_shape(in_shape)
        computed = [tuple(c) for c in computed] if isinstance(computed, list) else [tuple(computed)]
        assert all(len(c) == len(e) and all(p is None or p == q for p, q in zip(c, e))
                   for c, e in zip(computed, eager_shapes)), \
            f"compute_output_shape {computed} != eager {eager_shapes}"


def check_weights(ctx: dict[str, Any]) -> None:
    layer = ctx["layer"]
    n_train, n_non = ctx["weight_counts"]
    if n_train is not None:
        assert len(layer.trainable_weights) == n_train, \
            f"{len(layer.trainable_weights)} trainable weights, expected {n_train}"
    if n_non is not None:
        assert len(layer.non_trainable_weights) == n_non, \
            f"{len(layer.non_trainable_weights)} non-trainable weights, expected {n_non}"
    assert len(layer.weights) == len(layer.trainable_weights) + len(layer.non_trainable_weights)


def _copy_into(target: layers.Layer, source: layers.Layer) -> None:
    target.set_weights(source.get_weights())


def check_containers(ctx: dict[str, Any]) -> None:
    layer, x, expected, rtol = ctx["layer"], ctx["x"], ctx["expected"], ctx["rtol"]
    n = len(layer.weights)
    if not isinstance(x, list):
        inner = ctx["make"]()
        seq = models.Sequential([_inputs_for(x), inner])
        _copy_into(inner, layer)
        assert len(seq.weights) == n, f"Sequential tracks {len(seq.weights)} weights, the layer has {n}"
        _all_close(seq(x, training=False), expected, rtol, "Sequential")
    inner = ctx["make"]()
    inp = _inputs_for(x)
    func = models.Model(inp, inner(inp))
    _copy_into(inner, layer)
    assert len(func.weights) == n, f"Functional tracks {len(func.weights)} weights, the layer has {n}"
    _all_close(func(x, training=False), expected, rtol, "Functional")
    inner = ctx["make"]()
    sub = _Wrapper(inner)
    _call(sub, x)
    _copy_into(inner, layer)
    assert len(sub.weights) == n, f"subclassed Model tracks {len(sub.weights)} weights, the layer has {n}"
    _all_close(sub(x, training=False), expected, rtol, "subclassed Model")


def check_dtypes(ctx: dict[str, Any]) -> None:
    for dtype in ("float32", "float64"):
        layer = ctx["make"](dtype=dtype)
        out = _call(layer, _cast(ctx["x"], dtype))
        assert layer.dtype == dtype, f"layer.dtype {layer.dtype} != {dtype}"
        for w in layer.weights:
            if w.dtype.kind == "f":
                assert w.dtype == np.dtype(dtype), f"weight {w.name} is {w.dtype} in a {dtype} layer"
        for o in _as_list(out):
            o = _numpy(o)
            if o.dtype.kind == "f":
                assert o.dtype == np.dtype(dtype), f"output is {o.dtype} from a {dtype} layer"


def _keras_layer(ctx: dict[str, Any]) -> Any:
    import keras

    cls = getattr(keras.layers, ctx["keras_name"])
    return cls.from_config(_keras_config(ctx["layer"]))


def _with_masks(x: Any, seed: int, shape: Any, keras: bool) -> tuple[Any, Any]:
    """brickwork and (with ``keras``) Keras inputs carrying the same random masks."""
    from keras.src.backend.common.masking import set_keras_mask

    if isinstance(x, list):
        pairs = [_with_masks(a, seed + i, shape, keras) for i, a in enumerate(x)]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    mask = _make_mask(x, seed, shape)
    t = bw.Tensor(x)
    t._keras_mask = mask
    if not keras:
        return t, None
    k = _to_keras_tensor(x)
    set_keras_mask(k, _to_keras_tensor(mask))
    return t, k


def check_mask(ctx: dict[str, Any]) -> None:
    from keras.src.backend.common.masking import get_keras_mask

    layer, x, seed = ctx["layer"], ctx["x"], ctx["seed"]
    expected_flag = ctx["supports_masking"]
    if expected_flag is not None:
        assert layer.supports_masking == expected_flag, \
            f"supports_masking is {layer.supports_masking}, expected {expected_flag}"
    bx, kx = _with_masks(x, seed, ctx["mask_shape"], "keras" not in ctx["skip"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = _call(layer, bx)
    warned = any(_MASK_WARNING in str(w.message) for w in caught)
    if "keras" in ctx["skip"]:  # no oracle: Keras's default rule, pass-through for layers that support masks
        assert warned != layer.supports_masking, \
            f"supports_masking={layer.supports_masking} but mask warning emitted: {warned}"
        if layer.supports_masking and not isinstance(x, list):
            for o in _as_list(out):
                np.testing.assert_array_equal(np.asarray(o._keras_mask), bx._keras_mask)
        return
    klayer = _keras_layer(ctx)
    klayer(_to_keras_tensor(x), training=False)
    klayer.set_weights(layer.get_weights())
    assert layer.supports_masking == klayer.supports_masking, \
        f"supports_masking {layer.supports_masking} != Keras's {klayer.supports_masking}"
    with warnings.catch_warnings(record=True) as kcaught:
        warnings.simplefilter("always")
        kout = klayer(kx, training=False)
    kwarned = any(_MASK_WARNING in str(w.message) for w in kcaught)
    assert warned == kwarned, f"mask warning emitted: {warned}, by Keras: {kwarned}"
    for i, (o, ko) in enumerate(zip(_as_list(out), _as_list(kout))):
        ours, theirs = getattr(o, "_keras_mask", None), get_keras_mask(ko)
        assert (ours is None) == (theirs is None), f"output {i} mask: ours {ours is not None}, Keras " \
                                                   f"{theirs is not None}"
        if theirs is not None:
            np.testing.assert_array_equal(np.asarray(_numpy(ours), bool), _numpy(theirs).astype(bool),
                                          err_msg=f"output {i} mask")
    _all_close(out, kout, ctx["rtol"], "masked outputs vs Keras")


def check_config(ctx: dict[str, Any]) -> None:
    cfg = ctx["layer"].get_config()
    json.dumps(cfg)
    trusted = {"safe_mode": False} if ctx["layer_cls"] is layers.Lambda else {}  # our own function's code
    rebuilt = ctx["layer_cls"].from_config(cfg, **trusted)
    again = rebuilt.get_config()
    if trusted:  # re-marshalled byte code differs in its bytes (reference flags): compare what it computes
        x = bw.Tensor(_cast(ctx["x"], "float64"))
        _close(rebuilt.function(x), ctx["layer"].function(x), 1e-12, "Lambda function after from_config")
        cfg, again = ({k: v for k, v in c.items() if k != "function"} for c in (cfg, again))
    assert again == cfg, f"from_config(get_config()) changed the config:\n{cfg}\n{again}"


def _saved_model(ctx: dict[str, Any]) -> Any:
    x = ctx["x"]
    inner = ctx["make"]()
    inp = _inputs_for(x)
    model = models.Model(inp, inner(inp)) if isinstance(x, list) else models.Sequential([inp, inner])
    _copy_into(inner, ctx["layer"])
    return model


def check_saving(ctx: dict[str, Any]) -> None:
    model, x = _saved_model(ctx), ctx["x"]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.bw")
        model.save(path)
        loaded = models.load_model(path, safe_mode=ctx["layer_cls"] is not layers.Lambda)
    _all_close(loaded(x, training=False), model(x, training=False), ctx["rtol"], "saved and loaded")


def check_keras_file(ctx: dict[str, Any]) -> None:
    import keras

    model, x = _saved_model(ctx), ctx["x"]
    expected = model(x, training=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        loaded = models.load_model(path)
        kmodel = keras.saving.load_model(path)
    _all_close(loaded(x, training=False), expected, ctx["rtol"], ".keras file loaded by brickwork")
    _all_close(kmodel(_to_keras_tensor(x), training=False), expected, ctx["rtol"], ".keras file loaded by Keras")


def check_keras(ctx: dict[str, Any]) -> None:
    layer, x = ctx["layer"], ctx["x"]
    klayer = _keras_layer(ctx)
    kx = _to_keras_tensor(x)
    klayer(kx, training=False)
    ours = [(w.name.split("/")[-1], tuple(w.shape), bool(w.trainable)) for w in layer.weights]
    theirs = [(w.name.split("/")[-1], tuple(w.shape), bool(w.trainable)) for w in klayer.weights]
    assert ours == theirs, f"weights (name, shape, trainable):\nours   {ours}\nKeras  {theirs}"
    klayer.set_weights(layer.get_weights())
    kout = klayer(kx, training=False)
    for o, k in zip(_as_list(ctx["expected"]), _as_list(kout)):
        assert _numpy(o).dtype.kind == _numpy(k).dtype.kind or {_numpy(o).dtype.kind, _numpy(k).dtype.kind} <= \
            set("iu"), f"output dtype {_numpy(o).dtype} vs Keras's {_numpy(k).dtype}"
    _all_close(ctx["expected"], kout, ctx["rtol"], "outputs vs Keras")


def check_gradcheck(ctx: dict[str, Any]) -> None:
    x64 = _cast(ctx["gradcheck_data"], "float64")
    layer = ctx["make"](dtype="float64")
    _call(layer, x64)
    randomize_weights(layer, ctx["seed"])
    multi = isinstance(x64, list)
    xs = x64 if multi else [x64]
    result = bw.gradcheck(lambda *ts: layer(list(ts) if multi else ts[0], training=False), *xs,
                          params=layer.trainable_weights)
    assert result.passed, f"gradcheck (inference) failed: {result}"
    if ctx["gradcheck_training"]:  # the same seeded randomness in every evaluation: a fresh layer each time
        cfg, values = layer.get_config(), layer.get_weights()

        def fn(*ts: Any) -> Any:
            fresh = ctx["layer_cls"].from_config(cfg)
            _call(fresh, list(ts) if multi else ts[0])
            fresh.set_weights(values)
            return fresh(list(ts) if multi else ts[0], training=True)

        result = bw.gradcheck(fn, *xs)
        assert result.passed, f"gradcheck (training, inputs) failed: {result}"


_CHECK_FUNCTIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "shapes": check_shapes, "weights": check_weights, "containers": check_containers, "dtypes": check_dtypes,
    "mask": check_mask, "config": check_config, "saving": check_saving, "keras_file": check_keras_file,
    "keras": check_keras, "gradcheck": check_gradcheck, "device": check_device,
}
