"""PSM-DID: propensity-score matching on pre-period covariates, then DID on the matched sample.

Standard in Chinese applied work on pilot policies and missing from Python's DID packages:

1. collapse the covariates to one pre-treatment mean per city (years before the first
   pilot, so the pilot cannot have moved them) and fit a logit of ``treat`` on them;
2. match on the logit of the score (Rosenbaum & Rubin 1985 recommend a caliper of 0.2 s.d.
   of the logit): *nearest neighbour* (each pilot city takes its closest non-pilot city
   within the caliper, with replacement; a control's weight is how often it is used) or
   *kernel* (each pilot city spreads weight 1 over all controls with an Epanechnikov
   kernel of the score distance);
3. report balance before and after (standardized mean differences, variance ratios);
4. estimate the TWFE DID on the matched city-years with the matching weights.

Matching weights are treated as fixed in the standard errors (clustered by city), which
ignores the first-stage estimation: a common, mildly optimistic shortcut worth saying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from replicate.models.twfe import TWFE, TWFEResults

Method = Literal["nearest", "kernel"]


@dataclass(frozen=True, eq=False)
class MatchingResults:
    """Scores, weights, balance and the DID on the matched sample."""

    scores: pd.DataFrame
    weights: pd.Series
    balance: pd.DataFrame
    did: TWFEResults
    method: str
    caliper: float
    n_treated_matched: int
    n_treated: int
    n_controls_used: int


def propensity_scores(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    cohort: str = "g",
    unit: str = "city_id",
    time: str = "year",
    before: int | None = None,
) -> pd.DataFrame:
    """Pre-period covariate means per unit, ``treat`` and the logit propensity score."""
    import statsmodels.api as sm

    g = frame.groupby(unit)[cohort].first().fillna(0)
    first_pilot = int(g[g > 0].min()) if before is None else before
    pre = frame[frame[time] < first_pilot]
    if pre.empty:
        raise ValueError(f"no years before {first_pilot} to measure pre-treatment covariates.")
    means = pre.groupby(unit)[list(covariates)].mean()
    means["treat"] = (g.reindex(means.index) > 0).astype(int)
    design = sm.add_constant(means[list(covariates)])
    fit = sm.Logit(means["treat"], design).fit(disp=0)
    means["pscore"] = fit.predict(design)
    means["logit"] = np.log(means["pscore"] / (1 - means["pscore"]))
    return means


def _weights(scores: pd.DataFrame, method: Method, caliper: float, bandwidth: float) -> pd.Series:
    treated = scores[scores["treat"] == 1]
    controls = scores[scores["treat"] == 0]
    lt, lc = treated["logit"].to_numpy(), controls["logit"].to_numpy()
    distance = np.abs(lt[:, None] - lc[None, :])
    weights = pd.Series(0.0, index=scores.index)
    if method == "nearest":
        best = distance.argmin(axis=1)
        ok = distance[np.arange(len(lt)), best] <= caliper
        weights[treated.index[ok]] = 1.0
        used = pd.Series(controls.index[best[ok]]).value_counts()
        weights[used.index] = used.to_numpy(float)
    elif method == "kernel":
        u = distance / bandwidth
        k = np.where(u < 1, 0.75 * (1 - u**2), 0.0)
        row = k.sum(axis=1)
        ok = row > 0
        weights[treated.index[ok]] = 1.0
        contrib = (k[ok] / row[ok, None]).sum(axis=0)
        weights[controls.index] = contrib
    else:
        raise ValueError(f"method={method!r} is not allowed; choose 'nearest' or 'kernel'.")
    return weights.rename("weight")


def balance_table(
    scores: pd.DataFrame, covariates: Sequence[str], weights: pd.Series
) -> pd.DataFrame:
    """Means, standardized mean differences and variance ratios, before and after matching.

    The standardized difference divides by the unmatched pooled s.d. (the same denominator
    before and after, as Austin 2009 recommends).
    """
    rows = []
    for c in covariates:
        x, t = scores[c], scores["treat"] == 1
        pooled = np.sqrt((x[t].var() + x[~t].var()) / 2)
        for label, w in (("before", pd.Series(1.0, index=scores.index)), ("after", weights)):
            wt, wc = w[t], w[~t]
            if wt.sum() == 0 or wc.sum() == 0:
                continue
            mt, mc = np.average(x[t], weights=wt), np.average(x[~t], weights=wc)
            vt = np.average((x[t] - mt) ** 2, weights=wt)
            vc = np.average((x[~t] - mc) ** 2, weights=wc)
            rows.append(
                (
                    c,
                    label,
                    mt,
                    mc,
                    (mt - mc) / pooled if pooled > 0 else np.nan,
                    vt / vc if vc > 0 else np.nan,
                )
            )
    table = pd.DataFrame(
        rows,
        columns=[
            "covariate",
            "sample",
            "mean pilot",
            "mean control",
            "std. difference",
            "variance ratio",
        ],
    )
    return table.set_index(["covariate", "sample"])


def psm_did(
    frame: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    method: Method = "nearest",
    caliper_sd: float = 0.2,
    bandwidth: float = 0.06,
    controls: Sequence[str] = (),
    cohort: str = "g",
    unit: str = "city_id",
    time: str = "year",
    treatment: str = "did",
) -> MatchingResults:
    """Match pilot to non-pilot cities on pre-period covariates, then TWFE DID with weights.

    Parameters
    ----------
    method : {"nearest", "kernel"}
    caliper_sd : float
        Nearest-neighbour caliper in standard deviations of the logit score.
    bandwidth : float
        Kernel bandwidth on the logit scale (in units of its standard deviation).
    """
    scores = propensity_scores(frame, covariates, cohort, unit, time)
    sd = float(scores["logit"].std())
    caliper = caliper_sd * sd
    weights = _weights(scores, method, caliper, bandwidth * sd)
    data = frame.assign(_match_weight=frame[unit].map(weights).fillna(0.0))
    did = TWFE(data, outcome, [treatment, *controls], (unit, time), weights="_match_weight").fit(
        cluster=unit
    )
    treated = scores["treat"] == 1
    return MatchingResults(
        scores,
        weights,
        balance_table(scores, covariates, weights),
        did,
        method,
        caliper,
        int((weights[treated] > 0).sum()),
        int(treated.sum()),
        int((weights[~treated] > 0).sum()),
    )
