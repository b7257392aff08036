"""Modern DID: each estimator against a published reference value, another implementation,
or an exact identity. Sources are written beside the numbers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from replicate.data import load_panel, synthetic
from replicate.data.schema import CONTROLS
from replicate.models import TWFE
from replicate.models.event_study import event_study
from replicate.models.inference import permutation_test, placebo_in_time, wild_cluster_bootstrap
from replicate.models.staggered import (
    bacon_decomposition,
    callaway_santanna,
    imputation,
    sun_abraham,
    twfe_weights,
)
from replicate.replication import regression_frame

md = pytest.importorskip("moderndid")

PAPER = {"unit": "city_id", "time": "year", "cohort": "g"}
"""The twin's columns, named explicitly when the data are a plain DataFrame."""
MPDTA = {"unit": "countyreal", "time": "year", "cohort": "first.treat"}

# R package `did`, README.md (github.com/bcallaway11/did, commit 0c4287f), mpdta example,
# att_gt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", xformla=~1,
# est_method="reg"). Printed to 4 decimals; standard errors there are bootstrap draws.
R_DID_ATT_GT = {
    (2004, 2004): -0.0105,
    (2004, 2005): -0.0704,
    (2004, 2006): -0.1373,
    (2004, 2007): -0.1008,
    (2006, 2004): 0.0065,
    (2006, 2005): -0.0028,
    (2006, 2006): -0.0046,
    (2006, 2007): -0.0412,
    (2007, 2004): 0.0305,
    (2007, 2005): -0.0027,
    (2007, 2006): -0.0311,
    (2007, 2007): -0.0261,
}
R_DID_PRETEST_P = 0.16812
R_DID_DYNAMIC = {
    -3: 0.0305,
    -2: -0.0006,
    -1: -0.0245,
    0: -0.0199,
    1: -0.0510,
    2: -0.1373,
    3: -0.1008,
}
R_DID_DYNAMIC_OVERALL = -0.0772
R_DID_GROUP = {2004: -0.0797, 2006: -0.0229, 2007: -0.0261}
R_DID_GROUP_OVERALL = -0.031
PRINTED_4 = 5e-5 + 1e-9
PRINTED_3 = 5e-4 + 1e-9

# R package `HonestDiD`, README.md (github.com/asheshrambachan/HonestDiD, commit 02b541b),
# Medicaid example: fixest event study dins ~ i(year, D, ref = 2013) | stfips + year,
# clustered by state, years < 2016 without the 2015 cohort; first post-period effect.
HONEST_RM = {
    0.5: (0.0240, 0.0672),
    1.0: (0.0170, 0.0720),
    1.5: (0.00824, 0.0797),
    2.0: (-0.000916, 0.0881),
}
HONEST_SD = {
    0.0: (0.0259, 0.0607),
    0.01: (0.0132, 0.0787),
    0.02: (0.00286, 0.0907),
    0.03: (-0.00714, 0.101),
    0.04: (-0.0171, 0.111),
    0.05: (-0.0271, 0.121),
}
# Relative-magnitude CIs are found on a grid of 1,000 points (R and moderndid alike), so
# they agree to about one grid step; smoothness CIs (FLCI) come from a convex program
# solved numerically (CVXR in R, CVXPY here).
RM_TOL, SD_TOL = 5e-4, 1.5e-4


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return md.load_mpdta().to_pandas()


@pytest.fixture(scope="module")
def ehec_study():
    data = md.load_ehec().to_pandas()
    data = data[(data["year"] < 2016) & ~(data["yexp2"] == 2015)].copy()
    data["g"] = np.where(data["yexp2"] == 2014, 2014, 0)
    study = event_study(
        data,
        "dins",
        unit="stfips",
        time="year",
        cohort="g",
        window=(-6, 1),
        bin_endpoints=False,
        small_sample="xtreg",
    )
    return data, study


@pytest.fixture(scope="module")
def twin(default_panel) -> pd.DataFrame:
    return regression_frame(default_panel)


def test_callaway_santanna_reproduces_r_did_on_mpdta(mpdta):
    cs = callaway_santanna(mpdta, "lemp", **MPDTA, est_method="reg")
    got = cs.group_time.set_index(["cohort", "year"])["estimate"]
    for key, value in R_DID_ATT_GT.items():
        assert got[key] == pytest.approx(value, abs=PRINTED_4), key
    assert cs.pretest_p == pytest.approx(R_DID_PRETEST_P, abs=5e-6)
    dynamic = cs.aggregations["dynamic"]["estimate"]
    for e, value in R_DID_DYNAMIC.items():
        assert dynamic[e] == pytest.approx(value, abs=PRINTED_4), e
    assert cs.overall.loc["dynamic", "estimate"] == pytest.approx(
        R_DID_DYNAMIC_OVERALL, abs=PRINTED_4
    )
    group = cs.aggregations["group"]["estimate"]
    for g, value in R_DID_GROUP.items():
        assert group[g] == pytest.approx(value, abs=PRINTED_4), g
    assert cs.overall.loc["group", "estimate"] == pytest.approx(R_DID_GROUP_OVERALL, abs=PRINTED_3)


def test_event_study_matches_pyfixest(ehec_study):
    """pyfixest's default small-sample correction (k_fixef="nonnested") keeps one degree of
    freedom for the state effects nested in the clusters: our "reghdfe" convention. (R
    fixest's default, used by the HonestDiD README, is our "xtreg" one.)"""
    pf = pytest.importorskip("pyfixest")
    data, _ = ehec_study
    ours = event_study(
        data,
        "dins",
        unit="stfips",
        time="year",
        cohort="g",
        window=(-6, 1),
        bin_endpoints=False,
        small_sample="reghdfe",
    )
    data = data.assign(D=(data["g"] == 2014).astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(
            "dins ~ i(year, D, ref=2013) | stfips + year", data=data, vcov={"CRV1": "stfips"}
        )
    theirs = fit.coef().to_numpy()
    np.testing.assert_allclose(ours.betahat, theirs, atol=1e-10)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.sigma)), fit.se().to_numpy(), rtol=1e-8)


@pytest.mark.parametrize(
    "mbar",
    # Each value costs ~14 s on a quiet machine (a 1,000-point grid of linear programs):
    # all in the slow tier (`make test-slow`). The default suite keeps the smoothness and
    # breakdown checks against the same R output, and the book runs relative magnitudes.
    [pytest.param(m, marks=pytest.mark.slow) for m in HONEST_RM],
)
def test_honestdid_relative_magnitudes_on_the_medicaid_example(ehec_study, mbar):
    _, es = ehec_study
    result = md.create_sensitivity_results_rm(
        es.betahat, es.sigma, es.n_pre, es.n_post, m_bar_vec=[mbar]
    ).to_pandas()
    lb, ub = HONEST_RM[mbar]
    assert result["lb"].iloc[0] == pytest.approx(lb, abs=RM_TOL)
    assert result["ub"].iloc[0] == pytest.approx(ub, abs=RM_TOL)


def test_honestdid_smoothness_on_the_medicaid_example(ehec_study):
    from replicate.models.sensitivity import sensitivity

    _, es = ehec_study
    table = sensitivity(es, "smoothness", list(HONEST_SD))
    for m, (lb, ub) in HONEST_SD.items():
        row = table.loc[m]
        assert row["lower"] == pytest.approx(lb, abs=SD_TOL + _printed(lb)), m
        assert row["upper"] == pytest.approx(ub, abs=SD_TOL + _printed(ub)), m


def _printed(value: float) -> float:
    """Half a unit of the last digit R printed (three significant digits)."""
    return 0.5 * 10 ** (np.floor(np.log10(abs(value))) - 2)


def test_breakdown_value_follows_the_intervals(ehec_study):
    from replicate.models.sensitivity import breakdown, sensitivity

    _, es = ehec_study
    table = sensitivity(es, "smoothness", [0.0, 0.01, 0.02, 0.03, 0.04])
    # HonestDiD README: "the breakdown value for a significant effect is M ≈ 0.03": the
    # interval excludes zero at M = 0.02 and includes it at 0.03, so on this grid the
    # largest significant M is 0.02 and the crossing lies between 0.02 and 0.03.
    assert breakdown(table) == 0.02
    assert table.loc[0.02, "lower"] > 0 > table.loc[0.03, "lower"]


def test_event_study_pretrend_test_and_bands(ehec_study):
    _, es = ehec_study
    pre = [i for i, e in enumerate(es.table.index.drop(-1)) if e < -1]
    b, v = es.betahat[pre], es.sigma[np.ix_(pre, pre)]
    assert es.pretrend_F == pytest.approx(b @ np.linalg.solve(v, b) / len(pre))
    assert es.pretrend_df[0] == 5
    z = es.table["upper"].iloc[-1] - es.table["coef"].iloc[-1]
    uniform = es.table["upper_uniform"].iloc[-1] - es.table["coef"].iloc[-1]
    assert uniform > z  # uniform bands are wider than pointwise ones
    from scipy import stats

    bonferroni = stats.norm.ppf(1 - 0.025 / len(es.betahat))
    assert es.sup_t <= bonferroni + 0.01


def test_bacon_decomposition_reproduces_twfe(twin):
    bacon = bacon_decomposition(twin, "nqp", **PAPER)
    twfe = TWFE(twin, "nqp", ["did"]).fit()
    assert bacon.estimate == pytest.approx(twfe.params["did"], abs=1e-10)
    assert bacon.se == pytest.approx(twfe.std_errors["did"], rel=1e-12)
    assert bacon.comparisons["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert set(bacon.comparisons["type"]) == {
        "Treated vs Untreated",
        "Earlier vs Later Treated",
        "Later vs Earlier Treated",
    }


def test_twfe_weights_recover_twfe_from_cell_effects():
    """On outcomes with no noise, TWFE = Σ w_it τ_it (de Chaisemartin & D'Haultfœuille 2020, Thm 1)."""
    frame = load_panel().frame[["city_id", "year", "g", "did"]].copy()
    rng = np.random.default_rng(0)
    unit = pd.Series(rng.normal(size=frame["city_id"].nunique()), index=frame["city_id"].unique())
    year = pd.Series(rng.normal(size=18), index=range(2005, 2023))
    tau = np.where(
        frame["did"] == 1,
        0.1 + 0.05 * (frame["year"] - frame["g"]) + 0.2 * (frame["g"] == 2014),
        0.0,
    )
    frame["y"] = frame["city_id"].map(unit) + frame["year"].map(year) + tau
    weights = twfe_weights(frame, "y", **PAPER)
    assert weights.weights["weight"].sum() == pytest.approx(1.0)
    assert (weights.weights["weight"].to_numpy() @ tau[frame["did"] == 1]) == pytest.approx(
        weights.beta, abs=1e-10
    )


def test_sun_abraham_equals_callaway_santanna_with_never_treated_controls(mpdta):
    """Without covariates, each cohort × event-time effect of the saturated regression is the
    2×2 DID against never-treated units relative to g − 1: CS's ATT(g,t), universal base."""
    sa = sun_abraham(mpdta, "lemp", **MPDTA)
    cs = callaway_santanna(mpdta, "lemp", **MPDTA, base_period="universal")
    gt = cs.group_time.assign(event_time=lambda d: d["year"] - d["cohort"]).query(
        "event_time != -1"
    )
    merged = sa.by_cohort_event.merge(gt, on=["cohort", "event_time"], suffixes=("_sa", "_cs"))
    assert len(merged) == len(sa.by_cohort_event)
    np.testing.assert_allclose(merged["estimate_sa"], merged["estimate_cs"], atol=1e-10)


def test_imputation_equals_exact_least_squares_and_two_stage_did(twin):
    """BJS imputation: unit and year effects fitted on untreated observations, here against
    an exact sparse least-squares fit; and Gardner's two-stage DID (pyfixest did2s), which
    has the same point estimate up to pyfixest's fixed-effect solver tolerance."""
    from scipy import sparse
    from scipy.sparse.linalg import lsqr

    ours = imputation(twin, "nqp", **PAPER)
    treated = twin["did"].to_numpy() == 1
    untreated = twin.loc[~treated]
    units, unit_index = pd.factorize(untreated["city_id"])
    years, year_index = pd.factorize(untreated["year"])
    n = len(untreated)
    design = sparse.hstack(
        [
            sparse.csr_matrix((np.ones(n), (np.arange(n), units))),
            sparse.csr_matrix((np.ones(n), (np.arange(n), years)))[:, 1:],
        ]
    ).tocsr()
    solution = lsqr(design, untreated["nqp"].to_numpy(), atol=1e-15, btol=1e-15, iter_lim=100_000)[
        0
    ]
    alpha, lam = solution[: len(unit_index)], np.concatenate([[0.0], solution[len(unit_index) :]])
    rows = twin.loc[treated]
    fitted = (
        alpha[unit_index.get_indexer(rows["city_id"])] + lam[year_index.get_indexer(rows["year"])]
    )
    assert ours.estimate == pytest.approx(float((rows["nqp"] - fitted).mean()), abs=1e-10)

    pf = pytest.importorskip("pyfixest")
    data = twin.assign(treat_flag=twin["did"].astype(bool))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(
            data,
            yname="nqp",
            first_stage="~ 0 | city_id + year",
            second_stage="~ treat_flag",
            treatment="treat_flag",
            cluster="city_id",
        )
    assert ours.estimate == pytest.approx(float(fit.coef().iloc[0]), abs=1e-6)


def test_permutation_draws_equal_full_refits(twin):
    from linearmodels import PanelOLS

    res = permutation_test(twin, "nqp", **PAPER, controls=CONTROLS, draws=5, seed=3)
    g_unit = twin.groupby("city_id")["g"].first()
    rng = np.random.default_rng(3)
    for i in range(5):
        order = rng.permutation(len(g_unit))
        fake = pd.Series(g_unit.to_numpy()[order], index=g_unit.index)
        data = twin.assign(g_fake=twin["city_id"].map(fake))
        data["did_fake"] = ((data["g_fake"] > 0) & (data["year"] >= data["g_fake"])).astype(float)
        indexed = data.set_index(["city_id", "year"])
        refit = PanelOLS(
            indexed["nqp"], indexed[["did_fake", *CONTROLS]], entity_effects=True, time_effects=True
        ).fit()
        assert res.draws[i] == pytest.approx(refit.params["did_fake"], abs=1e-10)
    assert res.estimate == pytest.approx(
        TWFE(twin, "nqp", ["did", *CONTROLS]).fit().params["did"], abs=1e-10
    )


def test_permutation_pvalue_counts_the_observed_assignment(twin):
    res = permutation_test(twin, "nqp", **PAPER, draws=99, seed=1)
    assert res.pvalue == pytest.approx(
        (1 + np.sum(np.abs(res.draws) >= abs(res.estimate) - 1e-12)) / 100
    )
    again = permutation_test(twin, "nqp", **PAPER, draws=99, seed=1)
    assert np.array_equal(res.draws, again.draws)


def test_wild_bootstrap_t_draws_equal_brute_force_refits(twin):
    res = wild_cluster_bootstrap(twin, "nqp", **PAPER, controls=["hum"], draws=4, seed=5)
    # Brute force: impose β = 0, rebuild y* cluster by cluster, refit with a clustered s.e.
    data = twin.sort_values(["city_id", "year"]).reset_index(drop=True)
    restricted = TWFE(data, "nqp", ["hum"]).fit(cov_type="unadjusted")
    fitted = data["nqp"].to_numpy()[restricted.sample] - 0  # full sample: no singletons here
    resid = np.zeros(len(data))
    resid[restricted.sample] = restricted.resid
    fitted = data["nqp"].to_numpy() - resid  # restricted fit including the fixed effects
    rng = np.random.default_rng(5)
    v = rng.choice(np.array([-1.0, 1.0]), size=(data["city_id"].nunique(), 4))
    codes = pd.factorize(data["city_id"])[0]
    for b in range(4):
        star = data.assign(y_star=fitted + resid * v[codes, b])
        fit = TWFE(star, "y_star", ["did", "hum"]).fit(small_sample="none")
        g, n, k = 285, len(data), 2
        t_plain = fit.params["did"] / fit.std_errors["did"]
        assert res.t_draws[b] == pytest.approx(
            t_plain / np.sqrt(g / (g - 1) * (n - 1) / (n - k)), rel=1e-8
        )


def test_wild_bootstrap_interval_and_weights(twin):
    res = wild_cluster_bootstrap(
        twin, "nqp", **PAPER, controls=CONTROLS, draws=199, weights="webb", seed=2
    )
    assert res.conf_int()[0] < res.estimate < res.conf_int()[1]
    with pytest.raises(ValueError, match="weights='normal' is not allowed"):
        wild_cluster_bootstrap(twin, "nqp", **PAPER, draws=9, weights="normal")


def test_placebo_in_time_is_centred_on_zero_without_pretrends():
    estimates = [
        placebo_in_time(
            regression_frame(
                synthetic.make_twin(seed=s).frame.assign(
                    g=lambda f: load_panel().frame["g"].to_numpy()
                )
            ),
            "nqp",
            **PAPER,
            shift=4,
        ).estimate
        for s in range(8)
    ]
    assert abs(np.mean(estimates)) < 3 * np.std(estimates, ddof=1) / np.sqrt(len(estimates))


def test_pretrend_knob_is_detected():
    twin = synthetic.make_twin(seed=4, knobs=synthetic.Knobs(pretrend=0.06))
    frame = twin.panel().frame
    res = event_study(frame, "nqp", **PAPER)
    assert res.pretrend_p < 0.01


def test_psm_nearest_neighbour_weights_and_frequency_equivalence(twin):
    from replicate.models.matching import psm_did

    res = psm_did(twin, "nqp", **PAPER, match_on=CONTROLS, method="nearest")
    treated = res.scores["treat"] == 1
    matched = res.weights[treated] > 0
    assert res.weights[~treated].sum() == pytest.approx(
        matched.sum()
    )  # each match uses one control
    # Weighted DID = unweighted DID on the sample with each control repeated as often as used.
    copies = []
    for city, w in res.weights[res.weights > 0].items():
        rows = twin[twin["city_id"] == city]
        copies += [rows.assign(city_id=f"{city}#{i}") for i in range(int(w))]
    expanded = pd.concat(copies, ignore_index=True)
    assert TWFE(expanded, "nqp", ["did"]).fit().params["did"] == pytest.approx(
        res.did.params["did"], abs=1e-10
    )


def test_psm_kernel_weights_and_balance(twin):
    from replicate.models.matching import psm_did

    res = psm_did(twin, "nqp", **PAPER, match_on=CONTROLS, method="kernel")
    treated = res.scores["treat"] == 1
    assert res.weights[~treated].sum() == pytest.approx(res.n_treated_matched)
    before = res.balance.xs("before", level="sample")["std. difference"].abs()
    after = res.balance.xs("after", level="sample")["std. difference"].abs()
    assert after.mean() < before.mean()
    x, t = res.scores["hum"], treated
    smd = (x[t].mean() - x[~t].mean()) / np.sqrt((x[t].var() + x[~t].var()) / 2)
    assert res.balance.loc[("hum", "before"), "std. difference"] == pytest.approx(smd)
    with pytest.raises(ValueError, match="method='radius' is not allowed"):
        psm_did(twin, "nqp", **PAPER, match_on=CONTROLS, method="radius")


def test_heterogeneous_growing_effects_bias_twfe_not_imputation():
    """The teaching chapter's lesson, as a Monte Carlo with the twin's known truth."""
    knobs = synthetic.Knobs(
        cohort_effects={2014: 0.3, 2015: 0.15, 2016: 0.0},
        dynamic_slope=0.04,
        conditional_trends=False,
    )
    truth = synthetic.make_twin(knobs=knobs).truth.att
    twfe, bjs = [], []
    for s in range(30):
        frame = regression_frame(synthetic.make_twin(seed=1000 + s, knobs=knobs).panel())
        twfe.append(TWFE(frame, "nqp", ["did"]).fit().params["did"])
        bjs.append(imputation(frame, "nqp", **PAPER).estimate)
    se = lambda x: np.std(x, ddof=1) / np.sqrt(len(x))  # noqa: E731
    assert abs(np.mean(bjs) - truth) < 3 * se(bjs)
    assert np.mean(twfe) - truth < -2 * se(twfe)  # pulled down by late-vs-early comparisons


# --------------------------------------------------------------------------- new pieces


@pytest.mark.parametrize("est_method", ["dr", "ipw"])
def test_callaway_santanna_methods_agree_with_r_did_without_covariates(mpdta, est_method):
    """Without covariates the doubly robust and IPW estimators reduce to the unconditional
    2×2 DID, so they must reproduce R did's printed est_method="reg" numbers too."""
    cs = callaway_santanna(mpdta, "lemp", **MPDTA, est_method=est_method)
    got = cs.group_time.set_index(["cohort", "year"])["estimate"]
    for key, value in R_DID_ATT_GT.items():
        assert got[key] == pytest.approx(value, abs=PRINTED_4), key
    assert cs.est_method == est_method


def test_callaway_santanna_is_doubly_robust_by_default(mpdta):
    cs = callaway_santanna(mpdta, "lemp", **MPDTA)
    assert cs.est_method == "dr" and cs.aggregation == "group"
    assert cs.estimate == pytest.approx(cs.overall.loc["group", "estimate"])
    assert cs.estimate == pytest.approx(R_DID_GROUP_OVERALL, abs=PRINTED_3)


def _att_2004_by_hand(mpdta: pd.DataFrame) -> dict[str, float]:
    """ATT(2004, 2004) with covariate lpop against never-treated counties, from the
    estimators' definitions: outcome regression (Heckman et al. 1997), normalized IPW
    (Abadie 2005) and the doubly robust DID of Sant'Anna & Zhao (2020, eq. 3.1), with an
    OLS outcome model on the controls and a logit propensity score."""
    import statsmodels.api as sm

    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    g = mpdta.groupby("countyreal")["first.treat"].first()
    x = mpdta.groupby("countyreal")["lpop"].first()  # lpop does not vary over time
    keep = g.isin([2004, 0])
    dy = (wide[2004] - wide[2003])[keep]
    d = (g[keep] == 2004).astype(float)
    X = sm.add_constant(x[keep])
    m = X @ sm.OLS(dy[d == 0], X[d == 0]).fit().params
    ps = sm.Logit(d, X).fit(disp=0).predict(X)
    odds = ps * (1 - d) / (1 - ps)
    return {
        "reg": float((dy - m)[d == 1].mean()),
        "ipw": float(dy[d == 1].mean() - (odds * dy).sum() / odds.sum()),
        "dr": float((dy - m)[d == 1].mean() - (odds * (dy - m)).sum() / odds.sum()),
    }


@pytest.mark.parametrize("est_method", ["dr", "reg", "ipw"])
def test_callaway_santanna_with_covariates_matches_the_estimators_definitions(mpdta, est_method):
    cs = callaway_santanna(mpdta, "lemp", **MPDTA, controls=["lpop"], est_method=est_method)
    got = cs.group_time.set_index(["cohort", "year"]).loc[(2004, 2004), "estimate"]
    assert got == pytest.approx(_att_2004_by_hand(mpdta)[est_method], abs=1e-12)


def _staggered_panel(seed: int, outcomes: int = 1) -> pd.DataFrame:
    """Periods 11–20; cohorts: treated before the sample (first = 8), in its first period
    (11), in periods 14 and 17, after its end (25), and never (0); growing, unequal effects."""
    rng = np.random.default_rng(seed)
    first = np.repeat([8, 11, 14, 17, 25, 0], [3, 2, 5, 6, 4, 10])
    units = np.repeat(np.arange(first.size), 10)
    t = np.tile(np.arange(11, 21), first.size)
    g = first[units]
    did = ((g != 0) & (t >= g)).astype(float)
    frame = pd.DataFrame({"unit": units, "t": t, "first": g})
    for j in range(outcomes):
        effect = did * (0.5 + 0.1 * (t - g) + 0.05 * (g % 7))
        frame[f"y{j}"] = (
            rng.normal(size=first.size)[units] + 0.2 * t + effect + rng.normal(size=t.size)
        )
    return frame


@pytest.mark.filterwarnings("ignore:only .* clusters")
def test_bacon_handles_always_treated_and_after_sample_cohorts_as_r_bacondecomp():
    """R bacondecomp's castle/math_reform data are .rda files this project cannot read; a
    panel with every kind of cohort checks the decomposition instead: (1) each 2×2 estimate
    is the TWFE coefficient on its two groups and periods (how bacondecomp computes it),
    (2) Σ weight × estimate = TWFE for several outcomes, which pins the weights down."""
    columns = {"unit": "unit", "time": "t", "cohort": "first"}
    frame = _staggered_panel(0, outcomes=25)
    bacon = bacon_decomposition(frame, "y0", **columns)
    c = bacon.comparisons
    assert set(c["type"]) == {
        "Treated vs Untreated",
        "Earlier vs Later Treated",
        "Later vs Earlier Treated",
        "Later vs Always Treated",
    }
    assert (bacon.n_always_treated, bacon.n_treated_after_sample) == (5, 4)
    assert len(c) == 2 + 2 + 2  # two timing groups, each against U and A, and one pair twice
    group = frame["first"].where(frame["first"] > 11, 11).where(frame["first"] <= 20, 0)
    group = group.where(frame["first"] > 0, 0)
    for row in c.itertuples():
        pair = group.isin([row.treated, row.control])
        if row.type == "Earlier vs Later Treated":
            pair &= frame["t"] < row.control
        elif row.type == "Later vs Earlier Treated":
            pair &= frame["t"] >= row.control
        sub = frame[pair].assign(did=((group == row.treated) & (frame["t"] >= row.treated)) * 1.0)
        direct = TWFE(sub, "y0", ["did"], ("unit", "t")).fit(cluster="unit").params["did"]
        assert row.estimate == pytest.approx(direct, abs=1e-10), row
    did = ((frame["first"] != 0) & (frame["t"] >= frame["first"])).astype(float)
    for j in range(25):
        twfe = TWFE(frame.assign(did=did), f"y{j}", ["did"], ("unit", "t")).fit(cluster="unit")
        decomposition = bacon_decomposition(frame, f"y{j}", **columns)
        assert decomposition.estimate == pytest.approx(twfe.params["did"], abs=1e-10)
        np.testing.assert_allclose(decomposition.comparisons["weight"], c["weight"], atol=1e-14)


def test_imputation_standard_error_equals_did2s_when_averaged_over_all_treated(twin):
    """BJS's variance with treated residuals τ̂ − mean(τ̂) (average_by="all", no leave-out)
    is Gardner's two-stage GMM variance: pyfixest did2s (clustered by city) gives the same
    number up to its fixed-effect solver tolerance. This checks the implied weights v."""
    pf = pytest.importorskip("pyfixest")
    data = twin.assign(treat_flag=twin["did"].astype(bool))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.did2s(
            data,
            yname="nqp",
            first_stage="~ 0 | city_id + year",
            second_stage="~ treat_flag",
            treatment="treat_flag",
            cluster="city_id",
        )
    ours = imputation(twin, "nqp", **PAPER, leave_out=False, average_by="all")
    assert ours.se == pytest.approx(float(fit.se().iloc[0]), rel=1e-6)


def test_imputation_standard_error_removes_cohort_period_heterogeneity():
    """With effects that differ by cohort and period, did2s counts that heterogeneity as
    noise; BJS's default (cohort × period averages) does not, so it is smaller."""
    knobs = synthetic.Knobs(
        cohort_effects={2014: 0.3, 2015: 0.15, 2016: 0.0},
        dynamic_slope=0.04,
        conditional_trends=False,
    )
    frame = regression_frame(synthetic.make_twin(knobs=knobs).panel())
    pooled = imputation(frame, "nqp", **PAPER, leave_out=False, average_by="all")
    default = imputation(frame, "nqp", **PAPER)
    plain = imputation(frame, "nqp", **PAPER, leave_out=False)
    assert default.estimate == pooled.estimate
    assert plain.se < default.se < pooled.se  # leave-out adds back what own-cell means remove


@pytest.mark.slow
def test_imputation_intervals_cover_the_truth_on_the_twin():
    """Monte Carlo on the twin with heterogeneous, growing effects: the conservative
    95% interval must cover the true ATT of the treated city-years at least nominally
    (up to three Monte Carlo standard errors)."""
    knobs = synthetic.Knobs(
        cohort_effects={2014: 0.3, 2015: 0.15, 2016: 0.0},
        dynamic_slope=0.04,
        conditional_trends=False,
    )
    draws, covered = 200, 0
    for s in range(draws):
        twin = synthetic.make_twin(seed=5000 + s, knobs=knobs)
        res = imputation(twin.panel(), "nqp")
        lo, hi = res.conf_int()
        covered += lo <= twin.truth.att <= hi
    assert covered / draws >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / draws)


def test_permutation_interval_inverts_the_permutation_test(twin):
    """pvalue_at(b0) equals the permutation test run on y − b0·did (same draws), and the
    interval's ends are where that p-value crosses α."""
    res = permutation_test(twin, "nqp", **PAPER, controls=["hum"], draws=199, seed=4)
    b0 = 0.05
    shifted = permutation_test(
        twin.assign(y0=twin["nqp"] - b0 * twin["did"]),
        "y0",
        **PAPER,
        controls=["hum"],
        draws=199,
        seed=4,
    )
    np.testing.assert_allclose(shifted.draws, res.draws - b0 * res.slopes, atol=1e-10)
    assert res.pvalue_at(b0)[0] == pytest.approx(shifted.pvalue)
    lo, hi = res.conf_int(0.9)
    for end, inside in ((lo, 1), (hi, -1)):
        assert res.pvalue_at(end + inside * 1e-7)[0] > 0.1 >= res.pvalue_at(end - inside * 1e-7)[0]
