"""Resampling inference for the TWFE coefficient on ``did``: permutation and wild bootstrap.

Both use the Frisch–Waugh–Lovell form on a balanced unit × year panel with unit and year
effects: with ``ỹ``, ``d̃``, ``X̃`` demeaned on both effects and ``M`` the projection off
``X̃``, the coefficient is ``β = d̃'Mỹ / d̃'Md̃``. What changes across draws is cheap:

* a **permutation** reassigns whole treatment paths (first treatment years) across units,
  so the batch sizes and timing stay as observed; the year means of ``d`` do not change,
  so ``d̃`` for every permutation is a unit-specific pattern minus fixed year means, and
  all draws are a few matrix products (Fisher randomization; see e.g. MacKinnon & Webb
  2020 on randomization inference with few treated clusters);
* the **wild cluster restricted bootstrap** (Cameron, Gelbach & Miller 2008; Roodman et al.
  2019) multiplies the restricted residuals by one Rademacher or Webb weight per cluster;
  the bootstrap coefficient and its cluster-robust variance are linear in those weights,
  so all draws come from per-cluster sums computed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from replicate.data.pilots import treated_now
from replicate.models import fixed_effects as fe

Weights = Literal["rademacher", "webb"]
BISECTION_STEPS = 32
"""Bisection steps of the test inversion: the interval's ends are found to 8·s.e./2³²."""


@dataclass(frozen=True)
class _Design:
    units: np.ndarray  # unit code per row
    years: np.ndarray  # year code per row
    y: np.ndarray  # two-way demeaned outcome
    X: np.ndarray  # two-way demeaned controls (n × k), may be empty
    d: np.ndarray  # two-way demeaned treatment


def _design(
    frame: pd.DataFrame, outcome: str, treatment: str, controls: Sequence[str], unit: str, time: str
) -> _Design:
    counts = frame.groupby(unit)[time].nunique()
    if (counts != frame[time].nunique()).any() or frame.duplicated([unit, time]).any():
        raise ValueError(
            "randomization and wild-bootstrap inference here need a balanced unit × year panel."
        )
    codes = fe.encode(frame, [unit, time])
    cols = [outcome, treatment, *controls]
    tilde = fe.demean(frame[cols].to_numpy(float), codes)
    return _Design(codes[0], codes[1], tilde[:, 0], tilde[:, 2:], tilde[:, 1])


def _residualize(design: _Design, v: np.ndarray) -> np.ndarray:
    """``M v``: residuals of ``v`` (n or n × m) on the demeaned controls."""
    if design.X.shape[1] == 0:
        return v
    coef = np.linalg.lstsq(design.X, v, rcond=None)[0]
    return v - design.X @ coef


@dataclass(frozen=True, eq=False)
class PermutationResults:
    """Randomization inference: the observed coefficient against its permutation distribution."""

    estimate: float
    draws: np.ndarray
    pvalue: float
    n_draws: int
    seed: int

    @property
    def summary(self) -> pd.Series:
        return pd.Series(
            {
                "estimate": self.estimate,
                "permutations": self.n_draws,
                "two-sided p-value": self.pvalue,
                "share of |draw| ≥ |estimate|": self.pvalue,
            }
        )


def permutation_test(
    frame: pd.DataFrame,
    outcome: str,
    cohort: str = "g",
    controls: Sequence[str] = (),
    draws: int = 1000,
    seed: int = 0,
    unit: str = "city_id",
    time: str = "year",
    progress: bool = False,
) -> PermutationResults:
    """Reassign first-treatment years across units ``draws`` times; two-sided p-value.

    The p-value counts the observed assignment: ``(1 + #{|β*| ≥ |β|}) / (1 + draws)``.
    """
    years = np.sort(frame[time].unique())
    g_unit = frame.groupby(unit, sort=True)[cohort].first().fillna(0).to_numpy()
    data = frame.sort_values([unit, time])
    did = treated_now(data[cohort], data[time])
    design = _design(data.assign(_d=did), outcome, "_d", controls, unit, time)
    y_res = _residualize(design, design.y)
    n_units = len(g_unit)
    # Treatment path of each unit as a units × years matrix; its year means are permutation-invariant.
    paths = treated_now(g_unit[:, None], years[None, :])
    year_means = paths.mean(axis=0)
    rng = np.random.default_rng(seed)
    orders = np.array([rng.permutation(n_units) for _ in range(draws)])
    iterator = range(0, draws, 250)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="permutations", unit="×250")
    out = np.empty(draws)
    for start in iterator:
        block = orders[start : start + 250]
        permuted = paths[block]  # b × units × years
        tilde = permuted - permuted.mean(axis=2, keepdims=True) - year_means + year_means.mean()
        D = tilde.reshape(len(block), -1).T  # n × b, rows in unit-year order
        D_res = _residualize(design, D)
        out[start : start + len(block)] = (D_res.T @ y_res) / np.einsum("ij,ij->j", D_res, D_res)
    d_res = _residualize(design, design.d)
    estimate = float(d_res @ y_res / (d_res @ d_res))
    p = (1 + np.sum(np.abs(out) >= abs(estimate) - 1e-12)) / (1 + draws)
    return PermutationResults(estimate, out, float(p), draws, seed)


def placebo_in_time(
    frame: pd.DataFrame,
    outcome: str,
    shift: int,
    cohort: str = "g",
    controls: Sequence[str] = (),
    unit: str = "city_id",
    time: str = "year",
    last_year: int | None = None,
) -> float:
    """TWFE coefficient of a fake pilot ``shift`` years early, on years before the real pilots."""
    from replicate.models.twfe import TWFE

    g = frame[cohort].fillna(0)
    first_real = int(g[g > 0].min())
    last_year = last_year if last_year is not None else first_real - 1
    sample = frame[frame[time] <= last_year].copy()
    fake = np.where(sample[cohort].fillna(0) > 0, sample[cohort] - shift, 0)
    sample["_fake_did"] = treated_now(fake, sample[time])
    if sample["_fake_did"].sum() == 0:
        raise ValueError(f"a shift of {shift} years puts every fake pilot after {last_year}.")
    return float(
        TWFE(sample, outcome, ["_fake_did", *controls], (unit, time)).fit().params["_fake_did"]
    )


def _cluster_weights(kind: Weights, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=shape)
    if kind == "webb":
        values = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
        return rng.choice(values, size=shape)
    raise ValueError(f"weights={kind!r} is not allowed; choose 'rademacher' or 'webb'.")


@dataclass(frozen=True, eq=False)
class WildBootstrapResults:
    """Wild cluster restricted (WCR) bootstrap of the t statistic on ``did``."""

    estimate: float
    t_stat: float
    pvalue: float
    conf_int: tuple[float, float]
    t_draws: np.ndarray
    weights: str
    n_draws: int
    seed: int


class _WCR:
    """Precomputed pieces of the WCR bootstrap for H0: β = b0, for any b0."""

    def __init__(self, design: _Design, v: np.ndarray):
        self.design = design
        Z = np.column_stack([design.d, design.X])
        self.Z = Z
        self.A = np.linalg.inv(Z.T @ Z)
        self.c = self.A[:, 0]  # row picking β_did
        self.v = v  # clusters × draws
        self.groups = design.units
        G = self.groups.max() + 1
        self.G, self.n = G, len(design.y)
        self.H = np.zeros((G, Z.shape[1]))  # c' Z_g' Z_g, per cluster
        np.add.at(self.H, self.groups, (Z @ self.c)[:, None] * Z)
        self.cz = Z @ self.c  # c'z_i per observation
        self.n_years = design.years.max() + 1
        self.C = np.zeros((G, self.n_years))  # c'z_gt as clusters × years
        self.C[self.groups, design.years] = self.cz
        self.scale = G / (G - 1) * (self.n - 1) / (self.n - Z.shape[1])

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
        # sums to zero within a unit) but its year means m_t = Σ_g u_gt v_g / G are not.
        U = np.zeros((self.G, self.n_years))
        U[self.groups, d.years] = u_r
        year_means = U.T @ self.v / self.G  # years × B
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
    frame: pd.DataFrame,
    outcome: str,
    treatment: str = "did",
    controls: Sequence[str] = (),
    draws: int = 9999,
    weights: Weights = "rademacher",
    seed: int = 0,
    level: float = 0.95,
    unit: str = "city_id",
    time: str = "year",
) -> WildBootstrapResults:
    """WCR bootstrap p-value for H0: β_did = 0 and a confidence interval by test inversion.

    Clusters are the units. The t statistic uses the cluster-robust variance with the
    ``G/(G−1)·(N−1)/(N−k)`` correction on the demeaned regression (the correction is the
    same in the sample and every draw, so p-values do not depend on it).
    """
    design = _design(frame.sort_values([unit, time]), outcome, treatment, controls, unit, time)
    rng = np.random.default_rng(seed)
    v = _cluster_weights(weights, (design.units.max() + 1, draws), rng)
    boot = _WCR(design, v)
    estimate, se, t0 = boot.observed_t(0.0)
    _, t_star = boot.t_draws(0.0)
    p = float(np.mean(np.abs(t_star) >= abs(t0)))
    alpha = 1 - level

    def crossing(outside: float, inside: float) -> float:
        # p(outside) <= alpha < p(inside): bisect to 1e-9 of the interval's scale.
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
    return WildBootstrapResults(estimate, t0, p, (min(ci), max(ci)), t_star, weights, draws, seed)
