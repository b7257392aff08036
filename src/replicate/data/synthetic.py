"""The synthetic twin: a seeded, calibrated stand-in for the authors' unpublished panel.

It lives on the real 285 cities, their provinces and the real pilot timing. Its generator
is a small structural model whose parameters were chosen by indirect inference
(:mod:`replicate.calibrate`, ``replicate calibrate``) so that the *expected* value over
twins of every number in the paper's Tables 1–4 is as close as the model allows to the
published one. The parameters live in the committed file ``twin_calibration.json``
beside this module, with the objective, the seeds and the code version they came from;
the published targets themselves are read from :mod:`replicate.paper` (never typed twice).

The model, per city *i* in province *p* and year *t* (``time`` runs 0 → 1 over 2005–2022):

* **controls** ``fdi hum gov lninstra mar fin``: a latent process ``L_k = level_i +
  trend_k·time + s_k·slope_i·time + d_k·did + f_k·F_pt + o_k·G_kpt + c_k·C_it +
  w_k·AR1(ρ_k)`` — a city level loading on a development factor (higher in pilot cities),
  city-specific trends (steeper in pilot cities), a shift when the pilot starts, the
  province-year factor ``F_pt`` of the outcome's shocks, the control's own province-year
  shocks ``G_kpt``, a common within-city factor ``C_it`` and own AR(1) shocks — mapped rank
  for rank onto a Beta distribution with Table 1's mean and s.d. on exactly its range;
* **innovp** ``= α_i + λ_t + γ_did·did + (γ + η_i)'X + ζ_i·time + u``, with city-specific
  slopes ``η_i`` (mean zero, on the within-city deviations of X), city-specific trends
  ``ζ_i`` and ``u`` AR(1) and heteroskedastic in the controls (its scale is
  ``σ_u·exp(h'x_std)``), kept ≥ 0;
* **nqp** ``= μ_i + λ_t + τ_it + b·innovp + δ'X + g₁·lnpgdp + g₂·fispre + ψ_pt + e``, with
  province-year shocks ``ψ_pt = σ_ψ·F_pt + κ·D̄_pt`` where ``D̄_pt`` is the share of the
  province's cities that are pilots in year *t* (provincial shocks that coincide with the
  pilots: what Table 4 column 1 absorbs), city-specific trends, and ``e`` AR(1) with a
  city-specific scale.

Coefficients apply on the regressions' scale (``mar`` and ``fin`` in percent,
``replicate.data.schema.REGRESSION_SCALE``); stored columns keep Table 1's scale. Noise
shrinks near the bounds (a third of the distance to 0 or 6.246, standardized shocks capped
at 3), so ``nqp`` ∈ [0, 6.246] and ``innovp`` ≥ 0 without clipping, and ``E[e | X] = 0``
keeps the truth exact. Teaching knobs change ``τ_it`` (cohort effects, dynamics,
anticipation, pre-trends) on top of the calibrated model; ``conditional_trends=False``
switches off every channel through which controls or provinces move with pilot status.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from replicate import paper
from replicate.data import raw
from replicate.data.pilots import SubCityReading, code_pilots, treated_now
from replicate.data.schema import CONTROLS, REGRESSION_SCALE

DEFAULT_SEED = 20241128
GENERATOR_VERSION = 2
"""Bump when the meaning of a parameter or the order of random draws changes."""
CALIBRATION_FILE = Path(__file__).with_name("twin_calibration.json")
NQP_MAX = float(paper.TABLE1.loc["nqp", "max"])
"""Upper bound of nqp (Table 1's maximum); the lower bound is 0 (ln(1 + 0))."""

TABLE1_TARGETS: dict[str, tuple[float, float, float, float]] = {
    v: tuple(float(x) for x in paper.TABLE1.loc[v, ["mean", "sd", "min", "max"]]) for v in CONTROLS
}
"""(mean, s.d., min, max) of each control, read from :data:`replicate.paper.TABLE1`."""

STARTING_PARAMETERS: dict[str, float] = {
    # nqp equation (regression scale); starting values: Table 3 column (2)
    "nqp.did": 0.118,
    "nqp.innovp": 0.001,
    **{f"nqp.{v}": 0.0 for v in CONTROLS},
    "nqp.lnpgdp": 0.108,
    "nqp.fispre": -0.020,
    "nqp.noise_sd": 0.75,
    "nqp.noise_rho": -0.12,
    "nqp.hetero_z": 0.0,
    "nqp.hetero_did": 0.0,
    "nqp.province_year_sd": 0.10,
    "nqp.province_pilot_share": 0.0,
    "nqp.city_low": 0.05,
    "nqp.city_high": 4.30,
    "nqp.trend": 1.0,
    "nqp.city_trend": 0.0,
    # innovp equation; starting values: Table 3 column (1)
    "innovp.did": 9.686,
    **{f"innovp.{v}": 0.0 for v in CONTROLS},
    "innovp.level": 40.0,
    "innovp.level_z": 18.0,
    "innovp.trend": 25.0,
    "innovp.noise_sd": 14.0,
    "innovp.noise_rho": 0.35,
    "innovp.city_trend": 0.0,
    "innovp.hetero_did": 0.0,
    **{f"innovp.hetero_{v}": 0.0 for v in CONTROLS},
    **{f"innovp.random_{v}": 0.0 for v in CONTROLS},
    # controls' latent processes
    **{f"{v}.pilot_shift": 0.0 for v in CONTROLS},
    **{f"{v}.province_year": 0.0 for v in CONTROLS},
    **{f"{v}.province_own": 0.0 for v in CONTROLS},
    **{f"{v}.common": 0.0 for v in CONTROLS},
    **{f"{v}.within": w for v, w in zip(CONTROLS, (1.0, 1.0, 1.0, 1.0, 0.27, 1.0), strict=True)},
    **{f"{v}.rho": 0.6 for v in CONTROLS},
    **{
        f"{v}.slope": 0.35 * w
        for v, w in zip(CONTROLS, (1.0, 1.0, 1.0, 1.0, 0.27, 1.0), strict=True)
    },
    # robustness controls
    "lnpgdp.mean": 9.6,
    "lnpgdp.within": 0.06,
    **{f"lnpgdp.{v}": 0.0 for v in CONTROLS},
    "fispre.within": 0.15,
}
"""Where the calibration search starts (the hand-set twin of generator version 1, with
Table 3's estimates as structural coefficients and every new channel switched off)."""
_TABLE3 = paper.published(3).set_index(["column", "variable"])["coef"]
for _v in CONTROLS:  # Table 3's coefficients as starting values
    STARTING_PARAMETERS[f"innovp.{_v}"] = float(_TABLE3[(1, _v)])
    STARTING_PARAMETERS[f"nqp.{_v}"] = float(_TABLE3[(2, _v)])

_LOADING = {"fdi": 0.5, "hum": 0.6, "gov": -0.4, "lninstra": 0.3, "mar": 0.6, "fin": 0.5}
"""How strongly each control's level loads on the city development factor (fixed)."""
_TREND = {"fdi": -0.3, "hum": 0.6, "gov": 0.5, "lninstra": 0.8, "mar": 0.5, "fin": 0.6}
"""Common trend of each control over 2005–2022 on the latent scale (fixed)."""
CITY_BETA = (0.45, 0.72)
"""Shape of the distribution of nqp's city levels (its support is calibrated)."""


def load_calibration(path: str | Path = CALIBRATION_FILE) -> dict:
    """The committed calibration record: parameters, objective, seeds, versions.

    Missing file (e.g. before the first ``replicate calibrate``): the starting parameters.
    """
    path = Path(path)
    if not path.exists():
        return {"parameters": dict(STARTING_PARAMETERS), "generator_version": GENERATOR_VERSION}
    record = json.loads(path.read_text(encoding="utf-8"))
    if record.get("generator_version") != GENERATOR_VERSION:
        raise ValueError(
            f"{path} was calibrated for generator version {record.get('generator_version')}, "
            f"this code is version {GENERATOR_VERSION}: run `replicate calibrate` again."
        )
    unknown = set(record["parameters"]) - set(STARTING_PARAMETERS)
    if unknown:
        raise ValueError(f"{path}: unknown parameters {sorted(unknown)}; recalibrate.")
    return record


@functools.cache
def calibrated_parameters() -> dict[str, float]:
    """The parameters the twin uses by default (from :data:`CALIBRATION_FILE`)."""
    return {**STARTING_PARAMETERS, **load_calibration()["parameters"]}


def _coefficients(theta: Mapping[str, float]) -> dict[str, dict[str, float]]:
    nqp = {k: theta[f"nqp.{k}"] for k in ("did", "innovp", *CONTROLS)}
    innovp = {k: theta[f"innovp.{k}"] for k in ("did", *CONTROLS)}
    robust = {k: theta[f"nqp.{k}"] for k in ("lnpgdp", "fispre")}
    return {"nqp": nqp, "innovp": innovp, "robustness": robust}


@dataclass(frozen=True)
class Knobs:
    """Teaching switches of the data-generating process (all off by default).

    Attributes
    ----------
    cohort_effects : mapping of int to float, optional
        Direct effect on nqp per pilot batch, e.g. ``{2014: 0.25, 2015: 0.10, 2016: 0.0}``;
        default: the calibrated ``nqp.did`` for every batch.
    dynamic_slope : float
        Added to the effect for each year since the pilot (0 in the pilot year).
    anticipation : int
        Years before the pilot in which the effect already applies.
    pretrend : float
        Extra yearly growth of nqp in pilot cities before their pilot year (breaks
        parallel trends).
    conditional_trends : bool
        On by default: the controls move nqp and innovp, those of pilot cities trend
        differently and shift when the pilot starts, and provincial shocks coincide with
        the pilots (``κ·D̄_pt``), as the calibration to Tables 2 and 4 requires — so
        parallel trends hold only *conditional on the controls and province-by-year
        effects*. Off: the controls neither trend nor shift with pilot status nor enter the
        outcome equations, and provincial shocks are independent of the pilots, so
        parallel trends hold without controls too; the teaching chapter uses this to
        isolate the heterogeneity lessons.
    all_treated : bool
        True: the panel keeps only the pilot cities (no never-treated city), as a study
        that samples only eventually treated units; after the last batch's first year
        every city is treated. The truth (ATT, by batch, by event time) is unchanged.
    """

    cohort_effects: Mapping[int, float] | None = None
    dynamic_slope: float = 0.0
    anticipation: int = 0
    pretrend: float = 0.0
    conditional_trends: bool = True
    all_treated: bool = False


@dataclass(frozen=True, eq=False)
class Truth:
    """What the twin was generated with, for comparing estimates with the truth.

    Attributes
    ----------
    tau : Series
        Effect of the pilot on nqp in each city-year (direct + through innovp), panel order.
    att : float
        Mean of ``tau`` over treated city-years (did = 1): what TWFE should recover when
        effects are homogeneous.
    by_cohort : Series
        ATT per pilot batch.
    by_event_time : Series
        Mean effect by years since the pilot (−anticipation … 8).
    innovp_effect : float
        Effect of did on innovp (the calibrated ``innovp.did``).
    coefficients : dict
        The structural coefficients of the nqp and innovp equations.
    """

    tau: pd.Series
    att: float
    by_cohort: pd.Series
    by_event_time: pd.Series
    innovp_effect: float
    coefficients: dict
    knobs: Knobs


@dataclass(frozen=True, eq=False)
class Twin:
    """A generated panel, its truth and its metadata."""

    frame: pd.DataFrame
    truth: Truth
    seed: int
    reading: SubCityReading
    metadata: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"SYNTHETIC twin (seed {self.seed})"

    def panel(self):
        """The twin as a validated :class:`replicate.data.panel.Panel`."""
        from replicate.data.validate import Panel, validate

        balanced = "allow" if self.truth.knobs.all_treated else "require"
        frame, notes, coding = validate(
            self.frame, reading=self.reading, source=self.label, balanced=balanced
        )
        return Panel(frame, self.label, True, tuple(notes), coding, self.truth)

    def write(self, path: str | Path, force: bool = False) -> Path:
        """Write the panel (CSV, Parquet, Stata or Excel by suffix) labelled as synthetic.

        Through :func:`replicate.data.io.write_panel`: the label travels inside the file
        (a hash-bound sidecar for CSV), an existing file is replaced only with ``force``,
        and the write is atomic.
        """
        from replicate.data.io import write_panel

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.metadata, "synthetic": True, "label": self.label}
        return write_panel(self.frame, path, meta, force=force)


def _json(meta: dict) -> str:
    import json

    return json.dumps(meta, indent=2, sort_keys=True, default=str)


@functools.cache
def _beta_quantiles(n: int, a: float, b: float) -> np.ndarray:
    """Quantiles of Beta(a, b) at (r − 0.5)/n for ranks r = 1 … n (cached: every twin
    reuses them)."""
    out = stats.beta.ppf((np.arange(n) + 0.5) / n, a, b)
    out.flags.writeable = False
    return out


def beta_marginal(latent: np.ndarray, mean: float, sd: float, lo: float, hi: float) -> np.ndarray:
    """Map ``latent`` rank-for-rank onto a Beta distribution on [lo, hi] with this mean and s.d.

    The smallest and largest values are set to ``lo`` and ``hi`` exactly, so the sample has
    the published range.
    """
    width = hi - lo
    m, v = (mean - lo) / width, (sd / width) ** 2
    if not v < m * (1 - m):
        raise ValueError(f"no Beta distribution on [{lo}, {hi}] has mean {mean} and s.d. {sd}.")
    c = m * (1 - m) / v - 1
    ranks = stats.rankdata(latent, method="ordinal")
    out = lo + width * _beta_quantiles(ranks.size, m * c, (1 - m) * c)[ranks - 1]
    out[np.argmin(latent)] = lo
    out[np.argmax(latent)] = hi
    return out


def _ar1_filter(shocks: np.ndarray, rho: float) -> np.ndarray:
    """Stationary AR(1) paths with unit variance from standard normal ``shocks``
    (units × years), capped at ±3; smooth in ``rho`` for fixed shocks."""
    rho = float(np.clip(rho, -0.95, 0.95))
    out = np.empty_like(shocks)
    out[:, 0] = shocks[:, 0]
    scale = np.sqrt(1 - rho**2)
    for t in range(1, shocks.shape[1]):
        out[:, t] = rho * out[:, t - 1] + scale * shocks[:, t]
    return np.clip(out, -3.0, 3.0)


def _bounded_noise(
    mean: np.ndarray, sd: np.ndarray | float, shock: np.ndarray, lo: float, hi: float
) -> np.ndarray:
    """``scale · shock`` with the scale shrunk near the bounds so ``mean + noise`` ∈ [lo, hi]."""
    room = np.minimum(mean - lo, hi - mean) / 3.0
    return np.minimum(sd, np.maximum(room, 0.0)) * shock


@dataclass(frozen=True, eq=False)
class _Design:
    """Everything about the panel that does not depend on the seed or the parameters."""

    cities: pd.DataFrame
    years: np.ndarray
    g: np.ndarray
    did: np.ndarray
    treat: np.ndarray
    time: np.ndarray
    east: np.ndarray
    capital: np.ndarray
    province: np.ndarray
    pilot_share: np.ndarray
    """Share of the province's sample cities that are pilots in each year (cities × years)."""


@functools.cache
def _design(reading: SubCityReading) -> _Design:
    cities = raw.cities()
    coding = code_pilots(reading)
    years = np.array(raw.SAMPLE_YEARS)
    g = coding.first_year.reindex(cities["city_id"]).to_numpy()
    did = treated_now(g[:, None], years[None, :])
    province = pd.factorize(cities["province_code"])[0]
    share = pd.DataFrame(did).groupby(province).transform("mean").to_numpy()
    return _Design(
        cities,
        years,
        g,
        did,
        (g > 0).astype(float),
        (years - years[0]) / (years[-1] - years[0]),
        (cities["region"] == "east").to_numpy(float),
        cities["is_municipality"].to_numpy(float),
        province,
        share,
    )


def _draws(seed: int, n_c: int, n_t: int, n_p: int) -> dict[str, np.ndarray]:
    """Every random number of a twin, drawn in a fixed order with fixed shapes, so that
    the parameters move the data smoothly for a given seed (common random numbers)."""
    rng = np.random.default_rng(seed)
    out = {"z": rng.standard_normal(n_c), "F": rng.standard_normal((n_p, n_t))}
    out["C"] = rng.standard_normal((n_c, n_t))
    for v in CONTROLS:
        out[f"{v}.own"] = rng.standard_normal(n_c)
        out[f"{v}.slope"] = rng.standard_normal(n_c)
        out[f"{v}.shock"] = rng.standard_normal((n_c, n_t))
    for name in ("lnpgdp", "fispre"):
        out[f"{name}.city"] = rng.standard_normal(n_c)
        out[f"{name}.shock"] = rng.standard_normal((n_c, n_t))
    out["innovp.shock"] = rng.standard_normal((n_c, n_t))
    out["mu"] = rng.standard_normal(n_c)
    out["nqp.shock"] = rng.standard_normal((n_c, n_t))
    out["alt.shock"] = rng.standard_normal((n_c, n_t))
    out["innovp.trend"] = rng.standard_normal(n_c)
    out["nqp.trend"] = rng.standard_normal(n_c)
    for v in CONTROLS:
        out[f"{v}.province_own"] = rng.standard_normal((n_p, n_t))
        out[f"innovp.random_{v}"] = rng.standard_normal(n_c)
    return out


def simulate(
    theta: Mapping[str, float],
    seed: int,
    knobs: Knobs | None = None,
    reading: SubCityReading = "parent",
) -> dict[str, np.ndarray]:
    """The twin's variables as cities × years arrays (no DataFrame), plus ``tau``.

    The fast path used by :func:`make_twin` and by the calibration search.
    """
    knobs = knobs or Knobs()
    d = _design(reading)
    n_c, n_t = d.g.size, d.years.size
    r = _draws(seed, n_c, n_t, int(d.province.max()) + 1)
    on = 1.0 if knobs.conditional_trends else 0.0
    time, did = d.time, d.did

    # A city's development level: higher in pilot cities, eastern cities and municipalities.
    z = 0.8 * d.treat + 0.5 * d.east + 1.0 * d.capital + r["z"]
    z = (z - z.mean()) / z.std()
    F = r["F"][d.province]  # province-year factor, cities × years
    common = _ar1_filter(r["C"], 0.6)

    X, X_std = {}, {}
    for v in CONTROLS:
        w = theta[f"{v}.within"]
        load = _LOADING[v]
        level = load * z + np.sqrt(1 - load**2) * r[f"{v}.own"]
        slope = theta[f"{v}.slope"] * (r[f"{v}.slope"] + 0.3 * on * z)
        lat = (
            level[:, None]
            + (_TREND[v] + slope[:, None]) * time[None, :]
            + on * theta[f"{v}.pilot_shift"] * did
            + theta[f"{v}.province_year"] * F
            + theta[f"{v}.province_own"] * r[f"{v}.province_own"][d.province]
            + theta[f"{v}.common"] * common
            + 0.25 * w * _ar1_filter(r[f"{v}.shock"], theta[f"{v}.rho"])
        )
        mean, sd, lo, hi = TABLE1_TARGETS[v]
        X[v] = beta_marginal(lat.ravel(), mean, sd, lo, hi).reshape(n_c, n_t)
        X_std[v] = (X[v] - mean) / sd

    lnpgdp = (
        theta["lnpgdp.mean"]
        + 0.55 * z[:, None]
        + 1.5 * (time[None, :] - 0.5)
        + 0.25 * r["lnpgdp.city"][:, None]
        + theta["lnpgdp.within"] * _ar1_filter(r["lnpgdp.shock"], 0.7)
        + on * sum(theta[f"lnpgdp.{v}"] * X_std[v] for v in CONTROLS)
    )
    fispre = (
        np.exp(
            0.3
            - 0.45 * z[:, None]
            + 0.15 * time[None, :]
            + 0.35 * r["fispre.city"][:, None]
            + theta["fispre.within"] * _ar1_filter(r["fispre.shock"], 0.6)
        )
        - 0.4
    )

    # Mechanism: innovp. Controls enter on the regressions' scale.
    scale = {v: REGRESSION_SCALE.get(v, 1.0) for v in CONTROLS}
    xg = on * sum(theta[f"innovp.{v}"] * scale[v] * X[v] for v in CONTROLS)
    xg = xg - xg.mean()
    alpha = theta["innovp.level"] + theta["innovp.level_z"] * z - xg.mean(axis=1)
    # city-specific slopes on the controls (random coefficients, mean zero): the cities
    # differ in how their patents respond to each control
    random = on * sum(
        theta[f"innovp.random_{v}"]
        * r[f"innovp.random_{v}"][:, None]
        * scale[v]
        * (X[v] - X[v].mean(axis=1, keepdims=True))
        for v in CONTROLS
    )
    rest = (
        random
        + theta["innovp.trend"] * time[None, :] ** 1.5
        + theta["innovp.did"] * did
        + xg
        + theta["innovp.city_trend"] * r["innovp.trend"][:, None] * (time[None, :] - 0.5)
    )
    alpha = np.maximum(alpha, 1.0 - rest.min(axis=1))  # keep the mean path ≥ 1
    innovp_mean = alpha[:, None] + rest
    hetero = theta["innovp.hetero_did"] * did + on * sum(
        theta[f"innovp.hetero_{v}"] * np.clip(X_std[v], -3, 3) for v in CONTROLS
    )
    innovp_sd = theta["innovp.noise_sd"] * np.exp(hetero)
    innovp = innovp_mean + _bounded_noise(
        innovp_mean,
        innovp_sd,
        _ar1_filter(r["innovp.shock"], theta["innovp.noise_rho"]),
        0.0,
        np.inf,
    )

    # Outcome: nqp.
    event = np.where(d.g[:, None] > 0, d.years[None, :] - d.g[:, None], -999)
    effects = knobs.cohort_effects or {}
    base = np.array([effects.get(int(b), theta["nqp.did"]) if b > 0 else 0.0 for b in d.g])
    active = (event >= -knobs.anticipation) & (event != -999)
    tau_direct = np.where(active, base[:, None] + knobs.dynamic_slope * np.maximum(event, 0), 0.0)
    pretrend = np.where((event < 0) & (event != -999), knobs.pretrend * (event + 1), 0.0)

    ranks = stats.rankdata(z + 0.6 * r["mu"], method="ordinal")
    lo_mu, hi_mu = theta["nqp.city_low"], theta["nqp.city_high"]
    mu = lo_mu + (hi_mu - lo_mu) * _beta_quantiles(n_c, *CITY_BETA)[ranks - 1]
    psi = theta["nqp.province_year_sd"] * F + on * theta["nqp.province_pilot_share"] * (
        d.pilot_share - d.pilot_share.mean()
    )
    xd = on * sum(theta[f"nqp.{v}"] * scale[v] * X[v] for v in CONTROLS)
    robust = on * (
        theta["nqp.lnpgdp"] * (lnpgdp - lnpgdp.mean())
        + theta["nqp.fispre"] * (fispre - fispre.mean())
    )
    path = (
        theta["nqp.trend"] * time[None, :] ** 1.3
        + tau_direct
        + pretrend
        + theta["nqp.innovp"] * (innovp - innovp.mean())
        + xd
        - xd.mean()
        + psi
        + robust
        + theta["nqp.city_trend"] * r["nqp.trend"][:, None] * (time[None, :] - 0.5)
    )
    # Move a city's level only as far as needed for its whole path to fit in [0, NQP_MAX]:
    # mu is a city fixed effect, so this keeps the linear truth exact (no clipping).
    margin = 0.02
    low, high = margin - path.min(axis=1), NQP_MAX - margin - path.max(axis=1)
    if np.any(low > high):
        raise ValueError(
            "these knobs move nqp by more than its range [0, 6.246]; choose smaller effects."
        )
    n_moved = int(((mu < low) | (mu > high)).sum())
    mu = np.clip(mu, low, high)
    nqp_mean = mu[:, None] + path
    nqp_sd = theta["nqp.noise_sd"] * np.exp(
        theta["nqp.hetero_z"] * z[:, None] + theta["nqp.hetero_did"] * did
    )
    shock = _ar1_filter(r["nqp.shock"], theta["nqp.noise_rho"])
    nqp = nqp_mean + _bounded_noise(nqp_mean, nqp_sd, shock, 0.0, NQP_MAX)
    alt_mean = 0.85 * nqp_mean + 0.1
    nqp_alt = alt_mean + _bounded_noise(
        alt_mean, 0.5, _ar1_filter(r["alt.shock"], 0.3), 0.0, NQP_MAX
    )
    tau = tau_direct + theta["nqp.innovp"] * theta["innovp.did"] * did
    return {
        "did": did,
        "nqp": nqp,
        "innovp": innovp,
        **X,
        "lnpgdp": lnpgdp,
        "fispre": fispre,
        "nqp_alt": nqp_alt,
        "tau": tau,
        "event": event,
        "n_moved": np.array(n_moved),
    }


def make_twin(
    seed: int = DEFAULT_SEED,
    reading: SubCityReading = "parent",
    knobs: Knobs | None = None,
    parameters: Mapping[str, float] | None = None,
) -> Twin:
    """Generate the synthetic twin of the paper's panel.

    Parameters
    ----------
    seed : int
        Seed of the NumPy generator; the same seed gives the same panel byte for byte.
    reading : {"parent", "ignore"}
        Pilot coding of sub-city entries (see :func:`replicate.data.code_pilots`).
    knobs : Knobs, optional
        Teaching switches for heterogeneous, dynamic or anticipated effects and pre-trends.
    parameters : mapping, optional
        Model parameters overriding the calibrated ones (names as in
        :data:`STARTING_PARAMETERS`); unknown names are an error.

    Returns
    -------
    Twin
        ``frame`` in the panel schema, ``truth`` with the true effects, and metadata.
    """
    knobs = knobs or Knobs()
    theta = dict(calibrated_parameters())
    if parameters:
        unknown = set(parameters) - set(theta)
        if unknown:
            raise ValueError(
                f"unknown twin parameters {sorted(unknown)}; see synthetic.STARTING_PARAMETERS."
            )
        theta.update(parameters)
    sim = simulate(theta, seed, knobs, reading)
    d = _design(reading)
    n_c, n_t = d.g.size, d.years.size
    variables = ["nqp", "innovp", *CONTROLS, "lnpgdp", "fispre", "nqp_alt"]
    frame = pd.DataFrame(
        {
            "city_id": np.repeat(d.cities["city_id"].to_numpy(), n_t),
            "year": np.tile(d.years, n_c),
            "did": sim["did"].ravel().astype(int),
            **{v: sim[v].ravel().round(10) for v in variables},
        }
    )
    tau = sim["tau"]
    treated_rows = sim["did"].ravel() == 1
    g_rows, e_rows = np.repeat(d.g, n_t), sim["event"].ravel()
    by_cohort = pd.Series(
        {
            int(b): float(tau.ravel()[treated_rows & (g_rows == b)].mean())
            for b in raw.PILOT_BATCHES
        },
        name="att",
    )
    by_event = pd.Series(
        {
            int(e): float(tau.ravel()[(e_rows == e)].mean())
            for e in range(
                -max(knobs.anticipation, 1), int(d.years[-1] - min(raw.PILOT_BATCHES)) + 1
            )
        },
        name="effect",
    )
    coefficients = _coefficients(theta)
    keep = np.repeat(d.g > 0, n_t) if knobs.all_treated else np.ones(n_c * n_t, bool)
    frame = frame[keep].reset_index(drop=True)
    truth = Truth(
        pd.Series(tau.ravel()[keep], name="tau"),
        float(tau.ravel()[treated_rows].mean()),
        by_cohort,
        by_event,
        coefficients["innovp"]["did"],
        coefficients,
        knobs,
    )
    knob_dict = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in asdict(knobs).items()}
    metadata = {
        "generator": "replicate.data.synthetic.make_twin",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "reading": reading,
        "knobs": knob_dict,
        "parameters": "calibrated" if not parameters else "calibrated, with overrides",
        "cities_level_moved_into_range": int(sim["n_moved"]),
        "note": "Synthetic data calibrated to Liu & Zou's published statistics; "
        "not evidence about Chinese cities.",
    }
    return Twin(frame, truth, seed, reading, metadata)


NQP_COEFS = _coefficients(calibrated_parameters())["nqp"]
"""The calibrated structural coefficients of the nqp equation (regression scale)."""
INNOVP_COEFS = _coefficients(calibrated_parameters())["innovp"]
"""The calibrated structural coefficients of the innovp equation (regression scale)."""
ROBUSTNESS_COEFS = _coefficients(calibrated_parameters())["robustness"]
"""The calibrated coefficients of lnpgdp and fispre in the nqp equation."""
