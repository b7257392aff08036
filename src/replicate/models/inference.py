"""Resampling inference for the TWFE coefficient on ``did``: permutation and wild bootstrap.

Both use the Frisch–Waugh–Lovell form on a balanced unit × period panel with unit and
period effects: with ``ỹ``, ``d̃``, ``X̃`` demeaned on both effects (exactly, by unit and
period means) and ``M`` the projection off ``X̃``, the coefficient is
``β = d̃'Mỹ / d̃'Md̃``. What changes across draws is cheap:

* a **permutation** reassigns whole treatment paths (first treated periods) across units,
  so the cohort sizes and timing stay as observed (Fisher randomization; see e.g.
  MacKinnon & Webb 2020 on randomization inference with few treated clusters). Because a
  unit's demeaned path depends only on its cohort, ``d̃'Mỹ`` and ``X̃'d̃`` of a permutation
  are sums of per-unit × per-cohort numbers computed once, and ``d̃'d̃`` does not change:
  each draw costs O(units), not a regression. The same numbers give the p-value of any
  constant effect ``b₀``, so the confidence interval (test inversion under a constant
  additive effect) is exact, not bisected;
* the **wild cluster restricted bootstrap** (Cameron, Gelbach & Miller 2008; Roodman et al.
  2019) multiplies the restricted residuals by one Rademacher or Webb weight per cluster;
  the bootstrap coefficient and its cluster-robust variance are linear in those weights,
  so all draws come from per-cluster sums computed once.

Both are written here (no Python package does either on absorbed fixed effects this way);
the tests check every draw against a full refit (linearmodels ``PanelOLS`` and ``TWFE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from replicate._options import check_choice
from replicate.data.pilots import treated_now
from replicate.models import _common
from replicate.models._common import EstimateMixin, resolve

Weights = Literal["rademacher", "webb"]
BISECTION_STEPS = 32
"""Bisection steps of the wild-bootstrap test inversion: the ends are found to 8·s.e./2³²."""
BLOCK_CELLS = 4_000_000
"""Permutations are processed in blocks of about this many unit × (2 + controls) numbers."""


@dataclass(frozen=True)
class _Design:
    """A balanced panel sorted by unit and period, two-way demeaned by exact means."""

    units: np.ndarray  # unit code per row (rows in unit-major order)
    years: np.ndarray  # period code per row
    y: np.ndarray  # demeaned outcome
    X: np.ndarray  # demeaned controls (n × k), may be empty
    d: np.ndarray  # demeaned treatment
    n_units: int
    n_years: int


def _two_way_demean(values: np.ndarray, n_units: int, n_years: int) -> np.ndarray:
    """Balanced panel in unit-major order: x − unit mean − period mean + grand mean."""
    cube = values.reshape(n_units, n_years, -1)
    out = cube - cube.mean(axis=1, keepdims=True) - cube.mean(axis=0, keepdims=True)
    return (out + cube.mean(axis=(0, 1), keepdims=True)).reshape(values.shape)


def _design(design: _common.Design, method: str) -> tuple[_Design, pd.DataFrame]:
    _common.require_balanced(design, method)
    frame = design.frame.sort_values([design.unit, design.time])
    n_units, n_years = frame[design.unit].nunique(), frame[design.time].nunique()
    did = treated_now(frame[design.cohort], frame[design.time])
    cols = np.column_stack(
        [frame[design.outcome].to_numpy(float), did, frame[list(design.controls)].to_numpy(float)]
    )
    tilde = _two_way_demean(cols, n_units, n_years)
    units = np.repeat(np.arange(n_units), n_years)
    years = np.tile(np.arange(n_years), n_units)
    return _Design(units, years, tilde[:, 0], tilde[:, 2:], tilde[:, 1], n_units, n_years), frame


def _residualize(design: _Design, v: np.ndarray) -> np.ndarray:
    """``M v``: residuals of ``v`` (n or n × m) on the demeaned controls."""
    if design.X.shape[1] == 0:
        return v
    coef = np.linalg.lstsq(design.X, v, rcond=None)[0]
    return v - design.X @ coef


@dataclass(frozen=True, eq=False)
class PermutationResults(EstimateMixin):
    """Randomization inference: the observed coefficient against its permutation distribution.

    ``se`` is the standard deviation of the permutation draws (the coefficient's spread
    under the sharp null); ``conf_int()`` inverts the permutation test under a constant
    additive effect, exactly, at any level.
    """

    estimate: float
    draws: np.ndarray = field(repr=False)
    pvalue: float
    n_draws: int
    seed: int
    nobs: int
    slopes: np.ndarray = field(repr=False)
    """``c_j = d̃_j'Md̃ / d̃_j'Md̃_j``: draw ``j``'s coefficient when the outcome is ``d``."""
    strata: str | None = None
    """Column within whose values the cohorts were permuted (``None``: across all units)."""
    n_strata: int = 1
    term = "did (TWFE)"

    @property
    def method_name(self) -> str:
        where = f"within {self.strata}" if self.strata else "across all units"
        return f"Randomization inference on the TWFE coefficient (cohorts permuted {where})"

    @property
    def se(self) -> float:
        return float(np.std(self.draws, ddof=1))

    def pvalue_at(self, b0: float | np.ndarray) -> np.ndarray:
        """Permutation p-value of H0: the effect is ``b0`` in every treated observation."""
        b0 = np.atleast_1d(np.asarray(b0, float))
        stat = np.abs(self.estimate - b0)[:, None]
        draws = np.abs(self.draws[None, :] - b0[:, None] * self.slopes[None, :])
        return (1 + (draws >= stat - 1e-12).sum(axis=1)) / (1 + self.n_draws)

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """All constant effects ``b0`` the permutation test does not reject (its hull)."""
        # |β − b0| ≤ |β_j − b0 c_j| changes truth only at the roots of a quadratic in b0.
        b, c = self.draws, self.slopes
        roots = [(self.estimate - b) / (1 - c), (self.estimate + b) / (1 + c)]
        points = np.unique(np.concatenate([r[np.isfinite(r)] for r in roots]))
        spread = max(self.se, 1e-12)
        points = np.concatenate([[points[0] - spread], points, [points[-1] + spread]])
        mids = np.concatenate([points, (points[:-1] + points[1:]) / 2])
        alpha = 1 - level + 1e-12  # reject when p ≤ α (tolerance for 1 − level's rounding)
        accepted = np.sort(mids[self.pvalue_at(mids) > alpha])
        if accepted.size == 0:
            return (float("nan"), float("nan"))
        return (float(accepted.min()), float(accepted.max()))

    def table(self) -> pd.Series:
        return pd.Series(
            {
                "estimate": self.estimate,
                "permutations": self.n_draws,
                "two-sided p-value": self.pvalue,
            }
        )

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row: the coefficient, the spread of its permutation draws as ``std_error``,
        the permutation p-value (:attr:`pvalue`, not a normal approximation) and the
        test-inversion interval."""
        out = super().tidy(level)
        out["p_value"] = self.pvalue
        return out

    def _details(self) -> dict[str, object]:
        where = f"within {self.n_strata} values of {self.strata!r}" if self.strata else "freely"
        return {
            "permutations": f"{self.n_draws} (seed {self.seed}); p_value below is the share "
            "of draws at least as large in absolute value, the observed assignment counted",
            "assignment": f"first treated periods permuted {where}",
        }


def _orders(
    n_units: int, draws: int, rng: np.random.Generator, strata: np.ndarray | None = None
) -> np.ndarray:
    """``draws × n_units``: row ``j`` says which unit's cohort each unit receives.

    Without strata, row ``j`` is ``rng.permutation(n_units)``. With ``strata`` (one integer
    code per unit), units only swap cohorts with units of the same stratum, so every
    stratum keeps its number of units in each cohort.
    """
    if strata is None:
        return np.array([rng.permutation(n_units) for _ in range(draws)])
    grouped = np.argsort(strata, kind="stable")  # units, stratum by stratum
    keys = strata[grouped][None, :] + rng.random((draws, n_units))  # random order within
    orders = np.empty((draws, n_units), dtype=np.int64)
    orders[:, grouped] = grouped[np.argsort(keys, axis=1)]
    return orders


def _unit_strata(design: _common.Design, frame: pd.DataFrame, strata: str, method: str):
    """One integer code per unit (units in sorted order) of the column ``strata``."""
    if strata not in frame.columns:
        raise ValueError(
            f"{method}: strata column {strata!r} is not in the data; it has "
            f"{list(map(str, frame.columns))}."
        )
    _common.check_present(frame, strata, "strata")
    per_unit = frame.groupby(design.unit, sort=True)[strata].nunique()
    if (per_unit > 1).any():
        raise ValueError(
            f"{method}: strata {strata!r} must be constant within each unit (the assignment "
            f"permutes whole units); units {list(per_unit[per_unit > 1].index[:5])} have "
            "several values. Fix: use a unit-level column such as the province."
        )
    values = frame.groupby(design.unit, sort=True)[strata].first()
    return pd.factorize(values, sort=True)[0]


def permutation_test(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    draws: int = 1000,
    seed: int = 0,
    progress: bool = False,
    strata: str | None = None,
) -> PermutationResults:
    """Reassign first treated periods across units ``draws`` times; two-sided p-value.

    Balanced panel, unit and period effects. The p-value counts the observed assignment:
    ``(1 + #{|β*| ≥ |β|}) / (1 + draws)``. Permutation ``j`` is
    ``rng.permutation(units)`` of the seeded generator, so runs are reproducible.

    The draws are the coefficient's distribution under the sharp null of no effect *and*
    the stated assignment mechanism: by default, cohorts assigned completely at random
    among all units (with the observed cohort sizes). With ``strata`` (a unit-level column,
    e.g. the province) cohorts are permuted only within each stratum, which keeps every
    stratum's number of treated units — the assignment when pilots were chosen province
    by province (a stratified randomization test; Imbens & Rubin 2015, ch. 5).
    """
    method = "permutation_test"
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        controls=controls,
        method=method,
        clustered=False,
    )
    if draws < 1:
        raise ValueError(f"draws={draws}: a permutation test needs at least one draw.")
    dz, frame = _design(design, method)
    periods = np.sort(frame[design.time].unique())
    g_unit = (  # in-sample cohorts: every never-treated coding is 0 (see _common)
        pd.Series(design.sample_cohort, index=design.frame.index)
        .groupby(design.frame[design.unit], sort=True)
        .first()
        .to_numpy(float)
    )
    cohorts, codes = np.unique(g_unit, return_inverse=True)
    # Demeaned path of each cohort (cohorts × periods): its unit-demeaned treatment path.
    paths = treated_now(cohorts[:, None], periods[None, :])
    q = paths - paths.mean(axis=1, keepdims=True)
    y_res = _residualize(dz, dz.y)
    shape = (dz.n_units, dz.n_years)
    # Per unit × cohort: Σ_t q_c,t · (Mỹ)_it, Σ_t q_c,t · X̃_itk and Σ_t q_c,t · (Md̃)_it.
    # The period means of d̃ are permutation-invariant and orthogonal to Mỹ, X̃ (two-way demeaned).
    a = y_res.reshape(shape) @ q.T
    xk = dz.X.shape[1]
    bx = np.einsum("utk,ct->uck", dz.X.reshape(*shape, xk), q) if xk else None
    d_res = _residualize(dz, dz.d)
    cd = d_res.reshape(shape) @ q.T
    gram_inv = np.linalg.pinv(dz.X.T @ dz.X) if xk else None
    dd = float(dz.d @ dz.d)  # d̃'d̃: the same for every permutation
    codes_strata = None if strata is None else _unit_strata(design, frame, strata, method)
    rng = np.random.default_rng(seed)
    orders = _orders(dz.n_units, draws, rng, codes_strata)
    block = max(1, BLOCK_CELLS // (dz.n_units * (2 + xk)))
    blocks = range(0, draws, block)
    if progress:
        from tqdm.auto import tqdm

        blocks = tqdm(blocks, desc="permutations", unit=f"×{block}")
    out, slopes = np.empty(draws), np.empty(draws)
    rows = np.arange(dz.n_units)
    for start in blocks:
        assigned = codes[orders[start : start + block]]  # b × units: cohort of each unit
        num = a[rows, assigned].sum(axis=1)
        cross = cd[rows, assigned].sum(axis=1)
        if xk:
            dx = bx[rows, assigned].sum(axis=1)  # b × k: X̃'d̃_j
            denom = dd - np.einsum("bk,kl,bl->b", dx, gram_inv, dx)
        else:
            denom = np.full(len(assigned), dd)
        out[start : start + len(assigned)] = num / denom
        slopes[start : start + len(assigned)] = cross / denom
    estimate = float(d_res @ y_res / (d_res @ d_res))
    p = (1 + np.sum(np.abs(out) >= abs(estimate) - 1e-12)) / (1 + draws)
    return PermutationResults(
        estimate,
        out,
        float(p),
        draws,
        seed,
        len(frame),
        slopes,
        strata,
        1 if codes_strata is None else int(codes_strata.max() + 1),
    )


@dataclass(frozen=True, eq=False)
class PlaceboResult(EstimateMixin):
    """TWFE coefficient of a fake treatment on the periods before any real one."""

    estimate: float
    se: float
    nobs: int
    shift: int
    last_period: int
    df_resid: float = float("inf")
    """Degrees of freedom of the t distribution of its p-value and interval (the TWFE
    regression's, as :func:`replicate.fit` reports them)."""
    method_name = "Placebo in time (fake treatment before the real ones)"
    term = "placebo did"

    def _details(self) -> dict[str, object]:
        return {
            "placebo": f"treatment moved {self.shift} periods early; periods ≤ {self.last_period}"
        }


def placebo_in_time(
    data: Any,
    outcome: str,
    *,
    shift: int,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    last_period: int | None = None,
    vcov: Any = None,
) -> PlaceboResult:
    """TWFE coefficient of a fake treatment ``shift`` periods early, on the periods before
    the first real treatment (or up to ``last_period``), clustered by ``cluster`` (or
    ``vcov=`` with :func:`replicate.fit`'s choices)."""
    from replicate.models.twfe import TWFE

    method = "placebo_in_time"
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
    g = design.sample_cohort
    last = int(last_period if last_period is not None else g[g > 0].min() - 1)
    keep = (design.frame[design.time] <= last).to_numpy()
    sample = design.frame[keep]
    cohort_s = g[keep]
    fake = np.where(cohort_s > 0, cohort_s - shift, 0)
    sample = sample.assign(_fake_did=treated_now(fake, sample[design.time]))
    if sample["_fake_did"].sum() == 0:
        raise ValueError(
            f"{method}: a shift of {shift} periods puts every fake start after {last}."
        )
    res = TWFE(sample, outcome, ["_fake_did", *design.controls], (design.unit, design.time)).fit(
        **design.fit_options
    )
    return PlaceboResult(
        float(res.params["_fake_did"]),
        float(res.std_errors["_fake_did"]),
        res.nobs,
        shift,
        last,
        float(res.df_resid),
    )


def _cluster_weights(kind: Weights, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=shape)
    values = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    return rng.choice(values, size=shape)


@dataclass(frozen=True, eq=False)
class WildBootstrapResults(EstimateMixin):
    """Wild cluster restricted (WCR) bootstrap of the t statistic on ``did``.

    ``se`` is the cluster-robust standard error of the observed fit; ``conf_int()`` the
    bootstrap interval by test inversion at the level it was computed for.
    """

    estimate: float
    se: float
    t_stat: float
    pvalue: float
    interval: tuple[float, float]
    t_draws: np.ndarray = field(repr=False)
    weights: str
    n_draws: int
    seed: int
    nobs: int
    n_clusters: int
    level: float
    n_treated_clusters: int = 0
    """Clusters holding at least one treated unit: what governs the bootstrap's reliability
    when treatment is concentrated (MacKinnon & Webb 2017), more than ``n_clusters``."""
    method_name = "Wild cluster restricted bootstrap of the TWFE coefficient"
    term = "did (TWFE)"

    def conf_int(self, level: float | None = None) -> tuple[float, float]:
        if level is not None and not np.isclose(level, self.level):
            raise ValueError(
                f"this bootstrap interval was computed at level={self.level}; rerun "
                f"wild_cluster_bootstrap(..., level={level}) for another level."
            )
        return self.interval

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        out = super().tidy(self.level if level is None else level)
        out["p_value"] = self.pvalue
        return out

    def _details(self) -> dict[str, object]:
        return {
            "bootstrap": f"{self.n_draws} draws, {self.weights} weights, seed {self.seed}; "
            f"{self.n_clusters} clusters ({self.n_treated_clusters} with treated rows); "
            "p_value and interval below are the bootstrap's",
        }


class _WCR:
    """Precomputed pieces of the WCR bootstrap for H0: β = b0, for any b0.

    Clusters nest units (each unit in one cluster), so the bootstrap error ``u_r ⊙ v`` keeps
    zero unit means and only its period means need removing.
    """

    def __init__(self, design: _Design, groups: np.ndarray, v: np.ndarray):
        self.design = design
        Z = np.column_stack([design.d, design.X])
        self.Z = Z
        self.A = np.linalg.inv(Z.T @ Z)
        self.c = self.A[:, 0]  # row picking β_did
        self.v = v  # clusters × draws
        self.groups = groups
        G = self.groups.max() + 1
        self.G, self.n = G, len(design.y)
        self.H = np.zeros((G, Z.shape[1]))  # c' Z_g' Z_g, per cluster
        np.add.at(self.H, self.groups, (Z @ self.c)[:, None] * Z)
        self.cz = Z @ self.c  # c'z_i per observation
        self.C = self._by_cluster_year(self.cz)  # Σ_{i∈g} c'z_it as clusters × periods
        self.scale = G / (G - 1) * (self.n - 1) / (self.n - Z.shape[1])

    def _by_cluster_year(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros((self.G, self.design.n_years))
        np.add.at(out, (self.groups, self.design.years), values)
        return out

    def _per_cluster(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.groups, weights=values, minlength=self.G)

    def t_draws(self, b0: float) -> tuple[float, np.ndarray]:
        d = self.design
        y0 = d.y - b0 * d.d  # impose β = b0
        Xc = d.X
        gamma = np.linalg.lstsq(Xc, y0, rcond=None)[0] if Xc.shape[1] else np.zeros(0)
        fitted_r = b0 * d.d + (Xc @ gamma if Xc.shape[1] else 0.0)
        u_r = d.y - fitted_r
        beta_r = np.concatenate([[b0], gamma])
        # y* = fitted_r + u_r ⊙ v_g ;  β* = β_r + A Z'(u_r ⊙ v)
        s = np.zeros((self.G, self.Z.shape[1]))
        np.add.at(s, self.groups, self.Z * u_r[:, None])  # per-cluster Z_g'u_r,g
        beta_star = beta_r[:, None] + self.A @ (s.T @ self.v)  # k × B
        # c' Z_g' u*_g = c'Z_g'fitted_r - c'Z_g'Z_g β* + (c'Z_g'u_r,g) v_g, with fitted_r = Zβ_r
        a = self._per_cluster(self.cz * fitted_r)  # G
        su = s @ self.c  # G
        # The bootstrap error u_r ⊙ v must itself be demeaned: its unit means are zero (u_r
        # sums to zero within a unit) but its period means m_t = Σ_i u_it v_g(i) / units are not.
        year_means = self._by_cluster_year(u_r).T @ self.v / d.n_units  # periods × B
        score = a[:, None] - self.H @ beta_star + su[:, None] * self.v - self.C @ year_means
        se = np.sqrt(self.scale * (score**2).sum(axis=0))
        return b0, (beta_star[0] - b0) / se

    def observed_t(self, b0: float) -> tuple[float, float, float]:
        d = self.design
        beta = self.A @ (self.Z.T @ d.y)
        u = d.y - self.Z @ beta
        score = self._per_cluster(self.cz * u)
        se = float(np.sqrt(self.scale * (score**2).sum()))
        return float(beta[0]), se, float((beta[0] - b0) / se)

    def pvalue(self, b0: float) -> float:
        _, draws = self.t_draws(b0)
        _, _, t = self.observed_t(b0)
        return float(np.mean(np.abs(draws) >= abs(t)))


def wild_cluster_bootstrap(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    draws: int = 9999,
    weights: Weights = "rademacher",
    seed: int = 0,
    level: float = 0.95,
    vcov: Any = None,
) -> WildBootstrapResults:
    """WCR bootstrap p-value for H0: β_did = 0 and a confidence interval by test inversion.

    Balanced panel with unit and period effects; ``cluster`` (default ``unit``) must nest
    the units (e.g. provinces). The t statistic uses the cluster-robust variance with the
    ``G/(G−1)·(N−1)/(N−k)`` correction on the demeaned regression (the correction is the
    same in the sample and every draw, so p-values do not depend on it). ``vcov`` accepts
    ``{"CRV1": column}`` only (the same as ``cluster=column``): the bootstrap draws one
    weight per cluster, so ``"iid"``/``"hetero"`` are errors.
    """
    method = "wild_cluster_bootstrap"
    check_choice("weights", weights, Weights)
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        controls=controls,
        cluster=cluster,
        method=method,
        warn=False,  # the wild bootstrap is the remedy for few clusters
        vcov=vcov,
    )
    _common.require_nested(design, method)
    dz, frame = _design(design, method)
    groups = pd.factorize(frame[design.cluster])[0]
    rng = np.random.default_rng(seed)
    v = _cluster_weights(weights, (groups.max() + 1, draws), rng)
    boot = _WCR(dz, groups, v)
    estimate, se, t0 = boot.observed_t(0.0)
    _, t_star = boot.t_draws(0.0)
    p = float(np.mean(np.abs(t_star) >= abs(t0)))
    alpha = 1 - level

    def crossing(outside: float, inside: float) -> float:
        # p(outside) <= alpha < p(inside): bisect.
        for _ in range(BISECTION_STEPS):
            mid = (outside + inside) / 2
            if boot.pvalue(mid) > alpha:
                inside = mid
            else:
                outside = mid
        return (outside + inside) / 2

    step = 4 * se
    lower_out, upper_out = estimate - step, estimate + step
    while boot.pvalue(lower_out) > alpha:
        lower_out -= step
    while boot.pvalue(upper_out) > alpha:
        upper_out += step
    ci = (crossing(lower_out, estimate), crossing(upper_out, estimate))
    return WildBootstrapResults(
        estimate,
        se,
        t0,
        p,
        (min(ci), max(ci)),
        t_star,
        weights,
        draws,
        seed,
        len(frame),
        int(boot.G),
        level,
        _common.treated_clusters(design.frame, design.cluster, design.treated),
    )
