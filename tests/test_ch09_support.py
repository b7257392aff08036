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
    shown = comparison.table().loc[("TWFE", "baseline", "every observation")]
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


# ----------------------------------------------------------------------------- any panel

MPDTA_ROLES = {"unit": "countyreal", "time": "year", "outcome": ["lemp"], "cohort": "first.treat"}
MPDTA = {"unit": "countyreal", "time": "year", "cohort": "first.treat"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    md = pytest.importorskip("moderndid")
    return md.load_mpdta().to_pandas()


def _dbar(frame, unit, time, treated="did"):
    d = frame[treated].to_numpy(float)
    by_unit = frame.groupby(unit)[treated].transform("mean").to_numpy(float)
    by_time = frame.groupby(time)[treated].transform("mean").to_numpy(float)
    return d, by_unit, by_time


def test_event_window_is_narrowed_to_the_event_times_the_panel_has(twin, mpdta):
    from replicate.models.compare import event_window

    # mpdta: 2003–2007, cohorts 2004, 2006, 2007 → event times 2003 − 2007 … 2007 − 2004
    assert event_window(mpdta, "lemp", **MPDTA, window=(-6, 6)) == (-4, 3)
    assert event_window(twin, "nqp", **PAPER, window=(-6, 6)) == (-6, 6)
    assert event_window(twin, "nqp", **PAPER, window=(-3, 2)) == (-3, 2)
    # the narrowed window really is estimable, the wider one is refused by the estimator
    with pytest.raises(ValueError, match="narrow the window"):
        event_study(mpdta, "lemp", **MPDTA, window=(-6, 6), draws=100)
    event_study(mpdta, "lemp", **MPDTA, window=(-4, 3), draws=100)
    late = twin.assign(g=np.where(twin["g"] > 0, 2006, 0))  # one period before the start
    with pytest.raises(ValueError, match="two periods before"):
        event_window(late, "nqp", **PAPER, window=(-6, 6))


def test_placebo_shifts_and_verdicts_follow_the_intervals(twin, mpdta):
    from replicate.data.synthetic import Knobs, make_twin
    from replicate.models.compare import (
        PLACEBO_VERDICTS,
        placebo_sentence,
        placebo_shifts,
        placebo_table,
    )
    from replicate.models.inference import placebo_in_time

    assert placebo_shifts(twin, "nqp", **PAPER, shifts=(2, 3, 11, 12)) == [
        2,
        3,
    ]  # 2016 − 11 = 2005: no earlier period
    assert placebo_shifts(mpdta, "lemp", **MPDTA) == []  # one period (2003) before 2004
    # a twin with a pre-trend in pilot cities: its placebo must flag an effect
    trending = regression_frame(make_twin(knobs=Knobs(pretrend=0.05)).panel())
    results = {
        name: placebo_in_time(frame, "nqp", **PAPER, shift=3)
        for name, frame in (("parallel", twin), ("pre-trend", trending))
    }
    table = placebo_table(results)
    for name, res in results.items():
        df = getattr(res, "df_resid", np.inf)  # t with the regression's df, as fit reports
        q = stats.t.ppf(0.975, df) if np.isfinite(df) else stats.norm.ppf(0.975)
        low, high = res.estimate - q * res.se, res.estimate + q * res.se
        assert table.loc[name, "95% CI"] == interval(low, high)
        assert table.loc[name, "verdict"] == PLACEBO_VERDICTS[int(not low <= 0 <= high)]
        assert table.loc[name, "s.e."] == pytest.approx(res.se)
    assert table.loc["pre-trend", "verdict"] == PLACEBO_VERDICTS[1]
    assert placebo_sentence(table).startswith(
        "1 of the 2 placebo intervals exclude zero (pre-trend)"
    )
    assert placebo_sentence(table.loc[["parallel"]]).startswith(
        "The placebo interval includes zero"
    )


@pytest.mark.parametrize("seed", [20241128, 7])
def test_weight_signs_are_the_closed_form_on_two_twins(seed):
    from replicate.models.compare import weight_signs, weights_sentence
    from replicate.models.staggered import twfe_weights

    frame = regression_frame(load_panel("synthetic", seed=seed))
    weights = twfe_weights(frame, "nqp", **PAPER)
    d, by_unit, by_time = _dbar(frame, "city_id", "year")
    # independent: the residual of did on city and year effects in a balanced panel
    resid = (d - by_unit - by_time + d.mean())[d == 1]
    assert np.allclose(weights.weights["weight"], resid / resid.sum(), atol=1e-12)
    signs = weight_signs(weights, frame, unit="city_id", time="year")
    assert signs.balanced and signs.n_negative == int((resid < 0).sum()) == 0
    assert signs.largest_sum == pytest.approx((by_unit + by_time)[d == 1].max())
    text = weights_sentence(signs, 0.024)
    assert text.startswith(f"None of the {int(d.sum()):,} treated cells has a negative weight")
    assert f"is {signs.largest_sum:.3f}, below 1 + D̄ = {1 + d.mean():.3f}" in text


def test_weight_signs_count_the_negative_cells_on_mpdta(mpdta):
    from replicate.models.compare import weight_signs, weights_sentence
    from replicate.models.staggered import twfe_weights

    frame = mpdta.assign(
        did=((mpdta["first.treat"] > 0) & (mpdta["year"] >= mpdta["first.treat"])).astype(int)
    )
    weights = twfe_weights(frame, "lemp", **MPDTA)
    signs = weight_signs(weights, frame, unit="countyreal", time="year")
    d, by_unit, by_time = _dbar(frame, "countyreal", "year")
    negative = int(((by_unit + by_time)[d == 1] > 1 + d.mean()).sum())
    assert signs.n_negative == weights.n_negative == negative > 0
    text = weights_sentence(signs, 0.054)
    assert text.startswith(f"{negative} of the {int(d.sum())} treated cells have negative weights")
    assert "above 1 + D̄" in text
    unbalanced = weight_signs(weights, frame.iloc[1:], unit="countyreal", time="year")
    assert not unbalanced.balanced and "needs a balanced panel" in weights_sentence(
        unbalanced, 0.05
    )


def _honest(original, rows):
    table = pd.DataFrame(rows, columns=["Mbar", "lower", "upper"]).set_index("Mbar")
    table.attrs["original"] = original
    return table


def test_sensitivity_sentence_says_not_defined_once():
    from replicate.models.compare import sensitivity_sentence

    names = {"average": "average effect", "first": "first-year effect"}
    null = _honest((-0.1, 0.3), [(0.5, -0.2, 0.4)])
    both_null = {t: {"relative magnitudes (M̄)": null, "smoothness (M)": null} for t in names}
    text = sensitivity_sentence(both_null, names)
    assert text.count("not defined") == 1 and text.count("zero") == 1
    assert "intervals of the average effect ([-0.100, 0.300]) and the first-year effect" in text
    sig = _honest((0.1, 0.3), [(0.5, 0.05, 0.4), (1.0, -0.1, 0.5)])
    mixed = {
        "average": {"relative magnitudes (M̄)": null, "smoothness (M)": null},
        "first": {"relative magnitudes (M̄)": sig, "smoothness (M)": sig},
    }
    text = sensitivity_sentence(mixed, names)
    assert text.count("not defined") == 1 and "its breakdown value is not defined" in text
    assert "breakdown value is M̄ = 0.5 for relative magnitudes and M = 0.5 for smoothness" in text


@pytest.mark.parametrize("seed", [20241128, 7])
def test_sensitivity_sentence_follows_the_intervals_on_two_twins(seed):
    from replicate.models.compare import sensitivity_sentence
    from replicate.models.sensitivity import breakdown

    frame = regression_frame(load_panel("synthetic", seed=seed))
    study = event_study(frame, "nqp", **PAPER, window=(-4, 4), draws=500, seed=1)
    table = sensitivity(study, "smoothness", [0.0, 0.01, 0.02], target="average")
    text = sensitivity_sentence({"average": {"smoothness (M)": table}}, {"average": "average"})
    lower, upper = table.attrs["original"]
    assert interval(lower, upper) in text
    if lower <= 0 <= upper:
        assert "not defined" in text and "significant" not in text
    else:
        value = breakdown(table)
        assert "significant at 5%" in text
        assert (f"M = {value:g}" in text) if not np.isnan(value) else ("below the smallest" in text)


def test_compare_estimators_includes_did_m_and_it_is_cs_first_year(twin):
    from replicate.models.dcdh import did_multiplegt

    comparison = compare_estimators(
        twin,
        "nqp",
        **PAPER,
        estimators=("callaway_santanna", "dcdh"),
        covariates=("none",),
        seed=3,
        dcdh_draws=20,
    )
    got = comparison.result("dcdh", "none", "not yet treated")
    direct = did_multiplegt(twin, "nqp", **PAPER, draws=20, seed=3)
    assert (got.estimate, got.se) == (direct.estimate, direct.se)
    cs_notyet = comparison.result("callaway_santanna", "none", "not yet treated")
    # DID_M = CS's batch-size-weighted ATT(g, g) with not-yet-treated controls (dCDH 2020)
    assert got.estimate == pytest.approx(
        cs_notyet.aggregations["dynamic"].loc[0, "estimate"], abs=1e-10
    )
    layout = comparison.layout(["none"])
    assert list(layout.index) == [
        "Callaway–Sant'Anna (never treated)",
        "Callaway–Sant'Anna (not yet treated)",
        "dCDH DID_M",
    ]
    assert list(layout.columns) == ["estimate", "s.e.", "95% CI"]
    assert layout.loc["dCDH DID_M", "estimate"] == pytest.approx(direct.estimate)


def test_compare_estimators_on_a_roles_panel_equals_callaway_santanna(mpdta):
    from replicate.data import read_staggered
    from replicate.models.staggered import callaway_santanna

    panel = read_staggered(mpdta, MPDTA_ROLES)
    comparison = compare_estimators(
        panel.frame, "lemp", **panel.panel_columns, covariates=("none",)
    )
    cs = callaway_santanna(mpdta, "lemp", **MPDTA, aggregation="simple")
    row = comparison.layout(["none"]).loc["Callaway–Sant'Anna (never treated)"]
    assert row["estimate"] == pytest.approx(cs.estimate, rel=1e-12)
    assert row["s.e."] == pytest.approx(cs.se, rel=1e-12)
    # R did 2.1.2, README of bcallaway11/did: att_gt(yname="lemp", ..., est_method="reg"),
    # aggte(type="simple"): ATT −0.0400 (s.e. 0.0115); without covariates "dr" = "reg"
    assert cs.estimate == pytest.approx(-0.0400, abs=5e-5)


def test_chapter_09_declares_the_roles_parameters():
    from replicate import book, paths

    declared = book.declared_parameters(paths.NOTEBOOKS_DIR / "09_modern_did.py")
    assert declared["columns"].value is None and declared["pilots"].value is None
    assert declared["honest_demo_effect"].value == 0.3


@pytest.mark.slow
def test_chapter_09_runs_on_mpdta_and_its_cs_number_is_callaway_santanna(mpdta, tmp_path):
    """The chapter executed by papermill on R did's mpdta with the user's roles: every label
    names lemp/countyreal/year, the file's origin is stated, the sections that need the
    paper's columns say so, and the Callaway–Sant'Anna cell equals the library's call."""
    import json

    import nbformat

    from replicate import book, paths
    from replicate.models.staggered import callaway_santanna

    source = tmp_path / "mpdta.parquet"
    mpdta.to_parquet(source)
    target = tmp_path / "09.ipynb"
    run = book.execute(
        paths.NOTEBOOKS_DIR / "09_modern_did.py",
        target,
        {
            "data": str(source),
            "columns": MPDTA_ROLES,
            "permutations": 99,
            "bootstrap_draws": 99,
            "honest_grid": 50,
            "dcdh_draws": 20,
        },
    )
    assert run.ok, run.error
    nb = nbformat.read(target, 4)
    glued, html = {}, []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                glued[meta["name"]] = json.loads(
                    json.dumps(out["data"]["application/papermill.record/text/plain"])
                ).strip("'\"")
            elif "text/html" in out.get("data", {}):
                html.append(out["data"]["text/html"])
    cs = callaway_santanna(mpdta, "lemp", **MPDTA, aggregation="simple")
    assert glued["cs_se"] == f"{cs.se:.3f}"
    estimator_table = next(h for h in html if "without covariates" in h)
    assert f"<td>{cs.estimate:.3f}</td>" in estimator_table.split("Callaway")[1].split("</tr>")[0]
    assert glued["panel_label"] == "mpdta.parquet (origin unverified)"
    assert all("mpdta.parquet" in h for h in html if "<table" in h)
    captions = " ".join(h.split("</caption>")[0] for h in html if "<caption>" in h)
    assert "lemp" in captions and "nqp" not in " ".join(html)
    assert "skipped" in glued["psm_sentence"] and "skipped" in glued["placebo_sentence"]


@pytest.mark.parametrize("seed", [20241128, 7])
def test_bootstrap_sentence_follows_its_numbers_on_two_twins(seed):
    from replicate import fit
    from replicate.models.compare import FEW_TREATED_CLUSTERS, bootstrap_sentence

    frame = regression_frame(load_panel("synthetic", seed=seed))
    few = frame[frame["province"].isin(sorted(frame["province"].unique())[:8])]
    for data, expect_few in ((frame, False), (few, True)):
        t = fit("nqp ~ did | city_id + year", data, vcov={"CRV1": "city_id"}).conf_int().loc["did"]
        fine = wild_cluster_bootstrap(data, "nqp", **PAPER, draws=99, seed=1)
        coarse = wild_cluster_bootstrap(
            data, "nqp", **PAPER, cluster="province", draws=99, seed=1, weights="webb"
        )
        text = bootstrap_sentence(
            fine, tuple(t), fine_level="city_id", coarse=coarse, coarse_level="province", mixed=3
        )
        low, high = fine.conf_int()
        ratio = (high - low) / (t.iloc[1] - t.iloc[0])
        word = (
            "about the same as" if abs(ratio - 1) <= 0.1 else ("larger" if ratio > 1 else "smaller")
        )
        assert f"the bootstrap interval is {word}" in text
        treated = data.loc[data["did"] == 1, "province"].nunique()
        assert f"{treated} contain a treated unit and 3 contain" in text
        assert (treated < FEW_TREATED_CLUSTERS) == expect_few
        assert ("is few, so neither test is reliable" in text) == expect_few
        g = data["province"].nunique()
        assert f"2^{g} = {2**g:,} distinct" in text
        assert ("far more than the 99 draws" in text) == (2**g > 9900)
    alone = bootstrap_sentence(fine, tuple(t), fine_level="city_id")
    assert "clusters, " not in alone and alone.endswith(").")


@pytest.mark.parametrize("seed", [20241128, 7])
def test_did_m_sentence_on_two_twins(seed):
    from dataclasses import replace

    from replicate.models.compare import did_m_sentence
    from replicate.models.dcdh import cs_instantaneous, did_multiplegt
    from replicate.models.staggered import callaway_santanna

    frame = regression_frame(load_panel("synthetic", seed=seed))
    did_m = did_multiplegt(frame, "nqp", **PAPER, draws=20, seed=1)
    cs = callaway_santanna(frame, "nqp", **PAPER, control_group="notyettreated")
    first = cs.aggregations["dynamic"].loc[0, "estimate"]
    # independent: the instantaneous CS effects weighted by cohort size (tests/test_dcdh.py)
    numeric = frame.assign(city_id=pd.factorize(frame["city_id"])[0] + 1)  # moderndid's ids
    assert first == pytest.approx(cs_instantaneous(numeric, "nqp", *PAPER.values()), abs=1e-10)
    text = did_m_sentence(did_m, cs)
    assert text.startswith(f"DID_M is {did_m.estimate:.3f} (s.e. {did_m.se:.3f})")
    assert text.endswith(f"which here is {first:.3f} — the same number.")
    shifted = replace(did_m, estimate=did_m.estimate + 0.01)
    assert did_m_sentence(shifted, cs).endswith("— they differ by 0.01.")
