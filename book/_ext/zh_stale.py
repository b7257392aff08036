"""The stale-translation check inside the Chinese render: a listed page with a paragraph
that has no Chinese translation fails the build.

``replicate.i18n.check`` answers the same question by re-extracting every English message
(a whole gettext build) and merging it into copies of the catalogues. Here it is a
by-product of the render that reads every page anyway: Sphinx's ``Locale`` transform marks
each translatable node ``translated`` or not as it swaps in the ``msgstr``; a node left
untranslated is a paragraph added or changed in English since the translation
(``sphinx-build`` compiles ``.po`` without fuzzy entries, so a fuzzy translation counts as
missing too). Counts are kept per page in the
environment (pickled, so a page not re-read keeps its count; a page re-reads whenever its
source or its catalogue changes), and when the build finishes every page of
``locales/translated.txt`` must have none; otherwise the build fails with the pages and
counts. Math and computed LaTeX tables need no translation
(:func:`replicate.i18n.needs_translation`).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.errors import SphinxError

ENV_KEY = "replicate_zh_untranslated"


class StaleTranslationError(SphinxError):
    category = "Chinese translations out of date"


def count_untranslated(app, doctree) -> None:
    """Per page: (messages needing translation, those left untranslated, examples).

    Runs on ``doctree-read``, after Sphinx's ``Locale`` transform marked every translatable
    node ``translated`` True or False and after the metadata collector removed the
    notebook's front matter, so it counts what the gettext builder extracts."""
    if not (app.config.language or "en").lower().startswith("zh"):
        return
    from replicate.i18n import needs_translation

    skipped = _other_outputs(app, doctree)
    total, missing = 0, []
    for node in doctree.findall(nodes.Element):
        if "translated" not in node.attributes or id(node) in skipped:
            continue
        text = node.rawsource or node.astext()
        if not needs_translation(text) or not re.search("[A-Za-z]", text):
            continue  # math, computed LaTeX, or no English word (练习, a generated title)
        total += 1
        if node["translated"] is False:
            missing.append(text)
    store = getattr(app.env, ENV_KEY, None)
    if store is None:
        store = {}
        setattr(app.env, ENV_KEY, store)
    store[app.env.docname] = (total, len(missing), missing[:3])


def _other_outputs(app, doctree) -> set[int]:
    """Nodes of the output alternatives a gettext extraction does not see: myst-nb keeps
    every mime type of an output until a post-transform picks one per builder; gettext
    picks LaTeX, then Markdown, then plain text (the HTML page shows ``text/html``)."""
    from myst_nb.core.render import get_mime_priority

    priority = get_mime_priority("gettext", app.config.nb_mime_priority_overrides)
    skipped: set[int] = set()
    for bundle in doctree.findall(nodes.container):
        if bundle.get("nb_element") != "mime_bundle":
            continue
        present = [c.get("mime_type") for c in bundle.children]
        chosen = next((m for m in priority if m in present), None)
        for child in bundle.children:
            if child.get("mime_type") != chosen:
                skipped.update(id(n) for n in child.findall(nodes.Element))
    return skipped


def listed_pages(config) -> list[str]:
    if config.zh_translated_pages is not None:
        return list(config.zh_translated_pages)
    from replicate.i18n import translated_pages

    return translated_pages()


def problems(env, pages: list[str]) -> list[str]:
    """One line per listed page that has untranslated messages (or was never read)."""
    store = getattr(env, ENV_KEY, {})
    lines = []
    for docname in pages:
        if docname not in store:
            lines.append(f"  {docname}: not read by the Chinese build")
            continue
        total, missing, examples = store[docname]
        if missing:
            shown = "; ".join(repr(e[:70]) for e in examples)
            lines.append(f"  {docname}.po: {missing} of {total} messages untranslated ({shown})")
    return lines


def purge(app, env, docname) -> None:
    getattr(env, ENV_KEY, {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    store = getattr(env, ENV_KEY, None)
    if store is None:
        store = {}
        setattr(env, ENV_KEY, store)
    store.update({d: v for d, v in getattr(other, ENV_KEY, {}).items() if d in docnames})


def check(app, exception) -> None:
    if exception is not None or not (app.config.language or "en").lower().startswith("zh"):
        return
    if app.builder.name not in ("html", "singlehtml", "dirhtml"):
        return
    found = problems(app.env, listed_pages(app.config))
    if found:
        raise StaleTranslationError(
            "pages listed in locales/translated.txt have paragraphs without a Chinese "
            "translation (run `python -m replicate.i18n update`, fill each msgstr, clear "
            "'fuzzy'):\n" + "\n".join(found)
        )


def setup(app):
    app.add_config_value("zh_translated_pages", None, "")
    app.connect("doctree-read", count_untranslated, priority=900)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("build-finished", check)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
