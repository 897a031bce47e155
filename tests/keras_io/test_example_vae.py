"""keras-io ``examples/generative/vae.py`` (fchollet, "Last modified: 2024/04/24", the Keras 3 revision with a
custom ``Sampling`` layer on ``keras.random.SeedGenerator`` and a custom ``train_step``), run on brickwork.
Source: the revision keras.io renders for Keras 3 (the stored copy of keras-io here is the older tf.keras one,
commit cca4efba8e0b; the model code is the same apart from ``ops`` / ``keras.random``).

Edits, each marked ``# brickwork:``:

- the imports (``import brickwork as keras``; ``os.environ["KERAS_BACKEND"]`` and ``import tensorflow`` dropped);
- TensorFlow's tape, the one backend-specific piece of the step: ``with tf.GradientTape() as tape:`` ->
  ``with keras.enable_grad():`` and ``tape.gradient(total_loss, self.trainable_weights)`` ->
  ``keras.grad(total_loss, self.trainable_weights)`` (brickwork records every operation, as PyTorch does);
- data: MNIST is the offline stand-in of ``guide_data.py`` read by the example's own
  ``keras.datasets.mnist.load_data()``, its first 512 images; epochs 30 -> 2; the latent grid 10x10 instead of
  30x30 and the cluster plot on 1,000 images; plots on the Agg backend.
"""

import numpy as np
import pytest

import brickwork as keras  # brickwork: was `import keras` (and `os.environ[...]`, `import tensorflow as tf`)
from brickwork import (
    layers,  # brickwork: was `from keras import layers`
    ops,  # brickwork: was `from keras import ops`
)


@pytest.mark.slow
def test_variational_autoencoder():
    class Sampling(layers.Layer):
        """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch = ops.shape(z_mean)[0]
            dim = ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    latent_dim = 2

    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
    encoder.summary()

    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
    decoder.summary()

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.reconstruction_loss_tracker = keras.metrics.Mean(
                name="reconstruction_loss"
            )
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [
                self.total_loss_tracker,
                self.reconstruction_loss_tracker,
                self.kl_loss_tracker,
            ]

        def train_step(self, data):
            with keras.enable_grad():  # brickwork: was `with tf.GradientTape() as tape:`
                z_mean, z_log_var, z = self.encoder(data)
                reconstruction = self.decoder(z)
                reconstruction_loss = ops.mean(
                    ops.sum(
                        keras.losses.binary_crossentropy(data, reconstruction),
                        axis=(1, 2),
                    )
                )
                kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
                total_loss = reconstruction_loss + kl_loss
            grads = keras.grad(total_loss, self.trainable_weights)  # brickwork: was tape.gradient(...)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.total_loss_tracker.update_state(total_loss)
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {
                "loss": self.total_loss_tracker.result(),
                "reconstruction_loss": self.reconstruction_loss_tracker.result(),
                "kl_loss": self.kl_loss_tracker.result(),
            }

    (x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
    mnist_digits = np.concatenate([x_train, x_test], axis=0)
    mnist_digits = np.expand_dims(mnist_digits, -1).astype("float32") / 255
    mnist_digits = mnist_digits[:512]  # brickwork: a subset of the stand-in images

    vae = VAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam())
    history = vae.fit(mnist_digits, epochs=2, batch_size=128)  # brickwork: epochs 30 -> 2 (`history =` added)

    import matplotlib.pyplot as plt

    def plot_latent_space(vae, n=30, figsize=15):
        # display a n*n 2D manifold of digits
        digit_size = 28
        scale = 1.0
        figure = np.zeros((digit_size * n, digit_size * n))
        # linearly spaced coordinates corresponding to the 2D plot
        # of digit classes in the latent space
        grid_x = np.linspace(-scale, scale, n)
        grid_y = np.linspace(-scale, scale, n)[::-1]

        for i, yi in enumerate(grid_y):
            for j, xi in enumerate(grid_x):
                z_sample = np.array([[xi, yi]])
                x_decoded = vae.decoder.predict(z_sample, verbose=0)
                digit = x_decoded[0].reshape(digit_size, digit_size)
                figure[
                    i * digit_size : (i + 1) * digit_size,
                    j * digit_size : (j + 1) * digit_size,
                ] = digit

        plt.figure(figsize=(figsize, figsize))
        start_range = digit_size // 2
        end_range = n * digit_size + start_range
        pixel_range = np.arange(start_range, end_range, digit_size)
        sample_range_x = np.round(grid_x, 1)
        sample_range_y = np.round(grid_y, 1)
        plt.xticks(pixel_range, sample_range_x)
        plt.yticks(pixel_range, sample_range_y)
        plt.xlabel("z[0]")
        plt.ylabel("z[1]")
        plt.imshow(figure, cmap="Greys_r")
        plt.show()
        return figure  # brickwork: returned for the checks below

    figure = plot_latent_space(vae, n=10)  # brickwork: `figure =` added; n 30 -> 10 (100 decoder calls, not 900)

    def plot_label_clusters(vae, data, labels):
        # display a 2D plot of the digit classes in the latent space
        z_mean, _, _ = vae.encoder.predict(data, verbose=0)
        plt.figure(figsize=(12, 10))
        plt.scatter(z_mean[:, 0], z_mean[:, 1], c=labels)
        plt.colorbar()
        plt.xlabel("z[0]")
        plt.ylabel("z[1]")
        plt.show()
        return z_mean  # brickwork: returned for the checks below

    (x_train, y_train), _ = keras.datasets.mnist.load_data()
    x_train = np.expand_dims(x_train, -1).astype("float32") / 255
    x_train, y_train = x_train[:1000], y_train[:1000]  # brickwork: a subset

    codes = plot_label_clusters(vae, x_train, y_train)  # brickwork: `codes =` added

    # brickwork: checks
    logs = history.history
    assert {"loss", "reconstruction_loss", "kl_loss"} <= set(logs)
    assert logs["loss"][-1] < logs["loss"][0]
    assert logs["reconstruction_loss"][-1] < logs["reconstruction_loss"][0]
    assert all(np.isfinite(v).all() for v in logs.values())
    assert figure.shape == (280, 280) and figure.min() >= 0.0 and figure.max() <= 1.0 and figure.std() > 0
    assert codes.shape == (len(x_train), 2) and np.all(np.isfinite(codes))
