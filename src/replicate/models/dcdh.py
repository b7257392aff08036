"""de Chaisemartin & D'Haultfœuille (2020) DID_M: the instantaneous effect of switching.

``did_multiplegt(data, "y", ...)`` computes the estimator of de Chaisemartin &
D'Haultfœuille, "Two-Way Fixed Effects Estimators with Heterogeneous Treatment Effects",
*AER* 110(9), 2020, eq. (3) of section IV:

    DID_M = Σ_t [ N_{1,0,t}/N_S · DID_{+,t} + N_{0,1,t}/N_S · DID_{−,t} ],

    DID_{+,t} = mean ΔY_t of joiners (D_{t−1}=0, D_t=1) − mean ΔY_t of stable untreated (0, 0),
    DID_{−,t} = mean ΔY_t of stable treated (1, 1) − mean ΔY_t of leavers (1, 0),

with ``N_{1,0,t}`` joiners and ``N_{0,1,t}`` leavers at ``t`` and ``N_S`` all switches
counted; a period's joiners (leavers) enter only when it has stable untreated (treated)
units to compare with, as in Stata ``did_multiplegt``. Cells are unit × period (one
observation each), so ``N`` counts units. Under absorbing staggered adoption there are no
leavers, the joiners at ``t`` are cohort ``t`` and the stable untreated the not-yet- and
never-treated units, so DID_M is the cohort-size-weighted average of Callaway–Sant'Anna's
ATT(g, g) with not-yet-treated controls and base period g − 1 (``tests/test_dcdh.py``
checks this identity against moderndid to 1e-10).

Standard errors: the paper's method, a bootstrap that resamples clusters (units by
default) with replacement (``did_multiplegt``'s ``breps``/``cluster``), seeded; every
replicate is a weighted recount of the same unit × period sums, so the B replicates are
one matrix product. Our implementation (no Python package in this environment provides
DID_M; the R/Stata ``DIDmultiplegt`` are the references of the method).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from replicate.models._common import EstimateMixin, require_nested, resolve


@dataclass(frozen=True, eq=False)
class DIDMResults(EstimateMixin):
    """DID_M, its bootstrap standard error, and the per-period pieces.

    Attributes
    ----------
    estimate, se : float
        DID_M and the standard deviation of its cluster-bootstrap replicates.
    by_period : DataFrame
        Per period ``t``: ``joiners``, ``leavers``, ``stable_untreated``, ``stable_treated``
        (unit counts), ``did_plus``, ``did_minus`` (NaN when not defined) and ``weight``
        (the period's share of the counted switches).
    n_switches : int
        ``N_S``, switches counted.
    draws, seed : int
        Bootstrap replicates and their seed.
    """

    estimate: float
    se: float
    nobs: int
    by_period: pd.DataFrame
    n_switches: int
    n_clusters: int
    cluster: str
    draws: int
    seed: int
    method_name = "de Chaisemartin–D'Haultfœuille DID_M (instantaneous effect of switching)"

    def _details(self) -> dict[str, object]:
        return {
            "switches": self.n_switches,
            "standard error": f"cluster bootstrap, {self.draws} draws (seed {self.seed}), "
            f"{self.n_clusters} clusters ({self.cluster})",
        }


def _cells(D: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """Unit × period indicators of the four transitions and the first differences."""
    d0, d1 = D[:, :-1], D[:, 1:]
    dy = Y[:, 1:] - Y[:, :-1]
    ok = np.isfinite(dy) & np.isfinite(d0) & np.isfinite(d1)
    dy = np.where(ok, dy, 0.0)
    out = {
        "joiners": ok & (d0 == 0) & (d1 == 1),
        "leavers": ok & (d0 == 1) & (d1 == 0),
        "stable_untreated": ok & (d0 == 0) & (d1 == 0),
        "stable_treated": ok & (d0 == 1) & (d1 == 1),
    }
    return {k: v.astype(float) for k, v in out.items()} | {"dy": dy}


def _did_m(counts: np.ndarray, sums: np.ndarray) -> tuple[np.ndarray, ...]:
    """DID_M from unit counts and ΔY sums of the four cells, shape (..., 4, T − 1)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    j, lv, su, st = (counts[..., i, :] for i in range(4))
    plus = np.where((j > 0) & (su > 0), means[..., 0, :] - means[..., 2, :], np.nan)
    minus = np.where((lv > 0) & (st > 0), means[..., 3, :] - means[..., 1, :], np.nan)
    n_plus = np.where(np.isfinite(plus), j, 0.0)
    n_minus = np.where(np.isfinite(minus), lv, 0.0)
    n_s = n_plus.sum(axis=-1) + n_minus.sum(axis=-1)
    total = (n_plus * np.nan_to_num(plus)).sum(axis=-1) + (n_minus * np.nan_to_num(minus)).sum(
        axis=-1
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        est = total / n_s
    return est, plus, minus, n_plus, n_minus, n_s


def did_multiplegt(
    data: Any,
    outcome: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    treatment: str | None = None,
    cluster: str | None = None,
    draws: int = 200,
    seed: int = 0,
    vcov: Any = None,
) -> DIDMResults:
    """de Chaisemartin & D'Haultfœuille (2020) DID_M with a cluster bootstrap.

    Parameters
    ----------
    data : Panel or DataFrame
        Not modified; one row per unit and period (see :mod:`replicate.models._common`).
    cohort : str
        First treated period (0 or missing = never treated): the treatment is
        ``1[t ≥ cohort]``. Ignored for the treatment when ``treatment`` is given.
    treatment : str, optional
        A 0/1 treatment column, which may switch on and off (non-absorbing designs).
    cluster : str
        Column whose groups the bootstrap resamples (default: ``unit``); it must nest the
        units (each unit in one cluster).
    vcov : {"CRV1": column}, optional
        The same as ``cluster=column``; the bootstrap resamples clusters, so ``"iid"`` and
        ``"hetero"`` are not supported (an error).
    draws, seed : int
        Bootstrap replicates and their seed.
    """
    method = "did_multiplegt"
    extra = (treatment,) if treatment else ()
    design = resolve(
        data,
        outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        cluster=cluster,
        extra=extra,
        method=method,
        needs_treated=treatment is None,
        vcov=vcov,
    )
    if design.cluster != design.unit:
        require_nested(design, method)
    frame = design.frame
    if treatment:
        D_long = frame[treatment].to_numpy(float)
        bad = ~np.isin(D_long, (0.0, 1.0))
        if bad.any():
            raise ValueError(
                f"{method}: treatment column {treatment!r} must be 0 or 1; "
                f"{int(bad.sum())} rows are not (first: {list(frame.index[bad][:5])}). "
                "Fix: recode it as a 0/1 indicator."
            )
    else:
        D_long = design.treated.astype(float)
    if draws < 2:
        raise ValueError(f"{method}: draws={draws}; the bootstrap needs at least 2.")
    units, unit_index = pd.factorize(frame[design.unit], sort=True)
    periods, period_index = pd.factorize(frame[design.time], sort=True)
    pair = units.astype(np.int64) * len(period_index) + periods
    if np.unique(pair).size != pair.size:
        raise ValueError(
            f"{method}: several rows share a ({design.unit}, {design.time}) pair; one row per "
            "unit and period is needed. Fix: drop or aggregate the duplicates."
        )
    n_u, n_t = len(unit_index), len(period_index)
    D = np.full((n_u, n_t), np.nan)
    Y = np.full((n_u, n_t), np.nan)
    D[units, periods] = D_long
    Y[units, periods] = frame[outcome].to_numpy(float)
    # Consecutive periods only: a gap in the time column breaks the first difference.
    steps = np.diff(period_index.to_numpy(float))
    cells = _cells(D, Y)
    gap = ~np.isclose(steps, np.median(steps)) if steps.size else np.zeros(0, bool)
    per_unit = np.stack(
        [cells[k] for k in ("joiners", "leavers", "stable_untreated", "stable_treated")], axis=1
    )
    per_unit[:, :, gap] = 0.0
    sums_unit = per_unit * cells["dy"][:, None, :]
    est, plus, minus, n_plus, n_minus, n_s = _did_m(per_unit.sum(axis=0), sums_unit.sum(axis=0))
    if not n_s > 0:
        raise ValueError(
            f"{method}: no switch of the treatment has a stable group to compare with in the "
            "same period; DID_M is not defined on this panel."
        )
    # Cluster bootstrap: resampling clusters = multinomial counts of clusters.
    clusters = pd.factorize(
        frame.groupby(frame[design.unit], sort=True)[design.cluster].first().to_numpy()
    )[0]
    n_c = clusters.max() + 1
    cl_counts = np.zeros((n_c, 4, n_t - 1))
    cl_sums = np.zeros((n_c, 4, n_t - 1))
    np.add.at(cl_counts, clusters, per_unit)
    np.add.at(cl_sums, clusters, sums_unit)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_c, np.full(n_c, 1.0 / n_c), size=draws).astype(float)
    boot = _did_m(
        np.einsum("bc,ckt->bkt", weights, cl_counts), np.einsum("bc,ckt->bkt", weights, cl_sums)
    )[0]
    boot = boot[np.isfinite(boot)]
    se = float(np.std(boot, ddof=1))
    labels = period_index[1:]
    counts = per_unit.sum(axis=0)
    by_period = pd.DataFrame(
        {
            "joiners": counts[0].astype(int),
            "leavers": counts[1].astype(int),
            "stable_untreated": counts[2].astype(int),
            "stable_treated": counts[3].astype(int),
            "did_plus": plus,
            "did_minus": minus,
            "weight": (n_plus + n_minus) / n_s,
        },
        index=pd.Index(labels, name=design.time),
    )
    return DIDMResults(
        float(est),
        se,
        int(len(frame)),
        by_period,
        int(n_s),
        int(n_c),
        design.cluster,
        draws,
        seed,
    )


def cs_instantaneous(data: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> float:
    """``Σ_g N_g ATT(g, g) / Σ_g N_g`` from ``moderndid.att_gt`` (outcome regression,
    not-yet-treated controls, base period g − 1): what DID_M equals under absorbing
    staggered adoption. The independent reference of the tests and the benchmark."""
    import warnings

    import moderndid as md

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = md.att_gt(
            data=data[[unit, time, cohort, outcome]],
            yname=outcome,
            tname=time,
            idname=unit,
            gname=cohort,
            est_method="reg",
            control_group="notyettreated",
            base_period="varying",
        )
    g, t, att = np.asarray(out.groups), np.asarray(out.times), np.asarray(out.att_gt)
    size = data.groupby(unit)[cohort].first().value_counts()
    on = g == t
    n = np.array([size[v] for v in g[on]], float)
    return float(n @ att[on] / n.sum())
