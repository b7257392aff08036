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

Matching weights are treated as fixed in the standard errors (clustered by city unless
``vcov=`` says otherwise, with :func:`replicate.fit`'s choices), which ignores the
first-stage estimation: a common, mildly optimistic shortcut worth saying. Steps 1–3 are
hand-written (statsmodels fits the logit); step 4 is the library's weighted TWFE, whose
numbers equal pyfixest ``feols(..., weights=..., vcov=...)`` on the matched sample
(``tests/test_pilots_chapters.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from replicate._options import check_choice
from replicate.models import _common
from replicate.models._common import EstimateMixin, resolve
from replicate.models.twfe import TWFE, TWFEResults

Method = Literal["nearest", "kernel"]
BALANCE_THRESHOLD = 0.1
"""A covariate counts as balanced when its absolute standardized difference is below
this: the common rule of thumb (Austin 2009, Stat. Med. 28:3083; Stuart 2010, Stat. Sci.
25:1, "less than 0.1")."""


@dataclass(frozen=True, eq=False)
class MatchingResults(EstimateMixin):
    """Scores, weights, balance and the DID on the matched sample (``estimate``, ``se``:
    the coefficient on ``did`` and its clustered standard error)."""

    scores: pd.DataFrame
    weights: pd.Series
    balance: pd.DataFrame
    did: TWFEResults
    method: str
    caliper: float
    n_treated_matched: int
    n_treated: int
    n_controls_used: int

    @property
    def estimate(self) -> float:
        return float(self.did.params["did"])

    @property
    def se(self) -> float:
        return float(self.did.std_errors["did"])

    @property
    def nobs(self) -> int:
        return int(self.did.nobs)

    term = "did (matched)"

    @property
    def method_name(self) -> str:
        return f"PSM-DID ({self.method} matching on the propensity score)"

    def balance_check(self, threshold: float = BALANCE_THRESHOLD) -> pd.DataFrame:
        """Per covariate: standardized difference before and after matching and whether
        its absolute value after matching is below ``threshold``."""
        diff = self.balance["std. difference"].unstack("sample")
        order = list(dict.fromkeys(self.balance.index.get_level_values("covariate")))
        out = diff.reindex(order)[["before", "after"]]
        out["balanced"] = out["after"].abs() < threshold
        return out

    def _details(self) -> dict[str, object]:
        return {
            "matched": f"{self.n_treated_matched} of {self.n_treated} treated units; "
            f"{self.n_controls_used} controls used",
            "s.e.": self.did.inference,
        }


def propensity_scores(
    data: Any,
    match_on: Sequence[str],
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    before: int | None = None,
) -> pd.DataFrame:
    """Pre-period means of ``match_on`` per unit, ``treat`` and the logit propensity score."""
    if not len(match_on):
        raise ValueError("propensity_scores: name the covariates of the score in match_on=[...].")
    design = resolve(
        data,
        list(match_on)[:1],
        unit=unit,
        time=time,
        cohort=cohort,
        extra=match_on,
        method="propensity_scores",
        clustered=False,
    )
    return _scores(design, match_on, before)


def _scores(design: _common.Design, match_on: Sequence[str], before: int | None) -> pd.DataFrame:
    import statsmodels.api as sm

    frame, unit = design.frame, design.unit
    g = pd.Series(design.sample_cohort, index=frame.index).groupby(frame[unit]).first()
    means, _ = _common.pre_period_means(design, match_on, before, "propensity_scores")
    means["treat"] = (g.reindex(means.index) > 0).astype(int)
    design = sm.add_constant(means[list(match_on)])
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
    return weights.rename("weight")


def balance_table(
    scores: pd.DataFrame, match_on: Sequence[str], weights: pd.Series
) -> pd.DataFrame:
    """Means, standardized mean differences and variance ratios, before and after matching.

    The standardized difference divides by the unmatched pooled s.d. (the same denominator
    before and after, as Austin 2009 recommends).
    """
    rows = []
    for c in match_on:
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
    data: Any,
    outcome: str,
    *,
    match_on: Sequence[str],
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    method: Method = "nearest",
    caliper_sd: float = 0.2,
    bandwidth: float = 0.06,
    vcov: Any = None,
) -> MatchingResults:
    """Match treated to never-treated units on pre-period ``match_on`` means, then TWFE DID
    (``outcome ~ did + controls | unit + time``) with the matching weights, clustered by
    ``cluster`` (default ``unit``) unless ``vcov`` says otherwise.

    Parameters
    ----------
    match_on : sequence of str
        Covariates of the propensity score (their means before the first treatment).
    method : {"nearest", "kernel"}
    caliper_sd : float
        Nearest-neighbour caliper in standard deviations of the logit score.
    bandwidth : float
        Kernel bandwidth on the logit scale (in units of its standard deviation).
    vcov : {"iid", "hetero"} or {"CRV1": column}, optional
        The covariance of the weighted DID, with :func:`replicate.fit`'s choices (as the
        other DID estimators take it); ``None`` clusters on ``cluster``. The matching
        weights count as fixed in every choice.
    """
    check_choice("method", method, Method)
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        controls=controls,
        cluster=cluster,
        extra=match_on,
        method="psm_did",
        warn=False,
        vcov=vcov,
        vcov_choices=("cluster", "robust", "unadjusted"),
    )
    unit = design.unit
    scores = _scores(design, match_on, None)
    sd = float(scores["logit"].std())
    caliper = caliper_sd * sd
    weights = _weights(scores, method, caliper, bandwidth * sd)
    frame = _common.with_treatment(design)
    frame = frame.assign(_match_weight=frame[unit].map(weights).fillna(0.0))
    did = TWFE(
        frame, outcome, ["did", *design.controls], (unit, design.time), weights="_match_weight"
    ).fit(**design.fit_options)
    treated = scores["treat"] == 1
    return MatchingResults(
        scores,
        weights,
        balance_table(scores, match_on, weights),
        did,
        method,
        caliper,
        int((weights[treated] > 0).sum()),
        int(treated.sum()),
        int((weights[~treated] > 0).sum()),
    )
