"""Staggered-adoption DID: what TWFE averages, and estimators robust to heterogeneity.

* :func:`bacon_decomposition` — Goodman-Bacon (2021): the TWFE coefficient of a binary
  staggered treatment (balanced panel, no controls) as a weighted average of all 2×2 DIDs:
  treated vs never treated, early vs late (late cohort as control) and late vs early
  (already-treated early cohort as control — the "forbidden" comparison).
* :func:`twfe_weights` — de Chaisemartin & D'Haultfœuille (2020): the weight each treated
  city-year's effect gets in the TWFE coefficient, some possibly negative.
* :func:`sun_abraham` — the interaction-weighted estimator of Sun & Abraham (2021): cohort ×
  event-time effects from a saturated TWFE regression with never-treated controls, averaged
  with cohort shares.
* :func:`imputation` — Borusyak, Jaravel & Spiess (2024): fit unit and year effects on
  untreated observations only, impute untreated outcomes for treated ones, average.
* :func:`callaway_santanna` — Callaway & Sant'Anna (2021) through the ``moderndid`` package
  (validated against R ``did``'s published results in the tests), returned as tidy frames.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from replicate.data.pilots import treated_now
from replicate.models import fixed_effects as fe
from replicate.models.twfe import TWFE


def _balanced(frame: pd.DataFrame, unit: str, time: str) -> None:
    counts = frame.groupby(unit)[time].nunique()
    if (counts != frame[time].nunique()).any():
        raise ValueError(
            f"this method needs a balanced panel; {int((counts < frame[time].nunique()).sum())} units lack years."
        )


@dataclass(frozen=True, eq=False)
class BaconDecomposition:
    """All 2×2 comparisons with their weights; ``estimate`` reproduces the TWFE coefficient."""

    comparisons: pd.DataFrame
    estimate: float

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted-average estimate of each comparison type."""
        c = self.comparisons
        grouped = c.groupby("type", sort=False)
        return pd.DataFrame(
            {
                "weight": grouped["weight"].sum(),
                "estimate": grouped.apply(
                    lambda d: np.average(d["estimate"], weights=d["weight"]), include_groups=False
                ),
                "comparisons": grouped.size(),
            }
        )


def bacon_decomposition(
    frame: pd.DataFrame, outcome: str, cohort: str = "g", unit: str = "city_id", time: str = "year"
) -> BaconDecomposition:
    """Goodman-Bacon (2021) decomposition of ``outcome ~ did | unit + time``.

    ``cohort`` holds each unit's first treatment year (0 = never treated). Units treated in
    the first sample year are treated as "always treated" comparisons are not supported.
    """
    _balanced(frame, unit, time)
    years = np.sort(frame[time].unique())
    first, n_t = years[0], len(years)
    g = frame.groupby(unit)[cohort].first().fillna(0)
    if (g == first).any():
        raise ValueError("units treated in the first year (always treated) are not supported.")
    wide = frame.pivot(index=unit, columns=time, values=outcome).loc[g.index]
    cohorts = sorted(c for c in g.unique() if c > 0)
    n_units = len(g)
    share = {c: float((g == c).mean()) for c in [*cohorts, 0]}
    dbar = {c: float((years >= c).mean()) for c in cohorts}
    mean_path = {c: wide[g == c].mean().to_numpy() for c in [*cohorts, 0] if share[c] > 0}

    def did(treated, control, pre, post):
        yt, yc = mean_path[treated], mean_path[control]
        return (yt[post].mean() - yt[pre].mean()) - (yc[post].mean() - yc[pre].mean())

    did_col = treated_now(frame[cohort], frame[time])
    codes = fe.encode(frame, [unit, time])
    vd = float((fe.demean(did_col, codes)[:, 0] ** 2).sum() / (n_units * n_t))
    rows = []
    for k in cohorts:
        post = years >= k
        if share[0] > 0:
            nk, nu = share[k], share[0]
            nku = nk / (nk + nu)
            w = (nk + nu) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / vd
            rows.append(("treated vs never treated", k, 0, did(k, 0, ~post, post), w))
        for late in cohorts:
            if late <= k:
                continue
            nk, nl = share[k], share[late]
            nkl = nk / (nk + nl)
            dk, dl = dbar[k], dbar[late]
            window = years < late
            pre, post_e = window & (years < k), window & (years >= k)
            w_early = (
                ((nk + nl) * (1 - dl)) ** 2
                * nkl
                * (1 - nkl)
                * ((dk - dl) / (1 - dl))
                * ((1 - dk) / (1 - dl))
                / vd
            )
            rows.append(
                (
                    "early vs late (not yet treated control)",
                    k,
                    late,
                    did(k, late, pre, post_e),
                    w_early,
                )
            )
            window = years >= k
            pre, post_l = window & (years < late), window & (years >= late)
            w_late = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * ((dk - dl) / dk) / vd
            rows.append(
                (
                    "late vs early (already treated control)",
                    late,
                    k,
                    did(late, k, pre, post_l),
                    w_late,
                )
            )
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    return BaconDecomposition(table, float((table["estimate"] * table["weight"]).sum()))


@dataclass(frozen=True, eq=False)
class TWFEWeights:
    """de Chaisemartin–D'Haultfœuille weights of the treated cells in the TWFE coefficient."""

    weights: pd.DataFrame
    n_negative: int
    sum_negative: float
    beta: float
    sigma_fe: float
    """|β| / s.d. of the weights: the smallest s.d. of cell effects that could make the ATT
    of the opposite sign to β (de Chaisemartin & D'Haultfœuille 2020, Corollary 1)."""


def twfe_weights(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str = "did",
    unit: str = "city_id",
    time: str = "year",
) -> TWFEWeights:
    """Weights ``w_it = ε_it / Σ_treated ε`` with ``ε`` the residual of the treatment on the
    unit and time effects; the TWFE coefficient equals Σ w_it τ_it under parallel trends."""
    codes = fe.encode(frame, [unit, time])
    d = frame[treatment].to_numpy(float)
    eps = fe.demean(d, codes)[:, 0]
    treated = d == 1
    w = eps[treated] / eps[treated].sum()
    table = frame.loc[treated, [unit, time]].assign(weight=w)
    beta = TWFE(frame, outcome, [treatment], (unit, time)).fit().params[treatment]
    n1 = treated.sum()
    sd = float(np.sqrt(((w - 1 / n1) ** 2).sum() * n1)) if n1 else np.nan
    return TWFEWeights(
        table.reset_index(drop=True),
        int((w < 0).sum()),
        float(w[w < 0].sum()),
        float(beta),
        float(abs(beta) / sd) if sd > 0 else np.inf,
    )


@dataclass(frozen=True, eq=False)
class EventEffects:
    """Event-time effects of a heterogeneity-robust estimator, and their overall average."""

    by_event: pd.DataFrame
    overall: float
    overall_se: float
    name: str
    by_cohort_event: pd.DataFrame | None = None


def sun_abraham(
    frame: pd.DataFrame,
    outcome: str,
    cohort: str = "g",
    unit: str = "city_id",
    time: str = "year",
    reference: int = -1,
    cluster: str | None = None,
    controls: Sequence[str] = (),
) -> EventEffects:
    """Sun & Abraham (2021) interaction-weighted event-study estimator.

    Cohort × event-time indicators for every cohort and event time but ``reference``, unit
    and time effects, never-treated units as the control group; each event time's effect is
    the cohort-share-weighted average of its cohort effects. Standard errors treat the
    shares as fixed (delta method on the clustered covariance).
    """
    g = frame[cohort].fillna(0).to_numpy()
    if not (g == 0).any():
        raise ValueError("Sun–Abraham with never-treated controls needs never-treated units.")
    e = np.where(g > 0, frame[time].to_numpy() - g, np.nan)
    cells = sorted(
        {(int(a), int(b)) for a, b in zip(g[g > 0], e[g > 0], strict=True) if b != reference}
    )
    columns = {f"_sa_{c}_{k}": ((g == c) & (e == k)).astype(float) for c, k in cells}
    data = frame.assign(**columns)
    res = TWFE(data, outcome, [*columns, *controls], (unit, time)).fit(cluster=cluster or unit)
    names = list(columns)
    b = res.params[names].to_numpy()
    v = res.cov.loc[names, names].to_numpy()
    size = frame.groupby(cohort)[unit].nunique()
    rows, overall_w = [], np.zeros(len(names))
    events = sorted({k for _, k in cells})
    for k in events:
        idx = [i for i, (c, kk) in enumerate(cells) if kk == k]
        shares = np.array([size[cells[i][0]] for i in idx], float)
        weights = np.zeros(len(names))
        weights[idx] = shares / shares.sum()
        rows.append((k, float(weights @ b), float(np.sqrt(weights @ v @ weights))))
        if k >= 0:
            overall_w += weights
    post = [k for k in events if k >= 0]
    overall_w /= len(post)
    cohort_event = pd.DataFrame(
        [(c, k, b[i], np.sqrt(v[i, i])) for i, (c, k) in enumerate(cells)],
        columns=["cohort", "event_time", "estimate", "se"],
    )
    return EventEffects(
        pd.DataFrame(rows, columns=["event_time", "estimate", "se"]).set_index("event_time"),
        float(overall_w @ b),
        float(np.sqrt(overall_w @ v @ overall_w)),
        "Sun–Abraham",
        cohort_event,
    )


def imputation(
    frame: pd.DataFrame,
    outcome: str,
    cohort: str = "g",
    unit: str = "city_id",
    time: str = "year",
    controls: Sequence[str] = (),
) -> EventEffects:
    """Borusyak, Jaravel & Spiess (2024) imputation estimator (point estimates).

    Unit and time effects (and control slopes) are fitted on untreated observations only
    (never treated and not yet treated); each treated observation's effect is its outcome
    minus the imputed untreated outcome. Effects are averaged by event time and overall
    (every treated observation equally weighted). Standard errors are not computed here;
    the modern-DID chapter uses pyfixest's two-stage ``did2s`` for inference, which has the
    same point estimates (Gardner 2021) — the tests check that equality.
    """
    g = frame[cohort].fillna(0).to_numpy()
    t = frame[time].to_numpy()
    treated = treated_now(g, t) == 1
    untreated = frame.loc[~treated]
    y0 = untreated[outcome].to_numpy(float)
    codes_all = fe.encode(frame, [unit, time])
    codes = [c[~treated] for c in codes_all]
    if controls:
        x = untreated[list(controls)].to_numpy(float)
        both = fe.demean(np.column_stack([y0, x]), codes)
        delta = np.linalg.lstsq(both[:, 1:], both[:, 0], rcond=None)[0]
        resid_target = y0 - x @ delta
    else:
        delta, resid_target = np.zeros(0), y0
    # Recover the unit and time effects by alternating means on the untreated sample.
    alpha = np.zeros(codes_all[0].max() + 1)
    lam = np.zeros(codes_all[1].max() + 1)
    for _ in range(10_000):
        a_new = np.bincount(codes[0], resid_target - lam[codes[1]], alpha.size) / np.maximum(
            np.bincount(codes[0], minlength=alpha.size), 1
        )
        l_new = np.bincount(codes[1], resid_target - a_new[codes[0]], lam.size) / np.maximum(
            np.bincount(codes[1], minlength=lam.size), 1
        )
        change = max(np.abs(a_new - alpha).max(), np.abs(l_new - lam).max())
        alpha, lam = a_new, l_new
        if change < 1e-13:
            break
    missing_units = np.setdiff1d(codes_all[0][treated], codes[0])
    if missing_units.size:
        raise ValueError(
            f"{missing_units.size} units are never untreated in the sample; their effects cannot be imputed."
        )
    y = frame[outcome].to_numpy(float)
    xb = frame[list(controls)].to_numpy(float) @ delta if controls else 0.0
    fitted = alpha[codes_all[0]] + lam[codes_all[1]] + xb
    tau = (y - fitted)[treated]
    events = (t - g)[treated]
    by_event = pd.Series(tau).groupby(events).mean().rename("estimate").to_frame()
    by_event.index.name = "event_time"
    by_event["se"] = np.nan
    return EventEffects(by_event, float(tau.mean()), float("nan"), "imputation (BJS)")


Control = Literal["nevertreated", "notyettreated"]


@dataclass(frozen=True, eq=False)
class CSResults:
    """Callaway–Sant'Anna group-time effects and their four aggregations."""

    group_time: pd.DataFrame
    aggregations: dict
    overall: pd.DataFrame
    pretest_p: float
    control_group: str


def callaway_santanna(
    frame: pd.DataFrame,
    outcome: str,
    cohort: str = "g",
    unit: str = "city_id",
    time: str = "year",
    control_group: Control = "nevertreated",
    base_period: str = "varying",
    controls: Sequence[str] = (),
    seed: int = 0,
) -> CSResults:
    """Callaway & Sant'Anna (2021) via ``moderndid.att_gt`` (outcome regression, analytic s.e.).

    Aggregations: ``simple`` (average of all post-treatment ATT(g,t) weighted by group
    size), ``group``, ``dynamic`` (event time) and ``calendar``.
    """
    import moderndid as md

    if control_group not in ("nevertreated", "notyettreated"):
        raise ValueError(
            f"control_group={control_group!r} is not allowed; choose 'nevertreated' or 'notyettreated'."
        )
    data = frame[[unit, time, cohort, outcome, *controls]].copy()
    data[cohort] = data[cohort].fillna(0).astype(int)
    data[unit] = pd.factorize(data[unit])[0] + 1
    formula = ("~" + "+".join(controls)) if controls else None
    with warnings.catch_warnings():
        # moderndid says when it switches to a bootstrap for simultaneous bands; expected here.
        warnings.filterwarnings("ignore", message="Used bootstrap procedure", category=UserWarning)
        out = md.att_gt(
            data=data,
            yname=outcome,
            tname=time,
            idname=unit,
            gname=cohort,
            xformla=formula,
            est_method="reg",
            control_group=control_group,
            base_period=base_period,
            random_state=seed,
        )
        group_time = pd.DataFrame(
            {
                "cohort": out.groups.astype(int),
                "year": out.times.astype(int),
                "estimate": out.att_gt,
                "se": out.se_gt,
            }
        )
        aggs, overall = {}, []
        for kind in ("simple", "group", "dynamic", "calendar"):
            a = md.aggte(out, type=kind, random_state=seed)
            overall.append((kind, float(a.overall_att), float(a.overall_se)))
            if a.event_times is not None:
                aggs[kind] = pd.DataFrame(
                    {"estimate": np.asarray(a.att_by_event), "se": np.asarray(a.se_by_event)},
                    index=pd.Index(np.asarray(a.event_times).astype(int), name=kind),
                )
    return CSResults(
        group_time,
        aggs,
        pd.DataFrame(overall, columns=["aggregation", "estimate", "se"]).set_index("aggregation"),
        float(out.wald_pvalue) if out.wald_pvalue is not None else float("nan"),
        control_group,
    )
