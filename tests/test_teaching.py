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
