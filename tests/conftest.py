"""Shared fixtures: the built book (built once per session if absent), a local server, one
headless browser per session, and the expensive data objects several modules use.

``REPLICATE_BOOK_ROOT`` points the site tests at another checkout that has already been
built (for instance a ``git worktree`` built with ``book.build()``): its ``_build/html`` is
served and its ``_toc.yml`` and notebook sources say what the pages should contain. Without
it the tests use this checkout and build the book once if it is missing.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from replicate import book, paths

BOOK_ROOT = Path(os.environ.get("REPLICATE_BOOK_ROOT", paths.ROOT)).resolve()
"""The checkout whose built site the browser tests read (default: this one)."""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = list(book.CHROMIUM_OFFLINE_FLAGS)


def pytest_collection_modifyitems(config, items):
    """Outside CI, skip browser tests when Debian's chromium is missing; in CI, fail them."""
    if Path(CHROMIUM).exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(
        reason="/usr/bin/chromium missing: `apt-get install chromium` (CI installs it)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """``_build/html`` of :data:`BOOK_ROOT`; built by `replicate book` here if it is missing."""
    if BOOK_ROOT != paths.ROOT.resolve():
        site = BOOK_ROOT / "_build" / "html"
        if not (site / "index.html").exists():
            pytest.fail(f"REPLICATE_BOOK_ROOT={BOOK_ROOT} has no built site in {site}.")
        return site
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


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session (Playwright)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


# ----------------------------------------------------------------- shared data (session)
# Building the default twin, validating it and fitting Table 2 are the costliest set-ups of
# the unit tests; each is done once per session. Tests must not modify these objects (a
# Panel's frame is returned as is: copy it before changing it).


@pytest.fixture(scope="session")
def default_twin():
    """The book's default synthetic twin (``synthetic.make_twin()``)."""
    from replicate.data import synthetic

    return synthetic.make_twin()


@pytest.fixture(scope="session")
def default_panel(default_twin):
    """The default twin as a validated Panel (what ``load_panel()`` returns)."""
    return default_twin.panel()


@pytest.fixture(scope="session")
def default_table2(default_panel):
    """Table 2 fitted on the default twin with the book's defaults."""
    from replicate import replication

    return replication.estimate(2, default_panel)
