"""The rendered book in a real browser: headless Debian Chromium driven by Playwright.

Every page of the table of contents must load from localhost only, typeset its math with
the vendored MathJax, load every image, and leave a screenshot in ``_build/screenshots``.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from replicate import book, paths

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = [entry for entry in book.toc_files()]
SCREENSHOTS = paths.BUILD_DIR / "screenshots"
PHONE = {"width": 390, "height": 844}


def _expected(entry: str, needle: str) -> int:
    """How many figures (or rendered tables) the page's notebook source asks for."""
    source = paths.ROOT / f"{entry}.py"
    return source.read_text(encoding="utf-8").count(needle) if source.exists() else 0


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _visit(page, url):
    requests, failures = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failures.append(r.url))
    page.on(
        "response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.goto(url, wait_until="networkidle")
    return requests, failures


@pytest.mark.parametrize("entry", PAGES)
def test_page_loads_offline_with_math_and_images(page, site_url, entry):
    requests, failures = _visit(page, f"{site_url}/{entry}.html")
    foreign = [u for u in requests if urlparse(u).hostname not in ("127.0.0.1", None)]
    assert not foreign, f"{entry} requested other hosts: {foreign}"
    assert not failures, f"{entry} had failed requests: {failures}"
    assert page.locator("article h1").count() >= 1, f"{entry} has no title"

    n_math = page.locator("div.math, span.math").count()
    if n_math:
        page.wait_for_function(
            "document.querySelectorAll('mjx-container').length >= "
            "document.querySelectorAll('div.math, span.math').length",
            timeout=20_000,
        )
        assert page.locator("mjx-container svg").count() >= n_math
        assert page.locator("mjx-merror").count() == 0, f"{entry}: MathJax reported an error"

    broken = page.evaluate(
        "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert not broken, f"{entry}: images did not load: {broken}"
    figures = page.locator("figure img")
    assert figures.count() == _expected(entry, '"figure":'), f"{entry}: figures missing"
    alts = figures.evaluate_all("els => els.map(e => e.getAttribute('alt') || '')")
    assert all(len(a) > 20 for a in alts), f"{entry}: figure without alt text"
    assert page.locator("table.replication").count() >= _expected(entry, "tables.show("), (
        f"{entry}: tables missing"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{entry.replace('/', '__')}.png"), full_page=True)


@pytest.mark.parametrize("entry", PAGES)
def test_page_fits_a_phone_without_horizontal_scrolling(browser, site_url, entry):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto(f"{site_url}/{entry}.html", wait_until="networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (
            f"{entry}: the page scrolls sideways by {overflow}px at {PHONE['width']}px"
        )
        (SCREENSHOTS / "phone").mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / "phone" / f"{entry.replace('/', '__')}.png"), full_page=False
        )
    finally:
        context.close()


def test_introduction_shows_equation_and_numbered_figure(page, site_url):
    _visit(page, f"{site_url}/notebooks/01_introduction.html")
    page.wait_for_selector("mjx-container", timeout=20_000)
    assert page.locator("figure#fig-pilot-timeline img").count() == 1
    caption = page.locator("figure#fig-pilot-timeline figcaption").inner_text()
    assert caption.startswith("Fig. 1.1"), caption
    # The cross-reference in the text resolves to the same number as the caption.
    reference = page.locator("a.reference.internal[href='#fig-pilot-timeline']").first.inner_text()
    assert reference == "Fig. 1.1", reference


def test_search_finds_a_word_from_a_chapter(page, site_url):
    _visit(page, f"{site_url}/search.html?q=staggered")
    page.wait_for_selector("ul.search li", timeout=20_000)
    hits = page.locator("ul.search li a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert any("01_introduction" in h for h in hits), hits


def test_status_page_lists_every_notebook(page, site_url):
    _visit(page, f"{site_url}/book/generated/status.html")
    text = page.locator("article").inner_text()
    for source in book.book_notebooks():
        assert source.stem in text
    assert "failed" not in text
