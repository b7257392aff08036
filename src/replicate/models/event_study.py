"""Event-study regressions: leads and lags of the pilot, with honest summaries of them.

``EventStudy(panel, "nqp").fit()`` regresses the outcome on indicators of years relative
to each city's pilot year (reference year −1 omitted), with city and year effects:

    y_it = α_i + λ_t + Σ_{e ≠ −1} β_e · 1[t − g_i = e] + X_it'δ + u_it.

Endpoints are binned by default (``e ≤ lo`` and ``e ≥ hi`` share one indicator each) so that
no relative year is silently pooled with the reference year (Borusyak et al. 2024 and
Schmidheiny & Siegloch discuss why this matters). Never-treated units have every indicator
at zero. The results give a joint Wald test of the pre-period coefficients and, besides the
pointwise intervals, uniform (sup-t) bands: the critical value ``c`` with
``P(max_e |β̂_e − β_e| / se_e ≤ c) = 1 − α`` under the estimated joint normal distribution
(Montiel Olea & Plagborg-Møller 2019), computed by simulation with a fixed seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from replicate.models.twfe import TWFE, TWFEResults


def event_label(e: int, lo: int, hi: int, binned: bool) -> str:
    if binned and e == lo:
        return f"≤{lo}"
    if binned and e == hi:
        return f"≥{hi}"
    return str(e)


@dataclass(frozen=True, eq=False)
class EventStudyResults:
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


class EventStudy:
    """Two-way fixed-effects event study around each unit's first treatment year.

    Parameters
    ----------
    data : DataFrame
        Panel with the outcome, ``unit``, ``time`` and ``cohort`` columns (not modified).
    outcome : str
    cohort : str
        First treatment year; 0 or missing for never-treated units.
    window : (int, int)
        First and last event time with its own coefficient.
    reference : int
        Omitted event time (−1: the year before treatment).
    bin_endpoints : bool
        Pool event times beyond the window into the end coefficients (default) rather than
        leaving them in the reference category.
    controls : sequence of str
    unit, time : str
    absorb : sequence of str
        Fixed effects (default: unit and time).
    """

    def __init__(
        self,
        data: pd.DataFrame,
        outcome: str,
        cohort: str = "g",
        window: tuple[int, int] = (-5, 5),
        reference: int = -1,
        bin_endpoints: bool = True,
        controls: Sequence[str] = (),
        unit: str = "city_id",
        time: str = "year",
        absorb: Sequence[str] | None = None,
    ) -> None:
        lo, hi = window
        if not lo <= reference < hi or lo >= hi:
            raise ValueError(
                f"window={window} must contain the reference year {reference} and a later year."
            )
        g = data[cohort].fillna(0).to_numpy()
        treated = g > 0
        if not treated.any():
            raise ValueError(f"no unit has a first treatment year in column {cohort!r}.")
        event = np.where(treated, data[time].to_numpy() - g, np.nan)
        if bin_endpoints:
            event = np.where(treated, np.clip(event, lo, hi), np.nan)
        self.times = [e for e in range(lo, hi + 1) if e != reference]
        self.labels = {e: event_label(e, lo, hi, bin_endpoints) for e in range(lo, hi + 1)}
        columns = {f"_ev_{e}": (event == e).astype(float) for e in self.times}
        present = [c for c, v in columns.items() if v.any()]
        if len(present) < len(columns):
            empty = [self.labels[int(c[4:])] for c in columns if c not in present]
            raise ValueError(f"no observations at event times {empty}; narrow the window.")
        self.frame = data.assign(**columns)
        self.outcome, self.reference, self.window, self.binned = (
            outcome,
            reference,
            window,
            bin_endpoints,
        )
        self.model = TWFE(self.frame, outcome, [*columns, *controls], tuple(absorb or (unit, time)))
        self.columns = list(columns)

    def fit(
        self,
        cov_type: str = "cluster",
        cluster: str = "city_id",
        small_sample: str = "reghdfe",
        level: float = 0.95,
        draws: int = 100_000,
        seed: int = 0,
    ) -> EventStudyResults:
        """Estimate; ``draws`` and ``seed`` govern the simulated sup-t critical value."""
        res = self.model.fit(cov_type=cov_type, cluster=cluster, small_sample=small_sample)
        beta = res.params[self.columns].to_numpy()
        sigma = res.cov.loc[self.columns, self.columns].to_numpy()
        se = np.sqrt(np.diag(sigma))
        z = stats.t.ppf(0.5 + level / 2, res.df_resid)
        corr = sigma / np.outer(se, se)
        rng = np.random.default_rng(seed)
        sims = rng.multivariate_normal(np.zeros(len(beta)), corr, size=draws, method="cholesky")
        sup_t = float(np.quantile(np.abs(sims).max(axis=1), level))
        pre = [i for i, e in enumerate(self.times) if e < self.reference]
        q = len(pre)
        if q:
            b, v = beta[pre], sigma[np.ix_(pre, pre)]
            wald = float(b @ np.linalg.solve(v, b))
            F = wald / q
            p = float(stats.f.sf(F, q, res.df_resid))
        else:
            F, p = float("nan"), float("nan")
        rows = []
        for e in range(self.window[0], self.window[1] + 1):
            if e == self.reference:
                rows.append((e, self.labels[e], 0.0, np.nan, np.nan, np.nan, np.nan, np.nan))
                continue
            i = self.times.index(e)
            rows.append(
                (
                    e,
                    self.labels[e],
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
            table, F, (q, res.df_resid), p, sup_t, beta, sigma, q, len(self.times) - q, res, level
        )
