"""Layers with Keras 3 names, arguments, defaults and weight layouts."""

from brickwork.layers.core import Activation, Dense, Identity, Lambda, Masking
from brickwork.layers.embedding import Embedding
from brickwork.layers.input_layer import Input, InputLayer
from brickwork.layers.layer import InputSpec, Layer
from brickwork.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from brickwork.layers.normalization import BatchNormalization, LayerNormalization
from brickwork.layers.regularization import ActivityRegularization, Dropout, GaussianDropout, GaussianNoise
from brickwork.layers.reshaping import Flatten, Permute, RepeatVector, Reshape

__all__ = [
    "Activation", "ActivityRegularization", "Add", "Average", "BatchNormalization", "Concatenate", "Dense",
    "Dot", "Dropout", "Embedding", "Flatten", "GaussianDropout", "GaussianNoise", "Identity", "Input",
    "InputLayer", "InputSpec", "Lambda", "Layer", "LayerNormalization", "Masking", "Maximum", "Minimum",
    "Multiply", "Permute", "RepeatVector", "Reshape", "Subtract", "add", "average", "concatenate", "dot",
    "maximum", "minimum", "multiply", "subtract",
]
