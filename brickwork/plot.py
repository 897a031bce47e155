"""Figures: training curves (seed 001), feature maps and convolution filters."""

from __future__ import annotations

import os
from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend (ImportError naming the extra if missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the extra
        raise ImportError("brickwork.plot needs matplotlib: pip install 'brickwork[plot]'") from err
    return plt


def save_figure(fig: Any, path: Any, dpi: int = 100) -> str:
    """Lay out, write atomically (never a half-written file) and close ``fig``; returns the path."""
    from brickwork.utils.io import atomic_write

    path = os.fspath(path)
    fig.tight_layout()
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format=os.path.splitext(path)[1][1:] or "png", dpi=dpi)
    pyplot().close(fig)
    return path


def _grid(images: Any, path: Any, title: str, cmap: str = "viridis") -> str:
    """Draw a list of 2-D arrays (or RGB ``(h, w, 3)``) as a near-square grid PNG."""
    import numpy as np

    plt = pyplot()
    count = len(images)
    cols = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.6 * rows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < count:
            ax.imshow(images[i], cmap=None if np.ndim(images[i]) == 3 else cmap, interpolation="nearest")
            ax.set_title(str(i), fontsize=7)
    fig.suptitle(title)
    return save_figure(fig, path)


def feature_maps(maps: Any, path: Any, sample: int = 0, max_maps: int = 64, title: str = "Feature maps") -> str:
    """Draw the channels of one sample's feature maps ``(batch, h, w, channels)`` (or
    ``(batch, steps, channels)``) as a grid PNG; see :func:`brickwork.utils.feature_maps`."""
    import numpy as np

    maps = np.asarray(maps)[sample]
    if maps.ndim == 2:  # a sequence: one row per channel
        maps = maps[None, :, :]
    return _grid([maps[..., c] for c in range(min(maps.shape[-1], max_maps))], path, title)


def filters(layer_or_kernel: Any, path: Any, input_channel: int | None = None, max_filters: int = 64) -> str:
    """Draw a convolution's filters as a grid PNG: one ``kh × kw`` image per filter
    (colour when the kernel has 3 input channels, else ``input_channel``, default 0)."""
    import numpy as np

    kernel = getattr(layer_or_kernel, "kernel", layer_or_kernel)
    kernel = np.asarray(getattr(kernel, "data", kernel))
    if kernel.ndim != 4:
        raise ValueError(f"filters() draws 2-D convolution kernels (kh, kw, in, out); got shape {kernel.shape}.")
    count = min(kernel.shape[-1], max_filters)
    if kernel.shape[2] == 3 and input_channel is None:
        lo, hi = kernel.min(), kernel.max()
        images = [(kernel[:, :, :, i] - lo) / (hi - lo + 1e-12) for i in range(count)]
    else:
        images = [kernel[:, :, input_channel or 0, i] for i in range(count)]
    return _grid(images, path, "Filters", cmap="gray")


def attention(weights: Any, path: Any, source: Any = None, target: Any = None,
              title: str = "Attention weights") -> str:
    """Draw one attention matrix ``(target steps, source steps)`` as a heat map PNG,
    labelled with the ``source``/``target`` tokens when given (seed 004's alignment figure)."""
    import numpy as np

    plt = pyplot()
    weights = np.asarray(getattr(weights, "data", weights))
    if weights.ndim != 2:
        raise ValueError(f"attention() draws a 2-D (target, source) matrix; got shape {weights.shape}.")
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * weights.shape[1] + 2), max(3, 0.35 * weights.shape[0] + 1.5)))
    image = ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0, vmax=max(float(weights.max()), 1e-12))
    if source is not None:
        ax.set_xticks(range(len(source)), [str(s) for s in source], fontsize=8)
    if target is not None:
        ax.set_yticks(range(len(target)), [str(t) for t in target], fontsize=8)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(title)
    fig.colorbar(image, ax=ax)
    return save_figure(fig, path)


def word_vectors(vectors: Any, words: list[str], path: Any, pairs: list[tuple[str, str]] | None = None,
                 title: str = "Word vectors projected by PCA") -> str:
    """Project the vectors of ``words`` onto their first two principal components and draw
    them, labelled, with an arrow for each ``(a, b)`` in ``pairs`` (seed 001's country →
    capital figure). ``vectors`` is a :class:`~brickwork.text.KeyedVectors`."""
    import numpy as np

    plt = pyplot()
    known = [w for w in words if w in vectors]
    if len(known) < 2:
        raise ValueError("word_vectors() needs at least two words that are in the vocabulary.")
    x = np.stack([vectors[w] for w in known]).astype(np.float64)
    x -= x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    xy = x @ vt[:2].T
    where = dict(zip(known, xy))
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.scatter(xy[:, 0], xy[:, 1], s=12)
    for w, (px, py) in where.items():
        ax.annotate(w, (px, py), fontsize=8, xytext=(3, 3), textcoords="offset points")
    for a, b in pairs or []:
        if a in where and b in where:
            ax.annotate("", xy=where[b], xytext=where[a], arrowprops={"arrowstyle": "->", "color": "#999"})
    ax.set_title(title)
    return save_figure(fig, path)


def _history_dict(history: Any) -> dict[str, list[float]]:
    return history.history if hasattr(history, "history") else dict(history)


def history(history: Any, path: Any = ".", metric: str | None = None) -> list[str]:
    """Draw seed 001's two figures as PNG files and return their paths.

    ``path`` is a folder (files ``loss.png`` and ``accuracy.png`` go in it) or
    a file prefix (``run1`` gives ``run1_loss.png`` and ``run1_accuracy.png``).
    The accuracy figure uses ``metric`` or the first of ``acc``/``accuracy``/
    any ``*accuracy`` key; it is skipped when there is none.
    """
    plt = pyplot()
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
        written.append(save_figure(fig, filename))
    return written


def _head_scores(scores: Any) -> Any:
    """``(heads, T, S)`` float array from ``(heads, T, S)`` or ``(batch, heads, T, S)`` (first sample)."""
    import numpy as np

    array = np.asarray(getattr(scores, "data", scores), dtype=np.float64)
    if array.ndim == 4:
        if array.shape[0] == 0:
            raise ValueError(f"attention_heads() got an empty batch: scores shape {array.shape}.")
        array = array[0]
    if array.ndim != 3 or 0 in array.shape:
        raise ValueError("attention_heads() draws scores of shape (heads, target, source) or "
                         f"(batch, heads, target, source), none empty; got shape {np.shape(scores)}.")
    return array


def _labels(values: Any, count: int, axis: str, shape: tuple[int, ...]) -> list[str] | None:
    if values is None:
        return None
    labels = [str(v) for v in values]
    if len(labels) != count:
        raise ValueError(f"attention_heads(): {len(labels)} {axis} tokens for scores of shape {shape} "
                         f"({count} {axis} steps).")
    return labels


def attention_heads_figure(scores: Any, tokens: Any = None, layer_name: str | None = None,
                           key_tokens: Any = None) -> Any:
    """The figure :func:`attention_heads` saves: one heat map per head on a near-square grid, all on
    one colour scale from 0 to the largest score, with a shared colour bar (so ``len(fig.axes)`` is
    ``heads + 1``). ``tokens`` label the query (row) axis and, unless ``key_tokens`` are given, the
    key (column) axis too, as in self-attention."""
    import numpy as np

    plt = pyplot()
    heads = _head_scores(scores)
    n_heads, target, source = heads.shape
    rows_labels = _labels(tokens, target, "query", heads.shape)
    cols_labels = _labels(key_tokens if key_tokens is not None else tokens, source, "key", heads.shape)
    cols = int(np.ceil(np.sqrt(n_heads)))
    rows = int(np.ceil(n_heads / cols))
    cell = max(2.2, 0.28 * max(target, source) + 1.0)
    fig = plt.figure(figsize=(cell * cols + 1.0, cell * rows + 0.6))
    grid = fig.add_gridspec(rows, cols + 1, width_ratios=[1.0] * cols + [0.06])
    vmax = max(float(heads.max()), 1e-12)
    image = None
    for i in range(n_heads):
        ax = fig.add_subplot(grid[i // cols, i % cols])
        image = ax.imshow(heads[i], cmap="viridis", aspect="auto", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"head {i}", fontsize=9)
        if cols_labels is not None:
            ax.set_xticks(range(source), cols_labels, fontsize=7, rotation=90)
        if rows_labels is not None:
            ax.set_yticks(range(target), rows_labels, fontsize=7)
    fig.colorbar(image, cax=fig.add_subplot(grid[:, cols]))
    fig.suptitle(f"Attention heads: {layer_name}" if layer_name else "Attention heads")
    fig.supxlabel("key (attended to)", fontsize=9)
    fig.supylabel("query", fontsize=9)
    return fig


def attention_heads(scores: Any, tokens: Any = None, layer_name: str | None = None,
                    path: Any = "attention_heads.png", key_tokens: Any = None) -> str:
    """Draw the attention scores of every head as a grid of heat maps and write it atomically.

    Args:
        scores: ``(heads, T, S)`` or ``(batch, heads, T, S)`` (the first sample is drawn), e.g. the
            scores ``MultiHeadAttention(..., return_attention_scores=True)`` returns.
        tokens: Labels of the ``T`` query steps, and of the ``S`` key steps unless ``key_tokens``.
        layer_name: Named in the title.
        path: The image file (its extension picks the format).
        key_tokens: Labels of the key steps, for cross-attention.

    Returns the path written. See :func:`attention_heads_figure` for the layout.
    """
    return save_figure(attention_heads_figure(scores, tokens, layer_name, key_tokens), path)


def position_similarity_figure(embeddings: Any, title: str = "Learned position embeddings") -> Any:
    r"""The figure :func:`position_similarity` saves: the cosine similarity of every pair of position vectors
    :math:`p_i, p_j`, :math:`S_{ij} = p_i \cdot p_j / (\lVert p_i \rVert \lVert p_j \rVert)`, as a heat map
    on the fixed scale [-1, 1] (the image's array is :math:`S`)."""
    import numpy as np

    table = getattr(embeddings, "position_embedding", embeddings)
    table = getattr(table, "position_embeddings", table)
    table = np.asarray(getattr(table, "data", table), dtype=np.float64)
    if table.ndim != 2:
        raise ValueError(f"position_similarity() needs a (positions, dim) table; got shape {table.shape}.")
    unit = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.6))
    image = ax.imshow(unit @ unit.T, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xlabel("position j")
    ax.set_ylabel("position i")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="cosine similarity")
    fig.tight_layout()
    return fig


def position_similarity(embeddings: Any, path: Any, title: str = "Learned position embeddings") -> str:
    """Save :func:`position_similarity_figure` as a PNG and return its path.

    ``embeddings`` is the ``(sequence_length, dim)`` table (an array, a Variable, or a ``PositionEmbedding`` /
    ``TokenAndPositionEmbedding`` layer). Trained tables usually show a bright band along the diagonal:
    neighbouring positions get similar vectors, which is how the model learns order.
    """
    return save_figure(position_similarity_figure(embeddings, title), path, dpi=120)
