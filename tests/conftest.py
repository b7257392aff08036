"""Shared fixtures: the built book (built once per session if absent) and a local server."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from replicate import book, paths


def pytest_collection_modifyitems(config, items):
    """Outside CI, skip browser tests when Debian's chromium is missing; in CI, fail them."""
    if Path("/usr/bin/chromium").exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(
        reason="/usr/bin/chromium missing: `apt-get install chromium` (CI installs it)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """``_build/html``, built by `replicate book` unless `make book` already built it."""
    index = paths.HTML_DIR / "index.html"
    missing = [s for s in book.book_notebooks() if not s.with_suffix(".ipynb").exists()]
    if not index.exists() or missing or not book.STATUS_PAGE.exists():
        book.build()
    return paths.HTML_DIR


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path):
    """Serve the built site on 127.0.0.1 (a free port) for the duration of the session."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
