"""Monte Carlo studies of the estimators on synthetic twins, on the multiverse runner.

Each draw generates a twin with the chosen :class:`replicate.data.synthetic.Knobs` and a
seed derived from the study's hash and the draw number (never from worker order), then
estimates each estimator's specification through :func:`replicate.multiverse.estimate_spec`
(city and year effects, no controls unless asked, city clusters). Draws run serially or on
Dask exactly like the multiverse (:func:`replicate.multiverse.run_tasks`), and resume from
the same Parquet store.

:func:`summarise` reports, per estimator, the mean estimate, bias against the true ATT of
treated city-years, RMSE, coverage of the 95% interval and the rejection rate of
``effect = 0`` (power), each with its Monte Carlo standard error (Morris, White &
Crowther 2019, "Using simulation studies to evaluate statistical methods", *Statistics in
Medicine* 38, Table 6): ``s.d./√R`` for the bias, ``√(p(1 − p)/R)`` for a rate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from replicate import multiverse as mv
from replicate._options import check_choice

DEFAULT_ESTIMATORS = ("twfe", "imputation")


@dataclass(frozen=True)
class Design:
    """A Monte Carlo design: the twin's knobs, the estimators and their controls."""

    knobs: dict
    estimators: tuple[str, ...] = DEFAULT_ESTIMATORS
    controls: tuple[str, ...] = ()
    seed: int = 0

    @property
    def hash(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def draw_seed(self, draw: int) -> int:
        """Seed of draw ``draw``: from the design's hash and the draw number only."""
        return int(hashlib.sha256(f"{self.hash}:{draw}".encode()).hexdigest()[:8], 16)


def _knobs(design: Design):
    from replicate.data.synthetic import Knobs

    knobs = dict(design.knobs)
    if knobs.get("cohort_effects"):
        knobs["cohort_effects"] = {int(k): float(v) for k, v in knobs["cohort_effects"].items()}
    return Knobs(**knobs)


def simulate_draw(task: Mapping, design: Design) -> list[dict]:
    """One draw: a twin, then every estimator of the design through ``estimate_spec``."""
    from replicate.data.synthetic import make_twin

    twin = make_twin(seed=int(task["seed"]), knobs=_knobs(design))
    prepared = mv.prepare(twin.panel(), recode=False)
    rows = []
    for estimator in design.estimators:
        spec = mv.Spec(estimator, design.controls, pilot_coding="as in the data")
        row = mv.estimate_spec(spec, prepared)
        rows.append({**row, "estimator": estimator, "draw": int(task["draw"])})
    truth = mv._round(twin.truth.att)
    return [{**r, "truth": truth} for r in rows]


def tasks(design: Design, draws: int) -> pd.DataFrame:
    """One task per draw, keyed by a hash of the design and the draw number."""
    if int(draws) < 1:
        raise ValueError(f"draws={draws}: give a positive number of draws, e.g. 1000.")
    frame = pd.DataFrame({"draw": range(draws)})
    key = design.hash  # once (the seeds are Design.draw_seed's)
    frame["seed"] = [
        int(hashlib.sha256(f"{key}:{d}".encode()).hexdigest()[:8], 16) for d in frame["draw"]
    ]
    frame["hash"] = [
        hashlib.sha256(f"{key}:draw:{d}".encode()).hexdigest()[:16] for d in frame["draw"]
    ]
    return frame


def run(
    design: Design,
    draws: int,
    *,
    out: str | Path | None = None,
    scheduler: str | None = "serial",
    workers: int | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, mv.RunReport]:
    """Run ``draws`` draws of ``design``; returns one row per draw and estimator."""
    report = mv.run_tasks(
        tasks(design, draws),
        simulate_draw,
        design,
        data_hash=design.hash,
        out=out,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
        name="draws",
    )
    table = report.results.sort_values(["estimator", "draw"], ignore_index=True)
    return table, report


def summarise(draws: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Bias, RMSE, coverage and power per estimator, with Monte Carlo standard errors."""
    rows = {}
    for estimator, d in draws[draws["status"] == "ok"].groupby("estimator", sort=False):
        r = len(d)
        err = d["estimate"] - d["truth"]
        has_ci = d["lower"].notna()
        covered = ((d["lower"] <= d["truth"]) & (d["truth"] <= d["upper"]))[has_ci]
        reject = (d["pvalue"] < 1 - level)[has_ci]

        def rate(x: pd.Series) -> tuple[float, float]:
            if not len(x):
                return np.nan, np.nan
            p = float(x.mean())
            return p, float(np.sqrt(p * (1 - p) / len(x)))

        cov, cov_se = rate(covered)
        power, power_se = rate(reject)
        rows[mv.ESTIMATOR_LABELS[estimator]] = {
            "draws": r,
            "truth (ATT)": float(d["truth"].iloc[0]),
            "mean estimate": float(d["estimate"].mean()),
            "bias": float(err.mean()),
            "bias MC s.e.": float(err.std(ddof=1) / np.sqrt(r)) if r > 1 else np.nan,
            "RMSE": float(np.sqrt((err**2).mean())),
            "coverage": cov,
            "coverage MC s.e.": cov_se,
            "power": power,
            "power MC s.e.": power_se,
            "failed": int((draws.loc[draws["estimator"] == estimator, "status"] != "ok").sum()),
        }
    order = [mv.ESTIMATOR_LABELS[e] for e in mv.ESTIMATORS if mv.ESTIMATOR_LABELS[e] in rows]
    table = pd.DataFrame(rows).T.loc[order].astype(float)
    return table.astype({"draws": int, "failed": int})


def _cohort_effects(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        return {int(k): float(v) for k, v in (p.split(":") for p in text.split(","))}
    except ValueError as exc:
        raise SystemExit(
            f"--cohort-effects {text!r}: write batch:effect pairs, e.g. 2014:0.3,2015:0.15"
        ) from exc


def _cmd_montecarlo(args) -> int:
    knobs = {
        "cohort_effects": _cohort_effects(args.cohort_effects),
        "dynamic_slope": args.dynamic_slope,
        "anticipation": args.anticipation,
        "pretrend": args.pretrend,
        "conditional_trends": not args.no_conditional_trends,
    }
    estimators = tuple(args.estimators.split(",")) if args.estimators else DEFAULT_ESTIMATORS
    for e in estimators:
        check_choice("estimators", e, mv.ESTIMATORS)
    controls: Sequence[str] = tuple(args.controls.split(",")) if args.controls else ()
    design = Design(knobs, estimators, tuple(controls), args.seed)
    scheduler = "serial" if args.serial else args.scheduler
    table, report = run(
        design,
        args.draws,
        out=args.out,
        scheduler=scheduler,
        workers=args.workers,
        progress=not args.quiet,
    )
    print(
        f"{args.draws} draws of design {design.hash}: {report.computed} computed, "
        f"{report.reused} reused, {report.seconds:.1f} s on {report.workers} worker(s)"
    )
    print(summarise(table).round(4).to_string())
    return 0


def register(subparsers) -> None:
    """Add ``replicate montecarlo`` (called by :func:`replicate.multiverse.register`)."""
    p = subparsers.add_parser(
        "montecarlo",
        help="coverage, bias and power of the estimators on synthetic twins",
        description="Draw synthetic twins with the chosen knobs and estimate each "
        "estimator on each; prints bias, RMSE, coverage and power with Monte Carlo "
        "standard errors. Runs on Dask like `replicate multiverse`.",
    )
    p.add_argument("--draws", type=int, required=True, help="number of twins")
    mv.runner_options(p, "montecarlo-results")
    p.add_argument("--estimators", help=f"comma-separated subset of {','.join(mv.ESTIMATORS)}")
    p.add_argument("--controls", help="comma-separated controls (default: none)")
    p.add_argument("--cohort-effects", help="effect per batch, e.g. 2014:0.3,2015:0.15,2016:0")
    p.add_argument("--dynamic-slope", type=float, default=0.0)
    p.add_argument("--anticipation", type=int, default=0)
    p.add_argument("--pretrend", type=float, default=0.0)
    p.add_argument("--no-conditional-trends", action="store_true")
    p.add_argument("--seed", type=int, default=0, help="seed of the design")
    p.set_defaults(func=_cmd_montecarlo)


# ----------------------------------------------------------------------------- fast path
#
# Every twin of a design has the same pilot timing, the same cities and years and the same
# true effects; only the outcomes differ. The estimators without controls are linear in the
# outcome given that fixed design (TWFE, the event study and Sun–Abraham are projections on
# two-way demeaned indicators; the imputation estimator and Callaway–Sant'Anna's 'simple'
# aggregation are fixed weighted sums of outcomes). So the projections and weights are
# computed once per design and applied to all twins' outcomes at once (one matrix product),
# and the cluster-robust covariance comes from per-cluster score sums of all twins in one
# einsum. Same draws (seeds) and the same numbers as :func:`run` to 1e-10
# (``tests/test_teaching.py``); nothing is cached between calls.

FAST_ESTIMATORS = ("twfe", "imputation", "cs_never", "sun_abraham")
"""Estimators :func:`run_fast` computes for all twins at once (without controls; with
controls only ``cs_never``, twin by twin through :mod:`replicate.models._cs`)."""


@dataclass(frozen=True, eq=False)
class Twins:
    """``draws`` twins of one design as arrays (cities × years), in the twin's city order.

    ``y`` is nqp (draws × cities × years, rounded as :func:`~replicate.data.synthetic.make_twin`
    rounds it); ``x`` the controls on the regressions' scale (draws × cities × years × k)
    when asked for; ``g`` the first pilot year per city (0 = never), ``province`` codes per
    city, ``tau`` the true effects (the same in every draw) and ``att`` their mean over
    treated city-years.
    """

    design: Design
    y: np.ndarray
    x: np.ndarray | None
    g: np.ndarray
    years: np.ndarray
    province: np.ndarray
    city_id: np.ndarray
    tau: np.ndarray
    att: float
    seeds: np.ndarray

    @property
    def did(self) -> np.ndarray:
        return ((self.g[:, None] > 0) & (self.years[None, :] >= self.g[:, None])).astype(float)

    def frame(self, draw: int) -> pd.DataFrame:
        """Draw ``draw`` as a long frame (``city_id``, ``year``, ``g``, ``did``, ``province``,
        ``nqp``, ``tau`` and the controls if drawn), for the per-twin estimators."""
        from replicate.data.schema import CONTROLS

        n_c, n_t = self.g.size, self.years.size
        out = pd.DataFrame(
            {
                "city_id": np.repeat(self.city_id, n_t),
                "year": np.tile(self.years, n_c),
                "g": np.repeat(self.g, n_t),
                "did": self.did.ravel().astype(int),
                "province": np.repeat(self.province, n_t),
                "nqp": self.y[draw].ravel(),
                "tau": self.tau.ravel(),
            }
        )
        if self.x is not None:
            for j, v in enumerate(CONTROLS):
                out[v] = self.x[draw, :, :, j].ravel()
        return out


def draw_twins(design: Design, draws: int, controls: bool = False) -> Twins:
    """The outcomes of draws ``0 … draws − 1`` of ``design`` (the twins of :func:`run`).

    Each twin comes from :func:`replicate.data.synthetic.simulate` with the draw's seed
    (:meth:`Design.draw_seed`), as :func:`~replicate.data.synthetic.make_twin` makes it,
    without building and validating a DataFrame per twin.
    """
    from replicate.data import synthetic
    from replicate.data.schema import CONTROLS, REGRESSION_SCALE

    seeds = tasks(design, draws)["seed"].to_numpy()
    knobs = _knobs(design)
    theta = dict(synthetic.calibrated_parameters())
    d = synthetic._design("parent")
    keep = d.g > 0 if knobs.all_treated else np.ones(d.g.size, bool)
    xs = []
    if knobs.conditional_trends or controls:
        ys = []
        for seed in seeds:
            sim = synthetic.simulate(theta, int(seed), knobs, "parent")
            ys.append(sim["nqp"])
            if controls:
                xs.append(
                    np.stack(
                        [sim[v].round(10)[keep] * REGRESSION_SCALE.get(v, 1.0) for v in CONTROLS],
                        -1,
                    )
                )
        y, tau = np.stack(ys), sim["tau"]
    else:
        y, tau = _unconditional_nqp(theta, seeds, knobs)
    att = float(tau[d.did == 1].mean())
    return Twins(
        design,
        y.round(10)[:, keep],
        np.stack(xs) if controls else None,
        d.g[keep].astype(int),
        d.years.astype(int),
        d.province[keep],
        d.cities["city_id"].to_numpy()[keep],
        tau[keep],
        att,
        seeds,
    )


def _unconditional_nqp(theta: Mapping, seeds, knobs) -> tuple[np.ndarray, np.ndarray]:
    """nqp of :func:`replicate.data.synthetic.simulate` for many seeds at once, when
    ``conditional_trends`` is off (the controls then do not enter nqp, so they are not
    generated): the same random numbers (``synthetic._draws`` per seed), the same
    equations, on draws × cities × years arrays. Returns ``(nqp, tau)``; equal to
    ``make_twin``'s panel to 1e-10 (``tests/test_teaching.py``)."""
    from replicate.data import synthetic as syn

    d = syn._design("parent")
    n_c, n_t, n_p = d.g.size, d.years.size, int(d.province.max()) + 1
    r = [syn._draws(int(s), n_c, n_t, n_p) for s in seeds]

    def stack(key: str) -> np.ndarray:
        return np.stack([x[key] for x in r])

    def ar1(key: str, rho: float) -> np.ndarray:
        return syn._ar1_filter(stack(key).reshape(-1, n_t), rho).reshape(len(r), n_c, n_t)

    time, did = d.time, d.did
    z = 0.8 * d.treat + 0.5 * d.east + 1.0 * d.capital + stack("z")
    z = (z - z.mean(1, keepdims=True)) / z.std(1, keepdims=True)
    F = stack("F")[:, d.province]
    # innovp without the controls (conditional_trends off)
    alpha = theta["innovp.level"] + theta["innovp.level_z"] * z
    rest = (
        theta["innovp.trend"] * time[None, :] ** 1.5
        + theta["innovp.did"] * did
        + theta["innovp.city_trend"] * stack("innovp.trend")[:, :, None] * (time[None, :] - 0.5)
    )
    alpha = np.maximum(alpha, 1.0 - rest.min(axis=2))
    innovp_mean = alpha[:, :, None] + rest
    innovp_sd = theta["innovp.noise_sd"] * np.exp(theta["innovp.hetero_did"] * did)
    innovp = innovp_mean + syn._bounded_noise(
        innovp_mean, innovp_sd, ar1("innovp.shock", theta["innovp.noise_rho"]), 0.0, np.inf
    )
    event = np.where(d.g[:, None] > 0, d.years[None, :] - d.g[:, None], -999)
    effects = knobs.cohort_effects or {}
    base = np.array([effects.get(int(b), theta["nqp.did"]) if b > 0 else 0.0 for b in d.g])
    active = (event >= -knobs.anticipation) & (event != -999)
    tau_direct = np.where(active, base[:, None] + knobs.dynamic_slope * np.maximum(event, 0), 0.0)
    pretrend = np.where((event < 0) & (event != -999), knobs.pretrend * (event + 1), 0.0)
    from scipy import stats

    ranks = stats.rankdata(z + 0.6 * stack("mu"), method="ordinal", axis=1)
    lo_mu, hi_mu = theta["nqp.city_low"], theta["nqp.city_high"]
    mu = lo_mu + (hi_mu - lo_mu) * syn._beta_quantiles(n_c, *syn.CITY_BETA)[ranks - 1]
    path = (
        theta["nqp.trend"] * time[None, :] ** 1.3
        + tau_direct
        + pretrend
        + theta["nqp.innovp"] * (innovp - innovp.mean(axis=(1, 2), keepdims=True))
        + theta["nqp.province_year_sd"] * F
        + theta["nqp.city_trend"] * stack("nqp.trend")[:, :, None] * (time[None, :] - 0.5)
    )
    margin = 0.02
    low, high = margin - path.min(axis=2), syn.NQP_MAX - margin - path.max(axis=2)
    if np.any(low > high):
        raise ValueError(
            "these knobs move nqp by more than its range [0, 6.246]; choose smaller effects."
        )
    nqp_mean = np.clip(mu, low, high)[:, :, None] + path
    nqp_sd = theta["nqp.noise_sd"] * np.exp(
        theta["nqp.hetero_z"] * z[:, :, None] + theta["nqp.hetero_did"] * did
    )
    shock = ar1("nqp.shock", theta["nqp.noise_rho"])
    nqp = nqp_mean + syn._bounded_noise(nqp_mean, nqp_sd, shock, 0.0, syn.NQP_MAX)
    tau = tau_direct + theta["nqp.innovp"] * theta["innovp.did"] * did
    return nqp, tau


def _within(a: np.ndarray) -> np.ndarray:
    """Two-way (city, year) demeaning of a balanced cities × years × … array."""
    return a - a.mean(0, keepdims=True) - a.mean(1, keepdims=True) + a.mean((0, 1), keepdims=True)


@dataclass(frozen=True, eq=False)
class Projection:
    """``y ~ X | city + year`` for all twins at once, clustered by ``cluster``.

    ``coef`` is k × draws; ``cov`` draws × k × k, the cluster-robust covariance with the
    small-sample convention of :func:`replicate.fit` (``reghdfe``: ``G/(G − 1) · (N − 1)/
    (N − K)``, K the slopes, the constant and the fixed effects not nested in the clusters);
    ``df`` = G − 1.
    """

    coef: np.ndarray
    cov: np.ndarray
    n_clusters: int
    df: int
    nobs: int


def project(
    twins: Twins, X: np.ndarray, cluster: str = "city", covariance: bool = True
) -> Projection:
    """Regress every twin's outcome on the regressors ``X`` (cities × years × k) with city
    and year effects: one k × k inverse for all twins (the design is the same); the
    covariance (``covariance=True``) from every twin's per-cluster score sums."""
    from replicate.models import fixed_effects as fe

    n_c, n_t, k = X.shape
    n = n_c * n_t
    Xt = _within(X.astype(float))
    flat = Xt.reshape(n, k)
    bread = np.linalg.inv(flat.T @ flat)
    y = np.moveaxis(twins.y, 0, -1).reshape(n, -1)  # (cities · years) × draws
    coef = bread @ (flat.T @ y)
    if not covariance:
        return Projection(coef, np.full((coef.shape[1], k, k), np.nan), n_c, n_c - 1, n)
    resid = _within((y - flat @ coef).reshape(n_c, n_t, -1))
    scores = Xt.transpose(0, 2, 1) @ resid  # cities × k × draws
    if cluster == "province":
        groups = pd.factorize(twins.province)[0]
        scores = _by_group(scores, groups)
        codes_cluster = np.repeat(groups, n_t)
    elif cluster == "city":
        codes_cluster = np.repeat(np.arange(n_c), n_t)
    else:
        raise ValueError(f"cluster={cluster!r}: the fast path clusters by 'city' or 'province'.")
    n_groups = scores.shape[0]
    codes = [np.repeat(np.arange(n_c), n_t), np.tile(np.arange(n_t), n_c)]
    dof = fe.absorbed_dof(codes, codes_cluster)
    scale = n_groups / (n_groups - 1) * (n - 1) / (n - k - dof.not_nested - 1)
    per_draw = scores.transpose(2, 0, 1)  # draws × clusters × k
    meat = per_draw.transpose(0, 2, 1) @ per_draw
    cov = scale * (bread @ meat @ bread)
    return Projection(coef, cov, n_groups, n_groups - 1, n)


def _by_group(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sum city-level scores (cities × k × draws) within groups."""
    out = np.zeros((groups.max() + 1, *scores.shape[1:]))
    np.add.at(out, groups, scores)
    return out


def twfe_regressor(twins: Twins) -> np.ndarray:
    """``did`` as the one regressor of :func:`project` (cities × years × 1)."""
    return twins.did[:, :, None]


def event_regressors(twins: Twins, window: tuple[int, int] = (-6, 6), reference: int = -1):
    """Event-time indicators, end points binned, ``reference`` left out, as
    :func:`replicate.models.event_study.event_study`; returns ``(X, event_times)``."""
    lo, hi = window
    treated = twins.g[:, None] > 0
    event = np.where(treated, np.clip(twins.years[None, :] - twins.g[:, None], lo, hi), -999)
    times = [e for e in range(lo, hi + 1) if e != reference]
    return np.stack([(event == e).astype(float) for e in times], -1), times


def sun_abraham_regressors(twins: Twins, reference: int = -1):
    """Cohort × event-time indicators and the weights that turn their coefficients into
    Sun–Abraham's overall estimate (each post-pilot event time equally, cohorts by their
    share of cities), as :func:`replicate.models.staggered.sun_abraham`."""
    g, years = twins.g, twins.years
    cells = sorted({(int(c), int(t - c)) for c in g[g > 0] for t in years if t - c != reference})
    event = years[None, :] - g[:, None]
    X = np.stack([((g[:, None] == c) & (event == k)).astype(float) for c, k in cells], -1)
    size = pd.Series(g).value_counts()
    weights = np.zeros(len(cells))
    post = sorted({k for _, k in cells if k >= 0})
    for k in post:
        idx = [i for i, (_, kk) in enumerate(cells) if kk == k]
        shares = np.array([size[cells[i][0]] for i in idx], float)
        weights[idx] += shares / shares.sum() / len(post)
    return X, weights


def imputation_weights(twins: Twins, shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``v`` (cities × years) with the imputation estimate ``Σ v·y`` (Borusyak,
    Jaravel & Spiess 2024): city and year effects fitted on untreated city-years by least
    squares, treated outcomes minus their imputed untreated outcome, averaged. ``shift``
    dates each pilot that many years earlier (announcement). Returns ``(v, treated)``.

    The untreated fit's normal equations are built from counts (city × year cells are
    single observations): ``v = 1/N₁`` on treated and ``−(θ_city + θ_year)`` on untreated
    city-years, with ``(Z₀'Z₀) θ = Z₁'a`` (BJS 2024, Theorem 3's weights)."""
    g = np.where(twins.g > 0, twins.g - shift, 0)
    treated = (g[:, None] > 0) & (twins.years[None, :] >= g[:, None])
    untreated = (~treated).astype(float)
    counts = untreated.sum(1)
    if not counts.all():
        raise ValueError("imputation: some cities have no untreated year; drop them first.")
    a = treated / treated.sum()
    # normal equations [[diag(counts), B], [B', diag(years)]] θ = [a by city, a by year];
    # the city block is diagonal, so eliminate it (Schur complement, years − 1 unknowns)
    B = untreated[:, 1:]
    r_city, r_year = a.sum(1), a.sum(0)[1:]
    schur = np.diag(untreated.sum(0)[1:]) - (B / counts[:, None]).T @ B
    theta_year = np.linalg.solve(schur, r_year - B.T @ (r_city / counts))
    theta_city = (r_city - B @ theta_year) / counts
    fitted = theta_city[:, None] + np.concatenate([[0.0], theta_year])[None, :]
    return np.where(treated, a, -fitted), treated


def cs_never_weights(twins: Twins) -> np.ndarray:
    """Weights (cities × years) with Callaway & Sant'Anna's 'simple' aggregation against
    never-treated cities, without controls, as ``Σ v·y``: each post-pilot ATT(g, t) is a
    difference of mean changes from ``g − 1``, weighted by its cohort's share (R ``did``'s
    ``aggte(type = "simple")``)."""
    g, years = twins.g, twins.years
    never = g == 0
    v = np.zeros((g.size, years.size))
    cells = [(c, t) for c in np.unique(g[g > 0]) for t in years if t >= c]
    total = sum((g == c).sum() for c, _ in cells)
    for c, t in cells:
        omega = (g == c).sum() / total
        ti, bi = int(np.flatnonzero(years == t)[0]), int(np.flatnonzero(years == c - 1)[0])
        for group, sign in ((g == c, 1.0), (never, -1.0)):
            v[group, ti] += sign * omega / group.sum()
            v[group, bi] -= sign * omega / group.sum()
    return v


def _weighted(twins: Twins, v: np.ndarray) -> np.ndarray:
    return np.einsum("rct,ct->r", twins.y, v)


def _rows(estimator: str, estimates, ses, df, nobs: int, clusters: int) -> pd.DataFrame:
    """Rows as :func:`replicate.multiverse.estimate_spec` writes them (the same rounding
    and intervals: t with ``df`` degrees of freedom, normal when ``df`` is None)."""
    from scipy import stats

    est, se = np.asarray(estimates, float), np.asarray(ses, float)
    dist = stats.t(df) if df else stats.norm()
    q = dist.ppf(1 - mv.ALPHA / 2)
    valid = np.isfinite(se) & (se > 0)
    safe = np.where(valid, se, 1.0)
    out = pd.DataFrame(
        {
            "estimator": estimator,
            "draw": np.arange(est.size),
            "estimate": est,
            "se": se,
            "lower": np.where(valid, est - q * safe, np.nan),
            "upper": np.where(valid, est + q * safe, np.nan),
            "pvalue": np.where(valid, 2 * dist.sf(np.abs(est / safe)), np.nan),
            "nobs": nobs,
            "n_clusters": clusters,
            "status": "ok",
            "error": "",
            "warning": "",
        }
    )
    for name in ("estimate", "se", "lower", "upper", "pvalue"):
        out[name] = [mv._round(v) for v in out[name]]
    return out


def cs_dr_simple(twins: Twins, draw: int, controls: Sequence[str]) -> float:
    """Callaway & Sant'Anna's doubly robust 'simple' aggregation against never-treated
    cities, with ``controls`` at their base-period values, for one twin.

    Only the post-pilot cells enter the 'simple' aggregation; every post cell of a cohort
    has the same base year (``g − 1``), hence the same covariates and the same propensity
    score, so each cohort needs one logit (:func:`replicate.models._cs._logit`) and one
    least-squares fit of all its cells' changes at once (Sant'Anna & Zhao 2020's DR ATT:
    weighted means of ``ΔY`` minus the control-group regression). Equal to
    :func:`replicate.models.staggered.callaway_santanna` (``est_method="dr"``,
    ``aggregation="simple"``) to 1e-10 (``tests/test_teaching.py``)."""
    from replicate.data.schema import CONTROLS
    from replicate.models import _cs

    g, years, y = twins.g, twins.years, twins.y[draw]
    columns = [CONTROLS.index(c) for c in controls]
    never = g == 0
    total, weighted = 0.0, 0.0
    for c in np.unique(g[g > 0]):
        cell = (g == c) | never
        d = (g[cell] == c).astype(float)
        base = int(np.flatnonzero(years == c - 1)[0])
        X = np.column_stack([np.ones(cell.sum()), twins.x[draw][cell, base][:, columns]])
        ps = np.clip(_cs._logit(d, X), 1e-6, 1 - 1e-6)
        trim = np.where(d == 1, True, ps < _cs.TRIM)
        w_t, w_c = trim * d, trim * ps * (1 - d) / (1 - ps)
        post = np.flatnonzero(years >= c)
        dy = y[cell][:, post] - y[cell][:, [base]]
        coef = np.linalg.lstsq(X[d == 0], dy[d == 0], rcond=None)[0]
        gap = dy - X @ coef
        att = (w_t @ gap) / w_t.sum() - (w_c @ gap) / w_c.sum()
        n_g = float((g == c).sum())
        total += n_g * post.size
        weighted += n_g * att.sum()
    return weighted / total


def _check_twins(twins: Twins, design: Design, draws: int, controls: bool = False) -> None:
    if twins.design.knobs != design.knobs or twins.y.shape[0] != draws:
        raise ValueError(
            f"twins hold {twins.y.shape[0]} draws with knobs {twins.design.knobs}; asked for "
            f"{draws} draws with knobs {design.knobs}. Draw them with draw_twins(design, draws)."
        )
    if controls and twins.x is None:
        raise ValueError("this design has controls: draw the twins with controls=True.")


def _per_twin(estimator: str, twins: Twins, controls: Sequence[str], draws) -> pd.DataFrame:
    """``estimate_spec`` twin by twin (the slow path), for a design the fast path does not
    cover; rows as :func:`run` writes them."""
    spec = mv.Spec(estimator, tuple(controls), pilot_coding="as in the data")
    rows = [
        {**mv.estimate_spec(spec, mv.prepare(twins.frame(r), recode=False)), "draw": r}
        for r in draws
    ]
    return pd.DataFrame(rows).assign(estimator=estimator).drop(columns="hash")


def _not_fast(estimator: str, twins: Twins) -> str | None:
    """What the per-twin estimators do differently on this design, or None: without a
    never-treated city Sun–Abraham and the imputation estimator (a treated year with no
    untreated city) refuse the panel — the same in every twin — and Callaway–Sant'Anna
    goes through moderndid's own rules; a city treated in every year has no untreated year."""
    did = twins.did.astype(bool)
    if did.all(1).any():
        return "always treated"
    if estimator in ("cs_never", "sun_abraham") and not (twins.g == 0).any():
        return "refused" if estimator == "sun_abraham" else "moderndid"
    if estimator == "imputation" and bool(did.all(0).any()):
        return "refused"
    return None


def run_fast(design: Design, draws: int, twins: Twins | None = None) -> pd.DataFrame:
    """The rows of :func:`run` for the estimators of :data:`FAST_ESTIMATORS`, all twins at once.

    Same draws and estimates as :func:`run` (to 1e-10); TWFE also has its clustered s.e.,
    interval and p-value; the other estimators' s.e. are left out (NaN) — their bias is
    what a teaching Monte Carlo reports. Where the per-twin estimators refuse the design
    (e.g. Sun–Abraham without never-treated cities) every draw has their failed row; where
    they follow other rules (Callaway–Sant'Anna without never-treated cities, through
    moderndid) those draws are estimated twin by twin. ``twins`` reuses drawn twins with the same knobs
    (e.g. to compare estimators with and without controls on the same twins); the rows
    then belong to those twins' draws.
    """
    unknown = [e for e in design.estimators if e not in FAST_ESTIMATORS]
    if unknown or (design.controls and tuple(design.estimators) != ("cs_never",)):
        raise ValueError(
            f"run_fast computes {', '.join(FAST_ESTIMATORS)} without controls (and cs_never "
            f"alone with controls); design has {design.estimators} with controls "
            f"{design.controls}. Use montecarlo.run."
        )
    if twins is None:
        twins = draw_twins(design, draws, controls=bool(design.controls))
    _check_twins(twins, design, draws, controls=bool(design.controls))
    n_c, n_t = twins.g.size, twins.years.size
    nobs, truth = n_c * n_t, mv._round(twins.att)
    parts = []
    for estimator in design.estimators:
        if estimator == "twfe" and _not_fast(estimator, twins) is None:
            p = project(twins, twfe_regressor(twins))
            se = np.sqrt(p.cov[:, 0, 0])
            parts.append(_rows("twfe", p.coef[0], se, p.df, nobs, p.n_clusters))
            continue
        reason = _not_fast(estimator, twins)
        if reason == "refused":  # the same error in every twin: the first twin's
            first = _per_twin(estimator, twins, design.controls, [0])
            parts.append(first.loc[first.index.repeat(draws)].assign(draw=range(draws)))
            continue
        if reason is not None:
            parts.append(_per_twin(estimator, twins, design.controls, range(draws)))
            continue
        if estimator == "cs_never" and design.controls:
            values = [cs_dr_simple(twins, r, design.controls) for r in range(draws)]
        elif estimator == "cs_never":
            values = _weighted(twins, cs_never_weights(twins))
        elif estimator == "imputation":
            values = _weighted(twins, imputation_weights(twins)[0])
        else:
            X, c = sun_abraham_regressors(twins)
            values = c @ project(twins, X, covariance=False).coef
        parts.append(_rows(estimator, values, np.full(draws, np.nan), None, nobs, n_c))
    table = pd.concat(parts, ignore_index=True).assign(truth=truth)
    return table.sort_values(["estimator", "draw"], ignore_index=True)
