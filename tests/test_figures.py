"""The book's figure helpers draw what they are given, in the book's palette."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from replicate.report import figures


def test_histograms_draw_every_set_and_mark_each_value():
    a, b = np.arange(10.0), np.arange(5.0) + 20
    fig = figures.histograms({"a": a, "b": b}, markers={"truth": 3.5}, bins=5)
    (ax,) = fig.axes
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == len(a) + len(b)  # every draw is counted once
    assert {p.get_facecolor()[:3] for p in ax.patches} == {
        matplotlib.colors.to_rgb(c) for c in figures.PALETTE[:2]
    }
    (line,) = ax.lines
    assert line.get_xdata()[0] == 3.5
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "truth"]


def test_stacked_bars_stack_to_the_row_totals_with_missing_as_zero():
    frame = pd.DataFrame({"x": [1.0, np.nan], "y": [2.0, 3.0]}, index=[2019, 2021])
    fig = figures.stacked_bars(frame, ylabel="per 10k")
    tops = {}
    for patch in fig.axes[0].patches:
        x = round(patch.get_x() + patch.get_width() / 2)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    assert tops == {2019: 3.0, 2021: 3.0}


def test_index_over_years_has_two_axes_a_gap_and_an_event():
    series = pd.DataFrame({"l": [1.0, 2.0, np.nan, 3.0], "r": [5.0, 6.0, np.nan, 7.0]})
    series.index = [2018, 2019, 2020, 2021]
    fig = figures.index_over_years(
        series, "l", "r", "left", "right", gap=(2019.5, 2020.5, "missing"), event=(2019, "e")
    )
    left, right = fig.axes
    assert list(left.lines[0].get_ydata()[:2]) == [1.0, 2.0]
    assert list(right.lines[0].get_ydata()[:2]) == [5.0, 6.0]
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert labels == ["left", "missing", "right"]
