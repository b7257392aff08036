"""Every DID estimator: one vocabulary, one result protocol, and guards that refuse to mislead.

Each guard is checked on every estimator it applies to, by the message the user sees.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from replicate import fit
from replicate.data import load_panel
from replicate.models._common import FewTreatedClustersWarning, treated_clusters
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

COLUMNS = {"unit": "id", "time": "t", "cohort": "first"}
N_UNITS, PERIODS = 60, range(1, 9)


def small_panel(seed: int = 0) -> pd.DataFrame:
    """60 units × 8 periods: 15 first treated in period 4, 15 in 6, 30 never."""
    rng = np.random.default_rng(seed)
    units = np.repeat(np.arange(N_UNITS), len(PERIODS))
    t = np.tile(np.array(PERIODS), N_UNITS)
    first = np.select([units < 15, units < 30], [4, 6], 0)
    treated = (first > 0) & (t >= first)
    frame = pd.DataFrame({"id": units, "t": t, "first": first})
    frame["x"] = rng.normal(size=len(frame))
    frame["m"] = 0.5 * treated + rng.normal(size=len(frame))
    frame["y"] = 0.3 * treated + 0.2 * frame["m"] + 0.1 * frame["x"] + rng.normal(size=len(frame))
    return frame


# name → call(data, **columns); `clustered` marks estimators whose inference clusters.
ESTIMATORS = {
    "event_study": (lambda d, **k: event_study(d, "y", window=(-3, 3), draws=1000, **k), True),
    "bacon_decomposition": (lambda d, **k: bacon_decomposition(d, "y", **k), True),
    "twfe_weights": (lambda d, **k: twfe_weights(d, "y", **k), True),
    "callaway_santanna": (lambda d, **k: callaway_santanna(d, "y", draws=99, **k), True),
    "sun_abraham": (lambda d, **k: sun_abraham(d, "y", **k), True),
    "imputation": (lambda d, **k: imputation(d, "y", **k), True),
    "permutation_test": (lambda d, **k: permutation_test(d, "y", draws=19, **k), False),
    "wild_cluster_bootstrap": (lambda d, **k: wild_cluster_bootstrap(d, "y", draws=19, **k), True),
    "psm_did": (lambda d, **k: psm_did(d, "y", match_on=["x"], **k), True),
    "mediation": (lambda d, **k: mediation(d, "y", mediator="m", draws=0, **k), True),
    "placebo_in_time": (lambda d, **k: placebo_in_time(d, "y", shift=1, **k), True),
}
ALL = list(ESTIMATORS)
CLUSTERED = [name for name, (_, clustered) in ESTIMATORS.items() if clustered]


def run(name: str, data, **kwargs):
    call, _ = ESTIMATORS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are tested on their own below
        return call(data, **{**COLUMNS, **kwargs})


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return small_panel()


@pytest.mark.parametrize("name", ALL)
def test_every_result_speaks_the_protocol(panel, name):
    res = run(name, panel)
    assert np.isfinite(res.estimate) and res.se > 0 and res.nobs > 0
    lo, hi = res.conf_int()
    assert lo < res.estimate < hi
    tidy = res.tidy()
    assert list(tidy.columns[:3]) == ["term", "estimate", "std_error"]
    assert tidy["estimate"].iloc[0] == pytest.approx(res.estimate)
    assert tidy["std_error"].iloc[0] == pytest.approx(res.se)
    assert f"N = {res.nobs:,}" in str(res.summary())


@pytest.mark.parametrize("name", ALL)
def test_a_dataframe_needs_its_columns_named(panel, name):
    with pytest.raises(ValueError, match=r"name the panel's columns \(unit=\.\.\., time=\.\.\."):
        ESTIMATORS[name][0](panel)


@pytest.mark.parametrize("name", ALL)
def test_no_treated_unit_is_an_error(panel, name):
    with pytest.raises(ValueError, match="no treated unit in the sample — column 'first' is 0"):
        run(name, panel.assign(first=0))
    # Units first treated after the last period are untreated within the sample.
    with pytest.raises(ValueError, match="no treated unit.*after the last period 8"):
        run(name, panel.assign(first=np.where(panel["first"] > 0, 20, 0)))


@pytest.mark.parametrize("name", CLUSTERED)
def test_fewer_than_two_clusters_is_an_error(panel, name):
    with pytest.raises(ValueError, match="1 cluster in 'everyone'.*at least two"):
        run(name, panel.assign(everyone=1), cluster="everyone")


@pytest.mark.parametrize("name", CLUSTERED)
def test_one_treated_cluster_warns_and_points_to_randomization_inference(panel, name):
    """Every treated unit in one state: a warning naming permutation_test, not a refusal."""
    state = np.where(panel["first"] > 0, -1, panel["id"])
    call, _ = ESTIMATORS[name]
    message = r"(?s)treated rows lie in 1 cluster of 'state'.*permutation_test"
    with pytest.warns(FewTreatedClustersWarning, match=message):
        res = call(panel.assign(state=state), **COLUMNS, cluster="state")
    assert np.isfinite(res.estimate)


def test_treated_clusters_reads_every_treated_row(panel):
    """A cluster finer than the unit is counted row by row, not by each unit's first row."""
    treated = ((panel["first"] > 0) & (panel["t"] >= panel["first"])).to_numpy()
    first_row_alike = np.where(panel["t"] == 1, -1, panel["id"] * 100 + panel["t"])
    frame = panel.assign(cell=first_row_alike)
    assert treated_clusters(frame, "cell", treated) == treated.sum()
    assert treated_clusters(frame.assign(cell=0), "cell", treated) == 1
    # Following the advice to cluster finer removes the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewTreatedClustersWarning)
        event_study(frame, "y", **COLUMNS, cluster="cell", window=(-3, 3), draws=100)


@pytest.mark.parametrize("name", ["callaway_santanna", "wild_cluster_bootstrap"])
def test_clusters_that_split_units_are_refused_where_clusters_are_resampled(panel, name):
    with pytest.raises(ValueError, match=r"cluster 'cell' must nest the units.*Fix: cluster"):
        run(name, panel.assign(cell=panel["id"] * 100 + panel["t"]), cluster="cell")


def test_permutation_test_works_with_one_treated_unit(panel):
    one = panel.assign(first=np.where(panel["id"] == 0, 4, 0))
    res = permutation_test(one, "y", **COLUMNS, draws=599, seed=1)
    # A free permutation moves the one treated path to a random unit j, so every draw is
    # the 2×2 DID of unit j against all others, periods ≥ 4 against < 4 (the TWFE
    # coefficient with one treated unit on a balanced panel): a closed form per unit.
    wide = one.pivot(index="id", columns="t", values="y")
    change = wide.loc[:, 4:].mean(axis=1) - wide.loc[:, :3].mean(axis=1)
    closed = {j: change[j] - change.drop(j).mean() for j in wide.index}
    gaps = np.abs(res.draws[:, None] - np.array(list(closed.values()))[None, :]).min(axis=1)
    assert gaps.max() < 1e-10 and res.estimate == pytest.approx(closed[0], abs=1e-12)
    assert res.pvalue == (1 + np.sum(np.abs(res.draws) >= abs(res.estimate) - 1e-12)) / 600
    twfe = fit("y ~ did | id + t", one.assign(did=((one["first"] > 0) & (one["t"] >= 4)) * 1.0))
    assert res.estimate == pytest.approx(twfe.params["did"], abs=1e-12)


@pytest.mark.parametrize("name", [n for n in CLUSTERED if n != "wild_cluster_bootstrap"])
def test_few_clusters_warn_and_name_the_wild_bootstrap(panel, name):
    call, _ = ESTIMATORS[name]
    with pytest.warns(UserWarning, match=r"(?s)clusters.*fewer than 30.*wild"):
        call(panel.assign(state=panel["id"] // 6), **COLUMNS, cluster="state")


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("y", np.nan, r"'y': missing \(NaN\) values \(2 rows, index 7, 30\)"),
        ("y", np.inf, r"'y': infinite values \(2 rows, index 7, 30\)"),
    ],
)
def test_bad_outcome_values_are_named_with_their_rows(panel, name, column, value, message):
    bad = panel.copy()
    bad.loc[[7, 30], column] = value
    with pytest.raises(ValueError, match=message):
        run(name, bad)


DECOMPOSITIONS = ("bacon_decomposition", "twfe_weights")


@pytest.mark.parametrize("name", [n for n in ALL if n not in DECOMPOSITIONS])
def test_bad_control_values_are_named(panel, name):
    bad = panel.copy()
    bad.loc[12, "x"] = -np.inf
    with pytest.raises(ValueError, match=r"'x': infinite values \(1 rows, index 12\)"):
        run(name, bad, controls=["x"])


@pytest.mark.parametrize("name", CLUSTERED)
def test_missing_cluster_values_are_named(panel, name):
    bad = panel.assign(state=panel["id"].astype(float))
    bad.loc[[3, 4], "state"] = np.nan
    with pytest.raises(ValueError, match=r"cluster column 'state' has missing values \(2 rows"):
        run(name, bad, cluster="state")


@pytest.mark.parametrize("name", ALL)
def test_the_callers_frame_is_not_modified(panel, name):
    before = panel.copy()
    run(name, panel)
    pd.testing.assert_frame_equal(panel, before)


def test_a_panel_supplies_the_paper_columns():
    panel = load_panel()
    study = event_study(panel, "nqp", draws=1000)
    assert study.cluster == "city_id" and study.regression.n_clusters == 285
    explicit = event_study(
        panel.frame.assign(mar=panel.frame["mar"] * 100, fin=panel.frame["fin"] * 100),
        "nqp",
        unit="city_id",
        time="year",
        cohort="g",
        draws=1000,
    )
    np.testing.assert_allclose(study.betahat, explicit.betahat, rtol=0, atol=1e-12)


def test_the_cluster_defaults_to_the_unit(panel):
    renamed = panel.rename(columns={"id": "county"})
    res = event_study(renamed, "y", unit="county", time="t", cohort="first", window=(-3, 3))
    assert res.cluster == "county" and res.regression.n_clusters == N_UNITS


def test_an_event_window_that_would_pool_into_the_reference_is_refused(panel):
    message = (
        r"event times -5…-4; 3…4 \(\d+ treated observations\) lie outside window=\(-3, 2\)"
        r".*pooled into the reference period -1.*widen the window to \(-5, 4\)"
    )
    with pytest.raises(ValueError, match=message):
        event_study(panel, "y", **COLUMNS, window=(-3, 2), bin_endpoints=False)
    # Binning the endpoints, or a window that covers every event time, is accepted.
    event_study(panel, "y", **COLUMNS, window=(-3, 2), draws=1000)
    event_study(panel, "y", **COLUMNS, window=(-5, 4), bin_endpoints=False, draws=1000)


def test_unknown_columns_are_listed(panel):
    with pytest.raises(ValueError, match=r"columns \['z'\] are not in the data"):
        imputation(panel, "y", **COLUMNS, controls=["z"])


@pytest.mark.parametrize("name", DECOMPOSITIONS)
def test_decompositions_refuse_controls(panel, name):
    with pytest.raises(ValueError, match=r"without controls; controls=\['x'\] are not supported"):
        run(name, panel, controls=["x"])
