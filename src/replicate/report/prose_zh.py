"""Chinese forms of :mod:`replicate.report.prose` sentences, built from the same values.

Each function here takes exactly the arguments of its English namesake in ``prose`` and
chooses its words from the numbers by the same rules (so the two languages never
disagree about a comparison); they are not translations of one run's text. A chapter glues
both with :func:`replicate.i18n.glue`::

    i18n.glue("change", prose.describe_change(a, b), prose_zh.describe_change(a, b))

Vocabulary follows ``book/glossary.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from replicate import paper
from replicate.checks import published_indirect_bounds
from replicate.replication import (
    R2_TOLERANCE,
    SE_RATIO,
    TABLE1_SD_SHARE,
    _kind,
    calibration_record,
    mediation_truth,
    specs,
)


def describe_change(before: float, after: float, what: str = "估计值") -> str:
    """``"下降 30%（从 0.129 降至 0.090）"``: the rules of ``prose.describe_change``
    (减半 only within 45–55% down, 约翻一番 within 90–110% up, 几乎不变 below 1%)."""
    if not (np.isfinite(before) and np.isfinite(after)) or before == 0:
        return f"{what}从 {before:.3f} 变为 {after:.3f}"
    pct = 100 * (after / before - 1)
    span = f"（从 {before:.3f} {'降至' if pct < 0 else '升至'} {after:.3f}）"
    if abs(pct) < 1:
        return f"{what}几乎不变（从 {before:.3f} 到 {after:.3f}）"
    if -55 <= pct <= -45:
        return f"{what}减半，下降 {-pct:.0f}%{span}"
    if 90 <= pct <= 110:
        return f"{what}约翻一番，上升 {pct:.0f}%{span}"
    verb = "下降" if pct < 0 else "上升"
    return f"{what}{verb} {abs(pct):.0f}%{span}"


def entries_per_batch(counts: Mapping[int, int]) -> str:
    """``"2014 年 39 个、2015 年 39 个"``: list entries per pilot batch (chapter 01)."""
    return "、".join(f"{year} 年 {n} 个" for year, n in sorted(counts.items()))


def entries_per_batch_en(counts: Mapping[int, int]) -> str:
    """The English form chapter 01 glues today (``"39 in 2014, 39 in 2015"``)."""
    return ", ".join(f"{n} in {year}" for year, n in sorted(counts.items()))


# ----------------------------------------------------------------------------------------
# Chinese namesakes of the remaining ``prose.describe_*`` sentences (chapters 03b, 05–08,
# 10b, 11). Same arguments, same decision rules and thresholds as the English functions;
# every number is formatted as the English one formats it, so a page shows the same numbers
# in both languages (tests/test_computed_prose.py runs both forms on two twins).

STATUS = {
    "within rounding": "舍入误差内",
    "within tolerance": "容差内",
    "off": "偏离",
    "not estimated": "未估计",
}
"""The scorecard's statuses in the words of the chapter 08 catalogue."""

_CLUSTERS = {"city": "城市", "province": "省份", "region": "地区"}

_COLUMNS = {"city_id": "城市", "province": "省份", "region": "地区", "year": "年份"}


_CODINGS = {
    "parent": "上级城市",
    "ignore": "忽略",
    "multi-source": "多来源",
    "as in the data": "按数据原样",
}


def coding_zh(label: str, code: bool = False) -> str:
    """A pilot coding or sub-city reading in the figures' words ("parent, multi-source" →
    上级城市，多来源); with ``code`` the value a reader types follows in parentheses
    (上级城市（parent）). An unknown part stays as it is."""
    parts = [_CODINGS.get(part.strip(), part.strip()) for part in label.split(",")]
    chinese = "，".join(parts)
    return f"{chinese}（{label}）" if code and chinese != label else chinese


def column_zh(name: str) -> str:
    """A column named in a Chinese sentence: the paper panel's ``city_id``, ``province``,
    ``region`` and ``year`` as 城市, 省份, 地区, 年份; any other (a user's) column as it is,
    with the spaces that set Latin letters off from Chinese ("在 county 层面")."""
    return _COLUMNS.get(name, f" {name} ")


def _specification_zh(text: str) -> str:
    """``"Table 2 column 7"`` → ``"表 2 第 7 列"`` (other text is returned unchanged)."""
    return re.sub(r"Table (\d+) column (\d+)", r"表 \1 第 \2 列", text)


def describe_scorecard(card) -> str:
    """``"系数：50 个中有 18 个在舍入误差内或在一个公布标准误之内；……"`` (the rules of
    ``prose.describe_scorecard``)."""
    kinds = _kind(card)
    words = {
        "coef": ("系数", "在舍入误差内或在一个公布标准误之内"),
        "se": ("标准误", f"在舍入误差内或为公布值的 {SE_RATIO[0]:g}–{SE_RATIO[1]:g} 倍"),
        "N": ("样本量", "完全一致"),
        "R2": ("R²", f"相差不超过 {R2_TOLERANCE:g}"),
        "table1": ("表 1 统计量", f"与原文之差不超过公布标准差的 {TABLE1_SD_SHARE:.0%}"),
    }
    parts = []
    for kind, (name, rule) in words.items():
        sub = card[kinds == kind]
        if len(sub):
            ok = int(sub["status"].isin(["within rounding", "within tolerance"]).sum())
            parts.append(f"{name}：{len(sub)} 个中有 {ok} 个{rule}")
    return "；".join(parts)


def _signed(z: float, what: str) -> str:
    return f"比{what}{'高' if z > 0 else '低'} {abs(z):.1f} 个标准误"


def describe_mediation_truth(result, panel) -> str:
    """The Chinese form of ``prose.describe_mediation_truth`` (same rules: a bias only when
    it exceeds two Monte Carlo standard errors)."""
    truth = getattr(panel, "truth", None)
    if truth is None and getattr(panel, "synthetic", False):
        return (
            "该面板标注为合成数据，但没有附带生成时的真实值记录（这是从文件读回的孪生数据），"
            "因此没有可供比较的真实值。"
        )
    if truth is None:
        return "该面板不是合成孪生数据，因此没有可供比较的真实值。"
    a, b, total = mediation_truth(truth)
    beside = result.beside_truth(a, b, total)
    z = beside["(estimate − truth) / s.e."].to_numpy()
    lo, hi = result.boot_ci
    covers = "覆盖了" if lo <= a * b <= hi else "没有覆盖"
    text = (
        f"生成孪生数据时设定 a = {a:.3f}，b = {b:.5f}：真实间接效应为 {a * b:.4f}，"
        f"占其真实总效应 {total:.3f} 的 {100 * a * b / total:.1f}%。估计值 "
        f"{result.indirect:.4f} {_signed(z[2], '真实值')}，{100 * result.level:.0f}% "
        f"自助法区间{covers}真实值。两个因子都带有估计误差——â = {result.a:.3f} "
        f"{_signed(z[0], ' a ')}，b̂ = {result.b:.5f} {_signed(z[1], ' b ')}——它们的乘积"
        f"同时继承了两者的误差。总效应离真实值{'更远' if abs(z[4]) > abs(z[2]) else '更近'}："
        f"ĉ = {result.total_effect:.3f} {_signed(z[4], f'真实值 {total:.3f} ')}。"
    )
    record = calibration_record()
    rows = record.get("coverage", [])
    provincial = record.get("parameters", {}).get("nqp.province_pilot_share", 0.0) != 0
    row = next(
        (
            r
            for r in rows
            if r.get("specification") == "Table 2 column 7" and r.get("clustered by") == "city"
        ),
        None,
    )
    if row:
        bias = row["mean estimate"] - row["true ATT"]
        mc_se = row["s.d. of estimates"] / np.sqrt(row["twins"])
        if abs(bias) > 2 * mc_se:
            text += (
                f"这一差距并非单次抽样的噪声：在校准检验的 {row['twins']} 组孪生数据中，"
                f"同一回归（表 2 第 7 列）的平均估计值为 {row['mean estimate']:.3f}，"
                f"而真实效应为 {row['true ATT']:.3f}，偏误为 {bias:+.3f}（蒙特卡洛标准误 "
                f"{mc_se:.3f}），其 95% 置信区间在 {100 * row['covers the true ATT']:.0f}% "
                "的孪生数据中覆盖真实值。"
            )
        if abs(bias) > 2 * mc_se and provincial:
            text += (
                "孪生数据的省级冲击随各省的试点比例变动（孪生数据正是以此复现表 4 第 1 列的下降），"
                "城市和年份固定效应无法吸收这些冲击；总效应和直接效应都继承了这一偏误，"
                "因此在孪生数据上，中介比例最好对照上面的真实值来解读。"
            )
        if abs(bias) <= 2 * mc_se:
            text += (
                f"在校准检验的 {row['twins']} 组孪生数据中，同一回归（表 2 第 7 列）的平均估计值"
                f"为 {row['mean estimate']:.3f}，真实效应为 {row['true ATT']:.3f}："
                "两者相差在两个蒙特卡洛标准误之内，因此这一差距只是单次抽样的噪声。"
            )
    return text


def describe_province_truth(base, with_province_year, panel) -> str:
    """The Chinese form of ``prose.describe_province_truth`` ("" without a truth)."""
    truth = getattr(panel, "truth", None)
    if truth is None:
        return ""
    att = float(truth.att)
    b, p = float(base.params["did"]), float(with_province_year.params["did"])
    closer = abs(p - att) < abs(b - att)
    share = calibration_record().get("parameters", {}).get("nqp.province_pilot_share", 0.0)
    built = (
        "孪生数据生成时设定的省级冲击随省内试点城市比例的上升而增大"
        if share > 0
        else "孪生数据的省级冲击与试点无关"
    )
    compare = "比" if closer else "并不比"
    return (
        f"{built}，其真实效应为 {att:.3f}：加入省份×年份固定效应的估计值（{p:.3f}）"
        f"{compare}基准回归（{b:.3f}）更接近真实效应。"
    )


def describe_coverage(panel) -> str:
    """The Chinese form of ``prose.describe_coverage`` ("" when the panel is not the twin)."""
    if getattr(panel, "truth", None) is None:
        return ""
    rows = {
        r.get("specification"): r
        for r in calibration_record().get("coverage", [])
        if r.get("clustered by") == "city"
    }
    base, province = rows.get("Table 2 column 7"), rows.get("Table 4 column 1")
    if not base or not province:
        return ""
    return (
        f"在校准后的孪生数据上，校准检验的 {base['twins']} 组孪生数据中，基准回归"
        f"（表 2 第 7 列）的平均估计值为 {base['mean estimate']:.3f}，而真实效应为 "
        f"{base['true ATT']:.3f}，其按城市聚类的 95% 置信区间在 "
        f"{100 * base['covers the true ATT']:.0f}% 的孪生数据中覆盖真实值；加入省份×年份"
        f"固定效应后（表 4 第 1 列），平均估计值为 {province['mean estimate']:.3f}，"
        f"覆盖率为 {100 * province['covers the true ATT']:.0f}%。"
    )


def describe_calibration_check(card, panel) -> str:
    """The Chinese form of ``prose.describe_calibration_check`` ("" when not synthetic)."""
    if not getattr(panel, "synthetic", False):
        return ""
    check = calibration_record().get("check", {})
    ours = int(card["status"].isin(["within rounding", "within tolerance"]).sum())
    if not check:
        return f"这组孪生数据复现了 {len(card)} 个数字中的 {ours} 个。"
    return (
        f"这组孪生数据复现了 {len(card)} 个数字中的 {ours} 个；在校准检验的 "
        f"{check['twins']} 组孪生数据中，中位数孪生数据复现 {check['median_twin_within']:g} 个，"
        f"而孪生数据的均值在 {check['numbers']} 个数字中有 {check['mean_within']} 个落在容差内。"
    )


def describe_constant_units(units=None) -> str:
    """The Chinese form of ``prose.describe_constant_units`` (same tests of each column)."""
    from replicate.checks import constant_units

    units = constant_units() if units is None else units

    def names(mask) -> str:
        return "、".join(f"表 {t} 第 ({c}) 列" for t, c in units.index[mask]) or "无"

    both = units["fits percent"] & units["fits Table 1 units"]
    only_percent = units["fits percent"] & ~units["fits Table 1 units"]
    neither = ~units["fits percent"] & ~units["fits Table 1 units"]
    text = (
        f"原文印出的 {len(units)} 个常数项中，{int(both.sum())} 个在两种量纲下都相符"
        f"（{names(both)}），{int(only_percent.sum())} 个只有在 mar 和 fin 以百分数计时才相符"
        f"（{names(only_percent)}）"
    )
    with_mar_fin = {
        (t, spec.column)
        for t in (2, 3, 4)
        for spec in specs(t)
        if {"mar", "fin"} & set(spec.regressors)
    } & set(units.index)
    if set(units.index[only_percent]) == with_mar_fin:
        text += "——恰好是包含 mar 或 fin 的那些列"
    text += f"，{int(neither.sum())} 个在两种量纲下都不相符。"
    if units["fits percent"].all():
        text += (
            "每个印出的常数项都与百分数量纲相符：回归使用的是以百分数计的 mar 和 fin，"
            "尽管表 1 把它们描述为比率。"
        )
    return text


def describe_published_indirect() -> str:
    """The Chinese form of ``prose.describe_published_indirect`` (same verdict at 5%)."""
    bounds = published_indirect_bounds()
    cells = paper.published(3).set_index(["column", "variable"])
    a = cells.loc[(1, "did")]
    total = paper.published(2).set_index(["column", "variable"]).loc[(7, "did"), "coef"]
    share = 100 * bounds.loc["indirect effect a·b", "maximum"] / total
    p_low, p_high = bounds.loc["Sobel p-value", ["minimum", "maximum"]]
    verdict = (
        "在 5% 水平上都不显著"
        if p_low > 0.05
        else "在 5% 水平上可能显著，也可能不显著"
        if p_high > 0.05
        else "在 5% 水平上都显著"
    )
    return (
        f"即使取其最大值，间接效应也只占相同控制变量下 did 总效应（表 2 第 7 列：{total:.3f}）"
        f"的 {share:.1f}%。由于 a 的估计很精确（t ≈ {a['coef'] / a['se']:.1f}），Sobel "
        f"统计量接近 b 的 t 值，其 p 值介于 {p_low:.3f} 和 {p_high:.3f} 之间：无论未经舍入的"
        f"数字是多少，间接效应{verdict}。"
    )


def describe_face_value_indirect(bounds=None) -> str:
    """The Chinese form of ``prose.describe_face_value_indirect`` (高于 / 低于 / 落在范围内,
    from the same comparison of the product with the bounds)."""
    bounds = published_indirect_bounds() if bounds is None else bounds
    cells = paper.published(3).set_index(["column", "variable"])
    a, b = cells.loc[(1, "did"), "coef"], cells.loc[(2, "innovp"), "coef"]
    lo, hi = bounds.loc["indirect effect a·b", ["minimum", "maximum"]]
    product = a * b
    if product > hi:
        where = (
            f"高于印出的单元格所允许的最大值（{hi:.4f}）：一个四舍五入为 {b:.3f}、带一颗星、"
            f"印出的标准误为 {cells.loc[(2, 'innovp'), 'se']:.3f} 的 b，实际上小于 {b:.3f}"
        )
    elif product < lo:
        where = f"低于印出的单元格所允许的最小值（{lo:.4f}）"
    else:
        where = f"落在印出的单元格所允许的范围之内（{lo:.4f} 至 {hi:.4f}）"
    return f"按字面值计算，印出的单元格给出 a·b = {a:.3f} × {b:.3f} = {product:.4f}，{where}。"


def describe_cluster_width(cover, specification: str = "Table 2 column 7") -> str:
    """The Chinese form of ``prose.describe_cluster_width`` (the same 10% band around the
    spread decides 大致等于 / 小于 / 大于)."""
    rows = cover[cover["specification"] == specification].set_index("clustered by")
    parts, words = [], []
    for cluster, row in rows.iterrows():
        se, sd = float(row["mean s.e."]), float(row["s.d. of estimates"])
        ratio = se / sd if sd > 0 else np.inf
        word = "大致等于" if abs(ratio - 1) <= 0.10 else "小于" if ratio < 1 else "大于"
        words.append(word)
        own = float(row["covers the estimator's mean"])
        parts.append(
            f"按{_CLUSTERS.get(cluster, cluster)}聚类（{int(row['clusters'])} 个聚类）时，"
            f"平均标准误（{se:.3f}）{word}各孪生数据间估计值的离散程度（{sd:.3f}），"
            f"区间在 {own:.1%} 的孪生数据中覆盖估计量自身的均值"
        )
    narrow = [_CLUSTERS.get(c, c) for c, w in zip(rows.index, words, strict=True) if w == "小于"]
    verdict = (
        f"因此按{'和按'.join(narrow)}聚类的区间过窄"
        if narrow
        else "因此两种区间都不算过窄：问题出在偏误，而不在宽度"
    )
    return f"{_specification_zh(specification)}：" + "；".join(parts) + f"，{verdict}。"


def describe_same_sample(base, base_same, with_province_year) -> str:
    """The Chinese form of ``prose.describe_same_sample`` (words from :func:`describe_change`)."""
    b, s, p = (float(r.params["did"]) for r in (base, base_same, with_province_year))
    dropped = int(base.nobs) - int(base_same.nobs)
    return (
        f"在第 (1) 列自己的 {int(base_same.nobs):,} 个城市—年份观测上（它删除的 {dropped:,} 个"
        f"观测在两边都不包含），加入省份×年份固定效应：{describe_change(s, p)}。"
        f"仅样本变化的影响：{describe_change(b, s, '基准回归')}。"
    )


def describe_hc1_beside_cluster(clustered, hc1, published_se: float | None = None) -> str:
    """The Chinese form of ``prose.describe_hc1_beside_cluster`` (same 5% band on the printed
    ratio; same choice of the closer reading)."""
    c, h = float(clustered.std_errors["did"]), float(hc1.std_errors["did"])
    ratio = round(h / c, 2)  # the word follows the printed ratio
    if abs(ratio - 1) <= 0.05:
        compare = f"与按城市聚类的 {c:.4f} 大致相同"
    elif ratio < 1:
        compare = f"小于按城市聚类的 {c:.4f}"
    else:
        compare = f"大于按城市聚类的 {c:.4f}"
    text = f"若按 HC1 解读，did 的标准误为 {h:.4f}，{compare}（比值 {ratio:.2f}）。"
    if published_se is not None and np.isfinite(published_se):
        gap_c, gap_h = abs(c - published_se), abs(h - published_se)
        closer = (
            "聚类的解读更接近它"
            if gap_c < gap_h
            else "HC1 的解读更接近它"
            if gap_h < gap_c
            else "两种解读与它同样接近"
        )
        text += (
            f"原文印出的是 {published_se:.3f}；在这些数据上，{closer}——这是关于原文所用命令的"
            "线索，而不是证明。"
        )
    return text


def summary_glue(result, summary, truth: float | None = None) -> dict[str, str]:
    """Chinese forms of :func:`replicate.multiverse.summary_glue`'s sentences (chapter 10b),
    from the same result and summary; keys are the same glue names."""
    from replicate.multiverse import published_estimates

    ok = result.ok
    overall = summary.loc["all specifications"]
    paper_rows = ok[ok["paper"] != ""]
    published = published_estimates()
    texts = {
        "mv_range": f"{ok['estimate'].quantile(0.05):.3f} 至 {ok['estimate'].quantile(0.95):.3f}",
        "mv_published_range": f"{published.min():.3f} 至 {published.max():.3f}",
        "mv_paper_range": (
            f"{paper_rows['estimate'].min():.3f} 至 {paper_rows['estimate'].max():.3f}"
            if len(paper_rows)
            else "没有估计值（本次运行不包含其中任何一个设定）"
        ),
        "mv_data": "合成孪生数据" if result.synthetic else result.label,
        "mv_truth": "",
    }
    if truth is not None and "interval covers the truth" in overall:
        texts["mv_truth"] = (
            f"在这组合成孪生数据上，真实效应为 {truth:.3f}；"
            f"{overall['interval covers the truth']:.0%} 的 95% 置信区间覆盖了它。"
        )
    return texts


# ----------------------------------------------------------------------------------------
# Chapter 02 (data and pilots): Chinese namesakes, same arguments and rules.

_REGIONS = {"east": "东部", "central": "中部", "west": "西部", "northeast": "东北"}
"""The four regions of ``cities()["region"]`` in the chapters' words."""


def province_names_zh(names) -> list[str]:
    """English province names (``cities()["province_en"]``) → their Chinese names, in the
    same order (a name the city list does not know is returned unchanged)."""
    from replicate.data import cities

    table = cities().drop_duplicates("province_en").set_index("province_en")["province_zh"]
    return [str(table.get(name, name)) for name in names]


def describe_province_pilot_mix(mix) -> str:
    """Chinese form of ``prose.describe_province_pilot_mix``: the same three counts from
    :func:`replicate.replication.province_pilot_mix`, provinces named in Chinese."""
    counts = mix["mix"].value_counts()
    only = sorted(mix.index[mix["mix"] == "only pilots"])
    none = sorted(mix.index[mix["mix"] == "no pilot"])
    text = f"在 {len(mix)} 个省份中，{int(counts.get('both', 0))} 个既有试点城市也有非试点城市"
    text += (
        f"，{len(only)} 个只有试点城市（{'、'.join(province_names_zh(only))}），"
        "其试点城市在本省之内没有可比较的城市"
        if only
        else "，没有一个省份只有试点城市"
    )
    text += (
        f"，{len(none)} 个没有试点城市（{'、'.join(province_names_zh(none))}）。"
        if none
        else "，且每个省份都至少有一个试点城市。"
    )
    return text


def region_zh(region: str) -> str:
    """``"east"`` → ``"东部"`` (unknown regions unchanged)."""
    return _REGIONS.get(region, region)


# ----------------------------------------------------------------------------------------
# Chapter 09 (modern DID): the comparative words of ``replicate.models.compare``.

RELATIVE = {"larger than": "大于", "smaller than": "小于", "about the same as": "大致等于"}
"""``compare.relative_size``'s three words in Chinese."""


def relative_size(a: float, b: float, within: float = 0.10) -> str:
    """Chinese form of ``compare.relative_size``: the same decision (it is that function's
    answer), in words that read before a noun (``"大于 TWFE 的标准误"``)."""
    from replicate.models.compare import relative_size as english

    return RELATIVE[english(a, b, within)]


# ----------------------------------------------------------------------------------------
# Chapter 10 (teaching): ``replicate.teaching``'s Monte Carlo words, same rules.

_UNITS = {"the truth": "真实值", "its truth": "其真实值", "its target": "其估计目标", "zero": "零"}
_ESTIMATOR_TARGETS = ("the truth", "its truth", "its target")


def with_se(mean: float, se: float, digits: int = 3) -> str:
    """Chinese form of ``teaching.with_se``: ``"0.018（蒙特卡洛标准误 0.003）"``, with the
    same three special cases (no estimate, one draw, the same in every draw)."""
    from replicate.report.tables import number

    if not np.isfinite(mean):
        return "未定义（没有一次抽样给出估计值）"
    if not np.isfinite(se):
        return f"{number(mean, digits)}（只有一次抽样，没有蒙特卡洛标准误）"
    if se < 0.5 * 10.0**-digits:
        return f"{number(mean, digits)}（每次抽样都相同）"
    return f"{number(mean, digits)}（蒙特卡洛标准误 {number(se, digits)}）"


def against(mean: float, se: float, value: float = 0.0, unit: str = "the truth") -> str:
    """Chinese form of ``teaching.against``: the English function's decision (below, above,
    within Monte Carlo error, not compared), in Chinese words. Against a truth or a target
    (``"the truth"``, ``"its truth"``, ``"its target"``) the mean is an estimator's error,
    so above and below say where its estimates lie: ``"估计值平均低于其估计目标"``."""
    from replicate.teaching import against as english

    where = english(mean, se, value, unit)
    what = _UNITS.get(unit, unit)
    if where.startswith("not compared"):
        return "未作比较（没有一次抽样给出估计值）"
    if where.startswith("within"):
        return f"与{what}的差距在蒙特卡洛误差之内"
    # against a truth or a target the mean is an error: say that the estimates lie above
    subject = "估计值平均" if unit in _ESTIMATOR_TARGETS else ""
    return f"{subject}{'低于' if where.startswith('below') else '高于'}{what}"


def describe_effects(truth, knobs: Mapping) -> str:
    """Chinese form of ``teaching.describe_effects``: the same reading of the twin's
    truth and knobs (differences under 0.001 count as equal)."""
    by_batch = truth.by_cohort.sort_index()
    steps = np.diff(by_batch.to_numpy())
    same = bool(np.all(np.abs(steps) < 1e-3))
    if same:
        batches = "每个批次的平均效应都相同"
    elif np.all(steps < 0):
        batches = "较早的试点批次效应更大"
    elif np.all(steps > 0):
        batches = "较晚的试点批次效应更大"
    else:
        batches = "各批次的效应各不相同"
    slope = float(knobs.get("dynamic_slope", 0.0))
    time = (
        "每个效应都随时间增大"
        if slope > 0
        else "每个效应都随时间减小"
        if slope < 0
        else "效应不随时间变化"
    )
    lesson = (
        "这正是使交错双重差分中的 TWFE 出错的异质性"
        if slope != 0 or not same
        else "没有异质性，因此交错双重差分中的 TWFE 没有出错的理由"
    )
    trends = (
        "控制变量影响结果变量，且其趋势随试点状态而不同（conditional_trends = True），"
        "因此平行趋势只在以控制变量为条件时成立。"
        if knobs.get("conditional_trends", True)
        else "结果变量中关闭了控制变量的作用（conditional_trends = False），因此不含控制变量时"
        "平行趋势也成立，下面的每个差异都只来自异质性。"
    )
    return f"在这组孪生数据上，{batches}，且{time}：{lesson}。{trends}"


# ----------------------------------------------------------------------------------------
# Chapter 09: Chinese namesakes of ``compare``'s sentences (same arguments, same rules; the
# comparisons call the English module's own tests, so the two languages cannot disagree).

TARGETS = {"average": "试点后平均效应", "first": "第一年效应"}
"""The chapter's two Rambachan–Roth targets in words."""

_RESTRICTIONS = {"relative magnitudes": "相对幅度约束", "smoothness": "平滑性约束"}


def describe_breakdown(table, symbol: str = "M̄") -> str:
    """Chinese form of ``sensitivity.describe_breakdown`` (same four cases)."""
    from replicate.models.sensitivity import breakdown

    lower, upper = table.attrs.get("original", (np.nan, np.nan))
    if lower <= 0 <= upper:
        return "无定义：常规 95% 置信区间已经包含零"
    value = breakdown(table)
    grid = table.index.to_numpy(float)
    if np.isnan(value):
        return f"低于网格上最小的 {symbol}（{grid.min():g}）"
    if value >= grid.max():
        return f"{symbol} ≥ {value:g}（网格上的最大值）"
    return f"{symbol} = {value:g}"


def sensitivity_sentence(honest, names, names_zh: Mapping[str, str] | None = None) -> str:
    """Chinese form of ``compare.sensitivity_sentence``; ``names_zh`` says each target in
    Chinese (default :data:`TARGETS`, else the English name)."""
    from replicate.models.compare import _excludes_zero, interval

    words = {**TARGETS, **(names_zh or {})}
    null, found = [], []
    for target, by_kind in honest.items():
        name = words.get(target, names[target])
        original = next(iter(by_kind.values())).attrs["original"]
        if not _excludes_zero(original):
            null.append(f"{name}（{interval(*original)}）")
            continue
        parts = []
        for kind, table in by_kind.items():
            symbol = kind[kind.rindex("(") + 1 : -1] if "(" in kind else "M"
            restriction = _RESTRICTIONS.get(kind.split(" (")[0], kind.split(" (")[0])
            parts.append(f"在{restriction}下为 {describe_breakdown(table, symbol)}")
        found.append(
            f"{name}在平行趋势下于 5% 水平显著（{interval(*original)}）；其临界值"
            + "，".join(parts)
        )
    sentences = []
    if null:
        subject = null[0] if len(null) == 1 else "、".join(null[:-1]) + "和" + null[-1]
        whose = "其" if len(null) == 1 else "它们的"
        sentences.append(
            f"在平行趋势完全成立时，{subject}的常规 95% 置信区间已经包含零，因此没有可供违背"
            f"推翻的结论，{whose}临界值没有定义。"
        )
    sentences += [text + "。" for text in found]
    return "".join(sentences)


def weights_sentence(signs, forbidden: float, digits: int = 3) -> str:
    """Chinese form of ``compare.weights_sentence`` (same branches on the same counts)."""
    from replicate.report.tables import number

    def n(v: float) -> str:
        return number(v, digits)

    if signs.n_negative == 0:
        head = (
            f"{signs.n_cells:,} 个受处理单元格中没有一个的权重为负，尽管“禁止的”比较占 Bacon "
            f"分解权重的 {n(forbidden)}。两者回答的是不同的问题：Bacon 对 2×2 比较加权，而在"
            "“禁止的”比较中，较早批次的受处理时期充当对照，因此它们的效应以负号进入该比较；"
            "de Chaisemartin 和 D'Haultfœuille 则把一个受处理单元格参与的每一项比较相抵后取净"
            "值，只有当它作为对照所失去的超过它作为受处理单元格所得到的时，其净权重才会变为负。"
        )
    else:
        head = (
            f"{signs.n_cells:,} 个受处理单元格中有 {signs.n_negative:,} 个权重为负（最小为 "
            f"{number(signs.smallest, 5)}），而 Bacon 分解中“禁止的”比较的权重为 "
            f"{n(forbidden)}：对这些单元格而言，它们在“禁止的”比较中作为对照所失去的，超过了"
            "它们作为受处理单元格所得到的。"
        )
    if not signs.balanced:
        return head + "（权重的闭式解需要平衡面板，而这个面板不是平衡的。）"
    rule = (
        "在平衡面板上，一个受处理单元格的权重与 1 − D̄ᵢ − D̄ₜ + D̄ 成正比（依次为其单位受处理"
        "时期的比例、其时期受处理单位的比例和总体比例），恰在 D̄ᵢ + D̄ₜ 超过 1 + D̄ 时为负："
        "即长期受处理的单位处于大多数单位都已受处理的时期。"
    )
    if signs.n_negative == 0:
        return (
            head + rule + f"这里受处理单元格的 D̄ᵢ + D̄ₜ 最大为 {n(signs.largest_sum)}，低于 1 + D̄ = "
            f"{n(signs.threshold)}。"
        )
    return (
        head
        + rule
        + f"这里 D̄ᵢ + D̄ₜ 达到 {n(signs.largest_sum)}，高于 1 + D̄ = {n(signs.threshold)}。"
    )


def did_m_sentence(did_m, cs_notyet) -> str:
    """Chinese form of ``compare.did_m_sentence`` (same identity tolerance)."""
    from replicate.models.compare import IDENTITY_TOL
    from replicate.report.tables import number

    first = float(cs_notyet.aggregations["dynamic"].loc[0, "estimate"])
    gap = abs(did_m.estimate - first)
    return (
        f"DID_M 为 {number(did_m.estimate, 3)}（标准误 {number(did_m.se, 3)}）：这是一个批次"
        "开始那一年的效应，而不是之后各年的平均值。在交错处理下，它就是 Callaway–Sant'Anna "
        "以尚未处理组为对照、按批次规模加权的首个处理年份效应，这里为 "
        f"{number(first, 3)}"
        + (
            "——两者是同一个数字。"
            if gap <= IDENTITY_TOL * max(1.0, abs(first))
            else f"——两者相差 {gap:.2g}。"
        )
    )


def placebo_label(label: str) -> str:
    """``"2 years earlier"`` → ``"提前 2 年"`` (``periods`` → 期); other labels unchanged."""
    label = re.sub(r"^(\d+) years earlier$", r"提前 \1 年", str(label))
    return re.sub(r"^(\d+) periods earlier$", r"提前 \1 期", label)


def placebo_sentence(table) -> str:
    """Chinese form of ``compare.placebo_sentence`` (same verdicts of the table)."""
    from replicate.models.compare import PLACEBO_VERDICTS

    n = len(table)
    hits = list(table.index[table["verdict"] == PLACEBO_VERDICTS[1]])
    if not hits:
        return (
            f"{n} 个安慰剂区间中没有一个排除零：在不可能有效应的地方没有出现效应。"
            if n > 1
            else "安慰剂区间包含零：在不可能有效应的地方没有出现效应。"
        )
    which = "、".join(placebo_label(h) for h in hits)
    return (
        f"{n} 个安慰剂区间中有 {len(hits)} 个排除零（{which}）：在任何处理之前出现的“效应”"
        "指向不同的趋势或预期效应，而不是处理本身"
        + ("（有多个安慰剂检验时，纯属偶然也预期每二十次会拒绝一次）。" if n > 1 else "。")
    )


def bootstrap_sentence(
    fine,
    fine_t_interval: tuple[float, float],
    *,
    fine_level: str,
    coarse=None,
    coarse_level: str = "",
    mixed: int | None = None,
) -> str:
    """Chinese form of ``compare.bootstrap_sentence`` (same thresholds and comparisons)."""
    from replicate.models.compare import FEW_TREATED_CLUSTERS
    from replicate.report.tables import number

    low, high = fine.conf_int()
    width, t_width = high - low, fine_t_interval[1] - fine_t_interval[0]
    text = (
        f"在{column_zh(fine_level)}层面（{fine.n_clusters:,} 个聚类），自助法区间的宽度"
        f"{relative_size(width, t_width)}聚类稳健区间（{number(width, 3)} 对 "
        f"{number(t_width, 3)}）。"
    )
    if coarse is None:
        return text
    g, treated, draws = coarse.n_clusters, coarse.n_treated_clusters, coarse.n_draws
    text += f"在 {g} 个{column_zh(coarse_level)}聚类中，{treated} 个包含受处理单位"
    if mixed is not None:
        text += f"，{mixed} 个同时包含受处理单位和从未处理的单位"
    text += f"。若以少于 {FEW_TREATED_CLUSTERS} 个受处理聚类为“少”，{treated} 个" + (
        "属于少，因此两种检验在这一层面都不可靠，上面的随机化检验是更稳妥的依据。"
        if treated < FEW_TREATED_CLUSTERS
        else "按这一规则不算少，因此这一层面的自助法是可信的。"
    )
    patterns = 2.0**g
    than = "远多于" if patterns > 100 * draws else "多于" if patterns > draws else "不多于"
    return text + (
        f"Rademacher 权重允许 2^{g} = {patterns:,.0f} 个不同的自助样本，{than} {draws:,} "
        "次抽样；这一层面使用的 Webb 六点权重只在 2^G 并不远大于抽样次数时才起作用，"
        "其他情况下也没有代价。"
    )


# ----------------------------------------------------------------------------------------
# Chapter 11 (teaching, ``notebooks/10_teaching.py``): the exercise solutions' sentences.
# Chinese twins of ``replicate.teaching``'s helpers of the same names: same arguments, and
# every decision is the English function's own (or the same test on the same numbers), so
# the two languages cannot disagree about a direction. The classroom kit may import them.

_UNITS["the planned 80%"] = "计划的 80%"

_ESTIMATORS = {
    "TWFE": "TWFE",
    "imputation (BJS)": "插补估计量（BJS）",
    "Callaway–Sant'Anna, never treated": "Callaway–Sant'Anna（以从未处理组为对照）",
    "Callaway–Sant'Anna, not yet treated": "Callaway–Sant'Anna（以尚未处理组为对照）",
    "Sun–Abraham": "Sun–Abraham",
}
"""``multiverse.ESTIMATOR_LABELS`` as the chapters' Chinese prose names the estimators."""


def _joined(left: str, right: str, word: str) -> str:
    """``left word right`` with a space only where Latin text meets Chinese."""

    def latin(ch: str) -> bool:
        return ch.isascii() and (ch.isalnum() or ch == ")")

    return (
        left + (" " if latin(left[-1:]) else "") + word + (" " if latin(right[:1]) else "") + right
    )


def estimator_names(labels) -> str:
    """English estimator labels (``multiverse.ESTIMATOR_LABELS`` values) named in Chinese
    and joined with 、 and 和 (``["Sun–Abraham", "imputation (BJS)"]`` →
    ``"Sun–Abraham 和插补估计量（BJS）"``); an empty list → ``"其他估计量都没有"`` (the
    English ``"none of the others"``)."""
    names = [_ESTIMATORS.get(label, label) for label in labels]
    if not names:
        return "其他估计量都没有"
    if len(names) == 1:
        return names[0]
    return _joined("、".join(names[:-1]), names[-1], "和")


def percent_with_se(rate: float, se: float) -> str:
    """Chinese form of ``teaching.percent_with_se``: ``"70%（蒙特卡洛标准误 10 个百分点）"``
    (a share of draws; the sentence around it says what is counted, e.g. 拒绝的比例为…,
    覆盖率…), with the English rounding (one decimal under 10 points)."""
    points = f"{100 * se:.0f}" if 100 * se >= 9.95 else f"{100 * se:.1f}"
    return f"{100 * rate:.0f}%（蒙特卡洛标准误 {points} 个百分点）"


def misses_target(bias: float, se: float, digits: int = 4) -> str:
    """The chapter's ``teach_result_*`` in Chinese: ``"与其估计目标相差 0.0029（蒙特卡洛
    标准误 0.0021），这一差距在蒙特卡洛误差之内"``; the verdict is ``teaching.against``'s
    (``bias`` against zero)."""
    from replicate.teaching import against as english

    where = english(bias, se, 0.0, "its target")
    verdict = (
        "无法比较（没有一次抽样给出估计值）"
        if where.startswith("not compared")
        else "这一差距在蒙特卡洛误差之内"
        if where.startswith("within")
        else f"估计值平均{'低于' if where.startswith('below') else '高于'}其估计目标"
    )
    return f"与其估计目标相差 {with_se(bias, se, digits)}，{verdict}"


def power_sentence(rate: float, se: float) -> str:
    """Chinese form of ``teaching.power_sentence`` (exercise 11.3; the same decision)."""
    from replicate.teaching import power_sentence as english

    if english(rate, se).startswith("A pre-test has little power"):
        return "对这么小的偏离，事前检验几乎没有检验功效"
    return "即使是这么小的偏离，事前检验通常也能发现"


def pretest_lesson(gap: float, se: float, bias: float, digits: int = 4) -> str:
    """Chinese form of ``teaching.pretest_lesson`` (exercise 11.4): the same three cases
    from :func:`replicate.teaching.selection_gap` and the mean error over all draws."""
    from replicate.report.tables import number
    from replicate.teaching import pretest_lesson as english

    text = english(gap, se, bias, digits)
    if text.startswith("the comparison is not defined"):
        return "无法比较（通过或未通过事前检验的抽样不足两次）；请增大 exercise_draws"
    size = f"{number(gap, digits)}（蒙特卡洛标准误 {number(se, digits)}）"
    if text.startswith("the two means differ"):
        return (
            f"两组均值相差 {size}，在蒙特卡洛误差之内：在这里，通过事前检验并没有挑出噪声恰好"
            "掩盖了趋势的那些抽样，通过检验的抽样与全部抽样带有相同的偏误"
        )
    if text.startswith("the draws that pass are more biased"):
        return (
            f"通过检验的抽样偏误更大，两组均值相差 {size}：以通过事前检验为条件，反而使报告的"
            "估计值更差，这正是 Roth 所警告的"
        )
    return (
        f"通过检验的抽样偏误更小，两组均值相差 {size}：通过检验挑出了噪声掩盖了部分趋势的"
        "那些抽样，但并没有消除偏误"
    )


def treated_clusters_note(fewest_treated: int) -> str:
    """Chinese form of ``teaching.treated_clusters_note`` (the same threshold)."""
    from replicate.teaching import FEW_TREATED_CLUSTERS

    if fewest_treated >= FEW_TREATED_CLUSTERS:
        return f"两个层面上受处理的聚类都至少有 {fewest_treated} 个，仅凭其数量不太可能解释覆盖不足"
    return f"较粗的层面上只有 {fewest_treated} 个受处理的聚类，其数量可能解释覆盖不足"


def clustering_lesson(
    coverage: Mapping[str, tuple[float, float]],
    mean_se: Mapping[str, float],
    spread: float,
    se_gap: tuple[float, float],
    treated: Mapping[str, int],
    level: float = 0.95,
) -> str:
    """Chinese form of ``teaching.clustering_lesson`` (exercise 11.6): the same arguments,
    the same shortfall test per level (``teaching.against`` at the nominal ``level``) and
    the same attribution of a shortfall."""
    from replicate.teaching import FEW_TREATED_CLUSTERS
    from replicate.teaching import against as english

    short = [lv for lv, (p, s) in coverage.items() if english(p, s, level).startswith("below")]
    ratios = "、".join(f"{_CLUSTERS[lv]} {mean_se[lv] / spread:.2f}" for lv in ("city", "province"))
    if english(*se_gap, 0.0).startswith("within"):
        province = "按省份聚类没有使平均标准误发生超出蒙特卡洛误差的变化"
    else:
        change = 100 * se_gap[0] / mean_se["city"]
        province = f"按省份聚类使平均标准误{'增大' if change > 0 else '减小'}了 {abs(change):.1f}%"
    count = treated_clusters_note(min(treated.values()))
    if not short:
        few = min(treated.values()) < FEW_TREATED_CLUSTERS
        return (
            f"两种区间的覆盖率都约为 {100 * level:.0f}%（在蒙特卡洛误差之内）：在两个层面上，"
            f"平均标准误都接近估计值的离散程度（平均标准误与离散程度之比：{ratios}），且"
            f"{province}；有 {treated['city']} 个受处理城市和 {treated['province']} 个受处理"
            "省份，"
            + (
                "受处理的省份虽少，在这里却没有损失覆盖率"
                if few
                else "两个层面上受处理的聚类都不算少"
            )
        )
    if short == ["city"]:
        return (
            f"按城市聚类的区间覆盖不足，按省份聚类的则没有（平均标准误与离散程度之比："
            f"{ratios}；{province}）：城市聚类所忽略的省份×年份冲击，正是省份聚类所补上的；"
            f"{count}"
        )
    levels = "和".join(f"按{_CLUSTERS.get(lv, lv)}" for lv in short)
    return (
        f"{levels}聚类的区间都覆盖不足：平均标准误低于估计值的离散程度（平均标准误与离散程度"
        f"之比：{ratios}），且{province}，因此缺失的方差并不是省份聚类能捕捉到的省内相关；"
        f"{count}"
    )


def offset_sentence(
    heterogeneity: tuple[float, float], confounding: tuple[float, float], closer: bool
) -> str:
    """Chinese form of ``teaching.offset_sentence`` (exercise 11.7; the same four cases)."""
    from replicate.teaching import offset_sentence as english

    text = english(heterogeneity, confounding, closer)
    if text.endswith("for the wrong reason"):
        return "两种偏误符号相反，因此 TWFE 比插补估计量更接近真实值——但这是出于错误的原因"
    if text.endswith("partly offset"):
        return "两种偏误符号相反，部分相互抵消"
    if text.endswith("add up"):
        return "两种偏误符号相同，相互叠加"
    return "两种偏误中有一种与零的差距在蒙特卡洛误差之内，因此无法判断它们是否相互抵消"


def confounding_sentence(confounding: tuple[float, float]) -> str:
    """Chinese form of ``teaching.confounding_sentence`` (exercise 11.7)."""
    from replicate.teaching import confounding_sentence as english

    if english(confounding).startswith("the pilot cities'"):
        return "试点城市变化更快的控制变量被误当成了处理效应"
    return "在这里，混杂没有表现出超出蒙特卡洛误差的影响"


def controls_left_sentence(with_controls) -> str:
    """Chinese form of ``teaching.controls_left_sentence`` (exercise 11.8)."""
    from replicate.teaching import controls_left_sentence as english

    if english(with_controls).startswith("conditioning"):
        return "以它们为条件只能消除基期取值所能预测的那部分混杂，剩下的误差超出了蒙特卡洛误差"
    return "在这里，以它们为条件之后，剩下的误差没有超出蒙特卡洛误差"


def controls_change_sentence(with_controls, without_controls, digits: int = 4) -> str:
    """Chinese form of ``teaching.controls_change_sentence`` (exercise 11.8): the same
    paired change and the same direction."""
    from replicate.teaching import controls_change_sentence as english
    from replicate.teaching import summarise_mean

    text = english(with_controls, without_controls, digits)
    change = summarise_mean(np.asarray(with_controls, float) - np.asarray(without_controls, float))
    direction = (
        "更接近真实值"
        if text.endswith(", closer to the truth")
        else "离真实值更远"
        if text.endswith(", further from the truth")
        else "在蒙特卡洛误差范围内既没有更接近、也没有更远离真实值"
    )
    return f"在同样的孪生数据上，控制变量使平均误差变化了 {with_se(*change, digits)}，{direction}"
