"""One result protocol for DID results: what ``etable``, ``sensitivity`` and ``iplot`` read.

The estimators return their own result classes (:class:`~replicate.models.twfe.TWFEResults`
from :func:`replicate.fit`, :class:`~replicate.models.event_study.EventStudyResults`,
:class:`~replicate.models.staggered.EventEffects` from ``sun_abraham`` and ``imputation``,
:class:`~replicate.models.staggered.CSResults`, :class:`~replicate.models.dcdh.DIDMResults`).
This module reads them through two adapters, so every consumer sees the same thing and
nothing is taken from a default:

* :func:`event_times` — the event-time effects of an event-study result: estimate, s.e.,
  pointwise (and, where computed, uniform) bands, their covariance when the result carries
  it (what HonestDiD needs), the reference period, the outcome and the time column.
  A :func:`replicate.fit` result whose coefficients are ``var::k`` (``sunab()`` or
  ``i(rel, …)``) is an event study too.
* :func:`describe` — what a column of ``etable`` says about a result: its headline
  coefficient(s), N, the fixed effects it absorbed (``None`` when it is not a fixed-effects
  regression), the kind of standard error and the cluster variable.

Attributes are read with ``getattr``: a result class that gains ``vcov``, ``outcome``,
``time``, ``unit``, ``cluster`` or ``reference`` is used as soon as it has them; where an
attribute is missing the adapters say so (an error for the covariance, neutral words for a
label), never a guess dressed as data. Ours (no library has a common protocol for these).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

HEADLINE = "ATT"
"""Row name of a DID result's headline effect in ``etable`` (the term ``fit`` results use
for their coefficients is their own)."""
_EVENT_NAME = re.compile(r"^(?P<var>[A-Za-z_][A-Za-z0-9_.]*)::(?P<k>-?\d+)(?::(?P<x>[\w.]+))?$")


@dataclass(frozen=True)
class EventTimes:
    """Event-time effects of one result, in one shape.

    Attributes
    ----------
    table : DataFrame
        Indexed by event time (int), columns ``estimate``, ``se``, ``lower``, ``upper``
        (pointwise, at ``level``), ``lower_uniform``/``upper_uniform`` where the result
        computed uniform (sup-t) bands (else NaN), ``label`` (tick label, e.g. "≤-5" for a
        binned endpoint). The reference period, when the design has one, is a row with
        estimate 0 and se NaN.
    vcov : ndarray or None
        Covariance of the estimated (non-reference) rows, in table order; None when the
        result does not carry it.
    reference : int or None
        The omitted event time (None: no normalisation, e.g. imputation's post-period
        effects or Callaway–Sant'Anna's "varying" base period).
    outcome, time : str or None
        The outcome and the time column's name, when the result records them.
    method : str
        The estimator in words.
    level : float
    """

    table: pd.DataFrame
    vcov: np.ndarray | None
    reference: int | None
    outcome: str | None
    time: str | None
    method: str
    level: float = 0.95

    @property
    def estimated(self) -> pd.DataFrame:
        """The rows with an estimate (the reference row left out)."""
        return self.table[self.table["se"].notna()]

    @property
    def pre(self) -> np.ndarray:
        """Estimated event times before the reference period (before 0 without one)."""
        cut = self.reference if self.reference is not None else 0
        return self.estimated.index.to_numpy()[self.estimated.index.to_numpy() < cut]


def _frame(est, se, index, level, z, labels=None, uniform=None) -> pd.DataFrame:
    est, se = np.asarray(est, float), np.asarray(se, float)
    out = pd.DataFrame(
        {"estimate": est, "se": se, "lower": est - z * se, "upper": est + z * se},
        index=pd.Index(np.asarray(index).astype(int), name="event_time"),
    )
    low, high = uniform if uniform is not None else (np.nan, np.nan)
    out["lower_uniform"], out["upper_uniform"] = low, high
    out["label"] = list(labels) if labels is not None else [str(e) for e in out.index]
    return out


def _with_reference(table: pd.DataFrame, reference: int | None) -> pd.DataFrame:
    if reference is None or reference in table.index:
        return table
    row = pd.DataFrame(
        {"estimate": [0.0], "se": [np.nan], "lower": [np.nan], "upper": [np.nan]},
        index=pd.Index([reference], name="event_time"),
    ).assign(lower_uniform=np.nan, upper_uniform=np.nan, label=str(reference))
    return pd.concat([table, row]).sort_index()


def _gap(index) -> int | None:
    """The one missing integer inside a run of event times (a reference period), if any."""
    values = np.asarray(index).astype(int)
    gaps = sorted(set(range(values.min(), values.max() + 1)) - set(values))
    return gaps[0] if len(gaps) == 1 else None


def _cov_frame(cov, index) -> np.ndarray | None:
    if cov is None:
        return None
    if isinstance(cov, pd.DataFrame):
        return cov.loc[list(index), list(index)].to_numpy(float)
    return np.asarray(cov, float)


def event_times(result: Any, level: float = 0.95) -> EventTimes:
    """The event-time effects of ``result`` (see :class:`EventTimes`).

    Accepts the TWFE event study, Sun–Abraham and imputation (``EventEffects``),
    Callaway–Sant'Anna (its dynamic aggregation) and a :func:`replicate.fit` result with
    ``var::k`` coefficients (``sunab()``, ``i(rel, …)``). Raises ``TypeError`` for a result
    without event times (e.g. dCDH's DID_M, a plain regression), naming what works.
    """
    from replicate.models.event_study import EventStudyResults
    from replicate.models.staggered import CSResults, EventEffects
    from replicate.models.twfe import TWFEResults

    z = stats.norm.ppf(0.5 + level / 2)
    if isinstance(result, EventStudyResults):
        df = result.pretrend_df[1]
        zt = stats.t.ppf(0.5 + level / 2, df)
        rows = result.pointwise.drop(index=result.reference_period)
        uniform = None
        if level == result.level:
            uniform = (
                rows["coef"] - result.sup_t * rows["se"],
                rows["coef"] + result.sup_t * rows["se"],
            )
        table = _frame(rows["coef"], rows["se"], rows.index, level, zt, rows["label"], uniform)
        table = _with_reference(table, result.reference_period)
        table.loc[result.reference_period, "label"] = str(
            result.pointwise.loc[result.reference_period, "label"]
        )
        return EventTimes(
            table,
            np.asarray(result.sigma, float),
            result.reference_period,
            result.regression.outcome,
            getattr(result, "time", None) or None,
            "TWFE event study",
            level,
        )
    if isinstance(result, EventEffects):
        by = result.by_event
        sa = result.by_cohort_event is not None
        reference = getattr(result, "reference", None)
        if reference is None and sa:
            reference = _gap(by.index)
        table = _with_reference(_frame(by["estimate"], by["se"], by.index, level, z), reference)
        method = "Sun–Abraham" if sa else "imputation (Borusyak–Jaravel–Spiess)"
        return EventTimes(
            table,
            _cov_frame(getattr(result, "vcov", None), by.index),
            reference,
            getattr(result, "outcome", None) or None,
            getattr(result, "time", None) or None,
            method,
            level,
        )
    if isinstance(result, CSResults):
        if "dynamic" not in result.aggregations:
            raise TypeError("this Callaway–Sant'Anna result has no dynamic aggregation.")
        dyn = result.aggregations["dynamic"].dropna(subset=["estimate"])
        crit = result.critical_values.get("dynamic") if level == 0.95 else None
        uniform = None
        if crit is not None:
            uniform = (dyn["estimate"] - crit * dyn["se"], dyn["estimate"] + crit * dyn["se"])
        table = _frame(dyn["estimate"], dyn["se"], dyn.index, level, z, None, uniform)
        universal = getattr(result, "base_period", "varying") == "universal"
        reference = None
        if universal:  # the reference cells are 0 with no variance
            reference = -1 - int(getattr(result, "anticipation", 0))
            table = table.drop(index=[reference], errors="ignore")
            table = _with_reference(table, reference)
        vcovs = getattr(result, "vcov", None) or {}
        cov = vcovs.get("dynamic") if isinstance(vcovs, Mapping) else None
        if cov is not None:
            keep = list(table[table["se"].notna()].index)
            cov = _cov_frame(cov, keep)
        return EventTimes(
            table,
            cov,
            reference,
            getattr(result, "outcome", None) or None,
            getattr(result, "time", None) or None,
            "Callaway–Sant'Anna (dynamic aggregation)",
            level,
        )
    if isinstance(result, TWFEResults):
        names = [n for n in result.params.index if _EVENT_NAME.match(str(n))]
        variables = {_EVENT_NAME.match(n).group("var") for n in names}
        if not names or len(variables) != 1:
            raise TypeError(
                "this fit has no event-time coefficients: write them with sunab(cohort, time) "
                "or i(rel_time, treated, ref=-1) in the formula."
            )
        k = np.array([int(_EVENT_NAME.match(n).group("k")) for n in names])
        order = np.argsort(k)
        names, k = [names[i] for i in order], k[order]
        zt = stats.t.ppf(0.5 + level / 2, result.df_resid)
        table = _frame(result.params[names], result.std_errors[names], k, level, zt)
        reference = _gap(k)
        table = _with_reference(table, reference)
        var = variables.pop()
        time = var if "sunab(" in str(result.formula or "") else None
        return EventTimes(
            table,
            result.cov.loc[names, names].to_numpy(float),
            reference,
            result.outcome,
            time,
            "Sun–Abraham (fit, sunab)" if time else f"event study (fit, i({var}))",
            level,
        )
    raise TypeError(
        f"{type(result).__name__} has no event-time effects; event_times takes event_study, "
        "sun_abraham, imputation, callaway_santanna results or a fit with sunab()/i() terms."
    )


# ----------------------------------------------------------------------------- etable


@dataclass(frozen=True)
class Column:
    """What one ``etable`` column reports about a result, read from it.

    ``coefficients`` has ``estimate``, ``se``, ``p`` by row name; ``absorb`` is None for an
    estimator that is not a fixed-effects regression (Callaway–Sant'Anna, DID_M) and for
    one whose result does not name its effects (``absorb_known`` False: a Sun–Abraham
    result without ``unit``/``time``); ``rsquared`` NaN where there is none.
    """

    coefficients: pd.DataFrame
    nobs: int
    absorb: tuple[str, ...] | None
    vcov: str
    cluster: str | None
    inference: str
    method: str
    rsquared: float = np.nan
    rsquared_within: float = np.nan
    n_clusters: int | None = None
    data_label: str | None = None
    absorb_known: bool = True


def _headline(result: Any, events: bool) -> pd.DataFrame:
    """Headline effect as row "ATT" (p-value from the result's own ``tidy``), then the
    event-time rows when asked."""
    tidy = result.tidy()
    head = tidy.iloc[[0]]
    out = pd.DataFrame(
        {"estimate": head["estimate"].to_numpy(), "se": head["std_error"].to_numpy()},
        index=[HEADLINE],
    )
    out["p"] = head["p_value"].to_numpy()
    if events:
        try:
            ev = event_times(result)
        except TypeError:
            return out
        rows = ev.estimated
        p = 2 * stats.norm.sf(np.abs(rows["estimate"] / rows["se"]))
        if type(result).__name__ == "EventStudyResults":
            p = 2 * stats.t.sf(np.abs(rows["estimate"] / rows["se"]), result.pretrend_df[1])
        extra = pd.DataFrame(
            {"estimate": rows["estimate"].to_numpy(), "se": rows["se"].to_numpy(), "p": p},
            index=[f"event {label}" for label in rows["label"]],
        )
        out = pd.concat([out, extra])
    return out


def _cluster_from_notes(result: Any) -> str | None:
    for note in getattr(result, "notes", ()) or ():
        match = re.search(r"clustered by (\S+)", str(note))
        if match:
            return match.group(1).rstrip(",.;")
    return None


def describe(result: Any, events: bool = False) -> Column:
    """The etable column of ``result``: coefficients, N, fixed effects, s.e., cluster."""
    from replicate.models.event_study import EventStudyResults
    from replicate.models.staggered import CSResults, EventEffects
    from replicate.models.twfe import TWFEResults

    label = getattr(result, "data_label", None)
    if isinstance(result, TWFEResults) or (
        hasattr(result, "params") and hasattr(result, "pvalues") and hasattr(result, "cov_type")
    ):
        coefficients = pd.DataFrame(
            {"estimate": result.params, "se": result.std_errors, "p": result.pvalues}
        )
        return Column(
            coefficients,
            int(result.nobs),
            tuple(getattr(result, "absorb", None) or ()),
            str(getattr(result, "cov_type", "") or ""),
            getattr(result, "cluster", None),
            str(getattr(result, "inference", "") or ""),
            "OLS with fixed effects" if getattr(result, "absorb", None) else "OLS",
            float(getattr(result, "rsquared", np.nan)),
            float(getattr(result, "rsquared_within", np.nan)),
            getattr(result, "n_clusters", None),
            label,
        )
    coefficients = _headline(result, events)
    name = type(result).__name__
    if isinstance(result, EventStudyResults):
        reg = result.regression
        return Column(
            coefficients,
            int(result.nobs),
            tuple(reg.absorb),
            str(reg.cov_type),
            result.cluster if reg.cov_type == "cluster" else None,
            str(reg.inference).replace("clustered", f"clustered by {result.cluster}", 1)
            if reg.cov_type == "cluster"
            else str(reg.inference),
            result.method_name,
            float(reg.rsquared),
            float(reg.rsquared_within),
            reg.n_clusters,
            label,
        )
    if isinstance(result, EventEffects):
        sa = result.by_cohort_event is not None
        unit, time = getattr(result, "unit", None), getattr(result, "time", None)
        absorb = (unit, time) if sa and unit and time else None
        cluster = getattr(result, "cluster", None) or _cluster_from_notes(result)
        kind = "BJS"
        if sa:
            text = " ".join(getattr(result, "notes", ()) or ())
            kind = (
                "cluster"
                if cluster or "clustered" in text
                else "robust"
                if "heteroskedasticity" in text
                else "unadjusted"
                if "unadjusted" in text
                else "cluster"
            )
        notes = tuple(getattr(result, "notes", ()) or ())
        inference = (notes[0] if notes else "") or (
            "delta method over the cohort shares" if sa else "Borusyak–Jaravel–Spiess conservative"
        )
        return Column(
            coefficients,
            int(result.nobs),
            absorb,
            kind,
            cluster,
            inference,
            result.method_name,
            n_clusters=int(result.n_clusters),
            data_label=label,
            absorb_known=absorb is not None or not sa,
        )
    if isinstance(result, CSResults):
        cluster = getattr(result, "cluster", None)
        unit = getattr(result, "unit", None)
        boot = bool(cluster) and bool(unit) and cluster != unit
        return Column(
            coefficients,
            int(result.nobs),
            None,
            "bootstrap" if boot else "IF",
            cluster or None,
            (
                f"multiplier bootstrap clustered by {cluster}"
                if boot
                else "analytic, from the influence functions (units)"
            ),
            result.method_name,
            data_label=label,
        )
    if name == "DIDMResults":
        return Column(
            coefficients,
            int(result.nobs),
            None,
            "bootstrap",
            getattr(result, "cluster", None),
            f"cluster bootstrap ({result.draws} draws, seed {result.seed}) by {result.cluster}",
            result.method_name,
            n_clusters=getattr(result, "n_clusters", None),
            data_label=label,
        )
    if hasattr(result, "tidy") and hasattr(result, "nobs"):
        return Column(
            coefficients,
            int(result.nobs),
            None,
            "?",
            getattr(result, "cluster", None),
            str(getattr(result, "method_name", name)),
            str(getattr(result, "method_name", name)),
            data_label=label,
        )
    raise TypeError(f"etable cannot read a {name}: it needs a fit result or a DID result.")
