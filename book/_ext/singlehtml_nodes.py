"""Let Sphinx's single-page HTML builder render every node the HTML builder can.

Sphinx looks up a node's visitors under the builder's name first ("singlehtml") and only
falls back to its format ("html") when no extension registered anything under that name.
Once one does, nodes registered for "html" alone — myst-nb's folded-cell node
``HideCodeCellNode``, for one — raise ``NotImplementedError`` in the single-page build
that ``replicate book`` prints to PDF. This copies the missing "html" visitors across.
"""

from __future__ import annotations


def _copy_html_visitors(app) -> None:
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


def setup(app):
    app.connect("builder-inited", _copy_html_visitors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
