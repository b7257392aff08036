"""The Chinese site's own labels: the words around the content, not the content.

Loaded by the Chinese configuration only (``replicate.i18n.write_conf(chinese=True)``),
so the English site never runs it. What it puts in Chinese:

* **the sidebar's part captions** (``_toc.yml``'s ``caption:``). Sphinx translates a
  toctree caption through the page's catalogue in its ``Locale`` transform (priority 20),
  but ``sphinx_external_toc`` inserts the root page's toctrees later (``InsertToctrees``,
  priority 100), so they arrive untranslated. :class:`TranslateTocCaptions` runs after it
  and applies the same catalogue (``locales/zh_CN/LC_MESSAGES/book/preface.po``, which
  already holds the captions) the way Sphinx would (``toctree.apply_translated_message``).
* **myst-nb's prompts on hidden cells**: the configuration sets ``nb_code_prompt_show =
  '显示{type}'``; myst-nb fills ``{type}`` with an English word (``source``, ``output``,
  ``outputs``, ``content``), which :class:`ChinesePromptTypes` replaces (代码, 输出,
  代码与输出). The summary's hard-coded ``aria-label`` is written by :func:`visit_hidden`.
* **the theme's labels that are not in its catalogue, or are written into its templates
  without** ``_()`` (``title="Toggle primary sidebar"``, ``aria-label="Main"``): as each
  page is rendered, the values of the attributes in :data:`ATTRIBUTES` that the interface
  catalogue translates are replaced (:func:`translate_attributes`). The catalogue is ``book/_ext/locales/zh_CN/LC_MESSAGES/
  sphinx.po``, first in Sphinx's chain for the ``sphinx`` domain, so it also serves the
  labels that go through ``_()`` (``Color mode``, ``Link to this heading``, the footer's
  ``© Copyright``).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

PROMPT_TYPES = {"source": "代码", "output": "输出", "outputs": "输出", "content": "代码与输出"}
"""myst-nb's ``{type}`` words (``myst_nb.sphinx_.HideInputCells``) in Chinese."""
ATTRIBUTES = ("title", "aria-label", "data-bs-title", "placeholder")
HIDDEN_LABEL = "Toggle hidden content"


def is_chinese(app) -> bool:
    return (app.config.language or "en").lower().startswith("zh")


class TranslateTocCaptions(SphinxTransform):
    """Part captions of toctrees inserted after Sphinx's ``Locale`` transform, translated
    with the page's own catalogue."""

    default_priority = 101  # right after sphinx_external_toc.events.InsertToctrees (100)

    def apply(self, **kwargs) -> None:
        toctrees = [t for t in self.document.findall(addnodes.toctree) if t.get("rawcaption")]
        if not toctrees or not is_chinese(self.app):
            return
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [str(Path(self.env.srcdir, d)) for d in self.config.locale_dirs]
        catalogue, found = init_locale(dirs, self.config.language, domain)
        for toctree in toctrees if found else ():
            raw = toctree["rawcaption"]
            if (chinese := catalogue.gettext(raw)) != raw:
                toctree.apply_translated_message(raw, chinese)


def chinese_prompt(prompt: str) -> str:
    """``显示source`` → ``显示代码`` (the word myst-nb put in for ``{type}``)."""
    for english, chinese in PROMPT_TYPES.items():
        if prompt.endswith(english) and not prompt[: -len(english)].isascii():
            return prompt[: -len(english)] + chinese
    return prompt


class ChinesePromptTypes(SphinxPostTransform):
    """The prompts of hidden cells with their ``{type}`` word in Chinese."""

    default_priority = 200  # after myst_nb.sphinx_.HideInputCells (199) built them
    formats = ("html",)

    def run(self, **kwargs) -> None:
        if not is_chinese(self.app):
            return
        from myst_nb.sphinx_ import HideCodeCellNode

        for node in self.document.findall(HideCodeCellNode):
            for key in ("prompt_show", "prompt_hide"):
                node[key] = chinese_prompt(node[key])


def visit_hidden(self, node) -> None:
    """myst-nb's ``visit_HideCellInput`` with the summary's label through the catalogue."""
    from sphinx.locale import _

    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append(f'<summary aria-label="{html.escape(str(_(HIDDEN_LABEL)))}">\n')
    self.body.append(
        f'<p class="collapsed admonition-title">{html.escape(node["prompt_show"])}</p>\n'
    )
    self.body.append(
        f'<p class="expanded admonition-title">{html.escape(node["prompt_hide"])}</p>\n'
    )
    self.body.append("</summary>\n")


_ATTRIBUTE = re.compile(r"\b(" + "|".join(ATTRIBUTES) + r')="([^"<>]*)"')


def translate_attributes(markup: str, gettext) -> str:
    """Every listed attribute whose whole value the catalogue translates, in Chinese."""

    def one(match: re.Match) -> str:
        value = html.unescape(match.group(2))
        chinese = gettext(value) if value.strip() else value
        if chinese == value:
            return match.group(0)
        return f'{match.group(1)}="{html.escape(chinese)}"'

    return _ATTRIBUTE.sub(one, markup)


def _translate_rendered_pages(app) -> None:
    """Each page the HTML builder renders, with its template-written labels in Chinese
    (wraps the builder's template renderer, so a page is right when it is written, even
    if the build fails later)."""
    templates = getattr(app.builder, "templates", None)
    if templates is None or getattr(templates, "zh_chrome", False):
        return
    render, gettext = templates.render, app.translator.gettext

    def chinese_render(template: str, context: dict) -> str:
        return translate_attributes(render(template, context), gettext)

    templates.render, templates.zh_chrome = chinese_render, True


def _chinese_builder(app) -> None:
    if is_chinese(app):
        _translate_rendered_pages(app)
        from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

        app.add_node(HideCodeCellNode, override=True, html=(visit_hidden, depart_HideCellInput))


def setup(app):
    app.setup_extension("myst_nb")
    app.add_transform(TranslateTocCaptions)
    app.add_post_transform(ChinesePromptTypes)
    app.connect("builder-inited", _chinese_builder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
