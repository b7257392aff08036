"""The synthetic twin: a seeded, calibrated stand-in for the authors' unpublished panel.

It lives on the real 285 cities, their provinces and the real pilot timing, and follows
the paper's own estimates as its truth:

* covariates ``fdi hum gov lninstra mar fin`` have Table 1's mean, s.d., min and max: a
  latent panel process (a city factor that is higher in pilot cities, city-specific trends,
  AR(1) persistence) is mapped rank-for-rank onto a Beta distribution with those moments
  on exactly the published range;
* the coefficients apply on the regressions' scale, where ``mar`` and ``fin`` are in
  percent (``replicate.data.schema.REGRESSION_SCALE``), while the stored columns keep
  Table 1's scale;
* ``innovp`` follows Table 3 column (1): ``innovp = α_i + λ_t + 9.686·did + X'γ + e``;
* ``nqp`` follows Table 3 column (2): ``nqp = μ_i + λ_t + τ_it + 0.001·innovp + X'δ +
  ψ_pt + e``, so the total effect of ``did`` is 0.118 + 0.001 × 9.686 ≈ 0.128, as in
  Table 2 column (7).

Noise is heteroskedastic near the bounds (its scale shrinks to a third of the distance to
0 or 6.246, and the standardized shock is capped at 3), so ``nqp`` stays within
[0, 6.246] and ``innovp`` ≥ 0 by construction, while ``E[e | X] = 0`` keeps the truth
exact. Teaching knobs change ``τ_it``: cohort-specific effects, effects growing with time
since treatment, anticipation and a pre-trend; all off by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from replicate.data import raw
from replicate.data.pilots import SubCityReading, code_pilots, treated_now
from replicate.data.schema import REGRESSION_SCALE

DEFAULT_SEED = 20241128
NQP_MAX = 6.246
"""Upper bound of nqp (Table 1's maximum); the lower bound is 0 (ln(1 + 0))."""

TABLE1_TARGETS: dict[str, tuple[float, float, float, float]] = {
    # variable: (mean, s.d., min, max) — PAPER.md, Table 1 (N = 5,130)
    "fdi": (0.018, 0.019, 0.0, 0.199),
    "hum": (0.122, 0.116, 0.023, 1.473),
    "gov": (0.206, 0.211, 0.043, 0.604),
    "lninstra": (3.325, 0.544, 0.098, 6.810),
    "mar": (0.439, 0.246, 0.011, 1.959),
    "fin": (0.024, 0.012, 0.005, 0.213),
}
INNOVP_COEFS = {
    "did": 9.686,
    "fdi": -188.469,
    "hum": 83.282,
    "gov": -5.094,
    "lninstra": -25.812,
    "mar": 3.224,
    "fin": 1.122,
}
"""Table 3 column (1), the truth of the mechanism equation."""
NQP_COEFS = {
    "did": 0.118,
    "innovp": 0.001,
    "fdi": 0.685,
    "hum": 0.251,
    "gov": 0.010,
    "lninstra": 0.027,
    "mar": 0.020,
    "fin": -0.041,
}
"""Table 3 column (2), the truth of the outcome equation."""
ROBUSTNESS_COEFS = {"lnpgdp": 0.108, "fispre": -0.020}
"""Table 4 column (2)."""

# Calibration constants (chosen so the baseline TWFE gives R² ≈ 0.915 and s.e.(did) ≈ 0.028;
# tests/test_synthetic.py checks the outcome, benchmarks nothing).
CITY_BETA = (0.45, 0.72)  # shape of the nqp city-level distribution
CITY_RANGE = (0.05, 4.30)  # its support
TREND = 1.00  # rise of nqp's common year effect 2005 → 2022
NOISE_SD = 0.75  # nqp shock scale away from the bounds
NOISE_RHO = -0.12  # AR(1) persistence of nqp shocks
PROVINCE_YEAR_SD = 0.10  # province-by-year shocks (what Table 4 col. 1 absorbs)
COVARIATE_LOADING = {"fdi": 0.5, "hum": 0.6, "gov": -0.4, "lninstra": 0.3, "mar": 0.6, "fin": 0.5}
"""How strongly each control loads on the city development factor (pilot cities score higher)."""
COVARIATE_TREND = {"fdi": -0.3, "hum": 0.6, "gov": 0.5, "lninstra": 0.8, "mar": 0.5, "fin": 0.6}
"""Common trend of each control over 2005–2022 (latent scale)."""
COVARIATE_WITHIN = {"fdi": 1.0, "hum": 1.0, "gov": 1.0, "lninstra": 1.0, "mar": 0.27, "fin": 1.0}
"""Scale of within-city variation; mar's is set so its Table 2 s.e. (0.004) is plausible."""
INNOVP_NOISE_SD = 14.0
INNOVP_RHO = 0.35


@dataclass(frozen=True)
class Knobs:
    """Teaching switches of the data-generating process (all off by default).

    Attributes
    ----------
    cohort_effects : mapping of int to float, optional
        Direct effect on nqp per pilot batch, e.g. ``{2014: 0.25, 2015: 0.10, 2016: 0.0}``;
        default: 0.118 for every batch (Table 3 column 2).
    dynamic_slope : float
        Added to the effect for each year since the pilot (0 in the pilot year).
    anticipation : int
        Years before the pilot in which the effect already applies.
    pretrend : float
        Extra yearly growth of nqp in pilot cities before their pilot year (breaks
        parallel trends).
    conditional_trends : bool
        On by default: the controls move nqp and innovp (Table 3's coefficients), and those
        of pilot cities trend differently — their city factor loads on the covariate
        trends, and the rank mapping onto skewed marginals steepens the trends of
        high-level cities — so parallel trends hold only *conditional on the controls*, as
        the paper's drop from 0.144 to 0.125 when controls enter (Table 2) suggests of its
        data. Off: the controls neither trend with pilot status nor enter the outcome
        equations, so parallel trends hold without controls too; the teaching chapter
        uses this to isolate the heterogeneity lessons.
    """

    cohort_effects: Mapping[int, float] | None = None
    dynamic_slope: float = 0.0
    anticipation: int = 0
    pretrend: float = 0.0
    conditional_trends: bool = True


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
        Effect of did on innovp (9.686).
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
        from replicate.data.panel import Panel, validate

        frame, notes, coding = validate(self.frame, reading=self.reading, source=self.label)
        return Panel(frame, self.label, True, tuple(notes), coding, self.truth)

    def write(self, path: str | Path) -> Path:
        """Write the panel (CSV, Parquet, Stata or Excel by suffix) labelled as synthetic."""
        path = Path(path)
        meta = {**self.metadata, "synthetic": True, "label": self.label}
        suffix = path.suffix.lower()
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            self.frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
            sidecar = path.with_name(path.name + ".meta.json")
            sidecar.write_text(_json(meta), encoding="utf-8")
        elif suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(self.frame, preserve_index=False)
            table = table.replace_schema_metadata(
                {**(table.schema.metadata or {}), b"replicate": _json(meta).encode()}
            )
            pq.write_table(table, path)
        elif suffix == ".dta":
            self.frame.to_stata(
                path,
                write_index=False,
                data_label=self.label[:80],
                version=118,
                time_stamp=pd.Timestamp("2000-01-01").to_pydatetime(),
            )
        elif suffix in (".xlsx", ".xlsm"):
            with pd.ExcelWriter(path) as writer:
                self.frame.to_excel(writer, sheet_name="panel", index=False)
                pd.DataFrame(
                    {"key": list(meta), "value": [str(v) for v in meta.values()]}
                ).to_excel(writer, sheet_name="metadata", index=False)
        else:
            raise ValueError(f"{path}: choose a .csv, .parquet, .dta or .xlsx file name.")
        return path


def _json(meta: dict) -> str:
    import json

    return json.dumps(meta, indent=2, sort_keys=True, default=str)


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
    out = lo + width * stats.beta.ppf((ranks - 0.5) / ranks.size, m * c, (1 - m) * c)
    out[np.argmin(latent)] = lo
    out[np.argmax(latent)] = hi
    return out


def _ar1(rng: np.random.Generator, n_units: int, n_years: int, rho: float) -> np.ndarray:
    """Stationary AR(1) shocks with unit variance, shape (units, years), capped at ±3."""
    shocks = rng.standard_normal((n_units, n_years))
    out = np.empty_like(shocks)
    out[:, 0] = shocks[:, 0]
    scale = np.sqrt(1 - rho**2)
    for t in range(1, n_years):
        out[:, t] = rho * out[:, t - 1] + scale * shocks[:, t]
    return np.clip(out, -3.0, 3.0)


def _bounded_noise(
    mean: np.ndarray, sd: float, shock: np.ndarray, lo: float, hi: float
) -> np.ndarray:
    """``scale · shock`` with the scale shrunk near the bounds so ``mean + noise`` ∈ [lo, hi]."""
    room = np.minimum(mean - lo, hi - mean) / 3.0
    return np.minimum(sd, np.maximum(room, 0.0)) * shock


def make_twin(
    seed: int = DEFAULT_SEED,
    reading: SubCityReading = "parent",
    knobs: Knobs | None = None,
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

    Returns
    -------
    Twin
        ``frame`` in the panel schema, ``truth`` with the true effects, and metadata.
    """
    knobs = knobs or Knobs()
    rng = np.random.default_rng(seed)
    cities = raw.cities()
    coding = code_pilots(reading)
    years = np.array(raw.SAMPLE_YEARS)
    n_c, n_t = len(cities), len(years)
    g = coding.first_year.reindex(cities["city_id"]).to_numpy()
    treat = (g > 0).astype(float)
    time = (years - years[0]) / (years[-1] - years[0])  # 0 … 1
    did = treated_now(g[:, None], years[None, :])
    east = (cities["region"] == "east").to_numpy(float)
    capital = cities["is_municipality"].to_numpy(float)

    # A city's development level: higher in pilot cities, eastern cities and municipalities.
    z = 0.8 * treat + 0.5 * east + 1.0 * capital + rng.standard_normal(n_c)
    z = (z - z.mean()) / z.std()

    def latent(
        load_z: float, trend: float, slope_sd: float, ar_sd: float, rho: float = 0.6
    ) -> np.ndarray:
        own = rng.standard_normal(n_c)
        loading = 0.3 if knobs.conditional_trends else 0.0  # pilot cities' controls trend apart
        slope = slope_sd * rng.standard_normal(n_c) + loading * slope_sd * z
        level = load_z * z + np.sqrt(max(1 - load_z**2, 0.0)) * own
        return (
            level[:, None]
            + trend * time[None, :]
            + slope[:, None] * time[None, :]
            + ar_sd * _ar1(rng, n_c, n_t, rho)
        )

    X = {}
    for name, (mean, sd, lo, hi) in TABLE1_TARGETS.items():
        w = COVARIATE_WITHIN[name]
        lat = latent(
            COVARIATE_LOADING[name], COVARIATE_TREND[name], slope_sd=0.35 * w, ar_sd=0.25 * w
        )
        X[name] = beta_marginal(lat.ravel(), mean, sd, lo, hi).reshape(n_c, n_t)

    lnpgdp = (
        9.6
        + 0.55 * z[:, None]
        + 1.5 * time[None, :]
        + 0.25 * rng.standard_normal(n_c)[:, None]
        + 0.06 * _ar1(rng, n_c, n_t, 0.7)
    )
    fispre = (
        np.exp(
            0.3
            - 0.45 * z[:, None]
            + 0.15 * time[None, :]
            + 0.35 * rng.standard_normal(n_c)[:, None]
            + 0.15 * _ar1(rng, n_c, n_t, 0.6)
        )
        - 0.4
    )

    # Mechanism: innovp (patent applications per 10,000 people), Table 3 column (1).
    scale = {
        v: REGRESSION_SCALE.get(v, 1.0) for v in TABLE1_TARGETS
    }  # coefficients are per regression unit
    # Without conditional trends the controls do not enter the outcome equations at all, so
    # parallel trends hold with or without controls (see Knobs.conditional_trends).
    enter = 1.0 if knobs.conditional_trends else 0.0
    xg = enter * sum(INNOVP_COEFS[v] * scale[v] * X[v] for v in TABLE1_TARGETS)
    alpha = 40.0 + 18.0 * z - (xg.mean(axis=1) - xg.mean())
    alpha = np.maximum(alpha, 12.0 - xg.min(axis=1) + xg.mean())
    lam_i = 25.0 * time**1.5
    innovp_mean = alpha[:, None] + lam_i[None, :] + INNOVP_COEFS["did"] * did + xg - xg.mean()
    innovp_mean -= min(innovp_mean.min(), 0.0)
    innovp = innovp_mean + _bounded_noise(
        innovp_mean, INNOVP_NOISE_SD, _ar1(rng, n_c, n_t, INNOVP_RHO), 0.0, np.inf
    )

    # Outcome: nqp, Table 3 column (2) plus the robustness controls of Table 4 column (2).
    event = np.where(g[:, None] > 0, years[None, :] - g[:, None], -999)
    effects = knobs.cohort_effects or {}
    base = np.array([effects.get(int(b), NQP_COEFS["did"]) if b > 0 else 0.0 for b in g])
    active = (event >= -knobs.anticipation) & (event != -999)
    tau_direct = np.where(active, base[:, None] + knobs.dynamic_slope * np.maximum(event, 0), 0.0)
    pretrend = (
        np.where((event < 0) & (event != -999), knobs.pretrend * (event + 1), 0.0) * treat[:, None]
    )

    ranks = stats.rankdata(z + 0.6 * rng.standard_normal(n_c), method="ordinal")
    mu = CITY_RANGE[0] + (CITY_RANGE[1] - CITY_RANGE[0]) * stats.beta.ppf(
        (ranks - 0.5) / n_c, *CITY_BETA
    )
    lam = TREND * time**1.3
    provinces = pd.factorize(cities["province_code"])[0]
    psi = PROVINCE_YEAR_SD * rng.standard_normal((provinces.max() + 1, n_t))[provinces]
    xd = enter * sum(NQP_COEFS[v] * scale[v] * X[v] for v in TABLE1_TARGETS)
    robust = enter * (
        ROBUSTNESS_COEFS["lnpgdp"] * (lnpgdp - lnpgdp.mean(axis=0))
        + ROBUSTNESS_COEFS["fispre"] * (fispre - fispre.mean(axis=0))
    )
    path = (
        lam[None, :]
        + tau_direct
        + pretrend
        + NQP_COEFS["innovp"] * innovp
        + xd
        - xd.mean()
        + psi
        + robust
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
    shock = _ar1(rng, n_c, n_t, NOISE_RHO)
    nqp = nqp_mean + _bounded_noise(nqp_mean, NOISE_SD, shock, 0.0, NQP_MAX)
    alt_mean = 0.85 * nqp_mean + 0.1
    nqp_alt = alt_mean + _bounded_noise(alt_mean, 0.5, _ar1(rng, n_c, n_t, 0.3), 0.0, NQP_MAX)

    frame = pd.DataFrame(
        {
            "city_id": np.repeat(cities["city_id"].to_numpy(), n_t),
            "year": np.tile(years, n_c),
            "did": did.ravel().astype(int),
            "nqp": nqp.ravel(),
            "innovp": innovp.ravel(),
            **{v: X[v].ravel() for v in TABLE1_TARGETS},
            "lnpgdp": lnpgdp.ravel(),
            "fispre": fispre.ravel(),
            "nqp_alt": nqp_alt.ravel(),
        }
    )
    frame[frame.columns[3:]] = frame[frame.columns[3:]].round(10)

    tau = tau_direct + NQP_COEFS["innovp"] * INNOVP_COEFS["did"] * did
    tau_s = pd.Series(tau.ravel(), name="tau")
    treated_rows = did.ravel() == 1
    g_rows, e_rows = np.repeat(g, n_t), event.ravel()
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
            for e in range(-max(knobs.anticipation, 1), int(years[-1] - min(raw.PILOT_BATCHES)) + 1)
        },
        name="effect",
    )
    truth = Truth(
        tau_s,
        float(tau.ravel()[treated_rows].mean()),
        by_cohort,
        by_event,
        INNOVP_COEFS["did"],
        {"nqp": NQP_COEFS, "innovp": INNOVP_COEFS, "robustness": ROBUSTNESS_COEFS},
        knobs,
    )
    knob_dict = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in asdict(knobs).items()}
    metadata = {
        "generator": "replicate.data.synthetic.make_twin",
        "seed": seed,
        "reading": reading,
        "knobs": knob_dict,
        "cities_level_moved_into_range": n_moved,
        "note": "Synthetic data calibrated to Liu & Zou's published statistics; "
        "not evidence about Chinese cities.",
    }
    return Twin(frame, truth, seed, reading, metadata)
