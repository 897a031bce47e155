"""Layers with Keras 3 names, arguments, defaults and weight layouts."""

from brickwork.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from brickwork.layers.attention import AdditiveAttention, Attention
from brickwork.layers.augmentation import (
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
)
from brickwork.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
from brickwork.layers.convolutional3d import Conv1DTranspose, Conv3D
from brickwork.layers.core import Activation, Dense, Identity, Lambda, Masking
from brickwork.layers.embedding import Embedding
from brickwork.layers.image_preprocessing import CenterCrop, RandomBrightness, RandomContrast, RandomCrop, Resizing
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
from brickwork.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)
from brickwork.layers.operation import Operation
from brickwork.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from brickwork.layers.pooling3d import AveragePooling3D, AvgPool3D, MaxPool3D, MaxPooling3D
from brickwork.layers.position import (
    PositionEmbedding,
    RotaryEmbedding,
    SinePositionEncoding,
    TokenAndPositionEmbedding,
)
from brickwork.layers.preprocessing import (
    CategoryEncoding,
    Discretization,
    Imputation,
    IntegerLookup,
    Normalization,
    StringLookup,
    TextVectorization,
)
from brickwork.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from brickwork.layers.regularization import (
    ActivityRegularization,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
)
from brickwork.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from brickwork.layers.reshaping3d import Cropping3D, UpSampling3D, ZeroPadding3D

__all__ = [
    "CategoryEncoding", "Discretization", "Imputation", "IntegerLookup", "Normalization", "StringLookup",
    "AdditiveAttention", "Attention", "Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN",
    "SimpleRNNCell", "StackedRNNCells", "TimeDistributed",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling",
    "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "Conv1D", "Conv2D", "Conv2DTranspose",
    "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Cropping1D", "Cropping2D", "DepthwiseConv2D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "MaxPooling1D",
    "MaxPooling2D", "SeparableConv2D", "SpatialDropout1D", "SpatialDropout2D", "UpSampling1D", "UpSampling2D",
    "ZeroPadding1D", "ZeroPadding2D",
    "Activation", "ActivityRegularization", "Add", "Average", "BatchNormalization", "Concatenate", "Dense",
    "Dot", "Dropout", "Embedding", "Flatten", "GaussianDropout", "GaussianNoise", "Identity", "Input",
    "InputLayer", "InputSpec", "Lambda", "Layer", "LayerNormalization", "Masking", "Maximum", "Minimum",
    "Multiply", "Operation", "Permute", "RepeatVector", "Reshape", "Subtract", "add", "average", "concatenate", "dot",
    "maximum", "minimum", "multiply", "subtract",
    "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "Conv1DTranspose", "Conv3D", "AveragePooling3D", "AvgPool3D",
    "MaxPool3D", "MaxPooling3D", "Cropping3D", "UpSampling3D", "ZeroPadding3D", "UnitNormalization",
    "GroupNormalization", "CenterCrop", "RandomBrightness", "RandomContrast", "RandomCrop", "Resizing",
    "TextVectorization",
    "PositionEmbedding", "RotaryEmbedding", "SinePositionEncoding", "TokenAndPositionEmbedding",
]
from brickwork.layers.multi_head_attention import MultiHeadAttention  # noqa: E402
from brickwork.layers.transformer import TransformerDecoder, TransformerEncoder  # noqa: E402

__all__ += ["MultiHeadAttention", "TransformerDecoder", "TransformerEncoder"]
