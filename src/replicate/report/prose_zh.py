"""Chinese forms of :mod:`replicate.report.prose` sentences, built from the same values.

Each function here takes exactly the arguments of its English namesake in ``prose`` and
chooses its words from the numbers by the same rules (so the two languages never
disagree about a comparison); they are not translations of one run's text. A chapter glues
both with :func:`replicate.i18n.glue`::

    i18n.glue("change", prose.describe_change(a, b), prose_zh.describe_change(a, b))

Vocabulary follows ``book/glossary.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def describe_change(before: float, after: float, what: str = "估计值") -> str:
    """``"下降 30%（从 0.129 降至 0.090）"``: the rules of ``prose.describe_change``
    (减半 only within 45–55% down, 约翻一番 within 90–110% up, 几乎不变 below 1%)."""
    if not (np.isfinite(before) and np.isfinite(after)) or before == 0:
        return f"{what}从 {before:.3f} 变为 {after:.3f}"
    pct = 100 * (after / before - 1)
    span = f"（从 {before:.3f} {'降至' if pct < 0 else '升至'} {after:.3f}）"
    if abs(pct) < 1:
        return f"{what}几乎不变（从 {before:.3f} 到 {after:.3f}）"
    if -55 <= pct <= -45:
        return f"{what}减半，下降 {-pct:.0f}%{span}"
    if 90 <= pct <= 110:
        return f"{what}约翻一番，上升 {pct:.0f}%{span}"
    verb = "下降" if pct < 0 else "上升"
    return f"{what}{verb} {abs(pct):.0f}%{span}"


def entries_per_batch(counts: Mapping[int, int]) -> str:
    """``"2014 年 39 个、2015 年 39 个"``: list entries per pilot batch (chapter 01)."""
    return "、".join(f"{year} 年 {n} 个" for year, n in sorted(counts.items()))


def entries_per_batch_en(counts: Mapping[int, int]) -> str:
    """The English form chapter 01 glues today (``"39 in 2014, 39 in 2015"``)."""
    return ", ".join(f"{n} in {year}" for year, n in sorted(counts.items()))
