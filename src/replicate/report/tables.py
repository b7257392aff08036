"""Paper-style tables: one canonical DataFrame per table, rendered in a separate step.

Nothing here estimates. This module holds the presentation rules shared by every table —
significance stars, number formatting, the data label — and the renderers (Markdown, CSV,
LaTeX, HTML) behind :func:`render` and :func:`show`. Regression tables are built by
:func:`replicate.report.etable.etable`; Table 1 by :func:`table1` / :func:`table1_layout`
from the long comparison of :func:`replicate.replication.compare_table1`.

Row conventions
---------------
A table whose rows are a two-level index named ``("row", "line")`` is a regression-style
table: ``line`` says what the row holds (``coef``, ``se``, ``paper``, ``paper se``,
``fe``, ``stat``, ``vcov``) and the renderers print the row name once, leave standard-error
rows unlabelled and set the published rows in grey. Any other index is printed one column
per level.

Caption and notes may travel with the frame in ``frame.attrs`` (``caption``, ``notes``,
``synthetic``), so a table built from results carries its own description of what was
computed to every format (see :func:`render`).
"""

from __future__ import annotations

import html
import re
from typing import Literal

import numpy as np
import pandas as pd

from replicate import paper
from replicate._options import check_choice

Format = Literal["md", "csv", "latex", "html"]
SYNTHETIC_NOTE = "SYNTHETIC DATA: computed on the synthetic twin, not on real city data; not evidence about China."
TABLE1_VARIABLES = list(paper.TABLE1.index)
TABLE1_STATISTICS = ["N", "mean", "sd", "min", "max"]
SIGNIFICANCE_LEVELS = (0.10, 0.05, 0.01)
"""The paper's convention: * 10%, ** 5%, *** 1%."""
SIGNIFICANCE_LEGEND = "* p < 0.10, ** p < 0.05, *** p < 0.01"
LINE_LABELS = {"se": "", "paper": "paper", "paper se": ""}
"""How a ``line`` prints in the label column (other lines print the row name)."""
PUBLISHED_LINES = ("paper", "paper se")


# ----------------------------------------------------------------------------- cells


def stars(pvalue: float) -> int:
    """Number of significance stars: *** p < 0.01, ** p < 0.05, * p < 0.10 (0 if p is NaN)."""
    if pvalue is None or not np.isfinite(pvalue):
        return 0
    return sum(int(pvalue < level) for level in SIGNIFICANCE_LEVELS)


def number(value: object, digits: int = 3) -> str:
    """One number as printed: integers with thousands separators (875, 5,130), others with
    ``digits`` decimals, never "-0.000"; blank for missing."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | np.integer) or (
        isinstance(value, float | np.floating) and float(value).is_integer() and abs(value) >= 100
    ):
        return f"{int(value):,}"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def p_value(p: float, digits: int = 3) -> str:
    """A p-value as prose prints it: "= 0.014", "< 0.001" when it rounds to zero, "not
    defined" when it is missing (e.g. no variation), never "0.000" or "nan"."""
    if p is None or not np.isfinite(p):
        return "not defined"
    floor = 10.0**-digits
    return f"< {floor:.{digits}f}" if p < floor else f"= {p:.{digits}f}"


def p_value_table(tests: dict[str, tuple[float, float, float]], digits: int = 3) -> pd.DataFrame:
    """Tests side by side: ``{name: (p-value, lower, upper)}`` as a table with the p-value
    printed as a table prints it ("0.014", "< 0.001", "not defined") and the interval."""
    rows = {}
    for name, (p, lower, upper) in tests.items():
        text = p_value(p, digits)
        rows[name] = {
            "p-value": text.removeprefix("= "),
            "95% CI lower": float(lower),
            "95% CI upper": float(upper),
        }
    return pd.DataFrame(rows).T


def cell(value: float, n_stars: int = 0, se: bool = False, digits: int = 3) -> str:
    """A coefficient cell ("0.144***") or a standard-error cell ("(0.028)")."""
    if value is None or not np.isfinite(value):
        return ""
    text = number(float(value), digits) if abs(value) < 100 else f"{value:.{digits}f}"
    return f"({text})" if se else text + "*" * n_stars


def spans(labels: list[str], order: list[str] | None = None) -> str:
    """Labels as runs, e.g. "(1)–(3), (5)": runs of three or more labels consecutive in
    ``order`` (default ``labels`` itself) are shortened."""
    order = list(order) if order is not None else list(labels)
    position = {label: i for i, label in enumerate(order)}
    runs: list[list[str]] = []
    for label in labels:
        if runs and position[label] == position[runs[-1][-1]] + 1:
            runs[-1].append(label)
        else:
            runs.append([label])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(r) for r in runs)


def describe_by_column(values: dict[str, str]) -> str:
    """One value when every column agrees, else "A [(1), (2)]; B [(3)]"."""
    groups: dict[str, list[str]] = {}
    for label, value in values.items():
        groups.setdefault(value, []).append(label)
    if len(groups) == 1:
        return next(iter(groups))
    order = list(values)
    return "; ".join(f"{value} [{spans(labels, order)}]" for value, labels in groups.items())


# ----------------------------------------------------------------------------- data label


def data_label(panel) -> str:
    """What the data are, read from the panel itself (never passed by hand).

    A :class:`~replicate.data.Panel` knows its own marker (``panel.marker``: the synthetic
    twin's "SYNTHETIC twin (seed …)", a real source, or a file "(origin unverified)"). For
    anything else: the synthetic flag, a recorded provenance, or "unverified" — nothing in
    a bare frame says where its numbers come from.
    """
    marker = getattr(panel, "marker", None)
    if isinstance(marker, str) and marker:
        return marker
    label = str(getattr(panel, "label", "") or "DataFrame")
    if getattr(panel, "synthetic", False):
        return label if label.upper().startswith("SYNTHETIC") else f"SYNTHETIC {label}"
    provenance = getattr(panel, "provenance", None)
    if provenance:
        return f"{label} ({provenance})"
    return f"{label} (unverified: no provenance recorded)"


def is_synthetic(source) -> bool:
    """Whether ``source`` (a Panel, a result carrying ``data_label``, or a labelled frame)
    comes from the synthetic twin."""
    if isinstance(source, pd.DataFrame):
        return bool(source.attrs.get("synthetic", False))
    if getattr(source, "synthetic", False):
        return True
    label = getattr(source, "data_label", None) or getattr(source, "marker", None) or ""
    return str(label).upper().startswith("SYNTHETIC")


def labelled(frame: pd.DataFrame, source) -> pd.DataFrame:
    """A copy of ``frame`` that carries the data label of ``source`` for every renderer.

    ``source`` is the Panel the numbers were computed from, or a result that carries its
    ``data_label``. The label goes into ``attrs`` (``synthetic`` and a ``Data: …`` note),
    which :func:`render` and :func:`show` read: a table built by hand from results is
    labelled the same way as one built by the library, without passing ``synthetic=``.
    """
    label = getattr(source, "data_label", None) or data_label(source)
    out = frame.copy()
    out.attrs = dict(frame.attrs)
    note = f"Data: {label}."
    notes = out.attrs.get("notes", "")
    out.attrs["notes"] = notes if note in notes else " ".join(x for x in (note, notes) if x)
    out.attrs["synthetic"] = bool(out.attrs.get("synthetic", False)) or is_synthetic(source)
    return out


# ----------------------------------------------------------------------------- Table 1


def _table1_comparison(data: pd.DataFrame) -> pd.DataFrame:
    if not {"variable", "statistic", "paper", "ours", "diff"} <= set(data.columns):
        raise TypeError(
            "table1 lays out the long comparison of Table 1, not a panel: pass "
            "replicate.replication.compare_table1(panel.frame) "
            "(or call replicate.replication.paper_table(1, panel))."
        )
    return data


def table1(data: pd.DataFrame) -> pd.DataFrame:
    """Descriptive statistics wide: ours, the paper's and the difference per statistic.

    ``data`` is the long comparison of :func:`replicate.replication.compare_table1`, which
    computes the statistics; this only lays them out. Columns are a two-level index ``(statistic, source)`` with sources
    ``ours``, ``paper`` and ``diff`` (ours − paper); rows follow Table 1's order.
    """
    long = _table1_comparison(data)
    parts = {}
    for stat in TABLE1_STATISTICS:
        sub = long[long["statistic"] == stat].set_index("variable")
        for source, col in (("ours", "ours"), ("paper", "paper"), ("diff", "diff")):
            parts[(stat, source)] = sub[col].reindex(TABLE1_VARIABLES)
    out = pd.DataFrame(parts)
    out.columns = pd.MultiIndex.from_tuples(out.columns, names=["statistic", "source"])
    out.index.name = "variable"
    return out


def table1_layout(comparison: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Table 1 in the paper's shape: one column per statistic, each variable's row of ours
    with the published row beneath it (rows ``(variable, "stat")`` and ``(variable, "paper")``)."""
    wide = table1(comparison)
    rows, index = [], []
    for variable in wide.index:
        for source, line in (("ours", "stat"), ("paper", "paper")):
            values = wide.loc[variable].xs(source, level="source")
            rows.append(
                [
                    number(int(v) if stat == "N" and np.isfinite(v) else v, digits)
                    for stat, v in values.items()
                ]
            )
            index.append((variable, line))
    out = pd.DataFrame(
        rows,
        index=pd.MultiIndex.from_tuples(index, names=["row", "line"]),
        columns=TABLE1_STATISTICS,
    )
    out.attrs["notes"] = (
        "Each variable: our statistic, the published one beneath it (paper). "
        "sd is the sample standard deviation (N − 1)."
    )
    return out


# ----------------------------------------------------------------------------- scorecard


RATIO_SLACK = 1e-9  # 0.0224 / 0.028 is 0.7999999999999999 in floating point: it is 0.8


def within_ratio(ratio: float, bounds: tuple[float, float]) -> bool:
    """Whether ``ratio`` lies in the closed interval ``bounds``, up to floating-point error."""
    lo, hi = bounds
    return lo - RATIO_SLACK <= ratio <= hi + RATIO_SLACK


def ratio_label(ratio: float, bounds: tuple[float, float] | None = None) -> str:
    """An s.e. ratio ours / paper printed so that the reader can apply the scorecard rule
    (``bounds``, :data:`replicate.replication.SE_RATIO`, carried in the card's attrs) to the
    printed number: two decimals, or as many more as needed when two decimals would round
    across a bound (0.797 prints "0.797", not "0.80", because it is off)."""
    if bounds is None:
        return f"{ratio:.2f}"
    inside = within_ratio(ratio, bounds)
    for decimals in range(2, 7):
        text = f"{ratio:.{decimals}f}"
        if within_ratio(float(text), bounds) == inside:
            return text
    return f"{ratio:.8f}"


def scorecard_layout(card: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """The long scorecard (``replicate.replication.scorecard``) for reading: one row per
    published number, labelled "Table 2 (1)" / "did coef", with the paper's value, ours,
    the difference (for a standard error, the ratio ours / paper) and the status."""
    labels = {t: paper.COLUMN_LABELS.get(t, []) for t in card["table"].unique()}
    bounds = card.attrs.get("se_ratio")

    def where(rec) -> str:
        cols = labels.get(rec.table, [])
        col = cols[rec.column - 1] if rec.table != 1 and rec.column <= len(cols) else ""
        return f"Table {rec.table} {col}".strip()

    rows, index = [], []
    for rec in card.itertuples():
        ratio = rec.statistic == "se" and rec.paper > 0
        if ratio:
            gap = f"×{ratio_label(rec.ours / rec.paper, bounds)}" if np.isfinite(rec.ours) else ""
        else:
            gap = number(rec.diff, digits)
        paper_digits = paper.PRINTED_DECIMALS
        rows.append([number(rec.paper, paper_digits), number(rec.ours, digits), gap, rec.status])
        what = rec.statistic if rec.variable == rec.statistic else f"{rec.variable} {rec.statistic}"
        index.append((where(rec), what))
    out = pd.DataFrame(
        rows,
        index=pd.MultiIndex.from_tuples(index, names=["where", "number"]),
        columns=["paper", "ours", "Δ or ratio", "status"],
    )
    out.attrs.update(card.attrs)
    return out


# ----------------------------------------------------------------------------- rendering


def _md_escape(text: str) -> str:
    for char in ("\\", "*", "_", "|", "`", "[", "]"):
        text = text.replace(char, "\\" + char)
    # raw HTML in Markdown is live HTML: a caption like <img onerror=…> must stay text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _latex_escape(text: str) -> str:
    # backslash first (\input{/etc/passwd} must print, not run); then the other specials
    text = text.replace("\\", "\x00")
    for char in ("&", "%", "_", "#", "$", "{", "}"):
        text = text.replace(char, "\\" + char)
    text = text.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")
    text = text.replace("\x00", r"\textbackslash{}")
    # symbols pdflatex lacks in text mode, as math
    symbols = (("²", r"$^2$"), ("×", r"$\times$"), ("−", r"$-$"), ("Δ", r"$\Delta$"))
    symbols += (("<", r"$<$"), (">", r"$>$"), ("≤", r"$\leq$"))
    for char, math in symbols:
        text = text.replace(char, math)
    return text


_STARS = re.compile(r"(?<=\d)(\*{1,3})$")


def _html_cell(text: str) -> str:
    """Escaped cell text; significance stars set as a superscript and a line-break
    opportunity after "×" (e.g. "province×year FE"), so columns stay narrow on a phone."""
    return _STARS.sub(r'<sup class="stars">\1</sup>', html.escape(text)).replace("×", "×<wbr>")


def _flat_columns(frame: pd.DataFrame) -> list[str]:
    if isinstance(frame.columns, pd.MultiIndex):
        return [" ".join(str(p) for p in col if p != "") for col in frame.columns]
    return [str(c) for c in frame.columns]


def _row_labels(frame: pd.DataFrame) -> tuple[list[str], list[list[str]], list[str]]:
    """Header of the label column(s), the label cells of each row, and each row's line."""
    index = frame.index
    if isinstance(index, pd.MultiIndex) and list(index.names) == ["row", "line"]:
        labels = [[LINE_LABELS.get(line, str(row))] for row, line in index]
        return [""], labels, [str(line) for _, line in index]
    if isinstance(index, pd.MultiIndex):
        names = [str(n) if n is not None else "" for n in index.names]
        return names, [[number(v) for v in key] for key in index], [""] * len(index)
    return [str(index.name or "")], [[number(v)] for v in index], [""] * len(index)


CALENDAR = re.compile(r"(^|_)(year|cohort)s?($|_)", re.IGNORECASE)
"""Columns of calendar years (``year``, ``first_year``, ``cohort``): printed 2015, not
2,015."""


def _cells(frame: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """Every cell as printed by :func:`number`; whole numbers in a calendar-year column
    without thousands separators."""
    cells = frame.map(lambda v: number(v, decimals))
    for position, name in enumerate(_flat_columns(frame)):
        if CALENDAR.search(name):
            column = frame.iloc[:, position]
            whole = column.map(
                lambda v: (
                    isinstance(v, int | np.integer | float | np.floating)
                    and not isinstance(v, bool | np.bool_)
                    and np.isfinite(v)
                    and float(v).is_integer()
                )
            )
            cells.iloc[whole.to_numpy(), position] = [str(int(v)) for v in column[whole]]
    return cells


def render(
    frame: pd.DataFrame,
    fmt: Format = "md",
    caption: str | None = None,
    synthetic: bool | None = None,
    decimals: int = 3,
    notes: str | None = None,
) -> str:
    """Render a table DataFrame as Markdown, CSV, LaTeX or HTML (deterministic text).

    ``caption``, ``notes`` and ``synthetic`` default to the frame's ``attrs`` (set by the
    functions that build tables from results), so the description of what was computed
    travels with the table. Markdown escapes ``*``, ``_`` and ``|``, so stars and the
    significance legend survive.
    """
    check_choice("format", fmt, Format)
    attrs = frame.attrs
    caption = attrs.get("caption", "") if caption is None else caption
    notes = attrs.get("notes", "") if notes is None else notes
    synthetic = bool(attrs.get("synthetic", False)) if synthetic is None else synthetic
    banner = SYNTHETIC_NOTE if synthetic and SYNTHETIC_NOTE not in notes else ""
    footer = " ".join(x for x in (notes, banner) if x)
    if fmt == "csv":
        return _cells(frame, decimals).to_csv(lineterminator="\n")
    label_head, label_cells, lines = _row_labels(frame)
    body = _cells(frame, decimals).to_numpy().tolist()
    columns = label_head + _flat_columns(frame)
    rows = [labels + list(values) for labels, values in zip(label_cells, body, strict=True)]
    n_labels = len(label_head)
    if fmt == "md":
        lines_out = [f"**{_md_escape(caption)}**", ""] if caption else []
        lines_out.append("| " + " | ".join(_md_escape(c) for c in columns) + " |")
        lines_out.append(
            "| " + " | ".join(["---"] * n_labels + ["---:"] * (len(columns) - n_labels)) + " |"
        )
        lines_out += ["| " + " | ".join(_md_escape(c) for c in r) + " |" for r in rows]
        if footer:
            lines_out += ["", _md_escape(footer)]
        return "\n".join(lines_out) + "\n"
    if fmt == "latex":
        out = [r"\begin{table}[htbp]", r"\centering"]
        if caption:
            out.append(rf"\caption{{{_latex_escape(caption)}}}")
        out.append(r"\begin{tabular}{" + "l" * n_labels + "r" * (len(columns) - n_labels) + "}")
        out += [r"\hline", " & ".join(_latex_escape(c) for c in columns) + r" \\", r"\hline"]
        out += [" & ".join(_latex_escape(c) for c in r) + r" \\" for r in rows]
        out += [r"\hline", r"\end{tabular}"]
        if footer:
            out.append(rf"\par\footnotesize {_latex_escape(footer)}")
        out.append(r"\end{table}")
        return "\n".join(out) + "\n"
    sources = [str(col[-1]) if isinstance(col, tuple) else "" for col in frame.columns]
    classes = [""] * n_labels + [
        f' class="src-{"delta" if s == "Δ" else s}"' if s in ("ours", "paper", "diff", "Δ") else ""
        for s in sources
    ]
    head = "".join(f"<th{k}>{_html_cell(c)}</th>" for c, k in zip(columns, classes, strict=True))
    body_html = "".join(
        ('<tr class="src-paper">' if line in PUBLISHED_LINES else "<tr>")
        + "".join(
            f"<td{_long_text_class(k, c)}>{_html_cell(c)}</td>"
            for c, k in zip(r, classes, strict=True)
        )
        + "</tr>"
        for r, line in zip(rows, lines, strict=True)
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    foot = (
        f'<p class="{"synthetic-label" if synthetic else "table-notes"}">{html.escape(footer)}</p>'
        if footer
        else ""
    )
    return (
        f'<div class="table-scroll"><table class="replication">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body_html}</tbody></table></div>{foot}\n"
    )


LONG_TEXT = 12  # characters: a longer text cell may wrap (CSS class "long") instead of widening


def _long_text_class(klass: str, cell: object) -> str:
    """The cell's class attribute, with ``long`` added for a long text cell (a reason, a
    gloss), so that on a phone it wraps inside a narrow column instead of pushing the
    other columns off-screen."""
    text = str(cell)
    if len(text) <= LONG_TEXT or " " not in text or re.match(r"[-−+(\d.]", text):
        return klass  # short, one word, or a number (a cell like "0.118*** (0.028)")
    if klass:
        return klass.replace('class="', 'class="long ', 1)
    return ' class="long"'


class Rendered:
    """A table ready for a notebook: shows as formatted HTML, prints as Markdown."""

    def __init__(
        self,
        frame: pd.DataFrame,
        caption: str | None = None,
        synthetic: bool | None = None,
        decimals: int = 3,
        notes: str | None = None,
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

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        """HTML for the page, plus Markdown and LaTeX, and (in the output's metadata, which
        no renderer shows) the CSV, caption and data label for the exhibit files.

        ``replicate.report.exhibits`` reads them from the executed notebook; the site shows
        the HTML. The CSV carries the synthetic marker in a ``data`` column.
        """
        frame, options = self.frame, self.options
        synthetic = options["synthetic"]
        synthetic = bool(frame.attrs.get("synthetic", False)) if synthetic is None else synthetic
        csv_frame = frame
        if synthetic:
            csv_frame = frame.copy()
            key = (
                ("data",) + ("",) * (frame.columns.nlevels - 1)
                if frame.columns.nlevels > 1
                else "data"
            )
            csv_frame[key] = "SYNTHETIC"
        caption = (
            frame.attrs.get("caption", "") if options["caption"] is None else options["caption"]
        )
        notes = frame.attrs.get("notes", "") if options["notes"] is None else options["notes"]
        data = {
            "text/html": render(frame, "html", **options),
            "text/markdown": render(frame, "md", **options),
            "text/latex": render(frame, "latex", **options),
            "text/plain": render(frame, "md", **options),
        }
        label = SYNTHETIC_NOTE if synthetic else notes
        meta = {"caption": caption, "data_label": label, "csv": render(csv_frame, "csv", **options)}
        return data, {"replicate": meta}

    def __str__(self) -> str:
        return render(self.frame, "md", **self.options)


def show(
    frame: pd.DataFrame,
    caption: str | None = None,
    synthetic: bool | None = None,
    decimals: int = 3,
    notes: str | None = None,
) -> Rendered:
    """Wrap a table for display in a notebook (caption, notes and the synthetic banner come
    from ``frame.attrs`` unless given)."""
    return Rendered(frame, caption, synthetic, decimals, notes)


def formulas_table(formulas: dict[int, str], caption: str) -> Rendered:
    """The formulas of a table's columns (``replicate.replication.formulas``) as a small
    two-column table instead of a printed dict."""
    frame = pd.DataFrame(
        {"formula": list(formulas.values())},
        index=pd.Index([f"({c})" for c in formulas], name="column"),
    )
    return show(frame, caption, synthetic=False, notes="Formulas in the fixest grammar, not data.")
