"""Two-way (and higher-way) fixed-effects regression with Stata-compatible inference.

``TWFE(data, "nqp", ["did", "fdi"]).fit()`` estimates equation (1) of the paper: the
outcome on ``did`` and controls with city and year effects absorbed, standard errors
clustered by city. The slopes come from the Frisch–Waugh–Lovell theorem: every variable is
demeaned on the fixed effects (``replicate.models.fixed_effects.demean``) and regressed by
least squares. The constant is reported the way ``reghdfe`` and ``xtreg, fe`` report it,
``_cons = ȳ − x̄'b`` over the estimation sample, with its standard error from the
augmented regression of ``y − ȳ_FE + ȳ`` on ``x − x̄_FE + x̄`` and 1 (Stata, [XT] xtreg,
Methods and formulas).

Why not a library's estimator: linearmodels and statsmodels give the same slopes (the tests
check this to 1e-8) but neither drops singletons as ``reghdfe`` does, counts degrees of
freedom of fixed effects nested in the clusters as Stata does, nor reports the constant
that the paper prints. Those few dozen lines are written here; everything else (t, F and
normal distributions) comes from SciPy.

Small-sample conventions (``small_sample=``), for ``V = q · (X̃'X̃)⁻¹ M (X̃'X̃)⁻¹`` with
``N`` observations, ``k`` regressors, ``G`` clusters, ``df_FE`` the absorbed degrees of
freedom not nested in the clusters:

``"reghdfe"``
    cluster: ``q = G/(G−1) · (N−1)/(N−k−df_FE−1)``: fixed effects nested in the clusters
    are redundant except for one degree of freedom, the intercept (evidence: FixedEffectModels.jl
    PR #48, "when FEs are fully nested in clusters, we still need to adjust DF by 1", which
    aligned its tests with reghdfe output).
``"xtreg"``
    cluster: ``q = G/(G−1) · (N−1)/(N−k−df_FE)``: Stata's ``xtreg, fe vce(cluster)`` with the
    other effects as dummies, as reproduced by R fixest's default ``fixef.K = "nested"``
    (evidence: fixest vignette "On standard-errors", which matches Stata's clustered s.e.
    0.165385 on its example).
``"none"``
    ``q = 1``: the plain sandwich.

With ``cov_type="robust"`` (heteroskedasticity only) both Stata conventions use
``q = N/(N−k−df_all)`` counting every fixed effect (``areg``/``reghdfe, vce(robust)``);
note that Stata's ``xtreg, fe vce(robust)`` silently clusters by panel instead.
p-values use Student's t with ``G−1`` degrees of freedom when clustered, ``N−K`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from replicate._options import check_choice
from replicate.models import fixed_effects as fe

CovType = Literal["cluster", "robust", "unadjusted"]
SmallSample = Literal["reghdfe", "xtreg", "none"]
CONSTANT = "constant"


_choice = check_choice  # the one allowed-values check (replicate._options)


@dataclass(frozen=True)
class Inference:
    """Covariance of the slopes and constant, with the convention that produced it."""

    cov: np.ndarray
    df: int
    distribution: str
    scale: float
    description: str


def sandwich(
    design: np.ndarray,
    resid: np.ndarray,
    cov_type: CovType,
    cluster: np.ndarray | None,
    scale: float,
) -> np.ndarray:
    """``scale · (Z'Z)⁻¹ M (Z'Z)⁻¹`` with the meat ``M`` of ``cov_type``."""
    bread = np.linalg.inv(design.T @ design)
    if cov_type == "unadjusted":
        return scale * bread
    if cov_type == "robust":
        scores = design * resid[:, None]
    else:
        g = pd.factorize(cluster)[0]
        scores = np.zeros((g.max() + 1, design.shape[1]))
        np.add.at(scores, g, design * resid[:, None])
    meat = scores.T @ scores
    return scale * bread @ meat @ bread


@dataclass(frozen=True, eq=False)
class TWFEResults:
    """Estimates of a fixed-effects regression (slopes, constant, inference, fit).

    Attributes
    ----------
    params, std_errors, tstats, pvalues : pandas.Series
        Indexed by regressor name, ``"constant"`` last.
    nobs : int
        Observations used (after singletons were dropped).
    n_singletons : int
        Observations dropped as singletons.
    rsquared : float
        R² of the full model, fixed effects included (Stata's ``r2`` of ``reghdfe``/``areg``).
    rsquared_within : float
        R² after the fixed effects are partialled out.
    """

    outcome: str
    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    cov: pd.DataFrame
    nobs: int
    n_singletons: int
    n_clusters: int | None
    df_resid: int
    rsquared: float
    rsquared_within: float
    absorb: tuple[str, ...]
    cov_type: str
    small_sample: str
    inference: str
    resid: np.ndarray = field(repr=False)
    sample: np.ndarray = field(repr=False)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals from the same t distribution as the p-values."""
        q = stats.t.ppf(0.5 + level / 2, self.df_resid)
        return pd.DataFrame(
            {"lower": self.params - q * self.std_errors, "upper": self.params + q * self.std_errors}
        )

    @property
    def summary(self) -> pd.DataFrame:
        """Coefficient table: estimate, s.e., t, p and the 95% interval."""
        ci = self.conf_int()
        table = pd.DataFrame(
            {
                "coef": self.params,
                "std err": self.std_errors,
                "t": self.tstats,
                "P>|t|": self.pvalues,
                "[0.025": ci["lower"],
                "0.975]": ci["upper"],
            }
        )
        return table

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>{self.outcome}</b> on {', '.join(self.params.index[:-1])}; absorbed: "
            f"{', '.join(self.absorb) or 'none'}. N = {self.nobs:,}"
            f" ({self.n_singletons} singletons dropped), R² = {self.rsquared:.3f}, "
            f"within R² = {self.rsquared_within:.3f}. {self.inference}.</p>"
        )
        return head + self.summary.to_html(float_format=lambda v: f"{v:.4f}")

    def __str__(self) -> str:
        return (
            f"{self.outcome}: N={self.nobs}, R2={self.rsquared:.4f}, {self.inference}\n"
            + self.summary.to_string(float_format=lambda v: f"{v:.4f}")
        )


class TWFE:
    """Linear regression with absorbed fixed effects (city and year by default).

    Parameters
    ----------
    data : DataFrame
        One row per observation; not modified.
    outcome : str
        Dependent variable, e.g. ``"nqp"``.
    regressors : sequence of str
        Right-hand-side variables, e.g. ``["did", "fdi", "hum"]``.
    absorb : sequence of str
        Fixed effects to absorb. ``"province#year"`` interacts two columns.
    drop_singletons : bool
        Drop observations alone in a fixed-effect group, as ``reghdfe`` does.
    weights : str, optional
        Column of non-negative analytic weights (weighted least squares, e.g. matching
        weights); rows of weight zero are left out.

    Examples
    --------
    >>> res = TWFE(panel, "nqp", ["did", "fdi"]).fit()  # doctest: +SKIP
    >>> res.params["did"], res.std_errors["did"]  # doctest: +SKIP
    """

    def __init__(
        self,
        data: pd.DataFrame,
        outcome: str,
        regressors: Sequence[str],
        absorb: Sequence[str] = ("city_id", "year"),
        drop_singletons: bool = True,
        weights: str | None = None,
    ) -> None:
        regressors = list(regressors)
        if not regressors:
            raise ValueError("regressors is empty; pass at least one, e.g. ['did'].")
        needed = [outcome, *regressors, *{p for a in absorb for p in a.split("#")}]
        needed += [weights] if weights else []
        missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
        if missing:
            raise ValueError(
                f"columns {missing} are not in the data; available: {sorted(data.columns)}."
            )
        numeric = data[[outcome, *regressors]]
        bad = numeric.columns[numeric.isna().any().to_numpy()].tolist()
        if bad:
            counts = {c: int(numeric[c].isna().sum()) for c in bad}
            raise ValueError(
                f"missing values in {counts}; choose a policy when loading the panel "
                "(replicate.data.load_panel(..., missing='drop')) rather than dropping rows here."
            )
        self.outcome = outcome
        self.regressors = regressors
        self.absorb = tuple(absorb)
        self.data = data
        w_all = data[weights].to_numpy(float) if weights else np.ones(len(data))
        if not (np.isfinite(w_all).all() and (w_all >= 0).all()):
            raise ValueError(f"weights column {weights!r} must hold finite, non-negative values.")
        positive = w_all > 0  # rows of weight zero (e.g. unmatched units) carry no information
        codes = fe.encode(data, self.absorb)
        keep = positive.copy()
        if drop_singletons and codes:
            keep[positive] = fe.singleton_mask([c[positive] for c in codes])
        self.positive = positive
        self.sample = keep
        self.codes = [pd.factorize(c[keep])[0] for c in codes]
        self.y = data[outcome].to_numpy(float)[keep]
        self.X = data[regressors].to_numpy(float)[keep]
        self.w = w_all[keep]
        demeaned = fe.demean(np.column_stack([self.y, self.X]), self.codes, weights=self.w)
        # Weighted least squares = OLS on rows scaled by √w after the weighted within step.
        self.root = np.sqrt(self.w)
        self.y_tilde = demeaned[:, 0] * self.root
        self.X_tilde = demeaned[:, 1:] * self.root[:, None]
        rank = np.linalg.matrix_rank(self.X_tilde)
        if rank < self.X_tilde.shape[1]:
            raise ValueError(
                f"regressors {regressors} are collinear with each other or with the fixed "
                f"effects {list(self.absorb)} (rank {rank} < {len(regressors)}); drop one."
            )

    def fit(
        self,
        cov_type: CovType = "cluster",
        cluster: str = "city_id",
        small_sample: SmallSample = "reghdfe",
    ) -> TWFEResults:
        """Estimate and compute inference.

        Parameters
        ----------
        cov_type : {"cluster", "robust", "unadjusted"}
        cluster : str
            Column whose groups are the clusters (with ``cov_type="cluster"``).
        small_sample : {"reghdfe", "xtreg", "none"}
            Degrees-of-freedom convention; see the module docstring.
        """
        _choice("cov_type", cov_type, CovType)
        _choice("small_sample", small_sample, SmallSample)
        Xt, yt = self.X_tilde, self.y_tilde
        beta, *_ = np.linalg.lstsq(Xt, yt, rcond=None)
        resid = yt - Xt @ beta
        n, k = Xt.shape
        groups = None
        if cov_type == "cluster":
            if cluster not in self.data.columns:
                raise ValueError(f"cluster column {cluster!r} is not in the data.")
            groups = self.data[cluster].to_numpy()[self.sample]
        dof = fe.absorbed_dof(self.codes, pd.factorize(groups)[0] if groups is not None else None)
        ybar, xbar = np.average(self.y, weights=self.w), np.average(self.X, axis=0, weights=self.w)
        constant = ybar - xbar @ beta
        # Augmented design of xtreg/reghdfe: slopes unchanged, intercept = ybar - xbar'b.
        design = np.column_stack([Xt + self.root[:, None] * xbar, self.root])
        inference = self._inference(design, resid, cov_type, groups, small_sample, n, k, dof)
        # The slopes' block comes from the partialled-out regressors alone (as in reghdfe and
        # fixest); it equals the augmented block except for the robust meat.
        slopes = self._inference(Xt, resid, cov_type, groups, small_sample, n, k, dof)
        inference.cov[:k, :k] = slopes.cov
        names = [*self.regressors, CONSTANT]
        params = pd.Series([*beta, constant], index=names, name=self.outcome)
        cov = pd.DataFrame(inference.cov, index=names, columns=names)
        se = pd.Series(np.sqrt(np.diag(inference.cov)), index=names)
        tstat = params / se
        pvalues = pd.Series(2 * stats.t.sf(np.abs(tstat), inference.df), index=names)
        tss = float((self.w * (self.y - ybar) ** 2).sum())
        ssr = float(resid @ resid)
        return TWFEResults(
            outcome=self.outcome,
            params=params,
            std_errors=se,
            tstats=tstat,
            pvalues=pvalues,
            cov=cov,
            nobs=n,
            n_singletons=int((self.positive & ~self.sample).sum()),
            n_clusters=int(pd.Series(groups).nunique()) if groups is not None else None,
            df_resid=inference.df,
            rsquared=1 - ssr / tss,
            rsquared_within=1 - ssr / float(yt @ yt),
            absorb=self.absorb,
            cov_type=cov_type,
            small_sample=small_sample,
            inference=inference.description,
            resid=resid,
            sample=self.sample,
        )

    @staticmethod
    def _inference(design, resid, cov_type, groups, small_sample, n, k, dof) -> Inference:
        if cov_type == "cluster":
            n_groups = int(pd.Series(groups).nunique())
            extra = {"reghdfe": 1, "xtreg": 0, "none": None}[small_sample]
            if extra is None:
                scale = 1.0
            else:
                scale = n_groups / (n_groups - 1) * (n - 1) / (n - k - dof.not_nested - extra)
            cov = sandwich(design, resid, "cluster", groups, scale)
            label = f"clustered ({n_groups} clusters), {small_sample} small-sample correction"
            return Inference(cov, n_groups - 1, "t", scale, label)
        df_resid = n - k - dof.total
        if cov_type == "robust":
            scale = 1.0 if small_sample == "none" else n / df_resid
            cov = sandwich(design, resid, "robust", None, scale)
            return Inference(
                cov, df_resid, "t", scale, f"heteroskedasticity-robust, {small_sample} correction"
            )
        sigma2 = float(resid @ resid) / df_resid
        cov = sandwich(design, resid, "unadjusted", None, sigma2)
        return Inference(cov, df_resid, "t", sigma2, "unadjusted (homoskedastic)")
