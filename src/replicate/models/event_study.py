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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from replicate.models._common import EstimateMixin, resolve
from replicate.models.twfe import TWFE, TWFEResults


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
        Critical value of the uniform bands.
    betahat, sigma : ndarray
        Estimated coefficients (reference year excluded, in event-time order) and their
        covariance: the inputs of a Rambachan–Roth sensitivity analysis.
    n_pre, n_post : int
        Number of pre-period and post-period coefficients in ``betahat``.
    estimate, se : float
        Equally weighted average of the post-period coefficients (event times ≥ 0) and its
        standard error.
    """

    table: pd.DataFrame
    pretrend_F: float
    pretrend_df: tuple[int, int]
    pretrend_p: float
    sup_t: float
    betahat: np.ndarray
    sigma: np.ndarray
    n_pre: int
    n_post: int
    regression: TWFEResults
    level: float
    cluster: str
    method_name = "Event study: average of the post-period coefficients"

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
        rows = self.table.drop(index=self.reference_period)
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
        return int(self.table.index[self.table["se"].isna()][0])

    def _details(self) -> dict[str, object]:
        return {
            "pre-trend": f"F = {self.pretrend_F:.4g}, p = {self.pretrend_p:.4g} (df {self.pretrend_df})",
            "clusters": f"{self.regression.n_clusters} ({self.cluster})",
        }


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
        Small-sample convention of the clustered covariance (see :class:`TWFE`).
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
    )
    lo, hi = window
    if not lo <= reference < hi or lo >= hi:
        raise ValueError(
            f"window={window} must contain the reference period {reference} and a later one."
        )
    g = design.first_period
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
    frame = design.frame.assign(**columns)
    names = list(columns)
    model = TWFE(
        frame,
        outcome,
        [*names, *design.controls],
        tuple(absorb or (design.unit, design.time)),
    )
    res = model.fit(cov_type="cluster", cluster=design.cluster, small_sample=small_sample)
    beta = res.params[names].to_numpy()
    sigma = res.cov.loc[names, names].to_numpy()
    se = np.sqrt(np.diag(sigma))
    z = stats.t.ppf(0.5 + level / 2, res.df_resid)
    corr = sigma / np.outer(se, se)
    rng = np.random.default_rng(seed)
    sims = rng.multivariate_normal(np.zeros(len(beta)), corr, size=draws, method="cholesky")
    sup_t = float(np.quantile(np.abs(sims).max(axis=1), level))
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
            rows.append((e, labels[e], 0.0, np.nan, np.nan, np.nan, np.nan, np.nan))
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
                beta[i] - sup_t * se[i],
                beta[i] + sup_t * se[i],
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
            "lower_uniform",
            "upper_uniform",
        ],
    ).set_index("event_time")
    return EventStudyResults(
        table,
        F,
        (q, res.df_resid),
        p,
        sup_t,
        beta,
        sigma,
        q,
        len(times) - q,
        res,
        level,
        design.cluster,
    )
