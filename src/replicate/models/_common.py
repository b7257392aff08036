"""What every DID estimator here shares: one vocabulary, one validation, one result protocol.

Every estimator is called as ``estimator(data, outcome, *, unit, time, cohort, controls,
cluster, ...)``:

``data``
    a :class:`replicate.data.Panel` (its regression scale is applied, as
    :func:`replicate.replication.regression_frame` does, and ``unit``, ``time`` and
    ``cohort`` default to its ``city_id``, ``year`` and ``g``), any pandas DataFrame, or a
    polars DataFrame (converted with its ``to_pandas()``; polars is not a dependency and is
    never imported unless the data are a polars frame). For a DataFrame ``unit``, ``time``
    and ``cohort`` must be named — nothing defaults to the paper's columns, so R ``did``'s
    ``mpdta`` works as ``unit="countyreal", cohort="first.treat"``.
``cohort``
    each unit's first treated period (R ``did``'s ``gname``). **Never treated** may be
    coded as ``0``, missing (NaN/None), ``+inf`` or ``-inf``, or any period after the last
    one in the data (treated only after the sample ends): every estimator reads all of them
    the same way, as never treated within the sample. Any other value — negative (e.g.
    ``-1``), fractional, or text that is not a whole number — is an error with the fix, and
    so is ``0`` when the periods themselves start at 0 or below (code NaN or inf there).
    Cohorts at or before the first period mean "always treated" (kept; the estimators
    that cannot use them say so).
``cluster``
    defaults to ``unit`` everywhere; estimators whose standard errors come from a
    regression also take ``vcov=`` with the choices of :func:`replicate.models.fit.fit`
    (``"iid"``, ``"hetero"``, ``{"CRV1": column}``).

:func:`resolve` validates the panel once, at every estimator's entry, with the same rules
for all (:func:`validate_panel`):

* unit, time and cluster have no missing values; unit ids may be numbers or text;
* ``time`` holds whole numbers: text years (``"2005"``) and whole floats are converted,
  fractional or non-numeric periods (and datetimes: pass ``.dt.year``) are refused;
* one row per unit and period: exact duplicate rows and conflicting rows for the same
  unit-period are both refused (never silently dropped), naming the rows and the fix;
* the cohort is one value per unit: a cohort that varies within a unit, or is missing in
  some rows of a treated unit, is refused, naming the units and rows;
* outcome, controls and other numeric columns are finite (NaN/inf named with their rows);
* some unit is treated within the sample; clusters: fewer than two is an error, fewer than
  :data:`FEW_CLUSTERS` a :class:`FewClustersWarning`, and treated rows (every one of them,
  not each unit's first row) in fewer than :data:`FEW_TREATED_CLUSTERS` clusters a
  :class:`FewTreatedClustersWarning` that points to randomization inference
  (:func:`replicate.models.inference.permutation_test`, which works with one treated
  unit) — cluster-robust inference is then unreliable, not impossible.

Every failure is a ``ValueError`` naming the column, the rows and the fix. The caller's
data are never modified: conversions happen on a copy, made only when something needs
converting, so clean data give exactly the numbers they gave before. Results mix in
:class:`EstimateMixin`: ``estimate``, ``se``, ``conf_int()``, ``nobs``, ``tidy()`` and
``summary()``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from replicate.data.pilots import treated_now
from replicate.data.schema import KEY
from replicate.models.fit import (  # one class and one threshold for fit and every estimator
    FEW_TREATED_CLUSTERS,
    FewTreatedClustersWarning,
)

PANEL_COLUMNS = {"unit": KEY[0], "time": KEY[1], "cohort": "g"}
"""Column names of a :class:`replicate.data.Panel`'s frame (the defaults for a Panel)."""
FEW_CLUSTERS = 30
"""Below this many clusters, cluster-robust standard errors get a warning."""
SHOW_ROWS = 5
"""Rows an error message quotes before saying how many more there are."""
NEVER_TREATED = "0, missing (NaN), +inf/-inf, or a period after the last one"
"""The codings of a never-treated unit in the cohort column, all read the same way."""


class FewClustersWarning(UserWarning):
    """Cluster-robust inference with fewer than :data:`FEW_CLUSTERS` clusters."""


@dataclass(frozen=True, eq=False)
class Design:
    """Resolved columns of one estimation, and the frame they refer to (never modified).

    ``cov_type`` is the regression covariance the user chose (``"cluster"``, ``"robust"``
    or ``"unadjusted"``, :class:`~replicate.models.twfe.TWFE`'s names; ``vcov=`` of
    :func:`resolve`); ``cluster`` is used only when it is ``"cluster"``.
    """

    frame: pd.DataFrame
    outcome: str
    unit: str
    time: str
    cohort: str
    controls: tuple[str, ...]
    cluster: str
    label: str
    cov_type: str = "cluster"

    @property
    def fit_options(self) -> dict[str, str]:
        """``cov_type`` and ``cluster`` for :meth:`TWFE.fit <replicate.models.twfe.TWFE.fit>`."""
        return {"cov_type": self.cov_type, "cluster": self.cluster}

    @property
    def first_period(self) -> np.ndarray:
        """Cohort as floats with the never-treated codings 0, NaN and ±inf as 0 (a period
        after the last one is kept: see :attr:`sample_cohort`)."""
        return np.nan_to_num(
            self.frame[self.cohort].to_numpy(float), nan=0.0, posinf=0.0, neginf=0.0
        )

    @property
    def sample_cohort(self) -> np.ndarray:
        """Cohort with units first treated after the last period set to 0: never treated
        within the sample (R ``bacondecomp``/``did`` treat them so too)."""
        g = self.first_period
        return np.where(g > self.frame[self.time].max(), 0.0, g)

    @property
    def treated(self) -> np.ndarray:
        """``did``: 1 from a unit's first treated period on."""
        return treated_now(self.frame[self.cohort], self.frame[self.time])


def _rows(frame: pd.DataFrame, mask: np.ndarray) -> str:
    index = frame.index[mask]
    shown = ", ".join(str(i) for i in index[:SHOW_ROWS])
    more = f" … and {len(index) - SHOW_ROWS} more" if len(index) > SHOW_ROWS else ""
    return f"{len(index)} {'row' if len(index) == 1 else 'rows'}, index {shown}{more}"


def _plainly_finite(values: pd.Series) -> bool:
    """True for a NumPy integer, boolean or all-finite float column: nothing to report."""
    kind = getattr(values.dtype, "kind", "O") if isinstance(values.dtype, np.dtype) else "O"
    return kind in "iub" or (kind == "f" and bool(np.isfinite(values.to_numpy()).all()))


def check_finite(frame: pd.DataFrame, columns: Sequence[str], role: str = "") -> None:
    """Raise if a column holds NaN, infinite or non-numeric values, naming column and rows."""
    columns = list(dict.fromkeys(columns))
    if all(_plainly_finite(frame[c]) for c in columns):  # the common case, without parsing
        return
    problems = []
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        text = pd.isna(values) & frame[column].notna().to_numpy()
        if text.any():
            problems.append(f"  {column!r}: non-numeric values ({_rows(frame, text)})")
        for kind, mask in (
            ("missing (NaN)", np.isnan(values) & ~text),
            ("infinite", np.isinf(values)),
        ):
            if mask.any():
                problems.append(f"  {column!r}: {kind} values ({_rows(frame, mask)})")
    if problems:
        raise ValueError(
            f"{role or 'the data'} cannot be estimated with these values:\n"
            + "\n".join(problems)
            + "\n  fix: drop or fill those rows before estimating (e.g. data.dropna(subset=[...]));"
            " estimators never drop rows silently."
        )


def check_present(frame: pd.DataFrame, column: str, role: str) -> None:
    """Raise if ``column`` (an identifier: unit, time, cluster) has missing values."""
    missing = frame[column].isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"the {role} column {column!r} has missing values ({_rows(frame, missing)}); "
            "fix: fill or drop those rows."
        )


def _numbers(frame: pd.DataFrame, column: str, method: str, role: str, fix: str) -> pd.Series:
    """``column`` as numbers: numeric columns as they are, text parsed (``"2005"`` → 2005);
    text that is not a number, or a datetime column, is an error naming the rows."""
    values = frame[column]
    if pd.api.types.is_datetime64_any_dtype(values):
        raise ValueError(
            f"{method}: the {role} column {column!r} holds dates; periods must be whole numbers. "
            f"Fix: data[{column!r}] = data[{column!r}].dt.year (or another integer period index)."
        )
    if pd.api.types.is_bool_dtype(values):
        raise ValueError(
            f"{method}: the {role} column {column!r} is boolean (True/False); it must hold "
            f"periods. {fix}"
        )
    if pd.api.types.is_numeric_dtype(values):
        return values
    parsed = pd.to_numeric(values.astype(object), errors="coerce")
    text = (parsed.isna() & values.notna()).to_numpy()
    if text.any():
        shown = list(dict.fromkeys(map(repr, values[text].astype(object))))[:SHOW_ROWS]
        raise ValueError(
            f"{method}: the {role} column {column!r} has values that are not numbers "
            f"({', '.join(shown)}; {_rows(frame, text)}). {fix}"
        )
    return parsed.astype(float)


def _whole(values: pd.Series) -> np.ndarray:
    """Rows whose value is finite and not a whole number."""
    v = values.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & (v != np.round(v))


def _integer_time(frame: pd.DataFrame, time: str, method: str) -> pd.Series | None:
    """The time column as int64 if it is not already an integer column (``None``: it is)."""
    fix = (
        f"Fix: code the periods as whole numbers, e.g. data[{time!r}] = data[{time!r}].astype(int) "
        "for years, or 4 * year + quarter for quarters."
    )
    values = _numbers(frame, time, method, "time", fix)
    if pd.api.types.is_integer_dtype(values):
        return None
    fractional = _whole(values)
    if fractional.any():
        shown = sorted(set(values[fractional].tolist()))[:SHOW_ROWS]
        raise ValueError(
            f"{method}: the time column {time!r} has periods that are not whole numbers "
            f"({shown}; {_rows(frame, fractional)}); event times and cohorts are counted in "
            f"whole periods. {fix}"
        )
    infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
    if infinite.any():
        raise ValueError(
            f"{method}: the time column {time!r} has infinite values ({_rows(frame, infinite)}). "
            f"{fix}"
        )
    return values.astype(np.int64)


def _numeric_cohort(frame: pd.DataFrame, cohort: str, method: str) -> pd.Series | None:
    """The cohort column checked against the one never-treated coding; converted to float
    if it was text (``None``: numeric and valid as it is)."""
    fix = (
        f"Fix: put each unit's first treated period in {cohort!r} and code never-treated "
        f"units as {NEVER_TREATED}, e.g. data[{cohort!r}] = data[{cohort!r}].replace(-1, 0)."
    )
    values = _numbers(frame, cohort, method, "cohort", fix)
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
        if not len(values) or values.min() >= 0:  # whole and non-negative: nothing to check
            return None if pd.api.types.is_numeric_dtype(frame[cohort]) else values
    v = values.to_numpy(dtype=float, na_value=np.nan)
    problems = []
    negative = v < 0
    negative &= np.isfinite(v)
    if negative.any():
        shown = sorted(set(v[negative].tolist()))[:SHOW_ROWS]
        problems.append(f"negative values {shown} ({_rows(frame, negative)})")
    fractional = _whole(values)
    if fractional.any():
        shown = sorted(set(v[fractional].tolist()))[:SHOW_ROWS]
        problems.append(f"values that are not whole periods {shown} ({_rows(frame, fractional)})")
    if problems:
        raise ValueError(
            f"{method}: the cohort column {cohort!r} (first treated period) has "
            + "; ".join(problems)
            + f". Never treated is coded {NEVER_TREATED}; anything else is ambiguous "
            f"(−1 would read as treated before the sample). {fix}"
        )
    return None if pd.api.types.is_numeric_dtype(frame[cohort]) else values


def _codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of a column's values, in 0 … n−1, and n (some codes may be unused).

    Integer columns with a compact range (ids, years) are coded as ``value − min`` without
    hashing; anything else through ``pd.factorize``."""
    if pd.api.types.is_integer_dtype(column) and len(column):
        values = column.to_numpy(np.int64)
        low, high = int(values.min()), int(values.max())
        if high - low < 4 * len(values) + 1024:
            return values - low, high - low + 1
    codes, uniques = pd.factorize(column)
    return codes.astype(np.int64), len(uniques)


def _duplicates(
    frame: pd.DataFrame, unit: str, time: str, method: str, units: np.ndarray, n_units: int
) -> None:
    """Refuse repeated unit-period pairs, exact copies and conflicting rows alike
    (``units``: the unit codes of :func:`_codes`)."""
    periods, n_periods = _codes(frame[time])
    pair = units * n_periods + periods
    if np.bincount(pair, minlength=n_units * n_periods).max(initial=0) <= 1:
        return  # the common case, in one pass over integer codes
    repeated = frame.duplicated([unit, time], keep=False).to_numpy()
    rows = frame[repeated]
    exact = rows.duplicated(keep=False).to_numpy()
    exact_rows = np.zeros(len(frame), bool)
    exact_rows[np.flatnonzero(repeated)[exact]] = True
    conflict_rows = repeated & ~exact_rows
    parts = []
    if exact_rows.any():
        parts.append(f"exact copies of other rows ({_rows(frame, exact_rows)})")
    if conflict_rows.any():
        clash = rows[~exact]
        differ = [
            str(c)
            for c in frame.columns
            if c not in (unit, time)
            and (clash.groupby([unit, time])[c].nunique(dropna=False) > 1).any()
        ]
        parts.append(
            f"rows for the same {unit}-{time} pair that disagree (in {differ[:SHOW_ROWS]}; "
            f"{_rows(frame, conflict_rows)})"
        )
    fixes = []
    if exact_rows.any():
        fixes.append("drop the copies with data.drop_duplicates()")
    if conflict_rows.any():
        fixes.append(
            "for the rows that disagree, decide which is right, aggregate them (e.g. "
            f"data.groupby([{unit!r}, {time!r}], as_index=False).mean(numeric_only=True)) or "
            "correct the unit or time codes"
        )
    raise ValueError(
        f"{method}: one row per unit and period is needed (one per {unit!r}-{time!r} pair); "
        f"the data have {' and '.join(parts)}. Estimators never drop rows silently. "
        f"Fix: {'; '.join(fixes)}."
    )


def _cohort_per_unit(
    frame: pd.DataFrame,
    design_cohort: np.ndarray,
    unit: str,
    cohort: str,
    method: str,
    codes: np.ndarray,
    n_units: int,
) -> None:
    """Refuse a cohort that varies within a unit (in-sample codes compared, so 0 and NaN in
    the rows of one never-treated unit agree; ``codes``: the unit codes of :func:`_codes`).

    A unit's cohorts are equal iff their variance is zero: ``n·Σg² = (Σg)²``, exact here
    because the cohorts are whole numbers (sums of integers below 2⁵³)."""
    n = np.bincount(codes, minlength=n_units).astype(float)
    total = np.bincount(codes, design_cohort, n_units)
    squares = np.bincount(codes, design_cohort * design_cohort, n_units)
    split = n * squares != total * total
    if not split.any():
        return
    varies = split[codes]
    units = list(dict.fromkeys(frame.loc[varies, unit].tolist()))
    partial = varies & (design_cohort == 0)
    what = (
        f"missing or coded never treated in some rows of treated units ({_rows(frame, partial)})"
        if partial.any()
        else "different first treated periods in different rows"
    )
    raise ValueError(
        f"{method}: the cohort column {cohort!r} must hold one value per unit (its first "
        f"treated period), but {len(units)} units ({units[:SHOW_ROWS]}) have {what}; their "
        f"rows: {_rows(frame, varies)}. Fix: give every row of a unit the same cohort, e.g. "
        f"data[{cohort!r}] = data.groupby({unit!r})[{cohort!r}].transform('min') if the "
        "earliest is right, after checking why the rows differ."
    )


def _zero_is_a_period(frame: pd.DataFrame, time: str, cohort: str, method: str) -> None:
    """Refuse cohort 0 when period 0 is in the data: "never treated" and "treated from
    period 0 on" would read alike."""
    if frame[time].min() > 0:
        return
    zero = (frame[cohort] == 0).to_numpy(dtype=bool, na_value=False)
    if zero.any():
        raise ValueError(
            f"{method}: the time column {time!r} starts at {frame[time].min()}, so cohort 0 in "
            f"{cohort!r} ({_rows(frame, zero)}) could mean treated from period 0 as well as "
            "never treated. Fix: code never-treated units as NaN or inf (e.g. "
            f"data[{cohort!r}] = data[{cohort!r}].replace(0, float('inf'))), or number the "
            "periods from 1."
        )


def validate_panel(
    frame: pd.DataFrame, unit: str, time: str, cohort: str, method: str = "this estimator"
) -> pd.DataFrame:
    """The checks every DID estimator runs on its panel (see the module docstring).

    Returns ``frame`` itself when nothing needs converting, else a converted copy (integer
    time, numeric cohort); the caller's frame is never modified. Raises ``ValueError``
    naming the column, the rows and the fix.
    """
    for column, role in ((unit, "unit"), (time, "time")):
        check_present(frame, column, role)
    converted = {}
    if isinstance(frame[unit].dtype, pd.CategoricalDtype):  # its values, not category codes
        converted[unit] = frame[unit].astype(frame[unit].cat.categories.dtype)
    time_values = _integer_time(frame, time, method)
    if time_values is not None:
        converted[time] = time_values
    cohort_values = _numeric_cohort(frame, cohort, method)
    if cohort_values is not None:
        converted[cohort] = cohort_values
    if converted:
        frame = frame.assign(**converted)
    units, n_units = _codes(frame[unit])
    _duplicates(frame, unit, time, method, units, n_units)
    _zero_is_a_period(frame, time, cohort, method)
    g = frame[cohort].to_numpy(float)
    if not np.isfinite(g).all():
        g = np.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0)
    g = np.where(g > frame[time].max(), 0.0, g)
    _cohort_per_unit(frame, g, unit, cohort, method, units, n_units)
    return frame


def treated_clusters(frame: pd.DataFrame, cluster: str, treated: Any) -> int:
    """Number of distinct ``cluster`` values over every row where ``treated`` is true.

    Every treated row counts (not each unit's first row), so a cluster column finer than
    the unit (e.g. unit × period) is counted as it is.
    """
    mask = np.asarray(treated, dtype=float) > 0
    return int(frame.loc[mask, cluster].nunique())


def _from_polars(data: Any) -> pd.DataFrame | None:
    """A polars DataFrame as pandas (``to_pandas()``); ``None`` if ``data`` is not polars.

    polars is not a dependency: it is looked up only in ``sys.modules`` (a polars frame
    cannot exist unless polars was imported), never imported here.
    """
    import sys

    polars = sys.modules.get("polars")
    if polars is None:
        return None
    if isinstance(data, getattr(polars, "LazyFrame", ())):
        raise TypeError(
            "data is a polars LazyFrame; collect it first: estimator(data.collect(), ...)."
        )
    if not isinstance(data, polars.DataFrame):
        return None
    try:
        return data.to_pandas()
    except Exception as err:  # e.g. pyarrow missing
        raise TypeError(
            f"cannot convert the polars DataFrame to pandas ({err}); convert it yourself "
            "with data.to_pandas() and pass the pandas frame."
        ) from None


def frame_of(data: Any) -> tuple[pd.DataFrame, dict[str, str], str]:
    """The DataFrame behind ``data``, default column names (a Panel's) and a label."""
    if isinstance(data, pd.DataFrame):
        return data, {}, "DataFrame"
    converted = _from_polars(data)
    if converted is not None:
        return converted, {}, "polars DataFrame"
    frame = getattr(data, "frame", None)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            "data must be a replicate Panel, a pandas DataFrame or a polars DataFrame, not "
            f"{type(data).__name__}."
        )
    from replicate.models.fit import regression_scale  # one rule for every entry point

    present = {k: v for k, v in regression_scale(data).items() if k in frame.columns}
    if present:
        frame = frame.assign(**{k: frame[k] * v for k, v in present.items()})
    return frame, dict(PANEL_COLUMNS), str(getattr(data, "label", "panel"))


COV_NAMES = {"cluster": "{'CRV1': column}", "robust": "'hetero'", "unadjusted": "'iid'"}
"""How :func:`replicate.models.fit.fit` spells each covariance type."""


def _covariance(
    vcov: Any, cluster: str | None, choices: Sequence[str], method: str
) -> tuple[str, str | None]:
    """``vcov`` (fit's choices) and ``cluster`` as ``(cov_type, cluster column)``."""
    if vcov is None:
        return "cluster", cluster
    from replicate.models.fit import _vcov  # the one parser of vcov choices

    cov_type, column = _vcov(vcov)
    if cov_type not in choices:
        allowed = [COV_NAMES[c] for c in choices]
        raise ValueError(
            f"{method}: vcov={vcov!r} is not supported; this estimator's standard errors allow "
            f"{allowed} only (cluster= or vcov={{'CRV1': column}} names the cluster column)."
        )
    if cov_type == "cluster":
        if "+" in column:
            raise ValueError(
                f"{method}: vcov={vcov!r} asks for two-way clustering, which only "
                "replicate.fit() offers; this estimator clusters one way. Fix: pass one "
                "column, e.g. vcov={'CRV1': " + repr(column.split("+")[0]) + "}."
            )
        if cluster is not None and cluster != column:
            raise ValueError(
                f"{method}: cluster={cluster!r} and vcov={vcov!r} name different clusters; "
                "pass one of them."
            )
        return cov_type, column
    if cluster is not None:
        raise ValueError(
            f"{method}: cluster={cluster!r} with vcov={vcov!r}: a cluster column is only used "
            "by clustered standard errors; drop cluster= or pass vcov={'CRV1': "
            f"{cluster!r}}}."
        )
    return cov_type, None


def resolve(
    data: Any,
    outcome: str | Sequence[str],
    *,
    unit: str | None,
    time: str | None,
    cohort: str | None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    extra: Sequence[str] = (),
    method: str = "this estimator",
    clustered: bool = True,
    warn: bool = True,
    needs_treated: bool = True,
    vcov: Any = None,
    vcov_choices: Sequence[str] = ("cluster",),
) -> Design:
    """Check the columns of one estimation and return them resolved.

    Parameters
    ----------
    outcome : str or sequence of str
        Outcome column (several for estimators with more than one equation; the first is
        the design's ``outcome``). All must be finite.
    extra : sequence of str
        Other numeric columns that must be finite (e.g. a mediator).
    method : str
        Name used in error messages.
    clustered : bool
        Whether the estimator's inference clusters; then fewer than two clusters, or a
        treatment arm (ever treated / never treated units) within a single cluster, is an
        error, and fewer than :data:`FEW_CLUSTERS` a :class:`FewClustersWarning` (unless
        ``warn`` is false: estimators on :class:`~replicate.models.twfe.TWFE` get its warning).
        Treated rows in fewer than :data:`FEW_TREATED_CLUSTERS` clusters (or never-treated
        units in fewer) give a :class:`FewTreatedClustersWarning` pointing to
        ``permutation_test``, whatever ``warn`` says.
    vcov : {"iid", "hetero"} or {"CRV1": column}, optional
        The covariance choices of :func:`replicate.models.fit.fit`; ``None`` clusters on
        ``cluster`` (default the unit). ``{"CRV1": column}`` is the same as ``cluster=column``.
    vcov_choices : sequence of {"cluster", "robust", "unadjusted"}
        Which covariances the estimator supports; another is an error saying so.
    """
    if isinstance(controls, str):
        controls = [controls]
    frame, defaults, label = frame_of(data)
    given = {"unit": unit, "time": time, "cohort": cohort}
    names = {k: v if v is not None else defaults.get(k) for k, v in given.items()}
    unnamed = [k for k, v in names.items() if v is None]
    if unnamed:
        hint = ", ".join(f"{k}=..." for k in unnamed)
        raise ValueError(
            f"{method}: name the panel's columns ({hint}) — a DataFrame has no defaults. "
            f"unit is the unit id, time the period, cohort the first treated period "
            f"(0 or missing = never treated). The frame has columns {list(map(str, frame.columns))}."
        )
    outcomes = [outcome] if isinstance(outcome, str) else list(outcome)
    cov_type, cluster = _covariance(vcov, cluster, vcov_choices, method)
    clustered = clustered and cov_type == "cluster"
    cluster = cluster or names["unit"]
    needed = [*outcomes, names["unit"], names["time"], names["cohort"], *controls, cluster, *extra]
    absent = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if absent:
        raise ValueError(
            f"{method}: columns {absent} are not in the data; it has {list(map(str, frame.columns))}."
        )
    frame = validate_panel(frame, names["unit"], names["time"], names["cohort"], method)
    check_present(frame, cluster, "cluster")
    check_finite(frame, [*outcomes, *controls, *extra], method)
    design = Design(
        frame,
        outcomes[0],
        names["unit"],
        names["time"],
        names["cohort"],
        tuple(controls),
        cluster,
        label,
        cov_type,
    )
    if needs_treated:
        check_treated(design, method)
    if clustered:
        check_clusters(design, method, warn)
    return design


def check_treated(design: Design, method: str) -> None:
    """Raise unless some unit is treated within the sample period."""
    if design.treated.any():
        return
    g = design.first_period
    later = g[g > 0]
    why = (
        f"every first treated period in {design.cohort!r} ({sorted(set(later.astype(int)))[:5]}…) "
        f"is after the last period {design.frame[design.time].max()}"
        if later.size
        else f"column {design.cohort!r} is 0 or missing for every unit"
    )
    raise ValueError(
        f"{method}: no treated unit in the sample — {why}. A DID needs units treated during "
        "the sample; check the cohort column (first treated period, 0 = never treated)."
    )


def check_clusters(design: Design, method: str, warn: bool = True) -> None:
    """Clusters: an error below two, a :class:`FewClustersWarning` below
    :data:`FEW_CLUSTERS` (if ``warn``), a :class:`FewTreatedClustersWarning` when the
    treated rows — every one of them — or the never-treated units lie in fewer than
    :data:`FEW_TREATED_CLUSTERS` clusters."""
    frame, cluster = design.frame, design.cluster
    n_clusters = frame[cluster].nunique()
    if n_clusters < 2:
        raise ValueError(
            f"{method}: {n_clusters} cluster in {cluster!r}; cluster-robust standard errors need "
            "at least two (with one, the variance is zero by construction). Cluster on a finer "
            "column or use randomization inference (permutation_test)."
        )
    treated = design.treated
    # No treated row by the cohort (an estimator given its own 0/1 treatment): no arm to count.
    arms = [("treated rows", treated_clusters(frame, cluster, treated))] if treated.any() else []
    never = design.sample_cohort == 0
    if never.any():
        arms.append(("never-treated units", treated_clusters(frame, cluster, never)))
    few = [(arm, k) for arm, k in arms if k < FEW_TREATED_CLUSTERS]
    if few:
        what = " and ".join(f"the {arm} lie in {k} cluster{'s' * (k != 1)}" for arm, k in few)
        warnings.warn(
            f"{method}: {what} of {cluster!r} (of {n_clusters}); cluster-robust standard errors "
            f"and p-values are unreliable with fewer than {FEW_TREATED_CLUSTERS} treated (or "
            "control) clusters, however many clusters there are in all (MacKinnon & Webb 2017; "
            "Conley & Taber 2011). Use randomization inference instead: "
            "replicate.models.inference.permutation_test(...) works with one treated unit "
            "(strata= for a stratified assignment).",
            FewTreatedClustersWarning,
            stacklevel=3,
        )
    if warn and n_clusters < FEW_CLUSTERS:
        warnings.warn(
            f"{method}: only {n_clusters} clusters in {cluster!r}; cluster-robust standard errors "
            f"are unreliable with fewer than {FEW_CLUSTERS}. Use wild_cluster_bootstrap "
            "(replicate.models.inference) for the p-value and interval.",
            FewClustersWarning,
            stacklevel=3,
        )


def require_nested(design: Design, method: str) -> None:
    """Raise unless each unit lies in one cluster (resampling whole clusters of units)."""
    frame = design.frame
    per_unit = frame.groupby(design.unit, sort=False)[design.cluster].nunique()
    split = per_unit[per_unit > 1]
    if len(split):
        rows = frame[design.unit].isin(split.index).to_numpy()
        raise ValueError(
            f"{method}: cluster {design.cluster!r} must nest the units (each unit in one "
            f"cluster); units {list(split.index[:SHOW_ROWS])} are in more than one ("
            f"{_rows(frame, rows)}). Fix: cluster on the unit or a coarser unit-level column "
            "(e.g. the province)."
        )


def require_balanced(design: Design, method: str) -> None:
    """Raise unless every unit is observed once in every period."""
    frame, unit, time = design.frame, design.unit, design.time
    duplicated = frame.duplicated([unit, time], keep=False).to_numpy()
    if duplicated.any():
        raise ValueError(
            f"{method}: duplicated {unit}-{time} pairs ({_rows(frame, duplicated)}); "
            "keep one row per unit and period."
        )
    counts = frame.groupby(unit)[time].nunique()
    short = counts[counts < frame[time].nunique()]
    if len(short):
        raise ValueError(
            f"{method} needs a balanced panel; {len(short)} {'unit lacks' if len(short) == 1 else 'units lack'} some periods "
            f"(e.g. {list(short.index[:SHOW_ROWS])}). Fix: keep units observed in every period."
        )


def with_treatment(design: Design, name: str = "did") -> pd.DataFrame:
    """A copy of the frame with ``name`` = 1 from each unit's first treated period on.

    If the data already hold a column ``name`` it must agree with ``cohort``: the
    estimators take treatment timing from ``cohort`` only.
    """
    frame, did = design.frame, design.treated
    if name in frame.columns:
        given = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        differs = ~np.isclose(given, did) | np.isnan(given)
        if differs.any():
            raise ValueError(
                f"column {name!r} disagrees with cohort {design.cohort!r} "
                f"({_rows(frame, differs)}): {name} should be 1 from the first treated period on. "
                f"Fix the cohort column, or drop/rename {name!r} (it is derived from the cohort)."
            )
    return frame.assign(**{name: did})


def pre_period_means(
    design: Design, columns: Sequence[str], before: int | None = None, method: str = "estimator"
) -> tuple[pd.DataFrame, int]:
    """Each unit's mean of ``columns`` over the periods before ``before`` (default: the
    first treated period in the sample), and that period. A unit with no such period is
    an error, never silently dropped."""
    frame, unit, time = design.frame, design.unit, design.time
    g = design.sample_cohort
    first = int(g[g > 0].min()) if before is None else int(before)
    pre = frame[frame[time] < first]
    missing = sorted(set(frame[unit]) - set(pre[unit]))
    if pre.empty or missing:
        raise ValueError(
            f"{method}: units {missing[:SHOW_ROWS]} have no period before {first} to measure a "
            "pre-treatment mean; pass an earlier before= or drop them."
        )
    return pre.groupby(unit)[list(columns)].mean(), first


def normal_interval(estimate: float, se: float, level: float) -> tuple[float, float]:
    z = stats.norm.ppf(0.5 + level / 2)
    return (float(estimate - z * se), float(estimate + z * se))


class EstimateMixin:
    """The result protocol: ``estimate``, ``se``, ``nobs``, ``conf_int()``, ``tidy()``,
    ``summary()``. Subclasses are frozen dataclasses holding the numbers; they may
    override :meth:`conf_int` (e.g. bootstrap or permutation intervals) and
    :meth:`_terms` (several rows, e.g. by event time). ``tidy()`` has the columns of
    :meth:`replicate.models.twfe.TWFEResults.tidy` (R ``broom``'s names)."""

    estimate: float
    se: float
    nobs: int
    method_name: str = "estimate"
    term: str = "ATT"
    """Name of the headline row in :meth:`tidy`."""
    df_resid: float = float("inf")
    """Degrees of freedom of the t distribution behind p-values and intervals; infinite
    (the default) means the normal approximation. Results whose ``se`` is a TWFE
    regression's carry its degrees of freedom, so they print :func:`replicate.fit`'s p."""

    def _critical(self, level: float) -> float:
        if np.isfinite(self.df_resid):
            return float(stats.t.ppf(0.5 + level / 2, self.df_resid))
        return float(stats.norm.ppf(0.5 + level / 2))

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """Interval ``estimate ± c·se``, ``c`` normal or Student's t with :attr:`df_resid`
        (overridden where inference is by resampling)."""
        if not np.isfinite(self.df_resid):
            return normal_interval(self.estimate, self.se, level)
        c = self._critical(level)
        return (float(self.estimate - c * self.se), float(self.estimate + c * self.se))

    def _terms(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.estimate], "se": [self.se]}, index=[self.term])

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term: ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``; the first (headline) row's interval is :meth:`conf_int`, the others'
        the normal approximation, or Student's t with :attr:`df_resid` when finite (as are
        the p-values)."""
        terms = self._terms()
        est, se = terms["estimate"].to_numpy(float), terms["se"].to_numpy(float)
        z = self._critical(level)
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = est / se
        low, high = est - z * se, est + z * se
        low[0], high[0] = self.conf_int(level)
        if np.isfinite(self.df_resid):
            p_value = 2 * stats.t.sf(np.abs(statistic), self.df_resid)
        else:
            p_value = 2 * stats.norm.sf(np.abs(statistic))
        return pd.DataFrame(
            {
                "term": [str(t) for t in terms.index],
                "estimate": est,
                "std_error": se,
                "statistic": statistic,
                "p_value": p_value,
                "conf_low": low,
                "conf_high": high,
            }
        )

    def _details(self) -> dict[str, object]:
        return {}

    def summary(self):
        """What was estimated, on how many observations, and the terms (prints as text,
        renders as HTML in a notebook)."""
        from replicate.models.twfe import Summary

        header = [self.method_name, f"N = {self.nobs:,}"]
        header += [f"{k}: {v}" for k, v in self._details().items()]
        return Summary(header, self.tidy().set_index("term"))
