"""The teaching chapter's library support: the TWFE bias decomposition against a known
truth, checked on panels whose answer is known in closed form and against the
de Chaisemartin–D'Haultfœuille weights (an independent route to the same number)."""

import numpy as np
import pandas as pd
import pytest

import replicate
from replicate import teaching
from replicate.models import staggered as st
from replicate.models.bias import PARTS, true_effects, twfe_bias

YEARS = np.arange(2000, 2010)


def panel(cohorts: dict[int, int], effect, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Units per cohort (0 = never treated), Y = unit + year effects + tau (+ noise)."""
    rng = np.random.default_rng(seed)
    g = np.repeat(list(cohorts), list(cohorts.values()))
    unit = np.arange(g.size)
    frame = pd.DataFrame(
        {
            "unit": np.repeat(unit, YEARS.size),
            "year": np.tile(YEARS, g.size),
            "g": np.repeat(g, YEARS.size),
        }
    )
    treated = (frame["g"] > 0) & (frame["year"] >= frame["g"])
    e = frame["year"] - frame["g"]
    frame["tau"] = np.where(treated, effect(frame["g"], e), 0.0)
    alpha = rng.normal(size=g.size)[frame["unit"]]
    gamma = 0.1 * (frame["year"] - 2000) ** 1.5
    frame["y"] = alpha + gamma + frame["tau"] + noise * rng.normal(size=len(frame))
    return frame


KEYS = {"unit": "unit", "time": "year", "cohort": "g"}


def test_homogeneous_effect_has_no_bias():
    frame = panel({0: 15, 2003: 10, 2006: 8}, lambda g, e: 0.5 + 0 * e)
    result = twfe_bias(frame, "y", "tau", **KEYS)
    assert result.twfe == pytest.approx(0.5, abs=1e-10)
    assert result.att == pytest.approx(0.5)
    np.testing.assert_allclose(result.by_type()[[*PARTS, "total"]].to_numpy(), 0, atol=1e-10)


def test_forbidden_part_is_the_early_cohorts_change_times_its_weight():
    """Two cohorts, no never treated, effect growing 0.1 a year: the only forbidden 2×2 is
    the late cohort (2006) against the early one (2003) between 2003–05 and 2006–09."""
    slope = 0.1
    frame = panel({2003: 12, 2006: 18}, lambda g, e: 0.2 + slope * e)
    result = twfe_bias(frame, "y", "tau", **KEYS)
    table = result.by_type()
    # by hand: the early cohort's effect is 0.2 + 0.1·(t − 2003); its mean over 2006–09
    # minus its mean over 2003–05 is 0.1 · (mean(3..6) − mean(0..2)) = 0.1 · 3.5
    change = slope * (np.mean([3, 4, 5, 6]) - np.mean([0, 1, 2]))
    weight = table.loc[st.LATER_VS_EARLIER, "weight"]
    assert table.loc[st.LATER_VS_EARLIER, PARTS[1]] == pytest.approx(-weight * change)
    assert table.loc[st.EARLIER_VS_LATER, PARTS[1]] == pytest.approx(0, abs=1e-12)
    np.testing.assert_allclose(table[PARTS[2]], 0, atol=1e-10)
    # Goodman-Bacon's weights for two groups: n_k = 0.4, n_l = 0.6, D̄_k = 0.7, D̄_l = 0.4
    # s_kl ∝ ((n_k + n_l) D̄_k)² n_kl(1 − n_kl) (D̄_l/D̄_k)((D̄_k − D̄_l)/D̄_k)
    s_lk = 0.7**2 * 0.24 * (0.4 / 0.7) * (0.3 / 0.7)
    s_kl = 0.6**2 * 0.24 * (0.3 / 0.6) * (0.3 / 0.6)
    assert weight == pytest.approx(s_lk / (s_lk + s_kl))
    assert result.by_part()["total"] == pytest.approx(result.twfe - result.att)


def test_weighting_plus_forbidden_equals_dcdh_weights():
    """Without noise, TWFE = Σ w_it τ_it (de Chaisemartin & D'Haultfœuille 2020): the
    weighting and forbidden parts must add up to that minus the ATT."""
    effect = lambda g, e: (2010 - g) * 0.05 + 0.03 * e  # noqa: E731
    frame = panel({0: 12, 2002: 6, 2004: 10, 2007: 8}, effect)
    result = twfe_bias(frame, "y", "tau", **KEYS)
    weights = st.twfe_weights(frame, "y", **KEYS).weights
    cells = weights.merge(frame[["unit", "year", "tau"]], on=["unit", "year"])
    dcdh = float((cells["weight"] * cells["tau"]).sum())
    parts = result.by_part()
    assert result.twfe == pytest.approx(dcdh, abs=1e-10)
    assert parts[PARTS[0]] + parts[PARTS[1]] == pytest.approx(dcdh - result.att, abs=1e-10)
    assert parts[PARTS[2]] == pytest.approx(0, abs=1e-10)
    assert parts[PARTS[0]] != pytest.approx(0, abs=1e-3)  # both parts really present
    assert parts[PARTS[1]] < -1e-3


def test_noise_part_is_the_gap_to_the_dcdh_value_and_twfe_is_the_regression():
    effect = lambda g, e: 0.3 + 0.02 * e  # noqa: E731
    frame = panel({0: 20, 2003: 10, 2006: 10}, effect, noise=0.3, seed=3)
    result = twfe_bias(frame, "y", "tau", **KEYS)
    did = ((frame["g"] > 0) & (frame["year"] >= frame["g"])).astype(int)
    fit = replicate.fit("y ~ did | unit + year", frame.assign(did=did), vcov="iid")
    assert result.twfe == pytest.approx(float(fit.params["did"]), abs=1e-9)
    weights = st.twfe_weights(frame, "y", **KEYS).weights
    cells = weights.merge(frame[["unit", "year", "tau"]], on=["unit", "year"])
    dcdh = float((cells["weight"] * cells["tau"]).sum())
    assert result.by_part()[PARTS[2]] == pytest.approx(result.twfe - dcdh, abs=1e-9)


def test_twin_truth_merges_by_key():
    from replicate.data import synthetic
    from replicate.replication import regression_frame

    knobs = synthetic.Knobs(dynamic_slope=0.05, conditional_trends=False)
    twin = synthetic.make_twin(seed=2, knobs=knobs)
    frame = regression_frame(twin.panel()).merge(true_effects(twin), on=["city_id", "year"])
    result = twfe_bias(frame, "nqp", "tau", unit="city_id", time="year", cohort="g")
    assert result.att == pytest.approx(twin.truth.att)
    assert result.by_part()["total"] == pytest.approx(result.twfe - twin.truth.att)


def test_bad_tau_is_a_clear_error():
    frame = panel({0: 15, 2004: 15}, lambda g, e: 0.1 + 0 * e)
    with pytest.raises(ValueError, match="one true effect per row"):
        twfe_bias(frame, "y", np.zeros(5), **KEYS)
    with pytest.raises(ValueError, match="not a column"):
        twfe_bias(frame, "y", "truth", **KEYS)


def test_all_treated_knob_keeps_only_pilot_cities_and_twfe_fails():
    from replicate.data import synthetic
    from replicate.replication import regression_frame

    knobs = {"cohort_effects": {2014: 0.3, 2015: 0.15, 2016: 0.0}, "dynamic_slope": 0.04}
    full = synthetic.make_twin(seed=4, knobs=synthetic.Knobs(**knobs, conditional_trends=False))
    only = synthetic.make_twin(
        seed=4, knobs=synthetic.Knobs(**knobs, conditional_trends=False, all_treated=True)
    )
    panel = only.panel()
    assert panel.synthetic
    assert (panel.frame["g"] > 0).all()
    assert (
        panel.frame["city_id"].nunique() == full.panel().frame.query("g > 0")["city_id"].nunique()
    )
    assert only.truth.att == pytest.approx(full.truth.att)
    frame = regression_frame(panel).merge(true_effects(only), on=["city_id", "year"])
    result = twfe_bias(frame, "nqp", "tau", unit="city_id", time="year", cohort="g")
    assert st.TREATED_VS_UNTREATED not in result.by_type().index
    # the systematic parts alone (no noise) miss by more than a third of the effect
    parts = result.by_part()
    assert parts[PARTS[0]] + parts[PARTS[1]] < -result.att / 3


def test_teaching_draws_are_the_montecarlo_draws():
    from replicate import montecarlo, teaching

    design = montecarlo.Design(
        {"dynamic_slope": 0.03, "conditional_trends": False}, estimators=("twfe",)
    )
    draws, _ = montecarlo.run(design, 2)
    rows = teaching.run("decomposition", design, 2)
    per_draw = rows.groupby("draw")["twfe"].first()
    np.testing.assert_allclose(per_draw.to_numpy(), draws["estimate"].to_numpy(), atol=1e-8)
    total = rows.groupby("draw")["total"].sum()
    np.testing.assert_allclose(total, per_draw - rows.groupby("draw")["att"].first(), atol=1e-10)
    with pytest.raises(ValueError, match="study"):
        teaching.run("bootstrap", design, 2)


def test_prose_words_follow_the_numbers():
    from replicate import teaching

    assert teaching.against(-0.02, 0.005) == "below the truth"
    assert teaching.against(0.004, 0.005) == "within Monte Carlo error of the truth"
    assert teaching.against(0.3, 0.01, 0.2, "x") == "above x"
    assert "the same in every draw" in teaching.with_se(-0.0149, 0.0)
    assert teaching.percent_with_se(0.7, 0.1) == "70% of draws (Monte Carlo s.e. 10 points)"
    assert teaching.percent_with_se(0.96, 0.014) == "96% of draws (Monte Carlo s.e. 1.4 points)"
    mean, se = teaching.summarise_mean([1.0, 2.0, 3.0])
    assert (mean, se) == pytest.approx((2.0, 1 / np.sqrt(3)))


def test_effects_described_from_the_truth():
    from replicate import teaching
    from replicate.data import synthetic

    knobs = {"cohort_effects": {2014: 0.3, 2015: 0.15, 2016: 0.0}, "dynamic_slope": 0.04}
    truth = synthetic.make_twin(seed=1, knobs=synthetic.Knobs(**knobs)).truth
    text = teaching.describe_effects(truth, {**knobs, "conditional_trends": False})
    assert "earlier pilots have larger effects" in text and "grows with time" in text
    assert "hold without them" in text
    flat = {"cohort_effects": {2014: 0.1, 2015: 0.1, 2016: 0.1}, "dynamic_slope": 0.0}
    truth = synthetic.make_twin(seed=1, knobs=synthetic.Knobs(**flat)).truth
    text = teaching.describe_effects(truth, flat)
    assert "same average effect" in text and "nothing to go wrong" in text
    assert "only given the controls" in text


def test_every_study_runs_on_the_montecarlo_twins():
    from replicate import montecarlo, teaching

    design = montecarlo.Design({"anticipation": 2, "conditional_trends": False}, ("twfe",))
    twfe = montecarlo.run(design, 1)[0]["estimate"].iloc[0]
    pretest = teaching.run("pretest", design, 1)
    assert 0 <= pretest["pretest_p"].iloc[0] <= 1
    assert pretest["twfe"].iloc[0] == pytest.approx(twfe)
    clustering = teaching.run("clustering", design, 1).set_index("cluster")
    assert clustering["estimate"].to_numpy() == pytest.approx([twfe, twfe])
    assert clustering.loc["city", "n_clusters"] == 285
    assert (
        clustering.loc["province", "treated_clusters"] <= clustering.loc["province", "n_clusters"]
    )
    timing = teaching.run("timing", design, 1).set_index("dating")
    # announcement dating targets the effect from two years before the pilot on, which
    # includes the anticipated years: a different (here smaller) average than the ATT
    assert timing.loc["implementation", "truth"] != pytest.approx(
        timing.loc["announcement", "truth"]
    )


def test_decomposition_layout_puts_each_mean_over_its_monte_carlo_se():
    """The page layout of the decomposition keeps every mean and s.e. of
    ``decomposition_summary`` (recomputed here from the draws with numpy), each s.e. in
    parentheses on the line under its mean, in the summary's row order."""
    from replicate import montecarlo, teaching

    design = montecarlo.Design({"conditional_trends": False}, estimators=("twfe",))
    rows = teaching.run("decomposition", design, 3)
    summary = teaching.decomposition_summary(rows)
    layout = teaching.decomposition_layout(summary, digits=4)
    assert list(layout.index.get_level_values("row")[::2]) == list(summary.index)
    assert list(layout.index.get_level_values("line")[:2]) == ["", "se"]
    kind = summary.index[0]
    for part in (*PARTS, "total"):
        values = rows.loc[rows["type"] == kind, part].to_numpy()
        header = teaching.PART_HEADERS[part]
        assert float(layout.loc[(kind, ""), header]) == pytest.approx(values.mean(), abs=5e-5)
        se = float(layout.loc[(kind, "se"), header].strip("()"))
        assert se == pytest.approx(values.std(ddof=1) / np.sqrt(len(values)), abs=5e-5)


def test_treated_clusters_note_follows_the_count():
    many = teaching.treated_clusters_note(31)
    few = teaching.treated_clusters_note(6)
    assert "at least 31" in many and "unlikely" in many
    assert "only 6" in few and "may explain" in few


# ----------------------------------------------------------------------------- fast path
# The teaching chapter runs its Monte Carlos through montecarlo.run_fast and
# teaching.run_fast (all twins at once on the fixed design); these must reproduce the
# per-twin estimator calls of montecarlo.run and teaching.run on the same seeds.

FAST_TOL = 1e-10  # the brief: fast path = slow path to 1e-10 (numbers agree to ~1e-15)
HETEROGENEOUS = {
    "cohort_effects": {2014: 0.30, 2015: 0.15, 2016: 0.00},
    "dynamic_slope": 0.04,
    "anticipation": 0,
    "pretrend": 0.0,
    "conditional_trends": False,
}
HOMOGENEOUS = {**HETEROGENEOUS, "cohort_effects": {2014: 0.12, 2015: 0.12, 2016: 0.12}}


def _assert_same_rows(slow: pd.DataFrame, fast: pd.DataFrame, keys: list[str]) -> None:
    merged = slow.merge(fast, on=keys, suffixes=("_slow", "_fast"), validate="1:1")
    assert len(merged) == len(slow) == len(fast)
    for column in fast.columns:
        if column in keys or column not in slow.columns:
            continue
        a, b = merged[f"{column}_slow"], merged[f"{column}_fast"]
        if pd.api.types.is_numeric_dtype(b):
            present = b.notna().to_numpy()
            assert present.any() or column in ("se", "lower", "upper", "pvalue")
            np.testing.assert_allclose(
                a.to_numpy(float)[present], b.to_numpy(float)[present], rtol=0, atol=FAST_TOL
            )
        else:
            assert (a == b).all(), column


@pytest.mark.parametrize(
    ("knobs", "estimators", "controls"),
    [
        (HETEROGENEOUS, ("twfe", "cs_never", "sun_abraham", "imputation"), ()),
        ({**HETEROGENEOUS, "anticipation": 1, "pretrend": 0.01}, ("twfe", "imputation"), ()),
        ({**HETEROGENEOUS, "conditional_trends": True}, ("twfe", "imputation", "cs_never"), ()),
        ({**HETEROGENEOUS, "conditional_trends": True}, ("cs_never",), ("fdi", "hum", "gov")),
        # pilot cities only: Sun–Abraham and imputation refuse, CS goes through moderndid
        (
            {**HETEROGENEOUS, "all_treated": True},
            ("twfe", "cs_never", "sun_abraham", "imputation"),
            (),
        ),
    ],
)
def test_fast_montecarlo_equals_the_per_twin_estimators(knobs, estimators, controls):
    from replicate import montecarlo

    design = montecarlo.Design(knobs, estimators=estimators, controls=controls)
    slow = montecarlo.run(design, 3)[0]
    fast = montecarlo.run_fast(design, 3)
    _assert_same_rows(slow, fast, ["estimator", "draw"])
    assert (fast["status"] == slow["status"]).all()
    twfe = fast[fast["estimator"] == "twfe"]
    if len(twfe):  # TWFE's clustered s.e., interval and p-value are there too
        assert twfe["se"].notna().all()
        assert (twfe["n_clusters"] == (109 if knobs.get("all_treated") else 285)).all()


@pytest.mark.parametrize(
    ("study", "knobs"),
    [
        ("decomposition", HETEROGENEOUS),
        ("decomposition", {**HETEROGENEOUS, "all_treated": True}),
        ("pretest", {**HOMOGENEOUS, "pretrend": 0.005}),
        ("clustering", HOMOGENEOUS),
        ("timing", {**HETEROGENEOUS, "anticipation": 2}),
    ],
)
def test_fast_studies_equal_the_per_twin_studies(study, knobs):
    from replicate import montecarlo

    design = montecarlo.Design(knobs)
    slow = teaching.run(study, design, 3)
    fast = teaching.run_fast(study, design, 3)
    assert set(fast.columns) <= set(slow.columns)
    _assert_same_rows(slow, fast, ["draw", "row"])


def test_drawn_twins_are_the_panels_of_make_twin():
    """The array twins (vectorised generator when conditional_trends is off, simulate per
    seed otherwise) hold the validated panel's nqp, g, province and truth."""
    from replicate import montecarlo
    from replicate.data import synthetic

    for knobs in ({**HETEROGENEOUS, "pretrend": 0.01, "anticipation": 1}, {"dynamic_slope": 0.02}):
        design = montecarlo.Design(knobs)
        twins = montecarlo.draw_twins(design, 2, controls=True)
        for draw in range(2):
            twin = synthetic.make_twin(seed=int(twins.seeds[draw]), knobs=montecarlo._knobs(design))
            panel = twin.panel().frame.sort_values(["city_id", "year"], ignore_index=True)
            mine = twins.frame(draw).sort_values(["city_id", "year"], ignore_index=True)
            np.testing.assert_allclose(mine["nqp"], panel["nqp"], rtol=0, atol=FAST_TOL)
            np.testing.assert_allclose(mine["fdi"], panel["fdi"], rtol=0, atol=FAST_TOL)
            assert (mine["g"].to_numpy() == panel["g"].to_numpy()).all()
            truth = true_effects(twin).sort_values(["city_id", "year"], ignore_index=True)
            np.testing.assert_allclose(mine["tau"], truth["tau"], atol=1e-12)
        assert twins.att == pytest.approx(twin.truth.att, abs=1e-12)
        vectorised = montecarlo.draw_twins(design, 2)  # without controls
        if not knobs.get("conditional_trends", True):
            np.testing.assert_allclose(vectorised.y, twins.y, rtol=0, atol=FAST_TOL)


def test_fast_path_refuses_what_it_does_not_compute():
    from replicate import montecarlo

    with pytest.raises(ValueError, match="run_fast computes"):
        montecarlo.run_fast(montecarlo.Design(HETEROGENEOUS, estimators=("cs_notyet",)), 2)
    with pytest.raises(ValueError, match="run_fast computes"):
        montecarlo.run_fast(montecarlo.Design(HETEROGENEOUS, ("twfe",), controls=("fdi",)), 2)
    twins = montecarlo.draw_twins(montecarlo.Design(HETEROGENEOUS), 2)
    with pytest.raises(ValueError, match="knobs"):
        teaching.run_fast("clustering", montecarlo.Design(HOMOGENEOUS), 2, twins)
    with pytest.raises(ValueError, match="draws"):
        montecarlo.run_fast(montecarlo.Design(HETEROGENEOUS), 3, twins)


# ----------------------------------------------------------------------------- MC prose


def test_selection_gap_is_the_passed_minus_all_mean_with_its_se():
    rng = np.random.default_rng(0)
    errors = rng.normal(size=400)
    passed = rng.random(400) < 0.8
    gap, se = teaching.selection_gap(errors, passed)
    assert gap == pytest.approx(errors[passed].mean() - errors.mean(), abs=1e-12)
    # the s.e. by simulation: resample the errors (the split held fixed) many times
    gaps = [(lambda e: e[passed].mean() - e.mean())(rng.normal(size=400)) for _ in range(4000)]
    assert se == pytest.approx(np.std(gaps), rel=0.08)
    assert np.isnan(teaching.selection_gap(errors, np.ones(400, bool))[0])


def test_sd_with_se_matches_the_spread_of_sample_sds():
    rng = np.random.default_rng(1)
    sds = [teaching.sd_with_se(rng.normal(0, 2.0, 200)) for _ in range(2000)]
    values = np.array([s for s, _ in sds])
    assert values.mean() == pytest.approx(2.0, rel=0.01)
    assert np.mean([se for _, se in sds]) == pytest.approx(values.std(), rel=0.08)


def test_pretest_lesson_states_selection_only_beyond_mc_error():
    none = teaching.pretest_lesson(-0.0001, 0.0006, 0.023)
    assert "within Monte Carlo error" in none and "does not select" in none
    hid = teaching.pretest_lesson(-0.004, 0.001, 0.023)
    assert "less biased" in hid and "noise hid part of the trend" in hid
    worse = teaching.pretest_lesson(0.004, 0.001, 0.023)
    assert "more biased" in worse and "hid" not in worse
    assert "not defined" in teaching.pretest_lesson(np.nan, np.nan, 0.02)


def test_clustering_lesson_attributes_only_what_the_numbers_show():
    treated = {"city": 109, "province": 31}
    fine = teaching.clustering_lesson(
        {"city": (0.95, 0.015), "province": (0.96, 0.014)},
        {"city": 0.0276, "province": 0.0271},
        0.0292,
        (-0.0005, 0.0003),
        treated,
    )
    assert fine.startswith("both intervals cover about 95%")
    assert "does not change the mean s.e." in fine and "109 treated cities" in fine
    assert "undercover" not in fine
    short = teaching.clustering_lesson(
        {"city": (0.85, 0.015), "province": (0.86, 0.014)},
        {"city": 0.0270, "province": 0.0271},
        0.0419,
        (0.0001, 0.0002),
        treated,
    )
    assert "by city and by province undercover" in short
    assert "not correlation within provinces" in short and "unlikely" in short
    city_only = teaching.clustering_lesson(
        {"city": (0.85, 0.015), "province": (0.94, 0.014)},
        {"city": 0.0270, "province": 0.0400},
        0.0419,
        (0.013, 0.001),
        {"city": 109, "province": 6},
    )
    assert city_only.startswith("city-clustered intervals undercover")
    assert "widens the mean s.e. by 48.1%" in city_only and "only 6" in city_only


def test_closer_to_zero_uses_the_paired_mc_error():
    rng = np.random.default_rng(2)
    common = rng.normal(size=200)
    assert teaching.closer_to_zero(0.01 + common * 0.01, 0.05 + common * 0.01)
    own = rng.normal(0, 0.01, 200)  # paired difference noisy: s.e. ≈ 0.0007 > 0.001 / 2
    assert not teaching.closer_to_zero(0.049 + common * 0.01 + own, 0.05 + common * 0.01)
    assert not teaching.closer_to_zero(0.05 + common, 0.01 + common)


@pytest.mark.parametrize("design_seed", [0, 1])
def test_chapter_lessons_follow_their_numbers_on_two_sets_of_twins(design_seed):
    """Exercises 11.4 and 11.6 as the chapter computes them, on two sets of twins: each
    sentence's verdict agrees with the numbers it is drawn from."""
    from replicate import montecarlo

    draws = 60
    clus = teaching.run_fast("clustering", montecarlo.Design(HOMOGENEOUS, seed=design_seed), draws)
    clus["covered"] = (clus["lower"] <= clus["att"]) & (clus["att"] <= clus["upper"])
    by = {lv: clus[clus["cluster"] == lv].set_index("draw") for lv in ("city", "province")}
    coverage = {lv: teaching.summarise_rate(d["covered"]) for lv, d in by.items()}
    spread = teaching.sd_with_se(by["city"]["estimate"])[0]
    gap = teaching.summarise_mean(by["province"]["se"] - by["city"]["se"])
    lesson = teaching.clustering_lesson(
        coverage,
        {lv: float(d["se"].mean()) for lv, d in by.items()},
        spread,
        gap,
        {lv: int(d["treated_clusters"].iloc[0]) for lv, d in by.items()},
    )
    short = [lv for lv, (p, s) in coverage.items() if p < 0.95 - 2 * s]
    assert ("undercover" in lesson) == bool(short)
    assert f"city {float(by['city']['se'].mean()) / spread:.2f}" in lesson
    pre = teaching.run_fast(
        "pretest", montecarlo.Design({**HOMOGENEOUS, "pretrend": 0.005}, seed=design_seed), draws
    )
    error, passed = pre["twfe"] - pre["att"], pre["pretest_p"] >= 0.05
    gap, se = teaching.selection_gap(error, passed)
    text = teaching.pretest_lesson(gap, se, float(error.mean()))
    if np.isfinite(se):
        assert ("within Monte Carlo error" in text) == (abs(gap) <= 2 * se)
        assert gap == pytest.approx(error[passed].mean() - error.mean())
