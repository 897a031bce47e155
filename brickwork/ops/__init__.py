"""``brickwork.ops``: Keras 3's ``keras.ops`` over brickwork's differentiable functions.

``from brickwork import ops`` replaces ``from keras import ops``: the same
names, argument names and defaults. Every op accepts brickwork Tensors, NumPy
arrays or Python numbers and returns a :class:`~brickwork.Tensor`
(``convert_to_numpy`` returns an ndarray, ``shape`` a tuple, ``ndim`` an int).
Differentiable ops record the graph; comparisons, arg-extremes, rounding and
other piecewise-constant ops return plain tensors. The sub-namespaces
``ops.numpy``, ``ops.nn``, ``ops.math``, ``ops.linalg``, ``ops.core`` and
``ops.image`` mirror Keras's. See docs/ops.md.
"""

from brickwork.ops import core, image, linalg, math, nn, numpy
from brickwork.ops.core import (
    cast,
    cond,
    convert_to_numpy,
    convert_to_tensor,
    dtype,
    fori_loop,
    is_tensor,
    map,
    scan,
    shape,
    slice,
    slice_update,
    stop_gradient,
    switch,
    vectorized_map,
    while_loop,
)
from brickwork.ops.linalg import norm
from brickwork.ops.math import *  # noqa: F403
from brickwork.ops.nn import *  # noqa: F403
from brickwork.ops.numpy import *  # noqa: F403
from brickwork.ops.reshaping import unstack

__all__ = [  # noqa: F405 - the star imports' names
    "abs", "absolute", "add", "all", "amax", "amin", "any", "arange", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctan2", "arctanh", "argmax", "argmin", "argsort", "average_pool", "batch_normalization",
    "binary_crossentropy", "broadcast_to", "cast", "categorical_crossentropy", "ceil", "celu", "clip",
    "concatenate", "cond", "conv", "conv_transpose",
    "convert_to_numpy", "convert_to_tensor", "core", "cos", "cosh", "count_nonzero",
    "cumprod", "cumsum", "depthwise_conv", "diagonal", "divide", "divide_no_nan", "dot", "dot_product_attention",
    "dtype", "einsum", "elu", "empty", "equal", "erf", "exp", "exp2", "expand_dims", "expm1", "eye", "flip",
    "floor", "floor_divide", "fori_loop", "full", "full_like", "gelu", "glu", "greater", "greater_equal",
    "hard_sigmoid", "hard_silu", "hard_swish", "identity", "image", "in_top_k", "inner", "is_tensor", "isclose",
    "isfinite", "isinf", "isnan", "leaky_relu", "less", "less_equal", "linalg", "linspace", "log", "log10", "log1p",
    "log2", "log_sigmoid", "log_softmax", "logaddexp", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logspace", "logsumexp", "map", "math", "matmul", "max", "max_pool", "maximum", "mean", "meshgrid", "min",
    "minimum", "mod", "moments", "moveaxis", "multi_hot", "multiply", "ndim", "negative", "nn", "norm", "normalize",
    "not_equal", "numpy", "one_hot", "ones", "ones_like", "outer", "pad", "power", "prod", "ravel", "reciprocal",
    "relu", "relu6", "repeat", "reshape", "roll", "round", "rsqrt", "scan", "selu", "shape", "sigmoid", "sign",
    "silu", "sin", "sinh", "size", "slice", "slice_update", "softmax", "softplus", "softsign", "sort",
    "sparse_categorical_crossentropy", "split", "sqrt", "square", "squeeze", "stack", "std", "stop_gradient",
    "subtract", "sum", "swapaxes", "swish", "switch", "take", "take_along_axis", "tan", "tanh", "tensordot", "tile",
    "top_k", "trace", "transpose", "tri", "tril", "triu", "true_divide", "trunc", "unstack", "var", "vdot",
    "vectorized_map", "where", "while_loop", "zeros", "zeros_like"
]

from brickwork.ops.symbolic import install as _install  # noqa: E402

_install(globals(), __all__, [core, image, linalg, math, nn, numpy])
