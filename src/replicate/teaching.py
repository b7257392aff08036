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


# ----------------------------------------------------------------------------- fast path


def run_fast(
    study: Study,
    design: montecarlo.Design,
    draws: int,
    twins: montecarlo.Twins | None = None,
) -> pd.DataFrame:
    """The rows of :func:`run` for ``draws`` twins at once (same seeds, same numbers to
    1e-10; ``tests/test_teaching.py``), on :func:`replicate.montecarlo.draw_twins`' arrays.

    The design is the same in every twin, so each study's projections and weights are
    computed once: the decomposition's weights and true-effect parts from the first twin
    (:func:`replicate.models.bias.twfe_bias`), its noise part for all twins from their
    cohort × year means; the pre-trend test, TWFE and its clustered s.e. from
    :func:`replicate.montecarlo.project`; the imputation estimates from
    :func:`replicate.montecarlo.imputation_weights`. ``twins`` reuses drawn twins with
    the same knobs (e.g. those of :func:`replicate.montecarlo.run_fast`).
    """
    check_choice("study", study, get_args(Study))
    if twins is None:
        twins = montecarlo.draw_twins(design, draws)
    montecarlo._check_twins(twins, design, draws)
    if study == "decomposition":
        out = _decomposition_fast(twins)
    elif study == "pretest":
        out = _pretest_fast(twins)
    elif study == "clustering":
        out = _clustering_fast(twins)
    else:
        out = _timing_fast(twins, max(int(design.knobs.get("anticipation", 0)), 1))
    return out.sort_values(["draw", "row"], ignore_index=True)


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    """Number the rows of each draw as :func:`replicate.multiverse.run_tasks` does."""
    return frame.assign(row=frame.groupby("draw").cumcount())


def _decomposition_fast(twins: montecarlo.Twins) -> pd.DataFrame:
    from replicate.models.bias import PARTS, twfe_bias, windows

    first = twfe_bias(twins.frame(0), "nqp", "tau", **KEYS)
    comparisons = first.comparisons
    years = twins.years
    g = np.where((twins.g > 0) & (twins.g <= years[0]), years[0], twins.g)
    groups = np.unique(g)
    member = (g[None, :] == groups[:, None]).astype(float)
    means = np.einsum("kc,rct->rkt", member / member.sum(1, keepdims=True), twins.y)
    index = {int(v): i for i, v in enumerate(groups)}
    noise = np.zeros((twins.y.shape[0], len(comparisons)))
    for j, c in enumerate(comparisons.itertuples(index=False)):
        pre, post = windows(c.type, c.treated, c.control, years)
        path_t, path_c = means[:, index[int(c.treated)]], means[:, index[int(c.control)]]
        did_y = (path_t[:, post].mean(1) - path_t[:, pre].mean(1)) - (
            path_c[:, post].mean(1) - path_c[:, pre].mean(1)
        )
        noise[:, j] = did_y - c.own_effect + c.control_change
    twfe = montecarlo.project(twins, montecarlo.twfe_regressor(twins), covariance=False).coef[0]
    fixed = first.by_type()
    w = comparisons["weight"].to_numpy()
    rows = []
    for kind in fixed.index:
        inside = (comparisons["type"] == kind).to_numpy()
        part = noise[:, inside] @ w[inside]
        rows.append(
            pd.DataFrame(
                {
                    "type": kind,
                    "weight": fixed.loc[kind, "weight"],
                    PARTS[0]: fixed.loc[kind, PARTS[0]],
                    PARTS[1]: fixed.loc[kind, PARTS[1]],
                    PARTS[2]: part,
                    "total": fixed.loc[kind, PARTS[0]] + fixed.loc[kind, PARTS[1]] + part,
                    "twfe": twfe,
                    "att": first.att,
                    "draw": np.arange(twfe.size),
                }
            )
        )
    return _numbered(pd.concat(rows, ignore_index=True).sort_values("draw", kind="stable"))


def _pretest_fast(twins: montecarlo.Twins) -> pd.DataFrame:
    from scipy import stats

    X, times = montecarlo.event_regressors(twins, (-6, 6))
    study = montecarlo.project(twins, X)
    pre = [i for i, e in enumerate(times) if e < -1]
    b = study.coef[pre].T[:, :, None]  # draws × q × 1
    v = study.cov[:, pre][:, :, pre]
    F = (b.transpose(0, 2, 1) @ np.linalg.solve(v, b))[:, 0, 0] / len(pre)
    twfe = montecarlo.project(twins, montecarlo.twfe_regressor(twins), covariance=False)
    imputation = np.einsum("rct,ct->r", twins.y, montecarlo.imputation_weights(twins)[0])
    out = pd.DataFrame(
        {
            "pretest_p": stats.f.sf(F, len(pre), study.df),
            "att": twins.att,
            "twfe": [mv._round(x) for x in twfe.coef[0]],
            "imputation": [mv._round(x) for x in imputation],
            "draw": np.arange(F.size),
        }
    )
    return _numbered(out)


def _clustering_fast(twins: montecarlo.Twins) -> pd.DataFrame:
    treated = {
        "city": int((twins.g > 0).sum()),
        "province": int(pd.Series(twins.province[twins.g > 0]).nunique()),
    }
    parts = []
    for cluster in ("city", "province"):
        p = montecarlo.project(twins, montecarlo.twfe_regressor(twins), cluster)
        rows = montecarlo._rows("twfe", p.coef[0], np.sqrt(p.cov[:, 0, 0]), p.df, p.nobs, 0)
        parts.append(
            rows[["draw", "estimate", "se", "lower", "upper"]].assign(
                cluster=cluster,
                n_clusters=p.n_clusters,
                treated_clusters=treated[cluster],
                att=twins.att,
            )
        )
    return _numbered(pd.concat(parts, ignore_index=True).sort_values("draw", kind="stable"))


def _timing_fast(twins: montecarlo.Twins, lead: int) -> pd.DataFrame:
    parts = []
    for dating, shift in (("implementation", 0), ("announcement", lead)):
        v, treated = montecarlo.imputation_weights(twins, shift)
        parts.append(
            pd.DataFrame(
                {
                    "dating": dating,
                    "estimate": np.einsum("rct,ct->r", twins.y, v),
                    "truth": float(twins.tau[treated].mean()),
                    "draw": np.arange(twins.y.shape[0]),
                }
            )
        )
    return _numbered(pd.concat(parts, ignore_index=True).sort_values("draw", kind="stable"))


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
    """ "70% of draws (Monte Carlo s.e. 10 points)"; an s.e. under 10 points keeps one
    decimal ("1.5 points")."""
    points = f"{100 * se:.0f}" if 100 * se >= 9.95 else f"{100 * se:.1f}"
    return f"{100 * rate:.0f}% of draws (Monte Carlo s.e. {points} points)"


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
        "(conditional_trends = True), so parallel trends hold only given the controls."
        if knobs.get("conditional_trends", True)
        else "The controls are switched off in the outcome (conditional_trends = False), "
        "so parallel trends hold without them and every difference below comes from "
        "heterogeneity alone."
    )
    return f"On this twin {batches} and {time}: {lesson}. {trends}"


def closer_to_zero(a, b) -> bool:
    """Whether the mean of ``a`` is closer to zero than the mean of ``b`` by more than
    :data:`SIGNIFICANT_Z` Monte Carlo s.e. of their paired difference (``a`` and ``b``
    are errors on the same draws)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    _, se = summarise_mean(a - b)
    return bool(abs(a.mean()) + SIGNIFICANT_Z * se < abs(b.mean()))


def sd_with_se(values) -> tuple[float, float]:
    """Standard deviation over draws and its Monte Carlo standard error
    ``s.d./√(2(R − 1))`` (normal approximation; Morris, White & Crowther 2019, Table 6
    give the analogous ``empirical SE`` formula)."""
    x = np.asarray(values, float)
    if x.size < 2:
        return np.nan, np.nan
    sd = float(x.std(ddof=1))
    return sd, sd / np.sqrt(2 * (x.size - 1))


def selection_gap(errors, passed) -> tuple[float, float]:
    """Mean error over the draws that pass minus the mean over all draws, with its Monte
    Carlo s.e.: the gap is ``(1 − p)(m_pass − m_fail)`` (``p`` the pass rate), and the two
    groups are independent draws, so its s.e. is ``(1 − p)·√(s²_pass/n_pass + s²_fail/n_fail)``
    (``p`` treated as fixed). NaN when fewer than two draws pass or fail."""
    e = np.asarray(errors, float)
    ok = np.asarray(passed, bool)
    n_pass, n_fail = int(ok.sum()), int((~ok).sum())
    if n_pass < 2 or n_fail < 2:
        return np.nan, np.nan
    share_fail = n_fail / e.size
    gap = share_fail * (e[ok].mean() - e[~ok].mean())
    se = share_fail * np.sqrt(e[ok].var(ddof=1) / n_pass + e[~ok].var(ddof=1) / n_fail)
    return float(gap), float(se)


def pretest_lesson(gap: float, se: float, bias: float, digits: int = 4) -> str:
    """What conditioning on a passed pre-test did, in words, from :func:`selection_gap`
    and the mean error over all draws (``bias``), decided at :data:`SIGNIFICANT_Z`."""
    from replicate.report.tables import number

    if not (np.isfinite(gap) and np.isfinite(se)):
        return (
            "the comparison is not defined (fewer than two draws passed or failed the "
            "pre-test); raise exercise_draws"
        )
    size = f"{number(gap, digits)} (Monte Carlo s.e. {number(se, digits)})"
    if abs(gap) <= SIGNIFICANT_Z * se:
        return (
            f"the two means differ by {size}, which is within Monte Carlo error: here passing "
            "the pre-test does not select the draws in which noise hid the trend, and the "
            "draws that pass carry the same bias as all draws"
        )
    if np.sign(gap) == np.sign(bias):
        return (
            f"the draws that pass are more biased, by {size}: conditioning on a passed "
            "pre-test makes the reported estimates worse, as Roth warns"
        )
    return (
        f"the draws that pass are less biased, by {size}: passing selects the draws in "
        "which noise hid part of the trend, but does not remove the bias"
    )


def clustering_lesson(
    coverage: Mapping[str, tuple[float, float]],
    mean_se: Mapping[str, float],
    spread: float,
    se_gap: tuple[float, float],
    treated: Mapping[str, int],
    level: float = 0.95,
) -> str:
    """Exercise 11.6's conclusion from its numbers, for the levels ``"city"`` and
    ``"province"``: ``coverage`` (rate, MC s.e.) and ``mean_se`` per level, ``spread`` the
    s.d. of the estimates over the draws, ``se_gap`` the mean province-minus-city s.e. with
    its MC s.e., ``treated`` the treated clusters per level. Says which intervals fall
    short of ``level`` (at :data:`SIGNIFICANT_Z` MC errors) and attributes a shortfall only
    to what the numbers support."""
    short = [lv for lv, (p, s) in coverage.items() if against(p, s, level).startswith("below")]
    ratios = ", ".join(f"{lv} {mean_se[lv] / spread:.2f}" for lv in ("city", "province"))
    if against(*se_gap, 0.0).startswith("within"):
        province = "province clustering does not change the mean s.e. beyond Monte Carlo error"
    else:
        change = 100 * se_gap[0] / mean_se["city"]
        province = (
            f"province clustering {'widens' if change > 0 else 'narrows'} the mean s.e. by "
            f"{abs(change):.1f}%"
        )
    count = treated_clusters_note(min(treated.values()))
    if not short:
        few = min(treated.values()) < FEW_TREATED_CLUSTERS
        return (
            f"both intervals cover about {100 * level:.0f}% (within Monte Carlo error): at "
            f"either level the mean s.e. is close to the spread of the estimates (mean s.e. "
            f"over spread: {ratios}), and {province}; with {treated['city']} treated cities "
            f"and {treated['province']} treated provinces, "
            + (
                "the few treated provinces have not cost coverage here"
                if few
                else "neither level has few treated clusters"
            )
        )
    if short == ["city"]:
        return (
            f"city-clustered intervals undercover and province-clustered ones do not (mean "
            f"s.e. over spread: {ratios}; {province}): the province-by-year shocks, which "
            f"city clusters ignore, are what province clustering adds; {count}"
        )
    levels = " and ".join(f"by {lv}" for lv in short)
    return (
        f"intervals clustered {levels} undercover: the mean s.e. is below the spread of the "
        f"estimates (mean s.e. over spread: {ratios}), and {province}, so the missing "
        f"variance is not correlation within provinces that province clusters would catch; "
        f"{count}"
    )


# ----------------------------------------------------------------------------- exercise sentences
# The chapter's exercise solutions say these in words; each decision is made here once, and
# ``replicate.report.prose_zh`` has a Chinese twin of each (same arguments, same decision).


def power_sentence(rate: float, se: float) -> str:
    """Exercise 11.3: whether the pre-test detects a small violation, from its rejection
    rate and Monte Carlo s.e. (little power when even rate + :data:`SIGNIFICANT_Z` s.e. is
    below one half)."""
    if rate + SIGNIFICANT_Z * se < 0.5:
        return "A pre-test has little power against a violation this small"
    return "Even this small violation is usually detected"


def offset_sentence(
    heterogeneity: tuple[float, float], confounding: tuple[float, float], closer: bool
) -> str:
    """Exercise 11.7: how TWFE's heterogeneity bias and the confounding bias combine, from
    each bias's mean and Monte Carlo s.e. and whether TWFE's errors are closer to zero than
    the imputation estimator's (:func:`closer_to_zero`)."""
    known = [not against(*x, 0.0).startswith("within") for x in (heterogeneity, confounding)]
    opposite = all(known) and heterogeneity[0] * confounding[0] < 0
    if opposite and closer:
        return (
            "the two biases have opposite signs, so TWFE lands closer to the truth than the "
            "imputation estimator — for the wrong reason"
        )
    if opposite:
        return "the two biases have opposite signs and partly offset"
    if all(known):
        return "the two biases have the same sign and add up"
    return "one of the two biases is within Monte Carlo error of zero, so no offset can be read"


def confounding_sentence(confounding: tuple[float, float]) -> str:
    """Exercise 11.7: what the confounding bias (mean and Monte Carlo s.e. of the
    imputation estimator's error) shows."""
    if against(*confounding, 0.0).startswith("above"):
        return "the pilot cities' faster-moving controls are read as an effect"
    return "here the confounding does not show beyond Monte Carlo error"


def controls_left_sentence(with_controls) -> str:
    """Exercise 11.8: whether an error beyond Monte Carlo error is left after conditioning
    on the controls (``with_controls``: the doubly robust estimator's errors)."""
    if not against(*summarise_mean(with_controls), 0.0).startswith("within"):
        return (
            "conditioning on them removes only the part of the confounding that the baseline "
            "predicts, and the error left is beyond Monte Carlo error"
        )
    return "here conditioning on them leaves no error beyond Monte Carlo error"


def controls_change_sentence(with_controls, without_controls, digits: int = 4) -> str:
    """Exercise 11.8: how the controls move the mean error on the same twins (paired
    errors), and whether that is closer to the truth (:func:`closer_to_zero`)."""
    with_controls = np.asarray(with_controls, float)
    without_controls = np.asarray(without_controls, float)
    change = summarise_mean(with_controls - without_controls)
    if closer_to_zero(with_controls, without_controls):
        direction = ", closer to the truth"
    elif closer_to_zero(without_controls, with_controls):
        direction = ", further from the truth"
    else:
        direction = ", neither closer to nor further from the truth beyond Monte Carlo error"
    return (
        "on the same twins the controls move the mean error by "
        + with_se(*change, digits)
        + direction
    )
