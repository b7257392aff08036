"""Every internal link of the built site points at a page and an anchor that exist."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

pytestmark = pytest.mark.browser  # needs the built site (built once per session by the fixture)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])
        if tag in ("link", "script", "img") and (values.get("href") or values.get("src")):
            self.hrefs.append(values.get("href") or values.get("src"))


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def test_no_broken_internal_links(built_site):
    pages = [
        p
        for p in built_site.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts
    ]
    parsed = {p.resolve(): _parse(p) for p in pages}
    broken = []
    checked = 0
    for page, collector in parsed.items():
        for href in collector.hrefs:
            url = urlparse(href)
            if url.scheme or href.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(built_site.resolve())}: {href} (no such file)")
                continue
            if url.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(url.fragment) not in ids:
                    broken.append(
                        f"{page.relative_to(built_site.resolve())}: {href} (no such anchor)"
                    )
    assert checked > 500
    assert not broken, "broken links:\n" + "\n".join(broken[:40])
