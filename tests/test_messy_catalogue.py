"""Every DID estimator × every kind of messy panel: the clean panel's number, or a clear error.

One small staggered panel (60 units × 8 periods; cohorts 4 and 6, 30 never treated) is
spoiled in one way at a time. Where the spoiled data mean the same as the clean ones
(another never-treated coding, years as text, unit ids as text, rows in another order, a
polars frame), every estimator must return the clean panel's numbers to
:data:`SAME`; where they do not (duplicated or conflicting unit-periods, a cohort that
varies or is missing within a unit, never treated coded −1, fractional periods), every
estimator must raise a ``ValueError`` that names the column and says the fix — never a
pandas traceback and never a different number without a word. The rules are those of
:func:`replicate.models._common.validate_panel`, which every estimator calls first.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from replicate.models._common import FewTreatedClustersWarning
from replicate.models.dcdh import did_multiplegt
from replicate.models.event_study import event_study
from replicate.models.inference import permutation_test, placebo_in_time, wild_cluster_bootstrap
from replicate.models.matching import psm_did
from replicate.models.mechanism import mediation
from replicate.models.staggered import (
    bacon_decomposition,
    callaway_santanna,
    imputation,
    sun_abraham,
    twfe_weights,
)

SAME = 1e-10
"""Tolerance for "the same number": the estimators are deterministic given the data, so only
floating-point reassociation may differ (a different row order changes summation order)."""
COLUMNS = {"unit": "id", "time": "t", "cohort": "first"}
N_UNITS, PERIODS = 60, range(1, 9)
LAST = max(PERIODS)

ESTIMATORS = {
    "event_study": lambda d, **k: event_study(d, "y", window=(-3, 3), draws=500, **k),
    "sun_abraham": lambda d, **k: sun_abraham(d, "y", **k),
    "imputation": lambda d, **k: imputation(d, "y", **k),
    "callaway_santanna": lambda d, **k: callaway_santanna(d, "y", **k),
    "bacon_decomposition": lambda d, **k: bacon_decomposition(d, "y", **k),
    "twfe_weights": lambda d, **k: twfe_weights(d, "y", **k),
    "did_multiplegt": lambda d, **k: did_multiplegt(d, "y", draws=49, **k),
    "permutation_test": lambda d, **k: permutation_test(d, "y", draws=99, **k),
    "placebo_in_time": lambda d, **k: placebo_in_time(d, "y", shift=1, **k),
    "wild_cluster_bootstrap": lambda d, **k: wild_cluster_bootstrap(d, "y", draws=99, **k),
    "psm_did": lambda d, **k: psm_did(d, "y", match_on=["x"], **k),
    "mediation": lambda d, **k: mediation(d, "y", mediator="m", draws=0, **k),
}
BALANCED_ONLY = {"bacon_decomposition", "permutation_test", "wild_cluster_bootstrap"}


def clean_panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = np.repeat(np.arange(N_UNITS), len(PERIODS))
    t = np.tile(np.array(PERIODS), N_UNITS)
    first = np.select([units < 15, units < 30], [4, 6], 0)
    treated = (first > 0) & (t >= first)
    frame = pd.DataFrame({"id": units, "t": t, "first": first})
    frame["x"] = rng.normal(size=len(frame))
    frame["m"] = 0.5 * treated + rng.normal(size=len(frame))
    effect = 0.3 + 0.1 * np.where(treated, t - first, 0)
    frame["y"] = (
        effect * treated + 0.2 * frame["m"] + 0.1 * frame["x"] + rng.normal(size=len(frame))
    )
    return frame


def _never(frame: pd.DataFrame, code: float) -> pd.DataFrame:
    return frame.assign(first=frame["first"].where(frame["first"] > 0, code))


# Kinds whose data mean the same as the clean panel: same numbers.
SAME_MEANING = {
    "never treated coded NaN": lambda f: _never(f, np.nan),
    "never treated coded +inf": lambda f: _never(f, np.inf),
    "never treated coded -inf": lambda f: _never(f, -np.inf),
    "never treated coded after the last period": lambda f: _never(f, LAST + 10),
    "never treated coded 0 in some rows, NaN in others": lambda f: f.assign(
        first=f["first"].where((f["first"] > 0) | (f["t"] % 2 == 0), np.nan)
    ),
    "years as text": lambda f: f.assign(t=f["t"].astype(str)),
    "years as whole floats": lambda f: f.assign(t=f["t"].astype(float)),
    "cohort as text": lambda f: f.assign(first=f["first"].astype(str)),
    # Zero-padded, so units sort in the same order and every seeded draw is the same.
    "unit ids as text": lambda f: f.assign(id="unit" + f["id"].astype(str).str.zfill(3)),
    "unit ids as a categorical": lambda f: f.assign(id=f["id"].astype("category")),
    "years as pandas strings": lambda f: f.assign(t=f["t"].astype(str).astype("string")),
    "years as a nullable integer": lambda f: f.assign(t=f["t"].astype("Int64")),
    "cohort as a nullable integer, never treated <NA>": lambda f: f.assign(
        first=f["first"].astype("Int64").where(f["first"] > 0, pd.NA)
    ),
    "rows in another order": lambda f: f.sample(frac=1.0, random_state=7),
    "a non-default index": lambda f: f.set_axis(np.arange(len(f)) * 3 + 1000),
    # Periods shifted by 10, cohorts with them: every difference and ordering is the same.
    "periods numbered from 11": lambda f: f.assign(
        t=f["t"] + 10, first=f["first"].where(f["first"] == 0, f["first"] + 10)
    ),
}


def _duplicate(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.iloc[[5, 17, 300]]], ignore_index=True)


def _conflict(frame: pd.DataFrame) -> pd.DataFrame:
    copies = frame.iloc[[5, 17]].assign(y=lambda d: d["y"] + 1.0)
    return pd.concat([frame, copies], ignore_index=True)


def _varying(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.loc[(out["id"] == 2) & (out["t"] >= 6), "first"] = 5
    return out


def _partial(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype({"first": float})
    out.loc[(out["id"] == 3) & (out["t"] <= 2), "first"] = np.nan
    return out


def _fractional_years(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype({"t": float})
    out.loc[out["id"] == 4, "t"] += 0.5
    return out


def _fractional_cohort(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.astype({"first": float})
    out.loc[out["id"] == 1, "first"] = 4.5
    return out


# Kinds whose data do not mean one thing: (spoil, regex the message must match).
REFUSED = {
    "exact duplicate rows": (
        _duplicate,
        r"one row per unit and period.*'id'-'t'.*exact copies.*index 5, 17, 300.*drop_duplicates",
    ),
    "conflicting duplicate rows": (
        _conflict,
        r"one row per unit and period.*disagree \(in \['y'\].*index 5, 17.*groupby\(\['id', 't'\]",
    ),
    "cohort varying within a unit": (
        _varying,
        r"cohort column 'first' must hold one value per unit.*units \(\[2\]\).*different first "
        r"treated periods.*transform\('min'\)",
    ),
    "cohort missing in some rows of a treated unit": (
        _partial,
        r"cohort column 'first' must hold one value per unit.*\[3\].*missing or coded never "
        r"treated in some rows of treated units \(2 rows, index 24, 25\).*Fix",
    ),
    "never treated coded -1": (
        lambda f: _never(f, -1),
        r"cohort column 'first'.*negative values \[-1.0\].*Never treated is coded 0, missing.*"
        r"replace\(-1, 0\)",
    ),
    "fractional years": (
        _fractional_years,
        r"time column 't' has periods that are not whole numbers \(\[1.5, 2.5.*index 32.*Fix: code "
        r"the periods as whole numbers",
    ),
    "years as non-numeric text": (
        lambda f: f.assign(t=f["t"].map(lambda v: f"year {v}")),
        r"time column 't' has values that are not numbers \('year 1'.*Fix: code the periods",
    ),
    "years as dates": (
        lambda f: f.assign(t=pd.to_datetime((f["t"] + 2000).astype(str), format="%Y")),
        r"time column 't' holds dates.*\.dt\.year",
    ),
    "cohort 0 when the periods start at 0": (
        lambda f: f.assign(t=f["t"] - 1, first=f["first"].where(f["first"] == 0, f["first"] - 1)),
        r"time column 't' starts at 0, so cohort 0 in 'first'.*could mean treated from period 0"
        r".*Fix: code never-treated units as NaN or inf",
    ),
    "fractional cohort": (
        _fractional_cohort,
        r"cohort column 'first'.*not whole periods \[4.5\].*Fix: put each unit's first treated",
    ),
}


@pytest.fixture(scope="module")
def clean() -> pd.DataFrame:
    return clean_panel()


def run(name: str, data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings have their own tests
        return ESTIMATORS[name](data, **{**COLUMNS, **kwargs})


def numbers(res) -> dict[str, float]:
    """What a user reads off the result: the estimate, its s.e., the p-value(s) of tidy()."""
    out = {"estimate": res.estimate, "se": res.se}
    for i, p in enumerate(res.tidy()["p_value"].to_numpy(float)):
        out[f"p{i}"] = p
    return out


_CLEAN_CACHE: dict[str, dict[str, float]] = {}


def clean_numbers(name: str, clean: pd.DataFrame) -> dict[str, float]:
    if name not in _CLEAN_CACHE:
        _CLEAN_CACHE[name] = numbers(run(name, clean))
    return _CLEAN_CACHE[name]


@pytest.mark.parametrize("kind", list(SAME_MEANING))
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_data_that_mean_the_same_give_the_same_numbers(clean, name, kind):
    before = clean.copy()
    messy = SAME_MEANING[kind](clean)
    messy_before = messy.copy()
    got, want = numbers(run(name, messy)), clean_numbers(name, clean)
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=SAME, nan_ok=True), (name, kind, key)
    pd.testing.assert_frame_equal(messy, messy_before)  # the caller's data are not modified
    pd.testing.assert_frame_equal(clean, before)


@pytest.mark.parametrize("kind", list(REFUSED))
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_data_that_are_ambiguous_are_refused_with_the_fix(clean, name, kind):
    spoil, message = REFUSED[kind]
    messy = spoil(clean)
    before = messy.copy()
    with pytest.raises(ValueError, match=f"(?s)^{name}: .*{message}"):
        run(name, messy)
    pd.testing.assert_frame_equal(messy, before)


def test_the_clean_panel_gives_distinct_numbers_per_estimator(clean):
    """Guard against a catalogue that passes because everything returns the same thing."""
    estimates = {name: clean_numbers(name, clean)["estimate"] for name in ESTIMATORS}
    assert all(np.isfinite(v) for v in estimates.values())
    # Staggered effects that grow with time since treatment: the heterogeneity-robust
    # estimators and TWFE disagree on this panel.
    assert abs(estimates["sun_abraham"] - estimates["bacon_decomposition"]) > 1e-3


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_a_polars_frame_gives_the_same_numbers(clean, name):
    pl = pytest.importorskip("polars", reason="polars is optional; not installed here")
    got, want = numbers(run(name, pl.from_pandas(clean))), clean_numbers(name, clean)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, abs=SAME, nan_ok=True), (name, key)


def test_a_polars_lazy_frame_asks_to_be_collected(clean):
    pl = pytest.importorskip("polars", reason="polars is optional; not installed here")
    with pytest.raises(TypeError, match=r"LazyFrame; collect it first"):
        run("event_study", pl.from_pandas(clean).lazy())


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_one_treated_unit_warns_or_runs(clean, name):
    """One treated unit: randomization inference runs; the others estimate and warn that
    their standard errors rest on one treated cluster, naming permutation_test."""
    one = clean.assign(first=np.where(clean["id"] == 0, 4, 0))
    if name == "permutation_test":
        with warnings.catch_warnings():
            warnings.simplefilter("error", FewTreatedClustersWarning)
            res = ESTIMATORS[name](one, **COLUMNS)
        assert 0 < res.pvalue <= 1
    else:
        with pytest.warns(
            FewTreatedClustersWarning, match=r"treated rows lie in 1 cluster of 'id'"
        ):
            res = ESTIMATORS[name](one, **COLUMNS)
    assert np.isfinite(res.estimate)


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_an_unbalanced_panel_is_estimated_or_refused_by_name(clean, name):
    """Rows missing for three units: estimators that need a balanced panel say so with the
    units and the fix; the others give the same number whatever the row order."""
    unbalanced = clean.drop(index=[3, 50, 51, 200]).reset_index(drop=True)
    if name in BALANCED_ONLY:
        with pytest.raises(ValueError, match=rf"^{name} needs a balanced panel.*\[0, 6, 25\].*Fix"):
            run(name, unbalanced)
        return
    got = numbers(run(name, unbalanced))
    shuffled = numbers(run(name, unbalanced.sample(frac=1.0, random_state=1)))
    assert np.isfinite(got["estimate"])
    assert got["estimate"] != pytest.approx(clean_numbers(name, clean)["estimate"], abs=1e-6)
    for key, value in got.items():
        assert shuffled[key] == pytest.approx(value, abs=SAME, nan_ok=True), (name, key)


def test_bacon_reads_never_treated_coded_minus_one_as_an_error_not_always_treated(clean):
    """Issue #21: −1 used to make Bacon count the never treated as always treated."""
    with pytest.raises(ValueError, match=r"cohort column 'first'.*negative values \[-1.0\]"):
        run("bacon_decomposition", _never(clean, -1))
    # Every accepted never-treated coding gives no always-treated unit and one number.
    for code in (0, np.nan, np.inf, -np.inf, LAST + 1):
        res = run("bacon_decomposition", _never(clean, code))
        assert res.n_always_treated == 0
        assert res.estimate == pytest.approx(
            clean_numbers("bacon_decomposition", clean)["estimate"]
        )
        assert set(res.comparisons["type"]) == {
            "Treated vs Untreated",
            "Earlier vs Later Treated",
            "Later vs Earlier Treated",
        }
