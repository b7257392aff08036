"""Several DID estimators on one panel, side by side, as one tidy frame.

``compare_estimators(data, "nqp", controls=[...])`` runs TWFE, Callaway–Sant'Anna,
Sun–Abraham and the imputation estimator with the shared vocabulary ``(data, outcome, *,
unit, time, cohort, controls, cluster)`` and returns an :class:`EstimatorComparison`
whose :meth:`~EstimatorComparison.tidy` has one row per estimator × covariate set, with the
estimate, its standard error, the 95% interval, the p-value and what the estimator
averages. The estimators themselves live in :mod:`replicate.models.staggered`; this module
only orchestrates them.

Covariate sets:

``"none"``
    unit and period effects only;
``"time-varying"``
    the controls as they are, every year (the paper's specification). Controls the
    treatment may itself move (``fdi``, ``mar``, ``fin`` after broadband arrives) are
    *bad controls* (Angrist & Pischke 2009, §3.2.3): conditioning on them can bias the
    effect;
``"baseline"``
    each control's mean before the first treatment (:func:`baseline_covariates`), which
    the treatment cannot have moved: interacted with period effects in TWFE, Sun–Abraham
    and the imputation estimator (so the baseline may shift the trend), and as the
    conditioning covariates of a doubly robust Callaway–Sant'Anna (Sant'Anna & Zhao 2020).
    Callaway–Sant'Anna is not run with time-varying controls: ``did`` and ``moderndid``
    condition on covariates in the base period only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from replicate._options import check_choice
from replicate.models import _common
from replicate.models._common import pre_period_means, resolve

Estimator = Literal["twfe", "callaway_santanna", "sun_abraham", "imputation"]
Covariates = Literal["none", "time-varying", "baseline"]
ESTIMATORS: tuple[str, ...] = get_args(Estimator)
BASELINE_SUFFIX = "_pre"
"""Name of a baseline covariate: the control's name plus this suffix."""
TARGETS = {
    "twfe": "regression-weighted average of the treated city-years' effects",
    "callaway_santanna": "average over treated city-years (simple aggregation)",
    "sun_abraham": "average over years since treatment (0, 1, …)",
    "imputation": "average over treated city-years",
}
"""What each estimator's headline number averages (they coincide when effects are equal)."""
NAMES = {
    "twfe": "TWFE",
    "callaway_santanna": "Callaway–Sant'Anna",
    "sun_abraham": "Sun–Abraham",
    "imputation": "imputation (BJS)",
}
COMPARISON = {"nevertreated": "never treated", "notyettreated": "not yet treated"}
COLUMN_LABELS = {
    "std_error": "s.e.",
    "conf_low": "95% CI lower",
    "conf_high": "95% CI upper",
    "conf_int": "95% CI",
    "p_value": "p-value",
    "true_effect": "true effect",
}
"""Readable headers for :meth:`EstimatorComparison.tidy`'s columns (``frame.rename(columns=...)``)."""


def interval(low: float, high: float, digits: int = 3) -> str:
    """A confidence interval as one table cell, ``"[0.021, 0.222]"``: one column instead of
    two keeps a table narrow. Never "-0.000"; blank when an end is missing."""
    ends = []
    for value in (low, high):
        if value is None or not np.isfinite(value):
            return ""
        text = f"{float(value):.{digits}f}"
        ends.append(text[1:] if text.startswith("-") and float(text) == 0 else text)
    return f"[{ends[0]}, {ends[1]}]"


def baseline_covariates(
    data: Any,
    covariates: Sequence[str],
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    before: int | None = None,
    by_period: bool = False,
) -> pd.DataFrame:
    """A copy of the data with each covariate's pre-treatment mean per unit.

    Column ``f"{c}{BASELINE_SUFFIX}"`` holds unit ``i``'s mean of ``c`` over the periods
    before ``before`` (default: the first treated period in the sample), the same in every
    period. With ``by_period``, also ``f"{c}{BASELINE_SUFFIX}_{t}"`` = baseline × 1[period
    = t] for every period but the first: baseline-by-period terms, which with unit effects
    let units with different baselines follow different trends. A Panel is put on its
    regression scale first; the data are not modified.
    """
    method = "baseline_covariates"
    if not len(covariates):
        raise ValueError(f"{method}: name the covariates, e.g. ['fdi', 'mar'].")
    design = resolve(
        data,
        covariates[0],
        unit=unit,
        time=time,
        cohort=cohort,
        extra=covariates,
        method=method,
        clustered=False,
    )
    frame, time = design.frame, design.time
    means, _ = pre_period_means(design, covariates, before, method)
    new = {
        f"{c}{BASELINE_SUFFIX}": frame[design.unit].map(means[c]).to_numpy(float)
        for c in covariates
    }
    if by_period:
        periods = np.sort(frame[time].unique())[1:]
        now = frame[time].to_numpy()
        for c in covariates:
            base = new[f"{c}{BASELINE_SUFFIX}"]
            for t in periods:
                new[f"{c}{BASELINE_SUFFIX}_{t}"] = base * (now == t)
    return pd.concat([frame, pd.DataFrame(new, index=frame.index)], axis=1)


def period_terms(frame: pd.DataFrame, covariates: Sequence[str]) -> list[str]:
    """The baseline-by-period columns :func:`baseline_covariates` made for ``covariates``."""
    prefixes = tuple(f"{c}{BASELINE_SUFFIX}_" for c in covariates)
    return [c for c in frame.columns if str(c).startswith(prefixes)]


def relative_size(a: float, b: float, within: float = 0.10) -> str:
    """ "larger than", "smaller than" or "about the same as": ``a`` against ``b``, equal
    when the ratio is within ``1 ± within`` (10% by default)."""
    ratio = a / b
    if ratio > 1 + within:
        return "larger than"
    if ratio < 1 - within:
        return "smaller than"
    return "about the same as"


@dataclass(frozen=True, eq=False)
class EstimatorComparison:
    """The results of :func:`compare_estimators`, keyed by ``(estimator, covariates,
    comparison)``; :meth:`tidy` lays them out as one frame."""

    results: dict = field(repr=False)
    rows: tuple[tuple[str, str, str], ...]
    covariates: tuple[str, ...]
    truth: Any = field(default=None, repr=False)

    def result(self, estimator: str, covariates: str = "none", comparison: str = "never treated"):
        """One estimator's result object (``estimate``, ``se``, ``tidy()``, ...)."""
        return self.results[(estimator, covariates, comparison)]

    def _true_effect(self, estimator: str) -> float:
        truth = self.truth
        if estimator == "sun_abraham":
            return float(truth.by_event_time.loc[0:].mean())
        return float(truth.att)

    def tidy(self) -> pd.DataFrame:
        """One row per estimator × covariate set: ``estimator, covariates, comparison,
        estimate, std_error, conf_low, conf_high, p_value, target`` (and ``true_effect``
        when the data carry their truth: the synthetic twin's)."""
        out = []
        for key in self.rows:
            estimator, covariates, comparison = key
            res = self.results[key]
            if estimator == "twfe":
                low, high = res.conf_int().loc["did"]
                row = (res.params["did"], res.std_errors["did"], low, high, res.pvalues["did"])
            else:
                t = res.tidy().iloc[0]
                row = (t.estimate, t.std_error, t.conf_low, t.conf_high, t.p_value)
            entry = {
                "estimator": NAMES[estimator],
                "covariates": covariates,
                "comparison": comparison,
                **dict(
                    zip(
                        ("estimate", "std_error", "conf_low", "conf_high", "p_value"),
                        map(float, row),
                        strict=True,
                    )
                ),
                "target": TARGETS[estimator],
            }
            if self.truth is not None:
                entry["true_effect"] = self._true_effect(estimator)
            out.append(entry)
        return pd.DataFrame(out)

    def table(self, digits: int = 3) -> pd.DataFrame:
        """:meth:`tidy` as the chapter prints it: indexed by estimator, covariates and
        comparison, with the estimate, its s.e., the 95% interval in one ``"[lower,
        upper]"`` column (:func:`interval`, ``digits`` decimals) and, on the twin, the true
        value. The p-value and the target stay in :meth:`tidy`."""
        tidy = self.tidy().set_index(["estimator", "covariates", "comparison"])
        tidy["conf_int"] = [
            interval(lo, hi, digits)
            for lo, hi in zip(tidy["conf_low"], tidy["conf_high"], strict=True)
        ]
        keep = ["estimate", "std_error", "conf_int"] + (
            ["true_effect"] if "true_effect" in tidy else []
        )
        return tidy[keep].rename(columns=COLUMN_LABELS)


def compare_estimators(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    estimators: Sequence[Estimator] = ESTIMATORS,
    covariates: Sequence[Covariates] = ("none", "time-varying"),
    control_groups: Sequence[str] = ("nevertreated", "notyettreated"),
    est_method: str = "dr",
    seed: int = 0,
    truth: Any = None,
) -> EstimatorComparison:
    """Run ``estimators`` with each covariate set and collect them (see the module docs).

    Parameters
    ----------
    controls : sequence of str
        The covariates of the ``"time-varying"`` and ``"baseline"`` sets.
    covariates : sequence of {"none", "time-varying", "baseline"}
    control_groups : sequence of {"nevertreated", "notyettreated"}
        Callaway–Sant'Anna's comparison groups (without covariates; with baseline
        covariates only the first). Sun–Abraham uses the never treated, the imputation
        estimator every untreated city-year, TWFE every city-year.
    est_method : {"dr", "reg", "ipw"}
        Callaway–Sant'Anna's estimator with covariates (doubly robust by default).
    truth : optional
        The synthetic twin's truth (``panel.truth``): adds each target's true value.
    """
    from replicate.models.staggered import callaway_santanna, imputation, sun_abraham
    from replicate.models.twfe import TWFE

    method = "compare_estimators"
    for name in estimators:
        check_choice("estimators", name, ESTIMATORS)
    for name in covariates:
        check_choice("covariates", name, get_args(Covariates))
    for name in control_groups:
        check_choice("control_groups", name, tuple(COMPARISON))
    if set(covariates) - {"none"} and not len(controls):
        raise ValueError(
            f"{method}: covariates={list(covariates)} need controls=[...]; pass "
            "covariates=('none',) to compare the estimators without covariates."
        )
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        controls=controls,
        cluster=cluster,
        method=method,
    )
    names = {"unit": design.unit, "time": design.time, "cohort": design.cohort}
    frame = _common.with_treatment(design)
    sets = {"none": [], "time-varying": list(design.controls)}
    if "baseline" in covariates:
        frame = baseline_covariates(frame, design.controls, **names, by_period=True)
        sets["baseline"] = period_terms(frame, design.controls)
    baseline = [f"{c}{BASELINE_SUFFIX}" for c in design.controls]
    common = {**names, "cluster": design.cluster}
    results, rows = {}, []
    for estimator in estimators:
        for cov in covariates:
            terms = sets[cov]
            if estimator == "twfe":
                model = TWFE(frame, outcome, ["did", *terms], (design.unit, design.time))
                found = {"every city-year": model.fit(cluster=design.cluster)}
            elif estimator == "callaway_santanna":
                if cov == "time-varying":
                    continue
                groups = control_groups if cov == "none" else control_groups[:1]
                found = {
                    COMPARISON[group]: callaway_santanna(
                        frame,
                        outcome,
                        **common,
                        controls=baseline if cov == "baseline" else (),
                        control_group=group,
                        est_method=est_method,
                        aggregation="simple",
                        seed=seed,
                    )
                    for group in groups
                }
            elif estimator == "sun_abraham":
                found = {"never treated": sun_abraham(frame, outcome, **common, controls=terms)}
            else:
                found = {"not yet treated": imputation(frame, outcome, **common, controls=terms)}
            for comparison, res in found.items():
                results[(estimator, cov, comparison)] = res
                rows.append((estimator, cov, comparison))
    return EstimatorComparison(results, tuple(rows), tuple(covariates), truth)
