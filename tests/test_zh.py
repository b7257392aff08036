"""The Chinese edition: catalogues stay in step, glue has Chinese forms, the zh site works.

Unit tests (no build): the zh glue rewrite, the Chinese prose rules against the English
ones on two seeds, the stale-translation check on a temp copy of the catalogues. Site
tests read ``_build/html`` and ``_build/html/zh`` (built by ``make book``).
"""

from __future__ import annotations

import html as html_module
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from replicate import book, i18n, paths
from replicate.report import prose, prose_zh

sys.path.insert(0, str(paths.BOOK_DIR / "_ext"))
import language_switch  # noqa: E402
import zh_glue  # noqa: E402

ZH = paths.HTML_DIR / "zh"


def _glue_output(name: str, value: object) -> dict:
    return {
        "data": {"application/papermill.record/text/plain": repr(value)},
        "metadata": {"scrapbook": {"mime_prefix": "application/papermill.record/", "name": name}},
        "output_type": "display_data",
    }


def test_zh_glue_replaces_english_values_that_have_a_chinese_twin():
    nb = {
        "cells": [
            {"outputs": [_glue_output("verb", "falls"), _glue_output("n", "285")]},
            {"outputs": [_glue_output("verb__zh", "下降")]},
        ]
    }
    out = zh_glue.chinese_glue(nb)
    names = {
        o["metadata"]["scrapbook"]["name"]: o["data"] for c in out["cells"] for o in c["outputs"]
    }
    assert set(names) == {"verb", "n"}
    assert "下降" in names["verb"]["application/papermill.record/text/plain"]
    assert names["n"]["application/papermill.record/text/plain"] == "'285'"


def _tiny_book(
    root: Path, extensions: list[str], listed: list[str] | None = None, extra: str = ""
) -> str:
    """Render a one-notebook Sphinx project in Chinese; the translated paragraph quotes two
    glued values, one with a Chinese twin (``word__zh``) and one number with a format."""
    import json
    import subprocess

    src = root / "src"
    (src / "locales" / "zh_CN" / "LC_MESSAGES").mkdir(parents=True)
    (src / "conf.py").write_text(
        f"import sys; sys.path.insert(0, {str(paths.BOOK_DIR / '_ext')!r})\n"
        f"extensions = {extensions!r}\nnb_execution_mode = 'off'\n"
        "locale_dirs = ['locales']\ngettext_compact = False\n"
        f"zh_translated_pages = {listed!r}\n"
    )
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]},
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": ["The value is {glue:text}`n:.2f` and it {glue:text}`word`.\n"],
        },
        *([{"cell_type": "markdown", "metadata": {}, "source": [extra]}] if extra else []),
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "source": ["glue"],
            "outputs": [
                _glue_output("n", 0.12345),
                _glue_output("word", "falls"),
                _glue_output("word__zh", "下降"),
            ],
        },
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (src / "index.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (src / "locales" / "zh_CN" / "LC_MESSAGES" / "index.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Title"\nmsgstr "标题"\n\n'
        'msgid "The value is {glue:text}`n:.2f` and it {glue:text}`word`."\n'
        'msgstr "数值为 {glue:text}`n:.2f`，且{glue:text}`word`。"\n',
        encoding="utf-8",
    )
    sphinx = Path(sys.executable).parent / "sphinx-build"
    done = subprocess.run(
        [str(sphinx), "-q", "-b", "html", "-D", "language=zh_CN", str(src), str(root / "out")],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return "FAILED\n" + done.stderr
    return (root / "out" / "index.html").read_text(encoding="utf-8")


def test_glue_roles_resolve_inside_translated_paragraphs(tmp_path):
    """Sphinx parses each msgstr as a new document, where myst-nb's glue role finds no
    notebook and pastes nothing; zh_glue resolves it from the page's own glue outputs."""
    html = _tiny_book(tmp_path / "fixed", ["myst_nb", "zh_glue"])
    pasted = re.findall(r'class="pasted-text">([^<]*)<', html)
    assert "数值为" in html
    assert pasted == ["0.12", "下降"]
    # the check can fail: myst-nb alone leaves both values empty in the translated text
    html = _tiny_book(tmp_path / "plain", ["myst_nb"])
    assert "数值为" in html
    assert re.findall(r'class="pasted-text">([^<]*)<', html) == []


def test_the_chinese_render_fails_on_a_listed_page_with_an_untranslated_paragraph(tmp_path):
    """zh_stale: the render's own check (no gettext extraction) fails a listed page whose
    English has a paragraph the catalogue lacks, and passes it when complete or unlisted."""
    extensions = ["myst_nb", "zh_glue", "zh_stale"]
    complete = _tiny_book(tmp_path / "complete", extensions, listed=["index"])
    assert not complete.startswith("FAILED"), complete
    added = "A paragraph added in English.\n"
    stale = _tiny_book(tmp_path / "stale", extensions, listed=["index"], extra=added)
    assert stale.startswith("FAILED")
    assert "Chinese translations out of date" in stale
    assert "index.po: 1 of 3 messages untranslated" in stale
    assert "A paragraph added in English." in stale
    unlisted = _tiny_book(tmp_path / "unlisted", extensions, listed=[], extra=added)
    assert not unlisted.startswith("FAILED") and "A paragraph added in English." in unlisted


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


@pytest.mark.parametrize("seed", [0, 1])
def test_chinese_change_words_follow_the_english_rules(seed):
    """Two seeds of (before, after): same numbers in both languages, same comparison."""
    rng = np.random.default_rng(seed)
    befores, factors = rng.uniform(0.05, 0.3, 60), rng.uniform(0.2, 2.5, 60)
    pairs = [(b, b * f) for b, f in zip(befores, factors, strict=True)]
    pairs += [(0.1, 0.1005), (0.2, 0.1), (0.1, 0.2)]
    words = {
        "barely moves": "几乎不变",
        "halves": "减半",
        "roughly doubles": "约翻一番",
        "falls": "下降",
        "rises": "上升",
    }
    for before, after in pairs:
        en = prose.describe_change(before, after)
        zh = prose_zh.describe_change(before, after)
        assert _numbers(en) == _numbers(zh), (en, zh)
        english_word = next(w for w in words if w in en)
        assert words[english_word] in zh, (en, zh)


def test_entries_per_batch_has_the_same_counts_in_both_languages():
    counts = {2016: 39, 2014: 39, 2015: 40}
    assert prose_zh.entries_per_batch(counts) == "2014 年 39 个、2015 年 40 个、2016 年 39 个"
    en = prose_zh.entries_per_batch_en(counts)
    assert en == "39 in 2014, 40 in 2015, 39 in 2016"


def test_switch_links_to_the_same_page_in_the_other_edition():
    class App:
        class config:
            language = "en"

    def pathto(target, resource=0):  # Sphinx's relative pathto from notebooks/05_baseline
        return "../" + target

    url, text, _ = language_switch.other_edition(App, "notebooks/05_baseline", pathto)
    assert (url, text) == ("../zh/notebooks/05_baseline.html", "中文")
    App.config.language = "zh_CN"
    url, text, _ = language_switch.other_edition(App, "notebooks/05_baseline", pathto)
    assert (url, text) == ("../../notebooks/05_baseline.html", "English")


def _pot_from_po(po: Path, pot: Path, change: dict[str, str]) -> None:
    """A template with the catalogue's English messages, some of them edited."""
    from babel.messages.pofile import read_po, write_po

    with po.open("rb") as handle:
        catalogue = read_po(handle)
    for message in list(catalogue):
        if message.id in change:
            catalogue.delete(message.id)
            catalogue.add(change[message.id])
        else:
            message.string = ""
    pot.parent.mkdir(parents=True, exist_ok=True)
    with pot.open("wb") as handle:
        write_po(handle, catalogue, width=0)


def test_stale_check_fails_when_an_english_paragraph_changes(tmp_path):
    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALE_DIR, locales)
    listing = locales / "translated.txt"
    po = locales / i18n.LANGUAGE / "LC_MESSAGES" / "book" / "preface.po"
    assert "book/preface" in i18n.translated_pages(listing)
    # as committed, the preface is complete
    pot_dir = tmp_path / "pot"
    _pot_from_po(po, pot_dir / "book" / "preface.pot", {})
    i18n.update(pot_dir, locales)
    assert "book/preface" not in [p.docname for p in i18n.check(False, locales, listing)]
    before = po.read_text(encoding="utf-8")
    i18n.update(pot_dir, locales)  # a second update changes nothing (no churn)
    assert po.read_text(encoding="utf-8") == before
    # an English paragraph is edited: its translation turns fuzzy, the check lists the page
    old = "How to read it"
    _pot_from_po(po, pot_dir / "book" / "preface.pot", {old: "How to read this book"})
    i18n.update(pot_dir, locales)
    problems = {p.docname: p for p in i18n.check(False, locales, listing)}
    assert "book/preface" in problems
    assert problems["book/preface"].fuzzy + problems["book/preface"].untranslated >= 1
    assert "preface.po" in i18n.format_problems(list(problems.values()))


def test_every_translated_page_is_current():
    """The committed catalogues against the committed English (no re-extraction)."""
    problems = i18n.check(refresh=False)
    assert not problems, i18n.format_problems(problems)


def test_table_catalogue_keeps_every_number():
    catalogue = i18n.table_catalogue()
    assert len(catalogue) > 200
    for english, chinese in catalogue.items():
        assert sorted(_numbers(english)) == sorted(_numbers(chinese)), (english, chinese)
        assert re.search(r"[\u4e00-\u9fff：（]", chinese) or english == chinese, english


def _frame():
    import pandas as pd

    frame = pd.DataFrame(
        {"estimate": [0.1234, 0.0567], "s.e.": [0.02, 0.01]},
        index=pd.Index(["TWFE", "Sun–Abraham"], name="estimator"),
    )
    frame.attrs["caption"] = "Leads (pre-pilot coefficients): TWFE event study and Sun–Abraham"
    return frame


def test_tables_in_chinese_keep_the_numbers_and_the_synthetic_label():
    from replicate.report import tables

    class Twin:  # what tables.labelled reads from a result computed on the twin
        data_label = "SYNTHETIC twin (seed 20241128)"

    english = tables.render(tables.labelled(_frame(), Twin()), "html")
    chinese = i18n.translate_tables(english)
    assert "合成数据" in chinese and "SYNTHETIC" not in chinese
    assert "<caption>前导项（试点前系数）：TWFE 事件研究与 Sun–Abraham</caption>" in chinese
    assert "<th>估计值</th>" in chinese and "<th>估计量</th>" in chinese
    assert "种子 20241128" in chinese
    assert _numbers(_text(chinese)) == _numbers(_text(english))
    # the English rendering is what it always was (the Chinese is a separate step)
    assert "<th>estimate</th>" in english and "SYNTHETIC DATA" in english
    # a table on real data keeps its own label, in Chinese, and gains no synthetic one
    real = _frame()
    real.attrs["notes"] = "Real data: the official pilot lists (data/raw/reference)."
    chinese = i18n.translate_tables(tables.render(real, "html"))
    assert "真实数据：官方公布的试点名单" in chinese and "合成数据" not in chinese


def test_a_string_missing_from_the_catalogue_stays_english():
    markup = '<table class="replication"><thead><tr><th>zzz unknown</th></tr></thead></table>'
    assert i18n.translate_tables(markup) == markup
    assert i18n.translate_tables("<table><tr><th>estimate</th></tr></table>").count("estimate")


# ----------------------------------------------------------------------------- site
needs_zh = pytest.mark.skipif(
    not (ZH / "book" / "preface.html").exists(), reason="no Chinese build: run `make book`"
)


@needs_zh
@pytest.mark.parametrize("page", ["book/preface", "notebooks/05_baseline", "book/glossary"])
def test_zh_page_language_and_switch_both_ways(page):
    zh = (ZH / f"{page}.html").read_text(encoding="utf-8")
    en = (paths.HTML_DIR / f"{page}.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN"' in zh
    assert '<html lang="en"' in en
    depth = "../" * page.count("/")
    assert f'href="{depth}zh/{page}.html"' in en
    assert f'href="{depth}../{page}.html"' in zh


def _text(html: str) -> str:
    body = html.split('<article class="bd-article"', 1)[-1].split("</article>", 1)[0]
    body = re.sub(r"<(script|style)\b.*?</\1>", "", body, flags=re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", body))  # &#x27; is not a number


@needs_zh
@pytest.mark.parametrize("page", i18n.translated_pages())
def test_numbers_on_a_translated_page_equal_the_english_ones(page):
    zh = _text((ZH / f"{page}.html").read_text(encoding="utf-8"))
    en = _text((paths.HTML_DIR / f"{page}.html").read_text(encoding="utf-8"))
    assert sorted(_numbers(zh)) == sorted(_numbers(en))
    assert re.search(r"[\u4e00-\u9fff]{4}", zh), "the page is not in Chinese"


def _tables(html: str) -> list[tuple[list[str], str]]:
    """Per table on a page: the numbers of each cell (headers and body) in order, and its
    notes paragraph."""
    found = []
    for table, notes in re.findall(
        r'<table class="replication">(.*?)</table></div>(<p class="[^"]*">.*?</p>)?', html, re.S
    ):
        cells = [
            html_module.unescape(re.sub(r"<[^>]+>", "", c))
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", table)
        ]
        found.append(([_numbers(c) for c in cells if _numbers(c)], notes))
    return found


ALL_PAGES = book.toc_files()


@needs_zh
@pytest.mark.parametrize("page", ALL_PAGES)
def test_every_table_on_a_zh_page_has_the_english_numbers_and_label(page):
    """Page by page and table by table: the Chinese table's numeric cells are the English
    table's, in order; a table computed on the twin carries 合成数据 (and no English
    banner)."""
    zh = _tables((ZH / f"{page}.html").read_text(encoding="utf-8"))
    en = _tables((paths.HTML_DIR / f"{page}.html").read_text(encoding="utf-8"))
    assert len(zh) == len(en)
    for (zh_cells, zh_notes), (en_cells, en_notes) in zip(zh, en, strict=True):
        assert zh_cells == en_cells
        if "synthetic-label" in en_notes:
            assert "合成数据" in zh_notes and "SYNTHETIC" not in zh_notes, zh_notes


def _pasted(html: str) -> list[str]:
    return re.findall(r'class="pasted-text">([^<]*)<', html)


GLUED_PAGES = sorted({"notebooks/01_introduction", *i18n.translated_pages()} - {"book/preface"})


@needs_zh
@pytest.mark.parametrize("page", GLUED_PAGES)
def test_glued_values_on_a_zh_page_are_the_english_ones(page):
    """Every glue role of the English page is pasted on the Chinese one too (none empty),
    and the glued values carry the same numbers (a Chinese form may reorder words)."""
    zh = _pasted((ZH / f"{page}.html").read_text(encoding="utf-8"))
    en = _pasted((paths.HTML_DIR / f"{page}.html").read_text(encoding="utf-8"))
    assert len(zh) == len(en), (zh, en)
    assert all(value.strip() for value in zh), zh
    assert sorted(_numbers(" ".join(zh))) == sorted(_numbers(" ".join(en)))


@needs_zh
@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_cjk_renders_without_tofu_or_horizontal_scroll(browser, width):
    """Chinese glyphs are drawn (two different characters give different pixels: missing
    glyphs would be identical boxes), and the page does not scroll sideways."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto((ZH / "book" / "preface.html").as_uri())
        font = page.evaluate("getComputedStyle(document.querySelector('article')).fontFamily")
        same = page.evaluate(
            """(font) => {
              const draw = (ch) => { const c = document.createElement('canvas');
                c.width = 40; c.height = 40; const g = c.getContext('2d');
                g.font = '32px ' + font; g.fillText(ch, 2, 34);
                return Array.from(g.getImageData(0, 0, 40, 40).data).join(','); };
              return [draw('新') === draw('质'), draw('新') === draw('\\uFFFF')]; }""",
            font,
        )
        assert same == [False, False], f"CJK glyphs missing in {font}"
        scroll = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert scroll <= 1
    finally:
        page.close()


@needs_zh
@pytest.mark.browser
def test_emphasis_is_upright_on_the_chinese_page_and_italic_on_the_english(browser):
    page = browser.new_page()
    style = "() => { const e = document.querySelector('article em'); return e && "
    style += "[getComputedStyle(e).fontStyle, getComputedStyle(e).fontWeight]; }"
    try:
        page.goto((ZH / "notebooks" / "05_baseline.html").as_uri())
        assert page.evaluate(style) == ["normal", "600"]
        page.goto((paths.HTML_DIR / "notebooks" / "05_baseline.html").as_uri())
        assert page.evaluate(style)[0] == "italic"
    finally:
        page.close()


def test_zh_render_does_not_execute_notebooks(tmp_path):
    generated = i18n.write_conf(tmp_path).read_text(encoding="utf-8")
    assert "nb_execution_mode = 'off'" in generated
    assert "gettext_compact = False" in generated


def test_chinese_figure_text_has_every_glyph():
    """A figure with a Chinese title, axis label and legend draws without a missing glyph
    (matplotlib's "Glyph … missing from font" warning is an error here)."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from replicate.report import figures

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        with plt.rc_context(figures.chinese_style()):
            fig, ax = plt.subplots()
            ax.plot([2014, 2015, 2016], [39, 39, 39], label="试点城市（合成数据）")
            ax.set_title("宽带中国试点对新质生产力的影响")
            ax.set_xlabel("年份")
            ax.set_ylabel("估计值 −0.1")
            ax.legend()
            fig.canvas.draw()
            plt.close(fig)
    # the check can fail: without the CJK fallback the same text does warn
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
            fig, ax = plt.subplots()
            ax.set_title("宽带中国")
            fig.canvas.draw()
            plt.close(fig)
    assert any("missing" in str(w.message) for w in caught)


def test_a_figure_is_drawn_again_in_chinese_and_left_as_it_was():
    """figures_zh draws the same figure with Chinese title, axes, legend, data stamp and
    categorical ticks, without a missing glyph, and leaves the English figure untouched."""
    import io
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from replicate.report import figures, figures_zh

    fig, ax = plt.subplots()
    ax.bar(["TWFE", "Treated vs Untreated"], [0.1, 0.2], label="estimate")
    ax.axhline(0.15, label="true effect (0.150)")
    ax.set_title("Sample cities by province and pilot batch")
    ax.set_xlabel("years since the pilot")
    ax.legend()
    figures.synthetic_note(fig, True)

    def png() -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()

    english = png()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        chinese = figures_zh.chinese_png(fig, figures.chinese_style)
    assert chinese is not None and chinese[:4] == b"\x89PNG" and chinese != english
    assert png() == english  # the English figure is unchanged
    assert ax.get_title() == "Sample cities by province and pilot batch"
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert legend == {"estimate", "true effect (0.150)"}
    texts = []
    with warnings.catch_warnings():  # what the Chinese drawing wrote, captured on draw
        warnings.simplefilter("ignore")
        real_savefig = fig.savefig
        fig.savefig = lambda *a, **k: (
            texts.extend(t.get_text() for t in fig.findobj(matplotlib.text.Text)),
            real_savefig(*a, **k),
        )
        figures_zh.chinese_png(fig, figures.chinese_style)
    for chinese_text in ("各省样本城市与试点批次", "试点后年数", "估计值", "真实效应（0.150）"):
        assert chinese_text in texts
    assert "合成数据——不构成关于中国的证据" in texts
    plt.close(fig)


def test_a_chinese_figure_with_a_missing_glyph_is_an_error():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from replicate.report import figures_zh

    def latin_only():  # a "CJK" style whose fonts have no Chinese glyph
        return {"font.family": ["DejaVu Sans"]}

    fig, ax = plt.subplots()
    ax.set_title("year")
    with pytest.raises(RuntimeError, match="lacks glyphs"):
        figures_zh.chinese_png(fig, latin_only)
    assert ax.get_title() == "year"
    plt.close(fig)


def test_a_figure_without_a_cjk_font_keeps_its_english_png():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from replicate.report import figures_zh

    def no_font():
        raise RuntimeError("no Chinese font installed")

    fig, _ = plt.subplots()
    assert figures_zh.chinese_png(fig, no_font) is None
    plt.close(fig)


def test_math_and_computed_table_output_need_no_translation():
    assert not i18n.needs_translation("\n\\mathrm{nqp}_{it} = \\alpha_0")
    assert not i18n.needs_translation("\\begin{table}[htbp] 285 & 0.17")
    assert i18n.needs_translation("where $\\mathrm{treat}_i = 1$ for pilot cities")


def test_exhibits_page_catalogue_is_generated_from_the_page(tmp_path):
    """The exhibits page is rewritten by every build: its Chinese catalogue is made from
    the page (chapter titles and figure captions from the chapter catalogues, table
    captions by the table rules), numbers and Markdown escapes kept."""
    from babel.messages.pofile import read_po

    chapters = i18n._chapter_messages()
    title = "Introduction: does digital infrastructure raise new quality productive forces?"
    figure = next(e for e in chapters if e.startswith("Broadband China pilot cities among"))
    page = tmp_path / "exhibits.md"
    page.write_text(
        "(exhibits)=\n# Exhibits as files\n\n"
        "| chapter | exhibit | paper | files |\n| --- | --- | --- | --- |\n"
        f"| {title} | table: Table 2 on panel\\_zh.dta — SYNTHETIC twin (seed 7) | Table 2 | x |\n"
        f"| {title} | figure: {figure} | — | x |\n"
        f"| {title} | table: Nothing in any catalogue \\[a\\] | — | x |\n",
        encoding="utf-8",
    )
    target = i18n.exhibits_catalogue(page, tmp_path / "exhibits.po")
    with target.open("rb") as handle:
        pairs = {m.id: m.string for m in read_po(handle) if m.id}
    assert pairs[title] == chapters[title] and pairs["Table 2"] == "表 2"
    assert pairs["Exhibits as files"] == "图表文件"
    assert pairs[f"figure: {figure}"] == "图：" + chapters[figure].replace("_", "\\_")
    table = pairs["table: Table 2 on panel\\_zh.dta — SYNTHETIC twin (seed 7)"]
    assert (
        table.startswith("表：") and "panel\\_zh.dta" in table and "合成" in table and "7" in table
    )
    assert "SYNTHETIC" not in table
    untranslated = pairs.get("table: Nothing in any catalogue \\[a\\]", "")
    assert untranslated in ("", "表：Nothing in any catalogue \\[a\\]")
    first = target.read_bytes()
    assert i18n.exhibits_catalogue(page, tmp_path / "exhibits.po").read_bytes() == first


# ----------------------------------------------------------------------------- chrome (#19)
import zh_chrome  # noqa: E402

LATIN_PHRASE = re.compile(r"[A-Za-z][a-z'’\-]+(?:[ ,;:]+[A-Za-z][a-z'’\-]+){2,}")
"""Three English words in a row: an English phrase, not an identifier like ``city_id``."""


def _english_phrases(text: str) -> list[str]:
    """English phrases in ``text`` once the panel's column names (``fdi, hum, gov``), which
    a Chinese caption keeps as they are, are set aside."""
    from replicate.data import schema

    names = "|".join(sorted({*schema.VARIABLES, *schema.PAPER_VARIABLES}, key=len, reverse=True))
    return LATIN_PHRASE.findall(re.sub(rf"\b(?:{names})\b", "·", text))


def test_only_the_chinese_conf_sets_the_chinese_labels(tmp_path):
    chinese = i18n.write_conf(tmp_path / "zh", chinese=True).read_text(encoding="utf-8")
    english = i18n.write_conf(tmp_path / "en").read_text(encoding="utf-8")
    for line in (
        "nb_code_prompt_show = '显示{type}'",
        "nb_code_prompt_hide = '隐藏{type}'",
        f"html_title = {i18n.ZH_TITLE!r}",
        f"author = {i18n.ZH_AUTHOR!r}",
        "extensions += ['zh_chrome']",
    ):
        assert line in chinese
        assert line not in english
    assert "nb_code_prompt" not in english and "zh_chrome" not in english
    assert "html_css_files = [*html_css_files, 'zh.css']" in chinese and "zh.css" not in english


@needs_zh
def test_only_the_chinese_pages_load_the_upright_emphasis_css():
    css = (paths.ROOT / "book" / "_static" / "zh.css").read_text(encoding="utf-8")
    assert re.search(r'html\[lang="zh-CN"\] em\b[^{]*\{[^}]*font-style: normal', css)
    page = "notebooks/05_baseline.html"
    assert 'href="../_static/zh.css' in (ZH / page).read_text(encoding="utf-8")
    assert "zh.css" not in (paths.HTML_DIR / page).read_text(encoding="utf-8")


def test_hidden_cell_prompts_name_the_hidden_part_in_chinese():
    assert zh_chrome.chinese_prompt("显示source") == "显示代码"
    assert zh_chrome.chinese_prompt("隐藏output") == "隐藏输出"
    assert zh_chrome.chinese_prompt("显示outputs") == "显示输出"
    assert zh_chrome.chinese_prompt("显示content") == "显示代码与输出"
    assert zh_chrome.chinese_prompt("Show code cell source") == "Show code cell source"


def test_interface_catalogue_translates_template_attributes():
    from babel.messages.pofile import read_po

    po = i18n.CHROME_LOCALES / "zh_CN" / "LC_MESSAGES" / "sphinx.po"
    with po.open("rb") as handle:
        messages = {m.id: m.string for m in read_po(handle) if m.id}
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in messages.values()), messages
    markup = (
        '<button title="Toggle primary sidebar"><nav aria-label="Main">'
        '<input placeholder="Search..." aria-label="Search..."><a title="Jonathan Roth.">'
        '<button title="列印成 PDF">'
    )
    chinese = zh_chrome.translate_attributes(markup, lambda s: messages.get(s, s))
    assert 'title="显示或隐藏左侧目录"' in chinese and 'aria-label="全书目录"' in chinese
    assert 'placeholder="搜索……"' in chinese
    assert 'title="打印为 PDF"' in chinese  # the theme's zh_CN wording is Taiwanese usage
    assert 'title="Jonathan Roth."' in chinese  # not in the catalogue: as it was


def _panel_numbers(text: str) -> list[str]:
    return re.findall(r"\d[\d,.]*", text)


@pytest.mark.parametrize("seed", [3, 20241128])
def test_the_printed_panel_line_is_chinese_with_the_same_numbers(seed):
    from replicate.data import load_panel

    english = load_panel("synthetic", seed=seed).summary()
    chinese = i18n.translate_output_text(english + "\n")
    assert chinese.endswith("\n")
    assert chinese.startswith(f"合成孪生数据（种子 {seed}）：") and "个城市 ×" in chinese
    assert not _english_phrases(chinese), chinese
    assert _panel_numbers(chinese) == _panel_numbers(english)


def test_printed_lines_without_a_chinese_form_and_terminal_transcripts_stay():
    transcript = "$ replicate check-data x.csv\nOK SYNTHETIC twin (seed 1): 1 cities × 2 years = 2 rows; did mean 0.5\n"
    assert i18n.translate_output_text(transcript) == transcript
    other = "estimated 12 models in 3.2 s\n"
    assert i18n.translate_output_text(other) == other
    mixed = "20 reports, 2005–2025; missing years: [2020]\nsomething else\n"
    assert i18n.translate_output_text(mixed) == (
        "共 20 份报告，2005–2025 年；缺失年份：[2020]\nsomething else\n"
    )


def test_chinese_stdout_and_plain_values_in_a_notebook_but_not_glue_or_transcripts():
    line = "SYNTHETIC twin (seed 9): 285 cities × 18 years = 5,130 rows; did mean 0.1706\n"
    nb = {
        "cells": [
            {"outputs": [{"output_type": "stream", "name": "stdout", "text": [line]}]},
            {"outputs": [{"output_type": "stream", "name": "stdout", "text": "$ x\n" + line}]},
            {"outputs": [{"output_type": "execute_result", "data": {"text/plain": line}}]},
            {"outputs": [_glue_output("panel", line)]},
        ]
    }
    out = zh_glue.chinese_tables(nb)["cells"]
    assert out[0]["outputs"][0]["text"].startswith("合成孪生数据（种子 9）：285 个城市")
    assert out[1]["outputs"][0]["text"] == "$ x\n" + line
    assert out[2]["outputs"][0]["data"]["text/plain"].startswith("合成孪生数据（种子 9）")
    assert out[3]["outputs"][0]["data"] == _glue_output("panel", line)["data"]


def _chapter_09_captions(outcome: str, controls: list[str], cluster: str) -> list[str]:
    """Chapter 09's computed captions, as its code builds them from the chapter's roles."""
    pilot, treated = "the pilot", "did"
    with_controls = f"controls {', '.join(controls)}" if controls else "no controls"
    return [
        f"Event study of {pilot} on {outcome} (TWFE with city_id and year effects, "
        f"{with_controls}; clustered by {cluster})",
        f"Leads (coefficients before {pilot}) on {outcome}: TWFE event study and Sun–Abraham",
        f"Goodman-Bacon decomposition of TWFE on {outcome} (no controls)",
        f"de Chaisemartin–D'Haultfœuille weights of the TWFE coefficient on {outcome} (no controls)",
        f"Estimates of the effect of {pilot} on {outcome} without covariates",
        f"Callaway–Sant'Anna aggregations on {outcome}: estimate and s.e. with never-treated "
        "(never) and not-yet-treated (not yet) units as controls",
        f"Effect on {outcome} with time-varying controls and with their means over 2005–2013 "
        "(pre-treatment means)",
        f"Rambachan–Roth robust 95% intervals of two targets (event study of {outcome})",
        "Demonstration: robust 95% intervals of the first-year effect on a twin whose pilot "
        f"effect on {outcome} is 0.3 (true first-year effect 0.310)",
        f"Randomization inference on the TWFE coefficient of {treated} on {outcome} "
        f"({with_controls}; placebo s.d.: standard deviation of the placebo estimates; 95% CI "
        "from inverting the test)",
        f"Placebo in time on {outcome}: every start moved earlier, periods before the first "
        f"treatment (2005–2013), TWFE with {with_controls}, clustered by {cluster}",
        f"The TWFE coefficient of {treated} on {outcome} ({with_controls}): cluster-robust t "
        "and wild bootstrap by clustering level",
        f"PSM-DID on {outcome}: matched samples and estimates",
        "Standardized differences of the pre-treatment covariates before matching and after "
        "nearest-neighbour and kernel matching (balanced: |after| < 0.1)",
    ]


@pytest.mark.parametrize(
    ("outcome", "controls", "cluster"),
    [("nqp", ["fdi", "hum", "gov"], "city_id"), ("innovp", [], "province")],
)
def test_computed_captions_are_chinese_and_carry_their_parts(outcome, controls, cluster):
    catalogue = i18n.table_catalogue()
    for english in _chapter_09_captions(outcome, controls, cluster):
        chinese = i18n.translate_table_text(english, catalogue, prose=True)
        assert re.search(r"[\u4e00-\u9fff]{2}", chinese), english
        assert not _english_phrases(chinese), (english, chinese)
        assert sorted(_numbers(chinese)) == sorted(_numbers(english)), (english, chinese)
        assert (outcome in chinese) == (outcome in english)
        with_controls = f"controls {', '.join(controls)}" if controls else "no controls"
        if with_controls in english:
            assert (f"控制变量 {', '.join(controls)}" if controls else "不含控制变量") in chinese


def _english_captions(pairs: dict[str, str]) -> list[str]:
    missing = []
    for english, chinese in pairs.items():
        if re.match(r"(table|figure): ", english):
            rest = re.sub(r"^(表|图)：", "", chinese or english)
            if not chinese or _english_phrases(re.sub(r"\\(.)", r"\1", rest)):
                missing.append(english)
    return missing


def test_every_exhibit_caption_has_a_chinese_form(tmp_path):
    """The exhibits page of the last build: each table's and figure's caption has a Chinese
    form in the generated catalogue (the missing ones are listed)."""
    from babel.messages.pofile import read_po

    from replicate.report import exhibits

    if not exhibits.PAGE.exists():
        pytest.fail("no exhibits page in book/generated: run `make book`")
    target = i18n.exhibits_catalogue(exhibits.PAGE, tmp_path / "exhibits.po")
    with target.open("rb") as handle:
        pairs = {m.id: m.string for m in read_po(handle) if m.id}
    captions = [e for e in pairs if re.match(r"(table|figure): ", e)]
    assert len(captions) > 50
    missing = _english_captions(pairs)
    assert not missing, f"{len(missing)} of {len(captions)} captions still English:\n" + "\n".join(
        missing
    )


def test_the_exhibit_check_finds_an_english_caption():
    pairs = {
        "table: Goodman-Bacon decomposition of weights": "表：Goodman-Bacon decomposition of weights",
        "table: T": "表：系数",
    }
    assert _english_captions(pairs) == ["table: Goodman-Bacon decomposition of weights"]


needs_zh_build = pytest.mark.skipif(
    not (ZH / "book" / "preface.html").exists(), reason="no Chinese build: run `make book`"
)
CHROME_ENGLISH = (
    "Show code cell",
    "Hide code cell",
    "Toggle hidden content",
    "Toggle primary sidebar",
    "Toggle secondary sidebar",
    "Color mode",
    "Link to this heading",
    "© Copyright",
    "The replication project",
    "Search...",
)


@needs_zh_build
@pytest.mark.parametrize("page", ALL_PAGES)
def test_zh_page_chrome_is_chinese_and_english_page_unchanged(page):
    zh = (ZH / f"{page}.html").read_text(encoding="utf-8")
    en = (paths.HTML_DIR / f"{page}.html").read_text(encoding="utf-8")
    left = [s for s in CHROME_ENGLISH if s in zh]
    assert not left, f"English labels on the Chinese page: {left}"
    assert i18n.ZH_TITLE in zh
    assert "The replication project" in en and "显示代码" not in en
    if 'class="cell_input' in en and "hide-input" in en:
        assert "Show code cell source" in en and "显示代码" in zh


def _cells(html: str) -> list[str]:
    return [
        html_module.unescape(re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]


@needs_zh_build
def test_every_exhibit_on_the_zh_exhibits_page_is_chinese():
    """As rendered: each exhibit cell of the Chinese exhibits page is 表：/图： with a
    Chinese caption (a catalogue key that misses Sphinx's msgid leaves ``table: …``)."""
    cells = _cells((ZH / "book" / "generated" / "exhibits.html").read_text(encoding="utf-8"))
    exhibits = [c for c in cells if re.match(r"(table|figure|表|图)[:：] ?", c)]
    assert len(exhibits) > 50
    english = [c for c in exhibits if not re.match("[表图]：", c) or _english_phrases(c[2:])]
    assert not english, f"{len(english)} of {len(exhibits)} exhibits English:\n" + "\n".join(
        english
    )


PANEL_LINE = re.compile(
    r"SYNTHETIC twin \(seed \d+\): [\d,]+ cities × \d+ years = [\d,]+ rows; did mean [\d.]+"
)


@needs_zh_build
@pytest.mark.parametrize(
    "page",
    [f"notebooks/{n}" for n in ("05_baseline", "06_mechanism", "07_robustness", "09_modern_did")],
)
def test_the_printed_panel_line_on_a_zh_page_is_chinese_with_the_english_numbers(page):
    en = html_module.unescape((paths.HTML_DIR / f"{page}.html").read_text(encoding="utf-8"))
    zh = html_module.unescape((ZH / f"{page}.html").read_text(encoding="utf-8"))
    english = PANEL_LINE.search(en)
    assert english, f"{page}: the English page prints no panel line"
    assert not PANEL_LINE.search(zh)
    chinese = re.search(
        r"合成孪生数据（种子 \d+）：[\d,]+ 个城市 × \d+ 年 = [\d,]+ 行；did 均值 [\d.]+", zh
    )
    assert chinese, f"{page}: no Chinese panel line"
    assert _panel_numbers(chinese[0]) == _panel_numbers(english[0])


@pytest.mark.parametrize(("level", "clusters"), [("province", 31), ("city_id", 279)])
def test_computed_note_sentences_keep_their_numbers_and_column(level, clusters):
    """A clustering note is translated whole before the catalogue's words could take
    ``by province`` out of it (which once gave ``clustered 按省聚类 (31 clusters)``)."""
    english = (
        f"Standard errors: clustered by {level} ({clusters} clusters), reghdfe small-sample "
        "correction [by province]; heteroskedasticity-robust, reghdfe correction [HC1]. "
        "Not estimated with the published regressors, so not compared: published column(s) "
        "(2), (3)."
    )
    chinese = i18n.translate_table_text(english, i18n.table_catalogue(), prose=True)
    by = "按省份聚类" if level == "province" else f"按 {level} 聚类"  # a level, or a column
    assert f"{by}（{clusters} 个聚类），reghdfe 小样本校正" in chinese, chinese
    assert "异方差稳健" in chinese and "原文第 (2)、(3) 列。" in chinese  # 、 between columns
    assert "]；异方差" in chinese and "; " not in chinese  # Chinese punctuation
    assert not _english_phrases(chinese), chinese
    assert sorted(_numbers(chinese)) == sorted(_numbers(english))
    assert i18n.translate_table_text("mpdta.parquet (origin unverified)", {}) == (
        "mpdta.parquet（来源未经核实）"
    )


def test_note_sentences_take_chinese_punctuation_and_column_labels():
    english = (
        "* p < 0.10, ** p < 0.05, *** p < 0.01. Fixed effects: city_id + year. N: 5,130. "
        "Standard errors: clustered by city_id (285 clusters), none small-sample correction "
        "[CRV1 none]; clustered by city_id (279 clusters), reghdfe small-sample correction "
        "[Table 4 (1)]. Monte Carlo s.e. in parentheses."
    )
    chinese = i18n.translate_table_text(english, i18n.table_catalogue(), prose=True)
    assert "*** p < 0.01。固定效应：city_id + year。N：5,130。" in chinese, chinese
    assert "不做小样本校正 [CRV1 none]；" in chinese and "none 小样本" not in chinese
    assert "[原文表 4 第 (1) 列]。" in chinese and "Table" not in chinese
    assert "s.e. in" in chinese  # an abbreviation's dots are not full stops
    assert _numbers(chinese) == _numbers(english)
    listed = "Standard errors: clustered by city_id (285 clusters), reghdfe small-sample "
    listed += "correction [baseline, (2), (3) nqp_alt]."
    chinese = i18n.translate_table_text(listed, i18n.table_catalogue(), prose=True)
    assert chinese.endswith("reghdfe 小样本校正 [基准、(2)、(3) nqp_alt]。"), chinese


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("hum coef", "hum 系数"),
        ("lninstra se", "lninstra 标准误"),
        ("fdi mean", "fdi 均值"),
        ("nqp sd", "nqp 标准差"),
        ("did min", "did 最小值"),
        ("mar max", "mar 最大值"),
        ("constant coef", "常数项 系数"),
        ("T2 (1) constant se", "T2 (1) 常数项 标准误"),
        ("T1 did mean", "T1 did 均值"),
        ("nqp N", "nqp N"),
        ("2 years earlier", "提前 2 年"),
        ("107 of 109", "107 个（共 109 个）"),  # the numbers in the English order
        ("Callaway–Sant'Anna (never treated)", "Callaway–Sant'Anna（以从未处理组为对照）"),
        ("Callaway–Sant'Anna, never treated", "Callaway–Sant'Anna（以从未处理组为对照）"),
        ("rounding", "舍入范围内"),
        ("within rounding", "舍入范围内"),
        ("tolerance", "容差范围内"),
        ("within tolerance", "容差范围内"),
        ("generator_version", "生成器版本"),
        ("province (31 clusters): cluster-robust t", "省份（31 个聚类）：聚类稳健 t 检验"),
        (
            "city_id (279 clusters): wild bootstrap (Webb)",
            "city_id（279 个聚类）：野自助法（Webb）",
        ),
    ],
)
def test_short_table_labels_have_one_chinese_form(english, chinese):
    assert i18n.translate_table_text(english, i18n.table_catalogue()) == chinese


def test_a_plain_dataframe_a_chapter_displays_gets_chinese_labels_and_same_numbers():
    import pandas as pd

    frame = pd.DataFrame(
        {"meaning": ["city", "foreign investment"], "required": ["yes", "no"], "n": [285, 5130]},
        index=pd.Index(["city_id", "fdi"], name="column"),
    )
    english = frame.to_html()
    chinese = i18n.translate_tables(english)
    for word in ("含义", "是否必需", "城市", "外商投资", "是", "否", "列"):
        assert f">{word}</t" in chinese, word
    assert ">city_id</th>" in chinese and ">5130</td>" in chinese
    assert _numbers(_text(chinese)) == _numbers(_text(english))
    assert frame.to_html() == english  # the English output is untouched


def test_a_gloss_column_keeps_its_english_on_purpose():
    import pandas as pd

    frame = pd.DataFrame(
        {"gloss": ["new quality productive forces"], "reason": ["national digital strategy"]},
        index=pd.Index(["新质生产力"], name="term"),
    )
    chinese = i18n.translate_tables(frame.to_html())
    assert "<td>new quality productive forces</td>" in chinese
    assert "<td>国家数字战略</td>" in chinese and ">释义</th>" in chinese
    assert "__gloss" not in chinese


def test_parameter_names_a_reader_types_stay_as_in_the_code():
    import pandas as pd

    names = ["reading", "seed", "twins", "controls", "permutations", "cluster"]
    frame = pd.DataFrame(
        {
            "notebook": ["05_baseline"] * len(names),
            "parameter": names,
            "default": ["1"] * len(names),
            "meaning": ["seed"] * len(names),
        }
    )
    chinese = i18n.translate_tables(frame.to_html(index=False))
    for name in names:
        assert f"<td>{name}</td>" in chinese  # `-p seed 7` must still work
    assert ">默认值</th>" in chinese and ">参数</th>" in chinese and "默认孪生数据" not in chinese
    assert chinese.count("<td>种子</td>") == len(names)  # the meaning column is translated
    assert "__gloss" not in chinese
    # elsewhere (chapter 08's scorecard) "default" is still the default twin
    other = i18n.translate_tables(pd.DataFrame({"default": [1.0]}).to_html())
    assert ">默认孪生数据</th>" in other


def test_a_figure_alt_text_is_chinese_on_the_chinese_page_only():
    alt = "Event study with pointwise intervals, a uniform band and, on the twin, the true effect"
    nb = {"cells": [{"metadata": {"mystnb": {"image": {"alt": alt}}}, "outputs": []}]}
    out = zh_glue.chinese_tables(nb)
    assert out["cells"][0]["metadata"]["mystnb"]["image"]["alt"] == i18n.table_catalogue()[alt]
    assert re.search(r"[\u4e00-\u9fff]{4}", out["cells"][0]["metadata"]["mystnb"]["image"]["alt"])


@needs_zh_build
@pytest.mark.parametrize("page", [p for p in ALL_PAGES if p.startswith("notebooks/")])
def test_figure_alt_texts_on_a_zh_page_are_chinese(page):
    zh = (ZH / f"{page}.html").read_text(encoding="utf-8")
    english = [
        a
        for a in map(html_module.unescape, re.findall(r'<img [^>]*alt="([^"]*)"', zh))
        if _english_phrases(a)
    ]
    assert not english, english


def test_the_summary_of_a_panel_of_other_roles_is_chinese_with_its_numbers():
    english = (
        "mpdta.parquet (origin unverified): 500 units (countyreal) × 5 periods (year) = "
        "2,500 rows; 191 units treated by the last period; outcome lemp"
    )
    chinese = i18n.translate_output_text(english)
    assert chinese.startswith("mpdta.parquet（来源未经核实）：500 个单位（countyreal）")
    assert not _english_phrases(chinese), chinese
    assert _panel_numbers(chinese) == _panel_numbers(english)


def _printed(html: str) -> list[str]:
    """The text of every printed output (stream or plain value) on a page."""
    blocks = re.findall(
        r'<div class="output (?:stream|text_plain)[^"]*">\s*<div class="highlight[^"]*"><pre>'
        r"(.*?)</pre>",
        html,
        re.S,
    )
    return [html_module.unescape(re.sub(r"<[^>]+>", "", b)) for b in blocks]


@needs_zh_build
@pytest.mark.parametrize("page", [p for p in ALL_PAGES if p.startswith("notebooks/")])
def test_printed_outputs_on_a_zh_page_have_no_english_sentence(page):
    """Every printed line on a Chinese page is Chinese, code-like (a repr, a CSV header) or
    part of a terminal transcript (``$ replicate …``, quoted as the command prints it)."""
    zh = _printed((ZH / f"{page}.html").read_text(encoding="utf-8"))
    english = [
        line
        for text in zh
        if not text.startswith("$ ")
        for line in text.splitlines()
        if _english_phrases(re.sub(r"\w+\([^)]*\)", "", line))  # a repr like Roles(...)
    ]
    assert not english, english


@needs_zh_build
@pytest.mark.parametrize("page", ALL_PAGES)
def test_table_captions_headers_and_notes_on_a_zh_page_are_chinese(page):
    """Every rendered table of a Chinese page: its caption, header cells and notes hold no
    English phrase (column names such as ``fdi, hum, gov`` aside)."""
    zh = (ZH / f"{page}.html").read_text(encoding="utf-8")
    parts = [
        part
        for table in re.findall(r'<table class="replication">(.*?)</table>', zh, re.S)
        for part in re.findall(r"<caption>(.*?)</caption>|<th[^>]*>(.*?)</th>", table, re.S)
    ]
    texts = [a or b for a, b in parts]
    texts += re.findall(r'<p class="(?:synthetic-label|table-notes)">(.*?)</p>', zh, re.S)
    english = [
        t
        for t in (html_module.unescape(re.sub(r"<[^>]+>", "", x)) for x in texts)
        if _english_phrases(t)
    ]
    assert not english, english


CODE_VALUES = {"calibrated", "jieba", "iid", "imputation", "twfe", "CS never", "note"}
"""Cell values that are code a reader passes or reads back (an estimator's or a method's
name, a pandas column of the reader's CSV), kept English on purpose."""

SHORT_ENGLISH = re.compile(r"[a-z][a-z'\-]+(?: [a-z][a-z'\-.]+)*|[A-Z]{2,5} [a-z][a-z.]+")
"""A whole cell of one or two lowercase English words (``statistic``, ``treated cells``,
``SA s.e.``): under the three-word threshold of :data:`LATIN_PHRASE`."""


def _short_english_cells(markup: str) -> list[str]:
    from replicate.data import schema

    names = {*schema.VARIABLES, *schema.PAPER_VARIABLES}
    found = []
    for table in re.findall(
        r'<table class="(?:replication|dataframe)[^"]*">(.*?)</table>', markup, re.S
    ):
        rows = [
            re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)
            for r in re.findall(r"<tr\b.*?</tr>", table, re.S)
        ]
        header = next((r for r in rows if "参数" in r or "释义" in r), [])
        kept = {i for i, h in enumerate(header) if h in ("参数", "释义")}  # code, or a gloss
        for row in rows:
            for i, cell in enumerate(row):
                text = html_module.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                if i in kept or text in names or text in CODE_VALUES:
                    continue
                if SHORT_ENGLISH.fullmatch(text):
                    found.append(text)
    return found


def test_the_short_english_cell_check_finds_a_short_label():
    markup = (
        '<table class="replication"><thead><tr><th>statistic</th><th>参数</th></tr></thead>'
        "<tbody><tr><td>treated cells</td><td>seed</td></tr><tr><td>SA s.e.</td><td>fdi</td>"
        "</tr></tbody></table>"
    )
    assert _short_english_cells(markup) == ["statistic", "treated cells", "SA s.e."]


@needs_zh_build
@pytest.mark.parametrize("page", ALL_PAGES)
def test_no_short_english_label_in_a_zh_table(page):
    """Headers and label cells of one or two English words (which the three-word phrase
    test lets through) have a Chinese form; a parameter's name and a gloss stay English."""
    zh = (ZH / f"{page}.html").read_text(encoding="utf-8")
    assert not _short_english_cells(zh)


def test_chapter_07s_skipped_variants_on_another_pilot_policy_are_chinese():
    from replicate import replication

    class Coding:  # a panel whose pilot timing comes from a file (load_panel(pilots=...))
        is_broadband = False
        source = "made_up_pilots.csv"

    class Panel:
        coding = Coding()

    lines = replication.robustness_skipped(Panel())
    assert lines
    for line in lines.values():
        chinese = i18n.translate_output_text(line)
        assert chinese.startswith("跳过 ") and "made_up_pilots.csv" in chinese, chinese
        assert not _english_phrases(chinese), chinese


@needs_zh_build
@pytest.mark.parametrize("page", ["book/preface", "notebooks/05_baseline", "book/generated/status"])
def test_part_captions_are_the_preface_catalogues_chinese(page):
    """The sidebar's part captions on a Chinese page are the Chinese of ``_toc.yml``'s
    captions from the root page's catalogue, in order; the English page keeps the English."""
    import yaml
    from babel.messages.pofile import read_po

    toc = yaml.safe_load((paths.ROOT / "_toc.yml").read_text(encoding="utf-8"))
    english = [part["caption"] for part in toc["parts"]]
    with (i18n.CATALOGUES / f"{toc['root']}.po").open("rb") as handle:
        chinese = {m.id: m.string for m in read_po(handle) if m.id}
    shown = {}
    for edition, root in (("en", paths.HTML_DIR), ("zh", ZH)):
        markup = (root / f"{page}.html").read_text(encoding="utf-8")
        sidebar = markup.split('class="bd-sidebar-primary', 1)[1].split("</nav>", 1)[0]
        shown[edition] = [
            html_module.unescape(c) for c in re.findall(r'caption-text">([^<]*)<', sidebar)
        ]
    assert shown["en"] == english
    assert shown["zh"] == [chinese[c] for c in english]


def test_the_parameters_cell_comments_are_chinese_and_the_code_is_unchanged():
    source = (
        'data = "synthetic"  # "synthetic" or a path to your panel\n'
        'absorb = ["city_id", "year"]  # fixed effects of the two-way columns, e.g. add '
        '"province#year"\n'
        "seed = 1  # a comment no catalogue has"
    )
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": source}]}
    out = zh_glue.chinese_tables(nb)["cells"][0]["source"].split("\n")
    assert out[0] == 'data = "synthetic"  # "synthetic" 或你的面板文件路径'
    assert out[1].startswith('absorb = ["city_id", "year"]  # 双向固定效应各列的固定效应')
    assert out[2] == "seed = 1  # a comment no catalogue has"
    plain = {"cells": [{"cell_type": "code", "metadata": {}, "source": source}]}
    assert zh_glue.chinese_tables(plain)["cells"][0]["source"] == source


@needs_zh_build
@pytest.mark.parametrize("page", [p for p in ALL_PAGES if p.startswith("notebooks/")])
def test_parameter_comments_on_a_zh_page_are_chinese(page):
    zh = (ZH / f"{page}.html").read_text(encoding="utf-8")
    cell = zh.split("tag_parameters", 1)[1].split("</pre>", 1)[0] if "tag_parameters" in zh else ""
    comments = [html_module.unescape(c) for c in re.findall(r'<span class="c1">([^<]*)<', cell)]
    english = [c for c in comments if not re.search(r"[\u4e00-\u9fff]", c)]
    assert not english, english
