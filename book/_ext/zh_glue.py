"""In the Chinese edition, a glued value ``NAME`` is shown in its Chinese form ``NAME__zh``,
and glue roles inside translated paragraphs resolve.

Chapters glue bilingual values with :func:`replicate.i18n.glue` (``NAME`` in English,
``NAME__zh`` in Chinese, built from the same number). In a ``zh`` build, this extension
rewrites each executed notebook as Sphinx reads it (``source-read``): every glue output
named ``NAME__zh`` takes the name ``NAME`` and the English ``NAME`` output is dropped, so
``{glue:text}`NAME``` in the translated paragraph resolves to the Chinese form. Values
without a ``__zh`` twin (plain numbers) are shown as they are in English. In the English
build this extension only removes the Chinese figure PNGs (``figures_zh``) from the outputs,
so English pages are unchanged. Rendered tables get Chinese
captions, headers, row labels and notes the same way (:func:`chinese_tables`).

Why glue needs help in translated text: Sphinx's ``Locale`` transform parses each msgstr
as a *new* small document (``sphinx.transforms.i18n.publish_msgstr``; myst-nb's parser
treats a ``<translated>`` source as plain MyST). myst-nb's ``{glue:text}`` role looks its
value up in ``document["nb_renderer"]``, which only the notebook's own document carries,
and only while the notebook is being parsed; in the msgstr document the lookup fails, the
role returns no node and the value vanishes (``试点名单分三批（）``). So the glue values
of the page being read are kept here (``source-read``, in ``env.temp_data``, which Sphinx
clears after each document), and the ``glue:text`` role, when it has no notebook renderer
to ask, formats the same ``text/plain`` data with myst-nb's own ``format_plain_text``.
"""

from __future__ import annotations

import json

from docutils import nodes

SUFFIX = "__zh"
TEMP_KEY = "replicate_glue_data"
GLUE_PREFIX = "application/papermill.record/"
ZH_PNG = "application/vnd.replicate.zh+png"  # replicate.report.figures_zh.ZH_MIME


def _name(output: dict) -> str | None:
    return output.get("metadata", {}).get("scrapbook", {}).get("name")


def chinese_glue(notebook: dict) -> dict:
    """The notebook with every ``NAME__zh`` glue output standing in for ``NAME``."""
    outputs = [o for c in notebook.get("cells", []) for o in c.get("outputs", [])]
    twins = {n[: -len(SUFFIX)] for o in outputs if (n := _name(o)) and n.endswith(SUFFIX)}
    for cell in notebook.get("cells", []):
        kept = []
        for output in cell.get("outputs", []):
            name = _name(output)
            if name in twins:
                continue
            if name and name.endswith(SUFFIX) and name[: -len(SUFFIX)] in twins:
                output["metadata"]["scrapbook"]["name"] = name[: -len(SUFFIX)]
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    return notebook


def chinese_tables(notebook: dict) -> dict:
    """The notebook with every figure's Chinese PNG in place of the English one
    (``replicate.report.figures_zh``) and every rendered table's caption, headers, row
    labels and notes in Chinese (:func:`replicate.i18n.translate_tables`, catalogue ``locales/zh_CN/tables.po``),
    and every printed line that has a Chinese form (:func:`replicate.i18n.translate_output_text`:
    the panel line, data labels), each figure's ``alt`` text and each parameter's comment
    (:func:`chinese_comments`) that the table catalogue holds; the numbers are the English
    outputs' own."""
    from replicate import i18n

    catalogue = i18n.table_catalogue()
    for cell in notebook.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = chinese_comments(_joined(cell.get("source", "")), catalogue)
        image = cell.get("metadata", {}).get("mystnb", {}).get("image", {})
        if image.get("alt") in catalogue:  # a figure's text for screen readers
            image["alt"] = catalogue[image["alt"]]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                output["text"] = i18n.translate_output_text(_joined(output["text"]), catalogue)
                continue
            data = output.get("data", {})
            chinese_png = data.pop(ZH_PNG, None)  # a figure drawn again in Chinese
            if chinese_png is not None:
                data["image/png"] = chinese_png
            if set(data) == {"text/plain"} and not _name(output):  # a printed value
                data["text/plain"] = i18n.translate_output_text(
                    _joined(data["text/plain"]), catalogue
                )
            markup = data.get("text/html")
            if markup is None:
                continue
            data["text/html"] = i18n.translate_tables(_joined(markup), catalogue)
    return notebook


def chinese_comments(source: str, catalogue: dict[str, str]) -> str:
    """A chapter's parameters cell with each line's ``  # meaning`` in Chinese where the
    table catalogue has it (the same meanings the Specifications page lists); the code
    itself, and every comment without a Chinese form, is left as it is."""
    lines = []
    for line in source.split("\n"):
        code, mark, comment = (
            ("", "# ", line[2:]) if line.startswith("# ") else line.partition("  # ")
        )
        chinese = catalogue.get(comment.strip()) if mark else None
        lines.append(f"{code}{mark}{chinese}" if chinese else line)
    return "\n".join(lines)


def _joined(text: str | list[str]) -> str:
    """nbformat's JSON may split a string into a list of lines."""
    return "".join(text) if isinstance(text, list) else text


def glue_data(notebook: dict) -> dict[str, dict]:
    """``{name: mime bundle}`` of the notebook's glue outputs, the mime prefix removed, as
    myst-nb's ``extract_glue_data_cell`` stores them (the last output of a name wins)."""
    found = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type", "code") != "code":
            continue
        for output in cell.get("outputs", []):
            name = _name(output)
            if not name:
                continue
            prefix = len(output["metadata"]["scrapbook"].get("mime_prefix", ""))
            data = output.get("data", {})
            # nbformat's JSON may split a string into a list of lines
            found[name] = {
                k[prefix:]: "".join(v) if isinstance(v, list) else v for k, v in data.items()
            }
    return found


def is_chinese(app) -> bool:
    return (app.config.language or "en").lower().startswith("zh")


def without_chinese_figures(notebook: dict) -> dict:
    """The English edition: every figure output without its Chinese PNG."""
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(ZH_PNG, None)
    return notebook


def rewrite(app, docname, source) -> None:
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    chinese = is_chinese(app)
    if not chinese and ZH_PNG not in source[0]:
        return  # an English page with nothing to change
    try:
        notebook = json.loads(source[0])
    except ValueError:
        return
    if chinese:
        notebook = chinese_tables(chinese_glue(notebook))
        app.env.temp_data[TEMP_KEY] = glue_data(notebook)
    else:
        notebook = without_chinese_figures(notebook)
    source[0] = json.dumps(notebook, ensure_ascii=False, indent=1)


def _text_role_class():
    from myst_nb.core.variables import format_plain_text
    from myst_nb.ext.glue.roles import PasteTextRole

    class TranslatedPasteTextRole(PasteTextRole):
        """myst-nb's ``{glue:text}`` role, which also resolves in a translated msgstr (no
        notebook renderer there) from the values :func:`rewrite` kept for this page."""

        def run(self):
            env = getattr(self.document.settings, "env", None)
            kept = env.temp_data.get(TEMP_KEY) if env is not None else None
            if "nb_renderer" in self.document or kept is None or "::" in self.text:
                return super().run()
            key, _, fmt_spec = (
                self.text.rpartition(":") if ":" in self.text else (self.text, "", "")
            )
            data = kept.get(key)
            if data is None or "text/plain" not in data:
                message = f"glue key {key!r} has no text/plain value on this page"
                return [], [self.inliner.reporter.warning(message, line=self.line)]
            text = format_plain_text(data["text/plain"], fmt_spec or "s")
            node = nodes.inline(text, text, classes=["pasted-text"])
            self.set_source_info(node)
            return [node], []

    return TranslatedPasteTextRole


def fingerprint() -> str:
    """A digest of the zh extensions, ``replicate.i18n``, the table catalogue and the
    interface catalogue: a Sphinx config value that changes with them, so the Chinese
    render re-reads (and rewrites) every page when one of them changes."""
    import hashlib
    from pathlib import Path

    from replicate import i18n

    here = Path(__file__)
    digest = hashlib.sha256(
        here.read_bytes()
        + here.with_name("zh_stale.py").read_bytes()
        + here.with_name("zh_chrome.py").read_bytes()
        + Path(i18n.__file__).read_bytes()
    )
    interface = i18n.CHROME_LOCALES / i18n.LANGUAGE / "LC_MESSAGES" / "sphinx.po"
    for catalogue in (i18n.TABLE_CATALOGUE, interface):
        if catalogue.exists():
            digest.update(catalogue.read_bytes())
    return digest.hexdigest()[:16]


def _fingerprint_chinese_build(app, config) -> None:
    if is_chinese(app):  # the English pages never depend on the catalogues
        config.zh_glue_fingerprint = fingerprint()


def setup(app):
    app.setup_extension("myst_nb")
    app.add_config_value("zh_glue_fingerprint", "", "env")
    app.connect("config-inited", _fingerprint_chinese_build)
    app.connect("source-read", rewrite)
    app.add_role_to_domain("glue", "text", _text_role_class()(), override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
