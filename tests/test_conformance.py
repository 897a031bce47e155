"""Every layer class exported by ``brickwork.layers`` through the conformance harness (tests/conformance.py).

Each entry of :data:`TABLE` is ``(id, covered classes, run_layer_test arguments)``; a class exported by
``brickwork.layers.__all__`` must be covered by an entry or listed in :data:`EXEMPT` with a reason.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from conformance import CHECKS, run_layer_test

from brickwork import layers as L
from brickwork.generative.vae import Sampling
from brickwork.utils.registry import register_serializable

NO_KERAS_TF = "Keras 3 implements it with TensorFlow lookup tables; TensorFlow is not installed"
INT_OUT = "integer output: no float dtype to follow and nothing to differentiate"
LAMBDA = "Keras stores the function in its own format; brickwork stores byte code and refuses .keras for Lambda"
BRICKWORK_ONLY = "brickwork-only layer (seed 001's missing-value indicators); Keras has no counterpart"
RANDOM_CROP = ("Keras 3.15's RandomCrop returns the input uncropped at inference (transform_images crops only when "
               "training), contradicting its docstring and compute_output_shape; brickwork centre-crops as documented")
STR_IN = "string input: no float dtype and nothing to differentiate"
RANDOM_ALWAYS = ("draws new noise at every call, in inference too (the reparameterisation trick), so two calls "
                 "never agree; the gradient through z = mu + exp(log_var / 2) * eps is checked with a fixed eps in "
                 "tests/test_vae.py")
KERAS_IO_ONLY = "keras-io's VAE defines Sampling in the example; keras.layers has no counterpart"
KERAS_HUB = "keras_hub layer: not in keras.layers"
KEY_BIAS = ("the key projection's bias has an identically zero gradient (softmax ignores a constant per row), so "
            "finite differences on it are rounding noise; test_transformer_blocks.py gradchecks the rest and "
            "asserts that one is zero")
MAKES_MASK = ("makes its own mask (ids != 0) where the no-oracle rule expects pass-through; "
              "tests/test_position_layers.py checks it")

EXEMPT = {
    "Layer": "the abstract base class (its call is the identity); every entry below exercises it",
    "InputLayer": "not called on data; every container and saving check builds one through Input",
    "Operation": "records Python operators on symbolic tensors (x + y, x[:, 0]); not a Keras layer class, "
                 "built only by the graph (tests/test_engine.py and the Functional tests cover it)",
}

_masked_steps = np.random.default_rng(3).uniform(-1, 1, (2, 4, 3)).astype("float32")
_masked_steps[0, 2] = 0.0
_masked_steps[1, 0] = 0.0
_nan_rows = np.array([[0.5, np.nan, -1.0], [np.nan, 2.0, 0.25], [1.5, -0.5, np.nan]], "float32")


MHA_WRAPPED = ("the harness calls a layer on one input, MultiHeadAttention takes (query, value): a wrapper runs it, "
               "so there is no Keras class; tests/test_multi_head_attention.py checks it against Keras 3 and torch")


@register_serializable
class MultiHeadAttentionHarness(L.Layer):
    """``MultiHeadAttention(x, x)`` on one tensor (self-attention), ``MultiHeadAttention(query, value)`` on a
    ``[query, value]`` list (cross-attention). ``use_bias=False`` in the entries: the key bias has an identically
    zero gradient (softmax is shift-invariant), so its finite differences are round-off over gradcheck's atol."""

    def __init__(self, num_heads: int, key_dim: int, use_bias: bool = False, use_causal_mask: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.use_causal_mask = use_causal_mask
        self.mha = L.MultiHeadAttention(num_heads, key_dim, use_bias=use_bias, dtype=self.dtype, name="mha")
        self.supports_masking = True

    def call(self, inputs, mask=None):
        query, value = (inputs[0], inputs[1]) if isinstance(inputs, (list, tuple)) else (inputs, inputs)
        return self.mha(query, value, use_causal_mask=self.use_causal_mask)

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else mask


def entry(name, covers, cls, kwargs=None, xfail=None, **opts):
    """One table row: ``xfail={check: reason}`` marks the checks a known defect fails (strictly)."""
    return name, tuple(covers or (cls,)), cls, kwargs, dict(xfail or {}), opts



_ENTRIES = [
    # core
    entry("Dense", None, L.Dense, {"units": 3}, input_shape=(2, 4, 5), expected_output_shape=(2, 4, 3),
          expected_num_trainable_weights=2, expected_num_non_trainable_weights=0, supports_masking=True),
    entry("Dense-2d-nobias", None, L.Dense, {"units": 2, "use_bias": False, "activation": "tanh"},
          input_shape=(3, 4), expected_num_trainable_weights=1),
    entry("Activation", None, L.Activation, {"activation": "tanh"}, input_shape=(2, 3, 4), supports_masking=True),
    entry("Identity", None, L.Identity, {}, input_shape=(2, 3), supports_masking=True),
    entry("Masking", None, L.Masking, {"mask_value": 0.0}, input_data=_masked_steps, supports_masking=True,
          gradcheck_data=_masked_steps + 2.0),  # the output jumps where a step is exactly mask_value
    entry("Lambda", None, L.Lambda, {"function": lambda t: t * 2.0 + 1.0}, input_shape=(2, 3),
          skip={"keras": LAMBDA, "keras_file": LAMBDA}),
    entry("Embedding", None, L.Embedding, {"input_dim": 6, "output_dim": 3}, input_shape=(2, 4),
          input_dtype="int64", int_high=6, expected_output_shape=(2, 4, 3), expected_num_trainable_weights=1),
    entry("Embedding-mask_zero", None, L.Embedding, {"input_dim": 6, "output_dim": 2, "mask_zero": True},
          input_shape=(2, 5), input_dtype="int64", int_high=6),
    # regularization
    entry("Dropout", None, L.Dropout, {"rate": 0.5, "seed": 3}, input_shape=(3, 4), gradcheck_training=True,
          supports_masking=True),
    entry("GaussianNoise", None, L.GaussianNoise, {"stddev": 0.3, "seed": 3}, input_shape=(3, 4),
          gradcheck_training=True),
    entry("GaussianDropout", None, L.GaussianDropout, {"rate": 0.3, "seed": 3}, input_shape=(3, 4),
          gradcheck_training=True),
    entry("SpatialDropout1D", None, L.SpatialDropout1D, {"rate": 0.5, "seed": 1}, input_shape=(2, 4, 3),
          gradcheck_training=True),
    entry("SpatialDropout2D", None, L.SpatialDropout2D, {"rate": 0.5, "seed": 1}, input_shape=(2, 3, 3, 2),
          gradcheck_training=True),
    entry("ActivityRegularization", None, L.ActivityRegularization, {"l1": 0.1, "l2": 0.01}, input_shape=(2, 3)),
    # normalization
    entry("BatchNormalization", None, L.BatchNormalization, {}, input_shape=(4, 3), gradcheck_training=True,
          expected_num_trainable_weights=2, expected_num_non_trainable_weights=2),
    entry("BatchNormalization-axis1", None, L.BatchNormalization, {"axis": 1, "center": False},
          input_shape=(3, 2, 4), gradcheck_training=True),
    entry("LayerNormalization", None, L.LayerNormalization, {}, input_shape=(2, 3, 4)),
    entry("UnitNormalization", None, L.UnitNormalization, {"axis": -1}, input_shape=(2, 3, 4)),
    entry("GroupNormalization", None, L.GroupNormalization, {"groups": 2}, input_shape=(2, 3, 4)),
    # convolution
    entry("Conv1D", None, L.Conv1D, {"filters": 3, "kernel_size": 2}, input_shape=(2, 5, 2)),
    entry("Conv1D-causal-dilated", None, L.Conv1D, {"filters": 2, "kernel_size": 2, "padding": "causal",
                                                     "dilation_rate": 2}, input_shape=(2, 6, 2)),
    entry("Conv2D", None, L.Conv2D, {"filters": 3, "kernel_size": 2, "activation": "relu"}, input_shape=(2, 4, 5, 2)),
    entry("Conv2D-same-strided", None, L.Conv2D, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
          input_shape=(2, 5, 4, 2)),
    entry("Conv2DTranspose", None, L.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2},
          input_shape=(2, 3, 3, 2)),
    entry("Conv1DTranspose", None, L.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2},
          input_shape=(2, 4, 2)),
    entry("Conv3D", None, L.Conv3D, {"filters": 2, "kernel_size": 2}, input_shape=(1, 3, 3, 3, 2)),
    entry("DepthwiseConv2D", None, L.DepthwiseConv2D, {"kernel_size": 2, "depth_multiplier": 2},
          input_shape=(2, 4, 4, 2)),
    entry("SeparableConv2D", None, L.SeparableConv2D, {"filters": 3, "kernel_size": 2}, input_shape=(2, 4, 4, 2)),
    # pooling
    entry("MaxPooling1D", None, L.MaxPooling1D, {"pool_size": 2}, input_shape=(2, 5, 3)),
    entry("AveragePooling1D", None, L.AveragePooling1D, {"pool_size": 2, "padding": "same"}, input_shape=(2, 5, 3)),
    entry("MaxPooling2D", None, L.MaxPooling2D, {"pool_size": 2}, input_shape=(2, 4, 4, 2)),
    entry("AveragePooling2D", None, L.AveragePooling2D, {"pool_size": 2}, input_shape=(2, 4, 5, 2)),
    entry("MaxPooling3D", None, L.MaxPooling3D, {"pool_size": 2}, input_shape=(1, 4, 4, 4, 2)),
    entry("AveragePooling3D", None, L.AveragePooling3D, {"pool_size": 2}, input_shape=(1, 4, 4, 4, 2)),
    entry("GlobalAveragePooling1D", None, L.GlobalAveragePooling1D, {}, input_shape=(2, 4, 3), supports_masking=True),
    entry("GlobalMaxPooling1D", None, L.GlobalMaxPooling1D, {}, input_shape=(2, 4, 3)),
    entry("GlobalAveragePooling2D", None, L.GlobalAveragePooling2D, {"keepdims": True}, input_shape=(2, 3, 3, 2)),
    entry("GlobalMaxPooling2D", None, L.GlobalMaxPooling2D, {}, input_shape=(2, 3, 3, 2)),
    # reshaping
    entry("Flatten", None, L.Flatten, {}, input_shape=(2, 3, 4)),
    entry("Reshape", None, L.Reshape, {"target_shape": (4, 3)}, input_shape=(2, 3, 4)),
    entry("Permute", None, L.Permute, {"dims": (2, 1)}, input_shape=(2, 3, 4)),
    entry("RepeatVector", None, L.RepeatVector, {"n": 3}, input_shape=(2, 4)),
    entry("Cropping1D", None, L.Cropping1D, {"cropping": (1, 2)}, input_shape=(2, 5, 3)),
    entry("Cropping2D", None, L.Cropping2D, {"cropping": ((1, 0), (0, 1))}, input_shape=(2, 4, 4, 2)),
    entry("Cropping3D", None, L.Cropping3D, {"cropping": 1}, input_shape=(1, 4, 4, 4, 2)),
    entry("UpSampling1D", None, L.UpSampling1D, {"size": 2}, input_shape=(2, 3, 2)),
    entry("UpSampling2D", None, L.UpSampling2D, {"size": (2, 3)}, input_shape=(2, 2, 3, 2)),
    entry("UpSampling3D", None, L.UpSampling3D, {"size": 2}, input_shape=(1, 2, 2, 2, 2)),
    entry("ZeroPadding1D", None, L.ZeroPadding1D, {"padding": (1, 2)}, input_shape=(2, 3, 2)),
    entry("ZeroPadding2D", None, L.ZeroPadding2D, {"padding": ((1, 0), (2, 1))}, input_shape=(2, 3, 3, 2)),
    entry("ZeroPadding3D", None, L.ZeroPadding3D, {"padding": 1}, input_shape=(1, 2, 2, 2, 2)),
    # merging
    *[entry(c.__name__, None, c, {}, input_shape=[(2, 3), (2, 3)], supports_masking=True)
      for c in (L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum)],
    entry("Add-3-inputs-seq", None, L.Add, {}, input_shape=[(2, 4, 3)] * 3),
    entry("Concatenate", None, L.Concatenate, {"axis": -1}, input_shape=[(2, 4, 3), (2, 4, 2)],
          supports_masking=True),
    entry("Dot", None, L.Dot, {"axes": 1}, input_shape=[(2, 3), (2, 3)]),
    entry("Dot-normalize", None, L.Dot, {"axes": 2, "normalize": True}, input_shape=[(2, 3, 4), (2, 2, 4)]),
    # attention
    entry("Attention", None, L.Attention, {}, input_shape=[(2, 3, 4), (2, 5, 4)], supports_masking=True),
    entry("Attention-scaled-concat", None, L.Attention, {"use_scale": True, "score_mode": "concat"},
          input_shape=[(2, 3, 4), (2, 5, 4)]),
    entry("AdditiveAttention", None, L.AdditiveAttention, {}, input_shape=[(2, 3, 4), (2, 5, 4)]),
    entry("MultiHeadAttention-self-causal", (L.MultiHeadAttention,), MultiHeadAttentionHarness,
          {"num_heads": 2, "key_dim": 3, "use_causal_mask": True}, input_shape=(2, 4, 5),
          expected_output_shape=(2, 4, 5), expected_num_trainable_weights=4, supports_masking=True,
          skip={"keras": MHA_WRAPPED, "keras_file": MHA_WRAPPED}),
    entry("MultiHeadAttention-cross", (L.MultiHeadAttention,), MultiHeadAttentionHarness,
          {"num_heads": 2, "key_dim": 2}, input_shape=[(2, 3, 4), (2, 5, 6)], expected_output_shape=(2, 3, 4),
          expected_num_trainable_weights=4, supports_masking=True,
          skip={"keras": MHA_WRAPPED, "keras_file": MHA_WRAPPED}),
    # recurrent
    entry("SimpleRNN", None, L.SimpleRNN, {"units": 3}, input_shape=(2, 4, 2)),
    entry("LSTM-seq", None, L.LSTM, {"units": 3, "return_sequences": True}, input_shape=(2, 4, 2)),
    entry("GRU", None, L.GRU, {"units": 3}, input_shape=(2, 4, 2)),
    entry("RNN-SimpleRNNCell", (L.RNN, L.SimpleRNNCell), L.RNN,
          lambda dtype: {"cell": L.SimpleRNNCell(3, dtype=dtype)},
          input_shape=(2, 4, 2)),
    entry("RNN-GRUCell", (L.GRUCell,), L.RNN,
          lambda dtype: {"cell": L.GRUCell(2, dtype=dtype), "return_sequences": True},
          input_shape=(2, 3, 2)),
    entry("RNN-LSTMCell", (L.LSTMCell,), L.RNN, lambda dtype: {"cell": L.LSTMCell(2, dtype=dtype)},
          input_shape=(2, 3, 2)),
    entry("RNN-StackedRNNCells", (L.StackedRNNCells,), L.RNN,
          lambda dtype: {"cell": L.StackedRNNCells([L.SimpleRNNCell(2, dtype=dtype), L.GRUCell(3, dtype=dtype)],
                                                   dtype=dtype)}, input_shape=(2, 3, 2)),
    entry("Bidirectional", None, L.Bidirectional,
          lambda dtype: {"layer": L.LSTM(2, return_sequences=True, dtype=dtype)},
          input_shape=(2, 3, 2)),
    entry("TimeDistributed", None, L.TimeDistributed, lambda dtype: {"layer": L.Dense(3, dtype=dtype)},
          input_shape=(2, 3, 4)),
    # activation layers
    entry("ReLU", None, L.ReLU, {"max_value": 0.8, "negative_slope": 0.1, "threshold": 0.05}, input_shape=(2, 3, 4)),
    entry("LeakyReLU", None, L.LeakyReLU, {"negative_slope": 0.2}, input_shape=(2, 3, 4)),
    entry("ELU", None, L.ELU, {"alpha": 0.7}, input_shape=(2, 3, 4)),
    entry("PReLU", None, L.PReLU, {}, input_shape=(2, 3, 4), expected_num_trainable_weights=1),
    entry("PReLU-shared", None, L.PReLU, {"shared_axes": [1]}, input_shape=(2, 3, 4)),
    entry("Softmax", None, L.Softmax, {"axis": -1}, input_shape=(2, 3, 4), mask_shape=(2, 3, 4)),
    # image preprocessing and augmentation (randomness: inference mode, or seeded in training)
    entry("Rescaling", None, L.Rescaling, {"scale": 0.5, "offset": 0.1}, input_shape=(2, 3, 3, 2)),
    entry("Resizing", None, L.Resizing, {"height": 3, "width": 4}, input_shape=(2, 5, 6, 2)),
    entry("CenterCrop", None, L.CenterCrop, {"height": 2, "width": 3}, input_shape=(2, 4, 5, 2)),
    entry("RandomCrop", None, L.RandomCrop, {"height": 2, "width": 3, "seed": 1}, input_shape=(2, 4, 5, 2),
          gradcheck_training=True, skip={"keras": RANDOM_CROP, "keras_file": RANDOM_CROP}),
    entry("RandomFlip", None, L.RandomFlip, {"seed": 1}, input_shape=(2, 3, 4, 2), gradcheck_training=True),
    entry("RandomRotation", None, L.RandomRotation, {"factor": 0.1, "seed": 1}, input_shape=(2, 4, 4, 2),
          gradcheck_training=True),
    entry("RandomTranslation", None, L.RandomTranslation, {"height_factor": 0.2, "width_factor": 0.2, "seed": 1},
          input_shape=(2, 4, 4, 2), gradcheck_training=True),
    entry("RandomZoom", None, L.RandomZoom, {"height_factor": 0.2, "seed": 1}, input_shape=(2, 4, 4, 2),
          gradcheck_training=True),
    entry("RandomBrightness", None, L.RandomBrightness, {"factor": 0.2, "value_range": (-1, 1), "seed": 1},
          input_shape=(2, 3, 3, 2), gradcheck_training=True),
    entry("RandomContrast", None, L.RandomContrast, {"factor": 0.2, "seed": 1}, input_shape=(2, 3, 3, 2),
          gradcheck_training=True),
    # preprocessing
    entry("Normalization", None, L.Normalization, {"mean": [0.1, 0.2, 0.3], "variance": [1.0, 2.0, 0.5]},
          input_shape=(2, 3)),
    entry("Discretization", None, L.Discretization, {"bin_boundaries": [-0.5, 0.0, 0.5]}, input_shape=(2, 3),
          skip={"gradcheck": INT_OUT}),
    entry("CategoryEncoding", None, L.CategoryEncoding, {"num_tokens": 5, "output_mode": "multi_hot"},
          input_shape=(2, 3), input_dtype="int64", skip={"gradcheck": "integer input: nothing to differentiate"}),
    entry("IntegerLookup", None, L.IntegerLookup, {"vocabulary": [1, 2, 3]}, input_shape=(2, 3),
          input_dtype="int64",
          skip={"keras": NO_KERAS_TF, "keras_file": NO_KERAS_TF, "gradcheck": INT_OUT, "dtypes": INT_OUT}),
    entry("StringLookup", None, L.StringLookup, {"vocabulary": ["a", "b", "c"]},
          input_data=np.array([["a", "b"], ["c", "zz"]]),
          skip={"keras": NO_KERAS_TF, "keras_file": NO_KERAS_TF, "gradcheck": STR_IN, "dtypes": STR_IN}),
    entry("TextVectorization", None, L.TextVectorization,
          {"vocabulary": ["the", "cat", "sat"], "output_sequence_length": 4},
          input_data=np.array(["The cat sat", "a cat"]),
          skip={"keras": NO_KERAS_TF, "keras_file": NO_KERAS_TF, "gradcheck": STR_IN, "dtypes": STR_IN}),
    entry("Imputation", None, L.Imputation, {"strategy": "constant", "fill_value": 0.5}, input_data=_nan_rows,
          skip={"keras": BRICKWORK_ONLY, "keras_file": BRICKWORK_ONLY}),
    # Transformer blocks (keras_hub's layers; their Keras-layer composition is checked in test_transformer_blocks.py)
    entry("TransformerEncoder", None, L.TransformerEncoder,
          {"intermediate_dim": 6, "num_heads": 2, "activation": "tanh"}, input_shape=(2, 3, 4),
          expected_num_trainable_weights=16,
          skip={"keras": KERAS_HUB, "keras_file": KERAS_HUB, "gradcheck": KEY_BIAS}),
    entry("TransformerDecoder", None, L.TransformerDecoder,
          {"intermediate_dim": 6, "num_heads": 2, "activation": "tanh", "normalize_first": True},
          input_shape=(2, 3, 4), expected_num_trainable_weights=16,
          skip={"keras": KERAS_HUB, "keras_file": KERAS_HUB, "gradcheck": KEY_BIAS}),
    # position (keras_hub's layers)
    entry("PositionEmbedding", None, L.PositionEmbedding, {"sequence_length": 6}, input_shape=(2, 4, 3),
          expected_num_trainable_weights=1, supports_masking=False,
          skip={"keras": KERAS_HUB, "keras_file": KERAS_HUB}),
    entry("SinePositionEncoding", None, L.SinePositionEncoding, {"max_wavelength": 100}, input_shape=(2, 4, 6),
          expected_num_trainable_weights=0, supports_masking=False,
          skip={"keras": KERAS_HUB, "keras_file": KERAS_HUB}),
    entry("TokenAndPositionEmbedding", None, L.TokenAndPositionEmbedding,
          {"vocabulary_size": 6, "sequence_length": 5, "embedding_dim": 3}, input_shape=(2, 4), input_dtype="int64",
          int_high=6, expected_output_shape=(2, 4, 3), expected_num_trainable_weights=2, supports_masking=False,
          skip={"keras": KERAS_HUB, "keras_file": KERAS_HUB}),
    entry("TokenAndPositionEmbedding-mask_zero", None, L.TokenAndPositionEmbedding,
          {"vocabulary_size": 6, "sequence_length": 5, "embedding_dim": 2, "mask_zero": True, "tie_weights": False},
          input_shape=(2, 5), input_dtype="int64", int_high=6, expected_num_trainable_weights=3,
          supports_masking=True, skip={"keras": KERAS_HUB, "keras_file": KERAS_HUB, "mask": MAKES_MASK}),
    entry("RotaryEmbedding", None, L.RotaryEmbedding, {"max_wavelength": 50, "scaling_factor": 2.0},
          input_shape=(2, 4, 3, 6), supports_masking=False, skip={"keras": KERAS_HUB, "keras_file": KERAS_HUB}),
    entry("RotaryEmbedding-axes", None, L.RotaryEmbedding, {"sequence_axis": 2, "feature_axis": 1},
          input_shape=(2, 4, 5), skip={"keras": KERAS_HUB, "keras_file": KERAS_HUB}),
    # layers outside brickwork.layers
    entry("Sampling", None, Sampling, {"seed": 3}, input_shape=[(2, 4), (2, 4)],
          skip={"containers": RANDOM_ALWAYS, "gradcheck": RANDOM_ALWAYS, "mask": KERAS_IO_ONLY,
                "keras": KERAS_IO_ONLY, "keras_file": KERAS_IO_ONLY}),
]



def _params():
    out = []
    for name, _, cls, kwargs, xfail, opts in _ENTRIES:
        skip = opts.get("skip", {})
        for check in CHECKS:
            marks = []
            if check in skip:
                marks.append(pytest.mark.skip(reason=skip[check]))
            elif check in xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=xfail[check]))
            out.append(pytest.param(cls, kwargs, opts, check, id=f"{name}-{check}", marks=marks))
    return out


TABLE = _params()
COVERS = {name: covers for name, covers, *_ in _ENTRIES}


@pytest.mark.parametrize("layer_cls, kwargs, opts, check", TABLE)
def test_layer_conformance(layer_cls, kwargs, opts, check):
    run_layer_test(layer_cls, kwargs, **opts, checks=(check,))


def test_every_exported_layer_has_an_entry_or_exemption():
    covered = {cls for covers in COVERS.values() for cls in covers}
    missing = [name for name in L.__all__
               if inspect.isclass(getattr(L, name)) and issubclass(getattr(L, name), L.Layer)
               and getattr(L, name) not in covered and name not in EXEMPT]
    assert not missing, f"layers without a conformance entry or an EXEMPT reason: {missing}"
    assert all(isinstance(r, str) and r for r in EXEMPT.values())
    assert set(EXEMPT) <= set(L.__all__), "EXEMPT names a class that is no longer exported"


def test_harness_catches_a_wrong_layer():
    """The checks fail for a layer that breaks the contract (here: a Dense whose symbolic shape lies)."""
    class Lying(L.Dense):
        def compute_output_shape(self, input_shape):
            return tuple(input_shape[:-1]) + (self.units + 1,)

    with pytest.raises(AssertionError):
        run_layer_test(Lying, {"units": 2}, input_shape=(2, 3), checks=("shapes",))
    with pytest.raises(AssertionError, match="weights"):
        run_layer_test(L.Dense, {"units": 2}, input_shape=(2, 3), expected_num_trainable_weights=3,
                       checks=("weights",))
    class Float32Out(L.Activation):
        def call(self, inputs):
            return super().call(inputs).astype("float32")

    with pytest.raises(AssertionError, match="float32"):
        run_layer_test(Float32Out, {"activation": "tanh"}, input_shape=(2, 3), checks=("dtypes",))

    class WrongGradient(L.Activation):  # the forward pass of tanh with the gradient of the identity
        def call(self, inputs):
            return inputs + (self.activation(inputs) - inputs).detach()

    with pytest.raises(AssertionError, match="gradcheck"):
        run_layer_test(WrongGradient, {"activation": "tanh"}, input_shape=(2, 3), checks=("gradcheck",))
    assert set(CHECKS) >= {"keras", "gradcheck", "mask", "saving"}
