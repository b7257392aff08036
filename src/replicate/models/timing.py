"""Treatment timing from a 0/1 treatment column: each unit's first treated period (cohort).

The DID estimators here take ``cohort`` — each unit's first treated period, 0 for never
treated (R ``did``'s ``gname``, Stata ``csdid``'s ``gvar``). Panels often carry the
treatment itself instead: ``D_it = 1`` from the period a unit is treated. In Stata one
writes ``egen gvar = min(cond(D, year, .)), by(id)``; :func:`first_treatment` is that
step with its checks: the treatment is absorbing (once 1, a unit stays 1), values are 0
or 1, no value is missing, a unit-period appears once (or its copies agree). Anything
else is refused with the unit, rows and fix named — a unit that switches off is not a
staggered-adoption design, and ``did_multiplegt`` (:mod:`replicate.models.dcdh`) is the
estimator for switching treatments. Written here (pandas); no library it builds on has it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

SHOW = 5
"""How many offending units or rows an error message quotes."""


def _as_pandas(data: Any) -> pd.DataFrame:
    frame = getattr(data, "frame", data)  # a replicate Panel
    if not isinstance(frame, pd.DataFrame) and hasattr(frame, "to_pandas"):
        frame = frame.to_pandas()  # polars
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"data must be a pandas or polars DataFrame (or a replicate Panel), not "
            f"{type(data).__name__}."
        )
    return frame


def _rows(index: pd.Index) -> str:
    shown = ", ".join(str(i) for i in index[:SHOW])
    more = f" … and {len(index) - SHOW} more" if len(index) > SHOW else ""
    return f"{len(index)} {'row' if len(index) == 1 else 'rows'}, index {shown}{more}"


def first_treatment(
    data: Any,
    treatment: str,
    *,
    unit: str,
    time: str,
    name: str = "cohort",
) -> pd.Series:
    """Each row's unit's first treated period, from an absorbing 0/1 treatment column.

    Parameters
    ----------
    data : DataFrame (pandas or polars) or Panel
        One row per unit and period. Not modified.
    treatment : str
        The 0/1 treatment column (1 from the period a unit is treated on; booleans work).
    unit, time : str
        Unit identifier and (numeric) period columns.
    name : str
        Name of the returned Series.

    Returns
    -------
    Series
        Aligned with ``data``'s rows (same index): the unit's first period with treatment
        1, or 0 for a unit never treated in the sample — the ``cohort`` the estimators take
        (``data.assign(cohort=first_treatment(data, "D", unit=..., time=...))``). A unit
        treated from its first observed period gets that period: the data cannot tell
        when it was treated before (a warning says so when this holds for every
        treated unit: the column then looks like an ever-treated indicator).

    Raises
    ------
    ValueError
        Missing columns; missing or non-0/1 treatment values or missing/non-numeric
        periods (naming rows); duplicated unit-periods that disagree; a unit whose
        treatment switches off (naming the unit and the rows where it returns to 0).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 1, 1, 2, 2, 2], "year": [1, 2, 3] * 2,
    ...                    "D": [0, 1, 1, 0, 0, 0]})
    >>> first_treatment(df, "D", unit="id", time="year").tolist()
    [2, 2, 2, 0, 0, 0]
    """
    frame = _as_pandas(data)
    missing = [c for c in dict.fromkeys((treatment, unit, time)) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"first_treatment: columns {missing} are not in the data; it has "
            f"{list(map(str, frame.columns))}."
        )
    for column, role in ((unit, "unit"), (time, "time")):
        absent = frame[column].isna().to_numpy()
        if absent.any():
            raise ValueError(
                f"first_treatment: the {role} column {column!r} has missing values "
                f"({_rows(frame.index[absent])}); fix: fill or drop those rows."
            )
    periods = pd.to_numeric(frame[time], errors="coerce")
    if periods.isna().any():
        bad = frame.index[periods.isna().to_numpy()]
        raise ValueError(
            f"first_treatment: the time column {time!r} has non-numeric values "
            f"({_rows(bad)}, e.g. {frame.loc[bad[0], time]!r}); fix: convert it to numbers."
        )
    d = pd.to_numeric(frame[treatment].astype("object"), errors="coerce")
    bad = ~d.isin([0, 1]).to_numpy()
    if bad.any():
        shown = sorted({repr(v) for v in frame.loc[bad, treatment].head(SHOW)})
        raise ValueError(
            f"first_treatment: the treatment column {treatment!r} must be 0 or 1 in every row; "
            f"{_rows(frame.index[bad])} hold {', '.join(shown)} (missing or other values). Fix: "
            "recode it to 0/1 (1 from the period a unit is treated on) or drop those rows."
        )
    work = pd.DataFrame({"u": frame[unit].to_numpy(), "t": periods.to_numpy(), "d": d.to_numpy()})
    work.index = frame.index
    conflicting = work.groupby(["u", "t"])["d"].transform("nunique").to_numpy() > 1
    if conflicting.any():
        raise ValueError(
            f"first_treatment: duplicated {unit}-{time} pairs disagree on {treatment!r} "
            f"({_rows(frame.index[conflicting])}); fix: keep one row per {unit} and {time}."
        )
    ordered = work.sort_values(["u", "t"], kind="stable")
    ever = ordered.groupby("u", sort=False)["d"].cummax()
    off = ordered.index[(ever == 1).to_numpy() & (ordered["d"] == 0).to_numpy()]
    if len(off):
        units = list(dict.fromkeys(work.loc[off, "u"]))
        first = work.loc[off[work.loc[off, "u"].to_numpy() == units[0]]]
        raise ValueError(
            f"first_treatment: the treatment {treatment!r} switches off (1, then 0 later) for "
            f"{len(units)} {unit}(s) {units[:SHOW]}{' …' if len(units) > SHOW else ''}: e.g. "
            f"{unit}={units[0]!r} returns to 0 at {time} {sorted(set(first['t']))[:SHOW]} "
            f"({_rows(off)} in all). A first-treatment period assumes treatment is absorbing. "
            "Fix: check the coding, or use did_multiplegt (replicate.models.dcdh), which "
            "allows switching on and off."
        )
    starts = work["t"].where(work["d"] == 1).groupby(work["u"]).min()
    entry = work.groupby("u")["t"].min()
    treated = starts.dropna()
    if len(treated) and (treated == entry.loc[treated.index]).all():
        warnings.warn(
            f"first_treatment: every treated {unit} ({len(treated)}) has {treatment!r} = 1 from "
            f"its first observed {time}, so all get cohort = their first period (treated "
            f"before the data begin). If {treatment!r} marks units ever treated (like R did's "
            "mpdta 'treat') rather than treatment in each period, it cannot give the timing: "
            "use the period-by-period treatment or the first-treatment column itself.",
            UserWarning,
            stacklevel=2,
        )
    cohort = work["u"].map(starts).fillna(0)
    whole = np.isclose(cohort, np.round(cohort))
    values = cohort.round().astype(np.int64) if whole.all() else cohort
    return pd.Series(values.to_numpy(), index=frame.index, name=name)
