"""What every DID estimator here shares: one vocabulary, the same guards, one result protocol.

Every estimator is called as ``estimator(data, outcome, *, unit, time, cohort, controls,
cluster, ...)``:

``data``
    a :class:`replicate.data.Panel` (its regression scale is applied, as
    :func:`replicate.replication.regression_frame` does, and ``unit``, ``time`` and
    ``cohort`` default to its ``city_id``, ``year`` and ``g``) or any DataFrame (then
    ``unit``, ``time`` and ``cohort`` must be named — nothing defaults to the paper's
    columns, so R ``did``'s ``mpdta`` works as ``unit="countyreal", cohort="first.treat"``).
``cohort``
    each unit's first treated period; 0 or missing = never treated (R ``did``'s ``gname``).
``cluster``
    defaults to ``unit`` everywhere.

:func:`resolve` checks the columns once — missing columns, NaN or infinite values in the
outcome, the controls or the cluster (naming column and rows), no treated unit, too few
clusters — and returns a :class:`Design`. Results mix in :class:`EstimateMixin`:
``estimate``, ``se``, ``conf_int()``, ``nobs``, ``tidy()`` and ``summary()``.
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

PANEL_COLUMNS = {"unit": KEY[0], "time": KEY[1], "cohort": "g"}
"""Column names of a :class:`replicate.data.Panel`'s frame (the defaults for a Panel)."""
FEW_CLUSTERS = 30
"""Below this many clusters, cluster-robust standard errors get a warning."""
SHOW_ROWS = 5
"""Rows an error message quotes before saying how many more there are."""


class FewClustersWarning(UserWarning):
    """Cluster-robust inference with fewer than :data:`FEW_CLUSTERS` clusters."""


@dataclass(frozen=True, eq=False)
class Design:
    """Resolved columns of one estimation, and the frame they refer to (never modified)."""

    frame: pd.DataFrame
    outcome: str
    unit: str
    time: str
    cohort: str
    controls: tuple[str, ...]
    cluster: str
    label: str

    @property
    def first_period(self) -> np.ndarray:
        """Cohort as floats with never treated (0 or missing) as 0."""
        return np.nan_to_num(self.frame[self.cohort].to_numpy(float), nan=0.0)

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
    return f"{len(index)} rows, index {shown}{more}"


def check_finite(frame: pd.DataFrame, columns: Sequence[str], role: str = "") -> None:
    """Raise if a column holds NaN, infinite or non-numeric values, naming column and rows."""
    problems = []
    for column in dict.fromkeys(columns):
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


def frame_of(data: Any) -> tuple[pd.DataFrame, dict[str, str], str]:
    """The DataFrame behind ``data``, default column names (a Panel's) and a label."""
    if isinstance(data, pd.DataFrame):
        return data, {}, "DataFrame"
    frame = getattr(data, "frame", None)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"data must be a replicate Panel or a pandas DataFrame, not {type(data).__name__}."
        )
    from replicate.models.fit import regression_scale  # one rule for every entry point

    present = {k: v for k, v in regression_scale(data).items() if k in frame.columns}
    if present:
        frame = frame.assign(**{k: frame[k] * v for k, v in present.items()})
    return frame, dict(PANEL_COLUMNS), str(getattr(data, "label", "panel"))


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
    cluster = cluster or names["unit"]
    needed = [*outcomes, names["unit"], names["time"], names["cohort"], *controls, cluster, *extra]
    absent = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if absent:
        raise ValueError(
            f"{method}: columns {absent} are not in the data; it has {list(map(str, frame.columns))}."
        )
    for column, role in ((names["unit"], "unit"), (names["time"], "time"), (cluster, "cluster")):
        check_present(frame, column, role)
    check_finite(frame, [*outcomes, *controls, *extra], method)
    check_finite(frame[frame[names["cohort"]].notna()], [names["cohort"]], method)
    design = Design(
        frame,
        outcomes[0],
        names["unit"],
        names["time"],
        names["cohort"],
        tuple(controls),
        cluster,
        label,
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
    """Clusters: an error below two or with a treatment arm inside one, a warning below 30."""
    frame, cluster = design.frame, design.cluster
    n_clusters = frame[cluster].nunique()
    if n_clusters < 2:
        raise ValueError(
            f"{method}: {n_clusters} cluster in {cluster!r}; cluster-robust standard errors need "
            "at least two (with one, the variance is zero by construction). Cluster on a finer "
            "column or use randomization inference (permutation_test)."
        )
    ever = pd.Series(design.treated > 0, index=frame.index).groupby(frame[design.unit]).max()
    cluster_of = frame.groupby(design.unit)[cluster].first()
    for arm, units in (("treated", ever[ever].index), ("never-treated", ever[~ever].index)):
        arm_clusters = cluster_of.loc[units].unique()
        if len(arm_clusters) == 1:
            raise ValueError(
                f"{method}: every {arm} unit is in one cluster ({cluster}={arm_clusters[0]}); "
                "cluster-robust standard errors cannot be estimated when a treatment arm lies in a "
                "single cluster. Cluster on a finer column, or use permutation_test."
            )
    if warn and n_clusters < FEW_CLUSTERS:
        warnings.warn(
            f"{method}: only {n_clusters} clusters in {cluster!r}; cluster-robust standard errors "
            f"are unreliable with fewer than {FEW_CLUSTERS}. Use wild_cluster_bootstrap "
            "(replicate.models.inference) for the p-value and interval.",
            FewClustersWarning,
            stacklevel=3,
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
            f"{method} needs a balanced panel; {len(short)} units lack some periods "
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

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """Normal-approximation interval ``estimate ± z·se`` (overridden where inference
        is by resampling)."""
        return normal_interval(self.estimate, self.se, level)

    def _terms(self) -> pd.DataFrame:
        return pd.DataFrame({"estimate": [self.estimate], "se": [self.se]}, index=[self.term])

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term: ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``; the first (headline) row's interval is :meth:`conf_int`, the others'
        the normal approximation (as are the p-values)."""
        terms = self._terms()
        est, se = terms["estimate"].to_numpy(float), terms["se"].to_numpy(float)
        z = stats.norm.ppf(0.5 + level / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = est / se
        low, high = est - z * se, est + z * se
        low[0], high[0] = self.conf_int(level)
        return pd.DataFrame(
            {
                "term": [str(t) for t in terms.index],
                "estimate": est,
                "std_error": se,
                "statistic": statistic,
                "p_value": 2 * stats.norm.sf(np.abs(statistic)),
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
