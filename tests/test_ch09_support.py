"""Library support of the modern-DID chapter: stratified permutation, HonestDiD targets and
methods, the breakdown in words, baseline covariates, compare_estimators, PSM balance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from replicate.data import load_panel
from replicate.models.compare import (
    baseline_covariates,
    compare_estimators,
    interval,
    period_terms,
    relative_size,
)
from replicate.models.event_study import event_study
from replicate.models.inference import _orders, permutation_test, wild_cluster_bootstrap
from replicate.models.matching import BALANCE_THRESHOLD, psm_did
from replicate.models.sensitivity import describe_breakdown, sensitivity
from replicate.replication import regression_frame

PAPER = {"unit": "city_id", "time": "year", "cohort": "g"}


@pytest.fixture(scope="module")
def twin() -> pd.DataFrame:
    return regression_frame(load_panel())


@pytest.fixture(scope="module")
def study(twin):
    return event_study(twin, "nqp", **PAPER, window=(-4, 4), controls=["hum"], draws=2000)


# ----------------------------------------------------------------------------- permutation


def test_stratified_orders_keep_each_stratum_s_number_of_treated_units():
    rng = np.random.default_rng(7)
    strata = rng.integers(0, 6, size=200)
    treated = rng.random(200) < 0.3
    orders = _orders(200, 50, np.random.default_rng(1), strata)
    for order in orders:
        assert sorted(order) == list(range(200))  # a permutation of the units
        assert (strata[order] == strata).all()  # each unit draws from its own stratum
        got = np.bincount(strata, weights=treated[order], minlength=6)
        assert (got == np.bincount(strata, weights=treated, minlength=6)).all()
    # and the draws actually move units within strata
    assert (orders != np.arange(200)).any()


def test_permuting_within_cohort_strata_reproduces_the_observed_assignment(twin):
    # Independent check: strata = cohort leaves nothing to permute, so every draw equals
    # the observed coefficient and the two-sided p-value is 1.
    res = permutation_test(twin, "nqp", **PAPER, draws=25, seed=2, strata="g")
    assert np.allclose(res.draws, res.estimate)
    assert res.pvalue == 1.0
    assert res.n_strata == twin["g"].nunique()


def test_permutation_within_provinces_keeps_their_pilot_counts(twin):
    free = permutation_test(twin, "nqp", **PAPER, draws=99, seed=3)
    within = permutation_test(twin, "nqp", **PAPER, draws=99, seed=3, strata="province")
    assert within.estimate == pytest.approx(free.estimate)
    assert not np.allclose(within.draws, free.draws)
    assert "within province" in within.method_name
    # a unit-varying strata column is refused, naming the column
    bad = twin.assign(s=np.arange(len(twin)) % 2)
    with pytest.raises(ValueError, match="strata 's' must be constant within each unit"):
        permutation_test(bad, "nqp", **PAPER, draws=5, strata="s")
    with pytest.raises(ValueError, match="strata column 'nope'"):
        permutation_test(twin, "nqp", **PAPER, draws=5, strata="nope")


def test_wild_bootstrap_counts_treated_clusters(twin):
    res = wild_cluster_bootstrap(twin, "nqp", **PAPER, cluster="province", draws=99, seed=1)
    ever = twin.loc[twin["did"] == 1, "province"].nunique()
    assert (res.n_clusters, res.n_treated_clusters) == (twin["province"].nunique(), ever)


# ----------------------------------------------------------------------------- HonestDiD


def test_average_target_original_interval_is_the_event_study_average(study):
    table = sensitivity(study, "smoothness", [0.0], target="average")
    z = stats.norm.ppf(0.975)
    lower, upper = table.attrs["original"]
    assert lower == pytest.approx(study.estimate - z * study.se, rel=1e-6)
    assert upper == pytest.approx(study.estimate + z * study.se, rel=1e-6)
    assert study.n_post == 5  # event times 0, 1, 2, 3 and ≥4
    explicit = sensitivity(study, "smoothness", [0.0], l_vec=[0.2] * 5)
    assert np.allclose(explicit[["lower", "upper"]], table[["lower", "upper"]])


def test_conditional_method_and_bad_options(study):
    rm = sensitivity(study, "relative_magnitude", [0.5], method="Conditional", grid_points=100)
    lower, upper = rm.attrs["original"]
    # the robust interval contains the conventional one at M̄ > 0 (it only widens)
    assert rm.loc[0.5, "lower"] <= lower + 0.01 and rm.loc[0.5, "upper"] >= upper - 0.01
    assert rm.loc[0.5, "method"] == "Conditional"
    with pytest.raises(ValueError, match="method"):
        sensitivity(study, "relative_magnitude", [0.5], method="FLCI")
    with pytest.raises(ValueError, match="l_vec has 2 weights"):
        sensitivity(study, "smoothness", [0.0], l_vec=[0.5, 0.5])


@pytest.mark.parametrize(
    ("original", "rows", "expected"),
    [
        ((-0.1, 0.3), [(0.5, -0.2, 0.4)], "not defined: the conventional 95% interval"),
        ((0.1, 0.3), [(0.5, -0.2, 0.4)], "below the smallest M̄ on the grid (0.5)"),
        ((0.1, 0.3), [(0.5, 0.05, 0.4), (1.0, -0.1, 0.5)], "M̄ = 0.5"),
        ((0.1, 0.3), [(0.5, 0.05, 0.4), (1.0, 0.01, 0.5)], "M̄ ≥ 1 (the largest"),
    ],
)
def test_breakdown_in_words(original, rows, expected):
    table = pd.DataFrame(rows, columns=["Mbar", "lower", "upper"]).set_index("Mbar")
    table.attrs["original"] = original
    assert describe_breakdown(table).startswith(expected)


# ----------------------------------------------------------------------------- covariates


def test_baseline_covariates_are_pre_treatment_means(twin):
    out = baseline_covariates(twin, ["fdi", "mar"], **PAPER, by_period=True)
    first = twin.loc[twin["g"] > 0, "g"].min()
    by_hand = twin[twin["year"] < first].groupby("city_id")["mar"].mean()
    assert np.allclose(out["mar_pre"], twin["city_id"].map(by_hand))
    assert "mar_pre" not in twin.columns  # the user's frame is untouched
    terms = period_terms(out, ["mar"])
    assert len(terms) == twin["year"].nunique() - 1
    row = out.iloc[5]
    assert row[f"mar_pre_{row['year']}"] == row["mar_pre"]


def test_compare_estimators_twfe_with_baseline_trends_matches_pyfixest(twin):
    pf = pytest.importorskip("pyfixest")
    comparison = compare_estimators(
        twin,
        "nqp",
        **PAPER,
        controls=["fdi", "mar"],
        estimators=("twfe", "imputation"),
        covariates=("none", "baseline"),
    )
    table = comparison.tidy()
    data = baseline_covariates(twin, ["fdi", "mar"], **PAPER)
    ref = pf.feols(
        "nqp ~ did + i(year, fdi_pre, ref=2005) + i(year, mar_pre, ref=2005) | city_id + year",
        data,
        vcov={"CRV1": "city_id"},
    )
    got = table.query("estimator == 'TWFE' and covariates == 'baseline'").iloc[0]
    assert got["estimate"] == pytest.approx(ref.coef()["did"], rel=1e-8)
    assert got["std_error"] == pytest.approx(ref.se()["did"], rel=1e-6)
    assert list(table["covariates"]) == ["none", "baseline", "none", "baseline"]
    assert "true_effect" not in table  # no truth given
    # the printed table: one "[lower, upper]" cell, pyfixest's interval to 3 decimals
    shown = comparison.table().loc[("TWFE", "baseline", "every city-year")]
    low, high = ref.confint().loc["did"]
    assert shown["95% CI"] == f"[{low:.3f}, {high:.3f}]"
    assert list(shown.index) == ["estimate", "s.e.", "95% CI"]


def test_interval_cell_never_prints_minus_zero_or_nan():
    assert interval(-0.00004, 0.2) == "[0.000, 0.200]"
    assert interval(-1.2906, 1.4724) == "[-1.291, 1.472]"
    assert interval(0.1, 0.2, digits=1) == "[0.1, 0.2]"
    assert interval(float("nan"), 0.2) == ""


def test_compare_estimators_guards(twin):
    with pytest.raises(ValueError, match="need controls"):
        compare_estimators(twin, "nqp", **PAPER, covariates=("baseline",))
    with pytest.raises(ValueError, match="estimators"):
        compare_estimators(twin, "nqp", **PAPER, estimators=("ols",))


def test_relative_size_words():
    assert relative_size(2.0, 1.0) == "larger than"
    assert relative_size(1.05, 1.0) == "about the same as"
    assert relative_size(0.5, 1.0) == "smaller than"


# ----------------------------------------------------------------------------- PSM


def test_balance_check_applies_the_stated_threshold(twin):
    res = psm_did(twin, "nqp", **PAPER, match_on=["hum", "gov"], method="kernel")
    check = res.balance_check()
    assert list(check.index) == ["hum", "gov"]
    assert (check["balanced"] == (check["after"].abs() < BALANCE_THRESHOLD)).all()
    assert (check["before"] == res.balance.xs("before", level="sample")["std. difference"]).all()
