"""Layer-graph drawing with matplotlib: boxes per layer in rows by depth, arrows for connections."""

from __future__ import annotations

from typing import Any


def _graph(model: Any) -> tuple[list[Any], list[tuple[int, int]]]:
    """(layers, edges) in display order."""
    layers = list(model.layers)
    if getattr(model, "_input_layer", None) is not None and model._input_layer not in layers:
        layers = [model._input_layer] + layers
    index = {id(layer): i for i, layer in enumerate(layers)}
    edges: list[tuple[int, int]] = []
    nodes = getattr(model, "_nodes", None)
    if nodes:
        for node in nodes:
            for t in node.input_tensors:
                src = t._history[0]
                if id(src) in index and id(node.layer) in index:
                    edges.append((index[id(src)], index[id(node.layer)]))
    else:  # Sequential or subclassed: a chain
        edges = [(i, i + 1) for i in range(len(layers) - 1)]
    return layers, edges


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = True, show_layer_names: bool = True,
               dpi: int = 96) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import FancyBboxPatch
    except ImportError as err:  # pragma: no cover - depends on the extra
        raise ImportError("plot_model needs matplotlib: pip install 'brickwork[plot]'") from err
    from brickwork.models.summary import shape_str

    layers, edges = _graph(model)
    depth = [0] * len(layers)
    for _ in range(len(layers)):
        for a, b in edges:
            depth[b] = max(depth[b], depth[a] + 1)
    rows: dict[int, list[int]] = {}
    for i, d in enumerate(depth):
        rows.setdefault(d, []).append(i)
    width = max(len(r) for r in rows.values())
    pos = {}
    for d, members in rows.items():
        for k, i in enumerate(members):
            pos[i] = ((k + 0.5) * width / len(members), -d)
    fig, ax = plt.subplots(figsize=(max(4, 3.2 * width), max(2, 1.1 * len(rows))))
    for a, b in edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", xy=(x1, y1 + 0.28), xytext=(x0, y0 - 0.28),
                    arrowprops={"arrowstyle": "->", "color": "#444"})
    for i, layer in enumerate(layers):
        x, y = pos[i]
        kind = getattr(layer, "class_label", type(layer).__name__)
        label = f"{layer.name} ({kind})" if show_layer_names else kind
        if show_shapes:
            label += f"\n{shape_str(layer, model)}"
        ax.add_patch(FancyBboxPatch((x - 1.3, y - 0.28), 2.6, 0.56, boxstyle="round,pad=0.02",
                                    fc="#e8f0fe", ec="#3367d6"))
        ax.text(x, y, label, ha="center", va="center", fontsize=8)
    ax.set_xlim(-1.5, width + 1.5)
    ax.set_ylim(-max(depth) - 0.8, 0.8)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(to_file, dpi=dpi)
    plt.close(fig)
    return to_file
