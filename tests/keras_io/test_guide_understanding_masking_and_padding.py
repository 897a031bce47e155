"""keras-io ``guides/understanding_masking_and_padding.py`` (Keras 3 revision, "Last modified: 2023/06/25";
keras-team/keras-io, read from ``guides/keras_core/understanding_masking_and_padding.py`` at commit
855e37d4f556, the same code with ``import keras_core as keras``), run on brickwork.

Edits, each marked ``# brickwork:``: the imports, and checks added after the guide's prints.
"""

import numpy as np

import brickwork as keras  # brickwork: was `import keras`
from brickwork import (
    layers,  # brickwork: was `from keras import layers`
    ops,  # brickwork: was `from keras import ops`
)


def to_np(t):
    return np.asarray(keras.ops.convert_to_numpy(t))


def test_padding_and_mask_generating_layers():
    raw_inputs = [
        [711, 632, 71],
        [73, 8, 3215, 55, 927],
        [83, 91, 1, 645, 1253, 927],
    ]

    padded_inputs = keras.utils.pad_sequences(raw_inputs, padding="post")
    print(padded_inputs)
    np.testing.assert_array_equal(padded_inputs, [[711, 632, 71, 0, 0, 0], [73, 8, 3215, 55, 927, 0],
                                                  [83, 91, 1, 645, 1253, 927]])

    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    masked_output = embedding(padded_inputs)

    print(masked_output._keras_mask)
    expected_mask = padded_inputs != 0
    np.testing.assert_array_equal(to_np(masked_output._keras_mask), expected_mask)

    masking_layer = layers.Masking()
    # Simulate the embedding lookup by expanding the 2D input to 3D,
    # with embedding dimension of 10.
    unmasked_embedding = ops.cast(
        ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]),
        dtype="float32",
    )

    masked_embedding = masking_layer(unmasked_embedding)
    print(masked_embedding._keras_mask)
    np.testing.assert_array_equal(to_np(masked_embedding._keras_mask), expected_mask)

    model = keras.Sequential(
        [
            layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True),
            layers.LSTM(32),
        ]
    )
    out = model(padded_inputs)
    assert tuple(out.shape) == (3, 32)

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    outputs = layers.LSTM(32)(x)

    model = keras.Model(inputs, outputs)
    # brickwork: check that the mask reached the LSTM: trailing padding leaves the output unchanged
    short = model(np.array([[5, 6, 7]]))
    padded = model(np.array([[5, 6, 7, 0, 0]]))
    np.testing.assert_allclose(to_np(short), to_np(padded), rtol=1e-5, atol=1e-6)

    class TemporalSplit(keras.layers.Layer):
        """Split the input tensor into 2 tensors along the time dimension."""

        def call(self, inputs):
            # Expect the input to be 3D and mask to be 2D, split the input tensor into 2
            # subtensors along the time axis (axis 1).
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            # Also split the mask into 2 if it presents.
            if mask is None:
                return None
            return ops.split(mask, 2, axis=1)

    first_half, second_half = TemporalSplit()(masked_embedding)
    print(first_half._keras_mask)
    print(second_half._keras_mask)
    np.testing.assert_array_equal(to_np(first_half._keras_mask), expected_mask[:, :3])
    np.testing.assert_array_equal(to_np(second_half._keras_mask), expected_mask[:, 3:])


def test_passing_masks_and_custom_mask_layers():
    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
            self.lstm = layers.LSTM(32)

        def call(self, inputs):
            x = self.embedding(inputs)
            # Note that you could also prepare a `mask` tensor manually.
            # It only needs to be a boolean tensor
            # with the right shape, i.e. (batch_size, timesteps).
            mask = self.embedding.compute_mask(inputs)
            output = self.lstm(x, mask=mask)  # The layer will ignore the masked values
            return output

    layer = MyLayer()
    x = np.random.random((32, 10)) * 100
    x = x.astype("int32")
    out = layer(x)
    assert tuple(out.shape) == (32, 32)

    class CustomEmbedding(keras.layers.Layer):
        def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
            super().__init__(**kwargs)
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.mask_zero = mask_zero

        def build(self, input_shape):
            self.embeddings = self.add_weight(
                shape=(self.input_dim, self.output_dim),
                initializer="random_normal",
                dtype="float32",
            )

        def call(self, inputs):
            inputs = ops.cast(inputs, "int32")
            return ops.take(self.embeddings, inputs)

        def compute_mask(self, inputs, mask=None):
            if not self.mask_zero:
                return None
            return ops.not_equal(inputs, 0)

    layer = CustomEmbedding(10, 32, mask_zero=True)
    x = np.random.random((3, 10)) * 9
    x = x.astype("int32")

    y = layer(x)
    mask = layer.compute_mask(x)

    print(mask)
    np.testing.assert_array_equal(to_np(mask), x != 0)
    # ops.take without an axis indexes the flattened table (NumPy's and Keras's take), as the guide wrote it
    np.testing.assert_allclose(to_np(y), to_np(layer.embeddings).ravel()[x])
    np.testing.assert_array_equal(to_np(y._keras_mask), x != 0)


class MyActivation(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Signal that the layer is safe for mask propagation
        self.supports_masking = True

    def call(self, inputs):
        return ops.relu(inputs)


def test_mask_found_on_symbolic_tensor():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    x = MyActivation()(x)  # Will pass the mask along
    print("Mask found:", x._keras_mask)
    assert x._keras_mask is not None


def test_mask_propagation_and_consumers():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    x = MyActivation()(x)  # Will pass the mask along
    print("Mask found:", x._keras_mask)
    outputs = layers.LSTM(32)(x)  # Will receive the mask

    model = keras.Model(inputs, outputs)
    y = model(np.random.randint(0, 5000, size=(32, 100)))
    assert tuple(y.shape) == (32, 32)
    # brickwork: the mask reached the LSTM through MyActivation: trailing padding changes nothing
    np.testing.assert_allclose(to_np(model(np.array([[5, 6, 7]]))), to_np(model(np.array([[5, 6, 7, 0, 0]]))),
                               rtol=1e-5, atol=1e-6)



def test_mask_consuming_custom_layer():
    class TemporalSoftmax(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            assert mask is not None
            broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
            inputs_exp = ops.exp(inputs) * broadcast_float_mask
            inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=-1, keepdims=True)
            return inputs_exp / inputs_sum

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)(inputs)
    x = layers.Dense(1)(x)
    outputs = TemporalSoftmax()(x)

    model = keras.Model(inputs, outputs)
    ids = np.random.randint(0, 10, size=(32, 100))
    y = model(ids)
    # brickwork: the guide sums over the last axis (size 1): 1 where unmasked, 0/0 = nan where masked
    y = to_np(y)[..., 0]
    np.testing.assert_allclose(y[ids != 0], 1.0, rtol=1e-6)
    assert np.all(np.isnan(y[ids == 0]))
