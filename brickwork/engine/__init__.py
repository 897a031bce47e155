"""The define-by-run autograd engine: Tensor, Function, backward, no_grad."""

from brickwork import functions as _functions
from brickwork.engine import function as _function_module
from brickwork.engine import tensor as _tensor_module
from brickwork.engine.config import enable_grad, floatx, grad_enabled, no_grad, set_floatx
from brickwork.engine.function import Function
from brickwork.engine.random import set_seed
from brickwork.engine.tensor import Tensor, as_tensor

_tensor_module.F = _functions
_tensor_module.run_backward = _function_module.run_backward

__all__ = ["Function", "Tensor", "as_tensor", "enable_grad", "floatx", "grad_enabled", "no_grad",
           "set_floatx", "set_seed"]
