"""U-Net segmentation of generated shapes against an Otsu-threshold baseline.

The images come from :func:`brickwork.datasets.segmentation_shapes`: one to three shapes on an illumination
ramp of random direction, brighter or darker than the background by a random contrast, with noise. A global
threshold cannot follow the ramp, so Otsu's method (one threshold per image, picked to maximise the
between-class variance of the grey levels) scores poorly, even when it is allowed to pick the better polarity
per image; a small U-Net (:func:`brickwork.applications.unet`) learns the shapes.

Both are scored by the Dice coefficient ``2|T ∩ P| / (|T| + |P|)`` pooled over the test pixels, and by
Keras's ``BinaryIoU``. The overlay figure shows test images with the true outline and the predicted mask.

Run: python examples/unet_shapes.py [--train 400] [--test 100] [--size 32] [--epochs 15] [--figure PATH]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from brickwork import metrics, optimizers
from brickwork.applications import unet
from brickwork.datasets import segmentation_shapes
from brickwork.metrics import dice_coefficient


def otsu_threshold(image: np.ndarray, nbins: int = 256) -> float:
    """Otsu's threshold of one grey image: the cut maximising ``w0 w1 (μ0 - μ1)²`` over a histogram
    (``skimage.filters.threshold_otsu`` when scikit-image is installed)."""
    try:
        from skimage.filters import threshold_otsu
    except ImportError:
        counts, edges = np.histogram(image.ravel(), bins=nbins)
        centres = (edges[:-1] + edges[1:]) / 2
        w0 = np.cumsum(counts)
        w1 = w0[-1] - w0
        m0 = np.cumsum(counts * centres) / np.maximum(w0, 1)
        m1 = ((counts * centres).sum() - np.cumsum(counts * centres)) / np.maximum(w1, 1)
        return float(centres[np.argmax(w0 * w1 * (m0 - m1) ** 2)])
    return float(threshold_otsu(image))


def otsu_masks(images: np.ndarray, masks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-image Otsu masks: ``image > t`` (bright objects) and, given the true ``masks``, the better of the two
    polarities per image (an oracle choice that flatters the baseline)."""
    bright = np.stack([img > otsu_threshold(img) for img in images]).astype(np.float32)
    if masks is None:
        return bright, bright
    best = bright.copy()
    for k in range(len(images)):
        if dice_coefficient(masks[k], 1 - bright[k]) > dice_coefficient(masks[k], bright[k]):
            best[k] = 1 - bright[k]
    return bright, best


def save_overlays(path: str, images: np.ndarray, masks: np.ndarray, pred: np.ndarray, otsu: np.ndarray,
                  count: int = 6) -> None:
    """A 3 × ``count`` grid: the image, the U-Net mask (red) and the Otsu mask (blue), with the true outline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, count, figsize=(2 * count, 6.4))
    for k in range(count):
        img, true = images[k, ..., 0], masks[k, ..., 0]
        for row, (overlay, colour, title) in enumerate(((None, None, "image"), (pred[k, ..., 0], (1, 0, 0), "U-Net"),
                                                        (otsu[k, ..., 0], (0, 0.4, 1), "Otsu"))):
            ax = axes[row, k]
            ax.imshow(img, cmap="gray", vmin=0, vmax=1)
            if overlay is not None:
                rgba = np.zeros(img.shape + (4,))
                rgba[..., :3], rgba[..., 3] = colour, 0.45 * overlay
                ax.imshow(rgba)
                ax.set_title(f"{title} Dice {dice_coefficient(true, overlay):.2f}", fontsize=8)
            else:
                ax.set_title(title, fontsize=8)
            ax.contour(true, levels=[0.5], colors="yellow", linewidths=0.8)
            ax.axis("off")
    fig.suptitle("U-Net vs Otsu on generated shapes (yellow: true outline)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(n_train: int = 400, n_test: int = 100, size: int = 32, epochs: int = 15, batch_size: int = 16,
         filters: tuple[int, ...] = (16, 32, 64), figure: str | None = "docs/figures/unet_overlays.png",
         seed: int = 0) -> dict:
    x_train, y_train = segmentation_shapes(n_train, size=size, seed=seed)
    x_test, y_test = segmentation_shapes(n_test, size=size, seed=seed + 1)

    start = time.time()
    model = unet((size, size, 1), num_classes=1, filters=filters)
    model.compile(optimizer=optimizers.Adam(learning_rate=3e-3), loss="binary_crossentropy",
                  metrics=[metrics.BinaryIoU(target_class_ids=[1], name="iou")])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                        validation_data=(x_test, y_test))
    seconds = time.time() - start
    prob = model.predict(x_test, batch_size=50, verbose=0)
    pred = (prob >= 0.5).astype(np.float32)

    otsu_bright, otsu_best = otsu_masks(x_test, y_test)
    iou = metrics.BinaryIoU(target_class_ids=[1])
    iou.update_state(y_test, prob)
    results = {
        "settings": {"n_train": n_train, "n_test": n_test, "size": size, "epochs": epochs, "batch_size": batch_size,
                     "filters": list(filters), "params": model.count_params(), "seed": seed},
        "train_seconds": seconds,
        "unet_dice": dice_coefficient(y_test, pred),
        "unet_dice_per_image": dice_coefficient(y_test, pred, per_sample=True),
        "unet_iou": iou.result(),
        "otsu_dice": dice_coefficient(y_test, otsu_bright),
        "otsu_best_polarity_dice": dice_coefficient(y_test, otsu_best),
        "val_loss": [float(v) for v in history.history.get("val_loss", [])],
    }
    print("| method | test Dice |\n|---|---|")
    print(f"| U-Net {filters}, {epochs} epochs ({seconds:.0f} s) | {results['unet_dice']:.3f} |")
    print(f"| Otsu (objects brighter) | {results['otsu_dice']:.3f} |")
    print(f"| Otsu (better polarity per image, oracle) | {results['otsu_best_polarity_dice']:.3f} |")
    if figure:
        save_overlays(figure, x_test, y_test, pred, otsu_best)
        results["figure"] = figure
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=400)
    parser.add_argument("--test", type=int, default=100)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--figure", default="docs/figures/unet_overlays.png")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    out = main(args.train, args.test, args.size, args.epochs, figure=args.figure)
    print(json.dumps({k: v for k, v in out.items() if k != "val_loss"}, indent=2))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(out, handle, indent=2)
