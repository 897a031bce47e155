"""keras-io ``examples/vision/autoencoder.py`` (Santiago L. Valdarrama, "Convolutional Autoencoder For Image
Denoising", 2021/03/01), run on brickwork: a Conv2D/MaxPooling2D encoder and a ``Conv2DTranspose`` decoder
trained on MNIST, then retrained to map noisy images to clean ones.

Source: the revision with the ``Conv2DTranspose`` decoder and the ``preprocess``/``noise``/``display`` helpers
taking ``array`` arguments (the stored copy of keras-io here, commit 28033e1c219d, is the earlier one with
``UpSampling2D``; the later text was written down from copies of it, so this file is a faithful rewrite rather
than a byte-for-byte copy).

Edits, each marked ``# brickwork:``: the imports (``keras`` -> ``brickwork``); data: MNIST is the offline
stand-in of ``guide_data.py`` read by the example's own ``mnist.load_data()``, 384 training and 100 test
images; epochs 50 -> 2 and 100 -> 2; plots are drawn on the Agg backend.
"""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from brickwork import layers  # brickwork: was `from keras import layers`
from brickwork.datasets import mnist  # brickwork: was `from keras.datasets import mnist`
from brickwork.models import Model  # brickwork: was `from keras.models import Model`


@pytest.mark.slow
def test_convolutional_denoising_autoencoder():
    def preprocess(array):
        """Normalizes the supplied array and reshapes it."""
        array = array.astype("float32") / 255.0
        array = np.reshape(array, (len(array), 28, 28, 1))
        return array

    def noise(array):
        """Adds random noise to each image in the supplied array."""
        noise_factor = 0.4
        noisy_array = array + noise_factor * np.random.normal(
            loc=0.0, scale=1.0, size=array.shape
        )

        return np.clip(noisy_array, 0.0, 1.0)

    def display(array1, array2):
        """Displays ten random images from each array."""
        n = 10

        indices = np.random.randint(len(array1), size=n)
        images1 = array1[indices, :]
        images2 = array2[indices, :]

        plt.figure(figsize=(20, 4))
        for i, (image1, image2) in enumerate(zip(images1, images2)):
            ax = plt.subplot(2, n, i + 1)
            plt.imshow(image1.reshape(28, 28))
            plt.gray()
            ax.get_xaxis().set_visible(False)
            ax.get_yaxis().set_visible(False)

            ax = plt.subplot(2, n, i + 1 + n)
            plt.imshow(image2.reshape(28, 28))
            plt.gray()
            ax.get_xaxis().set_visible(False)
            ax.get_yaxis().set_visible(False)

        plt.show()

    # Since we only need images from the dataset to encode and decode, we
    # won't use the labels.
    (train_data, _), (test_data, _) = mnist.load_data()
    train_data, test_data = train_data[:384], test_data[:100]  # brickwork: a subset of the stand-in images

    # Normalize and reshape the data
    train_data = preprocess(train_data)
    test_data = preprocess(test_data)

    # Create a copy of the data with added noise
    noisy_train_data = noise(train_data)
    noisy_test_data = noise(test_data)

    # Display the train data and a version of it with added noise
    display(train_data, noisy_train_data)

    input = layers.Input(shape=(28, 28, 1))  # noqa: A001  (the example's name)

    # Encoder
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)

    # Decoder
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

    # Autoencoder
    autoencoder = Model(input, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    autoencoder.summary()

    history = autoencoder.fit(  # brickwork: `history =` added
        x=train_data,
        y=train_data,
        epochs=2,  # brickwork: was 50
        batch_size=128,
        shuffle=True,
        validation_data=(test_data, test_data),
    )

    predictions = autoencoder.predict(test_data)
    display(test_data, predictions)

    denoising = autoencoder.fit(  # brickwork: `denoising =` added
        x=noisy_train_data,
        y=train_data,
        epochs=2,  # brickwork: was 100
        batch_size=128,
        shuffle=True,
        validation_data=(noisy_test_data, test_data),
    )

    predictions = autoencoder.predict(noisy_test_data)
    display(noisy_test_data, predictions)

    # brickwork: checks — the decoder's shapes, and the loss falling through both trainings (12 steps in all)
    assert [tuple(lay.output.shape) for lay in autoencoder.layers[-3:]] == [
        (None, 14, 14, 32), (None, 28, 28, 32), (None, 28, 28, 1)]
    assert set(history.history) == {"loss", "val_loss"} == set(denoising.history)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert denoising.history["loss"][-1] < history.history["loss"][0]
    assert denoising.history["val_loss"][-1] < history.history["val_loss"][0]
    assert predictions.shape == test_data.shape and predictions.min() >= 0.0 and predictions.max() <= 1.0
