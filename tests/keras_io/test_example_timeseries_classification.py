"""keras-io ``examples/timeseries/timeseries_classification_from_scratch.py`` (keras-team/keras-io at
commit 02cfaa2fc681, the tf.keras revision; the Keras 3 revision imports ``keras`` and checkpoints to
``best_model.keras``, as here), run on brickwork.

Edits, each marked ``# brickwork:``: the imports; FordA is read by the example's own ``readucr`` from
offline FordA-format TSV files (label -1/1, then 500 z-normalised values; see guide_data.py) with
160 + 60 series instead of a URL; epochs 500 -> 3; plots are drawn on the Agg backend and closed.
"""

import guide_data
import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.metrics import accuracy_score

import brickwork as keras  # brickwork: was `import keras`


@pytest.mark.slow
def test_timeseries_classification_from_scratch(tmp_path):
    def readucr(filename):
        data = np.loadtxt(filename, delimiter="\t")
        y = data[:, 0]
        x = data[:, 1:]
        return x, y.astype(int)

    guide_data.write_forda_like(str(tmp_path), n_train=160, n_test=60)  # brickwork: offline FordA-format files
    root_url = str(tmp_path) + "/"  # brickwork: was "https://raw.githubusercontent.com/hfawaz/cd-diagram/master/FordA/"

    x_train, y_train = readucr(root_url + "FordA_TRAIN.tsv")
    x_test, y_test = readucr(root_url + "FordA_TEST.tsv")

    classes = np.unique(np.concatenate((y_train, y_test), axis=0))

    plt.figure()
    for c in classes:
        c_x_train = x_train[y_train == c]
        plt.plot(c_x_train[0], label="class " + str(c))
    plt.legend(loc="best")
    plt.show()
    plt.close()

    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

    num_classes = len(np.unique(y_train))

    idx = np.random.permutation(len(x_train))
    x_train = x_train[idx]
    y_train = y_train[idx]

    y_train[y_train == -1] = 0
    y_test[y_test == -1] = 0

    def make_model(input_shape):
        input_layer = keras.layers.Input(input_shape)

        conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
        conv1 = keras.layers.BatchNormalization()(conv1)
        conv1 = keras.layers.ReLU()(conv1)

        conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
        conv2 = keras.layers.BatchNormalization()(conv2)
        conv2 = keras.layers.ReLU()(conv2)

        conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
        conv3 = keras.layers.BatchNormalization()(conv3)
        conv3 = keras.layers.ReLU()(conv3)

        gap = keras.layers.GlobalAveragePooling1D()(conv3)

        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

        return keras.models.Model(inputs=input_layer, outputs=output_layer)

    model = make_model(input_shape=x_train.shape[1:])
    keras.utils.plot_model(model, show_shapes=True)

    epochs = 3  # brickwork: 500 -> 3
    batch_size = 32

    callbacks = [
        keras.callbacks.ModelCheckpoint("best_model.keras", save_best_only=True, monitor="val_loss"),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
    ]
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        callbacks=callbacks,
        validation_split=0.2,
        verbose=1,
    )

    model = keras.models.load_model("best_model.keras")

    test_loss, test_acc = model.evaluate(x_test, y_test)
    print("Test accuracy", test_acc)
    print("Test loss", test_loss)
    # brickwork: the tf.keras revision's predict + accuracy_score lines too
    y_pred = model.predict(x_test).argmax(axis=1)
    print("Test accuracy", accuracy_score(y_pred, y_test))
    assert y_pred.shape == (60,)

    metric = "sparse_categorical_accuracy"
    plt.figure()
    plt.plot(history.history[metric])
    plt.plot(history.history["val_" + metric])
    plt.title("model " + metric)
    plt.ylabel(metric, fontsize="large")
    plt.xlabel("epoch", fontsize="large")
    plt.legend(["train", "val"], loc="best")
    plt.show()
    plt.close()
    assert len(history.history["loss"]) == 3


def test_reloaded_checkpoint_evaluates():
    x = np.random.default_rng(0).standard_normal((40, 20, 1)).astype("float32")
    y = (x.mean(axis=(1, 2)) > 0).astype(int)
    inputs = keras.layers.Input((20, 1))
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling1D()(inputs))
    model = keras.models.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    model.fit(x, y, epochs=1, validation_split=0.2, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint("best_model.keras", save_best_only=True, monitor="val_loss")])
    model = keras.models.load_model("best_model.keras")
    test_loss, test_acc = model.evaluate(x, y)
