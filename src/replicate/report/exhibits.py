"""Every exhibit of the book as a file, as a replication package hands them over.

After papermill has executed the chapters, :func:`collect` reads the executed notebooks
and finds

- **tables**: every output of :func:`replicate.report.tables.show`, which carries the
  table as LaTeX and Markdown beside its HTML (``text/latex``, ``text/markdown``) and
  its CSV, caption and data label in the output's metadata (no renderer reads it);
- **figures**: every matplotlib figure, as PNG and PDF (``figures.use_style`` asks the
  inline backend for both; the site shows the PNG). A figure's name is the cross-reference
  name of its cell (``mystnb.figure.name``) when it has one.

:func:`write` saves them under ``_build/exhibits/CHAPTER/`` with a ``manifest.csv`` that
maps each paper exhibit to its file and chapter (the AEA Data Editor's template asks for
this mapping), and :func:`page` writes the book page that links to every file. Nothing
here computes a number: the files hold exactly what the chapters displayed.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from replicate import paths

EXHIBITS_DIR = paths.BUILD_DIR / "exhibits"
PAGE = paths.BOOK_DIR / "generated" / "exhibits.md"
METADATA_KEY = "replicate"
"""Key of the output metadata in which ``tables.show`` stores caption and data label."""

TABLE_FORMATS = {"text/latex": "tex", "text/markdown": "md"}
FIGURE_FORMATS = {"image/png": "png", "application/pdf": "pdf", "image/svg+xml": "svg"}
_PAPER_TABLE = re.compile(r"\bTable ([1-4])\b")


@dataclass(frozen=True)
class Exhibit:
    """One table or figure shown in a chapter, with its content in every format kept.

    Attributes
    ----------
    chapter : str
        The notebook's stem, e.g. ``"05_baseline"``.
    kind : {"table", "figure"}
    name : str
        File stem, unique within the chapter.
    caption : str
    paper_exhibit : str
        ``"Table 2"`` when the exhibit reproduces one of the paper's tables, else ``""``.
    data_label : str
        The data label shown with the exhibit (e.g. the synthetic-twin note), or ``""``.
    files : dict
        Extension → content (text for tables and SVG, bytes for PNG and PDF).
    """

    chapter: str
    kind: str
    name: str
    caption: str
    paper_exhibit: str
    data_label: str
    files: dict


def _slug(text: str) -> str:
    slug = re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower()
    return slug[:60] or "exhibit"


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _paper_exhibit(caption: str, declared: str = "") -> str:
    if declared:
        return declared
    match = _PAPER_TABLE.search(caption)
    return f"Table {match.group(1)}" if match and caption.lstrip().startswith("Table") else ""


def collect_notebook(path: Path) -> list[Exhibit]:
    """The exhibits of one executed notebook, in the order a reader meets them."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    chapter = Path(path).stem
    found: list[Exhibit] = []
    used: set[str] = set()

    def unique(stem: str) -> str:
        name, k = stem, 2
        while name in used:
            name, k = f"{stem}-{k}", k + 1
        used.add(name)
        return name

    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        figure_meta = cell.get("metadata", {}).get("mystnb", {}).get("figure", {})
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            meta = output.get("metadata", {}).get(METADATA_KEY, {})
            if "csv" in meta:
                caption = meta.get("caption", "")
                stem = meta.get("name") or _slug(caption) or "table"
                files = {"csv": meta["csv"]}
                files |= {ext: _text(data[m]) for m, ext in TABLE_FORMATS.items() if m in data}
                found.append(
                    Exhibit(
                        chapter,
                        "table",
                        unique(stem),
                        caption,
                        _paper_exhibit(caption, meta.get("paper_exhibit", "")),
                        meta.get("data_label", ""),
                        files,
                    )
                )
            elif "image/png" in data:
                caption = _text(figure_meta.get("caption", ""))
                stem = figure_meta.get("name") or f"figure-{len(used) + 1}"
                files = {}
                for mime, ext in FIGURE_FORMATS.items():
                    if mime in data:
                        raw = _text(data[mime])
                        files[ext] = raw if ext == "svg" else base64.b64decode(raw)
                found.append(Exhibit(chapter, "figure", unique(stem), caption, "", "", files))
    return found


def collect(notebooks: Iterable[Path]) -> list[Exhibit]:
    """The exhibits of several executed notebooks (missing notebooks are skipped)."""
    out: list[Exhibit] = []
    for path in notebooks:
        if Path(path).exists():
            out += collect_notebook(Path(path))
    return out


MANIFEST_COLUMNS = ("paper_exhibit", "chapter", "kind", "name", "file", "caption", "data_label")


def write(exhibits: Iterable[Exhibit], directory: Path = EXHIBITS_DIR) -> Path:
    """Write every exhibit's files and ``manifest.csv``; returns the manifest's path.

    The directory is emptied first, so it holds exactly the exhibits of this build.
    """
    exhibits = list(exhibits)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    rows = []
    for ex in exhibits:
        folder = directory / ex.chapter
        folder.mkdir(exist_ok=True)
        for ext, content in sorted(ex.files.items()):
            target = folder / f"{ex.name}.{ext}"
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
            rows.append(
                {
                    "paper_exhibit": ex.paper_exhibit,
                    "chapter": ex.chapter,
                    "kind": ex.kind,
                    "name": ex.name,
                    "file": f"{ex.chapter}/{target.name}",
                    "caption": ex.caption,
                    "data_label": ex.data_label,
                }
            )
    manifest = directory / "manifest.csv"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    manifest.write_text(buffer.getvalue(), encoding="utf-8")
    return manifest


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (no pipes, no line breaks, no emphasis)."""
    text = " ".join(text.split())
    for char in "\\|*_`[]<>":
        text = text.replace(char, "\\" + char)
    return text


def page(
    exhibits: Iterable[Exhibit],
    chapter_titles: dict[str, str] | None = None,
    pdf: str | None = None,
    target: Path = PAGE,
    directory: Path = EXHIBITS_DIR,
) -> Path:
    """Write the book page that lists every exhibit with download links to its files.

    ``pdf`` is the site-relative address of the whole book as one PDF, when one was made.
    """
    titles = chapter_titles or {}
    lines = [
        "(exhibits)=",
        "# Exhibits as files",
        "",
        "Every table and figure of this book, as files: tables in CSV, LaTeX and Markdown,",
        "figures in PNG and PDF, written by the build into `_build/exhibits/` with a",
        "manifest that maps each of the paper's tables to its file and chapter.",
        "Exhibits computed on the synthetic twin carry its label in their notes.",
        "",
        "{download}`manifest.csv </_build/exhibits/manifest.csv>`",
        "",
    ]
    if pdf:
        lines += [f'The whole book as one PDF: <a href="{pdf}">book.pdf</a>.', ""]
    lines += ["| chapter | exhibit | paper | files |", "| --- | --- | --- | --- |"]
    rel = directory.relative_to(paths.ROOT)
    for ex in exhibits:
        links = " · ".join(
            f"{{download}}`{ext} </{rel}/{ex.chapter}/{ex.name}.{ext}>`" for ext in sorted(ex.files)
        )
        title = titles.get(ex.chapter, ex.chapter)
        label = _cell(ex.caption) or _cell(ex.name)
        lines.append(
            f"| {_cell(title)} | {ex.kind}: {label} | {ex.paper_exhibit or '—'} | {links} |"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
