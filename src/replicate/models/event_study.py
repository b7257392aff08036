"""Event-study regressions: leads and lags of the treatment, with honest summaries of them.

``event_study(data, "nqp")`` regresses the outcome on indicators of periods relative to
each unit's first treated period (reference −1 omitted), with unit and period effects:

    y_it = α_i + λ_t + Σ_{e ≠ −1} β_e · 1[t − g_i = e] + X_it'δ + u_it.

Endpoints are binned by default (``e ≤ lo`` and ``e ≥ hi`` share one indicator each). A
window that does not bin and leaves treated observations outside it is refused: those
observations would silently be pooled with the reference period (Borusyak et al. 2024 and
Schmidheiny & Siegloch 2023 discuss why this matters). Never-treated units have every
indicator at zero. The results give a joint Wald test of the pre-period coefficients and,
besides the pointwise intervals, uniform (sup-t) bands: the critical value ``c`` with
``P(max_e |β̂_e − β_e| / se_e ≤ c) = 1 − α`` under the estimated joint normal distribution
(Montiel Olea & Plagborg-Møller 2019), computed by simulation with a fixed seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from replicate.models import fixed_effects as fe
from replicate.models._common import EstimateMixin, resolve
from replicate.models.twfe import (
    COLLIN_TOL,
    CONSTANT,
    FEW_CLUSTERS,
    TWFE,
    TWFEResults,
    cross,
    matvec,
)


def event_label(e: int, lo: int, hi: int, binned: bool) -> str:
    if binned and e == lo:
        return f"≤{lo}"
    if binned and e == hi:
        return f"≥{hi}"
    return str(e)


@dataclass(frozen=True, eq=False)
class EventStudyResults(EstimateMixin):
    """Event-time coefficients with pointwise and uniform bands and a pre-trend test.

    Attributes
    ----------
    table : DataFrame
        One row per event time (the reference year included with 0): ``coef``, ``se``,
        pointwise ``lower``/``upper`` and uniform ``lower_uniform``/``upper_uniform``.
    pretrend_F, pretrend_df, pretrend_p : float, tuple, float
        Joint Wald test that every pre-period coefficient is zero (F with ``(q, G − 1)``
        degrees of freedom when clustered).
    sup_t : float
        Critical value of the uniform bands, simulated (seeded) on first use: the uniform
        columns of ``table`` and ``sup_t`` cost nothing until read.
    betahat, sigma : ndarray
        Estimated coefficients (reference year excluded, in event-time order) and their
        covariance: the inputs of a Rambachan–Roth sensitivity analysis.
    n_pre, n_post : int
        Number of pre-period and post-period coefficients in ``betahat``.
    estimate, se : float
        Equally weighted average of the post-period coefficients (event times ≥ 0) and its
        standard error.
    """

    pointwise: pd.DataFrame
    pretrend_F: float
    pretrend_df: tuple[int, int]
    pretrend_p: float
    draws: int
    seed: int
    betahat: np.ndarray
    sigma: np.ndarray
    n_pre: int
    n_post: int
    regression: TWFEResults
    level: float
    cluster: str | None
    """Cluster column of the standard errors (``None`` with ``vcov="iid"``/``"hetero"``)."""
    unit: str = ""
    time: str = ""
    """The unit and time columns of the data (labels of tables and figures)."""
    method_name = "Event study: average of the post-period coefficients"

    @cached_property
    def sup_t(self) -> float:
        se = np.sqrt(np.diag(self.sigma))
        return _sup_t(self.sigma / np.outer(se, se), self.level, self.draws, self.seed)

    @cached_property
    def table(self) -> pd.DataFrame:
        """The pointwise table with the uniform (sup-t) band columns."""
        out = self.pointwise.copy()
        out["lower_uniform"] = out["coef"] - self.sup_t * out["se"]
        out["upper_uniform"] = out["coef"] + self.sup_t * out["se"]
        return out

    @property
    def _post_weights(self) -> np.ndarray:
        w = np.zeros(len(self.betahat))
        w[self.n_pre :] = 1.0 / self.n_post
        return w

    @property
    def estimate(self) -> float:
        return float(self._post_weights @ self.betahat)

    @property
    def se(self) -> float:
        w = self._post_weights
        return float(np.sqrt(w @ self.sigma @ w))

    @property
    def nobs(self) -> int:
        return int(self.regression.nobs)

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        z = stats.t.ppf(0.5 + level / 2, self.pretrend_df[1])
        return (self.estimate - z * self.se, self.estimate + z * self.se)

    def _terms(self) -> pd.DataFrame:
        rows = self.pointwise.drop(index=self.reference_period)
        events = pd.DataFrame({"estimate": rows["coef"], "se": rows["se"]})
        events.index = [f"event {label}" for label in rows["label"]]
        head = pd.DataFrame({"estimate": [self.estimate], "se": [self.se]}, index=["post average"])
        return pd.concat([head, events])

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """The average post-period effect, then one row per event time, with t-based
        p-values and intervals (the regression's residual degrees of freedom)."""
        out = super().tidy(level)
        df = self.pretrend_df[1]
        z = stats.t.ppf(0.5 + level / 2, df)
        out["p_value"] = 2 * stats.t.sf(np.abs(out["statistic"]), df)
        out["conf_low"] = out["estimate"] - z * out["std_error"]
        out["conf_high"] = out["estimate"] + z * out["std_error"]
        return out

    @property
    def reference_period(self) -> int:
        return int(self.pointwise.index[self.pointwise["se"].isna()][0])

    def _details(self) -> dict[str, object]:
        return {
            "pre-trend": f"F = {self.pretrend_F:.4g}, p = {self.pretrend_p:.4g} (df {self.pretrend_df})",
            "inference": self.regression.inference
            + (f" by {self.cluster}" if self.regression.cov_type == "cluster" else ""),
        }


def _sup_t(corr: np.ndarray, level: float, draws: int, seed: int) -> float:
    """Quantile ``level`` of ``max_e |Z_e|`` for ``Z ~ N(0, corr)``, by simulation.

    The draws are those of ``Generator.multivariate_normal(..., method="cholesky")`` with
    the same seed (standard normals times the Cholesky factor; identical numbers), without
    its checks and copies.
    """
    rng = np.random.default_rng(seed)
    sims = rng.standard_normal((draws, corr.shape[0])) @ np.linalg.cholesky(corr).T
    np.abs(sims, out=sims)
    return float(np.quantile(sims.max(axis=1), level))


def _collinear(gram: np.ndarray, total_ss: np.ndarray) -> bool:
    """Whether :func:`~replicate.models.twfe.collinear_columns` would drop a column, in one
    Cholesky factorisation: when no earlier column is dropped, column ``j``'s sum of squares
    left after the earlier ones is ``L[j, j]²``. k³ instead of that function's k⁴ loop."""
    own = np.diag(gram)
    if (total_ss <= 0).any() or (own <= COLLIN_TOL * total_ss).any():
        return True
    try:
        left = np.diag(np.linalg.cholesky(gram)) ** 2
    except np.linalg.LinAlgError:
        return True
    return bool((left <= COLLIN_TOL * own).any())


def fast_fit(design, outcome: str, col: np.ndarray, names: list[str]):
    """A regression on indicators and the controls with unit and period effects, straight
    from integer codes: row ``i`` has indicator ``names[col[i]]`` (none when ``col[i] < 0``).

    Same numbers as ``TWFE(...).fit(cov_type="cluster", small_sample="reghdfe")`` (the
    general path; ``tests/test_estimator_speed_equivalence.py``), without materialising
    the indicators as DataFrame columns: one preallocated ``[y, D, X]`` array, one
    within transformation of it (pyfixest's alternating-projections demeaning, as in
    :class:`TWFE`), slopes by a k × k solve, cluster score sums by ``bincount``. Returns
    ``None`` (use the general path) when the panel needs what only ``TWFE`` handles:
    singletons, collinear columns, missing values, few clusters, a covariance other than
    clustered (``vcov="iid"``/``"hetero"``).
    """
    if getattr(design, "cov_type", "cluster") != "cluster":
        return None
    frame = design.frame
    controls = list(design.controls)
    n, k = len(frame), len(names) + len(controls)
    values = np.zeros((n, 1 + k))
    values[:, 0] = frame[outcome].to_numpy(float)
    if controls:
        values[:, 1 + len(names) :] = frame[controls].to_numpy(float)
    if not np.isfinite(values).all():
        return None
    hit = np.flatnonzero(col >= 0)
    values[hit, 1 + col[hit]] = 1.0
    codes = fe.encode(frame, (design.unit, design.time))
    cluster_col = frame[design.cluster]
    if cluster_col.isna().any() or not fe.singleton_mask(codes).all():
        return None
    groups = fe.factorize(cluster_col.to_numpy())
    n_groups = int(groups.max()) + 1
    if n_groups < FEW_CLUSTERS:
        return None
    y, X = values[:, 0], values[:, 1:]
    ybar, xbar = y.mean(), X.mean(axis=0)
    tss = float(((y - ybar) ** 2).sum())
    if tss <= 0:
        return None
    demeaned = fe.demean(values, codes)
    yt, Xt = demeaned[:, 0], demeaned[:, 1:]
    gram = cross(Xt, Xt)  # thin products in NumPy's own loops (see twfe.cross)
    if _collinear(gram, ((X - xbar) ** 2).sum(axis=0)) or float(cross(yt, yt)) <= (
        COLLIN_TOL**2 * tss
    ):
        return None
    beta = np.linalg.solve(gram, cross(Xt, yt))
    resid = yt - matvec(Xt, beta)
    dof = fe.absorbed_dof(codes, groups)
    scale = n_groups / (n_groups - 1) * (n - 1) / (n - k - dof.not_nested - 1)
    scores = np.column_stack(
        [np.bincount(groups, Xt[:, j] * resid, n_groups) for j in range(k)]
        + [np.bincount(groups, resid, n_groups)]
    )
    # Augmented design [Xt + xbar, 1] of reghdfe for the constant; slopes from Xt alone.
    col_sum = Xt.sum(axis=0)
    z_gram = np.empty((k + 1, k + 1))
    z_gram[:k, :k] = (
        gram + np.outer(col_sum, xbar) + np.outer(xbar, col_sum) + n * np.outer(xbar, xbar)
    )
    z_gram[:k, k] = z_gram[k, :k] = col_sum + n * xbar
    z_gram[k, k] = n
    z_scores = scores.copy()
    z_scores[:, :k] += scores[:, [k]] * xbar
    bread = np.linalg.inv(z_gram)
    cov = scale * bread @ cross(z_scores, z_scores) @ bread
    slope_bread = np.linalg.inv(gram)
    cov[:k, :k] = scale * slope_bread @ cross(scores[:, :k], scores[:, :k]) @ slope_bread
    regressors = [*names, *controls, CONSTANT]
    params = pd.Series([*beta, ybar - xbar @ beta], index=regressors, name=outcome)
    se = pd.Series(np.sqrt(np.diag(cov)), index=regressors)
    tstat = params / se
    ssr = float(cross(resid, resid))
    return TWFEResults(
        outcome=outcome,
        params=params,
        std_errors=se,
        tstats=tstat,
        pvalues=pd.Series(2 * stats.t.sf(np.abs(tstat), n_groups - 1), index=regressors),
        cov=pd.DataFrame(cov, index=regressors, columns=regressors),
        nobs=n,
        n_singletons=0,
        n_clusters=n_groups,
        df_resid=n_groups - 1,
        rsquared=1 - ssr / tss,
        rsquared_within=1 - ssr / float(cross(yt, yt)),
        absorb=(design.unit, design.time),
        cov_type="cluster",
        small_sample="reghdfe",
        inference=f"clustered ({n_groups} clusters), reghdfe small-sample correction",
        resid=resid,
        sample=np.ones(n, dtype=bool),
        cluster=design.cluster,
        dof_exact=dof.exact,
    )


def event_study(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    window: tuple[int, int] = (-5, 5),
    reference: int = -1,
    bin_endpoints: bool = True,
    absorb: Sequence[str] | None = None,
    small_sample: str = "reghdfe",
    level: float = 0.95,
    draws: int = 100_000,
    seed: int = 0,
    vcov: Any = None,
) -> EventStudyResults:
    """Two-way fixed-effects event study around each unit's first treated period.

    Parameters
    ----------
    data : Panel or DataFrame
        Not modified. See :mod:`replicate.models._common` for ``unit``, ``time``,
        ``cohort`` (first treated period; 0 or missing = never treated), ``controls`` and
        ``cluster`` (default: ``unit``).
    window : (int, int)
        First and last event time with its own coefficient.
    reference : int
        Omitted event time (−1: the period before treatment).
    bin_endpoints : bool
        Pool event times beyond the window into the end coefficients (default). Without
        binning, treated observations outside the window are an error (they would be
        pooled into the reference period); widen the window or drop them.
    absorb : sequence of str
        Fixed effects (default: unit and time).
    small_sample : str
        Small-sample convention of the covariance (see :class:`TWFE`).
    vcov : {"iid", "hetero"} or {"CRV1": column}, optional
        As in :func:`replicate.fit`: homoskedastic, heteroskedasticity-robust or clustered
        standard errors (default: clustered on ``cluster``, itself the unit by default).
    draws, seed : int
        Simulation draws and seed of the sup-t critical value.
    """
    method = "event_study"
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
    lo, hi = window
    if not lo <= reference < hi or lo >= hi:
        raise ValueError(
            f"window={window} must contain the reference period {reference} and a later one."
        )
    g = design.sample_cohort  # never treated within the sample: no indicator at all
    treated = g > 0
    event = np.where(treated, design.frame[design.time].to_numpy() - g, np.nan)
    if bin_endpoints:
        event = np.where(treated, np.clip(event, lo, hi), np.nan)
    else:
        outside = treated & ((event < lo) | (event > hi))
        if outside.any():
            times = np.unique(event[outside]).astype(int)
            low, high = times[times < lo], times[times > hi]
            named = "; ".join(
                f"{a}…{b}" if a != b else f"{a}"
                for a, b in ((x.min(), x.max()) for x in (low, high) if x.size)
            )
            raise ValueError(
                f"{method}: event times {named} ({int(outside.sum())} treated observations) lie "
                f"outside window={window} and, without binning, would be pooled into the "
                f"reference period {reference}. Fix: widen the window to "
                f"({min(lo, int(times.min()))}, {max(hi, int(times.max()))}), pass "
                "bin_endpoints=True, or drop those observations from the data."
            )
    times = [e for e in range(lo, hi + 1) if e != reference]
    labels = {e: event_label(e, lo, hi, bin_endpoints) for e in range(lo, hi + 1)}
    columns = {f"_ev_{e}": (event == e).astype(float) for e in times}
    empty = [labels[e] for e in times if not columns[f"_ev_{e}"].any()]
    if empty:
        raise ValueError(f"{method}: no observations at event times {empty}; narrow the window.")
    names = list(columns)
    fixed = tuple(absorb or (design.unit, design.time))
    res = None
    if small_sample == "reghdfe" and fixed == (design.unit, design.time):
        col = np.full(len(event), -1)
        for j, e in enumerate(times):
            col[event == e] = j
        res = fast_fit(design, outcome, col, names)
    if res is None:  # general path: any absorbed effects or convention, TWFE's checks
        frame = design.frame.assign(**columns)
        model = TWFE(frame, outcome, [*names, *design.controls], fixed)
        res = model.fit(**design.fit_options, small_sample=small_sample)
    beta = res.params[names].to_numpy()
    sigma = res.cov.loc[names, names].to_numpy()
    se = np.sqrt(np.diag(sigma))
    z = stats.t.ppf(0.5 + level / 2, res.df_resid)
    pre = [i for i, e in enumerate(times) if e < reference]
    q = len(pre)
    if q:
        b, v = beta[pre], sigma[np.ix_(pre, pre)]
        F = float(b @ np.linalg.solve(v, b)) / q
        p = float(stats.f.sf(F, q, res.df_resid))
    else:
        F, p = float("nan"), float("nan")
    rows = []
    for e in range(lo, hi + 1):
        if e == reference:
            rows.append((e, labels[e], 0.0, np.nan, np.nan, np.nan))
            continue
        i = times.index(e)
        rows.append(
            (
                e,
                labels[e],
                beta[i],
                se[i],
                beta[i] - z * se[i],
                beta[i] + z * se[i],
            )
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "event_time",
            "label",
            "coef",
            "se",
            "lower",
            "upper",
        ],
    ).set_index("event_time")
    return EventStudyResults(
        table,
        F,
        (q, res.df_resid),
        p,
        draws,
        seed,
        beta,
        sigma,
        q,
        len(times) - q,
        res,
        level,
        design.cluster if design.cov_type == "cluster" else None,
        design.unit,
        design.time,
    )
