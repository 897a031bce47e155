"""Explaining a small digits convnet: saliency, integrated gradients, Grad-CAM, occlusion, activation maximisation.

scikit-learn's 8×8 handwritten digits (stratified 80/20 split); a two-convolution network with a
GlobalAveragePooling + Dense head trained for a few epochs with Adam. For four test digits the figure shows
the input and each method's map for the predicted class; a second figure shows, for each class, the input
found by gradient ascent on that class's score. The integrated gradients' completeness gap
(|Σ IG − (f(x) − f(0))| / |f(x) − f(0)|) is printed.

Run: python examples/explain_digits.py [--epochs 15] [--out docs/figures]
"""

import argparse
import os

import numpy as np

import brickwork as bw
from brickwork import explain, layers, models
from brickwork.datasets import load_digits_split
from brickwork.plot import pyplot, save_figure


def build():
    return models.Sequential([
        layers.Input((8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
        layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(10, activation="softmax", name="classes"),
    ])


def main(epochs=15, out="docs/figures", n_show=4):
    bw.set_seed(0)
    x_train, x_test, y_train, y_test = load_digits_split()
    print(f"Data: scikit-learn's 8x8 digits (sklearn.datasets.load_digits via brickwork.datasets.load_digits_split), "
          f"{len(x_train):,} training / {len(x_test):,} test images, stratified split seed 0", flush=True)
    x_train, x_test = x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1)
    model = build()
    model.compile(optimizer=bw.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
    accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])

    x = x_test[:n_show].astype(np.float32)
    ig_options = {"n_steps": 512, "internal_batch_size": 1024}  # ReLU kinks: many steps for 1e-3 completeness
    maps = {
        "saliency": explain.saliency(model, x)[..., 0],
        "integrated gradients": explain.integrated_gradients(model, x, **ig_options)[..., 0],
        "Grad-CAM (conv2)": explain.grad_cam(model, x, layer="conv2"),
        "occlusion 2×2": explain.occlusion(model, x, sliding_window_shapes=(2, 2, 1))[..., 0],
    }
    _, delta = explain.integrated_gradients(model, x, return_convergence_delta=True, **ig_options)
    probs = model.predict(x, verbose=0)
    gap = probs.max(axis=1) - model.predict(np.zeros_like(x), verbose=0)[np.arange(n_show), probs.argmax(axis=1)]
    completeness = float(np.max(np.abs(delta) / np.abs(gap)))

    os.makedirs(out, exist_ok=True)
    plt = pyplot()
    fig, axes = plt.subplots(n_show, len(maps) + 1, figsize=(2.1 * (len(maps) + 1), 2.2 * n_show), squeeze=False)
    for i in range(n_show):
        axes[i, 0].imshow(x[i, ..., 0], cmap="gray_r")
        axes[i, 0].set_title(f"label {y_test[i]}, predicted {probs[i].argmax()}", fontsize=8)
        for j, (name, m) in enumerate(maps.items(), start=1):
            bound = float(np.abs(m[i]).max()) or 1.0
            signed = name.startswith(("integrated", "occlusion"))
            axes[i, j].imshow(m[i], cmap="RdBu_r" if signed else "inferno",
                              vmin=-bound if signed else 0, vmax=bound)
            axes[i, j].set_title(name, fontsize=8)
    for ax in axes.ravel():
        ax.axis("off")
    paths = [save_figure(fig, os.path.join(out, "explain_digits.png"), dpi=110)]

    fig, axes = plt.subplots(1, 10, figsize=(15, 1.9))
    start = x_train.mean(axis=0, keepdims=True).astype(np.float32)  # the average digit
    for c in range(10):
        img = explain.activation_maximization(model, unit=c, steps=60, lr=0.05, l2=1e-2, blur_every=4,
                                              blur_sigma=0.5, jitter=1, seed=c, x0=start, normalize=True,
                                              clip=(0.0, 1.0))
        axes[c].imshow(img[0, ..., 0], cmap="gray_r", vmin=0.0, vmax=1.0)
        axes[c].set_title(f"class {c}", fontsize=8)
        axes[c].axis("off")
    paths.append(save_figure(fig, os.path.join(out, "explain_digits_maximization.png"), dpi=110))
    print(f"test accuracy {accuracy:.4f}; integrated-gradients completeness gap {completeness:.2e} (relative)")
    return {"accuracy": accuracy, "completeness": completeness, "figures": paths}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default="docs/figures")
    args = parser.parse_args()
    main(args.epochs, args.out)
