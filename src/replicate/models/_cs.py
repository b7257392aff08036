"""Callaway & Sant'Anna (2021) group-time ATTs and their aggregations, natively in NumPy.

What follows moderndid 0.2 / R ``did`` 2.x (the reference in ``tests/test_cs_native.py``,
equal to 1e-8):

* **Cells** (``compute_att_gt``): for each treated cohort ``g`` and period ``t`` the 2×2
  comparison of ``ΔY = Y_t − Y_b`` between cohort ``g`` and the controls. Base period
  ``b``: with ``base_period="varying"`` the previous period for pre-treatment cells and the
  last period before ``g − anticipation`` for post-treatment cells; with ``"universal"``
  always the last period before ``g − anticipation`` (the reference cell itself is kept
  with ATT 0 and ψ = 0, as moderndid keeps it). Controls: never treated, or (``"notyettreated"``) never
  treated plus every other cohort first treated after ``max(t, b) + anticipation``.
  Covariates enter at period ``min(b, t)`` (the base period for every post-treatment cell).
* **Estimators** (Sant'Anna & Zhao 2020, the ``DRDID`` panel estimators R ``did`` calls):
  ``"dr"`` = ``drdid_panel`` (logit propensity score, OLS of ``ΔY`` on the controls,
  the doubly robust ATT for panel data and its influence function, as ported in
  ``moderndid.drdid.estimators.drdid_panel``), ``"ipw"`` = ``std_ipw_did_panel``
  (normalised, Hájek weights), ``"reg"`` = ``reg_did_panel`` (Heckman–Ichimura–Todd outcome regression). Propensity scores clipped
  to [1e-6, 1 − 1e-6], control units with ``p ≥ 0.995`` trimmed (DR, IPW), as there.
  The cell influence function is scaled by ``n / n_cell`` and ``se = √(mean(ψ²)/n)``.
* **Aggregations** (Callaway & Sant'Anna 2021's aggregation schemes as R ``did::aggte``
  and moderndid's ``compute_aggte`` implement them): ``simple``
  (post cells weighted by cohort shares), ``group`` (mean over each cohort's post cells,
  then cohort shares), ``dynamic`` (event time ``e = t − g``, cohort-share weights; the
  overall effect the mean over ``e ≥ 0``), ``calendar`` (per period, then the mean); the
  estimated-weights term of the influence function (``wif``) exactly as there; ``min_e``,
  ``max_e``, ``balance_e`` as R ``aggte``. Wald pre-test of the pre-treatment cells.
* **Bootstrap**: moderndid's multiplier bootstrap (``moderndid.did.mboot.mboot``: Mammen
  two-point weights, cluster means of ψ, IQR standard errors, sup-t critical value)
  applied to our influence-function matrix, with units in moderndid's order, so the same
  seed gives the same draws and the same numbers. Its steps are moderndid's, in the same
  order, with the same random stream; only the draws are computed a block of draws at a
  time instead of one by one (moderndid's loop is meant for numba, which this project
  does not install): equal to ``mboot`` bit for bit (``tests/test_multiverse.py``).

What is ours: the data layout — one sort of the panel into a units × periods array of the
outcome (and of each covariate), cohort codes as integers, cells computed from that array
with NumPy, no per-cell DataFrame or formula parsing; without covariates the cell is a
difference of means whose influence function is written in closed form (the DR, IPW and
OR estimators coincide there); the logit is a Newton/IRLS iteration in NumPy run to
machine precision; aggregations are matrix products of the influence-function matrix and
the estimated-weight terms are built from cohort-level sums in O(n). Units sorted by
cohort make every cell's treated and control units contiguous row ranges, so cells are
slices (no masks) and the pre-test's ψ'ψ is summed block by block. Memory: the n × cells
influence-function matrix (column-major), linear in units for a given number of periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

_EPS_SE = np.sqrt(np.finfo(float).eps) * 10
TRIM = 0.995


@dataclass(frozen=True)
class Panel:
    """A balanced panel in wide form, units sorted by cohort (never treated last)."""

    y: np.ndarray  # n × T outcome
    x: np.ndarray | None  # n × T × k covariates with the intercept first, or None
    g: np.ndarray  # n, first treated period, inf for never treated
    periods: np.ndarray  # T sorted periods
    order: np.ndarray  # position of each sorted unit in the caller's unit codes
    anticipation: int = 0

    @property
    def n(self) -> int:
        return self.y.shape[0]


def wide_panel(unit_codes, t, y, cohort, x=None, anticipation: int = 0) -> Panel:
    """Sort once: ``unit_codes`` 0..n−1, ``t`` periods, ``cohort`` per row (0/inf = never).

    Units are ordered as moderndid orders them (by cohort, never treated last, then by
    unit code) so the influence-function rows, and hence bootstrap draws, line up.
    """
    periods, t_code = np.unique(t, return_inverse=True)
    n = int(unit_codes.max()) + 1
    T = periods.size
    g_unit = np.empty(n)
    g_unit[unit_codes] = cohort
    g_unit = np.where((g_unit == 0) | (g_unit > periods[-1]), np.inf, g_unit)
    order = np.lexsort((np.arange(n), g_unit))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    r = rank[unit_codes]
    y_wide = np.full((n, T), np.nan)
    y_wide[r, t_code] = y
    x_wide = None
    if x is not None and x.shape[1]:
        x_wide = np.ones((n, T, x.shape[1] + 1))
        x_wide[r, t_code, 1:] = x
    return Panel(y_wide, x_wide, g_unit[order], periods, order, anticipation)


@dataclass(frozen=True)
class GroupTime:
    groups: np.ndarray
    times: np.ndarray
    att: np.ndarray
    se: np.ndarray
    inf: np.ndarray  # n × cells, moderndid's scale (se = √(mean ψ²/n))
    g_unit: np.ndarray
    n: int
    periods: np.ndarray
    wald_pvalue: float | None


# ----------------------------------------------------------------------------- 2×2 estimators


def _logit(d: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Maximum-likelihood logit by Newton–Raphson (= IRLS), to machine precision."""
    beta = np.zeros(X.shape[1])
    p0 = d.mean()
    beta[0] = np.log(p0 / (1 - p0))
    for _ in range(100):
        eta = X @ beta
        p = 1 / (1 + np.exp(-eta))
        w = p * (1 - p)
        step = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (d - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(beta))):
            break
    return 1 / (1 + np.exp(-(X @ beta)))


def _cell_covariates(dy: np.ndarray, d: np.ndarray, X: np.ndarray, method: str):
    """One 2×2 panel DID with covariates: ATT and influence function (DRDID's formulas)."""
    m = d.size
    c = 1 - d
    if method in ("dr", "ipw"):
        ps = np.clip(_logit(d, X), 1e-6, 1 - 1e-6)
        W = ps * (1 - ps)
        trim = np.where(d == 1, True, ps < TRIM)
        w_t = trim * d
        w_c = trim * ps * c / (1 - ps)
        hess = np.linalg.inv(X.T @ (W[:, None] * X)) * m
        alr_ps = ((d - ps)[:, None] * X) @ hess
    if method in ("dr", "reg"):
        Xc = X[c == 1]
        coef = np.linalg.lstsq(Xc, dy[c == 1], rcond=None)[0]
        out = X @ coef
        gram = X.T @ (c[:, None] * X) / m
        alr_ols = ((c * (dy - out))[:, None] * X) @ np.linalg.inv(gram)
    if method == "dr":
        att_t, att_c = w_t * (dy - out), w_c * (dy - out)
        mt, mc = w_t.mean(), w_c.mean()
        eta_t, eta_c = att_t.mean() / mt, att_c.mean() / mc
        inf_t = (att_t - w_t * eta_t - alr_ols @ (w_t[:, None] * X).mean(0)) / mt
        lead = att_c - w_c * eta_c
        inf_c = (
            lead + alr_ps @ (lead[:, None] * X).mean(0) - alr_ols @ (w_c[:, None] * X).mean(0)
        ) / mc
        return eta_t - eta_c, inf_t - inf_c
    if method == "ipw":
        mt, mc = w_t.mean(), w_c.mean()
        e_t, e_c = w_t * dy / mt, w_c * dy / mc
        a_t, a_c = e_t.mean(), e_c.mean()
        mom = ((w_c * (dy - a_c))[:, None] * X).mean(0) / mc
        return a_t - a_c, (e_t - w_t * a_t / mt) - (e_c - w_c * a_c / mc + alr_ps @ mom)
    # reg
    w = d
    mw = w.mean()
    eta_t, eta_c = (w * dy).mean() / mw, (w * out).mean() / mw
    inf_t = (w * dy - w * eta_t) / mw
    inf_c = (w * out - w * eta_c + alr_ols @ (w[:, None] * X).mean(0)) / mw
    return eta_t - eta_c, inf_t - inf_c


# ----------------------------------------------------------------------------- group-time cells


def att_gt(
    panel: Panel,
    est_method: str = "dr",
    control_group: str = "nevertreated",
    base_period: str = "varying",
) -> GroupTime:
    """All ATT(g, t) cells and the n × cells influence-function matrix."""
    y, g_unit, periods, ant = panel.y, panel.g, panel.periods, panel.anticipation
    keep = ~(g_unit <= periods[0] + ant)  # moderndid drops units treated by the first period
    y, g_unit = y[keep], g_unit[keep]
    x = panel.x[keep] if panel.x is not None else None
    n, T = y.shape
    groups_all = np.unique(g_unit[np.isfinite(g_unit)])
    universal = base_period == "universal"
    tf = 0 if universal else 1
    n_cells = len(groups_all) * (T - tf)
    inf = np.zeros((n, n_cells), order="F")  # column-major: each cell's ψ is contiguous
    out_g, out_t, out_att = [], [], []
    # Units are sorted by cohort (never treated last), so every cell's treated and control
    # units are contiguous row ranges: cohort blocks [edges[b], edges[b + 1]).
    cohorts, edges = np.unique(g_unit, return_index=True)
    edges = np.append(edges, n)
    touches = np.zeros((cohorts.size, n_cells), dtype=bool)  # cohort block × cell
    yT = np.ascontiguousarray(y.T)
    for gv in groups_all:
        treated = g_unit == gv
        gb = int(np.searchsorted(cohorts, gv))
        lo, hi = edges[gb], edges[gb + 1]
        pre = np.flatnonzero(periods < gv - ant)
        main_base = pre[-1] if pre.size else None
        for ti in range(T - tf):
            cur = ti + tf
            post = gv <= periods[cur]
            if universal:
                base = main_base
            elif post:
                if main_base is None:
                    continue
                base = main_base
            else:
                base = ti
            if universal and (base is None or periods[base] == periods[cur]):
                # moderndid keeps the reference cell (0, ψ = 0); other failed cells are NaN
                ref = base is not None
                if not ref:
                    inf[:, len(out_att)] = np.nan
                out_g.append(gv)
                out_t.append(periods[cur])
                out_att.append(0.0 if ref else np.nan)
                continue
            if control_group == "notyettreated":
                rel = periods[max(ti, base) + tf] + ant
                c_blocks = np.flatnonzero((cohorts > rel) & (cohorts != gv))
            else:
                c_blocks = np.flatnonzero(~np.isfinite(cohorts))
            if hi == lo or c_blocks.size == 0:
                continue
            j = len(out_att)
            if x is None:
                # Difference of means of ΔY; ψ in closed form (DR = IPW = OR here).
                ranges = [(edges[b], edges[b + 1]) for b in c_blocks]
                dy_t = yT[cur, lo:hi] - yT[base, lo:hi]
                dy_c = [yT[cur, a:b] - yT[base, a:b] for a, b in ranges]
                n1, n0 = hi - lo, sum(b - a for a, b in ranges)
                mu1 = dy_t.mean()
                mu0 = sum(v.sum() for v in dy_c) / n0
                inf[lo:hi, j] = (n / n1) * (dy_t - mu1)
                for (a, b), v in zip(ranges, dy_c, strict=True):
                    inf[a:b, j] = (-n / n0) * (v - mu0)
                touches[gb, j] = True
                touches[c_blocks, j] = True
                out_g.append(gv)
                out_t.append(periods[cur])
                out_att.append(mu1 - mu0)
                continue
            control = np.isin(g_unit, cohorts[c_blocks])
            cell = treated | control
            m = int(cell.sum())
            dy = y[cell, cur] - y[cell, base]
            d = treated[cell].astype(float)
            if x is None:
                n1 = d.sum()
                n0 = m - n1
                mu1 = dy[d == 1].mean()
                mu0 = dy[d == 0].mean()
                att = mu1 - mu0
                psi = m * np.where(d == 1, (dy - mu1) / n1, -(dy - mu0) / n0)
            else:
                X = x[cell, min(base, ti)]
                att, psi = _cell_covariates(dy, d, X, est_method)
            inf[cell, j] = (n / m) * psi
            touches[gb, j] = True
            touches[c_blocks, j] = True
            out_g.append(gv)
            out_t.append(periods[cur])
            out_att.append(att)
    k = len(out_att)
    inf, touches = inf[:, :k], touches[:, :k]
    touches[:, np.isnan(out_att)] = True
    se = _se(inf, n)
    se[se <= _EPS_SE] = np.nan
    groups, times, att = np.array(out_g), np.array(out_t), np.array(out_att)
    wald = _wald(groups, times, att, se, inf, n, edges, touches)
    return GroupTime(groups, times, att, se, inf, g_unit, n, periods, wald)


def _wald(groups, times, att, se, inf, n, edges, touches) -> float | None:
    """moderndid's Wald pre-test; ``V = ψ'ψ / n`` summed over cohort blocks, each with only
    the cells whose ψ is non-zero there."""
    pre = np.flatnonzero((groups > times) & ~np.isnan(se))
    if pre.size == 0:
        return None
    V = np.zeros((pre.size, pre.size))
    for b in range(len(edges) - 1):
        on = np.flatnonzero(touches[b, pre])
        if on.size:
            block = inf[edges[b] : edges[b + 1], pre[on]]
            V[np.ix_(on, on)] += block.T @ block
    V /= n
    if np.linalg.norm(V) == 0 or np.linalg.matrix_rank(V) < pre.size:
        return None
    W = n * att[pre] @ np.linalg.solve(V, att[pre])
    return round(1 - stats.chi2.cdf(W, pre.size), 5)


# ----------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class Aggregate:
    kind: str
    overall_att: float
    overall_se: float
    event_times: np.ndarray | None
    att: np.ndarray | None
    se: np.ndarray | None
    inf: np.ndarray | None  # n × len(event_times)
    inf_overall: np.ndarray
    crit: float = np.nan  # sup-t critical value (cband), else nan


def _se(psi: np.ndarray, n: int) -> np.ndarray:
    s = np.sqrt(np.einsum("i...,i...->...", psi, psi) / psi.shape[0] / n)
    return np.where(s <= _EPS_SE, np.nan, s)


class _Weights:
    """Cohort shares and the influence function of estimated weights (moderndid ``wif``)."""

    def __init__(self, gt: GroupTime):
        self.glist = np.unique(gt.groups)
        self.pg = np.array([np.mean(gt.g_unit == g) for g in self.glist])
        idx = np.searchsorted(self.glist, gt.g_unit)
        self.unit_group = np.where(np.isin(gt.g_unit, self.glist), idx, -1)
        self.n = gt.n

    def wif_att(self, cell_group_idx: np.ndarray, att: np.ndarray) -> np.ndarray:
        """``wif(keepers) @ att[keepers]`` without the n × |keepers| matrix."""
        pgk = self.pg[cell_group_idx]
        S = pgk.sum()
        G = len(self.glist)
        a = np.bincount(cell_group_idx, att, G)
        cnt = np.bincount(cell_group_idx, minlength=G).astype(float)
        ug = self.unit_group
        a_u = np.where(ug >= 0, a[np.maximum(ug, 0)], 0.0)
        c_u = np.where(ug >= 0, cnt[np.maximum(ug, 0)], 0.0)
        pa = pgk @ att
        return (a_u - pgk @ att) / S - (c_u - S) * pa / S**2


def aggregate(
    gt: GroupTime,
    kind: str,
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
) -> Aggregate:
    """moderndid ``aggte`` (= R ``did::aggte``) with analytic standard errors."""
    n, att, inf = gt.n, gt.att, gt.inf
    w = _Weights(gt)
    gidx = np.searchsorted(w.glist, gt.groups)
    pg_cell = w.pg[gidx]
    g, t = gt.groups, gt.times
    if kind == "simple":
        keep = np.flatnonzero((g <= t) & (t <= g + max_e))
        wt = pg_cell[keep] / pg_cell[keep].sum()
        psi = inf[:, keep] @ wt + w.wif_att(gidx[keep], att[keep])
        return Aggregate(
            kind, float(att[keep] @ wt), float(_se(psi, n)), None, None, None, None, psi
        )
    if kind == "group":
        G = len(w.glist)
        est = np.full(G, np.nan)
        cols = np.zeros((n, G))
        for i, gv in enumerate(w.glist):
            mask = np.flatnonzero((g == gv) & (gv <= t) & (t <= gv + max_e))
            if mask.size:
                est[i] = att[mask].mean()
                cols[:, i] = inf[:, mask].mean(1)
        se = np.full(G, np.nan)
        valid = ~np.isnan(est)
        se[valid] = _se(cols[:, valid], n)
        vi = np.flatnonzero(valid)
        pv = w.pg[vi]
        overall = float(est[vi] @ pv / pv.sum())
        psi = cols[:, vi] @ (pv / pv.sum()) + w.wif_att(vi, est[vi])
        return Aggregate(kind, overall, float(_se(psi, n)), w.glist, est, se, cols, psi)
    if kind == "dynamic":
        e = t - g
        include = np.ones(len(g), dtype=bool)
        events = np.unique(e)
        if balance_e is not None:
            include = (t.max() - g) >= balance_e
            events = np.unique(e[include])
            events = events[(events >= balance_e - t.max() + t.min()) & (events <= balance_e)]
        events = events[(events >= min_e) & (events <= max_e)]
        est = np.full(events.size, np.nan)
        cols = np.zeros((n, events.size))
        for i, ev in enumerate(events):
            mask = np.flatnonzero((e == ev) & include)
            if mask.size:
                wt = pg_cell[mask] / pg_cell[mask].sum()
                est[i] = att[mask] @ wt
                cols[:, i] = inf[:, mask] @ wt + w.wif_att(gidx[mask], att[mask])
        se = np.full(events.size, np.nan)
        valid = ~np.isnan(est)
        se[valid] = _se(cols[:, valid], n)
        post = events >= 0
        if post.any():
            overall = float(np.nanmean(est[post]))
            psi = cols[:, post].mean(1)
            overall_se = float(_se(psi, n))
        else:
            overall, overall_se, psi = np.nan, np.nan, np.zeros(n)
        return Aggregate(kind, overall, overall_se, events, est, se, cols, psi)
    if kind == "calendar":
        cal = np.unique(t)
        cal = cal[cal >= g.min()]
        est = np.full(cal.size, np.nan)
        cols = np.zeros((n, cal.size))
        for i, tv in enumerate(cal):
            mask = np.flatnonzero((t == tv) & (g <= tv))
            if mask.size:
                wt = pg_cell[mask] / pg_cell[mask].sum()
                est[i] = att[mask] @ wt
                cols[:, i] = inf[:, mask] @ wt + w.wif_att(gidx[mask], att[mask])
        se = np.full(cal.size, np.nan)
        valid = ~np.isnan(est)
        se[valid] = _se(cols[:, valid], n)
        overall = float(np.nanmean(est))
        psi = cols[:, valid].mean(1)
        return Aggregate(kind, overall, float(_se(psi, n)), cal, est, se, cols, psi)
    raise ValueError(f"unknown aggregation {kind!r}")


MAMMEN = (0.5 * (1 - np.sqrt(5)), 0.5 * (1 + np.sqrt(5)))
"""Mammen's two-point multipliers (drawn with probability (1 + √5)/(2√5) for the first)."""
BLOCK_CELLS = 1 << 18
"""Draws × rows × columns multiplied at once (a few MiB: the block stays in cache)."""


def multiplier_draws(inf: np.ndarray, draws: int, seed) -> np.ndarray:
    """``moderndid.core.numba_utils.multiplier_bootstrap``: ``draws`` × k means of ``inf``
    (n × k) times Mammen multipliers, the same random stream (same batches of
    ``rng.binomial``) and the same sums (``np.mean`` over the rows of each draw's
    product), a block of draws at a time."""
    inf = np.ascontiguousarray(np.asarray(inf, dtype=np.float64))
    if inf.ndim == 1:
        inf = inf.reshape(-1, 1)
    n, k = inf.shape
    rng = np.random.default_rng(seed)
    p_kappa = 0.5 * (1 + np.sqrt(5)) / np.sqrt(5)
    batch = min(max(1, (1 << 30) // n), draws)  # moderndid's batches of weights
    block = max(1, BLOCK_CELLS // (n * k))
    out = np.empty((draws, k), dtype=np.float64)
    for start in range(0, draws, batch):
        size = min(batch, draws - start)
        weights = rng.binomial(1, p_kappa, size=(size, n)).astype(np.int8)
        v = np.where(weights == 1, *MAMMEN)
        for b in range(0, size, block):
            rows = slice(start + b, start + min(b + block, size))
            out[rows] = np.mean(inf[None] * v[b : b + block, :, None], axis=1)
    return out


def sup_t(inf: np.ndarray, n: int, draws: int, seed: int, cluster=None, alpha: float = 0.05):
    """moderndid's multiplier bootstrap (``mboot``) on ``inf`` (columns = estimates):
    ``(se, crit)``, step by step as there (see the module docstring)."""
    import warnings

    inf = inf.reshape(-1, 1) if inf.ndim == 1 else np.atleast_2d(inf)
    n_params = inf.shape[1]
    if cluster is None:
        n_clusters = n
        bres = np.sqrt(n) * multiplier_draws(inf, draws, seed)
    else:
        if len(cluster) != n:
            raise ValueError("cluster must have length equal to n_units.")
        _, inverse, counts = np.unique(cluster, return_inverse=True, return_counts=True)
        n_clusters = len(counts)
        sums = np.zeros((n_clusters, n_params))
        for i in range(n_params):
            sums[:, i] = np.bincount(inverse, weights=inf[:, i])
        bres = np.sqrt(n_clusters) * multiplier_draws(sums / counts[:, None], draws, seed)
    col_sums_sq = np.sum(bres**2, axis=0)
    keep = (~np.isnan(col_sums_sq)) & (col_sums_sq > np.sqrt(np.finfo(float).eps) * 10)
    clean = bres[:, keep]
    if clean.shape[1] == 0:
        np.cov(clean.T)  # mboot computes it (unused here); kept for the warnings it gives
    se = np.full(n_params, np.nan)
    crit = np.nan
    if clean.shape[1] > 0:
        q75 = np.percentile(clean, 75, axis=0, method="inverted_cdf")
        q25 = np.percentile(clean, 25, axis=0, method="inverted_cdf")
        se_boot = (q75 - q25) / (1.3489795)
        se[keep] = se_boot / np.sqrt(n_clusters)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            b_t = np.max(np.abs(clean / se_boot), axis=1)
        finite = b_t[np.isfinite(b_t)]
        if len(finite) > 0:
            crit = np.percentile(finite, 100 * (1 - alpha), method="inverted_cdf")
    return se, float(crit)
