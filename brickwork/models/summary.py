"""``model.summary()`` in Keras 3's table format."""

from __future__ import annotations

from typing import Any

from brickwork.layers.input_layer import InputLayer


def _fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def shape_str(layer: Any, model: Any) -> str:
    try:
        if isinstance(layer, InputLayer):
            return str(layer.batch_shape)
        nodes = [n for n in layer._inbound_nodes if not model_nodes(model) or id(n) in model_nodes(model)]
        if not nodes:
            return "?"
        outs = [t.shape for t in nodes[0].outputs]
        return str(outs[0]) if len(outs) == 1 else str(outs)
    except AttributeError:
        return "?"


def model_nodes(model: Any) -> set[int]:
    nodes = getattr(model, "_nodes", None)
    return {id(n) for n in nodes} if nodes else set()


def print_summary(model: Any, line_length: int | None = None, print_fn: Any = None,
                  show_trainable: bool = False) -> None:
    out = print_fn or print
    from brickwork.models.functional import Functional

    functional = isinstance(model, Functional)
    layers = model.operations if functional else model.layers  # Keras lists a graph's ops too
    rows = []
    for layer in layers:
        params = sum(v.size for v in layer.weights) if layer.built else 0
        label = getattr(layer, "class_label", type(layer).__name__)
        row = [f"{layer.name} ({label})", shape_str(layer, model), f"{params:,}"]
        if functional:
            node = next((n for n in layer._inbound_nodes if id(n) in model_nodes(model)), None)
            sources = []
            if node is not None:
                for t in node.input_tensors:
                    src, ni, ti = t._history
                    sources.append(f"{src.name}[{ni}][{ti}]")
            row.append(", ".join(sources) if sources else "-")
        rows.append(row)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else [])
    widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 if rows else len(h) + 2 for i, h in enumerate(headers)]
    widths[0] = max(widths[0], 33)
    widths[1] = max(widths[1], 24)
    widths[2] = max(widths[2], 15)

    def line(left: str, mid: str, right: str, fill: str) -> str:
        return left + mid.join(fill * w for w in widths) + right

    def cells(values: list[str], sep: str = "│") -> str:
        parts = []
        for i, (v, w) in enumerate(zip(values, widths)):
            parts.append(" " + (v.rjust(w - 2) if i == 2 else v.ljust(w - 2)) + " ")
        return sep + sep.join(parts) + sep

    out(f'Model: "{model.name}"')
    out(line("┏", "┳", "┓", "━"))
    out(cells(headers, "┃"))
    out(line("┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        out(cells(row))
        if i < len(rows) - 1:
            out(line("├", "┼", "┤", "─"))
    out(line("└", "┴", "┘", "─"))
    weights = model.weights
    trainable_ids = {id(v) for v in model.trainable_weights}
    total = sum(v.size for v in weights)
    trainable = sum(v.size for v in weights if id(v) in trainable_ids)
    total_b = sum(v.data.nbytes for v in weights)
    trainable_b = sum(v.data.nbytes for v in weights if id(v) in trainable_ids)
    out(f" Total params: {total:,} ({_fmt_bytes(total_b)})")
    out(f" Trainable params: {trainable:,} ({_fmt_bytes(trainable_b)})")
    out(f" Non-trainable params: {total - trainable:,} ({_fmt_bytes(total_b - trainable_b)})")
