"""English ↔ 中文: a header link on every page to the same page in the other edition.

The English site is ``_build/html/``, the Chinese one ``_build/html/zh/`` (same docnames),
so the link is relative and works offline: from English ``PAGE.html`` to
``<root>/zh/PAGE.html``, from Chinese back to ``<root>/../PAGE.html``. Also rewrites the
bilingual table labels' visibility through ``html[lang]`` (see ``custom.css``-free inline
style below) so one language shows per edition.
"""

from __future__ import annotations

SWITCH = "language-switch-button"

_STYLE = (
    "<style>html[lang|=zh] [lang=en].i18n{display:none}"
    "html:not([lang|=zh]) [lang=zh-CN].i18n{display:none}</style>"
    # the theme opens header links in a new tab; the other edition replaces this page
    "<script>document.addEventListener('DOMContentLoaded',()=>document.querySelectorAll("
    "'a.btn-language-switch-button').forEach(a=>a.removeAttribute('target')))</script>"
)


def is_chinese(app) -> bool:
    return (app.config.language or "en").lower().startswith("zh")


def other_edition(app, pagename: str, pathto) -> tuple[str, str, str]:
    """(url, text, lang) of the same page in the other edition, relative to this page."""
    if is_chinese(app):
        return pathto(f"../{pagename}.html", 1), "English", "en"
    return pathto(f"zh/{pagename}.html", 1), "中文", "zh-CN"


def add_switch(app, pagename, templatename, context, doctree) -> None:
    url, text, lang = other_edition(app, pagename, context["pathto"])
    context["language_switch_url"] = url
    groups = context.setdefault("header_buttons", [])
    if not any(b.get("label") == SWITCH for b in groups):
        groups.insert(
            0,
            {
                "type": "link",
                "url": url,
                "text": text,
                "tooltip": "English" if lang == "en" else "中文版",
                "icon": "fas fa-language",
                "label": SWITCH,
            },
        )
    context["metatags"] = context.get("metatags", "") + _STYLE


def setup(app):
    app.connect("html-page-context", add_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
