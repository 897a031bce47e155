"""A study's report folder: ``report.md`` (tables, figures, plain-language verdicts), ``metrics.json``,
figures, the saved model. Every file is written atomically."""

from __future__ import annotations

import json
import os
from typing import Any

from brickwork.utils.io import atomic_write


def mean_std(values: list[float]) -> str:
    import numpy as np

    return f"{np.mean(values):.4f} ± {np.std(values, ddof=1) if len(values) > 1 else 0.0:.4f}"


class Report:
    """Collect Markdown sections, tables and figures; :meth:`write` puts them in ``out``."""

    def __init__(self, title: str, out: str) -> None:
        self.title, self.out = title, out
        self.parts: list[str] = [f"# {title}\n"]
        self.metrics: dict[str, Any] = {}
        os.makedirs(out, exist_ok=True)

    def text(self, paragraph: str) -> None:
        self.parts.append(paragraph.strip() + "\n")

    def table(self, header: list[str], rows: list[list[Any]]) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
        self.parts.append("\n".join(lines) + "\n")

    def figure(self, name: str, caption: str, draw: Any) -> None:
        """Draw with ``draw(ax)`` into ``name`` (PNG) when matplotlib is installed."""
        from brickwork.plot import pyplot, save_figure

        try:
            plt = pyplot()
        except ImportError:
            self.text(f"*(figure '{caption}' skipped: matplotlib is not installed)*")
            return
        fig, ax = plt.subplots(figsize=(6, 4))
        draw(ax)
        save_figure(fig, os.path.join(self.out, name), dpi=110)
        self.parts.append(f"![{caption}]({name})\n\n*{caption}*\n")

    def lines(self, name: str, caption: str, series: dict[str, Any], xlabel: str, ylabel: str = "") -> None:
        """A line figure: ``series`` maps a label to ``y`` values or to an ``(x, y)`` pair; labels ending
        in ``"(dashed)"`` are drawn dashed (the suffix is dropped)."""
        def draw(ax: Any) -> None:
            for label, values in series.items():
                x, y = values if isinstance(values, tuple) else (range(len(values)), values)
                dashed = label.endswith("(dashed)")
                ax.plot(x, y, "--" if dashed else "-", label=label.removesuffix("(dashed)").strip())
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.legend(fontsize=7)

        self.figure(name, caption, draw)

    def write(self) -> str:
        path = os.path.join(self.out, "report.md")
        with atomic_write(path, "w") as handle:
            handle.write("\n".join(self.parts))
        with atomic_write(os.path.join(self.out, "metrics.json"), "w") as handle:
            json.dump(self.metrics, handle, indent=2, default=float)
        return path
