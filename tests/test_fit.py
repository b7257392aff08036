"""``replicate.fit`` against pyfixest ``feols``, statsmodels and an exact dense rank.

* slopes to 1e-8 and standard errors to 1e-6 against pyfixest 0.60 ``feols`` on formulas with
  one, two and three fixed effects (incl. ``province^year``), weights, and each vcov;
  each small-sample convention is mapped to pyfixest's ``ssc`` (verified numerically):
  ``reghdfe`` → ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True)`` when clustered and
  ``k_fixef="full"`` otherwise; ``none`` → ``ssc(k_adj=False, G_adj=False)``. ``xtreg``
  (fixest's ``fixef.K="nested"``) has no pyfixest equivalent and is checked against
  statsmodels OLS on within-city data with year dummies;
* absorbed degrees of freedom against the exact rank of the dense dummy matrix, on small
  random panels including disconnected ones (the dense method lives only here);
* each guard's message.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm
from pyfixest.demeaners import MapDemeaner
from scipy import sparse

from replicate import fit
from replicate.models import fixed_effects as fe
from replicate.replication import regression_frame

COEF_TOL = 1e-8
SE_RTOL = 1e-6
PYFIXEST_TOL = MapDemeaner(fixef_tol=1e-12)  # pyfixest's default 1e-6 would limit agreement
TWO_WAY = "nqp ~ did + fdi + hum | city_id + year"
SSC = {
    ("cluster", "reghdfe"): pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True),
    ("cluster", "none"): pf.ssc(k_adj=False, G_adj=False),
    ("other", "reghdfe"): pf.ssc(k_adj=True, k_fixef="full"),
    ("other", "none"): pf.ssc(k_adj=False, G_adj=False),
}


@pytest.fixture(scope="module")
def panel(default_panel):
    return default_panel  # built once per session (conftest)


@pytest.fixture(scope="module")
def frame(panel) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    out = regression_frame(panel)
    return out.assign(
        w=rng.uniform(0.3, 3.0, len(out)),
        industry=(out["city_id"].rank(method="dense").astype(int) * 7 + out["year"]) % 5,
    )


def pyfixest(formula, data, vcov, small_sample, **kwargs):
    kind = "cluster" if isinstance(vcov, dict) else "other"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(
            formula,
            data,
            vcov=vcov,
            ssc=SSC[(kind, small_sample)],
            demeaner=PYFIXEST_TOL,
            **kwargs,
        )


CASES = [
    (TWO_WAY, {"CRV1": "city_id"}, "reghdfe", None),
    (TWO_WAY, {"CRV1": "city_id"}, "none", None),
    (TWO_WAY, "hetero", "reghdfe", None),
    (TWO_WAY, "hetero", "none", None),
    (TWO_WAY, "iid", "reghdfe", None),
    (TWO_WAY, "iid", "none", None),
    (TWO_WAY, {"CRV1": "city_id"}, "reghdfe", "w"),
    (TWO_WAY, "hetero", "reghdfe", "w"),
    ("nqp ~ did + fdi | city_id", {"CRV1": "province"}, "reghdfe", None),
    ("nqp ~ did + fdi | city_id", "iid", "reghdfe", None),
    ("nqp ~ did + gov + hum | city_id + year + industry", {"CRV1": "city_id"}, "reghdfe", None),
    ("nqp ~ did + gov + hum | city_id + year + industry", "hetero", "reghdfe", "w"),
    ("nqp ~ did + fdi + C(industry) | city_id", {"CRV1": "city_id"}, "reghdfe", None),
]


@pytest.mark.parametrize(("formula", "vcov", "small_sample", "weights"), CASES)
def test_matches_pyfixest(frame, formula, vcov, small_sample, weights):
    ours = fit(formula, frame, vcov=vcov, small_sample=small_sample, weights=weights)
    theirs = pyfixest(formula, frame, vcov, small_sample, weights=weights)
    names = list(theirs.coef().index)
    assert ours.nobs == theirs._N
    np.testing.assert_allclose(ours.params[names], theirs.coef(), rtol=0, atol=COEF_TOL)
    np.testing.assert_allclose(ours.std_errors[names], theirs.se(), rtol=SE_RTOL)
    np.testing.assert_allclose(ours.pvalues[names], theirs.pvalue(), rtol=1e-6, atol=1e-12)


def dense_rank(codes) -> int:
    """Exact rank of the stacked dummies (dense Gram matrix): the reference, test-only."""
    n = codes[0].size
    blocks = [
        sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, c.max() + 1)) for c in codes
    ]
    gram = (sparse.hstack(blocks).T @ sparse.hstack(blocks)).toarray()
    return int(np.linalg.matrix_rank(gram))


def test_province_by_year_counts_redundant_year_effects_exactly(frame):
    """pyfixest counts Σ levels − 2 for three effects; but the year effects are implied by
    province × year, and city and province × year fall into one connected set per province,
    so the exact count (dense rank) is smaller: s.e. differ by the closed-form ratio of the
    two small-sample factors."""
    formula = "nqp ~ did + fdi + hum | city_id + year + province^year"
    ours = fit(formula, frame, vcov={"CRV1": "city_id"})
    theirs = pyfixest(formula, frame, {"CRV1": "city_id"}, "reghdfe")
    names = list(theirs.coef().index)
    np.testing.assert_allclose(ours.params[names], theirs.coef(), atol=COEF_TOL)
    kept = frame[ours.sample]
    codes = fe.encode(kept, ["city_id", "year", "province#year"])
    levels = [int(c.max()) + 1 for c in codes]
    n, k = ours.nobs, len(names)
    exact_not_nested = dense_rank(codes) - levels[0]  # the city effects are nested in clusters
    pyfixest_not_nested = sum(levels) - 2 - levels[0]
    ratio = np.sqrt((n - k - pyfixest_not_nested - 1) / (n - k - exact_not_nested - 1))
    assert pyfixest_not_nested - exact_not_nested == 17 + (kept["province"].nunique() - 1)
    np.testing.assert_allclose(ours.std_errors[names], theirs.se() * ratio, rtol=SE_RTOL)


def test_xtreg_convention_matches_statsmodels_within_regression(frame):
    """xtreg, fe vce(cluster): G/(G−1)·(N−1)/(N−k−17) = statsmodels' cluster correction on
    the within-city regression with 17 year dummies (K = k + 17)."""
    regressors = ["did", "fdi", "hum"]
    ours = fit(TWO_WAY, frame, small_sample="xtreg")
    years = pd.get_dummies(frame["year"], prefix="y", drop_first=True, dtype=float)
    design = pd.concat([frame[regressors], years], axis=1)
    within = design - design.groupby(frame["city_id"]).transform("mean")
    y = frame["nqp"] - frame.groupby("city_id")["nqp"].transform("mean")
    groups = pd.factorize(frame["city_id"])[0]
    theirs = sm.OLS(y, within).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(ours.params[regressors], theirs.params[regressors], atol=COEF_TOL)
    np.testing.assert_allclose(ours.std_errors[regressors], theirs.bse[regressors], rtol=SE_RTOL)


def random_codes(rng, n, levels, disconnect=False):
    codes = [rng.integers(0, L, n) for L in levels]
    if disconnect:  # split rows into two blocks whose levels never meet
        half = n // 2
        for c, L in zip(codes, levels, strict=True):
            c[:half] %= max(L // 2, 1)
            c[half:] = max(L // 2, 1) + c[half:] % max(L - L // 2, 1)
    return [pd.factorize(c)[0] for c in codes]


@pytest.mark.parametrize("seed", range(12))
def test_absorbed_dof_equals_dense_rank(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 120))
    levels = rng.integers(2, 15, 2)
    codes = random_codes(rng, n, levels, disconnect=seed % 2 == 0)
    assert fe.absorbed_rank(codes) == dense_rank(codes)
    assert fe.absorbed_rank(codes[:1]) == dense_rank(codes[:1])
    # a sparse panel: most units seen once or twice, so the bipartite graph falls apart
    sparse_codes = [rng.integers(0, n, n // 3), rng.integers(0, 40, n // 3)]
    sparse_codes = [pd.factorize(c)[0] for c in sparse_codes]
    assert fe.absorbed_rank(sparse_codes) == dense_rank(sparse_codes)
    # nested in the clusters: rank(all) − rank(nested ones), against the dense method
    cluster = codes[0] % 3
    dof = fe.absorbed_dof(codes, cluster)
    nested = [c for c in codes if fe.is_nested(c, cluster)]
    expected = dense_rank(codes) - (dense_rank(nested) if nested else 0)
    assert dof.not_nested == expected


@pytest.mark.parametrize("seed", range(8))
def test_three_effects_exact_when_redundant_and_conservative_otherwise(seed):
    rng = np.random.default_rng(100 + seed)
    n = 150
    a, b = random_codes(rng, n, [12, 6], disconnect=seed % 2 == 0)
    coarse = a % 3  # implied by a: redundant
    interacted = fe.combine([coarse, b])  # implies b
    exact_case = [a, b, coarse, interacted]
    assert fe.absorbed_dof(exact_case).exact
    assert fe.absorbed_rank(exact_case) == dense_rank(exact_case)
    c = pd.factorize(rng.integers(0, 5, n))[0]
    general = [a, b, c]
    assert fe.absorbed_rank(general) >= dense_rank(general)  # never under-counts
    assert not fe.absorbed_dof(general).exact


def test_rank_is_linear_in_levels():
    """200,000 units × 2 periods: a dense Gram matrix would need 320 GB."""
    units = np.repeat(np.arange(200_000), 2)
    periods = np.tile(np.arange(2), 200_000)
    assert fe.absorbed_rank([units, periods]) == 200_000 + 2 - 1
    assert fe.absorbed_dof([units, periods], cluster=units).not_nested == 1


def test_panel_is_put_on_its_regression_scale(panel):
    ours = fit("nqp ~ did + mar + fin | city_id + year", panel)
    reference = fit("nqp ~ did + mar + fin | city_id + year", regression_frame(panel))
    raw = fit("nqp ~ did + mar + fin | city_id + year", panel.frame)
    pd.testing.assert_series_equal(ours.params, reference.params)
    assert ours.params["mar"] == pytest.approx(raw.params["mar"] / 100, rel=1e-10)
    assert ours.data_label == panel.label and reference.data_label is None


def test_result_records_the_model(frame):
    res = fit("nqp ~ did + hum | city_id + year + province^year", frame, vcov="hetero")
    assert res.formula == "nqp ~ did + hum | city_id + year + province^year"
    assert res.absorb == res.fixed_effects == ("city_id", "year", "province#year")
    tidy = res.tidy()
    assert list(tidy.columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    assert tidy["term"].tolist() == ["did", "hum", "constant"]
    np.testing.assert_allclose(tidy["conf_low"], res.conf_int()["lower"])
    text = str(res.summary())
    assert "province#year" in text and "heteroskedasticity-robust" in text
    assert "<table" in res._repr_html_() and "N = " in res._repr_html_()


def test_default_vcov_clusters_on_the_first_fixed_effect(frame):
    res = fit("nqp ~ did | city_id + year", frame)
    assert res.cov_type == "cluster" and res.cluster == "city_id" and res.n_clusters == 285
    assert fit("nqp ~ did", frame).cov_type == "unadjusted"


# ----------------------------------------------------------------------------- guards


def test_fewer_than_two_clusters_is_an_error(frame):
    with pytest.raises(ValueError, match=r"'one' has 1 cluster .* need at least two"):
        fit(TWO_WAY, frame.assign(one=1), vcov={"CRV1": "one"})


def test_few_clusters_warn_and_name_the_wild_bootstrap(frame):
    with pytest.warns(UserWarning, match=r"only 18 clusters in 'year'.*wild_cluster_bootstrap"):
        fit(TWO_WAY, frame, vcov={"CRV1": "year"})


def test_collinear_up_to_noise_is_dropped_with_a_warning(frame):
    noisy = frame.assign(
        fdi2=frame["fdi"] + 1e-12 * np.random.default_rng(0).standard_normal(len(frame))
    )
    with pytest.warns(UserWarning, match=r"\['fdi2'\] dropped: collinear"):
        res = fit("nqp ~ did + fdi + fdi2 | city_id + year", noisy)
    assert res.collinear == ("fdi2",) and "fdi2" not in res.params
    expected = fit("nqp ~ did + fdi | city_id + year", frame)
    np.testing.assert_allclose(res.params, expected.params, atol=1e-12)


def test_collinear_with_the_fixed_effects_is_dropped(frame):
    with pytest.warns(UserWarning, match=r"\['treat'\] dropped: collinear .* fixed effects"):
        res = fit("nqp ~ did + treat | city_id + year", frame)
    assert res.collinear == ("treat",)
    with pytest.raises(ValueError, match=r"every regressor \['treat'\] is constant or collinear"):
        fit("nqp ~ treat | city_id + year", frame)


def test_constant_outcome_is_an_error(frame):
    with pytest.raises(ValueError, match=r"outcome 'flat' is constant"):
        fit("flat ~ did | city_id + year", frame.assign(flat=2.0))
    with pytest.raises(ValueError, match=r"'treat' is fully explained by the fixed effects"):
        fit("treat ~ did | city_id + year", frame)


@pytest.mark.parametrize(
    ("column", "value", "kwargs"),
    [
        ("nqp", np.nan, {}),
        ("fdi", np.inf, {}),
        ("w", np.nan, {"weights": "w"}),
        ("province", None, {"vcov": {"CRV1": "province"}}),
        ("year", np.nan, {}),
    ],
)
def test_missing_values_name_the_column_rows_and_fix(frame, column, value, kwargs):
    holes = frame.copy()
    holes[column] = holes[column].astype(object if value is None else float)
    rows = holes.index[[3, 10, 11]]
    holes.loc[rows, column] = value
    with pytest.raises(ValueError) as err:
        fit("nqp ~ did + fdi | city_id + year", holes, **kwargs)
    message = str(err.value)
    assert f"'{column}'" in message and "3 missing" in message
    assert f"rows {rows[0]}, {rows[1]}, {rows[2]}" in message
    assert "load_panel(..., missing='drop')" in message


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("nqp did", "exactly one '~'"),
        ("log(nqp) ~ did", "must be a column name"),
        ("nqp ~ did | city_id | fdi ~ hum", "no instrumental variables"),
        ("nqp ~ 0 + did | city_id", "constant is always reported"),
        ("nqp ~ did | city_id[fdi]", "varying slopes are not"),
    ],
)
def test_bad_formulas_say_what_is_supported(frame, formula, message):
    with pytest.raises(ValueError, match=message):
        fit(formula, frame)


@pytest.mark.parametrize(
    ("formula", "clusters"),
    [
        (TWO_WAY, "city_id+year"),
        (TWO_WAY, "province + year"),
        ("nqp ~ did + gov + hum | city_id + year + industry", "city_id+industry"),
        ("nqp ~ did + fdi | city_id", "year+province"),
    ],
)
def test_two_way_clustering_matches_pyfixest(frame, formula, clusters):
    """Cameron–Gelbach–Miller two-way clustering against pyfixest 0.60 (its default ssc:
    G_df="min", k_fixef="nonnested"): slopes, s.e. and p-values (t with min(G) − 1 df)."""
    vcov = {"CRV1": clusters}
    ours = fit(formula, frame, vcov=vcov)
    theirs = pyfixest(formula, frame, vcov, "reghdfe")
    names = list(theirs.coef().index)
    np.testing.assert_allclose(ours.params[names], theirs.coef(), rtol=0, atol=COEF_TOL)
    np.testing.assert_allclose(ours.std_errors[names], theirs.se(), rtol=SE_RTOL)
    np.testing.assert_allclose(ours.pvalues[names], theirs.pvalue(), rtol=1e-6, atol=1e-12)
    parts = [c.strip() for c in clusters.split("+")]
    assert ours.cluster == "+".join(parts)
    assert ours.n_clusters == min(frame[c].nunique() for c in parts) == ours.df_resid + 1
    assert all(c in ours.inference for c in parts)


def test_two_way_clustering_is_not_one_way(frame):
    one = fit(TWO_WAY, frame, vcov={"CRV1": "city_id"})
    two = fit(TWO_WAY, frame, vcov={"CRV1": "city_id+year"})
    assert not np.allclose(one.std_errors, two.std_errors, rtol=1e-3)
    np.testing.assert_allclose(one.params, two.params, rtol=0, atol=0)


@pytest.mark.parametrize("vcov", [{"CRV1": "city_id+year+province"}, {"CRV1": "city_id+city_id"}])
def test_vcov_refuses_three_way_or_repeated_clustering(frame, vcov):
    with pytest.raises(ValueError, match="two joined by '\\+'"):
        fit(TWO_WAY, frame, vcov=vcov)


# ----------------------------------------------------------------------------- i() and sunab()


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    """R did's mpdta (moderndid 0.2 ``load_mpdta``), with its event time and a state code."""
    import moderndid as md

    df = md.load_mpdta().to_pandas().rename(columns={"first.treat": "ft"})
    return df.assign(
        rel=np.where(df["ft"] > 0, df["year"] - df["ft"], -1000),
        treated=(df["ft"] > 0).astype(int),
        state=df["countyreal"] // 1000,
        size=np.where(df["lpop"] > df["lpop"].median(), "large", "small"),
    )


I_CASES = [
    ("lemp ~ i(rel, treated, ref=-1) | countyreal + year", {"CRV1": "countyreal"}),
    ("lemp ~ i(rel, treated, ref=-1) + lpop | year", {"CRV1": "state"}),
    ("lemp ~ i(rel, ref=-1) | countyreal + year", {"CRV1": "countyreal"}),
    ("lemp ~ i(year) + lpop", "hetero"),
    ("lemp ~ i(size, ref='small') + i(year, lpop) | state", {"CRV1": "state"}),
    ("lemp ~ i(size, treated) | year", "iid"),
]


@pytest.mark.parametrize(("formula", "vcov"), I_CASES)
@pytest.mark.parametrize("small_sample", ["none", "reghdfe"])
def test_i_terms_match_pyfixest(mpdta, formula, vcov, small_sample):
    """Same indicators (pyfixest's names and reference levels), slopes to 1e-8, s.e. to
    1e-6. The reghdfe convention's s.e. are compared where it and pyfixest's default count
    the same degrees of freedom (effects nested in the clusters; see tests above): without
    nested effects reghdfe counts one more."""
    ours = fit(formula, mpdta, vcov=vcov, small_sample=small_sample)
    theirs = pyfixest(formula, mpdta, vcov, small_sample)
    names = [n for n in theirs.coef().index if n != "Intercept"]
    assert set(names) <= set(ours.params.index), (names, list(ours.params.index))
    assert len(names) == len(ours.params) - 1  # the same indicators (pyfixest's names)
    np.testing.assert_allclose(ours.params[names], theirs.coef()[names], rtol=0, atol=COEF_TOL)
    if small_sample == "none" or formula.endswith("countyreal + year") and vcov != "iid":
        np.testing.assert_allclose(ours.std_errors[names], theirs.se()[names], rtol=SE_RTOL)


def test_i_term_guards(mpdta):
    with pytest.raises(ValueError, match=r"ref=7 is not a value of 'rel'"):
        fit("lemp ~ i(rel, ref=7) | countyreal", mpdta)
    with pytest.raises(ValueError, match=r"'rel'.*missing"):
        fit(
            "lemp ~ i(rel, ref=-1) | countyreal",
            mpdta.assign(rel=mpdta["rel"].where(mpdta.index > 3)),
        )
    with pytest.raises(ValueError, match=r"write i\(var\)"):
        fit("lemp ~ i(rel, ref=-1, bin=2) | countyreal", mpdta)
    with pytest.raises(ValueError, match=r"\['nope'\] are not in the data"):
        fit("lemp ~ i(nope) | countyreal", mpdta)


def _sunab_by_hand(data, cluster="countyreal"):
    """fixest's sunab computed independently: pyfixest on one indicator per cohort × relative
    period cell (never treated and relative period −1 as the reference level), then the
    cells averaged by their observation counts, covariance by the delta method."""
    never = data["ft"] == 0
    cell = np.where(
        never | (data["rel"] == -1), "ref", data["ft"].astype(str) + "_" + data["rel"].astype(str)
    )
    frame = data.assign(cell=cell)
    res = pyfixest(
        "lemp ~ i(cell, ref='ref') | countyreal + year", frame, {"CRV1": cluster}, "reghdfe"
    )
    names = list(res.coef().index)
    levels = [n.split("::")[1] for n in names]
    counts = frame["cell"].value_counts()
    rel = np.array([int(lv.split("_")[1]) for lv in levels])
    periods = np.unique(rel)
    A = np.zeros((periods.size, len(names)))
    for i, k in enumerate(periods):
        hit = rel == k
        A[i, hit] = counts[np.array(levels)[hit]].to_numpy() / counts[np.array(levels)[hit]].sum()
    beta = A @ res.coef().to_numpy()
    se = np.sqrt(np.diag(A @ res._vcov @ A.T))
    return pd.DataFrame({"estimate": beta, "se": se}, index=[f"year::{k}" for k in periods])


@pytest.mark.parametrize("balanced", [True, False])
def test_sunab_matches_cells_fitted_by_pyfixest(mpdta, balanced):
    data = mpdta if balanced else mpdta.drop(index=mpdta.index[::7])
    ours = fit("lemp ~ sunab(ft, year) | countyreal + year", data, vcov={"CRV1": "countyreal"})
    reference = _sunab_by_hand(data)
    assert list(ours.params.index[:-1]) == list(reference.index)
    np.testing.assert_allclose(ours.params[reference.index], reference["estimate"], atol=COEF_TOL)
    np.testing.assert_allclose(ours.std_errors[reference.index], reference["se"], rtol=SE_RTOL)


def test_sunab_equals_sun_abraham_on_a_balanced_panel(mpdta):
    from replicate.models.staggered import sun_abraham

    ours = fit("lemp ~ sunab(ft, year) | countyreal + year", mpdta)
    sa = sun_abraham(mpdta, "lemp", unit="countyreal", time="year", cohort="ft")
    names = [f"year::{k}" for k in sa.by_event.index]
    np.testing.assert_allclose(ours.params[names], sa.by_event["estimate"], atol=1e-12)
    np.testing.assert_allclose(ours.std_errors[names], sa.by_event["se"], rtol=1e-10)


def test_sunab_guards(mpdta):
    with pytest.raises(ValueError, match="no never-treated"):
        fit("lemp ~ sunab(ft, year) | countyreal + year", mpdta[mpdta["ft"] > 0])
    with pytest.raises(ValueError, match="sunab\\(cohort, period\\)"):
        fit("lemp ~ sunab(ft) | countyreal + year", mpdta)


# ----------------------------------------------------------------------------- treated clusters


def test_warns_when_the_treated_rows_lie_in_few_clusters(mpdta):
    from replicate.models.fit import FewTreatedClustersWarning

    one_state = mpdta.assign(D=((mpdta["state"] == 13) & (mpdta["year"] >= 2006)).astype(int))
    with pytest.warns(FewTreatedClustersWarning, match=r"'D' is 1 in 1 of 29 state clusters"):
        fit("lemp ~ D | countyreal + year", one_state, vcov={"CRV1": "state"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewTreatedClustersWarning)
        fit("lemp ~ D | countyreal + year", one_state, vcov={"CRV1": "countyreal"})
        fit("lemp ~ D | countyreal + year", one_state, vcov="hetero")


def test_no_treated_cluster_warning_on_the_paper_specification(frame):
    from replicate.models.fit import FewTreatedClustersWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", FewTreatedClustersWarning)
        fit(TWO_WAY, frame, vcov={"CRV1": "province"})
        fit(TWO_WAY, frame)


def test_without_fixed_effects_is_ols_with_a_constant(frame):
    ours = fit("nqp ~ did + fdi", frame, vcov="hetero")
    theirs = sm.OLS(frame["nqp"], sm.add_constant(frame[["did", "fdi"]])).fit(cov_type="HC1")
    np.testing.assert_allclose(
        ours.params[["did", "fdi", "constant"]], theirs.params[["did", "fdi", "const"]], atol=1e-10
    )
    np.testing.assert_allclose(
        ours.std_errors[["did", "fdi", "constant"]],
        theirs.bse[["did", "fdi", "const"]],
        rtol=SE_RTOL,
    )


def test_default_clusters_on_an_interacted_first_effect(frame):
    res = fit("nqp ~ did | province^year + city_id", frame)
    assert res.cluster == "province#year"
    assert res.n_clusters == frame.groupby(["province", "year"]).ngroups - 6 * 18  # singletons
