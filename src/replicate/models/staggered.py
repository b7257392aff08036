"""Staggered-adoption DID: what TWFE averages, and estimators robust to heterogeneity.

Every function takes ``(data, outcome, *, unit, time, cohort, controls, cluster)`` (see
:mod:`replicate.models._common`) and returns a result with ``estimate``, ``se``,
``conf_int()``, ``nobs``, ``tidy()`` and ``summary()``.

* :func:`bacon_decomposition` — Goodman-Bacon (2021): the TWFE coefficient of a binary
  staggered treatment (balanced panel, no controls) as a weighted average of all 2×2 DIDs,
  labelled as R ``bacondecomp`` does: "Treated vs Untreated" (never treated, including
  units first treated after the sample ends), "Earlier vs Later Treated", "Later vs
  Earlier Treated" (the already-treated control — the "forbidden" comparison) and "Later
  vs Always Treated" (units treated in or before the first period as controls). Written
  here: no Python package has it.
* :func:`twfe_weights` — de Chaisemartin & D'Haultfœuille (2020): the weight each treated
  unit-period's effect gets in the TWFE coefficient, some possibly negative.
* :func:`sun_abraham` — the interaction-weighted estimator of Sun & Abraham (2021), on the
  TWFE engine.
* :func:`imputation` — Borusyak, Jaravel & Spiess (2024): unit and period effects fitted on
  untreated observations, with their conservative standard errors (Theorem 3, leave-out
  version). Written here: pyfixest's ``did2s`` has the same point estimate but Gardner's
  two-stage standard errors.
* :func:`callaway_santanna` — Callaway & Sant'Anna (2021), computed natively in
  :mod:`replicate.models._cs` (moderndid's and R ``did``'s formulas on a units × periods
  array; doubly robust by default, as R ``did``), equal to ``moderndid`` to 1e-8 and
  validated against R ``did``'s published results.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from replicate._options import check_choice
from replicate.models import _common
from replicate.models._common import EstimateMixin, resolve
from replicate.models.event_study import fast_fit
from replicate.models.twfe import TWFE

TREATED_VS_UNTREATED = "Treated vs Untreated"
EARLIER_VS_LATER = "Earlier vs Later Treated"
LATER_VS_EARLIER = "Later vs Earlier Treated"
LATER_VS_ALWAYS = "Later vs Always Treated"
BACON_TYPES = (TREATED_VS_UNTREATED, EARLIER_VS_LATER, LATER_VS_EARLIER, LATER_VS_ALWAYS)
"""Comparison types, spelled as R ``bacondecomp`` prints them."""


def _no_controls(controls: Sequence[str], method: str) -> None:
    if len(controls):
        raise ValueError(
            f"{method} decomposes the TWFE coefficient without controls; controls={list(controls)} "
            "are not supported (Goodman-Bacon's controlled decomposition is not implemented). "
            "Drop controls=, or compare with event_study/imputation, which take them."
        )


def _twfe_did(design: _common.Design, frame: pd.DataFrame, outcome: str):
    """TWFE of ``outcome`` on ``did`` with unit and period effects and the design's
    covariance (clustered on its cluster by default), as ``fit`` computes it."""
    return TWFE(frame, outcome, ["did"], (design.unit, design.time)).fit(**design.fit_options)


@dataclass(frozen=True, eq=False)
class BaconDecomposition(EstimateMixin):
    """All 2×2 comparisons with their weights; ``estimate`` (Σ weight·estimate) equals the
    TWFE coefficient, ``se`` is that TWFE coefficient's clustered standard error."""

    comparisons: pd.DataFrame
    estimate: float
    se: float
    nobs: int
    n_always_treated: int
    n_treated_after_sample: int
    df_resid: float = float("inf")
    """The TWFE regression's degrees of freedom: ``tidy()`` and ``summary()`` print the
    p-value and interval :func:`replicate.fit` reports for the same specification."""
    method_name = "Goodman-Bacon decomposition of the TWFE coefficient"
    term = "did (TWFE)"

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

    def _details(self) -> dict[str, object]:
        return {
            "weights": "; ".join(f"{k} {v:.4f}" for k, v in self.by_type()["weight"].items()),
            "always": f"{self.n_always_treated} units treated in or before the first period",
            "later": f"{self.n_treated_after_sample} units first treated after the sample (untreated)",
        }


def bacon_decomposition(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    vcov: Any = None,
) -> BaconDecomposition:
    """Goodman-Bacon (2021, Theorem 1) decomposition of ``outcome ~ did | unit + time``.

    Needs a balanced panel and no controls. Units first treated after the last period are
    untreated within the sample and join the never treated ("Treated vs Untreated"); units
    treated in or before the first period are "always treated" and serve as controls for
    every timing group ("Later vs Always Treated"), as in R ``bacondecomp``. The 2×2
    weights are Goodman-Bacon's (sample shares × variance of treatment in the pair),
    scaled to sum to one; the identity Σ weight·estimate = TWFE is checked in the tests.
    ``se`` and the summary's p-value are those of the TWFE coefficient as
    :func:`replicate.fit` reports them (``vcov=`` takes fit's choices; default clustered
    on ``cluster``, the unit by default).
    """
    method = "bacon_decomposition"
    _no_controls(controls, method)
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        cluster=cluster,
        method=method,
        warn=False,
        vcov=vcov,
        vcov_choices=("cluster", "robust", "unadjusted"),
    )
    _common.require_balanced(design, method)
    frame, unit, time = design.frame, design.unit, design.time
    per_unit = pd.Series(design.sample_cohort, index=frame.index).groupby(frame[unit])
    if (per_unit.nunique() > 1).any():
        bad = list(per_unit.nunique()[lambda s: s > 1].index[:5])
        raise ValueError(f"{method}: cohort {design.cohort!r} varies within units {bad}.")
    years = np.sort(frame[time].unique())
    first = years[0]
    g = per_unit.first()
    always = (g > 0) & (g <= first)
    g = g.where(~always, first)  # every always-treated unit in one group
    raw = pd.Series(design.first_period, index=frame.index).groupby(frame[unit]).first()
    n_after = int((raw > years[-1]).sum())
    wide = frame.pivot(index=unit, columns=time, values=outcome).loc[g.index]
    timing = sorted(c for c in g.unique() if c > first)
    share = {c: float((g == c).mean()) for c in g.unique()}
    dbar = {c: float((years >= c).mean()) for c in timing}
    path = {c: wide[(g == c).to_numpy()].mean().to_numpy() for c in share}

    def did(treated, control, pre, post):
        yt, yc = path[treated], path[control]
        return (yt[post].mean() - yt[pre].mean()) - (yc[post].mean() - yc[pre].mean())

    rows = []
    for k in timing:
        post = years >= k
        for control, kind in ((0.0, TREATED_VS_UNTREATED), (first, LATER_VS_ALWAYS)):
            if share.get(control, 0) > 0:
                nk, nu = share[k], share[control]
                nku = nk / (nk + nu)
                w = (nk + nu) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k])
                rows.append((kind, k, control, did(k, control, ~post, post), w))
        for late in timing:
            if late <= k:
                continue
            nk, nl = share[k], share[late]
            nkl = nk / (nk + nl)
            dk, dl = dbar[k], dbar[late]
            window = years < late
            w_early = ((nk + nl) * (1 - dl)) ** 2 * nkl * (1 - nkl) * (dk - dl) / (1 - dl)
            w_early *= (1 - dk) / (1 - dl)
            estimate = did(k, late, window & (years < k), window & (years >= k))
            rows.append((EARLIER_VS_LATER, k, late, estimate, w_early))
            window = years >= k
            w_late = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * ((dk - dl) / dk)
            estimate = did(late, k, window & (years < late), window & (years >= late))
            rows.append((LATER_VS_EARLIER, late, k, estimate, w_late))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    table["weight"] /= table["weight"].sum()
    twfe = _twfe_did(design, _common.with_treatment(design), outcome)
    return BaconDecomposition(
        table,
        float((table["estimate"] * table["weight"]).sum()),
        float(twfe.std_errors["did"]),
        int(twfe.nobs),
        int(always.sum()),
        n_after,
        float(twfe.df_resid),
    )


@dataclass(frozen=True, eq=False)
class TWFEWeights(EstimateMixin):
    """de Chaisemartin–D'Haultfœuille weights of the treated cells in the TWFE coefficient.

    ``estimate`` and ``se`` are the TWFE coefficient and its clustered standard error.
    """

    weights: pd.DataFrame
    n_negative: int
    sum_negative: float
    estimate: float
    se: float
    nobs: int
    sigma_fe: float
    """|β| / s.d. of the weights: the smallest s.d. of cell effects that could make the ATT
    of the opposite sign to β (de Chaisemartin & D'Haultfœuille 2020, Corollary 1)."""
    df_resid: float = float("inf")
    """The TWFE regression's degrees of freedom (p-value and interval as ``fit``'s)."""
    method_name = "TWFE coefficient and its de Chaisemartin–D'Haultfœuille weights"
    term = "did (TWFE)"

    @property
    def beta(self) -> float:
        return self.estimate

    def _details(self) -> dict[str, object]:
        return {
            "negative": f"{self.n_negative} of {len(self.weights)} treated cells, sum {self.sum_negative:.4f}",
            "sigma_fe": f"{self.sigma_fe:.4g}",
        }


def twfe_weights(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    vcov: Any = None,
) -> TWFEWeights:
    """Weights ``w_it = ε_it / Σ_treated ε`` with ``ε`` the residual of the treatment on the
    unit and period effects; the TWFE coefficient equals Σ w_it τ_it under parallel trends
    (de Chaisemartin & D'Haultfœuille 2020, Theorem 1). ``se`` is the TWFE coefficient's
    (``vcov=`` takes :func:`replicate.fit`'s choices; default clustered on ``cluster``)."""
    from replicate.models import fixed_effects as fe

    _no_controls(controls, "twfe_weights")
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        cluster=cluster,
        method="twfe_weights",
        warn=False,
        vcov=vcov,
        vcov_choices=("cluster", "robust", "unadjusted"),
    )
    frame = _common.with_treatment(design)
    codes = fe.encode(frame, [design.unit, design.time])
    d = frame["did"].to_numpy(float)
    eps = fe.demean(d, codes)[:, 0]
    treated = d == 1
    w = eps[treated] / eps[treated].sum()
    table = frame.loc[treated, [design.unit, design.time]].assign(weight=w)
    res = _twfe_did(design, frame, outcome)
    beta = float(res.params["did"])
    n1 = treated.sum()
    sd = float(np.sqrt(((w - 1 / n1) ** 2).sum() * n1))
    return TWFEWeights(
        table.reset_index(drop=True),
        int((w < 0).sum()),
        float(w[w < 0].sum()),
        beta,
        float(res.std_errors["did"]),
        int(res.nobs),
        float(abs(beta) / sd) if sd > 0 else np.inf,
        float(res.df_resid),
    )


@dataclass(frozen=True, eq=False)
class EventEffects(EstimateMixin):
    """Event-time effects of a heterogeneity-robust estimator, and their overall average.

    ``by_event`` has ``estimate`` and ``se`` by event time; ``estimate``/``se`` the overall
    effect (defined by each estimator).
    """

    by_event: pd.DataFrame
    estimate: float
    se: float
    nobs: int
    n_clusters: int
    method_name: str
    by_cohort_event: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    vcov: pd.DataFrame | None = None
    """Covariance of ``by_event["estimate"]`` (index and columns = ``by_event.index``)."""
    outcome: str = ""
    unit: str = ""
    time: str = ""
    cluster: str | None = None
    """Cluster column of the standard errors (None when not clustered)."""
    reference: int | None = None
    """Omitted event time (Sun–Abraham's ``reference``; None for imputation)."""

    def _terms(self) -> pd.DataFrame:
        events = self.by_event[["estimate", "se"]].copy()
        events.index = [f"event {e}" for e in events.index]
        head = pd.DataFrame({"estimate": [self.estimate], "se": [self.se]}, index=["overall"])
        return pd.concat([head, events])

    def _details(self) -> dict[str, object]:
        clusters = {"clusters": self.n_clusters} if self.n_clusters else {}
        return {**clusters, **{f"note {i + 1}": n for i, n in enumerate(self.notes)}}


def _no_always_treated(design: _common.Design, method: str) -> np.ndarray:
    """In-sample cohorts; raise if some unit is treated in every period (no untreated year)."""
    g = design.sample_cohort
    first = design.frame[design.time].min()
    always = (g > 0) & (g <= first)
    if always.any():
        units = sorted(set(design.frame.loc[always, design.unit].astype(str)))
        raise ValueError(
            f"{method}: {len(units)} units are treated from the first period on "
            f"({units[:5]}{' …' if len(units) > 5 else ''}), so they have no untreated period "
            "to compare with. Fix: drop them (data[data[cohort] > first period] or never treated)."
        )
    return g


def sun_abraham(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    reference: int = -1,
    vcov: Any = None,
) -> EventEffects:
    """Sun & Abraham (2021) interaction-weighted event-study estimator.

    Cohort × event-time indicators for every cohort and event time but ``reference``, unit
    and period effects, never-treated units (including those first treated after the
    sample) as the control group; each event time's effect is the cohort-share-weighted
    average of its cohort effects, and ``estimate`` the equally weighted average of the
    post-treatment event-time effects. Standard errors treat the shares as fixed (delta
    method on the regression's covariance: clustered on ``cluster`` by default, or
    ``vcov="iid"``/``"hetero"``/``{"CRV1": column}`` as in :func:`replicate.fit`).
    """
    method = "sun_abraham"
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        controls=controls,
        cluster=cluster,
        method=method,
        warn=False,
        vcov=vcov,
        vcov_choices=("cluster", "robust", "unadjusted"),
    )
    g = _no_always_treated(design, method)
    if not (g == 0).any():
        raise ValueError(f"{method} with never-treated controls needs never-treated units.")
    e = np.where(g > 0, design.frame[design.time].to_numpy() - g, np.nan)
    cells = sorted(
        {(int(a), int(b)) for a, b in zip(g[g > 0], e[g > 0], strict=True) if b != reference}
    )
    names = [f"_sa_{c}_{k}" for c, k in cells]
    col = np.full(len(g), -1)
    for j, (c, k) in enumerate(cells):
        col[(g == c) & (e == k)] = j
    # The indicators straight from integer codes (same numbers as TWFE on dummy columns);
    # TWFE's general path when the panel needs it (singletons, collinearity, few clusters).
    res = fast_fit(design, outcome, col, names)
    if res is None:
        dummies = np.equal.outer(col, np.arange(len(names))).astype(float)
        frame = pd.concat(
            [design.frame, pd.DataFrame(dummies, index=design.frame.index, columns=names)], axis=1
        )
        res = TWFE(frame, outcome, [*names, *design.controls], (design.unit, design.time)).fit(
            **design.fit_options
        )
    frame = design.frame
    b = res.params[names].to_numpy()
    v = res.cov.loc[names, names].to_numpy()
    size = pd.Series(g, index=frame.index).groupby(frame[design.unit]).first().value_counts()
    rows, overall_w, stacked = [], np.zeros(len(names)), []
    events = sorted({k for _, k in cells})
    for k in events:
        idx = [i for i, (c, kk) in enumerate(cells) if kk == k]
        shares = np.array([size[cells[i][0]] for i in idx], float)
        weights = np.zeros(len(names))
        weights[idx] = shares / shares.sum()
        rows.append((k, float(weights @ b), float(np.sqrt(weights @ v @ weights))))
        stacked.append(weights)
        if k >= 0:
            overall_w += weights
    overall_w /= len([k for k in events if k >= 0])
    cohort_event = pd.DataFrame(
        [(c, k, b[i], np.sqrt(v[i, i])) for i, (c, k) in enumerate(cells)],
        columns=["cohort", "event_time", "estimate", "se"],
    )
    return EventEffects(
        pd.DataFrame(rows, columns=["event_time", "estimate", "se"]).set_index("event_time"),
        float(overall_w @ b),
        float(np.sqrt(overall_w @ v @ overall_w)),
        int(res.nobs),
        int(res.n_clusters or 0),
        "Sun–Abraham (average of post-treatment event-time effects)",
        cohort_event,
        (f"standard errors: {res.inference}" + (f" by {design.cluster}" if res.cluster else ""),),
        pd.DataFrame(np.vstack(stacked) @ v @ np.vstack(stacked).T, index=events, columns=events),
        outcome,
        design.unit,
        design.time,
        design.cluster if res.cluster else None,
        reference,
    )


# ----------------------------------------------------------------------------- imputation

AverageBy = Literal["cohort-period", "all"]


def _unit_means(values: np.ndarray, codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit counts and means of the columns of ``values`` (n_rows × p)."""
    counts = np.bincount(codes, minlength=n).astype(float)
    sums = np.column_stack([np.bincount(codes, values[:, j], n) for j in range(values.shape[1])])
    return counts, sums / np.maximum(counts, 1)[:, None]


@dataclass(frozen=True)
class _ImputationFit:
    """The untreated-sample regression ``y = α_i + Wγ`` with ``W`` = period dummies (first
    dropped) and controls, solved exactly by eliminating the unit effects (Schur complement)."""

    gamma: np.ndarray  # p
    alpha: np.ndarray  # units
    gram_inv: np.ndarray  # (W̃'W̃)⁻¹, p × p
    w_bar: np.ndarray  # unit means of W on untreated rows, units × p
    counts: np.ndarray  # untreated rows per unit


def _fit_untreated(y0, w0, units0, n_units, names) -> _ImputationFit:
    counts, means = _unit_means(np.column_stack([y0, w0]), units0, n_units)
    y_bar, w_bar = means[:, 0], means[:, 1:]
    w_tilde = w0 - w_bar[units0]
    gram = w_tilde.T @ w_tilde
    rank = np.linalg.matrix_rank(gram) if gram.size else 0
    if rank < gram.shape[0]:
        raise ValueError(
            "imputation: the controls are collinear with each other or with the unit and period "
            f"effects among untreated observations (columns: {names}); drop the redundant ones."
        )
    gram_inv = np.linalg.inv(gram) if gram.size else np.zeros((0, 0))
    gamma = gram_inv @ (w_tilde.T @ (y0 - y_bar[units0]))
    return _ImputationFit(gamma, y_bar - w_bar @ gamma, gram_inv, w_bar, counts)


def _leave_out_means(tau, cells, clusters) -> tuple[np.ndarray, int]:
    """Mean of ``tau`` in each observation's cell, leaving out the observation's cluster
    (BJS 2024, leave-out version of Theorem 3); cells with one cluster keep the plain mean."""
    cell_sum = np.bincount(cells, tau)
    cell_n = np.bincount(cells).astype(float)
    pair_code = np.unique(cells * (clusters.max() + 1) + clusters, return_inverse=True)[1]
    own_sum = np.bincount(pair_code, tau)[pair_code]
    own_n = np.bincount(pair_code).astype(float)[pair_code]
    rest_n = cell_n[cells] - own_n
    alone = rest_n == 0
    mean = np.where(
        alone,
        cell_sum[cells] / cell_n[cells],
        (cell_sum[cells] - own_sum) / np.where(alone, 1, rest_n),
    )
    return mean, int(len(np.unique(cells[alone])))


def imputation(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    leave_out: bool = True,
    average_by: AverageBy = "cohort-period",
    vcov: Any = None,
) -> EventEffects:
    """Borusyak, Jaravel & Spiess (2024) imputation estimator with conservative standard errors.

    Unit and period effects (and control slopes) are fitted by least squares on untreated
    observations (never treated and not yet treated); each treated observation's effect is
    its outcome minus the imputed untreated outcome. ``estimate`` averages all treated
    observations equally; ``by_event`` averages them by event time.

    Standard errors (BJS 2024, Theorem 3): every estimate is linear in the outcomes,
    ``τ̂ = Σ v_it Y_it`` with ``v = w`` on treated and ``v = −Z₀(Z₀'Z₀)⁻¹Z₁'w`` on untreated
    observations, and ``σ̂² = Σ_c (Σ_{it∈c} v_it ε̃_it)²`` over clusters ``c``, with ``ε̃`` the
    untreated residuals and, for treated observations, ``τ̂_it`` minus the average of
    ``τ̂`` in its cohort × period cell (``average_by="all"``: over all treated
    observations; Stata ``did_imputation``'s ``avgeffectsby``). With ``leave_out`` (the
    default, as BJS recommend)
    that average leaves out the observation's own cluster, which removes the downward bias
    of small cells; cells with a single cluster keep their plain mean (counted in
    ``notes``). The variance is conservative when effects vary within cells.

    Compared with pyfixest's ``did2s`` (Gardner 2021): same point estimate; ``did2s``'s
    GMM standard error removes only the overall average effect from the treated residuals
    (heterogeneity across cells counts as noise) and uses no leave-out, so it is larger
    when effects differ across cohorts or periods (``tests/test_modern_did.py``).

    ``vcov``: clustered on ``cluster`` (default, the unit) or ``{"CRV1": column}``;
    ``"hetero"`` makes every observation its own cluster (Theorem 3 with independent
    errors); ``"iid"`` is not supported (the variance is built from the residuals
    observation by observation, not from one σ²) and is an error.
    """
    method = "imputation"
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        controls=controls,
        cluster=cluster,
        method=method,
        vcov=vcov,
        vcov_choices=("cluster", "robust"),
    )
    g = _no_always_treated(design, method)
    frame = design.frame
    t = frame[design.time].to_numpy()
    treated = design.treated == 1
    units, _ = pd.factorize(frame[design.unit])
    periods, period_index = pd.factorize(frame[design.time], sort=True)
    n_units, n_periods = units.max() + 1, len(period_index)
    bare_periods = np.setdiff1d(np.unique(periods[treated]), periods[~treated])
    if bare_periods.size:
        raise ValueError(
            f"{method}: no untreated observation in periods {list(period_index[bare_periods])}, so "
            "their period effects cannot be estimated and treated outcomes there cannot be imputed. "
            "Fix: add never-treated units or drop those periods."
        )
    w_all = np.zeros((len(frame), n_periods - 1 + len(design.controls)))
    later = periods > 0
    w_all[np.flatnonzero(later), periods[later] - 1] = 1.0
    if design.controls:
        w_all[:, n_periods - 1 :] = frame[list(design.controls)].to_numpy(float)
    y = frame[outcome].to_numpy(float)
    fit = _fit_untreated(
        y[~treated], w_all[~treated], units[~treated], n_units, list(design.controls)
    )
    tau = (y - fit.alpha[units] - w_all @ fit.gamma)[treated]
    resid0 = (y - fit.alpha[units] - w_all @ fit.gamma)[~treated]

    events = (t - g)[treated].astype(int)
    event_values = np.unique(events)
    n1 = treated.sum()
    weights = np.column_stack(
        [np.full(n1, 1.0 / n1)] + [(events == e) / (events == e).sum() for e in event_values]
    )
    # Implied weights on untreated outcomes: v0 = −Z0 θ with (Z0'Z0) θ = Z1'w, unit block eliminated.
    b_unit = np.column_stack(
        [np.bincount(units[treated], weights[:, j], n_units) for j in range(weights.shape[1])]
    )
    b_w = w_all[treated].T @ weights
    theta_w = fit.gram_inv @ (b_w - fit.w_bar.T @ b_unit)
    theta_unit = b_unit / np.maximum(fit.counts, 1)[:, None] - fit.w_bar @ theta_w
    v0 = -(theta_unit[units[~treated]] + w_all[~treated] @ theta_w)

    if design.cov_type == "robust":  # every observation its own cluster
        clusters = np.arange(len(frame))
        by = "heteroskedasticity-robust (each observation its own cluster)"
    else:
        clusters, _ = pd.factorize(frame[design.cluster])
        by = f"clustered by {design.cluster}"
    check_choice("average_by", average_by, AverageBy)
    if average_by == "all":
        cells = np.zeros(int(treated.sum()), dtype=np.int64)
    else:
        cells, _ = pd.factorize(pd.MultiIndex.from_arrays([g[treated], t[treated]]))
    if leave_out:
        tau_bar, n_alone = _leave_out_means(tau, cells, clusters[treated])
    else:
        tau_bar, n_alone = (np.bincount(cells, tau) / np.bincount(cells))[cells], 0
    n_clusters = clusters.max() + 1
    contributions = (
        (clusters[treated], weights * (tau - tau_bar)[:, None]),
        (clusters[~treated], v0 * resid0[:, None]),
    )
    scores = sum(
        np.column_stack([np.bincount(c, x[:, j], n_clusters) for j in range(x.shape[1])])
        for c, x in contributions
    )
    se = np.sqrt((scores**2).sum(axis=0))
    estimates = weights.T @ tau
    by_event = pd.DataFrame(
        {"estimate": estimates[1:], "se": se[1:]}, index=pd.Index(event_values, name="event_time")
    )
    notes = (
        f"standard errors: BJS conservative, {'leave-out ' if leave_out else ''}averages "
        f"by {average_by}, {by}",
    )
    if n_alone:
        notes += (f"{n_alone} cohort × period cells have a single cluster (no leave-out there)",)
    return EventEffects(
        by_event,
        float(estimates[0]),
        float(se[0]),
        int(len(frame)),
        int(n_clusters) if design.cov_type == "cluster" else 0,
        "imputation (Borusyak, Jaravel & Spiess): average over treated observations",
        None,
        notes,
        pd.DataFrame(scores[:, 1:].T @ scores[:, 1:], index=by_event.index, columns=by_event.index),
        outcome,
        design.unit,
        design.time,
        design.cluster if design.cov_type == "cluster" else None,
        None,
    )


# ----------------------------------------------------------------------------- Callaway–Sant'Anna

Control = Literal["nevertreated", "notyettreated"]
EstMethod = Literal["dr", "reg", "ipw"]
Aggregation = Literal["simple", "group", "dynamic", "calendar"]


@dataclass(frozen=True, eq=False)
class CSResults(EstimateMixin):
    """Callaway–Sant'Anna group-time effects and their four aggregations.

    ``estimate``/``se`` are the overall effect of the aggregation named in ``aggregation``
    (R ``aggte``'s default, ``"group"``, unless chosen otherwise); ``overall`` has all four.
    """

    group_time: pd.DataFrame
    aggregations: dict
    overall: pd.DataFrame
    pretest_p: float
    control_group: str
    est_method: str
    aggregation: str
    nobs: int
    n_units: int
    critical_values: dict = field(default_factory=dict)
    """Sup-t (uniform band) critical value of each per-event aggregation (``cband=True``)."""
    engine: str = "native"
    vcov: dict = field(default_factory=dict)
    """Aggregation kind → covariance of ``aggregations[kind]["estimate"]`` (DataFrame,
    index and columns = that table's index; rows of NaN estimates are NaN): ``ψ'ψ / n²`` of
    the aggregation's influence functions (diagonal = ``se²``, as moderndid's
    ``honest_did`` builds it); with a cluster coarser than the unit, ``ψ̄'ψ̄ / C²`` of the
    cluster means of ψ (the variance the clustered multiplier bootstrap estimates; its
    diagonal equals the bootstrap ``se²`` up to simulation error)."""
    outcome: str = ""
    unit: str = ""
    time: str = ""
    cohort: str = ""
    cluster: str = ""
    base_period: str = "varying"
    anticipation: int = 0

    @property
    def estimate(self) -> float:
        return float(self.overall.loc[self.aggregation, "estimate"])

    @property
    def se(self) -> float:
        return float(self.overall.loc[self.aggregation, "se"])

    @property
    def method_name(self) -> str:
        return f"Callaway–Sant'Anna ({self.aggregation} aggregation)"

    def bands(self, kind: str = "dynamic", level: float = 0.95) -> pd.DataFrame:
        """Estimates of one per-event aggregation with pointwise and, when computed
        (``cband=True``, level 0.95), sup-t uniform bands."""
        from scipy import stats

        table = self.aggregations[kind].copy()
        z = stats.norm.ppf(0.5 + level / 2)
        table["lower"], table["upper"] = (
            table["estimate"] - z * table["se"],
            table["estimate"] + z * table["se"],
        )
        crit = self.critical_values.get(kind)
        if crit is not None and level == 0.95:
            table["uniform_lower"] = table["estimate"] - crit * table["se"]
            table["uniform_upper"] = table["estimate"] + crit * table["se"]
        return table

    def _terms(self) -> pd.DataFrame:
        order = [self.aggregation, *(a for a in self.overall.index if a != self.aggregation)]
        return self.overall.loc[order, ["estimate", "se"]]

    def _details(self) -> dict[str, object]:
        return {
            "method": f"est_method={self.est_method!r}, control_group={self.control_group!r}",
            "units": self.n_units,
            "pretest p": f"{self.pretest_p:.4g}",
        }


def callaway_santanna(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    est_method: EstMethod = "dr",
    control_group: Control = "nevertreated",
    base_period: Literal["varying", "universal"] = "varying",
    aggregation: Aggregation = "group",
    draws: int = 999,
    seed: int = 0,
    anticipation: int = 0,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    cband: bool = False,
    vcov: Any = None,
    aggregations: Sequence[Aggregation] | None = None,
) -> CSResults:
    """Callaway & Sant'Anna (2021) group-time effects and ``aggte``'s four aggregations.

    Computed natively (:mod:`replicate.models._cs`: moderndid's / R ``did``'s estimators
    and influence functions on a units × periods array); equal to ``moderndid.att_gt`` and
    ``aggte`` to 1e-8 (``tests/test_cs_native.py``). An unbalanced panel, or one without
    never-treated units, goes through ``moderndid`` itself (its balancing and coercion
    rules).

    Parameters
    ----------
    controls : sequence of str
        Covariates of the conditional parallel-trends assumption (``xformla``); they enter
        through their base-period values, as in R ``did``.
    est_method : {"dr", "reg", "ipw"}
        Doubly robust (Sant'Anna & Zhao 2020; the default, as in R ``did``), outcome
        regression, or inverse probability weighting. Without controls all three coincide.
    cluster : str, optional
        The unit (analytic standard errors, the default) or a coarser column that nests
        the units, which (like R ``did``) uses the multiplier bootstrap of ``draws`` draws.
    vcov : {"CRV1": column}, optional
        Only clustering is supported (the same as ``cluster=column``): the standard errors
        come from unit-level influence functions, as in R ``did``, so ``"iid"`` and
        ``"hetero"`` are errors.
    aggregation : {"simple", "group", "dynamic", "calendar"}
        Which overall effect is ``estimate`` (all four are computed).
    aggregations : sequence of those, optional
        Compute only these aggregations (``aggregation`` always among them) on the native
        path — the same numbers, fewer multiplier bootstraps when clustered (the
        multiverse needs only its headline); default all four.
    anticipation : int
        Periods of anticipation (R ``did``'s ``anticipation``): the base period is the last
        one before ``cohort − anticipation``.
    min_e, max_e, balance_e
        As R ``did::aggte``: event times kept in the dynamic aggregation (``max_e`` also
        bounds the post-treatment cells of the simple and group aggregations);
        ``balance_e`` keeps only cohorts observed ``balance_e`` periods after treatment.
    cband : bool
        Also compute sup-t critical values for uniform bands of the group, dynamic and
        calendar effects (multiplier bootstrap, ``draws`` draws, ``seed``), in
        ``critical_values``; see :meth:`CSResults.bands`.

    Units first treated after the last period are treated as never treated.
    """
    from replicate.models import _cs

    check_choice("control_group", control_group, get_args(Control))
    check_choice("est_method", est_method, get_args(EstMethod))
    check_choice("base_period", base_period, ("varying", "universal"))
    check_choice("aggregation", aggregation, get_args(Aggregation))
    for kind in aggregations or ():
        check_choice("aggregations", kind, get_args(Aggregation))
    if int(anticipation) != anticipation or anticipation < 0:
        raise ValueError(f"callaway_santanna: anticipation={anticipation!r}; use an integer ≥ 0.")
    if balance_e is not None and (int(balance_e) != balance_e or balance_e < 0):
        raise ValueError(f"callaway_santanna: balance_e={balance_e!r}; use an integer ≥ 0 or None.")
    if min_e > max_e:
        raise ValueError(f"callaway_santanna: min_e={min_e} is above max_e={max_e}.")
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        controls=controls,
        cluster=cluster,
        method="callaway_santanna",
        vcov=vcov,
    )
    if design.cluster != design.unit:
        _common.require_nested(design, "callaway_santanna")
    frame = design.frame
    codes, _ = pd.factorize(frame[design.unit])
    g_row = design.sample_cohort
    balanced = len(frame) == (codes.max() + 1) * frame[design.time].nunique()
    if not balanced or not (g_row == 0).any():
        return _callaway_santanna_moderndid(
            design,
            outcome,
            est_method,
            control_group,
            base_period,
            aggregation,
            draws,
            seed,
            anticipation,
            min_e,
            max_e,
            balance_e,
            cband,
        )
    panel = _cs.wide_panel(
        codes,
        frame[design.time].to_numpy(),
        frame[outcome].to_numpy(float),
        g_row,
        frame[list(design.controls)].to_numpy(float) if design.controls else None,
        anticipation=int(anticipation),
    )
    gt = _cs.att_gt(panel, est_method, control_group, base_period)
    clustered = design.cluster != design.unit
    cluster_codes = None
    if clustered:
        per_unit = np.empty(codes.max() + 1, dtype=np.int64)
        per_unit[codes] = pd.factorize(frame[design.cluster], sort=True)[0]
        cluster_codes = per_unit[panel.order][~(panel.g <= panel.periods[0] + anticipation)]
    se_gt = gt.se
    if clustered:
        ok = ~np.isnan(se_gt)
        boot_se, _ = _cs.sup_t(gt.inf, gt.n, draws, seed, cluster_codes)
        se_gt = np.where(ok, boot_se, np.nan)
        se_gt[se_gt <= np.sqrt(np.finfo(float).eps) * 10] = np.nan
    group_time = pd.DataFrame(
        {
            "cohort": gt.groups.astype(int),
            "year": gt.times.astype(int),
            "estimate": gt.att,
            "se": se_gt,
        }
    )
    aggs, overall, crits, vcovs = {}, [], {}, {}
    wanted = set(get_args(Aggregation) if aggregations is None else aggregations) | {aggregation}
    for kind in (k for k in get_args(Aggregation) if k in wanted):
        a = _cs.aggregate(gt, kind, min_e=min_e, max_e=max_e, balance_e=balance_e)
        overall_se = a.overall_se
        se = a.se
        if clustered:
            overall_se = float(_cs.sup_t(a.inf_overall, gt.n, draws, seed, cluster_codes)[0][0])
        if a.att is not None:
            valid = ~np.isnan(a.att)
            if clustered or cband:
                b_se, crit = _cs.sup_t(a.inf[:, valid], gt.n, draws, seed, cluster_codes)
                if clustered:
                    se = np.full(a.att.size, np.nan)
                    se[valid] = b_se
                if cband:
                    crits[kind] = crit
            aggs[kind] = pd.DataFrame(
                {"estimate": a.att, "se": se},
                index=pd.Index(np.asarray(a.event_times).astype(int), name=kind),
            )
            vcovs[kind] = _influence_vcov(a.inf, valid, aggs[kind].index, cluster_codes)
        overall.append((kind, a.overall_att, overall_se))
    return CSResults(
        group_time,
        aggs,
        pd.DataFrame(overall, columns=["aggregation", "estimate", "se"]).set_index("aggregation"),
        float(gt.wald_pvalue) if gt.wald_pvalue is not None and not clustered else float("nan"),
        control_group,
        est_method,
        aggregation,
        int(len(frame)),
        int(frame[design.unit].nunique()),
        crits,
        "native",
        vcovs,
        **_cs_labels(design, outcome, base_period, anticipation),
    )


def _influence_vcov(inf, valid, index, cluster_codes=None) -> pd.DataFrame:
    """``ψ'ψ / n²`` over the valid columns of an n × k influence-function matrix; with
    ``cluster_codes``, ``ψ̄'ψ̄ / C²`` of the C cluster means of ψ (the variance moderndid's
    clustered multiplier bootstrap estimates). NaN rows/columns elsewhere."""
    n = inf.shape[0]
    psi = np.asarray(inf, float)[:, valid]
    if cluster_codes is not None:  # moderndid's mboot: cluster means of ψ, over C²
        codes = np.unique(cluster_codes, return_inverse=True)[1]
        counts = np.bincount(codes).astype(float)
        psi = np.column_stack(
            [np.bincount(codes, psi[:, j]) / counts for j in range(psi.shape[1])]
        ).reshape(-1, psi.shape[1])
        n = counts.size
    out = np.full((len(index), len(index)), np.nan)
    out[np.ix_(valid, valid)] = psi.T @ psi / n**2
    return pd.DataFrame(out, index=index, columns=index)


def _cs_labels(design, outcome, base_period, anticipation) -> dict:
    return {
        "outcome": outcome,
        "unit": design.unit,
        "time": design.time,
        "cohort": design.cohort,
        "cluster": design.cluster,
        "base_period": base_period,
        "anticipation": int(anticipation),
    }


def _callaway_santanna_moderndid(
    design,
    outcome,
    est_method,
    control_group,
    base_period,
    aggregation,
    draws,
    seed,
    anticipation,
    min_e,
    max_e,
    balance_e,
    cband,
) -> CSResults:
    """The same through ``moderndid.att_gt``/``aggte`` (unbalanced panels, no never treated)."""
    import moderndid as md

    unit, time = design.unit, design.time
    columns = list(dict.fromkeys([unit, time, outcome, *design.controls, design.cluster]))
    frame = design.frame[columns].assign(_cohort=design.sample_cohort.astype(int))
    frame[unit] = pd.factorize(frame[unit])[0] + 1
    clustered = design.cluster != design.unit
    with warnings.catch_warnings():
        # moderndid says when it switches to a bootstrap for simultaneous bands; expected here.
        warnings.filterwarnings("ignore", message="Used bootstrap procedure", category=UserWarning)
        out = md.att_gt(
            data=frame,
            yname=outcome,
            tname=time,
            idname=unit,
            gname="_cohort",
            xformla=("~" + "+".join(design.controls)) if design.controls else None,
            est_method=est_method,
            control_group=control_group,
            base_period=base_period,
            anticipation=int(anticipation),
            clustervars=[design.cluster] if clustered else None,
            boot=clustered,
            biters=draws,
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
        aggs, overall, crits, vcovs = {}, [], {}, {}
        for kind in get_args(Aggregation):
            extra = (
                {"min_e": min_e, "max_e": max_e, "balance_e": balance_e}
                if kind == "dynamic"
                else {"max_e": max_e}
            )
            a = md.aggte(out, type=kind, random_state=seed, cband=cband, biters=draws, **extra)
            overall.append((kind, float(a.overall_att), float(a.overall_se)))
            if a.event_times is not None:
                aggs[kind] = pd.DataFrame(
                    {"estimate": np.asarray(a.att_by_event), "se": np.asarray(a.se_by_event)},
                    index=pd.Index(np.asarray(a.event_times).astype(int), name=kind),
                )
                if cband and a.critical_values is not None:
                    crits[kind] = float(np.asarray(a.critical_values)[0])
                inf = getattr(a, "influence_func", None)
                if inf is not None and np.ndim(inf) == 2 and not clustered:
                    est = np.asarray(a.att_by_event, float)
                    vcovs[kind] = _influence_vcov(inf, ~np.isnan(est), aggs[kind].index)
    return CSResults(
        group_time,
        aggs,
        pd.DataFrame(overall, columns=["aggregation", "estimate", "se"]).set_index("aggregation"),
        float(out.wald_pvalue) if out.wald_pvalue is not None else float("nan"),
        control_group,
        est_method,
        aggregation,
        int(len(frame)),
        int(frame[unit].nunique()),
        crits,
        "moderndid",
        vcovs,
        **_cs_labels(design, outcome, base_period, anticipation),
    )
