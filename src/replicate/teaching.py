"""The teaching chapter's Monte Carlo studies, on the multiverse runner.

Each study draws twins exactly as :func:`replicate.montecarlo.run` does — the same
:class:`~replicate.montecarlo.Design`, the same seeds per draw (from the design's hash and
the draw number) and the same runner (:func:`replicate.multiverse.run_tasks`: serial, or
a Dask cluster with ``scheduler=``) — but records what an exercise needs beyond an
estimate per estimator:

* ``"decomposition"`` — the TWFE bias split by comparison type and source
  (:func:`replicate.models.bias.twfe_bias`), one row per comparison type;
* ``"pretest"`` — the joint pre-trend test of the TWFE event study and the static TWFE
  and imputation estimates, to condition on a passed pre-test (Roth 2022);
* ``"clustering"`` — TWFE clustered by city and by province, and the number of provinces
  with a pilot city (the *treated* clusters, MacKinnon & Webb 2017);
* ``"timing"`` — the imputation estimator with the cohort dated at implementation and
  at announcement (``anticipation`` years earlier), each against its own truth.

:func:`summarise_rate` and :func:`summarise_mean` give a rate or a mean with its Monte
Carlo standard error (Morris, White & Crowther 2019).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

import numpy as np
import pandas as pd

from replicate import montecarlo
from replicate import multiverse as mv
from replicate._options import check_choice

Study = Literal["decomposition", "pretest", "clustering", "timing"]
KEYS = {"unit": "city_id", "time": "year", "cohort": "g"}


def _twin(design: montecarlo.Design, seed: int):
    from replicate.data import synthetic

    knobs = dict(design.knobs)
    if knobs.get("cohort_effects"):
        knobs["cohort_effects"] = {int(k): float(v) for k, v in knobs["cohort_effects"].items()}
    return synthetic.make_twin(seed=seed, knobs=synthetic.Knobs(**knobs))


def _frame(twin) -> pd.DataFrame:
    from replicate.models.bias import true_effects
    from replicate.replication import regression_frame

    return regression_frame(twin.panel()).merge(true_effects(twin), on=["city_id", "year"])


def _decomposition(twin, frame: pd.DataFrame) -> list[dict]:
    from replicate.models.bias import twfe_bias

    result = twfe_bias(frame, "nqp", "tau", **KEYS)
    table = result.by_type().reset_index(names="type")
    return [{**row, "twfe": result.twfe, "att": result.att} for row in table.to_dict("records")]


def _pretest(twin, frame: pd.DataFrame, seed: int) -> list[dict]:
    from replicate.models.event_study import event_study

    study = event_study(frame, "nqp", **KEYS, window=(-6, 6), draws=1000, seed=seed)
    prepared = mv.prepare(twin.panel(), recode=False)
    row = {"pretest_p": float(study.pretrend_p), "att": float(twin.truth.att)}
    for estimator in ("twfe", "imputation"):
        fit = mv.estimate_spec(mv.Spec(estimator, (), pilot_coding="as in the data"), prepared)
        row[estimator] = fit["estimate"]
    return [row]


def _clustering(twin, frame: pd.DataFrame) -> list[dict]:
    prepared = mv.prepare(twin.panel(), recode=False)
    treated = frame.loc[frame["g"] > 0, "province"].nunique()
    rows = []
    for cluster in ("city", "province"):
        spec = mv.Spec("twfe", (), pilot_coding="as in the data", cluster=cluster)
        fit = mv.estimate_spec(spec, prepared)
        rows.append(
            {
                "cluster": cluster,
                **{k: fit[k] for k in ("estimate", "se", "lower", "upper", "n_clusters")},
                "treated_clusters": int(treated)
                if cluster == "province"
                else int(frame.loc[frame["g"] > 0, "city_id"].nunique()),
                "att": float(twin.truth.att),
            }
        )
    return rows


def _timing(twin, frame: pd.DataFrame, lead: int) -> list[dict]:
    from replicate.models.staggered import imputation

    event = np.where(frame["g"] > 0, frame["year"] - frame["g"], -999)
    rows = []
    for dating, shift in (("implementation", 0), ("announcement", lead)):
        cohort = np.where(frame["g"] > 0, frame["g"] - shift, 0)
        treated = (frame["g"] > 0) & (event >= -shift)
        res = imputation(frame.assign(g_dated=cohort), "nqp", **{**KEYS, "cohort": "g_dated"})
        rows.append(
            {
                "dating": dating,
                "estimate": float(res.estimate),
                "truth": float(frame.loc[treated, "tau"].mean()),
            }
        )
    return rows


def simulate_draw(task: Mapping, shared: tuple) -> list[dict]:
    """One draw of one study (module level: Dask workers import it)."""
    study, design = shared
    seed = int(task["seed"])
    twin = _twin(design, seed)
    frame = _frame(twin)
    if study == "decomposition":
        rows = _decomposition(twin, frame)
    elif study == "pretest":
        rows = _pretest(twin, frame, seed)
    elif study == "clustering":
        rows = _clustering(twin, frame)
    else:
        rows = _timing(twin, frame, max(int(design.knobs.get("anticipation", 0)), 1))
    return [{**r, "draw": int(task["draw"])} for r in rows]


def run(
    study: Study,
    design: montecarlo.Design,
    draws: int,
    *,
    scheduler: str | None = "serial",
    workers: int | None = None,
    out=None,
) -> pd.DataFrame:
    """``draws`` draws of ``study`` on ``design``'s twins; one or more rows per draw.

    The draws use :func:`replicate.montecarlo.tasks` (so draw ``d`` is the same twin as in
    ``montecarlo.run(design, …)``) and :func:`replicate.multiverse.run_tasks`.
    """
    check_choice("study", study, get_args(Study))
    report = mv.run_tasks(
        montecarlo.tasks(design, draws),
        simulate_draw,
        (study, design),
        data_hash=f"{design.hash}:{study}",
        out=out,
        scheduler=scheduler,
        workers=workers,
        progress=False,
        name=study,
    )
    return report.results.sort_values(["draw", "row"], ignore_index=True)


def summarise_mean(values) -> tuple[float, float]:
    """Mean and its Monte Carlo standard error ``s.d./√R``."""
    x = np.asarray(values, float)
    if not x.size:
        return np.nan, np.nan
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else np.nan


def summarise_rate(flags) -> tuple[float, float]:
    """Share of draws and its Monte Carlo standard error ``√(p(1 − p)/R)``."""
    x = np.asarray(flags, bool)
    p = float(x.mean())
    return p, float(np.sqrt(p * (1 - p) / x.size))


ESTIMANDS = {
    "twfe": "ATT of treated city-years (TWFE has no estimand of its own)",
    "cs_never": "ATT of treated city-years ('simple' aggregation)",
    "cs_notyet": "ATT of treated city-years ('simple' aggregation)",
    "imputation": "ATT of treated city-years",
    "sun_abraham": "mean of the effects by year since the pilot (each year equally)",
}
"""What each estimator of :func:`replicate.montecarlo.run` averages."""


def own_estimands(truth) -> dict[str, float]:
    """Each estimator's target on a twin with this :class:`~replicate.data.synthetic.Truth`.

    Sun–Abraham's overall estimate weights every post-pilot event time equally
    (:func:`replicate.models.staggered.sun_abraham`); the others target the ATT of treated
    city-years. The truth does not depend on the draw (effects are not random).
    """
    by_event = truth.by_event_time
    event_mean = float(by_event[by_event.index >= 0].mean())
    return {e: (event_mean if e == "sun_abraham" else float(truth.att)) for e in ESTIMANDS}


def against_own_estimand(draws: pd.DataFrame, truth) -> pd.DataFrame:
    """Bias of each estimator of a :func:`replicate.montecarlo.run` against its own target,
    with Monte Carlo standard errors and the count of draws that failed."""
    targets = own_estimands(truth)
    rows = {}
    for estimator, d in draws.groupby("estimator", sort=False):
        ok = d[d["status"] == "ok"]
        bias, bias_se = summarise_mean(ok["estimate"] - targets[estimator])
        rows[mv.ESTIMATOR_LABELS[estimator]] = {
            "estimand": ESTIMANDS[estimator],
            "truth": targets[estimator],
            "mean estimate": bias + targets[estimator],
            "bias": bias,
            "bias MC s.e.": bias_se,
            "draws": len(ok),
            "failed": len(d) - len(ok),
        }
    order = [mv.ESTIMATOR_LABELS[e] for e in mv.ESTIMATORS if mv.ESTIMATOR_LABELS[e] in rows]
    return pd.DataFrame(rows).T.loc[order]


def decomposition_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean over draws of each part of the TWFE bias per comparison type (and in total),
    with Monte Carlo standard errors; rows of :func:`run` ``("decomposition", …)``."""
    from replicate.models.bias import PARTS

    columns = [*PARTS, "total"]
    per_draw = rows.groupby("draw")[columns].sum().assign(type="all comparisons")
    long = pd.concat([rows[["type", *columns]], per_draw], ignore_index=True)
    weights = rows.groupby("type", sort=False)["weight"].mean()
    out = {}
    for kind, d in long.groupby("type", sort=False):
        entry = {"mean weight": float(weights.get(kind, 1.0))}
        for c in columns:
            entry[c], entry[f"{c} MC s.e."] = summarise_mean(d[c])
        out[kind] = entry
    return pd.DataFrame(out).T


PART_HEADERS = {
    "weight": "weight",
    "mean weight": "weight",
    "variance weighting": "weighting",
    "forbidden comparison": "forbidden",
    "noise and trend violation": "noise",
    "total": "total",
}
"""Short column headers for the bias decomposition's tables (so they fit a page)."""

PART_NOTES = (
    "weighting: variance weighting; forbidden: forbidden comparisons (an already-treated "
    "control's change in effect); noise: the 2×2s of untreated outcomes (noise and "
    "trend violation); total: their sum, the bias against the ATT."
)
"""What the short headers of :data:`PART_HEADERS` stand for."""


def decomposition_layout(summary: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """:func:`decomposition_summary` laid out for a page: per comparison type, a row of
    means and below it a row of their Monte Carlo standard errors in parentheses (index
    ``row``/``line`` as in the paper's tables), with the short headers of
    :data:`PART_HEADERS`. Cells are text, formatted with ``digits`` decimals."""
    from replicate.report.tables import number

    parts = [c for c in summary.columns if c in PART_HEADERS and c != "mean weight"]
    means = summary[["mean weight", *parts]].map(number, digits=digits)
    means["mean weight"] = summary["mean weight"].map(number)
    ses = "(" + summary[[f"{c} MC s.e." for c in parts]].map(number, digits=digits) + ")"
    ses.columns = parts
    ses.insert(0, "mean weight", "")
    out = pd.concat({"": means, "se": ses}, names=["line", "row"]).swaplevel()
    order = pd.MultiIndex.from_product([summary.index, ["", "se"]], names=["row", "line"])
    return out.reindex(order).rename(columns=PART_HEADERS)


# ----------------------------------------------------------------------------- prose

SIGNIFICANT_Z = 2.0
"""A Monte Carlo mean counts as different from a value when they differ by more than this
many Monte Carlo standard errors (about a 5% two-sided test)."""


def with_se(mean: float, se: float, digits: int = 3) -> str:
    """ "0.018 (Monte Carlo s.e. 0.003)"; a zero s.e. (a part that is the same in every
    draw) says so instead."""
    from replicate.report.tables import number

    if not np.isfinite(mean):
        return "not defined (no draw gave an estimate)"
    if not np.isfinite(se):
        return f"{number(mean, digits)} (one draw: no Monte Carlo s.e.)"
    if se < 0.5 * 10.0**-digits:
        return f"{number(mean, digits)} (the same in every draw)"
    return f"{number(mean, digits)} (Monte Carlo s.e. {number(se, digits)})"


def percent_with_se(rate: float, se: float) -> str:
    """ "70% of draws (Monte Carlo s.e. 10 points)"."""
    return f"{100 * rate:.0f}% of draws (Monte Carlo s.e. {100 * se:.0f} points)"


def against(mean: float, se: float, value: float = 0.0, unit: str = "the truth") -> str:
    """Where a Monte Carlo mean lies relative to ``value``, decided at
    :data:`SIGNIFICANT_Z` Monte Carlo standard errors: "below the truth", "above the
    truth" or "within Monte Carlo error of the truth"."""
    gap = mean - value
    if not np.isfinite(gap):
        return "not compared (no draw gave an estimate)"
    if np.isfinite(se) and abs(gap) <= SIGNIFICANT_Z * se or gap == 0:
        return f"within Monte Carlo error of {unit}"
    return f"{'below' if gap < 0 else 'above'} {unit}"


FEW_TREATED_CLUSTERS = 20  # below this, few treated clusters can explain over-rejection


def treated_clusters_note(fewest_treated: int) -> str:
    """Whether the smallest number of treated clusters over the clustering levels can
    explain a shortfall in coverage; the threshold :data:`FEW_TREATED_CLUSTERS` follows the
    order of magnitude at which MacKinnon and Webb (2017) find cluster-robust tests
    over-reject."""
    if fewest_treated >= FEW_TREATED_CLUSTERS:
        return (
            f"with at least {fewest_treated} treated clusters at either level, their count"
            " alone is unlikely to explain a shortfall"
        )
    return (
        f"with only {fewest_treated} treated clusters at the coarser level, their count"
        " may explain a shortfall"
    )


def describe_effects(truth, knobs: Mapping) -> str:
    """The twin's effects and trends in words, read from its truth and knobs: which batches
    have larger effects (differences under 0.001 count as equal), whether effects change
    with time, whether parallel trends hold without the controls."""
    by_batch = truth.by_cohort.sort_index()
    steps = np.diff(by_batch.to_numpy())
    if np.all(np.abs(steps) < 1e-3):
        batches = "every batch has the same average effect"
    elif np.all(steps < 0):
        batches = "earlier pilots have larger effects"
    elif np.all(steps > 0):
        batches = "later pilots have larger effects"
    else:
        batches = "the batches' effects differ"
    slope = float(knobs.get("dynamic_slope", 0.0))
    time = (
        "every effect grows with time"
        if slope > 0
        else "every effect shrinks with time"
        if slope < 0
        else "effects do not change with time"
    )
    heterogeneous = slope != 0 or not np.all(np.abs(steps) < 1e-3)
    lesson = (
        "exactly the heterogeneity that makes staggered TWFE go wrong"
        if heterogeneous
        else "no heterogeneity, so staggered TWFE has nothing to go wrong on"
    )
    trends = (
        "The controls move the outcome and trend with pilot status "
        "(`conditional_trends = True`), so parallel trends hold only given the controls."
        if knobs.get("conditional_trends", True)
        else "The controls are switched off in the outcome (`conditional_trends = False`), "
        "so parallel trends hold without them and every difference below comes from "
        "heterogeneity alone."
    )
    return f"On this twin {batches} and {time}: {lesson}. {trends}"
