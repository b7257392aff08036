"""TWFE against independent implementations and closed forms.

* slopes: statsmodels OLS with city and year dummies (LSDV) and linearmodels PanelOLS /
  AbsorbingLS, to 1e-8;
* standard errors: statsmodels' cluster-robust sandwich, rescaled by the ratio of the two
  documented small-sample factors (statsmodels counts every dummy in K), to 1e-8;
* the constant: the identity ``_cons = ȳ − x̄'b`` (reghdfe / xtreg, fe);
* singletons: the 108 = 6 × 18 city-years of the six single-city provinces (PAPER.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from replicate import fit
from replicate.data.schema import CONTROLS
from replicate.models import fixed_effects as fe

COEF_TOL = 1e-8
VCOV = {"cluster": {"CRV1": "city_id"}, "robust": "hetero", "unadjusted": "iid"}


def formula(regressors, absorb="city_id + year", outcome="nqp"):
    return f"{outcome} ~ {' + '.join(regressors)} | {absorb}"


@pytest.fixture(scope="module")
def frame(default_panel) -> pd.DataFrame:
    return default_panel.frame  # built once per session (conftest); copy before changing


@pytest.fixture(scope="module")
def lsdv(frame):
    regressors = ["did", *CONTROLS]
    dummies = pd.get_dummies(frame[["city_id", "year"]].astype(str), drop_first=True, dtype=float)
    design = sm.add_constant(pd.concat([frame[regressors], dummies], axis=1))
    return sm.OLS(frame["nqp"], design), regressors


@pytest.mark.parametrize("cov_type", ["cluster", "robust", "unadjusted"])
def test_slopes_and_errors_match_statsmodels_lsdv(frame, lsdv, cov_type):
    model, regressors = lsdv
    n, k_lsdv, groups = len(frame), model.exog.shape[1], pd.factorize(frame["city_id"])[0]
    ours = fit(formula(regressors), frame, vcov=VCOV[cov_type], small_sample="reghdfe")
    if cov_type == "cluster":
        theirs = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        # statsmodels: G/(G-1)·(N-1)/(N-K_lsdv); reghdfe: G/(G-1)·(N-1)/(N-k-17-1) (the city
        # effects are nested in the clusters: only the intercept counts).
        ratio = (n - k_lsdv) / (n - len(regressors) - 17 - 1)
    elif cov_type == "robust":
        theirs = model.fit(cov_type="HC1")  # N/(N-K_lsdv), the same K as ours (all FE counted)
        ratio = 1.0
    else:
        theirs = model.fit()
        ratio = 1.0
    np.testing.assert_allclose(
        ours.params[regressors], theirs.params[regressors], rtol=0, atol=COEF_TOL
    )
    np.testing.assert_allclose(
        ours.std_errors[regressors], theirs.bse[regressors] * np.sqrt(ratio), rtol=1e-8
    )
    assert ours.rsquared == pytest.approx(theirs.rsquared, abs=1e-10)


def test_slopes_match_linearmodels(frame):
    from linearmodels import AbsorbingLS, PanelOLS

    regressors = ["did", *CONTROLS]
    indexed = frame.set_index(["city_id", "year"])
    panel = PanelOLS(
        indexed["nqp"], indexed[regressors], entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", cluster_entity=True)
    ours = fit(formula(regressors), frame)
    np.testing.assert_allclose(ours.params[regressors], panel.params[regressors], atol=COEF_TOL)
    absorbed = AbsorbingLS(
        frame["nqp"],
        frame[regressors],
        absorb=frame[["city_id", "province"]]
        .assign(py=frame["province"] + frame["year"].astype(str))
        .drop(columns="province")
        .astype("category"),
    ).fit()
    three_way = fit(
        formula(regressors, "city_id + year + province^year"), frame, drop_singletons=False
    )
    np.testing.assert_allclose(three_way.params[regressors], absorbed.params[regressors], atol=1e-7)


def test_constant_is_the_grand_mean_identity(frame):
    regressors = ["did", *CONTROLS]
    res = fit(formula(regressors), frame)
    expected = frame["nqp"].mean() - frame[regressors].mean() @ res.params[regressors]
    assert res.params["constant"] == pytest.approx(expected, abs=1e-12)


# The reghdfe and xtreg small-sample conventions are checked against independent
# implementations in tests/test_fit.py (pyfixest ssc for reghdfe, statsmodels' within
# regression for xtreg), not by restating their formulas here.


def test_province_by_year_effects_drop_the_108_singletons(frame):
    res = fit(formula(["did", *CONTROLS], "city_id + year + province^year"), frame)
    assert res.n_singletons == 108 and res.nobs == 5022  # PAPER.md, Table 4 column (1)
    assert res.absorb == ("city_id", "year", "province#year")
    dropped = frame.loc[~res.sample, "province"].unique()
    assert sorted(dropped) == ["Beijing", "Chongqing", "Qinghai", "Shanghai", "Tianjin", "Tibet"]


def test_singleton_rule_iterates():
    # Row 2 is alone in a=1 → dropped; then row 1 is alone in b=1 → dropped; on the next
    # pass row 0 is alone in a=0 → dropped. Rows 3 and 4 share a=2 and b=0 and stay.
    codes = [np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 0, 0])]
    assert fe.singleton_mask(codes).tolist() == [False, False, False, True, True]


def test_absorbed_dof_counts_redundancy_exactly():
    city = np.repeat(np.arange(4), 3)
    year = np.tile(np.arange(3), 4)
    assert fe.absorbed_dof([city, year]).total == 4 + 3 - 1
    nested = fe.absorbed_dof([city, year], cluster=city)
    assert nested.nested == (True, False) and nested.not_nested == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vcov": "bootstrap"}, "vcov='bootstrap' is not allowed"),
        ({"small_sample": "stata"}, "small_sample='stata' is not allowed"),
    ],
)
def test_bad_options_name_the_allowed_values(frame, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit(formula(["did"]), frame, **kwargs)


def test_bad_inputs_give_clear_errors(frame):
    with pytest.raises(ValueError, match=r"columns \['wealth'\] are not in the data"):
        fit(formula(["did", "wealth"]), frame)
    with pytest.warns(UserWarning, match=r"\['treat2'\] dropped: collinear"):
        fit(formula(["did", "treat2"]), frame.assign(treat2=frame["treat"]))
    holes = frame.assign(nqp=frame["nqp"].where(frame.index > 2))
    with pytest.raises(ValueError, match=r"column 'nqp' has 3 missing or infinite value\(s\)"):
        fit(formula(["did"]), holes)
    before = frame.copy()
    fit(formula(["did"]), frame)
    pd.testing.assert_frame_equal(frame, before)


def test_weighted_fit_matches_statsmodels_wls(frame):
    regressors = ["did", "hum"]
    weighted = frame.assign(w=np.random.default_rng(0).uniform(0.2, 3.0, len(frame)))
    weighted.loc[weighted.index[:36], "w"] = 0.0  # two cities out entirely
    ours = fit(formula(regressors), weighted, weights="w", vcov="iid")
    kept = weighted[weighted["w"] > 0]
    dummies = pd.get_dummies(kept[["city_id", "year"]].astype(str), drop_first=True, dtype=float)
    design = sm.add_constant(pd.concat([kept[regressors], dummies], axis=1))
    theirs = sm.WLS(kept["nqp"], design, weights=kept["w"]).fit()
    np.testing.assert_allclose(ours.params[regressors], theirs.params[regressors], atol=COEF_TOL)
    np.testing.assert_allclose(ours.std_errors[regressors], theirs.bse[regressors], rtol=1e-8)
    assert ours.rsquared == pytest.approx(theirs.rsquared, abs=1e-10)
    assert ours.nobs == len(kept) and ours.n_singletons == 0
    with pytest.raises(ValueError, match="finite, non-negative"):
        fit(formula(regressors), weighted.assign(w=-1.0), weights="w")


def _results_equal(a, b) -> None:
    """Two fits equal to the bit: slopes, covariance, residuals, sample, fit statistics."""
    pd.testing.assert_series_equal(a.params, b.params, rtol=0, atol=0)
    pd.testing.assert_frame_equal(a.cov, b.cov, rtol=0, atol=0)
    np.testing.assert_array_equal(a.resid, b.resid)
    np.testing.assert_array_equal(a.sample, b.sample)
    assert (a.nobs, a.n_clusters, a.df_resid, a.rsquared) == (
        b.nobs,
        b.n_clusters,
        b.df_resid,
        b.rsquared,
    )


@pytest.mark.filterwarnings("ignore::UserWarning")  # few provinces; the trend is collinear
@pytest.mark.parametrize("absorb", [("city_id", "year"), ("city_id", "year", "province#year")])
def test_shared_within_gives_the_same_fits_bit_for_bit(frame, absorb):
    """TWFE(within=...) — the sample, codes and demeaned columns computed once for several
    fits (the multiverse's control sets and clusterings) — equals each fit on its own."""
    from replicate.models.twfe import TWFE, within

    data = frame.assign(trend=(frame["year"] - 2005) * (frame["province"] == "Hebei"))
    shared = within(data, ["nqp", "did", *CONTROLS, "trend"], absorb)
    assert shared.names == ("nqp", "did", *CONTROLS, "trend")
    for regressors in (["did"], ["did", *CONTROLS[:3]], ["did", *CONTROLS, "trend"]):
        for cluster in ("city_id", "province"):
            alone = TWFE(data, "nqp", regressors, absorb).fit(cluster=cluster)
            model = TWFE(data, "nqp", regressors, absorb, within=shared)
            assert model._within is shared  # the shared path was taken
            _results_equal(model.fit(cluster=cluster), alone)
    # A column within() left out (not finite throughout) makes the fit demean on its own,
    # with its own error; so does another frame.
    holes = data.assign(hum=data["hum"].where(data.index > 0))
    partial = within(holes, ["nqp", "did", "hum", "fdi"], absorb)
    assert partial.names == ("nqp", "did", "fdi")
    assert TWFE(holes, "nqp", ["did", "fdi"], absorb, within=partial)._within is partial
    with pytest.raises(ValueError, match="column 'hum' has 1 missing"):
        TWFE(holes, "nqp", ["did", "hum"], absorb, within=partial)
    assert TWFE(data, "nqp", ["did"], absorb, within=partial)._within is None


def test_demeaning_is_column_by_column(frame):
    """What makes a shared Within exact: pyfixest's alternating projections converge each
    column on its own, so a column demeaned beside others equals it demeaned alone."""
    codes = fe.encode(frame, ["city_id", "year", "province#year"])
    values = frame[["nqp", "did", *CONTROLS]].to_numpy(float)
    together = fe.demean(values, codes)
    for j in range(values.shape[1]):
        np.testing.assert_array_equal(together[:, j], fe.demean(values[:, [j]], codes)[:, 0])
