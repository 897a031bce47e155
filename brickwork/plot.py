"""Training curves (seed 001): training vs validation loss, and training vs validation accuracy."""

from __future__ import annotations

import os
from typing import Any


def _history_dict(history: Any) -> dict[str, list[float]]:
    return history.history if hasattr(history, "history") else dict(history)


def history(history: Any, path: Any = ".", metric: str | None = None) -> list[str]:
    """Draw seed 001's two figures as PNG files and return their paths.

    ``path`` is a folder (files ``loss.png`` and ``accuracy.png`` go in it) or
    a file prefix (``run1`` gives ``run1_loss.png`` and ``run1_accuracy.png``).
    The accuracy figure uses ``metric`` or the first of ``acc``/``accuracy``/
    any ``*accuracy`` key; it is skipped when there is none.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the extra
        raise ImportError("brickwork.plot needs matplotlib: pip install 'brickwork[plot]'") from err
    hist = _history_dict(history)
    if "loss" not in hist:
        raise ValueError(f"The history has no 'loss' key; keys are {sorted(hist)}.")
    path = os.fspath(path)
    if os.path.isdir(path) or path.endswith(os.sep):
        os.makedirs(path, exist_ok=True)
        prefix = os.path.join(path, "")
        names = (prefix + "loss.png", prefix + "accuracy.png")
    else:
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        names = (f"{path}_loss.png", f"{path}_accuracy.png")
    if metric is None:
        metric = next((k for k in ("acc", "accuracy") if k in hist), None) or next(
            (k for k in hist if k.endswith("accuracy") and not k.startswith("val_")), None)
    written = []
    figures = [("loss", "Training and validation loss", "Loss", names[0])]
    if metric is not None:
        figures.append((metric, "Training and validation accuracy", "Accuracy", names[1]))
    for key, title, ylabel, filename in figures:
        values = hist[key]
        epochs = range(1, len(values) + 1)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(epochs, values, "bo", label=f"Training {ylabel.lower()}")
        if f"val_{key}" in hist:
            ax.plot(epochs, hist[f"val_{key}"], "b", label=f"Validation {ylabel.lower()}")
        ax.set_title(title)
        ax.set_xlabel("Epochs")
        ax.set_ylabel(ylabel)
        ax.legend()
        fig.tight_layout()
        fig.savefig(filename, dpi=100)
        plt.close(fig)
        written.append(filename)
    return written
