"""keras-io ``examples/nlp/bidirectional_lstm_imdb.py`` (keras-team/keras-io at commit 0a4be8bbc3ae, the
tf.keras revision; the Keras 3 revision differs only in ``import keras`` and ``keras.utils.pad_sequences``,
which this file uses), run on brickwork.

Edits, each marked ``# brickwork:``: the imports; IMDB is an offline stand-in of the same format
(object arrays of word-index lists) with 256 + 128 reviews; ``maxlen`` 200 -> 40, LSTM units 64 -> 16,
embedding 128 -> 32 and 1 epoch, so the test runs in seconds.
"""

import numpy as np
import pytest

import brickwork as keras  # brickwork: was `import keras`
from brickwork import layers  # brickwork: was `from keras import layers`


@pytest.mark.slow
def test_bidirectional_lstm_imdb():
    max_features = 20000  # Only consider the top 20k words
    maxlen = 40  # brickwork: 200 -> 40

    # Input for variable-length sequences of integers
    inputs = keras.Input(shape=(None,), dtype="int32")
    # Embed each integer in a 128-dimensional vector
    x = layers.Embedding(max_features, 32)(inputs)  # brickwork: 128 -> 32
    # Add 2 bidirectional LSTMs
    x = layers.Bidirectional(layers.LSTM(16, return_sequences=True))(x)  # brickwork: 64 -> 16
    x = layers.Bidirectional(layers.LSTM(16))(x)  # brickwork: 64 -> 16
    # Add a classifier
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.summary()

    (x_train, y_train), (x_val, y_val) = keras.datasets.imdb.load_data(num_words=max_features)
    print(len(x_train), "Training sequences")
    print(len(x_val), "Validation sequences")
    assert x_train.dtype == object and isinstance(x_train[0], list) and x_train[0][0] == 1  # start_char
    # Use pad_sequence to standardize sequence length:
    # this will truncate sequences longer than 200 words and zero-pad sequences shorter than 200 words.
    x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
    x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)
    assert x_train.shape == (256, maxlen) and x_train.dtype == np.int32

    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=32, epochs=1, validation_data=(x_val, y_val))  # brickwork: 2->1
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert np.isfinite(history.history["val_loss"][0])
