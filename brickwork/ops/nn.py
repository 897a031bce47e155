"""``keras.ops.nn``: activations, convolution and pooling, attention, losses and normalisation."""

from brickwork.ops.activation import (
    celu,
    elu,
    gelu,
    glu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
)
from brickwork.ops.attention import dot_product_attention
from brickwork.ops.convolution import average_pool, conv, conv_transpose, depthwise_conv, max_pool
from brickwork.ops.losses import (
    batch_normalization,
    binary_crossentropy,
    categorical_crossentropy,
    moments,
    multi_hot,
    normalize,
    one_hot,
    sparse_categorical_crossentropy,
)

__all__ = [
    "average_pool", "batch_normalization", "binary_crossentropy", "categorical_crossentropy", "celu", "conv",
    "conv_transpose",
    "depthwise_conv", "dot_product_attention", "elu", "gelu", "glu", "hard_sigmoid", "hard_silu", "hard_swish",
    "leaky_relu", "log_sigmoid", "log_softmax", "max_pool", "moments", "multi_hot", "normalize", "one_hot",
    "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus", "softsign",
    "sparse_categorical_crossentropy", "swish",
]
