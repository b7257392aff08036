"""The classroom session's slides: reveal.js from the repository, shown in headless Chromium
with no request leaving 127.0.0.1; and in the built site, linked from the classroom guide."""

from __future__ import annotations

import functools
import http.server
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from replicate.classroom import slides


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.refs.append(values[name])


def _refs(page: Path) -> list[str]:
    parser = _Refs()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.refs


def _slide_count() -> int:
    lines = slides.SOURCE.read_text(encoding="utf-8").splitlines()
    return 1 + sum(line == "---" for line in lines)


def test_slides_reference_only_vendored_files(tmp_path):
    page = slides.build(tmp_path / "slides")
    refs = _refs(page)
    assert refs and not [r for r in refs if "//" in r]  # no CDN, no absolute URL
    assert all((page.parent / r).is_file() for r in refs)
    assert (page.parent / "reveal.js" / "LICENSE").read_text().startswith("Copyright")
    vendored = (page.parent / "reveal.js" / "reveal.js").read_text(encoding="utf-8")
    assert "6.0.2" in vendored  # the version VENDORED.md names


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


_GLYPHS = """(chars) => {
  const slide = document.querySelector('.slides section.present');
  return chars.map((ch, i) => {
    const span = document.createElement('span');
    span.id = 'glyph-' + i;
    span.textContent = ch;
    span.style.cssText = 'font-size:48px;line-height:1;display:inline-block;padding:2px';
    slide.prepend(span);
    return span.id;
  });
}"""


@pytest.mark.browser
@pytest.mark.parametrize(
    ("language", "first", "last"),
    [("en", "90-minute", "five steps"), ("zh", "90 分钟", "五个步骤")],
)
def test_slides_run_offline_in_chromium(tmp_path, browser, language, first, last):
    """Both languages' slides load offline, with their notes; the Chinese ones draw CJK
    glyphs (screenshots of three characters differ: a font without them draws boxes)."""
    page_file = slides.build(tmp_path / "slides", language=language)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(page_file.parent))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    outside, errors = [], []
    try:
        page = browser.new_page()
        page.on("request", lambda r: None if "127.0.0.1" in r.url else outside.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=20_000)
        assert page.evaluate("Reveal.getTotalSlides()") == _slide_count() == 9
        assert first in page.inner_text(".slides section.present")
        # speaker notes are attached, not shown on the slide
        assert page.locator("aside.notes").count() == _slide_count()
        assert page.evaluate("document.documentElement.lang") == (
            "zh-CN" if language == "zh" else "en"
        )
        if language == "zh":
            ids = page.evaluate(_GLYPHS, ["交", "错", "宽", "\U0010ffff"])
            shots = [page.locator(f"#{i}").screenshot() for i in ids]
            assert len({*shots[:3]}) == 3, "CJK characters render as identical boxes (tofu)"
            assert shots[3] not in shots[:3]
        page.evaluate("Reveal.slide(8)")
        assert last in page.inner_text(".slides section.present").lower()
        page.close()
    finally:
        server.shutdown()
    assert not outside and not errors, (outside, errors)


@pytest.mark.browser
def test_built_site_has_the_slides_linked_from_the_guide(built_site):
    guide = built_site / "book" / "classroom.html"
    links = [r for r in _refs(guide) if "slides/" in r]
    assert links, "the classroom guide does not link the slides"
    assert all((guide.parent / r.split("#")[0]).resolve().is_file() for r in links)
    # the Chinese guide's same link opens the Chinese slides
    guide_zh = built_site / "zh" / "book" / "classroom.html"
    if guide_zh.exists():
        links = [r for r in _refs(guide_zh) if "slides/" in r]
        assert links, "the Chinese classroom guide does not link the slides"
        for r in links:
            target = (guide_zh.parent / r.split("#")[0]).resolve()
            assert target.is_file() and 'lang="zh-CN"' in target.read_text(encoding="utf-8")
