"""Offer each chapter's percent-format ``.py`` beside its ``.ipynb`` in the download menu.

sphinx-book-theme's download button lists the page's source (for a chapter, the executed
``.ipynb``) and "print to PDF". This adds the chapter's jupytext percent source
(``notebooks/NAME.py``, the file the project commits and JupyterLab opens as a notebook)
to that menu, and copies it into ``_build/html/_sources/`` next to the ``.ipynb``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.locale import _

PY_BUTTON = "download-py-button"
TOOLTIP = "Download the percent-format source (opens as a notebook with jupytext)"


def percent_source(srcdir: str | Path, docname: str) -> Path | None:
    """The percent ``.py`` of a notebook page (``docname`` without extension), if any."""
    candidate = Path(srcdir) / f"{docname}.py"
    notebook = Path(srcdir) / f"{docname}.ipynb"
    return candidate if candidate.is_file() and notebook.is_file() else None


def add_py_button(app, pagename, templatename, context, doctree) -> None:
    """Insert a ``.py`` entry after the page's source in the theme's download group."""
    if percent_source(app.srcdir, pagename) is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = group["buttons"]
        if any(b.get("label") == PY_BUTTON for b in buttons):
            return
        after = next(
            (i + 1 for i, b in enumerate(buttons) if b.get("label") == "download-source-button"),
            len(buttons),
        )
        buttons.insert(
            after,
            {
                "type": "link",
                "url": f"{context['pathto']('_sources', 1)}/{pagename}.py",
                "text": ".py",
                "tooltip": str(_(TOOLTIP)),  # English, or the Chinese site's catalogue
                "icon": "fas fa-file-code",
                "label": PY_BUTTON,
            },
        )


def copy_sources(app, exception) -> None:
    """Copy every chapter's ``.py`` into ``_sources/`` of the HTML output."""
    if exception is not None or app.builder.format != "html":
        return
    for docname in sorted(app.env.found_docs):
        source = percent_source(app.srcdir, docname)
        if source is not None:
            target = Path(app.outdir) / "_sources" / f"{docname}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def setup(app):
    app.connect("html-page-context", add_py_button, priority=502)  # after the theme's 501
    app.connect("build-finished", copy_sources)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
