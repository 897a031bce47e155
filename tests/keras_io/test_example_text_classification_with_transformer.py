"""keras-io ``examples/nlp/text_classification_with_transformer.py`` (keras-team/keras-io; the stored
tf.keras revision is at commit 8bda227c08ad, file id 905628083; the Keras 3 revision, "Last modified
2024/01/18, converted to Keras 3 by Sitam Meur", which imports ``keras``/``keras.ops`` and uses
``ops.shape``/``ops.arange`` and ``keras.utils.pad_sequences``, is the one followed here, read from a
stored verbatim copy, file id 70317776786), run on brickwork.

Edits, each marked ``# brickwork:``: the imports; IMDB is the folder's offline stand-in of the same
format (object arrays of word-index lists, see guide_data.py) with 256 + 128 reviews; ``maxlen``
200 -> 40 and 1 epoch, so the test runs in seconds.
"""

import numpy as np
import pytest

import brickwork as keras  # brickwork: was `import keras`
from brickwork import layers, ops  # brickwork: was `from keras import ops` and `from keras import layers`


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def test_text_classification_with_transformer():
    vocab_size = 20000  # Only consider the top 20k words
    maxlen = 40  # brickwork: 200 -> 40
    (x_train, y_train), (x_val, y_val) = keras.datasets.imdb.load_data(num_words=vocab_size)
    print(len(x_train), "Training sequences")
    print(len(x_val), "Validation sequences")
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)
    assert x_train.shape == (256, maxlen) and x_val.shape == (128, maxlen)

    embed_dim = 32  # Embedding size for each token
    num_heads = 2  # Number of attention heads
    ff_dim = 32  # Hidden layer size in feed forward network inside transformer

    inputs = layers.Input(shape=(maxlen,))
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)

    model.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(
        x_train, y_train, batch_size=32, epochs=1, validation_data=(x_val, y_val)  # brickwork: epochs 2 -> 1
    )
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert np.isfinite(history.history["val_loss"][0])
    # brickwork: the block's weights: MHA (q, k, v, out kernels+biases), two Dense in the FFN, two LayerNorms
    assert len(transformer_block.trainable_weights) == 8 + 4 + 4
    assert model.predict(x_val[:5]).shape == (5, 2)


@pytest.mark.parametrize("length", [7, 40])
def test_token_and_position_embedding_adds_position_rows(length):
    layer = TokenAndPositionEmbedding(40, 50, 8)
    tokens = np.random.default_rng(0).integers(0, 50, size=(3, length))
    out = keras.ops.convert_to_numpy(layer(tokens))
    token_table = keras.ops.convert_to_numpy(layer.token_emb.embeddings)
    pos_table = keras.ops.convert_to_numpy(layer.pos_emb.embeddings)
    np.testing.assert_allclose(out, token_table[tokens] + pos_table[:length][None], rtol=1e-6, atol=1e-6)
