"""The Chinese edition (中文版): Sphinx gettext internationalisation of the one book.

The notebooks execute once (papermill, :func:`replicate.book.build`); Jupyter Book renders
the English site into ``_build/html``; :func:`render_zh` renders the *same executed
notebooks* a second time with ``language = zh_CN`` into ``_build/html/zh`` (no execution:
``nb_execution_mode = "off"``). Translations live in gettext catalogues, one per page,
``locales/zh_CN/LC_MESSAGES/<docname>.po`` (``gettext_compact = False``), under version
control.

Written on top of Sphinx (gettext builder, ``-D language``), sphinx-intl (``update``) and
babel (reading catalogues); hand-written here: the Sphinx configuration derived from
Jupyter Book's (``jupyter-book config sphinx``), the list of translated pages and the
stale-translation check.

Translating a page: ``replicate-i18n update`` (or :func:`update`) refreshes its ``.po``;
fill every ``msgstr``, clear the ``fuzzy`` flags, add the docname to ``TRANSLATED``
(``locales/translated.txt``); :func:`check` then fails the build whenever an English
paragraph of that page changes and its translation is missing or fuzzy.
"""

from __future__ import annotations

import datetime
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from replicate import paths

LANGUAGE = "zh_CN"
LOCALE_DIR = paths.ROOT / "locales"
CATALOGUES = LOCALE_DIR / LANGUAGE / "LC_MESSAGES"
TRANSLATED_LIST = LOCALE_DIR / "translated.txt"
ZH_HTML_DIR = paths.HTML_DIR / "zh"
GETTEXT_DIR = paths.BUILD_DIR / "gettext"
EXT_DIR = paths.BOOK_DIR / "_ext"


class TranslationError(RuntimeError):
    """A page listed as translated has missing or stale (fuzzy) messages."""


ZH_SUFFIX = "__zh"


def glue(name: str, english: object, chinese: object, display: bool = False) -> None:
    """Glue a value in both languages: ``name`` (English) and ``name__zh`` (Chinese).

    The Chinese build shows ``name__zh`` wherever a page says ``{glue:text}`name```
    (``book/_ext/zh_glue.py``); build both from the same computed numbers.
    """
    from replicate.report.glue import glue as myst_glue

    myst_glue(name, english, display=display)
    myst_glue(name + ZH_SUFFIX, chinese, display=display)


# ----------------------------------------------------------------------------- tables
TABLE_CATALOGUE = LOCALE_DIR / LANGUAGE / "tables.po"
"""Chinese forms of table captions, headers, row labels and note sentences (one gettext
catalogue for every page's tables; a string not in it stays English)."""

_TABLE_RULES = [
    # the data label and its parts: numbers are carried over by the groups
    (
        r"Data: (\d+) SYNTHETIC twins \(seeds (\d+)–(\d+)\)\.",
        r"数据：\1 组合成孪生数据（种子 \2–\3）。",
    ),
    (r"Data: (\d+) SYNTHETIC twins", r"数据：\1 组合成孪生数据"),
    (
        r"SYNTHETIC twin \(seed (\d+)\) beside Liu & Zou$",
        r"合成孪生数据（种子 \1），与 Liu & Zou 原文对照",
    ),
    (r"SYNTHETIC twin \(seed (\d+)\)", r"合成孪生数据（种子 \1）"),
    (r"(\d+) SYNTHETIC twins", r"\1 组合成孪生数据"),
    (r"SYNTHETIC twin's", "合成孪生数据的"),
    (r"\bSYNTHETIC\b", "合成"),
    (r"(\S+) \(origin unverified\)", r"\1（来源未经核实）"),
    (r"^Data: ([^.]*)\.(?= |$)", r"数据：\1。"),
    (r"^Real data: ", "真实数据："),
    (r"\((\d[\d,]*) singletons dropped\)", r"（删除 \1 个单例观测）"),
    (r"Fixed effects: ", "固定效应："),
    (r"Standard errors: ", "标准误："),
    (r"Rescaled for the regressions: ", "回归中重新标度："),
    (r"^seed (\d+)$", r"种子 \1"),
    (
        r"^The first rows of (\S+) \((\d+) of its (\d+) columns\)$",
        r"\1 的前几行（共 \3 列中的 \2 列）",
    ),
    (r"^Table (\d+)\b", r"表 \1"),
    (r"^pilots moved (\d+) years earlier$", r"试点提前 \1 年"),
    # a scorecard's statistic of a variable: "T2 (1) did coef" (chapter 03b), "hum sd" (08)
    (r"^(T\d.*|[a-z_][a-z_\d]*) mean$", r"\1 均值"),
    (r"^(T\d.*|[a-z_][a-z_\d]*) sd$", r"\1 标准差"),
    (r"^(T\d.*|[a-z_][a-z_\d]*) min$", r"\1 最小值"),
    (r"^(T\d.*|[a-z_][a-z_\d]*) max$", r"\1 最大值"),
    (r"^(T\d.*|[a-z_][a-z_\d]*) coef$", r"\1 系数"),
    (r"^(T\d.*|[a-z_][a-z_\d]*) se$", r"\1 标准误"),
    (r"^((?:T\d \(\d+\) )?)constant (?=系数$|标准误$)", r"\1常数项 "),
    (r"^(\d+) years? earlier$", r"提前 \1 年"),  # chapter 09's placebo in time
    (r"^([\d,]+) of ([\d,]+)$", r"\1 个（共 \2 个）"),  # "107 of 109" treated matched (09)
]


_PILOT = {"the pilot": "试点", "the treatment": "处理"}

_LEVELS = {"province": "省份"}
"""Clustering levels a note names in Chinese (a column like ``city_id`` stays as it is)."""


def _controls(text: str) -> str:
    """``controls fdi, hum`` / ``no controls`` (chapter 09's ``with_controls``) in Chinese."""
    return "不含控制变量" if text == "no controls" else "控制变量 " + text.removeprefix("controls ")


_CAPTION_RULES = [
    # chapter 09's computed captions: outcome, treatment, controls and clustering carried over
    (
        r"Event study of (?P<pilot>the pilot|the treatment) on (?P<y>\S+) \(TWFE with (?P<unit>\S+) "
        r"and (?P<time>\S+) effects, (?P<x>no controls|controls [^;]+); clustered by (?P<cl>\S+)\)",
        lambda m: (
            f"{_PILOT[m['pilot']]}对 {m['y']} 的事件研究（双向固定效应，含 {m['unit']} 与 "
            f"{m['time']} 固定效应，{_controls(m['x'])}；按 {m['cl']} 聚类）"
        ),
    ),
    (
        r"Leads \(coefficients before (?P<pilot>the pilot|the treatment)\) on (?P<y>\S+): TWFE "
        r"event study and Sun–Abraham",
        lambda m: (
            f"{m['y']} 的前导项（{_PILOT[m['pilot']]}之前的系数）：TWFE 事件研究与 Sun–Abraham"
        ),
    ),
    (
        r"Goodman-Bacon decomposition of TWFE on (?P<y>\S+) \(no controls\)",
        lambda m: f"{m['y']} 的 TWFE 系数的 Goodman-Bacon 分解（不含控制变量）",
    ),
    (
        r"de Chaisemartin–D'Haultfœuille weights of the TWFE coefficient on (?P<y>\S+) "
        r"\(no controls\)",
        lambda m: f"{m['y']} 的 TWFE 系数的 de Chaisemartin–D'Haultfœuille 权重（不含控制变量）",
    ),
    (
        r"Estimates of the effect of (?P<pilot>the pilot|the treatment) on (?P<y>\S+) without "
        r"covariates",
        lambda m: f"{_PILOT[m['pilot']]}对 {m['y']} 的效应估计（不含协变量）",
    ),
    (
        r"Callaway–Sant'Anna aggregations on (?P<y>\S+): estimate and s\.e\. with never-treated "
        r"\(never\) and not-yet-treated \(not yet\) units as controls",
        lambda m: (
            f"{m['y']} 的 Callaway–Sant'Anna 汇总：分别以从未处理单位（never）和尚未处理单位"
            "（not yet）为对照的估计值与标准误"
        ),
    ),
    (
        r"Effect on (?P<y>\S+) with time-varying controls and with their means over "
        r"(?P<a>\d{4})–(?P<b>\d{4}) \(pre-treatment means\)",
        lambda m: (
            f"对 {m['y']} 的效应：含时变控制变量，以及含其 {m['a']}–{m['b']} 年均值（处理前均值）"
        ),
    ),
    (
        r"Rambachan–Roth robust 95% intervals of two targets \(event study of (?P<y>\S+)\)",
        lambda m: f"两个目标的 Rambachan–Roth 稳健 95% 置信区间（{m['y']} 的事件研究）",
    ),
    (
        r"Demonstration: robust 95% intervals of the first-year effect on a twin whose pilot "
        r"effect on (?P<y>\S+) is (?P<e>[-\d.]+) \(true first-year effect (?P<t>[-\d.]+)\)",
        lambda m: (
            f"演示：在试点对 {m['y']} 的效应为 {m['e']} 的孪生数据上，第一年效应的稳健 95% "
            f"置信区间（第一年效应真实值 {m['t']}）"
        ),
    ),
    (
        r"Randomization inference on the TWFE coefficient of (?P<d>\S+) on (?P<y>\S+) "
        r"\((?P<x>no controls|controls [^;]+); placebo s\.d\.: standard deviation of the placebo "
        r"estimates; 95% CI from inverting the test\)",
        lambda m: (
            f"{m['d']} 对 {m['y']} 的 TWFE 系数的随机化推断（{_controls(m['x'])}；安慰剂标准差："
            "安慰剂估计值的标准差；95% 置信区间由检验反转得到）"
        ),
    ),
    (
        r"Placebo in time on (?P<y>\S+): every start moved earlier, periods before the first "
        r"treatment \((?P<a>\d{4})–(?P<b>\d{4})\), TWFE with (?P<x>no controls|controls .+), "
        r"clustered by (?P<cl>\S+)",
        lambda m: (
            f"{m['y']} 的时间安慰剂检验：每个起始年份都提前，只用首次处理之前的时期"
            f"（{m['a']}–{m['b']}），TWFE，{_controls(m['x'])}，按 {m['cl']} 聚类"
        ),
    ),
    (
        r"The TWFE coefficient of (?P<d>\S+) on (?P<y>\S+) \((?P<x>no controls|controls [^)]+)\): "
        r"cluster-robust t and wild bootstrap by clustering level",
        lambda m: (
            f"{m['d']} 对 {m['y']} 的 TWFE 系数（{_controls(m['x'])}）：按聚类层级的聚类稳健 t "
            "检验与野自助法"
        ),
    ),
    (
        r"PSM-DID on (?P<y>\S+): matched samples and estimates",
        lambda m: f"{m['y']} 的 PSM-DID：匹配样本与估计值",
    ),
    (
        r"Standardized differences of the pre-treatment covariates before matching and after "
        r"nearest-neighbour and kernel matching \(balanced: \|after\| < (?P<c>[\d.]+)\)",
        lambda m: (
            f"处理前协变量在匹配前及最近邻匹配、核匹配后的标准化差异（平衡：|匹配后| < {m['c']}）"
        ),
    ),
    # chapter 10's Monte Carlo tables
    (
        r"(?P<n>\d+) twins: each estimator against its own target",
        lambda m: f"{m['n']} 组孪生数据：每个估计量与其自身的目标对照",
    ),
    (
        r"(?P<n>\d+) twins: mean of each part of TWFE's bias, with Monte Carlo s\.e\.",
        lambda m: f"{m['n']} 组孪生数据：TWFE 偏误各组成部分的均值及其蒙特卡洛标准误",
    ),
    (
        r"Pilot cities only, (?P<n>\d+) twins: mean of each part of TWFE's bias",
        lambda m: f"仅试点城市，{m['n']} 组孪生数据：TWFE 偏误各组成部分的均值",
    ),
    # an estimator's refusal in chapter 10's table (models/imputation.py)
    (
        r"imputation: no untreated observation in periods \[(?P<p>[\d, ]+)\], so their period "
        r"effects cannot be estimated and treated outcomes there cannot be imputed",
        lambda m: (
            f"插补估计：时期 [{m['p']}] 中没有未处理观测，因此无法估计这些时期的时期效应，"
            "也无法插补其中受处理的结果"
        ),
    ),
    # chapter 12's example pilot list
    (
        r"(?P<f>\S+\.csv): a MADE-UP pilot list \((?P<n>\d+) cities\)",
        lambda m: f"{m['f']}：一份虚构的试点名单（{m['n']} 个城市）",
    ),
]
"""Whole computed captions (chapters 09, 10, 12) in Chinese: each pattern matches the entire
English caption part; its groups (outcome, treatment, controls, clustering, years, counts)
are carried over as they are."""


_SENTENCE_RULES = [
    # note sentences whose numbers or names are computed; applied before the catalogue's
    # phrases, which would otherwise take words out of them ("by province" → 按省聚类)
    (
        r"clustered by (\w+) \((\d+) clusters\), (\w+) small-sample correction",
        lambda m: (
            (f"按{_LEVELS[m[1]]}聚类" if m[1] in _LEVELS else f"按 {m[1]} 聚类")
            + f"（{m[2]} 个聚类），"
            + ("不做小样本校正" if m[3] == "none" else f"{m[3]} 小样本校正")
        ),
    ),
    (  # chapter 09's rows of the wild-bootstrap table, by clustering level
        r"^(\w+) \((\d+) clusters\): (cluster-robust t|wild bootstrap \((\w+)\))$",
        lambda m: (
            f"{_LEVELS.get(m[1], m[1])}（{m[2]} 个聚类）："
            + ("聚类稳健 t 检验" if m[4] is None else f"野自助法（{m[4]}）")
        ),
    ),
    (r"\[Table (\d+) \((\d+)\)\]", r"[原文表 \1 第 (\2) 列]"),  # a column's label in a note
    (r"\[yours\]", "[你的设定]"),
    (r"heteroskedasticity-robust, (\w+) correction", r"异方差稳健，\1 校正"),
    (r"unadjusted \(homoskedastic\), (\w+) correction", r"未调整（同方差），\1 校正"),
    (r"\bTable 1's mean of did: ([\d.]+)\.", r"表 1 中 did 的均值：\1。"),
    (
        r"DID_M's s\.e\.: cluster bootstrap, (\d+) draws\.",
        r"DID_M 的标准误：聚类自助法，\1 次抽样。",
    ),
    (
        r"Data: (\d+) SYNTHETIC twins with the knobs above\.",
        r"数据：\1 组合成孪生数据，按上面的参数生成。",
    ),
    (r"Data: (\d+) SYNTHETIC twins, pilot cities only\.", r"数据：\1 组合成孪生数据，仅试点城市。"),
    (
        r"Not estimated with the published regressors, so not compared: published column\(s\) "
        r"((?:\(\d+\)(?:, )?)+)\.",
        lambda m: f"未用原文的回归变量估计，因此不作比较：原文第 {m[1].replace(', ', '、')} 列。",
    ),
    (
        r"number: table \(and column\) and number, T1 the summary statistics; twins: mean over "
        r"the (\d+) twins; MC s\.e\.: its Monte Carlo standard error; share: share of single twins "
        r"within tolerance; default: the value on the default twin \(SYNTHETIC twin \(seed (\d+)\)\); "
        r"status: of the twins' mean \(within rounding, within tolerance or off\)\.",
        r"数值：表（及列）和数值，T1 为描述性统计；孪生数据：\1 组孪生数据上的均值；蒙特卡洛标准误："
        r"该均值的蒙特卡洛标准误；比例：单组孪生数据落在容差范围内的比例；默认孪生数据：默认孪生数据"
        r"（合成孪生数据（种子 \2））上的值；状态：孪生数据均值的状态（舍入范围内、容差范围内或偏离）。",
    ),
    (
        r"Real data: the weights depend only on who is treated when in the balanced panel of the "
        r"(\d+) cities, (\d{4})–(\d{4}); here that is the official pilot lists' timing\.",
        r"真实数据：这些权重只取决于 \2–\3 年 \1 个城市的平衡面板中谁在何时受处理；这里即官方试点"
        r"名单的时间。",
    ),
    (
        r"Real data: the official pilot lists mapped to the (\d+) sample cities\.",
        r"真实数据：官方试点名单对应到 \1 个样本城市。",
    ),
]
"""Computed note sentences in Chinese, their numbers and column names carried over."""


def table_catalogue(path: Path = TABLE_CATALOGUE) -> dict[str, str]:
    """English → Chinese table strings from ``locales/zh_CN/tables.po`` (translated,
    non-fuzzy messages only)."""
    from babel.messages.pofile import read_po

    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    return {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}


_PHRASES: list = [None, -1, ()]


def _phrases(catalogue: dict[str, str]) -> tuple[str, ...]:
    """The catalogue's multi-word entries, longest first (kept for the catalogue last asked
    about, while its size is unchanged: a render passes the same one for every table)."""
    if _PHRASES[0] is not catalogue or _PHRASES[1] != len(catalogue):
        phrases = sorted((e for e in catalogue if " " in e), key=len, reverse=True)
        _PHRASES[:] = [catalogue, len(catalogue), tuple(phrases)]
    return _PHRASES[2]


def translate_table_text(text: str, catalogue: dict[str, str], prose: bool = False) -> str:
    """One table string in Chinese: the whole string from the catalogue, else the rules
    for the data label, clustering and table names; ``prose`` (captions, notes) also
    replaces every catalogue sentence it contains.
    Numbers are never touched: a rule carries each one over, and the catalogue test
    checks that every entry keeps its English numbers."""
    stripped = text.strip()
    if stripped in catalogue:
        return catalogue[stripped]
    for pattern, rule in _CAPTION_RULES:
        if match := re.fullmatch(pattern, stripped):
            return rule(match)
    out = stripped
    for pattern, replacement in _SENTENCE_RULES:  # before the catalogue's words replace theirs
        out = re.sub(pattern, replacement, out)
    if prose:
        for english in _phrases(catalogue):
            if english in out:
                out = out.replace(english, catalogue[english])
    for pattern, replacement in _TABLE_RULES:
        out = re.sub(pattern, replacement, out)
    if prose and re.search(r"[\u4e00-\u9fff]", out):
        # a note's list of columns, "[baseline, 县区级条目：忽略]": each label, 、 between
        out = re.sub(
            r"\[([^\]]+, [^\]]+)\]",
            lambda m: "[" + "、".join(catalogue.get(i, i) for i in m[1].split(", ")) + "]",
            out,
        )
        # a Chinese sentence's punctuation,
        # also after the English it keeps ("… + year. N: 5,130."), not inside "s.e." or "0.01"
        out = re.sub(r"(?<!\b[A-Za-z])\.(?= |$)", "。", out)
        out = re.sub(r"; ", "；", out)
        out = re.sub(r"(?<=\S): ", "：", out)
        out = re.sub(r"(?<=\S) (?=（)", "", out)  # "5,022 （删除 108 个单例观测）"
        out = re.sub(r"(?<=[。；：，）]) (?=\S)", "", out)  # no space after Chinese punctuation
    return out


_CELL = re.compile(
    r"(<caption>|<t[hd]\b[^>]*>|<p class=\"(?:synthetic-label|table-notes)\">)(.*?)(</caption>|</t[hd]>|</p>)",
    re.S,
)


def translate_tables(markup: str, catalogue: dict[str, str] | None = None) -> str:
    """A rendered table (``report.tables.render(..., "html")``, or a plain pandas
    ``DataFrame`` a chapter displays) with its caption, headers, label cells and notes in
    Chinese; cells that hold markup (stars) or numbers are left as they are, so every number
    on the Chinese page is the English page's number."""
    if 'class="replication"' not in markup and 'class="dataframe' not in markup:
        return markup
    catalogue = table_catalogue() if catalogue is None else catalogue

    def one(match: re.Match) -> str:
        opening, inner, closing = match.groups()
        if "<" in inner.replace("<wbr>", ""):
            return match.group(0)  # markup inside (stars on a number)
        text = html.unescape(inner.replace("<wbr>", ""))
        if opening == "<caption>":  # "Table 2. … — SYNTHETIC twin (seed …)": each part
            parts = text.strip().split(" — ")
            chinese = "——".join(translate_table_text(p, catalogue, True) for p in parts)
        else:
            chinese = translate_table_text(text, catalogue, prose=opening.startswith("<p"))
        return (
            opening + html.escape(chinese, quote=False) + closing
            if chinese != text.strip()
            else match.group(0)
        )

    return _GLOSS_MARK.sub("<td", _CELL.sub(one, _keep_glosses(markup)))


_GLOSS_MARK = re.compile(r"<td(?=__gloss)__gloss")

_KEPT_COLUMNS = ("gloss", "parameter")
"""Columns whose cells stay as written: a ``gloss`` column (chapter 04's dictionary: the
English of each Chinese term) and a ``parameter`` column (chapter 13: names a reader types,
``-p seed 7``)."""

_HEADERS_BESIDE = {"parameter": {"default": "默认值"}}
"""A header's Chinese form in a table that has the key column (chapter 13's ``default`` is a
parameter's default value, not the scorecard's default twin)."""


def _keep_glosses(markup: str) -> str:
    """Mark the cells of a column of :data:`_KEPT_COLUMNS` so that :data:`_CELL` passes them
    by, and give the headers of :data:`_HEADERS_BESIDE` their Chinese form for that table."""
    for name in _KEPT_COLUMNS:
        rows = re.findall(r"<tr\b.*?</tr>", markup, re.S)
        header = next((r for r in rows if re.search(rf"<th[^>]*>{name}</th>", r)), None)
        if header is None:
            continue
        column = re.findall(r"<th[^>]*>(.*?)</th>", header, re.S).index(name)
        for row in rows:
            cells = list(re.finditer(r"<t([hd])\b", row))
            if row is header or column >= len(cells) or cells[column][1] != "d":
                continue
            start = cells[column].start()
            marked = row[:start] + "<td__gloss" + row[start + 3 :]
            markup = markup.replace(row, marked, 1)
        renamed = header
        for english, chinese in _HEADERS_BESIDE.get(name, {}).items():
            renamed = re.sub(rf"(<th[^>]*>){english}(</th>)", rf"\g<1>{chinese}\2", renamed)
        markup = markup.replace(header, renamed, 1)
    return markup


def _panel_line(match: re.Match, catalogue: dict[str, str]) -> str:
    label = translate_table_text(match["label"], catalogue, prose=True)
    return (
        f"{label}：{match['cities']} 个城市 × {match['years']} 年 = {match['rows']} 行；"
        f"did 均值 {match['mean']}"
    )


def _dashed_label(match: re.Match, catalogue: dict[str, str]) -> str:
    return "——".join(translate_table_text(p, catalogue, prose=True) for p in match[0].split(" — "))


_TEXT_RULES = [
    # replicate.data.Panel.summary(), printed at the top of chapters 05–09
    (
        r"(?P<label>.+?): (?P<cities>[\d,]+) cities × (?P<years>\d+) years = (?P<rows>[\d,]+) "
        r"rows; did mean (?P<mean>-?[\d.]+)",
        _panel_line,
    ),
    # the same for a panel of other roles (replicate.data.validate.RolePanel.summary)
    (
        r"(?P<label>.+?): (?P<units>[\d,]+) units \((?P<unit>[^)]+)\) × (?P<periods>\d+) periods "
        r"\((?P<time>[^)]+)\) = (?P<rows>[\d,]+) rows; (?P<treated>[\d,]+) units treated by the "
        r"last period; outcome (?P<outcome>.+)",
        lambda m, c: (
            f"{translate_table_text(m['label'], c, prose=True)}：{m['units']} 个单位"
            f"（{m['unit']}）× {m['periods']} 期（{m['time']}）= {m['rows']} 行；到最后一期有 "
            f"{m['treated']} 个单位受处理；结果变量 {m['outcome']}"
        ),
    ),
    # a data label and its description (chapter 03)
    (r"(?:SYNTHETIC|Real data|Not data)[^—]* — .+", _dashed_label),
    # chapter 07 on another pilot policy: the variants that re-code the Broadband China lists
    # (replication.robustness_skipped)
    (
        r"(?P<name>sub-city|weak dropped|weak recoded) skipped: it .+, and this panel's timing "
        r"comes from (?P<source>.+), which has neither sub-city readings nor the lists' evidence "
        r"levels",
        lambda m, c: (
            f"跳过 {c.get(m['name'], m['name'])}：这一变体对“宽带中国”名单重新编码"
            f"（县区级条目的解读或证据等级），而该面板的试点时间来自 {m['source']}，其中没有这些信息"
        ),
    ),
    # the Government Work Reports read (chapter 04)
    (
        r"(\d+) reports, (\d{4})–(\d{4}); missing years: \[([\d, ]*)\]",
        lambda m, _: f"共 {m[1]} 份报告，{m[2]}–{m[3]} 年；缺失年份：[{m[4]}]",
    ),
]
"""Whole printed lines with a Chinese form that carries their numbers over
(:func:`translate_output_text`); each pattern matches the entire line."""


def translate_output_text(text: str, catalogue: dict[str, str] | None = None) -> str:
    """A printed text output (stream, ``text/plain``) in Chinese, line by line: a line the
    table catalogue holds, or one a rule of :data:`_TEXT_RULES` matches as a whole, takes
    its Chinese form (the numbers carried over by the rule's groups); any other line stays
    as printed. A terminal transcript (first line ``$ command``) is kept as the terminal
    shows it: the command-line tool speaks English, and the page quotes what it prints."""
    if text.startswith("$ "):
        return text
    catalogue = table_catalogue() if catalogue is None else catalogue
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        chinese = catalogue.get(stripped)
        if chinese is None and stripped:
            for pattern, rule in _TEXT_RULES:
                match = re.fullmatch(pattern, stripped)
                if match:
                    chinese = rule(match, catalogue)
                    break
        lines.append(line.replace(stripped, chinese) if chinese else line)
    return "\n".join(lines)


def translated_pages(listing: Path = TRANSLATED_LIST) -> list[str]:
    """Docnames whose Chinese translation is complete and must stay so (one per line)."""
    if not listing.exists():
        return []
    lines = listing.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


_OVERRIDES = """
# --- appended by replicate.i18n: the Chinese edition ------------------------------------
import sys as _sys
_sys.path.insert(0, {ext!r})
_ROOT = {root!r}
html_static_path = [p if p.startswith('/') else _ROOT + '/' + p for p in html_static_path]
bibtex_bibfiles = [p if p.startswith('/') else _ROOT + '/' + p for p in bibtex_bibfiles]
locale_dirs = [{locales!r}]
gettext_compact = False
exclude_patterns = list(exclude_patterns) + ['**/.*']  # papermill's .running copies
gettext_uuid = False
gettext_location = False
gettext_additional_targets = []
extensions += [e for e in ('language_switch', 'zh_glue', 'zh_stale') if e not in extensions]
"""

_CHINESE = """
# --- the Chinese site's own labels (zh only; the English conf never has them) ------------
# myst-nb's prompts on hidden cells: {{type}} (source, output, content) is put in Chinese
# by book/_ext/zh_chrome.py; the theme's and Sphinx's own labels come from its sphinx.po.
nb_code_prompt_show = '显示{{type}}'
nb_code_prompt_hide = '隐藏{{type}}'
html_title = {title!r}
project = html_title
author = {author!r}
html_theme_options = {{**html_theme_options, 'search_bar_text': '搜索……'}}
locale_dirs = locale_dirs + [{chrome!r}]
extensions += ['zh_chrome']
# upright emphasis for Chinese text (book/_static/zh.css)
html_css_files = [*html_css_files, 'zh.css']
"""
ZH_TITLE = "“宽带中国”与新质生产力——一项可执行的复现"
"""The book's title on Chinese pages (``_config.yml``'s ``title`` in Chinese)."""
ZH_AUTHOR = "复现项目组"
CHROME_LOCALES = EXT_DIR / "locales"
"""``book/_ext/locales/zh_CN/LC_MESSAGES/sphinx.po``: the theme's and Sphinx's interface
labels that their own catalogues leave in English (first in Sphinx's chain of catalogues
for the ``sphinx`` domain, so it also corrects a label a theme "translates" as English)."""


def write_conf(target: Path, chinese: bool = False) -> Path:
    """Jupyter Book's Sphinx configuration plus the i18n settings, as ``target/conf.py``;
    ``chinese`` adds the Chinese site's labels (title, author, myst-nb's prompts, the
    interface catalogue and ``book/_ext/zh_chrome.py``). Extraction (``gettext``) runs
    without them, so the English messages are the English site's."""
    target.mkdir(parents=True, exist_ok=True)
    jb = str(Path(sys.executable).parent / "jupyter-book")
    with tempfile.TemporaryDirectory() as scratch:
        # `config sphinx` writes conf.py into the book directory: work on a symlinked view
        # of the two config files so the working tree is never touched.
        view = Path(scratch)
        for name in ("_config.yml", "_toc.yml"):
            (view / name).symlink_to(paths.ROOT / name)
        done = subprocess.run(
            [jb, "config", "sphinx", str(view)], capture_output=True, text=True, cwd=scratch
        )
        produced = view / "conf.py"
        if done.returncode != 0 or not produced.exists():
            raise RuntimeError(f"jupyter-book config sphinx failed:\n{done.stdout}{done.stderr}")
        text = produced.read_text(encoding="utf-8")
    text = text.replace(f"'{view}/", f"'{paths.ROOT}/")
    text += _OVERRIDES.format(ext=str(EXT_DIR), root=str(paths.ROOT), locales=str(LOCALE_DIR))
    if chinese:
        text += _CHINESE.format(title=ZH_TITLE, author=ZH_AUTHOR, chrome=str(CHROME_LOCALES))
    conf = target / "conf.py"
    conf.write_text(text, encoding="utf-8")
    return conf


def _sphinx(
    builder: str,
    out: Path,
    conf_dir: Path,
    *extra: str,
    strict: bool = False,
    doctrees: Path | None = None,
):
    doctrees = doctrees or paths.BUILD_DIR / f".doctrees-{builder}-{out.name}"
    command = [
        str(Path(sys.executable).parent / "sphinx-build"),
        "-b",
        builder,
        "-c",
        str(conf_dir),
        "-d",
        str(doctrees),
        *extra,
        str(paths.ROOT),
        str(out),
    ]
    if strict:
        command[1:1] = ["-W", "--keep-going"]
    # A fixed creation date in the templates: re-extracting changes no catalogue header.
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1", "SOURCE_DATE_EPOCH": "1767225600"}
    return subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True, env=env)


ZH_DOCTREES = paths.BUILD_DIR / ".doctrees-html-zh"
"""One Chinese environment for the site and the single page of the PDF (read once)."""
STALE_MARK = "Chinese translations out of date"


EXHIBITS_CATALOGUE = CATALOGUES / "book" / "generated" / "exhibits.po"
"""The exhibits page's Chinese catalogue, generated from the page before each Chinese
render (the page is rewritten by every build; not kept by hand, not under version control)."""
_EXHIBITS_FIXED = {
    "Exhibits as files": "图表文件",
    "Every table and figure of this book, as files: tables in CSV, LaTeX and Markdown, "
    "figures in PNG and PDF, written by the build into `_build/exhibits/` with a manifest "
    "that maps each of the paper's tables to its file and chapter. Exhibits computed on the "
    "synthetic twin carry its label in their notes.": (
        "本书的每张表和每幅图都以文件形式提供：表为 CSV、LaTeX 和 Markdown，图为 PNG 和 PDF，"
        "由构建写入 `_build/exhibits/`，并附一份清单，把原文的每张表对应到其文件和章节。"
        "在合成孪生数据上计算的图表，其注释中带有该标签。"
    ),
    "chapter": "章节",
    "exhibit": "图表",
    "paper": "原文",
    "files": "文件",
}
_ESCAPED = re.compile(r"\\([\\|*_`\[\]<>])")


def _chapter_messages() -> dict[str, str]:
    """Every translated message of the chapter catalogues (titles, figure captions)."""
    from babel.messages.pofile import read_po

    messages: dict[str, str] = {}
    for po in sorted((CATALOGUES / "notebooks").glob("*.po")):
        with po.open("rb") as handle:
            messages.update({m.id: m.string for m in read_po(handle) if m.id and m.string})
    return messages


def exhibits_catalogue(page: Path | None = None, target: Path = EXHIBITS_CATALOGUE) -> Path:
    """Write the Chinese catalogue of the generated exhibits page from the page itself:
    chapter titles and figure captions from the chapters' own catalogues, table captions
    through the table catalogue's rules (:func:`translate_table_text`, numbers carried
    over), the page's fixed sentences from :data:`_EXHIBITS_FIXED`. A caption with no
    translation keeps its English words after the Chinese 表：/图：."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from replicate.report import exhibits

    page = exhibits.PAGE if page is None else page
    chapters, tables = _chapter_messages(), table_catalogue()
    pairs = dict(_EXHIBITS_FIXED)
    text = page.read_text(encoding="utf-8") if page.exists() else ""
    pdf = re.search(r"^The whole book as one PDF: (<a href=.*?>book\.pdf</a>)\.$", text, re.M)
    if pdf:
        pairs[pdf.group(0)] = f"整本书的 PDF：{pdf.group(1)}。"
    for line in text.splitlines()[1:]:
        if not line.startswith("| ") or line.startswith("| ---"):
            continue
        for raw in (c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]):
            plain = _ESCAPED.sub(r"\1", raw)
            # Sphinx's msgid of a Markdown table cell has its escaped pipes unescaped (the
            # cell split removes them) and every other escape as written
            cell = raw.replace("\\|", "|")
            kind, _, caption = plain.partition(": ")
            if plain in chapters:
                pairs[cell] = chapters[plain]
            elif re.fullmatch(r"Table [1-4]", plain):
                pairs[cell] = "表 " + plain[-1]
            elif kind in ("table", "figure") and caption:
                if kind == "figure" and caption in chapters:
                    chinese = chapters[caption]
                else:
                    chinese = "——".join(
                        translate_table_text(part, tables, prose=True)
                        for part in caption.split(" — ")
                    )
                pairs[cell] = ("表：" if kind == "table" else "图：") + exhibits._cell(chinese)
    fixed = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)  # same bytes for the same page
    catalogue = Catalog(locale=LANGUAGE, fuzzy=False, creation_date=fixed, revision_date=fixed)
    for english, chinese in pairs.items():
        catalogue.add(english, chinese)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalogue, width=0)
    return target


def render_zh(
    out: Path = ZH_HTML_DIR, check_stale: bool = False, doctrees: Path = ZH_DOCTREES
) -> Path:
    """Render the already-executed book in Chinese into ``out`` (``_build/html/zh``).

    The render itself fails when a page of :data:`TRANSLATED_LIST` has a paragraph without
    a translation (``book/_ext/zh_stale.py``, raised as :class:`TranslationError`), so no
    separate extraction is needed; ``check_stale`` also runs :func:`check` first."""
    if check_stale:
        problems = check()
        if problems:
            raise TranslationError(format_problems(problems))
    exhibits_catalogue()
    with tempfile.TemporaryDirectory() as conf_dir:
        write_conf(Path(conf_dir), chinese=True)
        done = _sphinx("html", out, Path(conf_dir), "-D", f"language={LANGUAGE}", doctrees=doctrees)
    log = done.stdout + done.stderr
    paths.BUILD_DIR.mkdir(exist_ok=True)
    (paths.BUILD_DIR / "sphinx-zh.log").write_text(log, encoding="utf-8")
    if done.returncode != 0:
        if STALE_MARK in log:
            raise TranslationError(log[log.index(STALE_MARK) :][:3000])
        raise RuntimeError(f"the Chinese render failed (see _build/sphinx-zh.log):\n{log[-3000:]}")
    return out


def extract(out: Path = GETTEXT_DIR) -> Path:
    """Re-extract every page's messages into ``.pot`` templates (``sphinx-build -b gettext``)."""
    with tempfile.TemporaryDirectory() as conf_dir:
        write_conf(Path(conf_dir))
        done = _sphinx("gettext", out, Path(conf_dir))
    if done.returncode != 0:
        raise RuntimeError(f"gettext extraction failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return out


def update(pot_dir: Path = GETTEXT_DIR, locale_dir: Path = LOCALE_DIR) -> None:
    """Merge the templates into the catalogues (``sphinx-intl update``), no line numbers."""
    intl = str(Path(sys.executable).parent / "sphinx-intl")
    done = subprocess.run(
        [intl, "update", "-p", str(pot_dir), "-d", str(locale_dir), "-l", LANGUAGE, "-w", "0"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sphinx-intl update failed:\n{done.stdout}{done.stderr}")


def needs_translation(msgid: str) -> bool:
    """False for display math and for a computed table's LaTeX output (``\\begin{table}``):
    they are language-neutral or data, and stay as the English shows them."""
    return not msgid.lstrip().startswith("\\")


@dataclass(frozen=True)
class PageStatus:
    """Translation state of one page's catalogue."""

    docname: str
    total: int
    untranslated: int
    fuzzy: int

    @property
    def complete(self) -> bool:
        return self.untranslated == 0 and self.fuzzy == 0


def status(locale_dir: Path = LOCALE_DIR) -> dict[str, PageStatus]:
    """Per page: number of messages, untranslated and fuzzy ones (read with babel)."""
    from babel.messages.pofile import read_po

    found = {}
    root = locale_dir / LANGUAGE / "LC_MESSAGES"
    for po in sorted(root.rglob("*.po")):
        with po.open("rb") as handle:
            catalogue = read_po(handle)
        messages = [m for m in catalogue if m.id and needs_translation(m.id)]
        docname = po.relative_to(root).with_suffix("").as_posix()
        found[docname] = PageStatus(
            docname,
            total=len(messages),
            untranslated=sum(1 for m in messages if not m.string),
            fuzzy=sum(1 for m in messages if m.fuzzy),
        )
    return found


def check(
    refresh: bool = True, locale_dir: Path = LOCALE_DIR, listing: Path = TRANSLATED_LIST
) -> list[PageStatus]:
    """Pages listed as translated whose catalogue has missing or fuzzy messages.

    ``refresh`` re-extracts the English messages and merges them first, so an English
    paragraph changed since the translation shows up as fuzzy or untranslated.
    """
    if refresh:
        # Merged into a copy: the check (run by every build) never rewrites the committed
        # catalogues; `python -m replicate.i18n update` is the translator's step that does.
        with tempfile.TemporaryDirectory() as work:
            extract(Path(work) / "pot")
            shutil.copytree(locale_dir, Path(work) / "locales")
            update(Path(work) / "pot", Path(work) / "locales")
            pages = status(Path(work) / "locales")
    else:
        pages = status(locale_dir)
    problems = []
    for docname in translated_pages(listing):
        page = pages.get(docname)
        if page is None:
            problems.append(PageStatus(docname, 0, 1, 0))
        elif not page.complete:
            problems.append(page)
    return problems


def format_problems(problems: list[PageStatus]) -> str:
    lines = ["Chinese translations out of date (fill msgstr, clear 'fuzzy' in the .po):"]
    for p in problems:
        lines.append(
            f"  locales/{LANGUAGE}/LC_MESSAGES/{p.docname}.po: "
            f"{p.untranslated} untranslated, {p.fuzzy} fuzzy of {p.total}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m replicate.i18n [update|check|status|render]``."""
    action = (argv if argv is not None else sys.argv[1:] or ["status"])[0]
    if action == "update":
        update(extract())
    elif action == "render":
        render_zh()
    elif action == "check":
        problems = check()
        print(format_problems(problems) if problems else "every translated page is current")
        return 1 if problems else 0
    for page in status().values():
        mark = "ok " if page.complete else "   "
        print(f"{mark}{page.docname}: {page.untranslated} untranslated, {page.fuzzy} fuzzy")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


ZH_PDF = ZH_HTML_DIR / "book.pdf"


def singlehtml_zh() -> Path:
    """The whole Chinese book as one page (Sphinx's single-page HTML in Chinese), which
    :func:`replicate.book.print_page` prints to ``_build/html/zh/book.pdf`` as it prints the
    English one. Failures raise ``RuntimeError``; the build reports them as a build error."""
    import yaml

    out = paths.BUILD_DIR / "singlehtml-zh"
    with tempfile.TemporaryDirectory() as conf_dir:
        write_conf(Path(conf_dir), chinese=True)
        done = _sphinx(
            "singlehtml", out, Path(conf_dir), "-D", f"language={LANGUAGE}", doctrees=ZH_DOCTREES
        )
    root = yaml.safe_load(paths.TOC_YML.read_text(encoding="utf-8"))["root"]
    page = out / f"{root}.html"
    if done.returncode != 0 or not page.exists():
        raise RuntimeError(f"the Chinese single-page HTML failed:\n{done.stderr[-2000:]}")
    return page
