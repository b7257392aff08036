"""Several DID estimators on one panel, side by side, as one tidy frame.

``compare_estimators(data, "nqp", controls=[...])`` runs TWFE, Callaway–Sant'Anna,
Sun–Abraham, the imputation estimator and de Chaisemartin–D'Haultfœuille's DID_M with the
shared vocabulary ``(data, outcome, *,
unit, time, cohort, controls, cluster)`` and returns an :class:`EstimatorComparison`
whose :meth:`~EstimatorComparison.tidy` has one row per estimator × covariate set, with the
estimate, its standard error, the 95% interval, the p-value and what the estimator
averages. The estimators themselves live in :mod:`replicate.models.staggered` and
:mod:`replicate.models.dcdh`; this module only orchestrates them, and holds the few
computations the modern-DID chapter states in words (the event-study window a panel allows,
the placebo-in-time verdicts, why the dCDH weights are or are not negative, the HonestDiD
breakdown of several targets in one sentence).

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
    condition on covariates in the base period only. DID_M (``"dcdh"``) runs without
    covariates only (``did_multiplegt`` here takes none).
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

Estimator = Literal["twfe", "callaway_santanna", "sun_abraham", "imputation", "dcdh"]
Covariates = Literal["none", "time-varying", "baseline"]
ESTIMATORS: tuple[str, ...] = get_args(Estimator)
BASELINE_SUFFIX = "_pre"
"""Name of a baseline covariate: the control's name plus this suffix."""
TARGETS = {
    "twfe": "regression-weighted average of the treated unit-periods' effects",
    "callaway_santanna": "average over treated unit-periods (simple aggregation)",
    "sun_abraham": "average over periods since treatment (0, 1, …)",
    "imputation": "average over treated unit-periods",
    "dcdh": "effect in the first treated period, averaged over the units switching in",
}
"""What each estimator's headline number averages (they coincide when effects are equal)."""
NAMES = {
    "twfe": "TWFE",
    "callaway_santanna": "Callaway–Sant'Anna",
    "sun_abraham": "Sun–Abraham",
    "imputation": "imputation (BJS)",
    "dcdh": "dCDH DID_M",
}
COMPARISON = {"nevertreated": "never treated", "notyettreated": "not yet treated"}
EVERY = "every observation"
"""TWFE's comparison: every unit-period, the already treated included."""
COLUMN_LABELS = {
    "std_error": "s.e.",
    "conf_low": "95% CI lower",
    "conf_high": "95% CI upper",
    "conf_int": "95% CI",
    "p_value": "p-value",
    "true_effect": "true effect",
}
"""Readable headers for :meth:`EstimatorComparison.tidy`'s columns (``frame.rename(columns=...)``)."""
COVARIATE_WORDS = {
    "none": "none",
    "time-varying": "time-varying",
    "baseline": "pre-treatment means",
}
"""The covariate sets as a table row says them."""


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
        if estimator == "dcdh":
            return float(truth.by_event_time.loc[0])
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

    def layout(self, covariates: Sequence[str], digits: int = 3, notes: str = "") -> pd.DataFrame:
        """:meth:`table` narrowed for a phone: the rows of ``covariates`` only, one label
        column (the estimator; Callaway–Sant'Anna's comparison group in brackets; the
        covariate set after a comma when ``covariates`` has several), then estimate, s.e.,
        the interval and, on the twin, the true value ("true"). ``notes`` go into
        ``attrs["notes"]``, where :func:`replicate.report.tables.labelled` adds the data
        label."""
        table = self.table(digits).rename(columns={"true effect": "true"})
        table = table[table.index.get_level_values("covariates").isin(list(covariates))]
        cs = NAMES["callaway_santanna"]
        labels = []
        for estimator, cov, comparison in table.index:
            label = f"{estimator} ({comparison})" if estimator == cs else estimator
            if len(covariates) > 1:
                label += f", {COVARIATE_WORDS.get(cov, cov)}"
            labels.append(label)
        out = table.set_axis(labels, axis=0).rename_axis("estimator")
        out.attrs["notes"] = notes  # the table's notes (tables.labelled adds the data label)
        return out


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
    dcdh_draws: int = 200,
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
        estimator and DID_M every untreated unit-period (the not yet treated), TWFE every
        unit-period.
    est_method : {"dr", "reg", "ipw"}
        Callaway–Sant'Anna's estimator with covariates (doubly robust by default).
    truth : optional
        The synthetic twin's truth (``panel.truth``): adds each target's true value.
    dcdh_draws : int
        Cluster-bootstrap replicates of DID_M's standard error (seeded with ``seed``).
    """
    from replicate.models.dcdh import did_multiplegt
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
                found = {EVERY: model.fit(cluster=design.cluster)}
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
            elif estimator == "dcdh":
                if cov != "none":
                    continue
                found = {
                    "not yet treated": did_multiplegt(
                        frame, outcome, **common, draws=dcdh_draws, seed=seed
                    )
                }
            else:
                found = {"not yet treated": imputation(frame, outcome, **common, controls=terms)}
            for comparison, res in found.items():
                results[(estimator, cov, comparison)] = res
                rows.append((estimator, cov, comparison))
    return EstimatorComparison(results, tuple(rows), tuple(covariates), truth)


# ----------------------------------------------------------------------------- in words
# The few computations the modern-DID chapter states in words, each a pure function of a
# result or of the panel's timing, so the sentence follows the numbers on any panel.


def _timing(data: Any, outcome: str, unit, time, cohort, method: str):
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        method=method,
        clustered=False,
        warn=False,
    )
    periods = design.frame[design.time].to_numpy(int)
    return design, periods, design.sample_cohort


def event_window(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    window: Sequence[int] = (-6, 6),
) -> tuple[int, int]:
    """``window`` clipped to the event times the panel has: from the earliest period minus
    the latest cohort to the latest period minus the earliest cohort, so that the binned
    endpoints of :func:`~replicate.models.event_study.event_study` are never empty."""
    _, periods, g = _timing(data, outcome, unit, time, cohort, "event_window")
    cohorts = g[g > 0]
    lowest, highest = int(periods.min() - cohorts.max()), int(periods.max() - cohorts.min())
    low, high = max(int(window[0]), lowest), min(int(window[1]), highest)
    if low >= -1 or high < 0:
        raise ValueError(
            f"event_window: the panel has event times {lowest} … {highest}; an event study "
            "needs at least two periods before a treatment and one after it."
        )
    return low, high


def placebo_shifts(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    shifts: Sequence[int] = (2, 3, 4, 5),
) -> list[int]:
    """The shifts of ``shifts`` a placebo in time can use on this panel: those that move some
    cohort's fake start strictly inside the periods before the first real treatment (after
    the first period, so that the fake treatment varies within units)."""
    _, periods, g = _timing(data, outcome, unit, time, cohort, "placebo_shifts")
    cohorts = np.unique(g[g > 0])
    first, last = periods.min(), cohorts.min() - 1
    return [int(k) for k in shifts if k > 0 and any(first < c - k <= last for c in cohorts)]


PLACEBO_VERDICTS = ("no effect detected", "an effect where none can be")
"""The placebo verdicts: the 95% interval contains zero, or it does not."""


def placebo_table(results: dict[str, Any], level: float = 0.95) -> pd.DataFrame:
    """Placebo-in-time results (:func:`~replicate.models.inference.placebo_in_time`) as a
    table: estimate, s.e., the 95% interval in one cell and the verdict computed from it
    (:data:`PLACEBO_VERDICTS`)."""
    rows = {}
    for name, res in results.items():
        low, high = res.conf_int(level)
        rows[name] = {
            "estimate": res.estimate,
            "s.e.": res.se,
            "95% CI": interval(low, high),
            "verdict": PLACEBO_VERDICTS[int(not low <= 0 <= high)],
        }
    return pd.DataFrame(rows).T.rename_axis("placebo")


def placebo_sentence(table: pd.DataFrame) -> str:
    """How many placebo intervals exclude zero, and what that means, in one sentence."""
    n = len(table)
    hits = list(table.index[table["verdict"] == PLACEBO_VERDICTS[1]])
    if not hits:
        return (
            f"None of the {n} placebo intervals excludes zero: no effect shows up where "
            "there can be none."
            if n > 1
            else "The placebo interval includes zero: no effect shows up where there can be none."
        )
    which = ", ".join(str(h) for h in hits)
    return (
        f"{len(hits)} of the {n} placebo intervals exclude zero ({which}): an 'effect' before "
        "any treatment points to different trends or anticipation, not to the treatment"
        + (
            " (with several placebos one rejection in twenty is expected by chance)."
            if n > 1
            else "."
        )
    )


@dataclass(frozen=True)
class WeightSigns:
    """Why the de Chaisemartin–D'Haultfœuille weights of the treated cells are (not)
    negative. On a balanced panel the weight of treated cell (i, t) is proportional to
    ``1 − D̄_i − D̄_t + D̄`` (the residual of the treatment on unit and period effects:
    D̄_i the unit's share of treated periods, D̄_t the period's share of treated units, D̄
    the overall share), so it is negative exactly when ``D̄_i + D̄_t > 1 + D̄``."""

    n_cells: int
    n_negative: int
    smallest: float
    """Smallest weight of a treated cell."""
    balanced: bool
    largest_sum: float
    """Largest ``D̄_i + D̄_t`` over the treated cells (NaN when the panel is unbalanced)."""
    threshold: float
    """``1 + D̄`` (NaN when unbalanced)."""


def weight_signs(weights: Any, data: Any, *, unit: str, time: str) -> WeightSigns:
    """:class:`WeightSigns` of a :func:`~replicate.models.staggered.twfe_weights` result on
    the frame it was computed from (``data`` needs the unit, the period and ``did``)."""
    frame = getattr(data, "frame", data)
    d = frame["did"].to_numpy(float)
    counts = frame.groupby(unit)[time].transform("size")
    balanced = bool(counts.nunique() == 1 and len(frame) == counts.iloc[0] * frame[unit].nunique())
    w = weights.weights["weight"].to_numpy(float)
    largest = threshold = float("nan")
    if balanced:
        by_unit = frame.groupby(unit)["did"].transform("mean").to_numpy(float)
        by_time = frame.groupby(time)["did"].transform("mean").to_numpy(float)
        largest = float((by_unit + by_time)[d == 1].max())
        threshold = 1.0 + float(d.mean())
    return WeightSigns(len(w), int((w < 0).sum()), float(w.min()), balanced, largest, threshold)


def weights_sentence(signs: WeightSigns, forbidden: float, digits: int = 3) -> str:
    """The dCDH weights beside Bacon's forbidden-comparison weight ``forbidden``, in words:
    forbidden comparisons need not produce negative weights."""
    from replicate.report.tables import number

    def n(v: float) -> str:
        return number(v, digits)

    if signs.n_negative == 0:
        head = (
            f"None of the {signs.n_cells:,} treated cells has a negative weight, although the "
            f"forbidden comparisons carry {n(forbidden)} of Bacon's weight. The two answer "
            "different questions: Bacon weighs 2×2 comparisons, and in a forbidden one an "
            "earlier cohort's treated periods serve as the control, so their effects enter it "
            "with a minus sign; de Chaisemartin and D'Haultfœuille net every comparison a "
            "treated cell enters, and a cell's net weight turns negative only when what it "
            "loses as a control exceeds what it gains as a treated cell."
        )
    else:
        head = (
            f"{signs.n_negative:,} of the {signs.n_cells:,} treated cells have negative "
            f"weights (the smallest {number(signs.smallest, 5)}), beside a forbidden-comparison weight "
            f"of {n(forbidden)} in Bacon's decomposition: for those cells what they lose as "
            "controls in forbidden comparisons exceeds what they gain as treated cells."
        )
    if not signs.balanced:
        return head + " (The closed form of the weights needs a balanced panel; this one is not.)"
    rule = (
        " On a balanced panel a treated cell's weight is proportional to 1 − D̄ᵢ − D̄ₜ + D̄ "
        "(its unit's share of treated periods, its period's share of treated units, the "
        "overall share), negative exactly when D̄ᵢ + D̄ₜ exceeds 1 + D̄: long-treated units in "
        "periods when most units are treated."
    )
    if signs.n_negative == 0:
        return (
            head
            + rule
            + f" Here the largest D̄ᵢ + D̄ₜ of a treated cell is {n(signs.largest_sum)}, below "
            f"1 + D̄ = {n(signs.threshold)}."
        )
    return (
        head
        + rule
        + f" Here D̄ᵢ + D̄ₜ reaches {n(signs.largest_sum)}, above 1 + D̄ = {n(signs.threshold)}."
    )


def _excludes_zero(bounds: tuple[float, float]) -> bool:
    low, high = bounds
    return not low <= 0 <= high


def sensitivity_sentence(honest: dict[str, dict[str, pd.DataFrame]], names: dict[str, str]) -> str:
    """The HonestDiD breakdown values of several targets in words, each statement once.

    ``honest`` maps a target to ``{restriction: table}`` (tables of
    :func:`~replicate.models.sensitivity.sensitivity`, whose ``attrs["original"]`` is the
    conventional interval; restriction names end with their symbol in brackets, e.g.
    ``"relative magnitudes (M̄)"``); ``names`` says each target in words. Targets whose
    conventional interval already includes zero are named together in one clause: there
    is nothing for a violation of parallel trends to overturn, so no breakdown value."""
    from replicate.models.sensitivity import describe_breakdown

    def ci(bounds) -> str:
        return interval(*bounds)

    null, found = [], []
    for target, by_kind in honest.items():
        original = next(iter(by_kind.values())).attrs["original"]
        if not _excludes_zero(original):
            null.append(f"the {names[target]} ({ci(original)})")
            continue
        parts = []
        for kind, table in by_kind.items():
            symbol = kind[kind.rindex("(") + 1 : -1] if "(" in kind else "M"
            parts.append(f"{describe_breakdown(table, symbol)} for {kind.split(' (')[0]}")
        found.append(
            f"the {names[target]} is significant at 5% under parallel trends "
            f"({ci(original)}); its breakdown value is " + " and ".join(parts)
        )
    sentences = []
    if null:
        subject = null[0] if len(null) == 1 else ", ".join(null[:-1]) + " and " + null[-1]
        one = len(null) == 1
        verb, whose, noun = (
            ("includes", "its", "interval") if one else ("include", "their", "intervals")
        )
        sentences.append(
            f"The conventional 95% {noun} of {subject} already {verb} zero under exact "
            "parallel trends, so there is no conclusion for a violation to overturn and "
            f"{whose} breakdown {'value is' if one else 'values are'} not defined."
        )
    for text in found:
        sentences.append(text[0].upper() + text[1:] + ".")
    return " ".join(sentences)


RESTRICTIONS = {"relative magnitudes (M̄)": "relative_magnitude", "smoothness (M)": "smoothness"}
"""The two Rambachan–Roth restrictions, as the chapter names them, and their ``kind``."""


def honest_bounds(
    study: Any,
    target: str,
    mbar_values: Sequence[float],
    m_values: Sequence[float],
    *,
    method: str | None = None,
    grid_points: int = 1000,
) -> dict[str, pd.DataFrame]:
    """Both Rambachan–Roth analyses of one target of an event study:
    ``{restriction: sensitivity table}`` (:data:`RESTRICTIONS`), relative magnitudes with
    ``method`` and ``grid_points``, smoothness with HonestDiD's FLCI."""
    from replicate.models.sensitivity import sensitivity

    return {
        "relative magnitudes (M̄)": sensitivity(
            study,
            "relative_magnitude",
            mbar_values,
            target=target,
            method=method,
            grid_points=grid_points,
        ),
        "smoothness (M)": sensitivity(study, "smoothness", m_values, target=target),
    }


def honest_intervals(by_kind: dict[str, pd.DataFrame]) -> pd.Series:
    """:func:`honest_bounds` as one column of ``"[lower, upper]"`` cells indexed by
    restriction and bound, the conventional interval first ("parallel trends")."""
    original = next(iter(by_kind.values())).attrs["original"]
    rows = [("parallel trends", "", interval(*original))]
    for kind, table in by_kind.items():
        rows += [(kind, f"{value:g}", interval(r.lower, r.upper)) for value, r in table.iterrows()]
    frame = pd.DataFrame(rows, columns=["restriction", "bound", "interval"])
    return frame.set_index(["restriction", "bound"])["interval"]


def any_significant(honest: dict[str, dict[str, pd.DataFrame]]) -> bool:
    """Whether some target's conventional interval excludes zero."""
    return any(
        _excludes_zero(next(iter(by_kind.values())).attrs["original"])
        for by_kind in honest.values()
    )


FEW_TREATED_CLUSTERS = 10
"""Fewer treated clusters than this count as few (MacKinnon & Webb 2017 find the
cluster-robust t test and the restricted wild bootstrap unreliable below about ten)."""


def bootstrap_sentence(
    fine: Any,
    fine_t_interval: tuple[float, float],
    *,
    fine_level: str,
    coarse: Any = None,
    coarse_level: str = "",
    mixed: int | None = None,
) -> str:
    """The wild cluster bootstrap (:func:`~replicate.models.inference.wild_cluster_bootstrap`
    results) in words: at the fine level its interval width against the cluster-robust t
    interval's (``fine_t_interval``, e.g. ``fit(...).conf_int().loc["did"]``); at the coarse
    level (when given) the number of clusters with a treated unit, ``mixed`` (clusters with
    treated and never-treated units), whether that is few (:data:`FEW_TREATED_CLUSTERS`), and
    how many distinct Rademacher samples there are against the draws."""
    from replicate.report.tables import number

    low, high = fine.conf_int()
    width, t_width = high - low, fine_t_interval[1] - fine_t_interval[0]
    text = (
        f"At the {fine_level} level ({fine.n_clusters:,} clusters) the bootstrap interval is "
        f"{relative_size(width, t_width)} the cluster-robust one in width "
        f"({number(width, 3)} against {number(t_width, 3)})."
    )
    if coarse is None:
        return text
    g, treated, draws = coarse.n_clusters, coarse.n_treated_clusters, coarse.n_draws
    text += f" Of the {g} {coarse_level} clusters, {treated} contain a treated unit"
    if mixed is not None:
        text += f" and {mixed} contain treated and never-treated units side by side"
    text += f". Taking fewer than {FEW_TREATED_CLUSTERS} treated clusters as few, {treated} is " + (
        "few, so neither test is reliable there and the randomization tests above are the "
        "safer guide."
        if treated < FEW_TREATED_CLUSTERS
        else "not few by this rule, so the bootstrap at this level is credible."
    )
    patterns = 2.0**g
    than = (
        "far more than"
        if patterns > 100 * draws
        else "more than"
        if patterns > draws
        else "no more than"
    )
    return text + (
        f" Rademacher weights allow 2^{g} = {patterns:,.0f} distinct bootstrap samples, {than} "
        f"the {draws:,} draws; Webb's six-point weights, used at this level, matter when 2^G is "
        "not much larger than the number of draws, and cost nothing otherwise."
    )


IDENTITY_TOL = 1e-8
"""Relative gap under which DID_M and Callaway–Sant'Anna's first-year effect are "the same
number" (they are the same differences of means, summed in another order)."""


def did_m_sentence(did_m: Any, cs_notyet: Any) -> str:
    """DID_M (:func:`~replicate.models.dcdh.did_multiplegt`) beside Callaway–Sant'Anna's
    first-year effect with not-yet-treated controls (``cs_notyet``, its dynamic aggregation at
    event time 0), which it equals under staggered adoption (de Chaisemartin &
    D'Haultfœuille 2020): the sentence says whether it does here."""
    from replicate.report.tables import number

    first = float(cs_notyet.aggregations["dynamic"].loc[0, "estimate"])
    gap = abs(did_m.estimate - first)
    return (
        f"DID_M is {number(did_m.estimate, 3)} (s.e. {number(did_m.se, 3)}): the effect in the "
        "year a batch starts, not an average over later years. Under staggered adoption it is "
        "Callaway–Sant'Anna's effect in the first treated year with not-yet-treated controls, "
        f"weighted by batch size, which here is {number(first, 3)}"
        + (
            " — the same number."
            if gap <= IDENTITY_TOL * max(1.0, abs(first))
            else f" — they differ by {gap:.2g}."
        )
    )
