"""A study's report folder: ``report.md`` (tables, figures, plain-language verdicts), ``metrics.json``,
figures, the saved model. Every file is written atomically."""

from __future__ import annotations

import json
import os
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
