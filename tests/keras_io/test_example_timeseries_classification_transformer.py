"""keras-io ``examples/timeseries/timeseries_classification_transformer.py`` (keras-team/keras-io at
commit dc8c9b4ab936, file id 4712141, the tf.keras revision; the Keras 3 revision differs only in
``import keras`` / ``from keras import layers``, as here), run on brickwork.

Edits, each marked ``# brickwork:``: the imports; FordA is read by the example's own ``readucr`` from
offline FordA-format TSV files (label -1/1, then z-normalised values; see guide_data.py) with 96 + 32
series of 64 steps instead of 3601 + 1320 of 500 from a URL; head_size 256 -> 16, 4 blocks -> 2,
mlp_units [128] -> [16], epochs 200 -> 2, batch_size 64 -> 32, so the test runs in seconds.
"""

import guide_data
import numpy as np

import brickwork as keras  # brickwork: was `from tensorflow import keras`
from brickwork import layers  # brickwork: was `from tensorflow.keras import layers`


def readucr(filename):
    data = np.loadtxt(filename, delimiter="\t")
    y = data[:, 0]
    x = data[:, 1:]
    return x, y.astype(int)


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    # Attention and Normalization
    x = layers.MultiHeadAttention(
        key_dim=head_size, num_heads=num_heads, dropout=dropout
    )(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs

    # Feed Forward Part
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def test_timeseries_classification_transformer(tmp_path):
    guide_data.write_forda_like(str(tmp_path), n_train=96, n_test=32, length=64)  # brickwork: offline files
    root_url = str(tmp_path) + "/"  # brickwork: was "https://raw.githubusercontent.com/hfawaz/cd-diagram/master/FordA/"

    x_train, y_train = readucr(root_url + "FordA_TRAIN.tsv")
    x_test, y_test = readucr(root_url + "FordA_TEST.tsv")

    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

    n_classes = len(np.unique(y_train))

    idx = np.random.permutation(len(x_train))
    x_train = x_train[idx]
    y_train = y_train[idx]

    y_train[y_train == -1] = 0
    y_test[y_test == -1] = 0

    def build_model(
        input_shape,
        head_size,
        num_heads,
        ff_dim,
        num_transformer_blocks,
        mlp_units,
        dropout=0,
        mlp_dropout=0,
    ):
        inputs = keras.Input(shape=input_shape)
        x = inputs
        for _ in range(num_transformer_blocks):
            x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)

        x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
        for dim in mlp_units:
            x = layers.Dense(dim, activation="relu")(x)
            x = layers.Dropout(mlp_dropout)(x)
        outputs = layers.Dense(n_classes, activation="softmax")(x)
        return keras.Model(inputs, outputs)

    input_shape = x_train.shape[1:]

    model = build_model(
        input_shape,
        head_size=16,  # brickwork: 256 -> 16
        num_heads=4,
        ff_dim=4,
        num_transformer_blocks=2,  # brickwork: 4 -> 2
        mlp_units=[16],  # brickwork: [128] -> [16]
        mlp_dropout=0.4,
        dropout=0.25,
    )

    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-4),
        metrics=["sparse_categorical_accuracy"],
    )
    model.summary()

    callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]

    history = model.fit(  # brickwork: the history is kept to check it
        x_train,
        y_train,
        validation_split=0.2,
        epochs=2,  # brickwork: 200 -> 2
        batch_size=32,  # brickwork: 64 -> 32
        callbacks=callbacks,
    )

    result = model.evaluate(x_test, y_test, verbose=1)
    # brickwork: checks
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["val_loss"]).all()
    assert np.isfinite(result).all()
    # Per block: MHA 3 * (1*4*16 + 4*16) + (4*16*1 + 1) = 449, two LayerNorms 2 + 2, Conv1D 1->4 8 and 4->1 5;
    # channels_first pooling of (batch, 64, 1) leaves 64 features: Dense 64*16 + 16 and 16*2 + 2.
    assert model.count_params() == 2 * (449 + 4 + 8 + 5) + 1040 + 34
    assert model.predict(x_test[:3]).shape == (3, 2)
