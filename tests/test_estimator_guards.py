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
    with pytest.raises(ValueError, match=r"'x': infinite values \(1 row, index 12\)"):
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


# ----------------------------------------------------------------------------- vcov choices

# pyfixest's small-sample settings that equal TWFE's "reghdfe" convention (as in
# tests/test_fit.py): clustered → nonnested fixed effects with the G/(G−1) factor;
# iid and hetero → every fixed effect counted.
PF_SSC = {"cluster": {"k_adj": True, "k_fixef": "nonnested", "G_adj": True}}
PF_SSC_OTHER = {"k_adj": True, "k_fixef": "full"}
PF_RTOL = 1e-6
"""s.e. agreement with pyfixest (its demeaning tolerance set to 1e-12, as in test_fit)."""


def _pyfixest(formula, data, vcov):
    import pyfixest as pf

    ssc = pf.ssc(**(PF_SSC["cluster"] if isinstance(vcov, dict) else PF_SSC_OTHER))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data, vcov=vcov, ssc=ssc, fixef_tol=1e-12)


VCOVS = ["iid", "hetero", {"CRV1": "state"}]


@pytest.mark.parametrize("vcov", VCOVS, ids=["iid", "hetero", "CRV1-state"])
def test_event_study_standard_errors_equal_pyfixest_for_each_vcov(panel, vcov):
    """Binned event times (−3 … 3, reference −1) as pyfixest's i(rel, ref=-1) with never
    treated units at the reference; iid, hetero and clustering on another column."""
    data = panel.assign(state=panel["id"] // 2)
    rel = np.where(data["first"] > 0, np.clip(data["t"] - data["first"], -3, 3), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = event_study(data, "y", **COLUMNS, window=(-3, 3), vcov=vcov, draws=100)
    ref = _pyfixest("y ~ i(rel, ref=-1) | id + t", data.assign(rel=rel), vcov)
    np.testing.assert_allclose(ours.betahat, ref.coef().to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.sigma)), ref.se().to_numpy(), rtol=PF_RTOL)
    # What the result says it computed, read from the regression.
    assert ours.cluster == ("state" if isinstance(vcov, dict) else None)
    names = {"iid": "unadjusted", "hetero": "heteroskedasticity-robust"}
    kind = "clustered" if isinstance(vcov, dict) else names[vcov]
    assert kind in str(ours.summary())


@pytest.mark.parametrize("vcov", ["hetero", {"CRV1": "state"}], ids=["hetero", "CRV1-state"])
def test_sun_abraham_cells_equal_pyfixest_for_each_vcov(panel, vcov):
    data = panel.assign(state=panel["id"] // 2)
    e = data["t"] - data["first"]
    cell = np.where(
        (data["first"] > 0) & (e != -1), data["first"].astype(str) + "_" + e.astype(str), "ref"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = sun_abraham(data, "y", **COLUMNS, vcov=vcov)
    ref = _pyfixest("y ~ i(cell, ref='ref') | id + t", data.assign(cell=cell), vcov)
    theirs = pd.DataFrame({"coef": ref.coef(), "se": ref.se()})
    theirs.index = [i.split("::")[1].rstrip("]") for i in theirs.index]
    cells = ours.by_cohort_event
    names = cells["cohort"].astype(str) + "_" + cells["event_time"].astype(str)
    np.testing.assert_allclose(cells["estimate"], theirs.loc[names, "coef"], atol=1e-10)
    np.testing.assert_allclose(cells["se"], theirs.loc[names, "se"], rtol=PF_RTOL)


def test_imputation_hetero_is_one_cluster_per_observation(panel):
    """BJS Theorem 3 with independent errors: every observation its own cluster."""
    hetero = imputation(panel, "y", **COLUMNS, vcov="hetero")
    rows = imputation(panel.assign(row=np.arange(len(panel))), "y", **COLUMNS, cluster="row")
    assert hetero.estimate == rows.estimate
    assert hetero.se == pytest.approx(rows.se, rel=1e-12)
    assert hetero.se != pytest.approx(imputation(panel, "y", **COLUMNS).se, rel=1e-3)
    assert "heteroskedasticity-robust" in str(hetero.summary())


@pytest.mark.parametrize("name", ["bacon_decomposition", "twfe_weights", "placebo_in_time"])
@pytest.mark.parametrize("vcov", VCOVS, ids=["iid", "hetero", "CRV1-state"])
def test_twfe_based_results_report_fits_standard_error_and_p(panel, name, vcov):
    """Bacon, TWFE weights and the placebo carry the TWFE coefficient's s.e. and p: the
    ones replicate.fit reports for the same specification and vcov."""
    data = panel.assign(state=panel["id"] // 2)
    res = run(name, data, vcov=vcov)
    if name == "placebo_in_time":
        last = res.last_period
        sample = data[data["t"] <= last]
        fake = (sample["first"] > 0) & (sample["t"] >= sample["first"] - 1)
        sample = sample.assign(did=fake.astype(float))
    else:
        sample = data.assign(did=((data["first"] > 0) & (data["t"] >= data["first"])) * 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = fit("y ~ did | id + t", sample, vcov=vcov)
    assert res.estimate == pytest.approx(ref.params["did"], abs=1e-10)
    assert res.se == pytest.approx(ref.std_errors["did"], rel=1e-10)
    row = res.summary().table.iloc[0]
    assert row["p_value"] == pytest.approx(ref.pvalues["did"], rel=1e-8)
    lo, hi = ref.conf_int().loc["did"]
    assert (row["conf_low"], row["conf_high"]) == pytest.approx((lo, hi), rel=1e-8)


@pytest.mark.parametrize(
    ("name", "choice"),
    [
        ("callaway_santanna", "hetero"),
        ("callaway_santanna", "iid"),
        ("imputation", "iid"),
        ("wild_cluster_bootstrap", "hetero"),
    ],
)
def test_unsupported_vcov_choices_say_what_is_supported(panel, name, choice):
    with pytest.raises(ValueError, match=rf"^{name}: vcov='{choice}' is not supported.*allow"):
        run(name, panel, vcov=choice)


def test_vcov_and_cluster_must_agree_and_two_way_is_fits_only(panel):
    with pytest.raises(ValueError, match=r"cluster='id' and vcov=.*name different clusters"):
        event_study(panel.assign(s=1), "y", **COLUMNS, cluster="id", vcov={"CRV1": "s"})
    with pytest.raises(ValueError, match=r"two-way clustering, which only replicate.fit\(\)"):
        event_study(panel, "y", **COLUMNS, vcov={"CRV1": "id+t"})
    with pytest.raises(ValueError, match=r"vcov='bad' is not allowed"):
        event_study(panel, "y", **COLUMNS, vcov="bad")


# ----------------------------------------------------------------------------- one p, printed once


def _printed_p(summary) -> list[str]:
    """Header lines that print a p-value of the headline test (pre-trend tests excluded)."""
    return [h for h in summary.header if "p =" in h or "p-value" in h.lower()]


def test_permutation_summary_prints_the_p_it_computes_once(panel):
    res = permutation_test(panel, "y", **COLUMNS, draws=199, seed=3)
    summary = res.summary()
    assert summary.table.loc["did (TWFE)", "p_value"] == res.pvalue
    assert res.tidy()["p_value"].iloc[0] == res.pvalue
    assert _printed_p(summary) == []
    assert f"{res.pvalue:.4f}" in str(summary)


def test_wild_bootstrap_summary_prints_the_p_it_computes_once(panel):
    res = wild_cluster_bootstrap(
        panel.assign(state=panel["id"] // 2), "y", **COLUMNS, cluster="state", draws=199
    )
    summary = res.summary()
    assert summary.table.loc["did (TWFE)", "p_value"] == res.pvalue
    assert _printed_p(summary) == []
