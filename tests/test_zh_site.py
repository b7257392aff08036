"""The Chinese edition in a real browser (headless Debian Chromium, Playwright).

Every page of the table of contents under ``/zh/``, at desktop and phone width: declared
``zh-CN``, no horizontal page scroll, no broken image; the language switch leads to the
same page in the other edition and back; CJK glyphs are drawn (screenshots of two
different characters differ, where missing glyphs would be identical boxes); the figures
are the Chinese drawings, not the English PNGs. The server is the session's
``site_url`` (``tests/conftest.py``: 127.0.0.1, a free port, shut down at the end).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from conftest import BOOK_ROOT

from replicate import book

pytestmark = pytest.mark.browser

PAGES = book.toc_files(BOOK_ROOT / "_toc.yml")
WIDTHS = {"1280px": {"width": 1280, "height": 900}, "390px": {"width": 390, "height": 844}}
SWITCH = "a.btn-language-switch-button"


@pytest.fixture(scope="module")
def zh_site(built_site):
    zh = built_site / "zh"
    if not (zh / "book" / "preface.html").exists():
        pytest.fail("no Chinese edition in _build/html/zh: run `make book`")
    return zh


def _open(browser, url: str, width: str):
    context = browser.new_context(viewport=WIDTHS[width], device_scale_factor=1)
    page = context.new_page()
    page.goto(url, wait_until="load")
    return context, page


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("entry", PAGES)
def test_zh_page_is_chinese_fits_the_width_and_loads_its_images(
    browser, site_url, zh_site, entry, width
):
    context, page = _open(browser, f"{site_url}/zh/{entry}.html", width)
    try:
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{entry} at {width}: the page scrolls sideways by {overflow}px"
        broken = page.evaluate(
            "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)"
        )
        assert not broken, broken
    finally:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("entry", ["book/preface", "notebooks/01_introduction"])
def test_language_switch_leads_to_the_same_page_and_back(browser, site_url, zh_site, entry, width):
    context, page = _open(browser, f"{site_url}/{entry}.html", width)
    try:
        assert page.evaluate("document.documentElement.lang") == "en"
        page.locator(SWITCH).first.click()  # 中文 (visible at both widths)
        page.wait_for_load_state("load")
        assert urlparse(page.url).path == f"/zh/{entry}.html"
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert len(context.pages) == 1, "the switch opened a second tab"
        page.locator(SWITCH).first.click()  # English
        page.wait_for_load_state("load")
        assert urlparse(page.url).path == f"/{entry}.html"
        assert page.evaluate("document.documentElement.lang") == "en"
    finally:
        context.close()


_GLYPHS = """(chars) => {
  const article = document.querySelector('article');
  return chars.map((ch, i) => {
    const span = document.createElement('span');
    span.id = 'glyph-' + i;
    span.textContent = ch;
    span.style.cssText = 'font-size:48px;line-height:1;display:inline-block;padding:2px';
    article.prepend(span);
    return span.id;
  });
}"""


@pytest.mark.parametrize("width", list(WIDTHS))
def test_cjk_glyphs_are_drawn_in_a_screenshot(browser, site_url, zh_site, width):
    """Screenshots of 新, 质 and 宽 in the page's own font differ from each other; a font
    without CJK glyphs draws the same box for each (and for the unassigned U+10FFFF)."""
    context, page = _open(browser, f"{site_url}/zh/notebooks/01_introduction.html", width)
    try:
        ids = page.evaluate(_GLYPHS, ["新", "质", "宽", "\U0010ffff"])
        shots = [page.locator(f"#{i}").screenshot() for i in ids]
        assert len({*shots[:3]}) == 3, "CJK characters render as identical boxes (tofu)"
        assert shots[3] not in shots[:3]
    finally:
        context.close()


FIGURE_PAGES = [p for p in PAGES if p.startswith("notebooks/")]


@pytest.mark.parametrize("entry", FIGURE_PAGES)
def test_figures_on_zh_pages_are_the_chinese_drawings(browser, site_url, zh_site, entry):
    """Each figure of a chapter on the Chinese page is another image than the English
    page's (its Chinese drawing), and has loaded."""
    images = {}
    for prefix in ("", "/zh"):
        context, page = _open(browser, f"{site_url}{prefix}/{entry}.html", "1280px")
        try:
            images[prefix] = page.evaluate(
                "Array.from(document.querySelectorAll('article figure img'))"
                ".map(i => [i.getAttribute('src').split('/').pop(), i.naturalWidth])"
            )
        finally:
            context.close()
    if entry.endswith("01_introduction"):
        assert images[""], "chapter 01 shows no figure"
    assert len(images["/zh"]) == len(images[""])
    for (zh, zh_width), (en, _) in zip(images["/zh"], images[""], strict=True):
        assert zh_width > 0
        assert zh != en, f"the Chinese page shows the English figure {en}"
    assert all(re.fullmatch(r"[0-9a-f]+\.png", name) for name, _ in images["/zh"])


def _captions(page) -> list[str]:
    return page.evaluate(
        "Array.from(document.querySelectorAll('.bd-sidebar-primary p.caption'))"
        ".map(p => p.innerText.trim())"
    )


def _toc_captions() -> list[str]:
    import yaml

    toc = yaml.safe_load((BOOK_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [part["caption"] for part in toc["parts"]]


def test_sidebar_part_captions_are_chinese_and_english_ones_unchanged(browser, site_url, zh_site):
    """The sidebar's part captions (``_toc.yml``) in Chinese on a Chinese page, one per part,
    and the English page's captions as ``_toc.yml`` writes them."""
    captions = {}
    for prefix in ("", "/zh"):
        context, page = _open(browser, f"{site_url}{prefix}/notebooks/05_baseline.html", "1280px")
        try:
            captions[prefix] = _captions(page)
        finally:
            context.close()
    assert captions[""] == _toc_captions()
    assert len(captions["/zh"]) == len(captions[""])
    english = [c for c in captions["/zh"] if not re.search(r"[\u4e00-\u9fff]", c)]
    assert not english, f"English part captions on the Chinese page: {english}"


_VISIBLE_ENGLISH = re.compile(
    r"Show code cell|Hide code cell|© Copyright|By The replication project|"
    r"Broadband China and new quality productive forces"
)


@pytest.mark.parametrize(
    "entry", ["notebooks/05_baseline", "notebooks/09_modern_did", "book/glossary"]
)
def test_zh_page_labels_are_chinese(browser, site_url, zh_site, entry):
    """What a reader sees around the content: the hidden-cell prompts, the footer, the
    book's title, the search box and the buttons' tooltips are Chinese; the English page
    keeps its English ones."""
    context, page = _open(browser, f"{site_url}/zh/{entry}.html", "1280px")
    try:
        text = page.evaluate("document.body.innerText")
        assert not _VISIBLE_ENGLISH.findall(text), _VISIBLE_ENGLISH.findall(text)
        if entry.startswith("notebooks/"):
            prompts = page.evaluate(
                "Array.from(document.querySelectorAll('details.hide summary p.collapsed'))"
                ".map(p => p.innerText.trim())"
            )
            assert prompts and set(prompts) <= {"显示代码", "显示输出", "显示代码与输出"}, prompts
        tips = page.evaluate(
            "Array.from(document.querySelectorAll('[title],[aria-label],[placeholder]'))"
            ".filter(e => !e.closest('article'))"
            ".flatMap(e => [e.title, e.getAttribute('aria-label'), e.placeholder])"
            ".filter(t => t && /[A-Za-z]{3}/.test(t) && !/[\u4e00-\u9fff]/.test(t))"
        )
        assert set(tips) <= {"English"}, f"English tooltips: {sorted(set(tips))}"
    finally:
        context.close()
    context, page = _open(browser, f"{site_url}/{entry}.html", "1280px")
    try:
        text = page.evaluate("document.body.innerText")
        assert "Broadband China and new quality productive forces" in text
        if entry.startswith("notebooks/"):
            assert "Show code cell source" in text
    finally:
        context.close()


def test_the_printed_panel_line_is_chinese_with_the_english_numbers(browser, site_url, zh_site):
    """Chapter 05's printed panel line, as the reader sees it once the hidden output is
    open: Chinese on the Chinese page, with the English page's numbers."""
    lines = {}
    for prefix in ("", "/zh"):
        context, page = _open(browser, f"{site_url}{prefix}/notebooks/05_baseline.html", "1280px")
        try:
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            lines[prefix] = page.evaluate(
                "Array.from(document.querySelectorAll('.cell_output .output.stream'))"
                ".map(o => o.innerText.trim())"
            )[0]
        finally:
            context.close()
    assert re.match(r"SYNTHETIC twin \(seed \d+\): .* cities × ", lines[""]), lines[""]
    assert re.match(r"合成孪生数据（种子 \d+）：.* 个城市 × ", lines["/zh"]), lines["/zh"]
    assert re.findall(r"\d[\d,.]*", lines["/zh"]) == re.findall(r"\d[\d,.]*", lines[""])
