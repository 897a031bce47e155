"""The split of ``Layer`` and ``Trainer`` into one-concept modules kept every import path and every override.

``brickwork.layers.layer`` and ``brickwork.models.training`` still export what they defined before the
split (the same objects as the new modules'); a layer's and a model's methods resolve to the module
that now holds them, and a subclass still overrides any of them."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from brickwork import layers, models


@pytest.mark.parametrize("module, names, home", [
    ("brickwork.layers.layer", ["InputSpec"], "brickwork.layers.input_spec"),
    ("brickwork.layers.layer", ["_FAST_CALLS", "_PLAIN_FLAGS", "_fast_call_info", "_shape_of"],
     "brickwork.layers.calling"),
    ("brickwork.models.training", ["CompileMetrics", "_NO_METRICS", "_has_metrics", "_jsonable", "_metrics_config",
                                   "_pythonify"], "brickwork.models.compiling"),
    ("brickwork.models.training", ["_progress_verbosity"], "brickwork.models.loops"),
])
def test_old_import_paths_give_the_new_modules_objects(module, names, home):
    old, new = importlib.import_module(module), importlib.import_module(home)
    for name in names:
        assert getattr(old, name) is getattr(new, name), f"{module}.{name}"


def test_package_exports_unchanged():
    from brickwork.layers.input_spec import InputSpec
    from brickwork.layers.layer import Layer
    from brickwork.models.model import Model
    from brickwork.models.training import Trainer

    assert layers.Layer is Layer and layers.InputSpec is InputSpec and models.Model is Model
    assert issubclass(Model, Trainer) and issubclass(Model, Layer)


@pytest.mark.parametrize("cls, method, home", [
    ("Layer", "__call__", "brickwork.layers.calling"),
    ("Layer", "compute_mask", "brickwork.layers.calling"),
    ("Layer", "add_weight", "brickwork.layers.layer_state"),
    ("Layer", "get_config", "brickwork.layers.layer_config"),
    ("Layer", "build", "brickwork.layers.layer"),
    ("Model", "compile", "brickwork.models.compiling"),
    ("Model", "fit", "brickwork.models.loops"),
    ("Model", "train_step", "brickwork.models.training"),
    ("Model", "zero_grad", "brickwork.models.training"),  # the Trainer's, not Trackable's (PyTorch style)
])
def test_methods_resolve_to_their_module(cls, method, home):
    owner = {"Layer": layers.Layer, "Model": models.Model}[cls]
    assert getattr(owner, method).__module__ == home


def test_call_parameter_cache_is_shared_by_every_layer_class():
    from brickwork.layers.calling import EagerCalling

    dense = layers.Dense(2)
    dense(np.ones((1, 3), np.float32))
    assert layers.Layer._call_params is EagerCalling._call_params
    assert "training" not in dense._call_parameters()


def test_subclass_overrides_of_moved_methods_still_win():
    class Doubling(layers.Layer):
        def compute_mask(self, inputs, mask=None):
            return mask

        def get_config(self):
            return {**super().get_config(), "factor": 2}

        def call(self, x):
            return x * 2.0

    layer = Doubling()
    assert layer.supports_masking  # Keras 3's rule: overriding compute_mask turns masking on
    np.testing.assert_array_equal(layer(np.array([[1.0, 3.0]], np.float32)).numpy(), [[2.0, 6.0]])
    assert layer.get_config()["factor"] == 2
    assert not layers.Layer().supports_masking


def test_input_spec_check_names_the_layer():
    layer = layers.Dense(2)
    layer(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"layer 'dense\w*' \(Dense\).*expected axis -1 .* value 3"):
        layer(np.ones((1, 4), np.float32))
