"""The Chinese figures of chapters 01, 02, 03, 03b, 04, 09 and 10b, drawn the way the book
draws them: each Figure is built by the library on the synthetic twin (or the shipped real
data) with the notebook's own labels, then drawn by :func:`figures_zh.chinese_png`. No text
of the Chinese drawing may keep an English phrase (two Latin words in a row, variable and
estimator names aside), and every number of the English figure must be in the Chinese one.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from replicate.report import figures, figures_zh  # noqa: E402

# names that stay Latin in the Chinese text: variables, estimators, abbreviations
KEEP = r"\b(?:nqp|did|innovp|TWFE|DID|SA|CS|BJS|ATT|city_id|fdi|hum|ln|vs|sup-t)\b"
PHRASE = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,]+[A-Za-z][A-Za-z'’-]*)+")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def english_phrases(text: str) -> list[str]:
    return PHRASE.findall(re.sub(KEEP, "·", text))


def drawn_texts(fig) -> list[str]:
    """Every text of the English figure as drawn (titles, labels, legend, tick labels)."""
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def chinese_texts(fig) -> list[str]:
    """Every text of the Chinese drawing, read right after figures_zh has drawn it."""
    seen: list[str] = []
    real_savefig = fig.savefig

    def savefig(*args, **kwargs):
        real_savefig(*args, **kwargs)
        seen.extend(t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text())

    fig.savefig = savefig
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            png = figures_zh.chinese_png(fig, figures.chinese_style)
    finally:
        del fig.savefig
    if png is None:
        pytest.skip("no CJK font installed")
    return seen


def check(fig, expected: tuple[str, ...] = ()) -> list[str]:
    """The Chinese figure has no English phrase, all the English figure's numbers, the
    ``expected`` Chinese texts, and leaves the English figure as it was."""
    english = drawn_texts(fig)
    chinese = chinese_texts(fig)
    assert drawn_texts(fig) == english  # the English figure is unchanged
    left = {t: english_phrases(t) for t in chinese if english_phrases(t)}
    assert not left, f"English left in the Chinese figure: {left}"
    numbers = Counter(n for t in english for n in NUMBER.findall(t))
    missing = numbers - Counter(n for t in chinese for n in NUMBER.findall(t))
    assert not missing, f"numbers of the English figure lost in Chinese: {dict(missing)}"
    for text in expected:
        assert any(text in t for t in chinese), (text, chinese)
    plt.close(fig)
    return chinese


def test_the_phrase_check_can_fail():
    assert english_phrases("对 nqp 效应的安慰剂估计值") == []
    assert english_phrases("安慰剂估计值 of the 对 nqp 的效应") == ["of the"]
    assert english_phrases("estimator: TWFE") == []  # one word is a name, not a phrase
    assert english_phrases("city + year effects") == ["year effects"]


def test_01_pilot_timeline():
    from replicate.data import code_pilots

    check(figures.pilot_timeline(code_pilots(reading="parent")), ("（“上级城市”口径）",))


def test_02_pilots_by_province_use_the_city_list_names():
    from replicate.data import cities, code_pilots

    reference = cities()
    chinese = check(
        figures.pilots_by_province(code_pilots("parent"), reference),
        ("2014 年批次", "从未处理"),
    )
    guangdong = reference.loc[reference["province_en"] == "Guangdong", "province_zh"].iloc[0]
    assert guangdong in chinese and "Guangdong" not in chinese


def test_03_twin_histograms(default_twin):
    from replicate import calibrate

    mc = calibrate.coverage_draws(seeds=range(2))
    city = mc[mc["cluster"] == "city"]
    truth = default_twin.truth.att
    fig = figures.histograms(
        {
            "city + year effects": city.loc[city["spec"] == "Table 2 column 7", "estimate"],
            "+ province-by-year effects": city.loc[city["spec"] == "Table 4 column 1", "estimate"],
        },
        markers={f"truth {truth:.3f}": truth},
        xlabel="TWFE estimate of did",
        ylabel="twins",
        source=default_twin.panel(),
    )
    check(fig, ("城市与年份固定效应", "另加省份×年份固定效应", f"真实值 {truth:.3f}"))


def test_03b_calibration_histogram(default_twin):
    from replicate import calibrate

    n_numbers = len(calibrate.targets())
    within = np.array([150, 160, 160, 171])
    fig = figures.histograms(
        {"twins": within},
        markers={"seed 20241128: 160": 160},
        xlabel=f"published numbers within tolerance (of {n_numbers})",
        ylabel="twins",
        bins=np.arange(within.min() - 0.5, n_numbers + 1.5, 1.0),
        source=default_twin.panel(),
    )
    check(fig, ("种子 20241128：160", f"共 {n_numbers} 个"))


def test_04_index_figures():
    from replicate.data import gwr_reports
    from replicate.index import count_documents, index_table, load_dictionary

    reports = gwr_reports().set_index("year")
    dictionary = load_dictionary()
    index = index_table(count_documents(reports["text"], dictionary, "scan"), dictionary)
    years = range(reports.index.min(), reports.index.max() + 1)
    fig = figures.index_over_years(
        index.reindex(years),
        left="nqp",
        right="per_10k",
        left_label="ln(1 + keyword count)",
        right_label="keywords per 10,000 characters",
        gap=(2019.5, 2020.5, "2020: no report in the corpus"),
        event=(2014, "first pilots"),
    )
    check(fig, ("2020 年", "首批试点"))
    per_cat = index[[f"per_10k_{c}" for c in dictionary.categories]].reindex(years)
    fig = figures.stacked_bars(
        per_cat.rename(columns=lambda c: c.removeprefix("per_10k_").replace("_", " ")),
        ylabel="keywords per 10,000 characters",
        xlabel="year of the report",
    )
    check(fig, ("新技术", "新产业", "新要素", "数字绿色"))


@pytest.mark.parametrize("outcome", ["nqp", "lny"])
def test_09_labels_composed_with_the_outcome(default_panel, outcome):
    from replicate import replication
    from replicate.models.inference import permutation_test
    from replicate.models.staggered import bacon_decomposition

    frame = replication.regression_frame(default_panel)
    frame = frame.assign(**{outcome: frame["nqp"]})
    cols = {"unit": "city_id", "time": "year", "cohort": "g"}
    bacon = bacon_decomposition(frame, outcome, **cols)
    fig = figures.bacon_plot(bacon.comparisons, bacon.estimate)
    fig.axes[0].set_ylabel(f"2×2 DID estimate on {outcome}")
    check(figures.label(fig, default_panel), (f"{outcome} 的 2×2 双重差分估计值",))
    free = permutation_test(frame, outcome, **cols, draws=19, seed=1)
    fig = figures.distribution(
        free.draws,
        free.estimate,
        free.conf_int(),
        xlabel=f"placebo estimate of the effect on {outcome}",
        ylabel="permutations",
        source=default_panel,
    )
    check(fig, (f"对 {outcome} 效应的安慰剂估计值",))


def test_10b_specification_curve(default_panel):
    from replicate import multiverse as mv

    prepared = mv.prepare(default_panel)
    full = mv.space(codings=mv.codings_of(prepared))
    # one specification for every choice of every dimension, TWFE where it can be
    picks = []
    for dim in (*mv.DIMENSIONS, "n_controls"):
        for value in full[dim].unique():
            rows = full[full[dim] == value]
            twfe = rows[rows["estimator"] == "twfe"]
            picks.append((twfe if len(twfe) else rows).iloc[0]["hash"])
    specs = full[full["hash"].isin(picks)].sort_values("hash")
    result, _ = mv.run_multiverse(default_panel, specs, progress=False)
    truth = default_panel.truth.att
    chinese = check(
        mv.specification_curve(result, truth=truth),
        (
            "原文的设定（用这些合成数据估计）",
            "估计量：TWFE",
            "控制变量个数：",
            "固定效应：城市+年份",
        ),
    )
    for row in ("试点编码：", "年份：", "聚类："):
        assert any(t.startswith(row) for t in chinese), row


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "year relative to the first treated year (reference: -1)",
            "距首次处理的期数（year；基期：-1）",
        ),
        (
            "period relative to the first treated period (no reference period)",
            "距首次处理的期数（period；无基期）",
        ),
        ("periods relative to treatment (reference: -1)", "距处理的期数（基期：-1）"),
        ("effect", "效应"),
        ("effect on lemp", "对 lemp 的效应"),
    ],
)
def test_the_event_time_axis_of_any_panel_is_chinese(english, chinese):
    """``figures.iplot``'s axis labels on a panel of other roles (chapter 12's mpdta): the time
    column's name and the reference period carried over."""
    assert figures_zh.translate(english) == chinese
