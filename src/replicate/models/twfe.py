"""The fixed-effects regression engine behind :func:`replicate.fit`, with Stata-compatible inference.

Users call ``replicate.fit("nqp ~ did + fdi | city_id + year", panel, vcov={"CRV1":
"city_id"})`` (:mod:`replicate.models.fit`); the estimators of this package call the
machinery here directly (:class:`TWFE`). The slopes come from the Frisch–Waugh–Lovell
theorem: every variable is demeaned on the fixed effects
(:func:`replicate.models.fixed_effects.demean`) and regressed by least squares. The
constant is reported the way ``reghdfe`` and ``xtreg, fe`` report it,
``_cons = ȳ − x̄'b`` over the estimation sample, with its standard error from the
augmented regression of ``y − ȳ_FE + ȳ`` on ``x − x̄_FE + x̄`` and 1 (Stata, [XT] xtreg,
Methods and formulas).

What is pyfixest's and what is ours
-----------------------------------
pyfixest's: the demeaning (its compiled alternating projections, run at tolerance 1e-13).
The test suite checks slopes and standard errors against pyfixest ``feols`` to 1e-8 and
1e-6 for each convention below. Ours, because pyfixest 0.60 lacks them: ``reghdfe``'s
singleton rule; degrees of freedom of the absorbed effects counted with redundant and
disconnected effects detected (:func:`replicate.models.fixed_effects.absorbed_rank`;
pyfixest counts ``Σ levels − (#effects − 1)``); the ``xtreg`` convention (fixest's
``fixef.K = "nested"``, which pyfixest does not implement); the Stata constant and its
standard error; fixest-style dropping of collinear regressors with a warning; and the
guards (missing values, constant outcome, too few clusters) with messages that name the
column, rows and fix. Every array is linear in the number of rows, levels and clusters.

Small-sample conventions (``small_sample=``), for ``V = q · (X̃'X̃)⁻¹ M (X̃'X̃)⁻¹`` with
``N`` observations, ``k`` regressors, ``G`` clusters, ``df_FE`` the absorbed degrees of
freedom not nested in the clusters:

``"reghdfe"``
    cluster: ``q = G/(G−1) · (N−1)/(N−k−df_FE−1)``: fixed effects nested in the clusters
    are redundant except for one degree of freedom, the intercept (evidence: FixedEffectModels.jl
    PR #48, "when FEs are fully nested in clusters, we still need to adjust DF by 1", which
    aligned its tests with reghdfe output). Equals pyfixest's
    ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True)`` when pyfixest's count of the
    fixed effects is exact (tested).
``"xtreg"``
    cluster: ``q = G/(G−1) · (N−1)/(N−k−df_FE)``: Stata's ``xtreg, fe vce(cluster)`` with the
    other effects as dummies, as reproduced by R fixest's default ``fixef.K = "nested"``
    (evidence: fixest vignette "On standard-errors", which matches Stata's clustered s.e.
    0.165385 on its example). No pyfixest equivalent: tested against statsmodels OLS on the
    within-unit data with the other effects as dummies.
``"none"``
    ``q = 1``: the plain sandwich, and ``σ² = SSR/(N−1)`` for homoskedastic errors (fixest
    and pyfixest ``ssc(k_adj=False, G_adj=False)``); the Stata conventions use
    ``σ² = SSR/(N−K)``.

With ``cov_type="robust"`` (heteroskedasticity only) both Stata conventions use
``q = N/(N−k−df_all)`` counting every fixed effect (``areg``/``reghdfe, vce(robust)``;
pyfixest ``vcov="hetero"`` with ``k_fixef="full"``); note that Stata's ``xtreg, fe
vce(robust)`` silently clusters by panel instead. p-values use Student's t with ``G−1``
degrees of freedom when clustered, ``N−K`` otherwise.
"""

from __future__ import annotations

import warnings
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
COLLIN_TOL = 1e-10
"""A regressor is dropped when less than this share of its (demeaned) variation is left
after the fixed effects and the regressors before it — fixest's ``collin.tol``."""
FEW_CLUSTERS = 30
"""Below this many clusters, cluster-robust standard errors over-reject (Cameron, Gelbach
& Miller 2008; MacKinnon & Webb 2018): a warning points to the wild cluster bootstrap."""
SHOW_ROWS = 5
"""How many offending row labels an error message quotes."""
MISSING_FIX = (
    "choose a policy when loading the panel, e.g. replicate.data.load_panel(..., "
    "missing='drop'), or drop or impute those rows yourself; fit() never drops rows silently."
)

_choice = check_choice  # the one allowed-values check (replicate._options)
THIN = 64
"""Products of tall arrays with at most this many output cells run in NumPy's own loops."""


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a'b`` for tall arrays (rows are observations; 1-D or 2-D).

    Thin products use ``np.einsum``, which runs in the calling thread: multi-threaded
    OpenBLAS calls contend with the threads of pyfixest's demeaning, which cost 3–4× in
    wall time on a loaded 2-core machine (measured with ``benchmarks/scale.py``).
    """
    ka = 1 if a.ndim == 1 else a.shape[1]
    kb = 1 if b.ndim == 1 else b.shape[1]
    if ka * kb > THIN:
        return a.T @ b
    sa, sb = ("i" if a.ndim == 1 else "ij"), ("i" if b.ndim == 1 else "ik")
    return np.einsum(f"{sa},{sb}->{sa[1:]}{sb[1:]}", a, b)


def matvec(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a tall ``a`` (see :func:`cross` for why not BLAS when thin)."""
    return a @ b if a.shape[1] > THIN else np.einsum("ij,j->i", a, b)


def _rows(index: pd.Index, bad: np.ndarray) -> str:
    labels = index[bad]
    shown = ", ".join(str(r) for r in labels[:SHOW_ROWS])
    more = f" … and {len(labels) - SHOW_ROWS} more" if len(labels) > SHOW_ROWS else ""
    return f"rows {shown}{more}"


def check_finite(data: pd.DataFrame, columns: Sequence[str], numeric: Sequence[str]) -> None:
    """Raise one ``ValueError`` naming every column with missing (or, if numeric, infinite)
    values, the first offending row labels, and the fix."""
    problems = []
    for name in dict.fromkeys(columns):
        col = data[name]
        if name in numeric:
            if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
                raise ValueError(
                    f"column {name!r} is not numeric (dtype {col.dtype}); convert it, or use "
                    f"C({name}) in the formula to enter it as a categorical."
                )
            bad = ~np.isfinite(col.to_numpy(dtype=float, na_value=np.nan))
        else:
            bad = col.isna().to_numpy()
        if bad.any():
            kind = "missing or infinite" if name in numeric else "missing"
            problems.append(
                f"column {name!r} has {int(bad.sum())} {kind} value(s) ({_rows(data.index, bad)})"
            )
    if problems:
        raise ValueError("; ".join(problems) + ". Fix: " + MISSING_FIX)


def collinear_columns(X: np.ndarray, total_ss: np.ndarray, tol: float = COLLIN_TOL) -> list[int]:
    """Indices of columns of the demeaned design ``X`` to drop, fixest style.

    Columns are taken in order (a sequential Cholesky of ``X'X``); column ``j`` is dropped
    when its remaining sum of squares after the kept earlier columns is below ``tol`` times
    its own, or when its demeaned sum of squares is below ``tol`` times its sum of squares
    about the mean (``total_ss``): collinear with the fixed effects. k × k work only.
    """
    gram = cross(X, X)
    kept: list[int] = []
    dropped: list[int] = []
    for j in range(gram.shape[0]):
        own = gram[j, j]
        if total_ss[j] <= 0 or own <= tol * total_ss[j]:
            dropped.append(j)
            continue
        left = own
        if kept:
            g = gram[kept, j]
            left = own - g @ np.linalg.solve(gram[np.ix_(kept, kept)], g)
        if left <= tol * own:
            dropped.append(j)
        else:
            kept.append(j)
    return dropped


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
    """``scale · (Z'Z)⁻¹ M (Z'Z)⁻¹`` with the meat ``M`` of ``cov_type``.

    ``cluster`` holds integer codes 0..G-1; the per-cluster score sums are one ``bincount``
    per column (memory linear in N and G, never G × G).
    """
    bread = np.linalg.inv(cross(design, design))
    if cov_type == "unadjusted":
        return scale * bread
    scores = design * resid[:, None]
    if cov_type == "cluster":
        n_groups = int(cluster.max()) + 1
        scores = np.column_stack(
            [np.bincount(cluster, weights=s, minlength=n_groups) for s in scores.T]
        )
    meat = cross(scores, scores)
    return scale * bread @ meat @ bread


class Summary:
    """What ``summary()`` returns: a header describing the fit and the coefficient table.

    Prints as text, renders as HTML in a notebook; ``table`` is a DataFrame.
    """

    def __init__(self, header: Sequence[str], table: pd.DataFrame) -> None:
        self.header = tuple(header)
        self.table = table

    def __str__(self) -> str:
        body = self.table.to_string(float_format=lambda v: f"{v:.4f}")
        return "\n".join([*self.header, body])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<p>{line}</p>" for line in self.header)
        return head + self.table.to_html(float_format=lambda v: f"{v:.4f}")


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
    absorb : tuple of str
        The fixed effects absorbed, interactions written ``a#b`` (the formula's ``a^b``).
    formula : str or None
        The formula when the fit came from :func:`replicate.fit`.
    collinear : tuple of str
        Regressors dropped as collinear (with each other or the fixed effects).
    cluster : str or None
        The cluster column, when clustered.
    dof_exact : bool
        Whether the absorbed degrees of freedom are exact (see
        :func:`replicate.models.fixed_effects.absorbed_rank`) or a conservative bound.
    data_label : str or None
        The data's label when fitted on a Panel (e.g. "SYNTHETIC twin (seed 0)").
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
    formula: str | None = None
    collinear: tuple[str, ...] = ()
    cluster: str | None = None
    weights: str | None = None
    dof_exact: bool = True
    data_label: str | None = None

    @property
    def fixed_effects(self) -> tuple[str, ...]:
        """The absorbed effects (same as ``absorb``)."""
        return self.absorb

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals from the same t distribution as the p-values."""
        q = stats.t.ppf(0.5 + level / 2, self.df_resid)
        return pd.DataFrame(
            {"lower": self.params - q * self.std_errors, "upper": self.params + q * self.std_errors}
        )

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per coefficient: term, estimate, std_error, statistic, p_value, conf_low,
        conf_high (the column names of R ``broom`` and pyfixest ``tidy``)."""
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "estimate": self.params.to_numpy(),
                "std_error": self.std_errors.to_numpy(),
                "statistic": self.tstats.to_numpy(),
                "p_value": self.pvalues.to_numpy(),
                "conf_low": ci["lower"].to_numpy(),
                "conf_high": ci["upper"].to_numpy(),
            }
        )

    def _header(self) -> list[str]:
        spec = self.formula or (
            f"{self.outcome} ~ {' + '.join(self.params.index[:-1])}"
            + (f" | {' + '.join(self.absorb)}" if self.absorb else "")
        )
        lines = [
            spec,
            f"Fixed effects: {', '.join(self.absorb) or 'none'}. N = {self.nobs:,} "
            f"({self.n_singletons:,} singletons dropped). R² = {self.rsquared:.4f}, "
            f"within R² = {self.rsquared_within:.4f}.",
            f"Standard errors: {self.inference}.",
        ]
        if self.collinear:
            lines.append(f"Dropped as collinear: {', '.join(self.collinear)}.")
        return lines

    def summary(self) -> Summary:
        """The fit described in words, and the coefficient table (estimate, s.e., t, p, 95% CI)."""
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
        return Summary(self._header(), table)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def __str__(self) -> str:
        return str(self.summary())


FitResults = TWFEResults
"""The results object of :func:`replicate.fit` (the historical name is ``TWFEResults``)."""


def _sample(
    data: pd.DataFrame, absorb: tuple[str, ...], w_all: np.ndarray, drop_singletons: bool
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Rows of positive weight, the estimation sample (singletons dropped) and the
    fixed-effect codes on it."""
    positive = w_all > 0  # rows of weight zero (e.g. unmatched units) carry no information
    codes = fe.encode(data, absorb) if absorb else [np.zeros(len(data), dtype=np.int64)]
    keep = positive.copy()
    if drop_singletons and absorb:
        keep[positive] = fe.singleton_mask([c[positive] for c in codes])
    # Without absorbed effects the intercept is the one "fixed effect" (a single level).
    codes = codes if keep.all() else [fe.factorize(c[keep]) for c in codes]
    return positive, keep, codes


@dataclass(frozen=True, eq=False)
class Within:
    """The estimation sample, fixed-effect codes and demeaned columns of one frame, shared
    by several unweighted :class:`TWFE` fits on it (``TWFE(..., within=w)``), e.g. the
    multiverse's control sets and clusterings on one sample. Build it with :func:`within`.

    The fits are the same numbers as without it, bit for bit: the sample and codes depend
    on the fixed effects alone, and pyfixest's alternating projections converge column by
    column, so a column demeaned beside others equals the column demeaned alone (checked
    in ``tests/test_twfe.py``).
    """

    data: pd.DataFrame = field(repr=False)
    absorb: tuple[str, ...]
    drop_singletons: bool
    names: tuple[str, ...]
    positive: np.ndarray = field(repr=False)
    sample: np.ndarray = field(repr=False)
    codes: list = field(repr=False)
    values: np.ndarray = field(repr=False)
    demeaned: np.ndarray = field(repr=False)
    memo: dict = field(default_factory=dict, repr=False)
    """Cluster codes and absorbed degrees of freedom per cluster column, once computed."""

    def serves(self, data: pd.DataFrame, columns: Sequence[str], absorb: Sequence[str]) -> bool:
        """Whether a fit of ``columns`` on ``data`` absorbing ``absorb`` can use this."""
        names = set(self.names)
        return data is self.data and tuple(absorb) == self.absorb and names.issuperset(columns)

    def _index(self, columns: Sequence[str]) -> list[int]:
        return [self.names.index(c) for c in columns]

    def columns_of(self, columns: Sequence[str]) -> np.ndarray:
        """The demeaned ``columns`` on the sample (n × p, C order, as ``fe.demean`` returns)."""
        return np.ascontiguousarray(self.demeaned[:, self._index(columns)])

    def values_of(self, columns: Sequence[str]) -> np.ndarray:
        """The raw ``columns`` on every row (N × p, Fortran order: as
        ``data[columns].to_numpy(float)`` returns them, so sums run in the same order)."""
        return np.asfortranarray(self.values[:, self._index(columns)])


def within(
    data: pd.DataFrame,
    columns: Sequence[str],
    absorb: Sequence[str] = ("city_id", "year"),
    drop_singletons: bool = True,
) -> Within:
    """Demean ``columns`` of ``data`` on ``absorb`` once, for several :class:`TWFE` fits.

    Only columns with finite values throughout are kept (a fit naming another column
    demeans on its own, with its own checks and errors).
    """
    absorb = tuple(absorb)
    fe_columns = [p for a in absorb for p in a.split(fe.INTERACTION)]
    check_finite(data, fe_columns, [])
    numeric = [
        c
        for c in dict.fromkeys(columns)
        if c in data.columns
        and (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]))
    ]
    values = data[numeric].to_numpy(float)
    finite = np.isfinite(values).all(axis=0)
    names = tuple(c for c, ok in zip(numeric, finite, strict=True) if ok)
    values = np.asfortranarray(values[:, finite])
    positive, keep, codes = _sample(data, absorb, np.ones(len(data)), drop_singletons)
    rows = slice(None) if keep.all() else keep
    demeaned = fe.demean(values[rows], codes)
    return Within(data, absorb, drop_singletons, names, positive, keep, codes, values, demeaned)


class TWFE:
    """Linear regression with absorbed fixed effects: the machinery behind :func:`replicate.fit`.

    Prefer ``replicate.fit("nqp ~ did + fdi | city_id + year", data, ...)``; this class
    is what it and the package's estimators run.

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
    within : Within, optional
        The sample, codes and demeaned columns of ``data`` computed once by :func:`within`
        for several fits (used when it holds every column of this fit, unweighted, with
        the same ``absorb``; otherwise ignored). Same numbers either way.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        outcome: str,
        regressors: Sequence[str],
        absorb: Sequence[str] = ("city_id", "year"),
        drop_singletons: bool = True,
        weights: str | None = None,
        within: Within | None = None,
    ) -> None:
        regressors = list(regressors)
        if not regressors:
            raise ValueError("regressors is empty; pass at least one, e.g. ['did'].")
        absorb = tuple(absorb)
        fe_columns = [p for a in absorb for p in a.split(fe.INTERACTION)]
        needed = [outcome, *regressors, *fe_columns] + ([weights] if weights else [])
        missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
        if missing:
            raise ValueError(
                f"columns {missing} are not in the data; available: {sorted(map(str, data.columns))}."
            )
        numeric = [outcome, *regressors] + ([weights] if weights else [])
        shared = within is not None and within.serves(data, [outcome, *regressors], absorb)
        shared = shared and within.drop_singletons == drop_singletons and not weights
        if not shared:  # a shared Within holds only columns it checked (see within())
            check_finite(data, [*numeric, *fe_columns], numeric)
        self.outcome = outcome
        self.absorb = absorb
        self.data = data
        w_all = data[weights].to_numpy(float) if weights else np.ones(len(data))
        if (w_all < 0).any():
            raise ValueError(
                f"weights column {weights!r} must hold finite, non-negative values; "
                f"{_rows(data.index, w_all < 0)} are negative."
            )
        self._within = within if shared else None
        if shared:  # the sample, codes and demeaned columns computed once for several fits
            positive, keep, self.codes = within.positive, within.sample, within.codes
        else:
            positive, keep, self.codes = _sample(data, absorb, w_all, drop_singletons)
        self.positive = positive
        self.sample = keep
        rows = slice(None) if keep.all() else keep  # no copies when every row stays
        if shared:
            self.y = within.values_of([outcome])[:, 0][rows]
            X = within.values_of(regressors)[rows]
        else:
            self.y = data[outcome].to_numpy(float)[rows]
            X = data[regressors].to_numpy(float)[rows]
        self.w = w_all[rows]
        if self.y.size == 0:
            raise ValueError(
                "no observations left to estimate on (all weights zero or singletons)."
            )
        self.sum_w = float(self.w.sum())
        ybar = float(cross(self.w, self.y)) / self.sum_w
        tss = float(cross(self.w, (self.y - ybar) ** 2))
        if tss <= 0:
            raise ValueError(
                f"the outcome {outcome!r} is constant ({self.y[0]!r}) on the estimation sample: "
                "there is nothing to explain; check the column or the sample."
            )
        if shared:
            demeaned = within.columns_of([outcome, *regressors])
        else:
            demeaned = fe.demean(np.column_stack([self.y, X]), self.codes, weights=self.w)
        # Weighted least squares = OLS on rows scaled by √w after the weighted within step.
        self.root = np.sqrt(self.w)
        if weights:
            demeaned *= self.root[:, None]
        self.y_tilde = demeaned[:, 0]
        if float(cross(self.y_tilde, self.y_tilde)) <= COLLIN_TOL**2 * tss:
            raise ValueError(
                f"the outcome {outcome!r} is fully explained by the fixed effects "
                f"{list(absorb)}: no variation is left to relate to the regressors."
            )
        X_tilde = demeaned[:, 1:]
        xbar = cross(self.w, X) / self.sum_w
        total_ss = cross(self.w, (X - xbar) ** 2)
        dropped = collinear_columns(X_tilde, total_ss)
        if dropped:
            names = [regressors[j] for j in dropped]
            if len(dropped) == len(regressors):
                raise ValueError(
                    f"every regressor {names} is constant or collinear with the fixed effects "
                    f"{list(absorb)}; nothing can be estimated."
                )
            warnings.warn(
                f"regressor(s) {names} dropped: collinear with the other regressors or the "
                f"fixed effects {list(absorb)} (less than {COLLIN_TOL:g} of their variation "
                "is left, fixest's collin.tol rule).",
                UserWarning,
                stacklevel=3,
            )
        kept = [j for j in range(len(regressors)) if j not in dropped]
        self.regressors = [regressors[j] for j in kept]
        self.collinear = tuple(regressors[j] for j in dropped)
        self.X = X if not dropped else X[:, kept]
        self.X_tilde = np.ascontiguousarray(X_tilde if not dropped else X_tilde[:, kept])
        self.tss = tss
        self.weights = weights

    def cluster_codes(self, cluster: str) -> np.ndarray:
        """Codes 0..G-1 of the ``cluster`` column on the estimation sample (computed once
        per shared :class:`Within`); raises when the column is absent or has missing values."""
        return self._shared(("clusters", cluster), lambda: self._cluster_codes(cluster))

    def _cluster_codes(self, cluster: str) -> np.ndarray:
        if cluster not in self.data.columns:
            raise ValueError(
                f"cluster column {cluster!r} is not in the data; available: "
                f"{sorted(map(str, self.data.columns))}."
            )
        column = self.data[cluster]
        bad = column.isna().to_numpy() & self.sample
        if bad.any():
            raise ValueError(
                f"cluster column {cluster!r} has {int(bad.sum())} missing value(s) in the "
                f"estimation sample ({_rows(self.data.index, bad)}). Fix: " + MISSING_FIX
            )
        return fe.factorize(column.to_numpy()[self.sample])

    def _shared(self, key: tuple, build):
        """``build()``, computed once per :class:`Within` when the fit shares one."""
        if self._within is None:
            return build()
        if key not in self._within.memo:
            self._within.memo[key] = build()
        return self._within.memo[key]

    def _clusters(self, cluster: str) -> np.ndarray:
        groups = self.cluster_codes(cluster)
        n_groups = int(groups.max()) + 1
        if n_groups < 2:
            raise ValueError(
                f"cluster column {cluster!r} has {n_groups} cluster in the estimation sample; "
                "cluster-robust standard errors need at least two (and ideally many more). "
                "Cluster on a finer variable, or use vcov='hetero'."
            )
        if n_groups < FEW_CLUSTERS:
            warnings.warn(
                f"only {n_groups} clusters in {cluster!r}: cluster-robust standard errors are "
                f"unreliable with fewer than {FEW_CLUSTERS} clusters; use the wild cluster "
                "bootstrap (replicate.models.inference.wild_cluster_bootstrap) for the p-value "
                "and interval.",
                UserWarning,
                stacklevel=4,
            )
        return groups

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
        beta = np.linalg.solve(cross(Xt, Xt), cross(Xt, yt))  # collinear columns are gone
        resid = yt - matvec(Xt, beta)
        n, k = Xt.shape
        groups = self._clusters(cluster) if cov_type == "cluster" else None
        key = ("dof", cluster if groups is not None else None)
        dof = self._shared(key, lambda: fe.absorbed_dof(self.codes, groups))
        ybar, xbar = float(cross(self.w, self.y)) / self.sum_w, cross(self.w, self.X) / self.sum_w
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
        ssr = float(cross(resid, resid))
        return TWFEResults(
            outcome=self.outcome,
            params=params,
            std_errors=se,
            tstats=tstat,
            pvalues=pvalues,
            cov=cov,
            nobs=n,
            n_singletons=int((self.positive & ~self.sample).sum()),
            n_clusters=int(groups.max()) + 1 if groups is not None else None,
            df_resid=inference.df,
            rsquared=1 - ssr / self.tss,
            rsquared_within=1 - ssr / float(cross(yt, yt)),
            absorb=self.absorb,
            cov_type=cov_type,
            small_sample=small_sample,
            inference=inference.description,
            resid=resid,
            sample=self.sample,
            collinear=self.collinear,
            cluster=cluster if cov_type == "cluster" else None,
            weights=self.weights,
            dof_exact=dof.exact,
        )

    @staticmethod
    def _inference(design, resid, cov_type, groups, small_sample, n, k, dof) -> Inference:
        if cov_type == "cluster":
            n_groups = int(groups.max()) + 1
            extra = {"reghdfe": 1, "xtreg": 0, "none": None}[small_sample]
            if extra is None:
                scale = 1.0
            else:
                scale = n_groups / (n_groups - 1) * (n - 1) / (n - k - dof.not_nested - extra)
            cov = sandwich(design, resid, "cluster", groups, scale)
            label = f"clustered ({n_groups} clusters), {small_sample} small-sample correction"
            return Inference(cov, n_groups - 1, "t", scale, label)
        df_resid = n - k - dof.total
        if df_resid <= 0:
            raise ValueError(
                f"no residual degrees of freedom: {n} observations, {k} regressors and "
                f"{dof.total} absorbed fixed-effect levels."
            )
        if cov_type == "robust":
            scale = 1.0 if small_sample == "none" else n / df_resid
            cov = sandwich(design, resid, "robust", None, scale)
            return Inference(
                cov, df_resid, "t", scale, f"heteroskedasticity-robust, {small_sample} correction"
            )
        # σ² = SSR/(N−K); with small_sample="none" SSR/(N−1), as fixest and pyfixest with
        # ssc(k_adj=False) (their σ² is SSR/(N−1), times (N−1)/(N−K) when adjusted).
        sigma2 = float(cross(resid, resid)) / (n - 1 if small_sample == "none" else df_resid)
        cov = sandwich(design, resid, "unadjusted", None, sigma2)
        return Inference(
            cov, df_resid, "t", sigma2, f"unadjusted (homoskedastic), {small_sample} correction"
        )
