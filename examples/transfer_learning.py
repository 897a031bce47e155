"""Transfer learning with real ImageNet weights: faces vs non-faces from scikit-image's ``lfw_subset``.

Three ways to the same small task (200 grey 25×25 images, 100 faces and 100 non-faces, resized to 64×64 with
the channel repeated three times), all on EfficientNet-Lite0:

1. **Off-the-shelf features + logistic regression**: the pretrained network without its top, global average
   pooled to 1280 numbers per image (computed once), then scikit-learn's ``LogisticRegression``; 5-fold CV.
2. **The keras-io fine-tuning recipe**: ``base.trainable = False``, ``base(x, training=False)``, a new
   ``Dense`` head trained on top (on the cached features: the frozen base gives the same numbers each epoch),
   then ``base.trainable = True``, re-compile with ``Adam(1e-5)`` and train the whole network briefly.
3. **The same architecture from scratch** (``weights=None``), trained end to end for more epochs than 2.

2 and 3 are scored on one stratified hold-out split (140 train, 60 test), 1 on it and by 5-fold CV.
Run: ``python examples/transfer_learning.py [--scratch-epochs 5] [--finetune-epochs 2]`` (about 6-8 minutes
on 2 CPU cores; needs scikit-image, scikit-learn and, for the first run only, torch to convert the weights).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from brickwork import layers, models, optimizers
from brickwork.applications import EfficientNetLite0
from brickwork.applications.imagenet_utils import preprocess_input

SIDE = 64


def load_faces(side: int = SIDE) -> tuple[np.ndarray, np.ndarray]:
    """``lfw_subset`` as ImageNet-normalised ``(200, side, side, 3)`` float32 images and 0/1 labels (1: face)."""
    from skimage.data import lfw_subset
    from skimage.transform import resize

    grey = lfw_subset()  # (200, 25, 25) in [0, 1]; the first 100 are faces
    big = np.stack([resize(im, (side, side), anti_aliasing=True) for im in grey])
    rgb = np.repeat(big[..., None], 3, axis=-1) * 255.0
    return preprocess_input(rgb), np.r_[np.ones(100, int), np.zeros(100, int)]


def classifier(base: models.Model, side: int = SIDE) -> models.Model:
    """The keras-io recipe's model: the base in inference mode, pooling, dropout, a 2-way softmax head."""
    inputs = layers.Input((side, side, 3))
    x = base(inputs, training=False)  # BatchNormalization stays in inference mode, even once unfrozen
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(2, activation="softmax", name="head")(x)
    return models.Model(inputs, outputs)


def accuracy(model: models.Model, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(model.predict(x, batch_size=20, verbose=0), axis=1) == y))


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch-epochs", type=int, default=5)
    parser.add_argument("--finetune-epochs", type=int, default=2)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split

    x, y = load_faces()
    train, test = train_test_split(np.arange(len(y)), test_size=60, stratify=y, random_state=0)
    print(f"Data: scikit-image's lfw_subset (skimage.data.lfw_subset, shipped with scikit-image): {len(y)} images "
          f"({int(y.sum())} faces, {int((y == 0).sum())} non-faces) resized to {x.shape[1]}x{x.shape[2]}x{x.shape[3]}; "
          f"{len(train)} training / {len(test)} test, stratified split seed 0", flush=True)
    results: dict[str, float] = {}

    t0 = time.time()
    base = EfficientNetLite0(weights="imagenet", include_top=False, pooling="avg", input_shape=(SIDE, SIDE, 3))
    features = base.predict(x, batch_size=20, verbose=0)  # computed once: the frozen base never changes
    logreg = LogisticRegression(C=1.0, max_iter=5000)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    results["features+logreg 5-fold"] = float(cross_val_score(logreg, features, y, cv=folds).mean())
    results["features+logreg hold-out"] = float(logreg.fit(features[train], y[train]).score(features[test], y[test]))
    print(f"features: {time.time() - t0:.0f} s")

    # 2. the recipe: frozen base, new head (trained on the cached features), then unfreeze with a small rate
    t0 = time.time()
    base.trainable = False
    model = classifier(base)
    head = models.Sequential([layers.Input((1280,)), model.layers[-2], model.get_layer("head")])
    head.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    head.fit(features[train], y[train], epochs=60, batch_size=20, verbose=0)
    model.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    results["frozen base + new head"] = accuracy(model, x[test], y[test])
    base.trainable = True
    model.compile(optimizer=optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")  # re-compile!
    model.fit(x[train], y[train], epochs=args.finetune_epochs, batch_size=20, verbose=0)
    results[f"fine-tuned ({args.finetune_epochs} epochs at 1e-5)"] = accuracy(model, x[test], y[test])
    print(f"fine-tuning: {time.time() - t0:.0f} s")

    # 3. the same architecture from scratch
    t0 = time.time()
    scratch = classifier(EfficientNetLite0(weights=None, include_top=False, pooling="avg",
                                           input_shape=(SIDE, SIDE, 3)))
    scratch.compile(optimizer=optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    scratch.fit(x[train], y[train], epochs=args.scratch_epochs, batch_size=20, verbose=0, shuffle=True)
    results[f"from scratch ({args.scratch_epochs} epochs at 1e-3)"] = accuracy(scratch, x[test], y[test])
    print(f"from scratch: {time.time() - t0:.0f} s")

    for name, value in results.items():
        print(f"{name:40s} accuracy {value:.3f}")
    return results


if __name__ == "__main__":
    main()
