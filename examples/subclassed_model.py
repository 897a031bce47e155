"""PyTorch-style research code: a subclassed Model and a hand-written training loop.

Run: python examples/subclassed_model.py
"""

import numpy as np

import brickwork as bw
from brickwork import functions as F
from brickwork import layers


class MLP(bw.Model):
    def __init__(self, hidden=(32, 16), drop=0.1):
        super().__init__()
        self.hidden = [layers.Dense(h, kernel_initializer="he_normal") for h in hidden]
        self.norms = [layers.BatchNormalization() for _ in hidden]
        self.drop = layers.Dropout(drop)
        self.out = layers.Dense(1)

    def call(self, x, training=False):
        for dense, norm in zip(self.hidden, self.norms):
            x = self.drop(norm(F.relu(dense(x)), training=training), training=training)
        return self.out(x)  # logits


def main(epochs=30):
    bw.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 8)).astype(np.float32)
    y = ((x[:, 0] * x[:, 1] + x[:, 2]) > 0).astype(np.float32)[:, None]
    model = MLP()
    optimizer = bw.optimizers.Adam(1e-2)
    loss_fn = bw.losses.BinaryCrossentropy(from_logits=True)
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 64):
            idx = order[start:start + 64]
            loss = loss_fn(y[idx], model(x[idx], training=True))
            optimizer.minimize(loss, model.trainable_weights)
        if epoch % 10 == 9:
            with bw.no_grad():
                acc = ((model(x).data > 0) == y).mean()
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}, train accuracy {acc:.3f}")
    return acc


if __name__ == "__main__":
    main()
