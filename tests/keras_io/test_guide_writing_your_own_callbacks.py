# ruff: noqa: UP032  (the guide's str.format calls, kept verbatim)
"""keras-io ``guides/writing_your_own_callbacks.py`` (Keras 3 revision, "Last modified: 2023/06/25";
keras-team/keras-io; the stored Keras 3 text, file id 23570025388, is a machine-reformatted copy,
so the layout here follows the earlier revision at commit 040e8ba4b4bf with the Keras 3 code), run
on brickwork.

Edits, each marked ``# brickwork:``: the imports; MNIST comes from an offline stand-in of the same
dtypes and per-sample shape; ``np.Inf`` (removed in NumPy 2) became ``np.inf``.
"""

import numpy as np
import pytest

import brickwork as keras  # brickwork: was `import keras`


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


@pytest.fixture
def mnist():
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

    # Limit the data to 1000 samples
    x_train = x_train[:1000]
    y_train = y_train[:1000]
    x_test = x_test[:1000]
    y_test = y_test[:1000]
    return x_train, y_train, x_test, y_test


class CustomCallback(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []  # brickwork: records the printed lines so the test can check them

    def _log(self, line):  # brickwork: print() and record
        print(line)
        self.seen.append(line)

    def on_train_begin(self, logs=None):
        keys = list(logs.keys())
        self._log("Starting training; got log keys: {}".format(keys))

    def on_train_end(self, logs=None):
        keys = list(logs.keys())
        self._log("Stop training; got log keys: {}".format(keys))

    def on_epoch_begin(self, epoch, logs=None):
        keys = list(logs.keys())
        self._log("Start epoch {} of training; got log keys: {}".format(epoch, keys))

    def on_epoch_end(self, epoch, logs=None):
        keys = list(logs.keys())
        self._log("End epoch {} of training; got log keys: {}".format(epoch, keys))

    def on_test_begin(self, logs=None):
        keys = list(logs.keys())
        self._log("Start testing; got log keys: {}".format(keys))

    def on_test_end(self, logs=None):
        keys = list(logs.keys())
        self._log("Stop testing; got log keys: {}".format(keys))

    def on_predict_begin(self, logs=None):
        keys = list(logs.keys())
        self._log("Start predicting; got log keys: {}".format(keys))

    def on_predict_end(self, logs=None):
        keys = list(logs.keys())
        self._log("Stop predicting; got log keys: {}".format(keys))

    def on_train_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        self._log("...Training: start of batch {}; got log keys: {}".format(batch, keys))

    def on_train_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        self._log("...Training: end of batch {}; got log keys: {}".format(batch, keys))

    def on_test_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        self._log("...Evaluating: start of batch {}; got log keys: {}".format(batch, keys))

    def on_test_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        self._log("...Evaluating: end of batch {}; got log keys: {}".format(batch, keys))

    def on_predict_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        self._log("...Predicting: start of batch {}; got log keys: {}".format(batch, keys))

    def on_predict_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        self._log("...Predicting: end of batch {}; got log keys: {}".format(batch, keys))


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print("Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_test_batch_end(self, batch, logs=None):
        print("Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        print(
            "The average loss for epoch {} is {:7.2f} "
            "and mean absolute error is {:7.2f}.".format(epoch, logs["loss"], logs["mean_absolute_error"])
        )


def test_basic_callback_methods(mnist):
    x_train, y_train, x_test, y_test = mnist
    model = get_model()
    cb = CustomCallback()
    model.fit(
        x_train,
        y_train,
        batch_size=128,
        epochs=1,
        verbose=0,
        validation_split=0.5,
        callbacks=[cb],
    )
    # Keras 3 prints exactly these keys for this model (batch 0 of 4 train batches, validation after)
    assert cb.seen[0] == "Starting training; got log keys: []"
    assert cb.seen[1] == "Start epoch 0 of training; got log keys: []"
    assert cb.seen[2] == "...Training: start of batch 0; got log keys: []"
    assert cb.seen[3] == "...Training: end of batch 0; got log keys: ['loss', 'mean_absolute_error']"
    assert "Start testing; got log keys: []" in cb.seen
    assert cb.seen[-2] == ("End epoch 0 of training; got log keys: ['loss', 'mean_absolute_error', "
                           "'val_loss', 'val_mean_absolute_error']")
    assert cb.seen[-1] == ("Stop training; got log keys: ['loss', 'mean_absolute_error', 'val_loss', "
                           "'val_mean_absolute_error']")

    cb = CustomCallback()
    res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[cb])
    assert cb.seen[-1] == "Stop testing; got log keys: ['loss', 'mean_absolute_error']"
    assert len(res) == 2

    cb = CustomCallback()
    res = model.predict(x_test, batch_size=128, callbacks=[cb])
    assert cb.seen[0] == "Start predicting; got log keys: []"
    assert cb.seen[2] == "...Predicting: end of batch 0; got log keys: ['outputs']"
    assert cb.seen[-1] == "Stop predicting; got log keys: []"
    assert res.shape == (500, 1)


def test_logs_dict(mnist, capsys):
    x_train, y_train, x_test, y_test = mnist
    model = get_model()
    model.fit(
        x_train,
        y_train,
        batch_size=128,
        epochs=2,
        verbose=0,
        callbacks=[LossAndErrorPrintingCallback()],
    )

    res = model.evaluate(
        x_test,
        y_test,
        batch_size=128,
        verbose=0,
        callbacks=[LossAndErrorPrintingCallback()],
    )
    out = capsys.readouterr().out
    assert out.count("The average loss for epoch") == 2
    assert out.count("Up to batch 0, the average loss is") == 3
    assert len(res) == 2


def test_early_stopping_at_min_loss_and_lr_schedule(mnist, capsys):
    x_train, y_train, x_test, y_test = mnist

    class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
        """Stop training when the loss is at its min, i.e. the loss stops decreasing.

        Arguments:
            patience: Number of epochs to wait after min has been hit. After this
            number of no improvement, training stops.
        """

        def __init__(self, patience=0):
            super().__init__()
            self.patience = patience
            # best_weights to store the weights at which the minimum loss occurs.
            self.best_weights = None

        def on_train_begin(self, logs=None):
            # The number of epoch it has waited when loss is no longer minimum.
            self.wait = 0
            # The epoch the training stops at.
            self.stopped_epoch = 0
            # Initialize the best as infinity.
            self.best = np.inf  # brickwork: was np.Inf (removed in NumPy 2)

        def on_epoch_end(self, epoch, logs=None):
            current = logs.get("loss")
            if np.less(current, self.best):
                self.best = current
                self.wait = 0
                # Record the best weights if current results is better (less).
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch
                    self.model.stop_training = True
                    print("Restoring model weights from the end of the best epoch.")
                    self.model.set_weights(self.best_weights)

        def on_train_end(self, logs=None):
            if self.stopped_epoch > 0:
                print(f"Epoch {self.stopped_epoch + 1}: early stopping")

    model = get_model()
    stopper = EarlyStoppingAtMinLoss()
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=30,
        verbose=0,
        callbacks=[LossAndErrorPrintingCallback(), stopper],
    )
    assert stopper.stopped_epoch > 0 and len(history.history["loss"]) == stopper.stopped_epoch + 1
    for got, best in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(got, best)

    class CustomLearningRateScheduler(keras.callbacks.Callback):
        """Learning rate scheduler which sets the learning rate according to schedule.

        Arguments:
            schedule: a function that takes an epoch index
                (integer, indexed from 0) and current learning rate
                as inputs and returns a new learning rate as output (float).
        """

        def __init__(self, schedule):
            super().__init__()
            self.schedule = schedule

        def on_epoch_begin(self, epoch, logs=None):
            if not hasattr(self.model.optimizer, "learning_rate"):
                raise ValueError('Optimizer must have a "learning_rate" attribute.')
            # Get the current learning rate from model's optimizer.
            lr = self.model.optimizer.learning_rate
            # Call schedule function to get the scheduled learning rate.
            scheduled_lr = self.schedule(epoch, lr)
            # Set the value back to the optimizer before this epoch starts
            self.model.optimizer.learning_rate = scheduled_lr
            print(f"\nEpoch {epoch}: Learning rate is {float(np.array(scheduled_lr))}.")

    LR_SCHEDULE = [
        # (epoch to start, learning rate) tuples
        (3, 0.05),
        (6, 0.01),
        (9, 0.005),
        (12, 0.001),
    ]

    def lr_schedule(epoch, lr):
        """Helper function to retrieve the scheduled learning rate based on epoch."""
        if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
            return lr
        for i in range(len(LR_SCHEDULE)):
            if epoch == LR_SCHEDULE[i][0]:
                return LR_SCHEDULE[i][1]
        return lr

    model = get_model()
    capsys.readouterr()
    model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=15,
        verbose=0,
        callbacks=[
            LossAndErrorPrintingCallback(),
            CustomLearningRateScheduler(lr_schedule),
        ],
    )
    out = capsys.readouterr().out
    import re

    printed = {int(e): float(v) for e, v in re.findall(r"Epoch (\d+): Learning rate is ([0-9.e-]+)\.", out)}
    expected = [0.1] * 3 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3 + [0.001] * 3
    np.testing.assert_allclose([printed[e] for e in range(15)], expected, rtol=1e-6)
    assert abs(float(np.array(model.optimizer.learning_rate)) - 0.001) < 1e-7
