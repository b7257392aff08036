"""Every defensible specification at once: the specification space as data, and a runner.

A *specification* is one choice on each of six dimensions (Simonsohn, Simmons & Nelson
2020, "Specification curve analysis", *Nature Human Behaviour* 4; Steegen, Tuerlinckx,
Gelman & Vanpaemel 2016, "Increasing transparency through a multiverse analysis",
*Perspectives on Psychological Science* 11):

``estimator``
    ``twfe`` (the paper's), ``cs_never`` / ``cs_notyet`` (Callaway–Sant'Anna, simple
    aggregation, never-treated or not-yet-treated controls), ``sun_abraham`` (average of
    the post-pilot event-time effects) and ``imputation`` (Borusyak–Jaravel–Spiess);
``controls``
    the paper's stepwise sets (Table 2's columns) or all 64 subsets of the six controls;
``fixed_effects``
    city + year; + province-by-year; + province-specific linear year trends;
``pilot_coding``
    sub-city entries treat their parent city or are ignored, with or without the entries
    that rest on a single secondary source (see :func:`replicate.data.code_pilots`);
``window``
    2005–2022; pre-COVID 2005–2019; 2010–2020 (every pilot batch observed at least four
    years before and after its pilot year);
``cluster``
    city; province; two-way city and year.

Not every estimator supports every choice; :data:`SUPPORT` lists what each one takes and
:func:`exclusions` says why the rest is left out. Each specification has a stable hash
(:attr:`Spec.hash`, the first 16 hex digits of the SHA-256 of its canonical JSON), so a
result is keyed by *what* was estimated, never by when or where.

:func:`estimate_spec` is the one place that calls an estimator. :func:`run_tasks` is the
runner, shared with :mod:`replicate.montecarlo`: serial in this process, on a Dask
``LocalCluster`` (one single-threaded worker process per core) or on an existing Dask
scheduler (``scheduler="tcp://…"`` or ``DASK_SCHEDULER_ADDRESS``; a ``dask-jobqueue`` or
``dask-kubernetes`` cluster works unchanged). Results are written incrementally to Parquet
keyed by specification hash and data fingerprint, so an interrupted run resumes and a
rerun with nothing changed computes nothing. Seeds come from the hashes and results are
sorted by hash with floats rounded to 10 significant digits, so the result table is
byte-identical serially and on a cluster of any size.

What specifications share is computed once per worker, on first use, and the numbers are
the same as each specification computed alone, bit for bit (``tests/test_multiverse.py``,
``benchmarks/multiverse.py``): each sample (pilot coding × years × effects, with its
province trends and city × year cells), and on it the TWFE demeaning of the outcome,
``did``, every control and trend (:class:`replicate.models.twfe.Within`), which each
control set and clustering then selects from; two-way clustering takes its three
sandwiches from one fit. On Dask, short specifications travel in chunks
(:func:`chunk_size`), ordered so that a chunk shares its sample (:func:`as_tasks`).

Written here: the space, the adapter, the two-way clustered variance (Cameron, Gelbach &
Miller 2011, "Robust inference with multiway clustering", *JBES* 29(2), eq. 2.12:
``V = V_city + V_year − V_city∩year``, with pyfixest's default small-sample factor
``G_min/(G_min − 1) · (N − 1)/(N − K)``; the tests check it against pyfixest
``vcov={"CRV1": "city_id+year"}``), the store and the summaries. From libraries: Dask
distributed (scheduling), pyarrow (Parquet), tqdm (progress), the estimators of
:mod:`replicate.models`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from replicate import paths
from replicate._options import check_choice
from replicate.data.pilots import ALL_EVIDENCE, code_pilots, treated_now
from replicate.data.schema import CONTROLS

Estimator = Literal["twfe", "cs_never", "cs_notyet", "sun_abraham", "imputation"]
FixedEffects = Literal["city+year", "city+year+province×year", "city+year+province trends"]
PilotCodingName = Literal[
    "parent", "parent, multi-source", "ignore", "ignore, multi-source", "as in the data"
]
Window = Literal["2005–2022", "2005–2019", "2010–2020"]
Cluster = Literal["city", "province", "city+year"]
ControlSets = Literal["stepwise", "subsets"]

ESTIMATORS: tuple[str, ...] = ("twfe", "cs_never", "cs_notyet", "sun_abraham", "imputation")
ESTIMATOR_LABELS = {
    "twfe": "TWFE",
    "cs_never": "Callaway–Sant'Anna, never treated",
    "cs_notyet": "Callaway–Sant'Anna, not yet treated",
    "sun_abraham": "Sun–Abraham",
    "imputation": "imputation (BJS)",
}
FIXED_EFFECTS: tuple[str, ...] = (
    "city+year",
    "city+year+province×year",
    "city+year+province trends",
)
CODINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "parent": ("parent", ALL_EVIDENCE),
    "parent, multi-source": ("parent", ("multi_source", "independent_confirmation")),
    "ignore": ("ignore", ALL_EVIDENCE),
    "ignore, multi-source": ("ignore", ("multi_source", "independent_confirmation")),
}
"""Pilot codings: (sub-city reading, evidence levels kept). "multi-source" drops the entries
resting on one secondary source (the 2015 batch's uncertain members; data/README.md)."""
WINDOWS: dict[str, tuple[int, int]] = {
    "2005–2022": (2005, 2022),
    "2005–2019": (2005, 2019),
    "2010–2020": (2010, 2020),
}
CLUSTERS: tuple[str, ...] = ("city", "province", "city+year")
DIMENSIONS = ("estimator", "controls", "fixed_effects", "pilot_coding", "window", "cluster")

SUPPORT: dict[str, dict[str, tuple[str, ...]]] = {
    "twfe": {"fixed_effects": FIXED_EFFECTS, "cluster": CLUSTERS},
    "sun_abraham": {
        "fixed_effects": ("city+year", "city+year+province trends"),
        "cluster": ("city", "province"),
    },
    "imputation": {
        "fixed_effects": ("city+year", "city+year+province trends"),
        "cluster": ("city", "province"),
    },
    "cs_never": {"fixed_effects": ("city+year",), "cluster": ("city", "province")},
    "cs_notyet": {"fixed_effects": ("city+year",), "cluster": ("city", "province")},
}
"""Which fixed effects and clusterings each estimator takes (the others are excluded)."""

_REASONS = {
    ("sun_abraham", "fixed_effects", "city+year+province×year"): "sun_abraham absorbs unit "
    "and time effects only; province trends enter as regressors instead",
    ("sun_abraham", "cluster", "city+year"): "sun_abraham clusters on one column and "
    "applies its own small-sample factor, so the raw sandwiches of the two-way sum are "
    "not available",
    ("imputation", "fixed_effects", "city+year+province×year"): "the imputation step fits "
    "unit and time effects only",
    ("imputation", "cluster", "city+year"): "imputation clusters on one column (its "
    "conservative variance sums scores within clusters)",
}
_CS_REASONS = {
    ("fixed_effects", "city+year+province×year"): "Callaway–Sant'Anna compares cohorts "
    "within 2×2 cells; there is no regression to add effects to",
    ("fixed_effects", "city+year+province trends"): "as for province×year",
    ("cluster", "city+year"): "the influence function is per city, so clustering by year "
    "is undefined in a panel",
}

PAPER_SPECS = {
    **{f"Table 2 ({j + 1})": (CONTROLS[:j], "city+year") for j in range(len(CONTROLS) + 1)},
    "Table 4 (1)": (CONTROLS, "city+year+province×year"),
}
"""The paper's own nqp specifications: TWFE, 285 cities, 2005–2022, parent coding, city
clusters; Table 2's stepwise controls and Table 4 column (1)'s province-by-year effects."""

SIGNIFICANT_DIGITS = 10
ALPHA = 0.05
RESULT_COLUMNS = (
    "hash",
    "estimate",
    "se",
    "lower",
    "upper",
    "pvalue",
    "nobs",
    "n_clusters",
    "status",
    "error",
    "warning",
)


# ----------------------------------------------------------------------------- the space


@dataclass(frozen=True)
class Spec:
    """One specification: a value on each dimension (see the module docstring)."""

    estimator: str
    controls: tuple[str, ...]
    fixed_effects: str = "city+year"
    pilot_coding: str = "parent"
    window: str = "2005–2022"
    cluster: str = "city"
    outcome: str = "nqp"

    def __post_init__(self) -> None:
        check_choice("estimator", self.estimator, ESTIMATORS)
        check_choice("fixed_effects", self.fixed_effects, FIXED_EFFECTS)
        check_choice("pilot_coding", self.pilot_coding, (*CODINGS, "as in the data"))
        check_choice("window", self.window, tuple(WINDOWS))
        check_choice("cluster", self.cluster, CLUSTERS)
        object.__setattr__(self, "controls", tuple(self.controls))

    def canonical(self) -> str:
        """The JSON the hash is taken of (sorted keys, no whitespace)."""
        record = asdict(self)
        record["controls"] = list(self.controls)
        return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def hash(self) -> str:
        """First 16 hex digits of the SHA-256 of :meth:`canonical`."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()[:16]

    @property
    def seed(self) -> int:
        """A seed derived from the hash (never from worker or submission order)."""
        return int(self.hash[:8], 16)

    @property
    def controls_label(self) -> str:
        return "+".join(self.controls) if self.controls else "none"

    @classmethod
    def from_row(cls, row: Mapping) -> Spec:
        controls = () if row["controls"] == "none" else tuple(str(row["controls"]).split("+"))
        return cls(
            estimator=row["estimator"],
            controls=controls,
            fixed_effects=row["fixed_effects"],
            pilot_coding=row["pilot_coding"],
            window=row["window"],
            cluster=row["cluster"],
            outcome=row.get("outcome", "nqp"),
        )


def control_sets(kind: ControlSets = "stepwise", controls: Sequence[str] = CONTROLS) -> list:
    """The paper's stepwise sets (none, then one more control at a time) or all subsets."""
    check_choice("controls", kind, ControlSets)
    controls = tuple(controls)
    if kind == "stepwise":
        return [controls[:j] for j in range(len(controls) + 1)]
    return [c for r in range(len(controls) + 1) for c in itertools.combinations(controls, r)]


def _paper_label(spec: Spec, paper_coding: str) -> str:
    if (spec.estimator, spec.pilot_coding, spec.window, spec.cluster) != (
        "twfe",
        paper_coding,
        "2005–2022",
        "city",
    ):
        return ""
    for label, (controls, fixed) in PAPER_SPECS.items():
        if spec.controls == tuple(controls) and spec.fixed_effects == fixed:
            return label
    return ""


def space(
    controls: ControlSets = "stepwise",
    estimators: Iterable[str] = ESTIMATORS,
    codings: Iterable[str] = tuple(CODINGS),
    windows: Iterable[str] = tuple(WINDOWS),
    outcome: str = "nqp",
    control_names: Sequence[str] = CONTROLS,
) -> pd.DataFrame:
    """The specification space as a table, one row per specification, sorted by hash.

    Every combination of the dimensions that :data:`SUPPORT` allows (see
    :func:`exclusions` for what is left out and why). Columns: ``hash``, the six
    dimensions (``controls`` as ``"fdi+hum"`` or ``"none"``), ``n_controls``, ``outcome``
    and ``paper`` (the paper's column label for its own specifications, else ``""``).
    """
    estimators, codings, windows = tuple(estimators), tuple(codings), tuple(windows)
    for e in estimators:
        check_choice("estimators", e, ESTIMATORS)
    for w in windows:
        check_choice("windows", w, tuple(WINDOWS))
    for c in codings:
        check_choice("codings", c, (*CODINGS, "as in the data"))
    paper_coding = "parent" if "parent" in codings else codings[0]
    rows = []
    for estimator in estimators:
        support = SUPPORT[estimator]
        for ctrl, fixed, coding, window, cluster in itertools.product(
            control_sets(controls, control_names),
            support["fixed_effects"],
            codings,
            windows,
            support["cluster"],
        ):
            spec = Spec(estimator, ctrl, fixed, coding, window, cluster, outcome)
            rows.append(
                {
                    "hash": spec.hash,
                    "estimator": estimator,
                    "controls": spec.controls_label,
                    "n_controls": len(ctrl),
                    "fixed_effects": fixed,
                    "pilot_coding": coding,
                    "window": window,
                    "cluster": cluster,
                    "outcome": outcome,
                    "paper": _paper_label(spec, paper_coding),
                }
            )
    table = pd.DataFrame(rows).sort_values("hash", kind="stable", ignore_index=True)
    if table["hash"].duplicated().any():  # a 64-bit collision would silently merge results
        raise RuntimeError("two specifications share a hash; lengthen Spec.hash.")
    return table


def exclusions() -> pd.DataFrame:
    """Choices an estimator does not take, with the reason (what :func:`space` leaves out)."""
    rows = []
    for estimator, support in SUPPORT.items():
        for dimension, allowed in (("fixed_effects", FIXED_EFFECTS), ("cluster", CLUSTERS)):
            for value in allowed:
                if value in support[dimension]:
                    continue
                reason = _REASONS.get((estimator, dimension, value)) or _CS_REASONS.get(
                    (dimension, value), ""
                )
                rows.append((ESTIMATOR_LABELS[estimator], dimension, value, reason))
    return pd.DataFrame(rows, columns=["estimator", "dimension", "choice left out", "reason"])


# ----------------------------------------------------------------------------- the data


@dataclass(frozen=True, eq=False)
class Prepared:
    """A panel made ready for many specifications (shipped once to every worker).

    ``frame`` is on the regressions' scale (``replication.regression_frame``); ``codings``
    maps each pilot-coding name to the first treatment year per ``city_id``.
    """

    frame: pd.DataFrame
    codings: dict[str, pd.Series]
    label: str
    synthetic: bool
    fingerprint: str


def fingerprint(frame: pd.DataFrame) -> str:
    """16 hex digits identifying the data (values, column names and order)."""
    h = hashlib.sha256()
    h.update(json.dumps(list(map(str, frame.columns))).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def prepare(panel, outcome: str = "nqp", recode: bool = True) -> Prepared:
    """Regression-scale frame, the pilot codings and the label of a Panel (or DataFrame).

    A DataFrame (or a Panel loaded with ``reading=None``) keeps its own ``g``/``did``: the
    only pilot coding is ``"as in the data"``; so does ``recode=False``.
    """
    from replicate.replication import regression_frame

    frame = regression_frame(panel)
    needed = ["city_id", "year", "g", "did", outcome]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the panel lacks columns {missing}; load it with replicate.data.load_panel, "
            "which derives g and did from the pilot lists."
        )
    keep = [c for c in [*needed, "province", *CONTROLS] if c in frame.columns]
    frame = frame[list(dict.fromkeys(keep))].reset_index(drop=True)
    codings: dict[str, pd.Series] = {}
    coding = getattr(panel, "coding", None)
    # The sub-city readings and evidence levels are the Broadband China lists' own: another
    # pilot policy (``load_panel(pilots=...)``) keeps its timing, "as in the data".
    if recode and coding is not None and getattr(coding, "is_broadband", True):
        for name, (reading, evidence) in CODINGS.items():
            codings[name] = code_pilots(reading, evidence).first_year
    label = getattr(panel, "label", "DataFrame")
    synthetic = bool(getattr(panel, "synthetic", False))
    return Prepared(frame, codings, str(label), synthetic, fingerprint(frame))


def codings_of(prepared: Prepared) -> tuple[str, ...]:
    """The pilot codings a prepared panel supports."""
    return tuple(prepared.codings) or ("as in the data",)


def spec_frame(spec: Spec, prepared: Prepared) -> tuple[pd.DataFrame, list[str]]:
    """The estimation sample of ``spec`` and the names of its province-trend regressors."""
    frame = prepared.frame
    if spec.pilot_coding != "as in the data":
        if spec.pilot_coding not in prepared.codings:
            raise ValueError(
                f"pilot_coding={spec.pilot_coding!r} needs a panel coded from the pilot lists; "
                "this one keeps its own did (use 'as in the data')."
            )
        g = frame["city_id"].map(prepared.codings[spec.pilot_coding]).fillna(0).astype(int)
        frame = frame.assign(g=g, did=treated_now(g, frame["year"]))
    lo, hi = WINDOWS[spec.window]
    frame = frame[(frame["year"] >= lo) & (frame["year"] <= hi)]
    trends: list[str] = []
    if spec.fixed_effects == "city+year+province trends":
        if "province" not in frame.columns:
            raise ValueError("province trends need a 'province' column in the panel.")
        provinces = sorted(frame["province"].unique())
        t = (frame["year"] - lo).to_numpy(float)
        # One province is left out: the sum of all province trends is the common trend,
        # which the year effects absorb.
        columns = {
            f"_trend_{i}": (frame["province"] == p).to_numpy(float) * t
            for i, p in enumerate(provinces[1:], 1)
        }
        trends = list(columns)
        frame = frame.assign(**columns)
    if spec.cluster == "city+year":
        cells = pd.MultiIndex.from_arrays([frame["city_id"], frame["year"]])
        frame = frame.assign(_city_year=pd.factorize(cells)[0])
    return frame.reset_index(drop=True), trends


_SHARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Per prepared panel (in each worker process): the estimation samples and TWFE
demeanings that several specifications share, built on first use."""


def _shared(prepared: Prepared, key: tuple, build: Callable[[], object]):
    store = _SHARED.setdefault(prepared, {})
    if key not in store:
        store[key] = build()
    return store[key]


def _sample(spec: Spec, prepared: Prepared) -> tuple[pd.DataFrame, list[str]]:
    """:func:`spec_frame`, built once per pilot coding, window and effects, with the
    ``_city_year`` column of two-way clustering whatever the clustering (the estimators
    never modify their data, and ignore columns they are not given; ``tests/test_multiverse.py``)."""
    key = ("frame", spec.pilot_coding, spec.window, spec.fixed_effects)
    twoway = replace(spec, cluster="city+year")
    return _shared(prepared, key, lambda: spec_frame(twoway, prepared))


def _absorb(spec: Spec) -> list[str]:
    """The fixed effects a TWFE specification absorbs."""
    if spec.fixed_effects == "city+year+province×year":
        return ["city_id", "year", "province#year"]
    return ["city_id", "year"]


def _within(spec: Spec, prepared: Prepared, frame: pd.DataFrame, trends: list[str]):
    """The TWFE demeaning of the outcome, ``did``, every control and the trends on this
    sample, once for all its control sets and clusterings (None where it cannot be built:
    each fit then demeans on its own and reports the problem)."""
    from replicate.models.twfe import within

    def build():
        try:
            with warnings.catch_warnings():  # said by each spec's own fit, not once here
                warnings.simplefilter("ignore")
                return within(frame, [spec.outcome, "did", *CONTROLS, *trends], _absorb(spec))
        except Exception:  # noqa: BLE001 - the spec's own fit raises it, with its message
            return None

    key = ("within", spec.pilot_coding, spec.window, spec.fixed_effects, spec.outcome)
    return _shared(prepared, key, build)


# ----------------------------------------------------------------------------- estimation


def _round(value) -> float:
    value = float(value)
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if np.isfinite(value) else float("nan")


def twoway_cluster(model, result, name: str = "did") -> tuple[float, int]:
    """Two-way (city, year) clustered variance of one coefficient, from one fit.

    ``model``: the :class:`~replicate.models.twfe.TWFE` model, on a frame with a
    ``_city_year`` column (each city-year its own cluster); ``result``: its
    ``fit(cluster="city_id", small_sample="none")`` (the raw city sandwich). The year and
    city × year sandwiches are computed from the same demeaned regressors and residuals.
    Cameron, Gelbach & Miller (2011), eq. 2.12: ``V = V_city + V_year − V_city∩year``,
    times pyfixest's default ``ssc``: ``G/(G − 1) · (N − 1)/(N − K)`` with ``G`` the
    smaller number of clusters and ``K`` the regressors, the intercept and the levels of
    fixed effects nested in neither clustering. Returns ``(variance, df = G − 1)``.
    """
    from replicate.models import fixed_effects as fe
    from replicate.models.twfe import sandwich

    j = result.params.index.get_loc(name)
    v = result.cov.loc[name, name]
    city = model.cluster_codes("city_id")
    year = model._clusters("year")  # warns below 30 clusters, as a fit clustered on it
    for column, sign in ((year, 1), (model._clusters("_city_year"), -1)):
        v = v + sign * sandwich(model.X_tilde, result.resid, "cluster", column, 1.0)[j, j]
    n = result.nobs
    g = min(result.n_clusters, int(year.max()) + 1)
    free = sum(
        fe.n_levels(c) - 1
        for c in model.codes
        if not (fe.is_nested(c, city) or fe.is_nested(c, year))
    )
    k = len(result.params) - 1 + 1 + free  # slopes, the intercept, non-nested effects
    return float(v * g / (g - 1) * (n - 1) / (n - k)), g - 1


def _inference(estimate: float, se: float, df: float | None) -> dict:
    from scipy import stats

    if not (np.isfinite(se) and se > 0):
        return {"lower": np.nan, "upper": np.nan, "pvalue": np.nan}
    dist, args = (stats.t, (df,)) if df else (stats.norm, ())  # unfrozen: 10× cheaper
    q = dist.ppf(1 - ALPHA / 2, *args)
    return {
        "lower": estimate - q * se,
        "upper": estimate + q * se,
        "pvalue": 2 * dist.sf(abs(estimate / se), *args),
    }


_CLUSTER_COLUMN = {"city": "city_id", "province": "province"}


def _warn_few_treated(model, result, column: str) -> None:
    """What ``fit(..., vcov={"CRV1": column})`` warns of few treated clusters
    (:func:`replicate.models.fit._warn_treated_clusters`, on the estimation sample's 0/1
    regressors and the cluster codes instead of the whole frame: the same counts)."""
    from replicate.models.fit import FEW_TREATED_CLUSTERS, _warn_treated_clusters

    X = model.X
    binary = {
        name: X[:, j]
        for j, name in enumerate(model.regressors)
        if X[:, j].min() != X[:, j].max() and np.isin(X[:, j], (0.0, 1.0)).all()
    }
    if not binary:
        return
    codes = model.cluster_codes(column)
    fewest = min(np.unique(codes[x == 1]).size for x in binary.values())
    if fewest < FEW_TREATED_CLUSTERS:  # the message is fit()'s own
        lean = pd.DataFrame({**binary, column: codes})
        everyone = np.ones(len(lean), dtype=bool)
        _warn_treated_clusters(lean, replace(result, cluster=column, sample=everyone), [*binary])


def _fit_twfe(spec: Spec, frame: pd.DataFrame, trends: list[str], within=None) -> dict:
    """TWFE as ``replicate.fit(f"{outcome} ~ did + controls + trends | effects", frame,
    vcov={"CRV1": cluster})`` computes it (same numbers and warnings), on ``within``'s
    shared demeaning when given; two-way clusters from one fit (:func:`twoway_cluster`)."""
    from replicate.models.twfe import TWFE

    regressors = ["did", *spec.controls, *trends]
    model = TWFE(frame, spec.outcome, regressors, _absorb(spec), within=within)
    if spec.cluster != "city+year":
        column = _CLUSTER_COLUMN[spec.cluster]
        res = model.fit(cov_type="cluster", cluster=column)
        _warn_few_treated(model, res, column)
        estimate, se = float(res.params["did"]), float(res.std_errors["did"])
        return {
            "estimate": estimate,
            "se": se,
            **_inference(estimate, se, res.df_resid),
            "nobs": res.nobs,
            "n_clusters": res.n_clusters,
        }
    res = model.fit(cov_type="cluster", cluster="city_id", small_sample="none")
    variance, df = twoway_cluster(model, res)
    for column in ("city_id", "year", "_city_year"):  # what fit() says of each clustering
        _warn_few_treated(model, res, column)
    if not variance > 0:
        raise ValueError(
            f"two-way clustered variance is {variance:.3g} (not positive); the "
            "Cameron–Gelbach–Miller sum can be negative in small samples."
        )
    estimate, se = float(res.params["did"]), float(np.sqrt(variance))
    return {
        "estimate": estimate,
        "se": se,
        **_inference(estimate, se, df),
        "nobs": res.nobs,
        "n_clusters": df + 1,
    }


def _estimate(spec: Spec, prepared: Prepared) -> dict:
    """The estimation itself (everything else in this module is bookkeeping).

    TWFE as :func:`replicate.fit` computes it (t distribution with G − 1 degrees of
    freedom, as the paper's tables), on the demeaning its sample shares with the other
    control sets and clusterings (:func:`_within`); the heterogeneity-robust estimators
    (:func:`fit_staggered`). Each sample is built once per worker (:func:`_sample`).
    """
    frame, trends = _sample(spec, prepared)
    if spec.estimator == "twfe":
        return _fit_twfe(spec, frame, trends, _within(spec, prepared, frame, trends))
    return fit_staggered(spec, frame, trends)


def fit_staggered(spec: Spec, frame: pd.DataFrame, trends: list[str]) -> dict:
    """A heterogeneity-robust specification on its sample (:func:`spec_frame`): the
    estimators of :mod:`replicate.models.staggered` with normal intervals, as their
    packages report. Callaway–Sant'Anna: doubly robust, ``simple`` aggregation (the ATT
    over treated city-years, the estimand closest to TWFE's), bootstrap seeded from the
    spec's hash."""
    from replicate.models import staggered as st

    y, controls = spec.outcome, list(spec.controls)
    keys = {"cohort": "g", "unit": "city_id", "time": "year"}
    cluster = _CLUSTER_COLUMN[spec.cluster]
    if spec.estimator == "sun_abraham":
        res = st.sun_abraham(frame, y, controls=[*controls, *trends], cluster=cluster, **keys)
    elif spec.estimator == "imputation":
        res = st.imputation(frame, y, controls=[*controls, *trends], cluster=cluster, **keys)
    else:
        res = st.callaway_santanna(
            frame,
            y,
            controls=controls,
            cluster=cluster,
            control_group="nevertreated" if spec.estimator == "cs_never" else "notyettreated",
            aggregation="simple",
            aggregations=("simple",),  # the headline only: no bootstrap for the other three
            seed=spec.seed,
            **keys,
        )
    estimate, se = float(res.estimate), float(res.se)
    return {
        "estimate": estimate,
        "se": se,
        **_inference(estimate, se, None),
        "nobs": int(res.nobs),
        "n_clusters": int(frame[cluster].nunique()),
    }


def estimate_spec(spec: Spec | Mapping, panel) -> dict:
    """Estimate one specification on a panel; never raises.

    Parameters
    ----------
    spec : Spec or mapping
        A :class:`Spec` or a row of :func:`space`.
    panel : Prepared, Panel or DataFrame
        The data (a :class:`Prepared` is used as is, anything else is prepared first).

    Returns
    -------
    dict
        The row of :data:`RESULT_COLUMNS`: the estimate of ``did``'s effect, its standard
        error, 95% interval and p-value, N and clusters, ``status`` (``"ok"``/``"failed"``),
        the error of a failed specification and the distinct warnings raised.
    """
    if not isinstance(spec, Spec):
        spec = Spec.from_row(spec)
    prepared = panel if isinstance(panel, Prepared) else prepare(panel, spec.outcome)
    row = {c: np.nan for c in RESULT_COLUMNS}
    row.update(hash=spec.hash, status="ok", error="", warning="")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            row.update(_estimate(spec, prepared))
        except Exception as exc:  # a failed specification is recorded, never fatal
            row.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:500])
    messages = sorted(
        {
            str(w.message).splitlines()[0][:200]
            for w in caught
            if issubclass(w.category, UserWarning | RuntimeWarning)
        }
    )
    row["warning"] = " | ".join(messages)[:500]
    for name in ("estimate", "se", "lower", "upper", "pvalue"):
        row[name] = _round(row[name])
    for name in ("nobs", "n_clusters"):
        row[name] = int(row[name]) if pd.notna(row[name]) else -1
    return row


# ----------------------------------------------------------------------------- the runner


@dataclass(frozen=True, eq=False)
class RunReport:
    """What a run did: the result table and how much was computed, reused or failed."""

    results: pd.DataFrame
    computed: int
    reused: int
    failed: int
    interrupted: bool
    seconds: float
    workers: int
    path: Path | None = None
    meta: dict = field(default_factory=dict)


def _store(out: Path) -> Path:
    return out / "store"


def _read_store(out: Path | None, data_hash: str) -> pd.DataFrame:
    """Rows already computed for this data (any space), from every part file."""
    if out is None or not _store(out).exists():
        return pd.DataFrame()
    parts = sorted(_store(out).glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame()
    rows = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    rows = rows[rows["data_hash"] == data_hash]
    return rows.drop_duplicates(["data_hash", "hash", "row"], keep="last")


def _write_parquet(frame: pd.DataFrame, path: Path, meta: Mapping | None = None) -> None:
    """Atomic, deterministic Parquet write (no index, sorted metadata, temp file + rename)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if meta is not None:
        blob = json.dumps(dict(meta), sort_keys=True, ensure_ascii=False, default=str)
        table = table.replace_schema_metadata({b"replicate": blob.encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def _flush(out: Path | None, rows: list[dict], data_hash: str) -> None:
    if out is None or not rows:
        return
    store = _store(out)
    store.mkdir(parents=True, exist_ok=True)
    n = len(list(store.glob("part-*.parquet")))
    frame = pd.DataFrame(rows).assign(data_hash=data_hash)
    _write_parquet(frame, store / f"part-{n:06d}-{os.getpid()}-{time.monotonic_ns()}.parquet")
    rows.clear()


def _compact(out: Path) -> None:
    """Merge the part files into one (all data fingerprints kept)."""
    parts = sorted(_store(out).glob("part-*.parquet"))
    if len(parts) <= 1:
        return
    rows = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    rows = rows.drop_duplicates(["data_hash", "hash", "row"], keep="last")
    _write_parquet(
        rows.sort_values(["data_hash", "hash", "row"], ignore_index=True), out / "tmp.parquet"
    )
    for p in parts:
        p.unlink()
    os.replace(out / "tmp.parquet", _store(out) / "part-000000.parquet")


def _as_rows(result, task_hash: str) -> list[dict]:
    rows = result if isinstance(result, list) else [result]
    return [{**r, "hash": task_hash, "row": i} for i, r in enumerate(rows)]


def _client(scheduler: str | None, workers: int | None):
    """(client, cluster) for an address, ``DASK_SCHEDULER_ADDRESS`` or a new LocalCluster."""
    from distributed import Client

    address = (
        None if scheduler == "local" else scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    )
    if address:
        try:
            return Client(address, timeout=CONNECT_SECONDS), None
        except OSError as exc:
            raise ValueError(
                f"cannot reach a Dask scheduler at {address!r} ({exc}). Start one "
                "(`dask scheduler`, then `dask worker ADDRESS` on each machine), or leave out "
                "--scheduler / DASK_SCHEDULER_ADDRESS to use this machine's cores."
            ) from None
    return local_cluster(workers)


CONNECT_SECONDS = 10


SINGLE_THREAD = {
    name: 1
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "RAYON_NUM_THREADS",  # pyfixest's compiled demeaning
        "NUMBA_NUM_THREADS",
    )
}
"""Environment of each worker process: one thread each, so workers do not oversubscribe
the cores (Dask sets the first three itself; pyfixest's Rust core uses rayon)."""


def local_cluster(workers: int | None = None):
    """(client, cluster): a ``LocalCluster`` of single-threaded worker processes."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers={workers}: give at least one worker process.")
    import dask
    from distributed import Client, LocalCluster

    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **SINGLE_THREAD}
    # Dask's MALLOC_TRIM_THRESHOLD_ (64 KiB) hands freed memory back to the system at once;
    # the many small fits here then spend ≈ 15% more CPU on page faults. Memory is small.
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            # scheduler, workers and dashboard on loopback only, each on a free port (never
            # clashes with another cluster); Dask's ":0" dashboard would listen on 0.0.0.0
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
    return Client(cluster), cluster


CHUNK_MAX = 32
"""At most this many tasks per Dask task (see :func:`chunk_size`)."""


def chunk_size(n_tasks: int, n_workers: int) -> int:
    """Tasks sent to a worker at once: each Dask task costs ≈ 4 ms of CPU in the scheduler,
    the client and the worker (measured with empty tasks on 2 workers), as much as a TWFE
    specification, so short tasks go in chunks — at least 8 chunks per worker, so the
    workers finish together, and at most :data:`CHUNK_MAX` tasks in one."""
    return max(1, min(CHUNK_MAX, n_tasks // (8 * max(n_workers, 1))))


def _run_chunk(fn: Callable, tasks: Sequence[Mapping], shared: object) -> list[tuple]:
    """``fn`` on each task of a chunk: (hash, result), or (hash, the exception it raised)."""
    out = []
    for task in tasks:
        try:
            out.append((task["hash"], fn(task, shared)))
        except Exception as exc:  # noqa: BLE001 - reported per task, as a lost future is
            out.append((task["hash"], exc))
    return out


FLUSH_SECONDS = 15.0
"""At most this long between writes of finished results, so a kill loses little."""


def run_tasks(
    tasks: pd.DataFrame,
    fn: Callable[[Mapping, object], dict | list[dict]],
    shared: object,
    *,
    data_hash: str,
    out: str | Path | None = None,
    scheduler: str | None = "serial",
    workers: int | None = None,
    progress: bool = True,
    flush_every: int = 50,
    stop_after: int | None = None,
    name: str = "specifications",
    chunk: int | None = 1,
) -> RunReport:
    """Run ``fn(task, shared)`` for every row of ``tasks`` not already in the store.

    Parameters
    ----------
    tasks : DataFrame
        One row per task with a unique ``hash`` column.
    fn : callable
        Module-level function (workers import it) returning a row or a list of rows.
    shared : object
        Sent once to every worker (``Client.scatter(broadcast=True)``).
    data_hash : str
        Fingerprint of the data: stored rows of other data are not reused.
    out : path, optional
        Directory of the Parquet store (``out/store/part-*.parquet``); None keeps nothing.
    scheduler : "serial", "local", None or address
        ``"serial"``: this process. ``"local"``: a new ``LocalCluster``. None:
        ``DASK_SCHEDULER_ADDRESS`` if set, else a
        ``LocalCluster`` with ``workers`` single-threaded processes (default: the cores).
        An address (``tcp://host:8786``): that scheduler's workers.
    progress : bool
        A tqdm bar on stderr: done, failed, remaining.
    flush_every : int
        Rows buffered before a part file is written (or after :data:`FLUSH_SECONDS`).
    (a ``priority`` column in ``tasks``, if present, orders the tasks on Dask: highest first)
    stop_after : int, optional
        Stop (as if interrupted) after this many tasks; for tests of resuming.
    chunk : int or None
        On Dask, tasks per Dask task (run one after the other on a worker, each stored
        under its own hash as before); None: :func:`chunk_size` of the tasks and workers.

    Returns
    -------
    RunReport
        ``results``: one row per task row (``hash``, ``row``, the function's columns),
        sorted by hash — the same bytes whatever the scheduler.
    """
    if "hash" not in tasks.columns or tasks["hash"].duplicated().any():
        raise ValueError("tasks needs a unique 'hash' column (see Spec.hash).")
    out = Path(out) if out is not None else None
    start = time.perf_counter()
    stored = _read_store(out, data_hash)
    wanted = set(tasks["hash"])
    done = set(stored["hash"]) & wanted if len(stored) else set()
    todo = tasks[~tasks["hash"].isin(done)]
    records = todo.to_dict("records")
    new_rows: list[dict] = []
    buffer: list[dict] = []
    failed = 0
    interrupted = False
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(records), desc=name, unit="spec", file=sys.stderr, leave=True)

    last_flush = time.monotonic()

    def collect(task_hash: str, result) -> None:
        nonlocal failed, last_flush
        rows = _as_rows(result, task_hash)
        failed += int(any(r.get("status") == "failed" for r in rows))
        new_rows.extend(rows)
        buffer.extend(rows)
        if len(buffer) >= flush_every or time.monotonic() - last_flush > FLUSH_SECONDS:
            _flush(out, buffer, data_hash)
            last_flush = time.monotonic()
        if bar is not None:
            bar.update(1)
            bar.set_postfix(failed=failed, remaining=bar.total - bar.n, refresh=False)

    n_workers = 1
    try:
        if scheduler == "serial" or not records:
            for i, task in enumerate(records):
                if stop_after is not None and i >= stop_after:
                    interrupted = True
                    break
                collect(task["hash"], fn(task, shared))
        else:
            from distributed import as_completed

            client, cluster = _client(scheduler, workers)
            try:
                n_workers = len(client.scheduler_info()["workers"]) or 1
                remote = client.scatter(shared, broadcast=True)
                size = chunk or chunk_size(len(records), n_workers)
                groups = [records[i : i + size] for i in range(0, len(records), size)]
                futures = [
                    client.submit(
                        _run_chunk,
                        fn,
                        group,
                        remote,
                        key=f"{name}-{group[0]['hash']}" + (f"-{len(group)}" if size > 1 else ""),
                        pure=False,
                        priority=max(int(task.get("priority", 0)) for task in group),
                    )
                    for group in groups
                ]
                by_key = {f.key: group for f, group in zip(futures, groups, strict=True)}
                finished = 0
                for future in as_completed(futures):
                    try:
                        results = future.result()
                    except Exception as exc:  # worker lost etc.: counted, not stored
                        results = [(t["hash"], exc) for t in by_key[future.key]]
                    for task_hash, result in results:
                        if stop_after is not None and finished >= stop_after:
                            interrupted = True
                            break
                        finished += 1
                        if isinstance(result, Exception):
                            failed += 1
                            print(
                                f"{task_hash}: {type(result).__name__}: {result}", file=sys.stderr
                            )
                            continue
                        collect(task_hash, result)
                    if interrupted:
                        client.cancel(futures)
                        break
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        _flush(out, buffer, data_hash)
        if bar is not None:
            bar.close()
    if out is not None and not interrupted:
        _compact(out)
    everything = pd.concat(
        [stored.drop(columns="data_hash") if len(stored) else None, pd.DataFrame(new_rows)],
        ignore_index=True,
    )
    everything = everything[everything["hash"].isin(wanted)] if len(everything) else everything
    if len(everything):
        everything = everything.drop_duplicates(["hash", "row"], keep="last")
        everything = everything.sort_values(["hash", "row"], kind="stable", ignore_index=True)
    return RunReport(
        results=everything,
        computed=len(records) if not interrupted else len({r["hash"] for r in new_rows}),
        reused=len(done),
        failed=failed,
        interrupted=interrupted,
        seconds=time.perf_counter() - start,
        workers=n_workers,
        path=out,
    )


# ----------------------------------------------------------------------------- the multiverse


@dataclass(frozen=True, eq=False)
class Multiverse:
    """Every specification with its result.

    Attributes
    ----------
    table : DataFrame
        :func:`space`'s columns joined with :data:`RESULT_COLUMNS`, sorted by hash.
    label, synthetic, data_hash : provenance of the data the results were computed on.
    """

    table: pd.DataFrame
    label: str
    synthetic: bool
    data_hash: str

    @property
    def ok(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "ok"]

    def meta(self) -> dict:
        return {
            "label": self.label,
            "synthetic": self.synthetic,
            "data_hash": self.data_hash,
            "specifications": len(self.table),
            "generator": "replicate.multiverse",
        }

    def write(self, path: str | Path) -> Path:
        """The table as Parquet with its provenance in the file's metadata (deterministic)."""
        path = Path(path)
        _write_parquet(self.table, path, self.meta())
        return path


def _result_table(specs: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    results = results.drop(columns=["row"], errors="ignore")
    table = specs.merge(results[list(RESULT_COLUMNS)], on="hash", how="left", validate="1:1")
    table["status"] = table["status"].fillna("not run")
    for c in ("error", "warning"):
        table[c] = table[c].fillna("")
    table["nobs"] = table["nobs"].fillna(-1).astype("int64")
    table["n_clusters"] = table["n_clusters"].fillna(-1).astype("int64")
    return table.sort_values("hash", ignore_index=True)


COST = {"cs_never": 10, "cs_notyet": 10, "sun_abraham": 3, "imputation": 1, "twfe": 1}
"""Rough relative run time of each estimator's specifications (Dask priority)."""


def as_tasks(specs: pd.DataFrame) -> pd.DataFrame:
    """The specifications in the order they are sent to Dask, with a ``priority``: long
    tasks first, so no worker is left alone with a slow one at the end; then the
    specifications that share a sample side by side, so a chunk shares it on one worker."""
    tasks = specs.assign(priority=specs["estimator"].map(COST).fillna(1).astype(int))
    order = ["priority", "estimator", "pilot_coding", "window", "fixed_effects", "controls"]
    order = [c for c in order if c in tasks.columns]
    return tasks.sort_values(order, ascending=[False] + [True] * (len(order) - 1), kind="stable")


def _spec_task(task: Mapping, prepared: Prepared) -> dict:
    return estimate_spec(task, prepared)


def run_multiverse(
    panel="synthetic",
    specs: pd.DataFrame | None = None,
    *,
    out: str | Path | None = None,
    scheduler: str | None = "serial",
    workers: int | None = None,
    progress: bool = True,
    stop_after: int | None = None,
) -> tuple[Multiverse, RunReport]:
    """Estimate every specification of ``specs`` (default: :func:`space`) on ``panel``.

    ``panel`` is ``"synthetic"`` (the default twin), a path, a Panel or a DataFrame. See
    :func:`run_tasks` for ``out``, ``scheduler``, ``workers``, ``progress``.
    """
    from replicate.data import load_panel

    if isinstance(panel, str | Path):
        panel = load_panel(panel)
    prepared = prepare(panel)
    if specs is None:
        specs = space(codings=codings_of(prepared))
    if not len(specs):
        raise ValueError("specs is empty: pass at least one row of multiverse.space().")
    report = run_tasks(
        as_tasks(specs),
        _spec_task,
        prepared,
        data_hash=prepared.fingerprint,
        out=out,
        scheduler=scheduler,
        workers=workers,
        progress=progress,
        stop_after=stop_after,
        chunk=None,
    )
    table = _result_table(specs, report.results) if len(report.results) else specs
    return Multiverse(table, prepared.label, prepared.synthetic, prepared.fingerprint), report


def load(path: str | Path) -> Multiverse:
    """Read results written by :meth:`Multiverse.write` (``replicate multiverse --export``)."""
    import pyarrow.parquet as pq

    path = paths.require(Path(path))
    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(b"replicate", b"{}"))
    if "data_hash" not in meta:
        raise ValueError(f"{path} was not written by replicate.multiverse (no metadata).")
    return Multiverse(table.to_pandas(), meta["label"], bool(meta["synthetic"]), meta["data_hash"])


def published_estimates() -> pd.Series:
    """The paper's own published estimates of ``did`` for the specifications of
    :data:`PAPER_SPECS` (from :func:`replicate.paper.published`), indexed by label."""
    from replicate import paper

    values = {}
    for label in PAPER_SPECS:
        table, column = label.split(" (")
        rows = paper.published(int(table.split()[1]))
        hit = rows[(rows["column"] == int(column.rstrip(")"))) & (rows["variable"] == "did")]
        values[label] = float(hit["coef"].iloc[0])
    return pd.Series(values, name="published")


# ----------------------------------------------------------------------------- summaries


def robustness_summary(
    result: Multiverse, reference: str = "Table 2 (7)", truth: float | None = None
) -> pd.DataFrame:
    """Shares of specifications with the reference specification's sign, significant at 5%,
    and both, per estimator and overall (specifications with a standard error); with a
    known ``truth`` (the twin's), also the share of 95% intervals that cover it."""
    ok = result.ok
    ref = ok.loc[ok["paper"] == reference, "estimate"]
    sign = float(np.sign(ref.iloc[0])) if len(ref) else float(np.sign(ok["estimate"].median()))
    frame = ok.assign(
        same_sign=np.sign(ok["estimate"]) == sign,
        significant=ok["pvalue"] < ALPHA,
        has_se=ok["se"].notna(),
    )
    frame["both"] = frame["same_sign"] & frame["significant"]
    if truth is not None:
        frame["covers"] = (frame["lower"] <= truth) & (truth <= frame["upper"])

    def block(d: pd.DataFrame) -> dict:
        with_se = d[d["has_se"]]
        return {
            "specifications": len(d),
            "median estimate": d["estimate"].median(),
            "same sign": d["same_sign"].mean(),
            "with s.e.": len(with_se),
            "significant (5%)": with_se["significant"].mean() if len(with_se) else np.nan,
            "same sign and significant": with_se["both"].mean() if len(with_se) else np.nan,
            **(
                {"interval covers the truth": with_se["covers"].mean()} if truth is not None else {}
            ),
        }

    rows = {ESTIMATOR_LABELS[e]: block(d) for e, d in frame.groupby("estimator", sort=False)}
    rows["all specifications"] = block(frame)
    order = [ESTIMATOR_LABELS[e] for e in ESTIMATORS if ESTIMATOR_LABELS[e] in rows]
    table = pd.DataFrame(rows).T.loc[[*order, "all specifications"]]
    return table.astype(float).astype({"specifications": int, "with s.e.": int})


def summary_glue(
    result: Multiverse, summary: pd.DataFrame, truth: float | None = None
) -> dict[str, str]:
    """The chapter's sentences' numbers, computed from ``result`` and its
    :func:`robustness_summary` (keys are the chapter's glue names)."""
    ok = result.ok
    overall = summary.loc["all specifications"]
    paper_rows = ok[ok["paper"] != ""]
    published = published_estimates()
    texts = {
        "mv_n": f"{len(ok):,}",
        "mv_total": f"{len(result.table):,}",
        "mv_same_sign": f"{overall['same sign']:.0%}",
        "mv_significant": f"{overall['significant (5%)']:.0%}",
        "mv_both": f"{overall['same sign and significant']:.0%}",
        "mv_median": f"{overall['median estimate']:.3f}",
        "mv_range": f"{ok['estimate'].quantile(0.05):.3f} to {ok['estimate'].quantile(0.95):.3f}",
        "mv_published_range": f"{published.min():.3f} to {published.max():.3f}",
        "mv_paper_n": f"{len(published)}",
        "mv_paper_range": (
            f"{paper_rows['estimate'].min():.3f} to {paper_rows['estimate'].max():.3f}"
            if len(paper_rows)
            else "no estimate (none of them is in this run)"
        ),
        "mv_data": "the synthetic twin" if result.synthetic else result.label,
        "mv_truth": "",
    }
    if truth is not None and "interval covers the truth" in overall:
        texts["mv_truth"] = (
            f"On this synthetic twin the true effect is {truth:.3f}; "
            f"{overall['interval covers the truth']:.0%} of the 95% intervals cover it."
        )
    return texts


def variance_decomposition(result: Multiverse) -> pd.DataFrame:
    """Which choices move the estimate: a variance decomposition over the dimensions.

    For each dimension, ``alone``: the share of the estimates' variance explained by that
    dimension's means (one-way η²); ``last``: the drop in R² when it leaves an additive
    least-squares model of all dimensions (its unique contribution). The design is not
    fully crossed (:func:`exclusions`), so ``alone`` shares need not add up.
    """
    ok = result.ok.reset_index(drop=True)
    y = ok["estimate"].to_numpy(float)
    tss = float(((y - y.mean()) ** 2).sum())
    dims = [d for d in DIMENSIONS if ok[d].nunique() > 1]

    def r2(columns: list[str]) -> float:
        if not columns:
            return 0.0
        x = pd.get_dummies(ok[columns].astype(str), drop_first=True, dtype=float)
        x.insert(0, "const", 1.0)
        beta, *_ = np.linalg.lstsq(x.to_numpy(), y, rcond=None)
        resid = y - x.to_numpy() @ beta
        return 1 - float(resid @ resid) / tss

    full = r2(dims)
    rows = {
        d: {
            "choices": ok[d].nunique(),
            "alone (η²)": r2([d]),
            "last (ΔR²)": full - r2([e for e in dims if e != d]),
        }
        for d in dims
    }
    table = pd.DataFrame(rows).T.sort_values("alone (η²)", ascending=False)
    table.loc["all (additive R²)"] = [np.nan, full, np.nan]
    table["choices"] = table["choices"].astype("Int64")
    return table


DIMENSION_LABELS = {
    "estimator": "estimator",
    "controls": "controls",
    "fixed_effects": "fixed effects",
    "pilot_coding": "pilot coding",
    "window": "years",
    "cluster": "clusters",
}


def specification_curve(result: Multiverse, title: str | None = None, truth: float | None = None):
    """The specification curve (Simonsohn, Simmons & Nelson 2020, Fig. 2 layout).

    Top: every estimate sorted, with its 95% interval (grey where it includes zero),
    the paper's own specifications marked. Bottom: one row per choice, a mark where a
    specification makes it. Uses :mod:`replicate.report.figures`' style and stamps
    synthetic data. ``truth``: a known true effect (the twin's ATT), drawn as a dashed line.
    """
    import matplotlib.pyplot as plt

    from replicate.report import figures

    ok = result.ok.sort_values(["estimate", "hash"], ignore_index=True)
    x = np.arange(len(ok))
    dims = [d for d in DIMENSIONS if ok[d].nunique() > 1 and d != "controls"]
    if "n_controls" in ok and ok["n_controls"].nunique() > 1:
        dims.insert(1, "n_controls")
    rows = [(d, v) for d in dims for v in sorted(ok[d].unique(), key=str)]
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        sharex=True,
        figsize=(9, 4 + 0.16 * len(rows)),
        gridspec_kw={"height_ratios": [3, max(len(rows) * 0.16, 1.5)]},
    )
    significant = (ok["pvalue"] < ALPHA).to_numpy()
    has_ci = ok["lower"].notna().to_numpy()
    for mask, colour in ((has_ci & ~significant, "#bbbbbb"), (has_ci & significant, "#1b6ca8")):
        top.vlines(x[mask], ok["lower"][mask], ok["upper"][mask], colors=colour, lw=0.6, alpha=0.6)
    top.scatter(x, ok["estimate"], s=2, color="#222222", zorder=3, label="estimate")
    paper = ok["paper"] != ""
    top.scatter(
        x[paper],
        ok.loc[paper, "estimate"],
        s=36,
        marker="D",
        facecolor="none",
        edgecolor="#b03a2e",
        zorder=4,
        label="the paper's specifications, on these data"
        + (" (synthetic)" if result.synthetic else ""),
    )
    top.axhline(0, color="black", lw=0.8)
    if truth is not None:
        top.axhline(truth, color="#b03a2e", lw=1, ls="--", label=f"true effect ({truth:.3f})")
    top.set_ylabel("effect of the pilot on nqp")
    top.legend(loc="upper left", fontsize=8)
    top.set_title(title or f"{len(ok):,} specifications, sorted by estimate", loc="left")
    top.tick_params(labelbottom=True)  # sharex hides them; the curve needs its own
    top.set_xlabel("specification (sorted by estimate)", fontsize=8)
    for i, (d, v) in enumerate(rows):
        chosen = (ok[d] == v).to_numpy()
        bottom.scatter(x[chosen], np.full(chosen.sum(), i), s=1.5, marker="|", color="#333333")
    labels = [
        f"{DIMENSION_LABELS.get(d, 'number of controls')}: "
        f"{ESTIMATOR_LABELS.get(v, v) if d == 'estimator' else v}"
        for d, v in rows
    ]
    bottom.set_yticks(range(len(rows)), labels, fontsize=7)
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.grid(False)
    bottom.set_xlabel("specification (sorted by estimate)")
    figures.synthetic_note(fig, result.synthetic)
    # Room above the (left-aligned) title for the synthetic stamp in the top-right corner.
    fig.tight_layout(rect=(0, 0, 1, 0.97 if result.synthetic else 1))
    return fig


# ----------------------------------------------------------------------------- command line


def _cmd_multiverse(args) -> int:
    from replicate.data import load_panel

    panel = load_panel(args.data or "synthetic", pilots=args.pilots)
    prepared = prepare(panel)
    specs = space(
        controls=args.controls,
        estimators=[e.strip().lower() for e in args.estimators.split(",")]
        if args.estimators
        else ESTIMATORS,
        codings=codings_of(prepared),
    )
    if args.limit is not None:
        if args.limit < 1:
            raise ValueError(f"--limit {args.limit}: give a positive number of specifications.")
        specs = specs.head(args.limit)
    scheduler = "serial" if args.serial else args.scheduler
    result, report = run_multiverse(
        panel,
        specs,
        out=args.out,
        scheduler=scheduler,
        workers=args.workers,
        progress=not args.quiet,
    )
    path = result.write(Path(args.out) / "results.parquet")
    print(
        f"{result.label}: {len(specs):,} specifications — {report.computed:,} computed, "
        f"{report.reused:,} reused, {report.failed:,} failed, {report.seconds:.1f} s on "
        f"{report.workers} worker(s); results in {path}"
    )
    if args.export:
        result.write(args.export)
        print(f"exported to {args.export}")
    if len(result.ok):
        print(robustness_summary(result).round(3).to_string())
    return 0


def runner_options(parser, out: str) -> None:
    """The options every runner command shares: where to run, where to store, progress."""
    parser.add_argument(
        "--scheduler",
        help="address of a running Dask scheduler (default: DASK_SCHEDULER_ADDRESS, "
        "else a LocalCluster on this machine's cores)",
    )
    parser.add_argument("--serial", action="store_true", help="run in this process, no Dask")
    parser.add_argument(
        "--workers", type=int, help="LocalCluster worker processes (default: cores)"
    )
    parser.add_argument(
        "--out", default=out, help=f"result store directory, resumable (default: ./{out})"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def register(subparsers) -> None:
    """Add ``replicate multiverse`` to the CLI (``replicate montecarlo`` is
    :func:`replicate.montecarlo.register`: montecarlo builds on this module, not back)."""
    p = subparsers.add_parser(
        "multiverse",
        help="estimate every defensible specification (specification curve)",
        description="Estimate the specification space (estimators × controls × fixed "
        "effects × pilot coding × years × clustering) on the twin or a panel file, on a "
        "Dask LocalCluster or an existing scheduler; results are stored in Parquet keyed "
        "by specification hash, so an interrupted run resumes.",
    )
    p.add_argument("--data", help="panel file (CSV, Parquet, Stata, Excel); default: the twin")
    p.add_argument(
        "--pilots",
        metavar="FILE",
        help="another pilot policy on the paper's cities (CSV of city, first_year); its timing "
        "is the only pilot coding. The space is the paper's: a panel named by other roles "
        "(--columns elsewhere) does not fit it",
    )
    runner_options(p, "multiverse-results")
    p.add_argument("--export", help="also write the result table to this Parquet file")
    p.add_argument(
        "--controls",
        choices=["stepwise", "subsets"],
        default="stepwise",
        help="control sets: the paper's stepwise sets, Table 2's columns (default), or all "
        "64 subsets of the six controls",
    )
    p.add_argument(
        "--estimators",
        help=f"comma-separated subset of {','.join(ESTIMATORS)} (any case)",
    )
    p.add_argument("--limit", type=int, help="only the first N specifications (by hash)")
    p.set_defaults(func=_cmd_multiverse)
