"""In the Chinese edition, a glued value ``NAME`` is shown in its Chinese form ``NAME__zh``.

Chapters glue bilingual values with :func:`replicate.i18n.glue` (``NAME`` in English,
``NAME__zh`` in Chinese, built from the same number). In a ``zh`` build, this extension
rewrites each executed notebook as Sphinx reads it (``source-read``): every glue output
named ``NAME__zh`` takes the name ``NAME`` and the English ``NAME`` output is dropped, so
``{glue:text}`NAME``` in the translated paragraph resolves to the Chinese form. Values
without a ``__zh`` twin (plain numbers) are shown as they are in English. The English build
never loads this extension, so its pages are unchanged.
"""

from __future__ import annotations

import json

SUFFIX = "__zh"


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


def rewrite(app, docname, source) -> None:
    if not (app.config.language or "en").lower().startswith("zh"):
        return
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        notebook = json.loads(source[0])
    except ValueError:
        return
    source[0] = json.dumps(chinese_glue(notebook), ensure_ascii=False)


def setup(app):
    app.connect("source-read", rewrite)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
