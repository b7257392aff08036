"""Paper-style tables: one canonical DataFrame per table, rendered in a separate step.

Nothing here estimates; functions take data or fitted results and lay them out beside the
published numbers of :mod:`replicate.paper`.
"""

from __future__ import annotations

import html
from typing import Literal, get_args

import numpy as np
import pandas as pd

from replicate import paper

Format = Literal["md", "csv", "latex", "html"]
SYNTHETIC_NOTE = "SYNTHETIC DATA: computed on the synthetic twin, not on real city data; not evidence about China."
TABLE1_VARIABLES = list(paper.TABLE1.index)


def table1(frame: pd.DataFrame) -> pd.DataFrame:
    """Descriptive statistics in the paper's layout: ours, the paper's, and the difference.

    Columns are a two-level index ``(statistic, source)`` with sources ``ours``, ``paper``
    and ``diff`` (ours − paper); rows follow Table 1's order.
    """
    missing = [v for v in TABLE1_VARIABLES if v not in frame.columns]
    if missing:
        raise ValueError(f"Table 1 needs columns {missing}, which the panel lacks.")
    ours = pd.DataFrame(
        {
            "N": frame[TABLE1_VARIABLES].count(),
            "mean": frame[TABLE1_VARIABLES].mean(),
            "sd": frame[TABLE1_VARIABLES].std(ddof=1),
            "min": frame[TABLE1_VARIABLES].min(),
            "max": frame[TABLE1_VARIABLES].max(),
        }
    )
    published = paper.TABLE1
    parts = {}
    for stat in ["N", "mean", "sd", "min", "max"]:
        parts[(stat, "ours")] = ours[stat]
        parts[(stat, "paper")] = published[stat]
        parts[(stat, "diff")] = ours[stat] - published[stat]
    out = pd.DataFrame(parts)
    out.columns = pd.MultiIndex.from_tuples(out.columns, names=["statistic", "source"])
    out.index.name = "variable"
    return out


def _fmt(value: object, decimals: int = 3) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)) or (
        isinstance(value, float) and float(value).is_integer() and abs(value) >= 100
    ):
        return f"{int(value):,}"
    text = f"{value:.{decimals}f}"
    return "0.000" if text == "-0.000" else text


def _flat_columns(frame: pd.DataFrame) -> list[str]:
    if isinstance(frame.columns, pd.MultiIndex):
        return [" ".join(str(p) for p in col if p != "") for col in frame.columns]
    return [str(c) for c in frame.columns]


def render(
    frame: pd.DataFrame,
    fmt: Format = "md",
    caption: str = "",
    synthetic: bool = False,
    decimals: int = 3,
    notes: str = "",
) -> str:
    """Render a table DataFrame as Markdown, CSV, LaTeX or HTML (deterministic text)."""
    if fmt not in get_args(Format):
        raise ValueError(f"format={fmt!r} is not allowed; choose one of {list(get_args(Format))}.")
    cells = frame.map(lambda v: _fmt(v, decimals))
    columns = [frame.index.name or ""] + _flat_columns(frame)
    rows = [[str(i)] + list(r) for i, r in zip(cells.index, cells.to_numpy().tolist(), strict=True)]
    banner = SYNTHETIC_NOTE if synthetic else ""
    footer = " ".join(x for x in (notes, banner) if x)
    if fmt == "csv":
        return cells.to_csv(lineterminator="\n")
    if fmt == "md":
        lines = [f"**{caption}**", ""] if caption else []
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("| --- |" + " ---: |" * (len(columns) - 1))
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        if footer:
            lines += ["", footer]
        return "\n".join(lines) + "\n"
    if fmt == "latex":

        def esc(text: str) -> str:
            return (
                text.replace("&", r"\&").replace("%", r"\%").replace("_", r"\_").replace("#", r"\#")
            )

        lines = [r"\begin{table}[htbp]", r"\centering"]
        if caption:
            lines.append(rf"\caption{{{esc(caption)}}}")
        lines.append(r"\begin{tabular}{l" + "r" * (len(columns) - 1) + "}")
        lines += [r"\hline", " & ".join(esc(c) for c in columns) + r" \\", r"\hline"]
        lines += [" & ".join(esc(c) for c in r) + r" \\" for r in rows]
        lines.append(r"\hline")
        lines.append(r"\end{tabular}")
        if footer:
            lines.append(rf"\par\footnotesize {esc(footer)}")
        lines.append(r"\end{table}")
        return "\n".join(lines) + "\n"
    sources = [str(col[-1]) if isinstance(col, tuple) else "" for col in frame.columns]
    classes = [""] + [
        f' class="src-{"delta" if s == "Δ" else s}"' if s in ("ours", "paper", "diff", "Δ") else ""
        for s in sources
    ]
    head = "".join(f"<th{k}>{html.escape(c)}</th>" for c, k in zip(columns, classes, strict=True))
    body = "".join(
        "<tr>"
        + "".join(f"<td{k}>{html.escape(c)}</td>" for c, k in zip(r, classes, strict=True))
        + "</tr>"
        for r in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    foot = f'<p class="synthetic-label">{html.escape(footer)}</p>' if footer else ""
    return (
        f'<div class="table-scroll"><table class="replication">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>{foot}\n"
    )


class Rendered:
    """A table ready for a notebook: shows as formatted HTML, prints as Markdown."""

    def __init__(
        self,
        frame: pd.DataFrame,
        caption: str = "",
        synthetic: bool = False,
        decimals: int = 3,
        notes: str = "",
    ):
        self.frame = frame
        self.options = {
            "caption": caption,
            "synthetic": synthetic,
            "decimals": decimals,
            "notes": notes,
        }

    def _repr_html_(self) -> str:
        return render(self.frame, "html", **self.options)

    def _repr_markdown_(self) -> str:
        return render(self.frame, "md", **self.options)

    def __str__(self) -> str:
        return render(self.frame, "md", **self.options)


def show(
    frame: pd.DataFrame,
    caption: str = "",
    synthetic: bool = False,
    decimals: int = 3,
    notes: str = "",
) -> Rendered:
    """Wrap a table for display in a notebook (3 decimals, synthetic banner when relevant)."""
    return Rendered(frame, caption, synthetic, decimals, notes)
