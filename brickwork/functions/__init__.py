"""The differentiable primitives: stateless functions of tensors.

Each ``snake_case`` function here creates a one-shot
:class:`~brickwork.engine.function.Function` node whose class (``CamelCase``,
in the submodule) holds the forward and the hand-written backward with its
math in the docstring. Layers hold parameters and call these.
"""

from brickwork.functions.activations import (
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
)
from brickwork.functions.arithmetic import add, divide, multiply, negative, power, square, subtract
from brickwork.functions.convolution import conv2d, conv2d_transpose
from brickwork.functions.convolution3d import conv3d
from brickwork.functions.crossentropy import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
)
from brickwork.functions.dropout import dropout
from brickwork.functions.elementwise import abs, clip, exp, log, maximum, minimum, sqrt, where
from brickwork.functions.image import crop, resize
from brickwork.functions.linalg import linear, matmul
from brickwork.functions.normalization import batch_norm, layer_norm
from brickwork.functions.pooling import avg_pool2d, max_pool2d, pad
from brickwork.functions.pooling3d import avg_pool3d, max_pool3d
from brickwork.functions.reduction import max, mean, min, sum
from brickwork.functions.shape import (
    broadcast_to,
    cast,
    concatenate,
    expand,
    expand_dims,
    flatten,
    gather,
    getitem,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
)

__all__ = [
    "avg_pool2d", "conv2d", "conv2d_transpose", "max_pool2d", "pad",
    "abs", "add", "batch_norm", "broadcast_to", "cast", "clip", "concatenate", "divide", "dropout",
    "elu", "exp", "expand", "expand_dims", "flatten", "gather", "gelu", "getitem", "hard_sigmoid",
    "layer_norm", "leaky_relu", "linear", "log", "log_softmax", "matmul", "max", "maximum", "mean",
    "min", "minimum", "multiply", "negative", "power", "relu", "relu6", "reshape", "selu",
    "sigmoid", "sigmoid_cross_entropy_with_logits", "silu", "softmax",
    "softmax_cross_entropy_with_logits", "softplus", "softsign", "sparse_softmax_cross_entropy_with_logits",
    "split", "sqrt", "square", "squeeze", "stack", "subtract", "sum", "tanh", "transpose", "where",
    "crop", "resize", "conv3d", "avg_pool3d", "max_pool3d",
]

# ops primitives (brickwork.ops): trigonometric, special, cumulative, aggregation, indexing, einsum
from brickwork.functions.aggregation import logsumexp, prod  # noqa: E402
from brickwork.functions.cumulative import cumprod, cumsum  # noqa: E402
from brickwork.functions.einsum import einsum  # noqa: E402
from brickwork.functions.indexing import take, take_along_axis  # noqa: E402
from brickwork.functions.special import erf, expm1, log1p  # noqa: E402
from brickwork.functions.trigonometric import (  # noqa: E402
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cos,
    cosh,
    sin,
    sinh,
    tan,
)

__all__ += [
    "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "cos", "cosh", "cumprod", "cumsum",
    "einsum", "erf", "expm1", "log1p", "logsumexp", "prod", "sin", "sinh", "take", "take_along_axis", "tan",
]
from brickwork.functions.singular_values import singular_values  # noqa: E402

__all__ += ["singular_values"]
from brickwork.functions.attention import (  # noqa: E402
    merge_heads_projection,
    scaled_dot_product_attention,
    split_heads_projection,
)

__all__ += ["merge_heads_projection", "scaled_dot_product_attention", "split_heads_projection"]
from brickwork.functions.depthwise import depthwise_conv2d  # noqa: E402

__all__ += ["depthwise_conv2d"]
