"""Figures for attributions: a heat map over an image and a bar chart of feature attributions (PNG)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from brickwork.explain.spatial import resize_maps


def _as_image(image: Any) -> np.ndarray:
    img = np.asarray(image, np.float64)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] not in (3, 4)):
        raise ValueError(f"plot_heatmap: image must be (h, w), (h, w, 1) or (h, w, 3); got shape {img.shape}.")
    span = img.max() - img.min()
    return (img - img.min()) / span if span > 0 else np.zeros_like(img)


def plot_heatmap(image: Any, attribution: Any, path: Any, alpha: float = 0.5, cmap: str = "jet",
                 title: str | None = None, signed: bool = False) -> str:
    """Overlay ``attribution`` on ``image`` and save a PNG; returns the path.

    ``attribution`` is an ``(h, w)`` map (Grad-CAM's), or ``(h, w, c)`` (a saliency or integrated-gradients
    map: summed over channels); a map of another size is resized to the image bilinearly. With
    ``signed=True`` the map is drawn on a diverging scale centred on zero, else its absolute value is shown.
    """
    from brickwork.plot import pyplot, save_figure

    img = _as_image(image)
    att = np.asarray(attribution, np.float64)
    if att.ndim == 3:
        att = att.sum(axis=-1)
    if att.ndim != 2:
        raise ValueError(f"plot_heatmap: attribution must be (h, w) or (h, w, c); got shape {att.shape}.")
    if att.shape != img.shape[:2]:
        att = resize_maps(att[None], img.shape[:2], "bilinear")[0]
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
    for ax in axes:
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.axis("off")
    axes[0].set_title("input")
    if signed:
        bound = float(np.abs(att).max()) or 1.0
        shown = axes[1].imshow(att, cmap="RdBu_r", vmin=-bound, vmax=bound, alpha=alpha)
    else:
        shown = axes[1].imshow(np.abs(att), cmap=cmap, alpha=alpha)
    axes[1].set_title(title or "attribution")
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04)
    return save_figure(fig, path, dpi=110)


def plot_attributions(values: Any, names: Sequence[str] | None, path: Any, k: int | None = None,
                      title: str | None = None, xlabel: str = "attribution") -> str:
    """Horizontal bar chart of feature attributions (the ``k`` largest in absolute value), saved as PNG."""
    from brickwork.plot import pyplot, save_figure

    vals = np.asarray(values, np.float64).reshape(-1)
    labels = list(names) if names is not None else [f"x{j}" for j in range(vals.size)]
    if len(labels) != vals.size:
        raise ValueError(f"plot_attributions: {len(labels)} names for {vals.size} values.")
    order = np.argsort(-np.abs(vals))[: (k or vals.size)][::-1]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(order) + 1.2))
    ax.barh([labels[i] for i in order], vals[order], color=["tab:red" if vals[i] < 0 else "tab:blue" for i in order])
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    return save_figure(fig, path, dpi=110)
