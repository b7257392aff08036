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


@pytest.mark.browser
def test_slides_run_offline_in_chromium(tmp_path, browser):
    page_file = slides.build(tmp_path / "slides")
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
        assert "90-minute" in page.inner_text(".slides section.present")
        # speaker notes are attached, not shown on the slide
        assert page.locator("aside.notes").count() == _slide_count()
        page.evaluate("Reveal.slide(8)")
        assert "five steps" in page.inner_text(".slides section.present").lower()
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
