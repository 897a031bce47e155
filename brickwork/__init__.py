"""brickwork: a deep-learning framework written from scratch on NumPy.

Every layer is readable NumPy with a hand-written backward pass; the API
follows Keras 3 (``layers``, ``models``, ``compile``/``fit``) and PyTorch-style
subclassing. ``import brickwork`` needs only NumPy.
"""

from brickwork import _openblas  # noqa: F401, I001  (must run before NumPy loads OpenBLAS; see its docstring)
from brickwork import (
    activations,
    applications,
    callbacks,
    constraints,
    functions,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    plot,  # noqa: F401  (matplotlib is imported only when a figure is drawn)
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
from brickwork.engine.gradcheck import gradcheck
from brickwork.engine.variable import Variable
from brickwork.layers import Input
from brickwork.models import Model, Sequential, load_model
from brickwork.utils import io  # noqa: F401

__version__ = "0.1.0"

__all__ = [
    "Function", "Input", "Model", "Sequential", "Tensor", "Variable", "activations", "applications", "as_tensor",
    "callbacks",
    "constraints", "enable_grad", "floatx", "functions", "grad_enabled", "gradcheck", "initializers", "layers",
    "load_model", "losses", "metrics", "models", "no_grad", "optimizers", "regularizers", "saving",
    "plot", "set_floatx", "set_seed", "text", "utils",
]
