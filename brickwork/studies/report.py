"""A study's report folder: ``report.md`` and the self-contained ``report.html`` (the same text: the
verdict first, the definitions of the metrics, tables, figures), ``metrics.json``, the figures as PNG,
the saved model. Every file is written atomically."""

from __future__ import annotations

import json
import os
import textwrap
from typing import Any

from brickwork.utils.io import atomic_write


def calibration_section(report: Report, y_val: Any, p_val: Any, y_test: Any, p_test: Any) -> dict[str, Any]:
    """Calibration of a binary classifier on the test split, before and after Platt / isotonic recalibration
    fitted on the validation split only: Brier, ECE, the reliability by decile and a reliability diagram.
    Returns the figures for ``metrics.json``."""
    import numpy as np

    from brickwork.calibration import (
        IsotonicCalibration,
        PlattScaling,
        brier_score,
        expected_calibration_error,
    )

    platt = PlattScaling(on="probabilities").fit(p_val, y_val)
    isotonic = IsotonicCalibration(on="probabilities").fit(p_val, y_val)
    variants = {"as trained": np.asarray(p_test, np.float64), "Platt scaling": platt.transform(p_test),
                "isotonic regression": isotonic.transform(p_test)}
    rows, out = [], {"platt": {"a": platt.a_, "b": platt.b_}}
    for name, p in variants.items():
        figures = {"brier": brier_score(y_test, p), "ece_15_uniform": expected_calibration_error(y_test, p, 15),
                   "ece_10_quantile": expected_calibration_error(y_test, p, 10, "quantile"),
                   "mean_probability": float(np.mean(p))}
        out[name] = figures
        rows.append([name, f"{figures['brier']:.4f}", f"{figures['ece_15_uniform']:.4f}",
                     f"{figures['ece_10_quantile']:.4f}", f"{figures['mean_probability']:.2%}"])
    report.text(f"**Calibration** on the test split (observed default rate {np.mean(y_test):.2%}); the "
                "recalibrators are fitted on the validation split only. ECE: the count-weighted mean gap "
                "between predicted probability and observed default rate over 15 equal-width bins, and over "
                "deciles of the score.")
    report.table(["probabilities", "Brier", "ECE (15 bins)", "ECE (deciles)", "mean predicted"], rows)
    base = variants["as trained"]
    y_arr = np.asarray(y_test, np.float64).reshape(-1)
    decile = np.searchsorted(np.percentile(base, np.linspace(0, 100, 11))[1:-1], base)   # as reliability_curve
    groups = [np.flatnonzero(decile == k) for k in range(10) if np.any(decile == k)]
    observed = np.array([y_arr[g].mean() for g in groups])
    predicted = {name: np.array([p[g].mean() for g in groups]) for name, p in variants.items()}
    decile_rows = [[k + 1, len(g), f"{observed[k]:.2%}"] + [f"{predicted[n][k]:.2%}" for n in variants]
                   for k, g in enumerate(groups)]
    report.text("Reliability by decile of the trained model's score (the same applicants in every column):")
    report.table(["decile", "applicants", "observed default rate"] + [f"mean predicted ({n})" for n in variants],
                 decile_rows)
    out["deciles"] = {"observed": observed.tolist(), **{n: v.tolist() for n, v in predicted.items()}}

    def draw(ax: Any) -> None:
        top = float(max(observed.max(), *(v.max() for v in predicted.values()))) * 1.1
        ax.plot([0, top], [0, top], "--", color="gray", label="perfectly calibrated")
        for name, values in predicted.items():
            ax.plot(values, observed, "o-", markersize=4, label=name)
        ax.set_xlim(0, min(1.0, top))
        ax.set_ylim(0, min(1.0, top))
        ax.set_xlabel("mean predicted probability of default (decile of the score)")
        ax.set_ylabel("observed default rate")
        ax.legend(fontsize=7)

    report.figure("reliability.png", "Reliability by decile on the test split, before and after recalibration",
                  draw)
    return out


def reason_section(report: Report, ids: Any, scores: Any, outcomes: Any, reasons: list[list[Any]]) -> None:
    """A table of sample applicants with their score and top reason codes."""
    report.text("**Reason codes** for sample test applicants (the three riskiest and the median one): the "
                "features that pushed the default probability most above the reference applicant's (the "
                "median non-defaulter of the training split), by integrated gradients; each value is that "
                "feature's share of the difference in probability.")
    rows = []
    for i, score, outcome, row in zip(ids, scores, outcomes, reasons):
        cells = [f"{r.text} ({r.attribution:+.3f})" for r in row] + [""] * (4 - len(row))
        rows.append([i, f"{score:.3f}", "default" if outcome else "repaid", *cells[:4]])
    report.table(["applicant", "score", "outcome", "reason 1", "reason 2", "reason 3", "reason 4"], rows)


def mean_std(values: list[float]) -> str:
    """``"mean ± sample std"`` over seeds, or just the value (``"(1 seed)"``) when there is one."""
    import numpy as np

    if len(values) == 1:
        return f"{values[0]:.4f} (1 seed)"
    return f"{np.mean(values):.4f} ± {np.std(values, ddof=1):.4f}"


def wrap_title(title: str, width: int = 62) -> str:
    """``title`` broken into lines of at most ``width`` characters (a figure title that fits its figure);
    its own line breaks are kept."""
    return "\n".join(textwrap.fill(line, width) for line in title.split("\n"))


class Report:
    """Collect the verdict, definitions, sections, tables and figures; :meth:`write` renders them into
    ``report.md`` and ``report.html`` (same text) in ``out``.

    ``blocks`` holds the body in order as tuples: ``("text", markdown)``, ``("heading", level, text)``,
    ``("table", header, rows)``, ``("figure", file name, caption)`` and ``("definitions", [(term, text)])``;
    ``verdicts`` the verdict paragraphs, which both files show first.
    """

    def __init__(self, title: str, out: str) -> None:
        self.title, self.out = title, out
        self.blocks: list[tuple[Any, ...]] = []
        self.verdicts: list[str] = []
        self.metrics: dict[str, Any] = {}
        os.makedirs(out, exist_ok=True)

    def text(self, paragraph: str) -> None:
        """A paragraph of Markdown (``**bold**``, ``*italic*``, ``code`` in backticks, ``#`` headings)."""
        self.blocks.append(("text", paragraph.strip()))

    def heading(self, text: str, level: int = 2) -> None:
        """A section heading (level 2 or 3)."""
        self.blocks.append(("heading", level, text))

    def verdict(self, paragraph: str) -> None:
        """A verdict paragraph: shown at the top of both reports, under "Verdict"."""
        self.verdicts.append(paragraph.strip())

    def definitions(self, terms: dict[str, str]) -> None:
        """Define every metric and interval the report uses (``{term: definition}``)."""
        self.blocks.append(("definitions", list(terms.items())))

    def table(self, header: list[str], rows: list[list[Any]]) -> None:
        """A table: ``header`` names the columns, each row gives one value per column (shown as ``str``)."""
        self.blocks.append(("table", [str(h) for h in header], [[str(v) for v in row] for row in rows]))

    def figure(self, name: str, caption: str, draw: Any, panels: int = 1, ncols: int = 2,
               figsize: tuple[float, float] | None = None) -> bool:
        """Draw into ``name`` (PNG) when matplotlib is installed: ``draw(ax)``, or ``draw(axes)`` (a list)
        when ``panels > 1`` (laid out ``ncols`` wide). The caption is the figure's title, wrapped to fit;
        the whole figure, title and legends included, is saved (nothing is cut off). False if skipped."""
        from brickwork.plot import pyplot
        from brickwork.utils.io import atomic_write

        try:
            plt = pyplot()
        except ImportError:
            self.text(f"*(figure '{caption}' skipped: matplotlib is not installed)*")
            return False
        cols = min(ncols, panels)
        rows = -(-panels // cols)
        size = figsize or (6.4 if cols == 1 else 5.2 * cols, 4.2 if rows == 1 else 3.6 * rows)
        fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, layout="constrained")
        flat = list(axes.ravel())
        for ax in flat[panels:]:
            ax.set_visible(False)
        draw(flat[0] if panels == 1 else flat[:panels])
        fig.suptitle(wrap_title(caption, int(12 * size[0])), fontsize=11)
        with atomic_write(os.path.join(self.out, name), "wb") as handle:
            fig.savefig(handle, format="png", dpi=110, bbox_inches="tight", pad_inches=0.15)
        plt.close(fig)
        self.blocks.append(("figure", name, caption))
        return True

    def lines(self, name: str, caption: str, series: dict[str, Any], xlabel: str, ylabel: str = "") -> bool:
        """A line figure: ``series`` maps a label to ``y`` values or to an ``(x, y)`` pair; labels ending
        in ``"(dashed)"`` are drawn dashed (the suffix is dropped)."""
        return self.panels(name, caption, {"": series}, xlabel, ylabel)

    def panels(self, name: str, caption: str, panels: dict[str, dict[str, Any]], xlabel: str, ylabel: str = "",
               ncols: int = 2) -> bool:
        """Line figures, one panel per entry of ``panels`` (panel title → series as in :meth:`lines`), each
        with its own y scale."""
        def draw_one(ax: Any, title: str, series: dict[str, Any]) -> None:
            for label, values in series.items():
                x, y = values if isinstance(values, tuple) else (range(1, len(values) + 1), values)
                dashed = label.endswith("(dashed)")
                label = label.removesuffix("(dashed)").strip()
                ax.plot(x, y, "--" if dashed else "-", label=label, linewidth=1.2,
                        color="gray" if label.startswith("chance") else None)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            if title:
                ax.set_title(wrap_title(title, 48), fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)

        items = list(panels.items())

        def draw(axes: Any) -> None:
            for ax, (title, series) in zip(axes if len(items) > 1 else [axes], items):
                draw_one(ax, title, series)

        return self.figure(name, caption, draw, panels=len(items), ncols=ncols)

    @property
    def parts(self) -> list[str]:
        """The Markdown of the report, one string per block (the title and verdict first)."""
        from brickwork.studies.html_report import markdown_blocks

        return markdown_blocks(self)

    def write(self) -> str:
        """Write ``report.md``, ``report.html`` and ``metrics.json``; returns the path of ``report.md``."""
        from brickwork.studies.html_report import render_html

        path = os.path.join(self.out, "report.md")
        with atomic_write(path, "wb") as handle:
            handle.write("\n".join(self.parts).encode("utf-8"))
        with atomic_write(os.path.join(self.out, "report.html"), "wb") as handle:
            handle.write(render_html(self).encode("utf-8"))
        with atomic_write(os.path.join(self.out, "metrics.json"), "w") as handle:
            json.dump(self.metrics, handle, indent=2, default=_json_default)
        return path


def _json_default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    return float(value)
