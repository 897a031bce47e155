"""keras-io ``examples/generative/dcgan_overriding_train_step.py`` (fchollet, "GAN overriding
``Model.train_step``", the MNIST revision "Last modified: 2020/04/29", keras-team/keras-io at commit
0d5f327814b5), run on brickwork with plain ``fit``. (The later revision trains on CelebA, which is a download.)

Edits, each marked ``# brickwork:``:

- the imports (``tensorflow`` / ``tensorflow.keras`` -> ``brickwork``);
- the TensorFlow calls of ``train_step``, each by its ``keras`` 3 name: ``tf.shape(x)[0]`` -> ``ops.shape(x)[0]``,
  ``tf.random.normal`` / ``tf.random.uniform`` -> ``keras.random.normal`` / ``keras.random.uniform``,
  ``tf.concat`` -> ``ops.concatenate``, ``tf.ones`` / ``tf.zeros`` -> ``ops.ones`` / ``ops.zeros``; the tape:
  ``with tf.GradientTape() as tape:`` -> ``with keras.enable_grad():`` and ``tape.gradient(loss, weights)`` ->
  ``keras.grad(loss, weights)``;
- the callback: ``keras.preprocessing.image.array_to_img(img).save(path)`` -> ``PIL.Image.fromarray`` of the
  uint8 image (brickwork has no ``array_to_img``);
- data: MNIST is the offline stand-in of ``guide_data.py`` read by the example's own
  ``keras.datasets.mnist.load_data()``; the ``tf.data`` pipeline (shuffle, batch 64) is ``fit``'s own
  ``batch_size`` / ``shuffle``; 2 steps of 16 images instead of 30 epochs.
"""

import numpy as np
import pytest

import brickwork as keras  # brickwork: was `from tensorflow import keras` (and `import tensorflow as tf`)
from brickwork import layers, ops  # brickwork: was `from tensorflow.keras import layers`


@pytest.mark.slow
def test_gan_overriding_train_step(tmp_path):
    from PIL import Image  # brickwork: for the callback's image files

    # We use both the training & test MNIST digits.
    batch_size = 16  # brickwork: 64 -> 16
    (x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
    all_digits = np.concatenate([x_train, x_test])
    all_digits = all_digits.astype("float32") / 255
    all_digits = np.reshape(all_digits, (-1, 28, 28, 1))
    # brickwork: `tf.data.Dataset.from_tensor_slices(...).shuffle(1024).batch(batch_size).prefetch(32)` dropped;
    # fit() below batches and shuffles the array

    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(alpha=0.2),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(alpha=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )

    discriminator.summary()

    latent_dim = 128

    generator = keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            # We want to generate 128 coefficients to reshape into a 7x7x128 map
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(alpha=0.2),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(alpha=0.2),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(alpha=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )

    generator.summary()

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super(GAN, self).__init__()  # noqa: UP008  (the example's spelling)
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super(GAN, self).compile()  # noqa: UP008
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn

        def train_step(self, real_images):
            # Sample random points in the latent space
            batch_size = ops.shape(real_images)[0]  # brickwork: was tf.shape
            random_latent_vectors = keras.random.normal(shape=(batch_size, self.latent_dim))  # brickwork: tf.random

            # Decode them to fake images
            generated_images = self.generator(random_latent_vectors)

            # Combine them with real images
            combined_images = ops.concatenate([generated_images, real_images], axis=0)  # brickwork: was tf.concat

            # Assemble labels discriminating real from fake images
            labels = ops.concatenate(  # brickwork: was tf.concat
                [ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0  # brickwork: were tf.ones/zeros
            )
            # Add random noise to the labels - important trick!
            labels += 0.05 * keras.random.uniform(ops.shape(labels))  # brickwork: was tf.random.uniform(tf.shape)

            # Train the discriminator
            with keras.enable_grad():  # brickwork: was `with tf.GradientTape() as tape:`
                predictions = self.discriminator(combined_images)
                d_loss = self.loss_fn(labels, predictions)
            grads = keras.grad(d_loss, self.discriminator.trainable_weights)  # brickwork: was tape.gradient
            self.d_optimizer.apply_gradients(
                zip(grads, self.discriminator.trainable_weights)
            )

            # Sample random points in the latent space
            random_latent_vectors = keras.random.normal(shape=(batch_size, self.latent_dim))  # brickwork: tf.random

            # Assemble labels that say "all real images"
            misleading_labels = ops.zeros((batch_size, 1))  # brickwork: was tf.zeros

            # Train the generator (note that we should *not* update the weights
            # of the discriminator)!
            with keras.enable_grad():  # brickwork: was `with tf.GradientTape() as tape:`
                predictions = self.discriminator(self.generator(random_latent_vectors))
                g_loss = self.loss_fn(misleading_labels, predictions)
            grads = keras.grad(g_loss, self.generator.trainable_weights)  # brickwork: was tape.gradient
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            return {"d_loss": d_loss, "g_loss": g_loss}

    class GANMonitor(keras.callbacks.Callback):
        def __init__(self, num_img=3, latent_dim=128):
            self.num_img = num_img
            self.latent_dim = latent_dim

        def on_epoch_end(self, epoch, logs=None):
            random_latent_vectors = keras.random.normal(shape=(self.num_img, self.latent_dim))  # brickwork: tf.random
            generated_images = self.model.generator(random_latent_vectors)
            generated_images *= 255
            generated_images.numpy()
            for i in range(self.num_img):
                # brickwork: was keras.preprocessing.image.array_to_img(generated_images[i])
                img = Image.fromarray(generated_images[i].numpy()[:, :, 0].astype("uint8"))
                img.save(str(tmp_path / "generated_img_{i}_{epoch}.png".format(i=i, epoch=epoch)))  # noqa: UP032

    epochs = 1  # brickwork: was 30

    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )

    d_before = [w.copy() for w in discriminator.get_weights()]  # brickwork: for the checks below
    g_before = [w.copy() for w in generator.get_weights()]
    history = gan.fit(  # brickwork: `history =`; the array with batch_size/shuffle for the tf.data pipeline
        all_digits, batch_size=batch_size, shuffle=True, steps_per_epoch=2, epochs=epochs,
        callbacks=[GANMonitor(num_img=3, latent_dim=latent_dim)]
    )

    # brickwork: checks
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert all(not np.array_equal(a, b) for a, b in zip(d_before, discriminator.get_weights()))
    assert all(not np.array_equal(a, b) for a, b in zip(g_before, generator.get_weights()))
    images = [np.asarray(Image.open(tmp_path / f"generated_img_{i}_0.png")) for i in range(3)]
    assert all(im.shape == (28, 28) and im.dtype == np.uint8 for im in images)
