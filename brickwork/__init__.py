"""brickwork: a deep-learning framework written from scratch on NumPy.

Every layer is readable NumPy with a hand-written backward pass; the API
follows Keras 3 (``layers``, ``models``, ``compile``/``fit``) and PyTorch-style
subclassing. ``import brickwork`` needs only NumPy.
"""

from brickwork import platform  # noqa: F401, I001  (must run before NumPy loads OpenBLAS; see its docstring)
from brickwork import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    functions,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    plot,  # noqa: F401  (matplotlib is imported only when a figure is drawn)
    random,
    regularizers,
    saving,
    text,
    utils,
)
from brickwork.engine import (
    Function,
    Tensor,
    as_tensor,
    enable_grad,
    floatx,
    grad_enabled,
    no_grad,
    set_floatx,
    set_seed,
)
from brickwork.engine.device import get_device, set_device
from brickwork.engine.function import grad
from brickwork.engine.gradcheck import gradcheck
from brickwork.engine.variable import Variable
from brickwork.layers import Input, InputSpec, Layer
from brickwork.models import Model, Sequential, load_model
from brickwork.utils import io  # noqa: F401

__version__ = "0.1.0"

__all__ = [
    "Function", "Input", "InputSpec", "Layer", "Model", "Sequential", "Tensor", "Variable", "activations",
    "applications", "as_tensor", "backend", "callbacks", "config", "constraints", "datasets", "enable_grad",
    "floatx", "functions", "get_device", "grad", "grad_enabled", "gradcheck", "initializers", "layers", "load_model",
    "losses", "metrics", "models", "no_grad", "ops", "optimizers", "plot", "random", "regularizers", "saving",
    "set_device", "set_floatx", "set_seed", "text", "utils",
]
