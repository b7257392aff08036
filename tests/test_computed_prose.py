"""The helpers the chapters' sentences are computed from: they say what the numbers say.

Each sentence helper is checked against numbers computed another way (a simulation with
a known truth, the published cells with their provenance, the real pilot lists), and the
sentences are rendered on two different twins to check they follow the numbers rather
than one seed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from replicate import checks, paper, paths, replication
from replicate.data import load_panel
from replicate.data.schema import CONTROLS
from replicate.models.mechanism import mediation
from replicate.report import prose, prose_zh, tables

MEDIATION = {"mediator": "innovp", "unit": "city_id", "time": "year", "cohort": "g"}


# ----------------------------------------------------------------------------- mediation


def _mediated_panel(a: float, b: float, direct: float, seed: int = 0) -> pd.DataFrame:
    """A balanced panel with unit and year effects where did → m (a), m → y (b) and
    did → y directly (direct): the true indirect effect is a·b."""
    rng = np.random.default_rng(seed)
    units, years = 400, np.arange(2005, 2015)
    g = rng.choice([0, 0, 2009, 2011], size=units)
    frame = pd.DataFrame(
        {"unit": np.repeat(np.arange(units), years.size), "year": np.tile(years, units)}
    )
    frame["g"] = np.repeat(g, years.size)
    did = ((frame["g"] > 0) & (frame["year"] >= frame["g"])).astype(float)
    unit_fe = np.repeat(rng.normal(size=units), years.size)
    year_fe = np.tile(rng.normal(size=years.size), units)
    frame["m"] = unit_fe + year_fe + a * did + rng.normal(size=len(frame))
    frame["y"] = unit_fe - year_fe + direct * did + b * frame["m"] + rng.normal(size=len(frame))
    return frame


def test_beside_truth_recovers_a_known_mechanism():
    a, b, direct = 1.5, 0.4, 0.3
    frame = _mediated_panel(a, b, direct)
    result = mediation(frame, "y", mediator="m", unit="unit", time="year", cohort="g", draws=0)
    beside = result.beside_truth(a, b, direct + a * b)
    assert beside["truth"].tolist() == pytest.approx([a, b, a * b, direct, direct + a * b])
    # a correct truth lies within sampling error of every estimate …
    assert (beside["(estimate − truth) / s.e."].abs() < 4).all(), beside
    # … and a wrong one does not: the gap column can fail
    wrong = result.beside_truth(a + 1.0, b, direct + (a + 1.0) * b)
    assert abs(wrong.loc[wrong.index[0], "(estimate − truth) / s.e."]) > 10


@pytest.mark.parametrize("seed", [20241128, 7])
def test_mediation_sentence_follows_its_numbers_on_two_twins(seed):
    panel = load_panel("synthetic", seed=seed)
    frame = replication.regression_frame(panel)
    result = mediation(frame, "nqp", controls=CONTROLS, draws=99, seed=1, **MEDIATION)
    text = prose.describe_mediation_truth(result, panel)
    a, b, total = replication.mediation_truth(panel.truth)
    assert f"a = {a:.3f}" in text and f"true total effect of {total:.3f}" in text
    lo, hi = result.boot_ci
    covers = lo <= a * b <= hi
    assert ("interval covers it" in text) == covers
    assert ("interval does not cover it" in text) == (not covers)
    z = result.beside_truth(a, b, total)["(estimate − truth) / s.e."]
    side = "above" if z.iloc[2] > 0 else "below"
    assert f"{abs(z.iloc[2]):.1f} standard errors {side} it" in text


def test_mediation_sentence_on_a_panel_without_truth(default_panel):
    real_like = default_panel.frame.copy()
    panel = load_panel(real_like)
    assert panel.truth is None
    frame = replication.regression_frame(panel)
    result = mediation(frame, "nqp", controls=CONTROLS, draws=0, **MEDIATION)
    assert "no truth" in prose.describe_mediation_truth(result, panel)
    assert prose.describe_coverage(panel) == ""


# ----------------------------------------------------------------------------- the paper alone


def test_constant_units_by_hand():
    """Table 2 column (1) has did alone: constant = mean(nqp) − mean(did)·b.
    Published: Table 1 means 2.305 and 0.167, b = 0.144, constant 2.281 (Liu & Zou,
    Tables 1 and 2), so the gap is |2.281 − (2.305 − 0.167·0.144)| = 0.000048."""
    units = checks.constant_units()
    assert units.loc[(2, 1), "gap, Table 1 units"] == pytest.approx(
        abs(2.281 - (2.305 - 0.167 * 0.144)), abs=1e-9
    )
    assert units.loc[(2, 1), "fits Table 1 units"] and units.loc[(2, 1), "fits percent"]
    # columns with mar or fin fit only in percent (their Table 1 units are ratios)
    assert not units.loc[(2, 7), "fits Table 1 units"] and units.loc[(2, 7), "fits percent"]
    text = prose.describe_constant_units(units)
    assert "exactly the columns that include mar or fin" in text
    assert f"Of the {len(units)} printed constants" in text


def test_published_indirect_sentence_matches_the_bounds():
    bounds = checks.published_indirect_bounds()
    text = prose.describe_published_indirect()
    low, high = bounds.loc["Sobel p-value", ["minimum", "maximum"]]
    assert f"between {low:.3f} and {high:.3f}" in text
    assert ("is not significant at 5%" in text) == (low > 0.05)


# ----------------------------------------------------------------------------- real data


def test_pilot_readings_and_the_singleton_sample():
    readings = replication.pilot_readings()
    n = paper.TABLE1.loc["did", "N"]
    assert (readings["treated city-years"] / n).to_numpy() == pytest.approx(
        readings["did mean"].to_numpy()
    )
    assert not readings["reproduces"].any()  # 0.1706 and 0.1688 against the printed 0.167
    sample = replication.singleton_sample()
    assert sample["N"] == sample["paper N"] == 5022  # Table 4 column (1), Liu & Zou
    mix = replication.province_pilot_mix()
    assert mix["cities"].sum() == 285 and len(mix) == 31
    single = set(mix.index[mix["cities"] == 1])
    assert single == set(sample["provinces"])
    text = prose.describe_province_pilot_mix(mix)
    assert f"Of the {len(mix)} provinces, {int((mix['mix'] == 'both').sum())} hold both" in text


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("p", "text"),
    [(1e-9, "< 0.001"), (0.0004, "< 0.001"), (0.014, "= 0.014"), (float("nan"), "not defined")],
)
def test_p_values_never_print_zero_or_nan(p, text):
    assert tables.p_value(p) == text


def test_p_value_table_prints_text():
    out = tables.p_value_table({"t": (1e-6, 0.1, 0.2), "wild": (0.03, 0.05, 0.3)})
    assert out["p-value"].tolist() == ["< 0.001", "0.030"]


def test_calibration_sentence_only_for_the_twin(default_panel):
    card = replication.scorecard(default_panel)
    text = prose.describe_calibration_check(card, default_panel)
    ours = int(card["status"].isin(["within rounding", "within tolerance"]).sum())
    assert text.startswith(f"This twin reproduces {ours} of {len(card)}")
    other = load_panel(default_panel.frame.copy())
    assert prose.describe_calibration_check(card, other) == ""


# ----------------------------------------------------------------------------- referee pass (#22)


@pytest.mark.parametrize(
    ("before", "after", "word"),
    [
        (0.125, 0.075, "falls by 40%"),
        (0.129, 0.090, "falls by 30%"),
        (0.2, 0.1, "halves"),
        (0.1, 0.2, "roughly doubles"),
        (0.1, 0.1004, "barely moves"),
        (0.1, 0.13, "rises by 30%"),
    ],
)
def test_change_words_follow_the_numbers(before, after, word):
    text = prose.describe_change(before, after)
    assert word in text
    assert ("halves" in text) == (0.45 <= 1 - after / before <= 0.55)


def test_the_paper_does_not_halve_its_estimate():
    cells = paper.published(2).set_index(["column", "variable"])["coef"]
    t4 = paper.published(4).set_index(["column", "variable"])["coef"]
    text = prose.describe_change(cells[(7, "did")], t4[(1, "did")])
    assert "halves" not in text and "40%" in text


def _cover(se_city, sd_city, se_prov, sd_prov):
    return pd.DataFrame(
        {
            "specification": ["Table 2 column 7"] * 2,
            "clustered by": ["city", "province"],
            "clusters": [285, 31],
            "mean s.e.": [se_city, se_prov],
            "s.d. of estimates": [sd_city, sd_prov],
            "covers the estimator's mean": [0.955, 0.90],
        }
    )


def test_cluster_width_says_too_narrow_only_when_the_se_is_below_the_spread():
    fine = prose.describe_cluster_width(_cover(0.029, 0.028, 0.027, 0.0275))
    assert "too narrow" not in fine.replace("neither interval is too narrow", "")
    assert "about as large as the spread" in fine and "0.029" in fine and "95.5%" in fine
    narrow = prose.describe_cluster_width(_cover(0.029, 0.028, 0.027, 0.0419))
    assert "clustered by province are too narrow" in narrow and "city are too narrow" not in narrow


@pytest.mark.slow
@pytest.mark.parametrize("seed", [20241128, 7])
def test_cluster_width_sentence_on_twins_agrees_with_the_coverage_table(seed):
    from replicate import calibrate

    cover = calibrate.summarise_coverage(calibrate.coverage_draws(None, [seed, seed + 1, seed + 2]))
    text = prose.describe_cluster_width(cover)
    for _, row in cover[cover["specification"] == "Table 2 column 7"].iterrows():
        assert f"({row['mean s.e.']:.3f})" in text and f"({row['s.d. of estimates']:.3f})" in text


def test_face_value_product_is_placed_against_the_bounds():
    bounds = checks.published_indirect_bounds()
    hi = bounds.loc["indirect effect a·b", "maximum"]
    text = prose.describe_face_value_indirect(bounds)
    cells = paper.published(3).set_index(["column", "variable"])["coef"]
    product = cells[(1, "did")] * cells[(2, "innovp")]
    assert f"{product:.4f}" in text and f"{hi:.4f}" in text
    assert ("above the largest" in text) == (product > hi)
    wide = bounds.copy()
    wide.loc["indirect effect a·b", "maximum"] = 1.0
    assert "inside the range" in prose.describe_face_value_indirect(wide)


@pytest.mark.parametrize("seed", [20241128, 7])
def test_hc1_beside_clustered_matches_pyfixest_on_two_twins(seed):
    import pyfixest as pf

    panel = load_panel("synthetic", seed=seed)
    formula = replication.formulas(2)[7]
    scale = {"mar": 100.0, "fin": 100.0}
    clustered = replication.fit_panel(
        formula, panel, rescale=scale, vcov={"CRV1": "city_id"}, small_sample="reghdfe"
    )
    hc1 = replication.fit_panel(formula, panel, rescale=scale, vcov="hetero")
    frame = replication.regression_frame(panel, scale)
    ref_c = pf.feols(formula, frame, vcov={"CRV1": "city_id"}).se()["did"]
    ref_h = pf.feols(formula, frame, vcov="hetero").se()["did"]
    assert float(clustered.std_errors["did"]) == pytest.approx(ref_c, rel=1e-6)
    assert float(hc1.std_errors["did"]) == pytest.approx(ref_h, rel=1e-6)
    text = prose.describe_hc1_beside_cluster(clustered, hc1, 0.028)
    assert f"{ref_h:.4f}" in text and f"{ref_c:.4f}" in text
    ratio = round(ref_h / ref_c, 2)
    word = (
        "about the same as"
        if abs(ratio - 1) <= 0.05
        else "smaller than"
        if ratio < 1
        else "larger than"
    )
    assert word in text
    closer = "clustered" if abs(ref_c - 0.028) < abs(ref_h - 0.028) else "HC1"
    assert f"the {closer} reading lies closer" in text


@pytest.mark.parametrize("seed", [20241128, 7])
def test_same_sample_check_on_two_twins(seed):
    panel = load_panel("synthetic", seed=seed)
    frame = panel.frame
    per_province = frame.groupby("province")["city_id"].nunique()
    single = per_province[per_province == 1].index
    same = frame[~frame["province"].isin(single)]
    base = replication.estimate(2, panel)[7]
    base_same = replication.estimate(2, same)[7]
    col1 = replication.estimate(4, panel)[1]
    # column (1) drops exactly the single-city provinces' city-years (108 on the 285 cities)
    assert int(col1.nobs) == len(same) == int(base_same.nobs)
    assert len(frame) - len(same) == 108
    # and its estimate on the full panel equals the one on its own sample (singletons add nothing)
    assert float(replication.estimate(4, same)[1].params["did"]) == pytest.approx(
        float(col1.params["did"]), rel=1e-9
    )
    text = prose.describe_same_sample(base, base_same, col1)
    s, p = float(base_same.params["did"]), float(col1.params["did"])
    assert prose.describe_change(s, p) in text
    assert f"{int(base_same.nobs):,} city-years" in text and "the 108 it drops" in text


# ----------------------------------------------------------------------------- Chinese forms (#19)

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _same_numbers(english: str, chinese: str) -> None:
    assert sorted(_NUMBER.findall(english)) == sorted(_NUMBER.findall(chinese)), (english, chinese)
    assert bool(english) == bool(chinese)


@pytest.mark.parametrize("seed", [20241128, 7])
def test_chinese_sentences_have_the_english_numbers_and_words_on_two_twins(seed):
    """Every Chinese form is built from the same values as its English namesake: the same
    numbers, and the same comparative word wherever the English one is chosen from them."""
    panel = load_panel("synthetic", seed=seed)
    card = replication.scorecard(panel)
    for name in ("describe_scorecard", "describe_calibration_check"):
        args = (card,) if name == "describe_scorecard" else (card, panel)
        _same_numbers(getattr(prose, name)(*args), getattr(prose_zh, name)(*args))
    _same_numbers(prose.describe_coverage(panel), prose_zh.describe_coverage(panel))
    _same_numbers(prose.describe_constant_units(), prose_zh.describe_constant_units())

    frame = replication.regression_frame(panel)
    result = mediation(frame, "nqp", controls=CONTROLS, draws=99, seed=1, **MEDIATION)
    en, zh = (
        prose.describe_mediation_truth(result, panel),
        prose_zh.describe_mediation_truth(result, panel),
    )
    _same_numbers(en, zh)
    assert ("interval covers it" in en) == ("区间覆盖了真实值" in zh)
    assert ("further off" in en) == ("离真实值更远" in zh)
    assert ("not one draw's noise" in en) == ("并非单次抽样的噪声" in zh)

    base, col1 = replication.estimate(2, panel)[7], replication.estimate(4, panel)[1]
    en, zh = (
        prose.describe_province_truth(base, col1, panel),
        prose_zh.describe_province_truth(base, col1, panel),
    )
    _same_numbers(en, zh)
    assert ("is closer to it" in en) == ("并不比" not in zh)
    per_province = panel.frame.groupby("province")["city_id"].nunique()
    same = panel.frame[~panel.frame["province"].isin(per_province[per_province == 1].index)]
    base_same = replication.estimate(2, same)[7]
    en = prose.describe_same_sample(base, base_same, col1)
    zh = prose_zh.describe_same_sample(base, base_same, col1)
    _same_numbers(en, zh)
    s, p = float(base_same.params["did"]), float(col1.params["did"])
    assert prose_zh.describe_change(s, p) in zh

    formula, scale = replication.formulas(2)[7], {"mar": 100.0, "fin": 100.0}
    clustered = replication.fit_panel(
        formula, panel, rescale=scale, vcov={"CRV1": "city_id"}, small_sample="reghdfe"
    )
    hc1 = replication.fit_panel(formula, panel, rescale=scale, vcov="hetero")
    en = prose.describe_hc1_beside_cluster(clustered, hc1, 0.028)
    zh = prose_zh.describe_hc1_beside_cluster(clustered, hc1, 0.028)
    _same_numbers(en, zh)
    words = {"about the same as": "大致相同", "smaller than": "小于", "larger than": "大于"}
    assert [z in zh for z in words.values()] == [e in en for e in words]
    assert ("the HC1 reading lies closer" in en) == ("HC1 的解读更接近" in zh)


def test_chinese_sentences_are_empty_or_say_there_is_no_truth_where_the_english_do(
    default_panel,
):
    other = load_panel(default_panel.frame.copy())
    card = replication.scorecard(default_panel)
    assert prose_zh.describe_coverage(other) == prose.describe_coverage(other) == ""
    assert prose_zh.describe_calibration_check(card, other) == ""
    assert prose.describe_calibration_check(card, other) == ""
    frame = replication.regression_frame(other)
    result = mediation(frame, "nqp", controls=CONTROLS, draws=0, **MEDIATION)
    assert "没有可供比较的真实值" in prose_zh.describe_mediation_truth(result, other)


def test_chinese_published_cells_sentences_follow_the_same_bounds():
    bounds = checks.published_indirect_bounds()
    _same_numbers(prose.describe_published_indirect(), prose_zh.describe_published_indirect())
    en, zh = (
        prose.describe_face_value_indirect(bounds),
        prose_zh.describe_face_value_indirect(bounds),
    )
    _same_numbers(en, zh)
    assert ("above the largest" in en) == ("高于印出的单元格所允许的最大值" in zh)
    wide = bounds.copy()
    wide.loc["indirect effect a·b", "maximum"] = 1.0
    assert "落在印出的单元格所允许的范围之内" in prose_zh.describe_face_value_indirect(wide)
    _same_numbers(
        prose.describe_face_value_indirect(wide), prose_zh.describe_face_value_indirect(wide)
    )


@pytest.mark.parametrize("spread", [0.0275, 0.0419])
def test_chinese_cluster_width_says_too_narrow_when_the_english_does(spread):
    cover = _cover(0.029, 0.028, 0.027, spread)
    en, zh = prose.describe_cluster_width(cover), prose_zh.describe_cluster_width(cover)
    _same_numbers(en, zh)
    assert ("province are too narrow" in en) == ("按省份聚类的区间过窄" in zh)
    assert zh.startswith("表 2 第 7 列：")
    words = {"about as large as": "大致等于", "smaller than": "小于", "larger than": "大于"}
    for english, chinese in words.items():  # the same word for each clustering
        assert en.count(f"{english} the spread") == zh.count(f"{chinese}各孪生数据间")


@pytest.mark.parametrize("seed", [20241128, 7])
def test_chinese_multiverse_sentences_have_the_english_numbers_on_two_twins(seed):
    from replicate import multiverse

    twin = load_panel("synthetic", seed=seed)
    full = multiverse.space(codings=multiverse.codings_of(multiverse.prepare(twin)))
    result, _ = multiverse.run_multiverse(twin, full[full["paper"] != ""], progress=False)
    truth = twin.truth.att
    summary = multiverse.robustness_summary(result, truth=truth)
    en = multiverse.summary_glue(result, summary, truth)
    zh = prose_zh.summary_glue(result, summary, truth)
    assert set(zh) <= set(en)
    for key, text in zh.items():
        _same_numbers(en[key], text)
    assert zh["mv_published_range"] == "0.075 至 0.146"  # Liu & Zou, Tables 2 and 4, did
    assert zh["mv_data"] == "合成孪生数据"


@pytest.mark.parametrize("reading", ["parent", "ignore"])
def test_chinese_province_pilot_mix_counts_what_the_english_counts(reading):
    """Chapter 02's province sentence: the same counts in both languages, the same
    provinces (named in Chinese), and the same branch when no province lacks a pilot or
    some do (a copy with two provinces' pilots removed)."""
    mix = replication.province_pilot_mix(reading)
    fewer = mix.copy()
    for province in ("Hebei", "Yunnan"):
        fewer.loc[province, ["pilots", "mix"]] = [0, "no pilot"]
    for table in (mix, fewer):
        en = prose.describe_province_pilot_mix(table)
        zh = prose_zh.describe_province_pilot_mix(table)
        _same_numbers(en, zh)
        assert ("every province has at least one pilot" in en) == ("每个省份都至少有" in zh)
        assert ("only pilot cities (" in en) == ("个只有试点城市（" in zh)
        none = sorted(table.index[table["mix"] == "no pilot"])
        if none:
            assert f"个没有试点城市（{'、'.join(prose_zh.province_names_zh(none))}）" in zh
    assert "河北省、云南省" in prose_zh.describe_province_pilot_mix(fewer)
    assert prose_zh.province_names_zh(["Tibet", "Nowhere"]) == ["西藏自治区", "Nowhere"]


@pytest.mark.parametrize("seed", [20241128, 7])
def test_chinese_relative_size_is_the_english_decision_on_two_twins(seed):
    """Chapter 09's cs_vs_twfe / cs_vs_bjs: the Chinese word is chosen by the same 10% rule
    (ratios on both sides of each edge, and two twins' TWFE and HC1 standard errors)."""
    from replicate.models.compare import relative_size

    words = {"larger than": "大于", "smaller than": "小于", "about the same as": "大致等于"}
    pairs = [(1.0, b) for b in (0.5, 0.9, 0.905, 0.95, 1.0, 1.05, 1.1, 1.12, 2.0)]
    panel = load_panel("synthetic", seed=seed)
    formula = replication.formulas(2)[7]
    scale = {"mar": 100.0, "fin": 100.0}
    se = [
        float(replication.fit_panel(formula, panel, rescale=scale, vcov=v).std_errors["did"])
        for v in ({"CRV1": "city_id"}, "hetero", {"CRV1": "province"})
    ]
    pairs += [(a, b) for a in se for b in se]
    for a, b in pairs:
        assert prose_zh.relative_size(a, b) == words[relative_size(a, b)]
    assert {prose_zh.relative_size(a, b) for a, b in pairs[:9]} == set(words.values())


@pytest.mark.parametrize("seed", [20241128, 7])
def test_chinese_monte_carlo_words_follow_the_english_rules(seed):
    """Chapter 10's with_se / against / describe_effects: the same numbers and the same
    decision as ``teaching``'s English forms, on draws of two seeds and on twins."""
    from replicate import teaching
    from replicate.data import synthetic

    rng = np.random.default_rng(seed)
    means, ses = rng.normal(0, 0.01, 80), rng.uniform(0.0, 0.01, 80)
    ses[:5] = [np.nan, 0.0, 1e-6, 0.004, 0.02]
    means[-1] = np.nan
    verdict = {"below": "低于", "above": "高于", "within": "误差之内", "not compared": "未作比较"}
    for mean, se in zip(means, ses, strict=True):
        for digits in (3, 4):
            en, zh = teaching.with_se(mean, se, digits), prose_zh.with_se(mean, se, digits)
            _same_numbers(en, zh)
            assert ("(Monte Carlo s.e. " in en) == ("（蒙特卡洛标准误 " in zh)
        for unit, word in (("the truth", "真实值"), ("its target", "其估计目标"), ("zero", "零")):
            en, zh = teaching.against(mean, se, 0.0, unit), prose_zh.against(mean, se, 0.0, unit)
            key = next(k for k in verdict if en.startswith(k))
            assert verdict[key] in zh
            assert (word in zh) == (key != "not compared")
    for knobs in (
        {"cohort_effects": {2014: 0.3, 2015: 0.15, 2016: 0.0}, "dynamic_slope": 0.04},
        {"cohort_effects": {2014: 0.0, 2015: 0.1, 2016: 0.2}, "dynamic_slope": -0.02},
        {"cohort_effects": {2014: 0.1, 2015: 0.1, 2016: 0.1}, "dynamic_slope": 0.0},
        {"cohort_effects": {2014: 0.1, 2015: 0.3, 2016: 0.0}, "conditional_trends": False},
    ):
        truth = synthetic.make_twin(seed=seed, knobs=synthetic.Knobs(**knobs)).truth
        en, zh = teaching.describe_effects(truth, knobs), prose_zh.describe_effects(truth, knobs)
        _same_numbers(en, zh)
        pairs = {
            "same average effect": "平均效应都相同",
            "earlier pilots have larger": "较早的试点批次效应更大",
            "later pilots have larger": "较晚的试点批次效应更大",
            "effects differ": "各批次的效应各不相同",
            "grows with time": "随时间增大",
            "shrinks with time": "随时间减小",
            "do not change with time": "不随时间变化",
            "nothing to go wrong": "没有出错的理由",
            "only given the controls": "只在以控制变量为条件时成立",
        }
        for english, chinese in pairs.items():
            assert (english in en) == (chinese in zh), (english, en, zh)


def _words_agree(english: str, chinese: str, pairs: dict[str, str]) -> None:
    for en_word, zh_word in pairs.items():
        assert (en_word in english) == (zh_word in chinese), (en_word, english, chinese)


@pytest.mark.parametrize("seed", [20241128, 7])
def test_chinese_estimator_sentences_follow_the_english_on_two_twins(seed):
    """Chapter 09's weights, placebo and bootstrap sentences: computed on two twins (and on
    edited copies for the other branches), same numbers and same decisions in both
    languages."""
    from dataclasses import replace

    from replicate.models import compare
    from replicate.models.inference import placebo_in_time, wild_cluster_bootstrap
    from replicate.models.staggered import twfe_weights

    panel = load_panel("synthetic", seed=seed)
    frame = replication.regression_frame(panel)
    cols = {"unit": "city_id", "time": "year", "cohort": "g"}
    weights = twfe_weights(frame, "nqp", **cols)
    signs = compare.weight_signs(weights, frame, unit="city_id", time="year")
    negative = replace(signs, n_negative=3, smallest=-0.00012, largest_sum=1.31)
    for s in (signs, negative, replace(signs, balanced=False)):
        en, zh = compare.weights_sentence(s, 0.123), prose_zh.weights_sentence(s, 0.123)
        _same_numbers(en, zh)
        _words_agree(en, zh, {"None of the": "没有一个", "balanced panel; this one": "不是平衡"})
        _words_agree(en, zh, {", below 1": "，低于 1", ", above 1": "，高于 1"})

    placebo = compare.placebo_table(
        {
            f"{k} years earlier": placebo_in_time(frame, "nqp", **cols, shift=k, cluster="city_id")
            for k in (2, 3)
        }
    )
    hit = placebo.copy()
    hit.iloc[0, hit.columns.get_loc("verdict")] = compare.PLACEBO_VERDICTS[1]
    for table in (placebo, hit, placebo.iloc[:1]):
        en, zh = compare.placebo_sentence(table), prose_zh.placebo_sentence(table)
        _same_numbers(en, zh)
        _words_agree(en, zh, {"exclude zero (": "个排除零（", "one rejection in twenty": "二十次"})
    assert "提前 2 年" in prose_zh.placebo_sentence(hit)

    fit = replication.fit_panel("nqp ~ did | city_id + year", frame, vcov={"CRV1": "city_id"})
    t_interval = tuple(fit.conf_int().loc["did"])
    kw = {**cols, "draws": 99, "seed": 1}
    fine = wild_cluster_bootstrap(frame, "nqp", cluster="city_id", **kw)
    coarse = wild_cluster_bootstrap(frame, "nqp", cluster="province", weights="webb", **kw)
    few = replace(coarse, n_treated_clusters=4)
    assert coarse.n_treated_clusters >= compare.FEW_TREATED_CLUSTERS  # the twin: not few
    for c in (None, coarse, few):
        args = {"fine_level": "city_id", "coarse": c, "coarse_level": "province", "mixed": 5}
        en = compare.bootstrap_sentence(fine, t_interval, **args)
        zh = prose_zh.bootstrap_sentence(fine, t_interval, **args)
        _same_numbers(en, zh)
        for e, z in {
            "larger than": "大于",
            "smaller than": "小于",
            "about the same": "大致等于",
        }.items():
            assert en.count(e) == zh.count(z), (e, en, zh)
        _words_agree(en, zh, {"is few": "属于少", "not few": "不算少", "far more than": "远多于"})
        _words_agree(en, zh, {" more than the": "多于", "no more than": "不多于"})
        assert zh.startswith("在城市层面") and ("city_id" not in zh and "province" not in zh)
        if c is not None:
            assert "个省份聚类中" in zh
    county = prose_zh.bootstrap_sentence(fine, t_interval, fine_level="county")
    assert county.startswith("在 county 层面")  # a user's column keeps its name


def test_pilot_codings_in_chinese_keep_the_value_a_reader_types():
    from replicate import multiverse

    assert prose_zh.coding_zh("ignore", code=True) == "忽略（ignore）"
    for coding in multiverse.codings_of(multiverse.prepare(load_panel("synthetic"))):
        assert not re.search(r"[A-Za-z]", prose_zh.coding_zh(coding)), coding


def test_chinese_breakdown_and_did_m_sentences_follow_the_same_cases():
    """Every case of ``describe_breakdown``/``sensitivity_sentence`` (tables with known
    intervals) and both branches of ``did_m_sentence``: same numbers, same case."""
    from types import SimpleNamespace

    from replicate.models import compare
    from replicate.models.sensitivity import describe_breakdown

    grid = [0.0, 0.5, 1.0, 1.5]

    def table(lowers, original):
        frame = pd.DataFrame(
            {"lower": lowers, "upper": [0.4] * len(grid)}, index=pd.Index(grid, name="Mbar")
        )
        frame.attrs["original"] = original
        return frame

    cases = {
        "null": table([-0.1] * 4, (-0.02, 0.3)),
        "below": table([-0.1] * 4, (0.02, 0.3)),
        "all": table([0.1] * 4, (0.02, 0.3)),
        "value": table([0.1, 0.05, -0.01, -0.1], (0.02, 0.3)),
    }
    for case in cases.values():
        _same_numbers(describe_breakdown(case, "M̄"), prose_zh.describe_breakdown(case, "M̄"))
    names = {"average": "average post-treatment effect", "first": "first-year effect"}
    for a, b in (("null", "null"), ("null", "value"), ("all", "below"), ("value", "value")):
        honest = {
            "average": {"relative magnitudes (M̄)": cases[a], "smoothness (M)": cases[a]},
            "first": {"relative magnitudes (M̄)": cases[b], "smoothness (M)": cases[b]},
        }
        en = compare.sensitivity_sentence(honest, names)
        zh = prose_zh.sensitivity_sentence(honest, names)
        _same_numbers(en, zh)
        assert en.count("is significant at 5%") == zh.count("水平显著")
        assert ("not defined" in en) == ("没有定义" in zh)
        assert en.count("on the grid") == zh.count("网格上")

    cs = SimpleNamespace(aggregations={"dynamic": pd.DataFrame({"estimate": [0.0812]}, index=[0])})
    for estimate in (0.0812, 0.0912):
        did_m = SimpleNamespace(estimate=estimate, se=0.021)
        en, zh = compare.did_m_sentence(did_m, cs), prose_zh.did_m_sentence(did_m, cs)
        _same_numbers(en, zh)
        assert ("the same number" in en) == ("同一个数字" in zh)


# ----------------------------------------------------------------------------- ch. 11 exercises (#19)

_EX_BASE = {
    "cohort_effects": {2014: 0.30, 2015: 0.15, 2016: 0.00},
    "dynamic_slope": 0.04,
    "anticipation": 0,
    "pretrend": 0.0,
    "conditional_trends": False,
}
_EX_HOMOGENEOUS = {**_EX_BASE, "cohort_effects": dict.fromkeys((2014, 2015, 2016), 0.12)}
_EX_HOMOGENEOUS["dynamic_slope"] = 0.0

_VERDICTS = {"below": "低于", "above": "高于", "within": "误差之内", "not compared": "未作比较"}


def _same_verdict(english: str, chinese: str) -> None:
    """``teaching.against``'s word and its Chinese form say the same direction."""
    key = next(k for k in _VERDICTS if english.startswith(k))
    assert _VERDICTS[key] in chinese, (english, chinese)
    assert all(w not in chinese for k, w in _VERDICTS.items() if k != key), (english, chinese)


def _exercise_fragments(seed: int, draws: int) -> dict[str, tuple[str, str]]:
    """The chapter's exercise solutions (``notebooks/10_teaching.py``, the cells before
    ``## Exercises``) in both languages, on ``draws`` twins of designs with this seed:
    the same calls as the chapter, so the English forms are the page's."""
    from replicate import montecarlo, teaching
    from replicate.models.bias import PARTS

    out: dict[str, tuple[str, str]] = {}

    def both(name, helper, *args):
        out[name] = (getattr(teaching, helper)(*args), getattr(prose_zh, helper)(*args))

    homo_design = montecarlo.Design(_EX_HOMOGENEOUS, seed=seed)
    homo_twins = montecarlo.draw_twins(homo_design, draws)
    homo = teaching.run_fast("decomposition", homo_design, draws, homo_twins)
    homo_bias = teaching.summarise_mean(homo.groupby("draw")[["total", *PARTS]].sum()["total"])
    both("ex_homo_bias", "with_se", *homo_bias, 4)
    both("ex_homo_where", "against", *homo_bias, 0.0, "the truth")

    for slope in (0.02, 0.005):
        design = montecarlo.Design({**_EX_HOMOGENEOUS, "pretrend": slope}, seed=seed)
        rows = teaching.run_fast("pretest", design, draws)
        rate = teaching.summarise_rate(rows["pretest_p"] < 0.05)
        both(f"ex_pre_reject_{slope}", "percent_with_se", *rate)
    both("ex_pre_power", "power_sentence", *rate)
    passed = rows["pretest_p"] >= 0.05
    error = rows["twfe"] - rows["att"]
    error_all = teaching.summarise_mean(error)
    both("ex_roth_pass", "percent_with_se", *teaching.summarise_rate(passed))
    both("ex_roth_all", "with_se", *error_all, 4)
    both("ex_roth_where_all", "against", *error_all, 0.0, "the truth")
    if passed.sum() > 1:
        error_passed = teaching.summarise_mean(error[passed])
        both("ex_roth_passed", "with_se", *error_passed, 4)
        both("ex_roth_where_passed", "against", *error_passed, 0.0, "the truth")
    both("ex_roth_lesson", "pretest_lesson", *teaching.selection_gap(error, passed), error_all[0])

    homo_draws = montecarlo.run_fast(
        montecarlo.Design(_EX_HOMOGENEOUS, ("twfe",), seed=seed), draws
    )
    power = montecarlo.summarise(homo_draws).loc["TWFE"]
    both("ex_mde_power", "percent_with_se", power["power"], power["power MC s.e."])
    both("ex_mde_where", "against", power["power"], power["power MC s.e."], 0.8, "the planned 80%")

    clus = teaching.run_fast("clustering", homo_design, draws, homo_twins)
    clus["covered"] = (clus["lower"] <= clus["att"]) & (clus["att"] <= clus["upper"])
    by_level = {lv: clus[clus["cluster"] == lv].set_index("draw") for lv in ("city", "province")}
    coverage = {lv: teaching.summarise_rate(d["covered"]) for lv, d in by_level.items()}
    for level in by_level:
        both(f"ex_cl_cover_{level}", "percent_with_se", *coverage[level])
    spread = teaching.sd_with_se(by_level["city"]["estimate"])
    se_gap = teaching.summarise_mean(by_level["province"]["se"] - by_level["city"]["se"])
    both("ex_cl_sd", "with_se", *spread, 4)
    both("ex_cl_se_gap", "with_se", *se_gap, 4)
    mean_se = {lv: float(d["se"].mean()) for lv, d in by_level.items()}
    treated = {lv: int(d["treated_clusters"].iloc[0]) for lv, d in by_level.items()}
    both("ex_cl_lesson", "clustering_lesson", coverage, mean_se, spread[0], se_gap, treated)

    conditional = {**_EX_BASE, "conditional_trends": True}
    design = montecarlo.Design(conditional, ("twfe", "imputation", "cs_never"), seed=seed)
    twins = montecarlo.draw_twins(design, draws, controls=True)
    plain = montecarlo.run_fast(design, draws, twins)
    adjusted = montecarlo.run_fast(
        montecarlo.Design(conditional, ("cs_never",), tuple(CONTROLS), seed=seed), draws, twins
    )
    errors = {e: (d["estimate"] - d["truth"]).to_numpy() for e, d in plain.groupby("estimator")}
    confounding = teaching.summarise_mean(errors["imputation"])
    for estimator, e in errors.items():
        both(f"ex_cond_plain_{estimator}_where", "against", *teaching.summarise_mean(e), 0.0)
    heterogeneous = montecarlo.run_fast(montecarlo.Design(_EX_BASE, ("twfe",), seed=seed), draws)
    heterogeneity = teaching.summarise_mean(heterogeneous["estimate"] - heterogeneous["truth"])
    closer = teaching.closer_to_zero(errors["twfe"], errors["imputation"])
    both("ex_cond_offset", "offset_sentence", heterogeneity, confounding, closer)
    both("ex_cond_confounding", "confounding_sentence", confounding)
    with_controls = (adjusted["estimate"] - adjusted["truth"]).to_numpy()
    both("ex_cond_dr_part", "controls_left_sentence", with_controls)
    both("ex_cond_dr_versus", "controls_change_sentence", with_controls, errors["cs_never"])

    timing = teaching.run_fast(
        "timing", montecarlo.Design({**_EX_BASE, "anticipation": 2}, seed=seed), draws
    )
    for dating, d in timing.groupby("dating"):
        error_dated = teaching.summarise_mean(d["estimate"] - d["truth"])
        both(f"ex_time_{dating}", "with_se", *error_dated, 4)
        both(f"ex_time_{dating}_where", "against", *error_dated, 0.0, "its truth")
    return out


_EXERCISE_WORDS = {
    "ex_pre_power": {"little power": "几乎没有检验功效", "usually detected": "通常也能发现"},
    "ex_roth_lesson": {
        "within Monte Carlo error": "在蒙特卡洛误差之内",
        "more biased": "偏误更大",
        "less biased": "偏误更小",
        "not defined": "无法比较",
    },
    "ex_cl_lesson": {
        "both intervals cover": "两种区间的覆盖率都约为",
        "city-clustered intervals undercover": "按城市聚类的区间覆盖不足",
        "undercover: the mean s.e. is below": "聚类的区间都覆盖不足",
        "does not change the mean s.e.": "没有使平均标准误发生",
        "widens": "增大",
        "narrows": "减小",
        "have not cost coverage": "没有损失覆盖率",
        "neither level has few": "都不算少",
        "unlikely to explain": "不太可能解释",
        "may explain": "其数量可能解释",
    },
    "ex_cond_offset": {
        "for the wrong reason": "错误的原因",
        "partly offset": "部分相互抵消",
        "add up": "相互叠加",
        "no offset can be read": "无法判断",
    },
    "ex_cond_confounding": {"read as an effect": "误当成了处理效应", "does not show": "没有表现出"},
    "ex_cond_dr_part": {
        "the error left is beyond": "超出了蒙特卡洛误差",
        "leaves no error": "没有超出",
    },
    "ex_cond_dr_versus": {
        ", closer to the truth": "，更接近真实值",
        ", further from the truth": "离真实值更远",
        "neither closer": "既没有更接近",
    },
}


@pytest.mark.parametrize(("seed", "draws"), [(0, 60), (1, 40)])
def test_chinese_exercise_solutions_follow_the_english_on_two_designs(seed, draws):
    """Chapter 11's exercise solutions: on two Monte Carlo designs (seeds and draws), every
    Chinese fragment has the English fragment's numbers, the same verdict against its
    target and the same case of each lesson."""
    fragments = _exercise_fragments(seed, draws)
    assert len(fragments) >= 25
    for name, (en, zh) in fragments.items():
        _same_numbers(en, zh)
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]{3,} [a-z]{3,}", zh)
        if name.endswith("_where"):
            _same_verdict(en, zh)
        for english, chinese in _EXERCISE_WORDS.get(name, {}).items():
            assert (english in en) == (chinese in zh), (name, english, en, zh)
        if "(Monte Carlo s.e. " in en:
            assert en.count("(Monte Carlo s.e. ") == zh.count("蒙特卡洛标准误 "), (en, zh)


def test_chinese_exercise_sentences_take_every_branch_the_english_take():
    """Each exercise helper on inputs built to reach each of its cases: the Chinese form
    is in the same case as the English and carries its numbers."""
    from replicate import teaching

    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.01, 400)
    cases = []
    for rate, se in ((0.10, 0.02), (0.30, 0.09), (0.70, 0.03), (0.2, 0.2)):
        cases.append(("ex_pre_power", teaching.power_sentence, prose_zh.power_sentence, (rate, se)))
    het, conf = (-0.02, 0.002), (0.05, 0.002)
    for args in (
        (het, conf, True),
        (het, conf, False),
        (het, (-0.05, 0.002), False),
        (het, (0.001, 0.002), True),
    ):
        cases.append(("ex_cond_offset", teaching.offset_sentence, prose_zh.offset_sentence, args))
    for c in (conf, (0.001, 0.002), (-0.05, 0.002)):
        cases.append(
            (
                "ex_cond_confounding",
                teaching.confounding_sentence,
                prose_zh.confounding_sentence,
                (c,),
            )
        )
    for shift in (0.02, 0.0):
        cases.append(
            (
                "ex_cond_dr_part",
                teaching.controls_left_sentence,
                prose_zh.controls_left_sentence,
                (noise + shift,),
            )
        )
    base_errors = noise + 0.03
    for with_controls in (base_errors - 0.02, base_errors + 0.02, base_errors + 1e-5 * noise):
        cases.append(
            (
                "ex_cond_dr_versus",
                teaching.controls_change_sentence,
                prose_zh.controls_change_sentence,
                (with_controls, base_errors),
            )
        )
    passed = np.arange(400) % 4 != 0
    bias = 0.02
    for errors, p in (
        (noise + bias, passed),  # no selection: within
        (noise + bias + 0.02 * passed, passed),  # the passing draws more biased
        (noise + bias - 0.015 * passed, passed),  # less biased
        (noise + bias, np.arange(400) > 0),  # one draw fails: not defined
    ):
        args = (*teaching.selection_gap(errors, p), float(np.mean(errors)))
        cases.append(("ex_roth_lesson", teaching.pretest_lesson, prose_zh.pretest_lesson, args))
    city, province = {"city": 285, "province": 31}, {"city": 285, "province": 12}
    for coverage, gap, treated in (
        ({"city": (0.95, 0.01), "province": (0.94, 0.01)}, (0.0001, 0.001), city),
        ({"city": (0.95, 0.01), "province": (0.94, 0.01)}, (0.003, 0.0005), province),
        ({"city": (0.85, 0.01), "province": (0.94, 0.01)}, (0.004, 0.0005), city),
        ({"city": (0.85, 0.01), "province": (0.80, 0.01)}, (-0.002, 0.0005), province),
    ):
        args = (coverage, {"city": 0.027, "province": 0.027 + gap[0]}, 0.029, gap, treated)
        cases.append(("ex_cl_lesson", teaching.clustering_lesson, prose_zh.clustering_lesson, args))
    seen: dict[str, set[str]] = {}
    for name, english, chinese, args in cases:
        en, zh = english(*args), chinese(*args)
        _same_numbers(en, zh)
        for word, zh_word in _EXERCISE_WORDS[name].items():
            assert (word in en) == (zh_word in zh), (name, word, en, zh)
            if word in en:
                seen.setdefault(name, set()).add(word)
    # the inputs reach every case the table of words lists (so each pair above was tested)
    for name, words in _EXERCISE_WORDS.items():
        assert seen.get(name, set()) == set(words), (name, set(words) - seen.get(name, set()))


def test_chinese_percent_and_names_keep_the_english_numbers():
    from replicate import teaching

    for rate, se in ((0.66, 0.0335), (0.9, 0.021), (0.5, 0.1), (0.0, 0.0), (1.0, 0.0996)):
        en, zh = teaching.percent_with_se(rate, se), prose_zh.percent_with_se(rate, se)
        _same_numbers(en, zh)
        assert zh.endswith("个百分点）") and en.endswith("points)")
    for bias, se in ((0.0029, 0.0021), (-0.03, 0.002), (0.05, 0.002), (np.nan, np.nan)):
        en = teaching.against(bias, se, 0.0, "its target")
        zh = prose_zh.misses_target(bias, se)
        _same_numbers(f"{teaching.with_se(bias, se, 4)} {en}", zh)
        key = next(k for k in _VERDICTS if en.startswith(k))
        word = {"below": "低于", "above": "高于", "within": "误差之内", "not compared": "无法比较"}
        assert word[key] in zh
    assert prose_zh.estimator_names(["Sun–Abraham", "imputation (BJS)"]) == (
        "Sun–Abraham 和插补估计量（BJS）"
    )
    assert prose_zh.estimator_names([]) == "其他估计量都没有"


def test_no_english_fragment_in_the_chinese_exercise_solutions():
    """The built Chinese chapter 11 (``make book`` or ``replicate book --only 10_teaching``):
    every value pasted into the exercise solutions is in Chinese or is a number, never an
    English fragment."""
    from replicate import paths

    page = paths.HTML_DIR / "zh" / "notebooks" / "10_teaching.html"
    if not page.exists():
        pytest.skip("no Chinese build: run `make book`")
    text = page.read_text(encoding="utf-8")
    exercises = text[text.index('id="exercises"') :]
    pasted = re.findall(r'class="pasted-text">([^<]*)<', exercises)
    assert len(pasted) >= 40, pasted
    allowed = re.compile(r"TWFE|BJS|Roth|exercise_draws")
    for value in pasted:
        words = re.findall(r"[A-Za-z]{3,}", allowed.sub("", value))
        assert not words, (value, words)


# Glued values that are code the reader types (a parameter value, a formula), the same on
# both editions; everything else with words needs a Chinese twin.
_CODE_GLUE = {"spec_table2_7"}


@pytest.mark.parametrize("stem", sorted(p.stem for p in paths.NOTEBOOKS_DIR.glob("[0-9]*.py")))
def test_every_glued_text_has_a_chinese_form_or_is_a_number(stem):
    """Each executed chapter (``notebooks/NN_*.ipynb``, written by the book build): a glued
    value without a ``__zh`` twin must be a number or code, so no English fragment can reach
    a Chinese page (chapter 11 had 39 before its exercise solutions were made bilingual)."""
    import json

    executed = paths.NOTEBOOKS_DIR / f"{stem}.ipynb"
    source = paths.NOTEBOOKS_DIR / f"{stem}.py"
    if not executed.exists() or executed.stat().st_mtime < source.stat().st_mtime:
        pytest.skip(f"{stem} not executed since its last edit: run `replicate book --only {stem}`")
    values = {}
    for cell in json.loads(executed.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = output["data"]
                values[name] = "".join(data.get(f"{_GLUE}text/plain", data.get("text/plain", "")))
    if stem == "10_teaching":
        assert any(name.startswith("ex_") for name in values)
    english_only = {
        name: text
        for name, text in values.items()
        if not name.endswith("__zh")
        and f"{name}__zh" not in values
        and name not in _CODE_GLUE
        and re.search(r"[A-Za-z]{2,}", text.strip("'\""))
    }
    assert not english_only, english_only


_GLUE = "application/papermill.record/"
