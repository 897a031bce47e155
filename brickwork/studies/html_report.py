"""Render a :class:`~brickwork.studies.report.Report` as Markdown (``report.md``) and as one self-contained
HTML page (``report.html``): the same text, the verdict first, tables as HTML tables and the figures
embedded as base64 PNG, so the single file can be mailed to a colleague. Every string from the report is
escaped with :func:`html.escape`; the small Markdown subset the studies write (``**bold**``, ``*italic*``,
backtick code, ``#`` headings, ``-`` lists) is converted after escaping.
"""

from __future__ import annotations

import base64
import datetime
import html
import os
import re
from typing import Any

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #1d2330;
       background: #fff; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6em; margin: 0 0 12px; }
h2 { font-size: 1.25em; margin: 28px 0 8px; border-bottom: 1px solid #dde2ea; padding-bottom: 4px; }
h3 { font-size: 1.08em; margin: 22px 0 6px; }
.verdict { background: #f3f7ff; border-left: 5px solid #2f6fdb; padding: 4px 18px 8px; margin: 12px 0 20px; }
.verdict h2 { border: none; margin-top: 10px; }
table { border-collapse: collapse; margin: 10px 0 16px; font-size: 0.92em; }
th, td { border: 1px solid #cfd6e0; padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
tbody tr:nth-child(even) { background: #f8f9fb; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
figure { margin: 14px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e7ee; }
figcaption { font-size: 0.9em; color: #4a5468; margin-top: 4px; }
dl { margin: 6px 0 14px; }
dt { font-weight: 600; margin-top: 6px; }
dd { margin: 2px 0 0 18px; }
code { background: #f1f3f6; padding: 0 3px; border-radius: 3px; font-size: 0.92em; }
footer { margin-top: 36px; font-size: 0.82em; color: #6b7486; }
"""


def inline(text: str) -> str:
    """Escape ``text`` for HTML, then turn backtick code, ``**bold**`` and ``*italic*`` into tags."""
    pieces = str(text).split("`")
    out = []
    for k, piece in enumerate(pieces):
        escaped = html.escape(piece, quote=True)
        if k % 2 == 1 and k < len(pieces) - 1:
            out.append(f"<code>{escaped}</code>")
            continue
        if k % 2 == 1:                                        # an unmatched backtick: keep it literally
            escaped = "`" + escaped
        escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
        escaped = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", escaped)
        out.append(escaped)
    return "".join(out)


def _text_html(markdown: str) -> str:
    out = []
    for paragraph in re.split(r"\n\s*\n", markdown.strip()):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        while lines and lines[0].startswith("#"):
            level = min(len(lines[0]) - len(lines[0].lstrip("#")) + 1, 4)
            out.append(f"<h{level}>{inline(lines.pop(0).lstrip('#').strip())}</h{level}>")
        if lines and all(line.startswith("- ") for line in lines):
            out.append("<ul>" + "".join(f"<li>{inline(line[2:])}</li>" for line in lines) + "</ul>")
        elif lines:
            out.append(f"<p>{inline(' '.join(lines))}</p>")
    return "\n".join(out)


def _cell_md(value: str) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_blocks(report: Any) -> list[str]:
    """The Markdown of ``report``, one string per block: title, verdict, then the body in order."""
    parts = [f"# {report.title}\n"]
    if report.verdicts:
        parts.append("## Verdict\n")
        parts += [f"{paragraph}\n" for paragraph in report.verdicts]
    for block in report.blocks:
        kind = block[0]
        if kind == "text":
            parts.append(block[1] + "\n")
        elif kind == "heading":
            parts.append(f"{'#' * block[1]} {block[2]}\n")
        elif kind == "table":
            header, rows = block[1], block[2]
            lines = ["| " + " | ".join(_cell_md(h) for h in header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(_cell_md(v) for v in row) + " |" for row in rows]
            parts.append("\n".join(lines) + "\n")
        elif kind == "figure":
            parts.append(f"![{block[2]}]({block[1]})\n\n*{block[2]}*\n")
        elif kind == "definitions":
            parts.append("## Definitions\n")
            parts.append("\n".join(f"- **{term}**: {text}" for term, text in block[1]) + "\n")
    return parts


def _figure_html(out: str, name: str, caption: str) -> str:
    path = os.path.join(out, name)
    try:
        with open(path, "rb") as handle:
            data = base64.b64encode(handle.read()).decode("ascii")
    except OSError:
        return f"<p><em>(figure {html.escape(name)} is missing)</em></p>"
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption, quote=True)}">'
            f"<figcaption>{inline(caption)}</figcaption></figure>")


def render_html(report: Any) -> str:
    """The whole ``report.html`` page as a string (see the module docstring)."""
    from brickwork import __version__

    body = [f"<h1>{inline(report.title)}</h1>"]
    if report.verdicts:
        body.append('<section class="verdict"><h2>Verdict</h2>' +
                    "".join(_text_html(paragraph) for paragraph in report.verdicts) + "</section>")
    for block in report.blocks:
        kind = block[0]
        if kind == "text":
            body.append(_text_html(block[1]))
        elif kind == "heading":
            level = min(max(int(block[1]), 2), 4)
            body.append(f"<h{level}>{inline(block[2])}</h{level}>")
        elif kind == "table":
            head = "".join(f"<th>{inline(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{inline(v)}</td>" for v in row) + "</tr>" for row in block[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif kind == "figure":
            body.append(_figure_html(report.out, block[1], block[2]))
        elif kind == "definitions":
            items = "".join(f"<dt>{inline(term)}</dt><dd>{inline(text)}</dd>" for term, text in block[1])
            body.append(f'<section class="definitions"><h2>Definitions</h2><dl>{items}</dl></section>')
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    body.append(f"<footer>Written by brickwork {html.escape(str(__version__))} on {html.escape(stamp)}; the same "
                "text is in report.md, the numbers in metrics.json.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(report.title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n" +
            "\n".join(body) + "\n</main>\n</body>\n</html>\n")
