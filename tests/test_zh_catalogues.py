"""The Chinese catalogues keep what a translation must not touch, and use the glossary's terms.

Message by message in every ``.po`` under ``locales/zh_CN``: the ``{glue}`` roles (role and
key), the ``$…$`` / ``$$…$$`` math, the link targets (Markdown links, ``{doc}``, ``{ref}``,
``{numref}``, ``{term}``, ``{cite}`` targets), inline code and the numbers of each
``msgstr`` are those of its ``msgid`` (a dropped or altered glue key shows the English value,
or nothing, on the Chinese page; a changed number is a wrong number). The term check reads
every translation against the variants the glossary rejects (:data:`REJECTED`), so a chapter
cannot drift back to 孪生样本 or 真值 once the book has settled on one form.

Hand-written (no library checks gettext messages for MyST markup); the catalogues are read
with babel, as :mod:`replicate.i18n` reads them.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from replicate import i18n

CATALOGUES = sorted((i18n.LOCALE_DIR / i18n.LANGUAGE).rglob("*.po"))
_GENERATED = {"generated"}  # build artefacts, rewritten by every build

GLUE = re.compile(r"\{glue(?::[a-z]+)?\}`[^`]+`")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$\s](?:[^$]*[^$\s])?\$", re.S)
ROLE = re.compile(r"\{(doc|ref|numref|term|cite|cite:p|cite:t|eq|download)\}`([^`]+)`")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
CODE = re.compile(r"(?<![`}])`([^`]+)`(?!`)")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _role_target(role: str, body: str) -> str:
    match = re.search(r"<([^<>]+)>\s*$", body)
    target = (match.group(1) if match else body).strip()
    return target.lower() if role == "term" else target


def protected(text: str) -> Counter:
    """What a translation keeps verbatim: glue roles, math, link targets, inline code, numbers."""
    found: Counter = Counter()
    found.update(("glue", g) for g in GLUE.findall(text))
    rest = GLUE.sub(" ", text)
    found.update(("math", m) for m in MATH.findall(rest))
    rest = MATH.sub(" ", rest)
    for role, body in ROLE.findall(rest):
        found[("link", role, _role_target(role, body))] += 1
    rest = ROLE.sub(" ", rest)
    found.update(("link", "md", t) for t in MD_LINK.findall(rest))
    found.update(("link", "url", t) for t in AUTOLINK.findall(rest))
    found.update(("code", c) for c in CODE.findall(rest))
    rest = CODE.sub(" ", rest)
    found.update(("number", n) for n in NUMBER.findall(rest))
    return found


def messages(path: Path) -> list[tuple[str, str, int]]:
    """(msgid, msgstr, line) of every translated message of one catalogue."""
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    return [(m.id, m.string, m.lineno) for m in catalogue if m.id and m.string]


def mismatches(path: Path) -> list[str]:
    """One line per message whose msgstr does not keep its msgid's protected parts."""
    problems = []
    for english, chinese, line in messages(path):
        want, got = protected(english), protected(chinese)
        if want != got:
            lost = sorted(map(str, (want - got).elements()))
            added = sorted(map(str, (got - want).elements()))
            problems.append(f"{path.name}:{line}: lost {lost} added {added}")
    return problems


def _label(path: Path) -> str:
    return str(path.relative_to(i18n.LOCALE_DIR))


@pytest.mark.parametrize("path", CATALOGUES, ids=_label)
def test_translation_keeps_glue_math_links_code_and_numbers(path):
    if _GENERATED & set(path.parts):
        pytest.skip("generated with the page by each build")
    problems = mismatches(path)
    assert not problems, "\n".join(problems)


def _stars(text: str) -> int:
    for pattern in (GLUE, MATH, ROLE, CODE):
        text = pattern.sub(" ", text)
    return text.count("*")


@pytest.mark.parametrize("path", CATALOGUES, ids=_label)
def test_translation_keeps_bold_and_italic(path):
    """As many ``*`` as the English (bold and italic kept), except that an italic title may
    become a Chinese title in 《》."""
    problems = [
        f"{path.name}:{line}: {_stars(english)} '*' in the msgid, {_stars(chinese)} in the msgstr"
        for english, chinese, line in messages(path)
        if _stars(chinese) != _stars(english)
        and not ("《" in chinese and _stars(chinese) < _stars(english))
    ]
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_dropped_glue_role_a_changed_number_and_a_lost_link():
    english = "The effect is {glue:text}`att` ($\\beta$), see {doc}`05_baseline` and 285 cities."
    good = "效应为 {glue:text}`att`（$\\beta$），见{doc}`第五章 <05_baseline>`，285 个城市。"
    assert protected(english) == protected(good)
    for bad in (
        "效应为 0.012（$\\beta$），见{doc}`第五章 <05_baseline>`，285 个城市。",
        "效应为 {glue:text}`att_zh`（$\\beta$），见{doc}`第五章 <05_baseline>`，285 个城市。",
        "效应为 {glue:text}`att`（$\\beta$），见{doc}`第五章 <05_baseline>`，258 个城市。",
        "效应为 {glue:text}`att`（β），见{doc}`第五章 <05_baseline>`，285 个城市。",
        "效应为 {glue:text}`att`（$\\beta$），见第五章，285 个城市。",
    ):
        assert protected(english) != protected(bad), bad


# Glossary terms and the variants the book does not use (one form per term; see
# book/glossary.md and its catalogue): regular expressions, matched in translations only,
# so that the accepted form itself (事前趋势 contains 前趋势) is not a variant.
REJECTED: dict[str, list[str]] = {
    "合成孪生数据": ["孪生样本", "合成双胞胎"],
    "N 组孪生数据": ["[个份](?:合成)?孪生数据"],
    "真实值": ["真值"],
    "聚类标准误": ["聚类标准差", "集群标准误", "簇标准误"],
    "双向固定效应": ["双重固定效应", "二维固定效应", "双固定效应"],
    "平行趋势": ["共同趋势", "平行趋势性"],
    "事件研究": ["事件分析法", "事件研究法"],
    "从未处理组": ["从未接受处理组", "从未受处理组", "永不处理组", "从未处理城市"],
    "尚未处理组": ["尚未接受处理组", "尚未受处理组"],
    "安慰剂检验": ["安慰剂测试", "伪处理检验"],
    "随机化推断": ["随机推断", "置换推断"],
    "野自助法": ["野蛮自助", "wild 自助"],
    "批次": ["队列", "群组"],
    "事前趋势": ["预趋势", "(?<!事)前趋势", "处理前趋势"],
    "原文": ["(?<![篇）)])论文(?!》)"],  # this paper; 一篇…论文 is any paper
    "“禁止的”比较": ["(?<!“)禁止(?:的)?比较"],
    "记分卡": ["计分卡"],
    "前导项": ["领先项", "超前项"],
    "估计目标": ["(?<!估计)目标量"],
    "原假设": ["零假设"],
    "事前检验": ["预检验"],
    "处理组平均处理效应": ["处理组平均效应"],
    "孪生数据组数": ["孪生数据个数"],
    "“宽带中国”": ["宽带中国战略试点", '"宽带中国"'],
}


def variants_in(text: str) -> list[tuple[str, str]]:
    """(variant found, glossary form) for every rejected variant in one translation."""
    return [
        (match.group(0), term)
        for term, patterns in REJECTED.items()
        for pattern in patterns
        for match in re.finditer(pattern, text)
    ]


def _translations(path: Path) -> list[tuple[str, int]]:
    return [(chinese, line) for _, chinese, line in messages(path)]


@pytest.mark.parametrize("path", CATALOGUES, ids=_label)
def test_translations_use_the_glossary_form_of_each_term(path):
    if _GENERATED & set(path.parts):
        pytest.skip("generated with the page by each build")
    problems = [
        f"{path.name}:{line}: {variant!r} (the book writes {term!r})"
        for chinese, line in _translations(path)
        for variant, term in variants_in(chinese)
    ]
    assert not problems, "\n".join(problems)


def test_the_term_check_sees_a_rejected_variant_and_not_the_accepted_form(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid "pre-trends in 100 twins"\nmsgstr "100 个孪生数据中的预趋势（孪生样本）"\n',
        encoding="utf-8",
    )
    ((chinese, _),) = _translations(po)
    assert {term for _, term in variants_in(chinese)} == {
        "合成孪生数据",
        "N 组孪生数据",
        "事前趋势",
    }
    assert variants_in("100 组合成孪生数据中的事前趋势（原文表 2），读一篇论文") == []
    assert variants_in("由论文印出") == [("论文", "原文")]


def test_a_catalogue_with_a_dropped_glue_role_is_reported(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid "On {glue:text}`n` twins the estimate is {glue:text}`att`."\n'
        'msgstr "在 {glue:text}`n` 组孪生数据上，估计值为 0.088。"\n\n'
        'msgid "See {ref}`ch-data`."\nmsgstr "见{ref}`数据一章 <ch-data>`。"\n',
        encoding="utf-8",
    )
    (problem,) = mismatches(po)
    assert "x.po:1:" in problem and "glue" in problem and "att" in problem
