"""Figures in one consistent style. Each function returns a matplotlib Figure."""

from __future__ import annotations

import os
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from replicate.data.pilots import PilotCoding

PALETTE = ("#1b6ca8", "#e08a1e", "#3a9a5b", "#8e44ad", "#7f7f7f")
"""The book's colours, in the order series are drawn."""
MARK_COLOUR = "#b03a2e"
"""Lines that mark a reference value: the truth, the default twin, an estimate."""
BATCH_COLOURS = dict(zip((2014, 2015, 2016), PALETTE, strict=False))
STYLE = {
    "figure.figsize": (7.5, 4.0),
    "figure.dpi": 110,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.frameon": False,
    "savefig.bbox": "tight",
    "svg.hashsalt": "replicate",  # deterministic SVG ids
}


def use_style() -> None:
    """Apply the book's figure style (call once at the top of a notebook)."""
    plt.rcParams.update(STYLE)
    # Figures are also exhibits (replicate.report.exhibits): in a notebook, keep a PDF
    # beside the PNG the page shows, with no creation date so the bytes are reproducible.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - IPython ships with the book extra
        return
    if get_ipython() is not None:
        set_matplotlib_formats("png", "pdf")
        from replicate.report import figures_zh  # the Chinese edition's PNG, same figure

        figures_zh.register(get_ipython(), chinese_style)


CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC")
"""Chinese fonts tried in order (the CI installs ``fonts-wqy-zenhei``)."""


def chinese_style() -> dict:
    """rcParams for figures with Chinese text (the Chinese edition, issue #19).

    The first installed CJK font goes *after* DejaVu Sans, so Latin text and digits keep
    their English glyphs and Chinese characters fall back to the CJK font; no tofu.
    Use as ``with plt.rc_context(figures.chinese_style()): ...``; the English figures do
    not use it and stay byte-identical. Raises if no CJK font is installed.
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = [name for name in CJK_FONTS if name in installed]
    if not found:
        raise RuntimeError(
            f"no Chinese font installed (tried {', '.join(CJK_FONTS)}): "
            "apt-get install fonts-wqy-zenhei"
        )
    return {
        **STYLE,
        "font.family": ["DejaVu Sans", found[0]],  # per-glyph fallback (matplotlib ≥ 3.6)
        "axes.unicode_minus": False,
    }


def label(fig: plt.Figure, source) -> plt.Figure:
    """Stamp the data label of ``source`` (a Panel or a result) on a figure.

    The twin's figures say "SYNTHETIC DATA — not evidence about China"; a file of
    unknown origin says so too. Returns the figure, so a cell can end with it.
    """
    from replicate.report.tables import data_label, is_synthetic

    if is_synthetic(source):
        synthetic_note(fig, True)
        return fig
    text = getattr(source, "data_label", None) or data_label(source)
    fig.text(0.995, 0.995, f"Data: {text}", ha="right", va="top", fontsize=8, color="#555555")
    return fig


def synthetic_note(fig: plt.Figure, synthetic: bool) -> None:
    """Stamp 'SYNTHETIC DATA' in a corner of figures drawn from the twin."""
    if synthetic:
        fig.text(
            0.995,
            0.995,
            "SYNTHETIC DATA — not evidence about China",
            ha="right",
            va="top",
            fontsize=8,
            color="#b03a2e",
        )


def pilot_timeline(coding: PilotCoding, years: range = range(2005, 2023)) -> plt.Figure:
    """Cumulative number of pilot cities by year, stacked by batch, with the treated share.

    Parameters
    ----------
    coding : PilotCoding
        Treatment timing from :func:`replicate.data.code_pilots`.
    years : range
        Calendar years on the horizontal axis.
    """
    g = coding.first_year
    years = list(years)
    fig, ax = plt.subplots()
    bottom = np.zeros(len(years))
    for batch, colour in BATCH_COLOURS.items():
        n = int((g == batch).sum())
        heights = np.array([n if year >= batch else 0 for year in years])
        ax.bar(years, heights, bottom=bottom, color=colour, label=f"{batch} batch ({n} cities)")
        bottom += heights
    ax.set_xlabel("year")
    ax.set_ylabel("treated sample cities")
    ax.set_xticks(years[::2])
    share = ax.twinx()
    panel = coding.panel(years)
    share.plot(
        years,
        panel.groupby("year")["did"].mean().to_numpy(),
        color="black",
        marker="o",
        markersize=3,
        label="share of cities treated",
    )
    share.set_ylim(0, 1)
    share.set_ylabel("share of the 285 cities")
    share.grid(False)
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = share.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, loc="upper left")
    ax.set_title(f"Broadband China pilots among the 285 sample cities ('{coding.reading}' reading)")
    return fig


def pilots_by_province(coding: PilotCoding, cities: pd.DataFrame) -> plt.Figure:
    """Horizontal bars: treated cities per province, stacked by batch, beside untreated ones."""
    frame = cities[["city_id", "province_en"]].merge(coding.first_year.reset_index(), on="city_id")
    counts = frame.pivot_table(
        index="province_en", columns="g", values="city_id", aggfunc="count", fill_value=0
    )
    counts = counts.reindex(columns=[2014, 2015, 2016, 0], fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(7.5, 8.0))
    left = np.zeros(len(counts))
    colours = {**BATCH_COLOURS, 0: "#d5d8dc"}
    for batch in counts.columns:
        label = f"{batch} batch" if batch else "never treated"
        ax.barh(counts.index, counts[batch], left=left, color=colours[batch], label=label)
        left += counts[batch].to_numpy()
    ax.set_xlabel("sample cities")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    ax.set_title("Sample cities by province and pilot batch")
    return fig


def estimates_beside_paper(
    ours: pd.DataFrame,
    published: pd.DataFrame,
    truth: float | None = None,
    title: str = "",
    synthetic: bool = False,
) -> plt.Figure:
    """Point estimates with 95% intervals, ours beside the paper's, one pair per column.

    Parameters
    ----------
    ours, published : DataFrame
        Indexed by column label, with ``coef`` and ``se``.
    truth : float, optional
        The true effect (synthetic twin), drawn as a horizontal line.
    """
    fig, ax = plt.subplots()
    x = np.arange(len(ours))
    for offset, frame, colour, label in (
        (-0.12, ours, "#1b6ca8", "ours"),
        (0.12, published, "#7f8c8d", "paper"),
    ):
        frame = frame.reindex(ours.index)
        ax.errorbar(
            x + offset,
            frame["coef"],
            yerr=1.96 * frame["se"],
            fmt="o",
            color=colour,
            capsize=3,
            label=label,
        )
    if truth is not None:
        ax.axhline(truth, color="#b03a2e", lw=1.5, ls="--", label=f"true effect {truth:.3f}")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, list(ours.index))
    ax.set_xlabel("column")
    ax.set_ylabel("coefficient on did (95% CI)")
    if title:
        ax.set_title(title)
    ax.legend()
    synthetic_note(fig, synthetic)
    return fig


def year_axis(ax: plt.Axes) -> None:
    """Whole-year ticks on the horizontal axis (no 2007.5)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def event_study_plot(
    table: pd.DataFrame,
    truth: pd.Series | None = None,
    title: str = "",
    synthetic: bool = False,
    label: str = "TWFE event study",
) -> plt.Figure:
    """Event-time coefficients with pointwise (bars) and uniform (shaded) 95% bands.

    ``table`` is :attr:`EventStudyResults.table`; ``truth`` an optional Series of true
    effects by event time (the synthetic twin's).
    """
    fig, ax = plt.subplots()
    x = table.index.to_numpy()
    ax.fill_between(
        x,
        table["lower_uniform"],
        table["upper_uniform"],
        color="#1b6ca8",
        alpha=0.15,
        label="uniform (sup-t) band",
        step=None,
    )
    ax.errorbar(
        x,
        table["coef"],
        yerr=[table["coef"] - table["lower"], table["upper"] - table["coef"]],
        fmt="o",
        color="#1b6ca8",
        capsize=3,
        label=f"{label}, pointwise 95% CI",
    )
    if truth is not None:
        t = truth.reindex(x)
        ax.plot(x, t, color="#b03a2e", ls="--", marker="x", label="true effect")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
    ax.set_xticks(x, list(table["label"]) if "label" in table else list(x))
    ax.set_xlabel("years since the pilot (reference: −1)")
    ax.set_ylabel("effect on nqp")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left")
    synthetic_note(fig, synthetic)
    return fig


def iplot(
    *results,
    labels: list[str] | None = None,
    outcome: str | None = None,
    time: str | None = None,
    level: float = 0.95,
    truth: pd.Series | None = None,
    title: str = "",
    source=None,
) -> plt.Figure:
    """fixest's ``iplot`` for any event-study result: effects by event time with their bands.

    ``results`` are one or several of: ``event_study``, ``sun_abraham``, ``imputation``,
    ``callaway_santanna`` (its dynamic aggregation) and ``fit`` results with ``sunab()`` or
    ``i(rel, …)`` terms, read through :func:`replicate.models.protocol.event_times`. Each
    gets points with pointwise ``level`` intervals (offset side by side when several); a
    single result with uniform (sup-t) bands also gets them shaded. The reference period
    (estimate 0 by construction) is drawn hollow.

    Labels come from the results: the y axis "effect on <outcome>", the x axis "<time>
    relative to the first treated <time>" with the reference period; ``outcome``/``time``
    override them, and where a result does not record them the axes say "effect" and
    "periods relative to treatment" rather than borrow the paper's names. ``labels`` name
    the series (default: each estimator). ``source`` (a Panel or result) stamps its data
    label; ``truth`` adds true effects by event time (a simulation's).
    """
    from replicate.models.protocol import event_times

    if not results:
        raise ValueError("iplot needs at least one event-study result.")
    series = [event_times(r, level=level) for r in results]
    names = list(labels) if labels is not None else [s.method for s in series]
    if len(names) != len(series):
        raise ValueError(f"labels has {len(names)} entries for {len(series)} results.")
    outcomes = {s.outcome for s in series if s.outcome}
    times = {s.time for s in series if s.time}
    references = {s.reference for s in series if s.reference is not None}
    y_name = outcome or (" / ".join(sorted(outcomes)) if outcomes else None)
    t_name = time or (times.pop() if len(times) == 1 else None)
    fig, ax = plt.subplots()
    pct = f"{level:.0%}"
    width = 0.12 if len(series) > 1 else 0.0
    for i, (ev, name) in enumerate(zip(series, names, strict=True)):
        colour = PALETTE[i % len(PALETTE)]
        table = ev.table
        x = table.index.to_numpy(float) + (i - (len(series) - 1) / 2) * width
        est = table["estimate"].to_numpy(float)
        has = table["se"].notna().to_numpy()
        if len(series) == 1 and table["lower_uniform"].notna().any():
            ax.fill_between(
                x[has],
                table["lower_uniform"].to_numpy(float)[has],
                table["upper_uniform"].to_numpy(float)[has],
                color=colour,
                alpha=0.15,
                label="uniform (sup-t) band",
            )
        ax.errorbar(
            x[has],
            est[has],
            yerr=[(est - table["lower"])[has], (table["upper"] - est)[has]],
            fmt="o",
            ms=4,
            capsize=3,
            color=colour,
            label=f"{name}, pointwise {pct} CI",
        )
        if (~has).any():
            ax.plot(x[~has], est[~has], "o", mfc="white", color=colour, ms=5)
    if truth is not None:
        t = truth.sort_index()
        ax.plot(t.index, t.to_numpy(), color=MARK_COLOUR, ls="--", marker="x", label="true effect")
    ax.axhline(0, color="black", lw=0.8)
    cut = (next(iter(references)) if len(references) == 1 else -1) + 0.5
    ax.axvline(cut, color="grey", lw=0.8, ls=":")
    first = series[0].table
    if len(series) == 1:
        ax.set_xticks(first.index.to_numpy(), list(first["label"]))
    else:
        year_axis(ax)
    each = [s.reference for s in series]
    if len(set(each)) == 1 and each[0] is not None:
        ref = f"reference: {each[0]}"
    elif references:  # the results differ: say which has which
        ref = "reference: " + "; ".join(
            f"{n} {'none' if r is None else r}" for n, r in zip(names, each, strict=True)
        )
    else:
        ref = "no reference period"
    ax.set_xlabel(
        f"{t_name} relative to the first treated {t_name} ({ref})"
        if t_name
        else f"periods relative to treatment ({ref})"
    )
    ax.set_ylabel(f"effect on {y_name}" if y_name else "effect")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    if source is not None:
        label(fig, source)
    return fig


def estimator_comparison(
    effects: dict[str, pd.DataFrame], truth: pd.Series | None = None, synthetic: bool = False
) -> plt.Figure:
    """Event-time effects of several estimators side by side (``estimate`` and optional ``se``)."""
    fig, ax = plt.subplots(figsize=(8, 4.3))
    n = len(effects)
    colours = ["#1b6ca8", "#e08a1e", "#3a9a5b", "#8e44ad", "#7f8c8d", "#c0392b"]
    for i, (name, frame) in enumerate(effects.items()):
        offset = (i - (n - 1) / 2) * 0.12
        se = frame["se"] if "se" in frame else None
        yerr = None if se is None or se.isna().all() else 1.96 * se
        ax.errorbar(
            frame.index + offset,
            frame["estimate"],
            yerr=yerr,
            fmt="o",
            ms=4,
            capsize=2,
            color=colours[i % len(colours)],
            label=name,
        )
    if truth is not None:
        ax.plot(truth.index, truth.to_numpy(), color="black", ls="--", lw=1.2, label="true effect")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("years since the pilot")
    ax.set_ylabel("effect on nqp")
    ax.legend(fontsize=8, ncol=2, loc="upper left")
    synthetic_note(fig, synthetic)
    return fig


def bacon_plot(comparisons: pd.DataFrame, twfe: float, synthetic: bool = False) -> plt.Figure:
    """Each 2×2 comparison's estimate against its weight in the TWFE coefficient."""
    fig, ax = plt.subplots()
    markers = {
        "Treated vs Untreated": ("o", "#1b6ca8"),
        "Earlier vs Later Treated": ("s", "#3a9a5b"),
        "Later vs Earlier Treated": ("^", "#c0392b"),
        "Later vs Always Treated": ("v", "#8e44ad"),
    }
    for kind, group in comparisons.groupby("type", sort=False):
        marker, colour = markers.get(kind, ("o", "grey"))
        ax.scatter(
            group["weight"], group["estimate"], marker=marker, color=colour, s=50, label=kind
        )
    ax.axhline(twfe, color="black", ls="--", lw=1, label=f"TWFE = Σ weight × estimate = {twfe:.3f}")
    ax.set_xlabel("weight in the TWFE coefficient")
    ax.set_ylabel("2×2 DID estimate")
    ax.legend(fontsize=8)
    synthetic_note(fig, synthetic)
    return fig


def distribution(
    draws: np.ndarray,
    estimate: float,
    interval: tuple[float, float] | None = None,
    xlabel: str = "estimate",
    ylabel: str = "draws",
    truth: float | None = None,
    source=None,
) -> plt.Figure:
    """Histogram of resampling or simulation draws, with the estimate (solid line), an
    interval (dashed), zero, and optionally the true value (the twin's truth).

    ``source`` (a Panel or a result) stamps its data label with :func:`label`.
    """
    fig, ax = plt.subplots()
    ax.hist(np.asarray(draws, dtype=float), bins=40, color=BATCH_COLOURS[2014], alpha=0.8)
    ax.axvline(estimate, color="#b03a2e", ls="-", label=f"estimate {estimate:.4f}")
    if interval is not None:
        for i, value in enumerate(interval):
            ax.axvline(value, color="#b03a2e", ls="--", label="95% interval" if i == 0 else None)
    if truth is not None:
        ax.axvline(truth, color="black", ls=":", lw=1.5, label=f"true value {truth:.4f}")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if source is not None:
        label(fig, source)
    return fig


def histograms(
    draws: Mapping[str, np.ndarray],
    markers: Mapping[str, float] | None = None,
    xlabel: str = "estimate",
    ylabel: str = "draws",
    bins: int | np.ndarray = 20,
    source=None,
) -> plt.Figure:
    """Overlaid histograms of several sets of draws (one colour each, in :data:`PALETTE`
    order), with vertical lines at ``markers`` (label → value, e.g. the true effect);
    ``source`` stamps its data label (:func:`label`)."""
    fig, ax = plt.subplots()
    alpha = 0.6 if len(draws) > 1 else 0.85
    for (name, values), colour in zip(draws.items(), PALETTE, strict=False):
        ax.hist(np.asarray(values, dtype=float), bins=bins, color=colour, alpha=alpha, label=name)
    for (name, value), style in zip((markers or {}).items(), ("-", "--", ":"), strict=False):
        ax.axvline(value, color=MARK_COLOUR, lw=2, ls=style, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    if source is not None:
        label(fig, source)
    return fig


def index_over_years(
    series: pd.DataFrame,
    left: str,
    right: str,
    left_label: str,
    right_label: str,
    gap: tuple[float, float, str] | None = None,
    event: tuple[int, str] | None = None,
) -> plt.Figure:
    """Two series over years on two axes (``left`` with dots, ``right`` dashed with
    squares); ``gap`` shades a span with a legend entry (e.g. a missing year) and
    ``event`` marks a year with a dotted line and a note (e.g. the first pilots)."""
    fig, ax = plt.subplots()
    ax.plot(series.index, series[left], marker="o", color=PALETTE[0], label=left_label)
    ax.set_ylabel(left_label)
    ax.set_xlabel("year")
    year_axis(ax)
    twin = ax.twinx()
    twin.plot(series.index, series[right], marker="s", ls="--", color=PALETTE[1], label=right_label)
    twin.set_ylabel(right_label)
    twin.grid(False)
    if gap is not None:
        ax.axvspan(gap[0], gap[1], color="#d5d8dc", alpha=0.6, label=gap[2])
    if event is not None:
        ax.axvline(event[0], color="grey", lw=0.8, ls=":")
        ax.text(event[0] + 0.1, ax.get_ylim()[0] + 0.05, event[1], fontsize=8, color="grey")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left")
    return fig


def stacked_bars(frame: pd.DataFrame, ylabel: str, xlabel: str = "year") -> plt.Figure:
    """One stacked bar per row of ``frame`` (e.g. a year), one colour per column; missing
    values count as zero height."""
    fig, ax = plt.subplots()
    bottom = np.zeros(len(frame))
    for (name, values), colour in zip(frame.items(), PALETTE, strict=False):
        heights = values.fillna(0).to_numpy(dtype=float)
        ax.bar(frame.index, heights, bottom=bottom, color=colour, label=str(name))
        bottom += heights
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    year_axis(ax)
    ax.legend(loc="upper left")
    return fig
