"""Exhibits as files: found in executed notebooks, written with a manifest, listed on a page."""

from __future__ import annotations

import base64
import csv
import io
import json
import tempfile
from pathlib import Path

import pandas as pd
from IPython.core.formatters import DisplayFormatter

from replicate.report import exhibits, tables

PNG = b"\x89PNG\r\n\x1a\nfake"
PDF = b"%PDF-1.4 fake"


def _notebook(tmp_path, name="05_baseline"):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Baseline"]},
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [
                {
                    "output_type": "display_data",
                    "data": {
                        "text/html": "<table></table>",
                        "text/latex": "\\begin{table}\\end{table}\n",
                        "text/markdown": "| a | b |\n",
                    },
                    "metadata": {
                        "replicate": {
                            "caption": "Table 2 — baseline | ours beside the paper",
                            "data_label": "SYNTHETIC twin (seed 1)",
                            "csv": "a,b\n1,2\n",
                        }
                    },
                }
            ],
            "source": [],
        },
        {
            "cell_type": "code",
            "metadata": {"mystnb": {"figure": {"name": "fig-did", "caption": "did by column"}}},
            "outputs": [
                {
                    "output_type": "display_data",
                    "data": {
                        "image/png": base64.b64encode(PNG).decode(),
                        "application/pdf": base64.b64encode(PDF).decode(),
                        "text/plain": "<Figure>",
                    },
                    "metadata": {},
                },
                {"output_type": "stream", "name": "stdout", "text": ["hello"]},
            ],
            "source": [],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [
                {
                    "output_type": "display_data",
                    "data": {"image/png": base64.b64encode(PNG).decode()},
                    "metadata": {},
                }
            ],
            "source": [],
        },
    ]
    path = tmp_path / f"{name}.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}), "utf-8")
    return path


def test_collect_finds_tables_and_figures_with_their_formats(tmp_path):
    found = exhibits.collect([_notebook(tmp_path), tmp_path / "missing.ipynb"])
    assert [(e.kind, e.name) for e in found] == [
        ("table", "table-2-baseline-ours-beside-the-paper"),
        ("figure", "fig-did"),
        ("figure", "figure-3"),
    ]
    table, figure, unnamed = found
    assert table.paper_exhibit == "Table 2"
    assert table.data_label == "SYNTHETIC twin (seed 1)"
    assert table.files == {
        "csv": "a,b\n1,2\n",
        "tex": "\\begin{table}\\end{table}\n",
        "md": "| a | b |\n",
    }
    assert figure.files == {"png": PNG, "pdf": PDF}
    assert figure.caption == "did by column" and figure.paper_exhibit == ""
    assert set(unnamed.files) == {"png"}


def test_write_saves_bytes_exactly_and_a_manifest(tmp_path):
    found = exhibits.collect([_notebook(tmp_path)])
    out = tmp_path / "exhibits"
    (out / "stale").mkdir(parents=True)  # files from an earlier build are removed
    manifest = exhibits.write(found, out)
    assert not (out / "stale").exists()
    assert (out / "05_baseline" / "fig-did.png").read_bytes() == PNG
    assert (out / "05_baseline" / "fig-did.pdf").read_bytes() == PDF
    assert (
        out / "05_baseline" / "table-2-baseline-ours-beside-the-paper.csv"
    ).read_text() == "a,b\n1,2\n"
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    assert len(rows) == 3 + 2 + 1  # three table formats, two figure formats, one PNG
    assert {r["paper_exhibit"] for r in rows if r["kind"] == "table"} == {"Table 2"}
    first = manifest.read_bytes()
    exhibits.write(found, out)
    assert manifest.read_bytes() == first  # deterministic


def test_page_links_every_file_and_escapes_captions(tmp_path, monkeypatch):
    monkeypatch.setattr(exhibits.paths, "ROOT", tmp_path)
    found = exhibits.collect([_notebook(tmp_path)])
    target = exhibits.page(
        found,
        {"05_baseline": "Baseline"},
        pdf="book.pdf",
        target=tmp_path / "exhibits.md",
        directory=tmp_path / "_build" / "exhibits",
    )
    text = target.read_text(encoding="utf-8")
    assert text.count("{download}") == 1 + 3 + 2 + 1  # manifest + every file
    assert "</_build/exhibits/05_baseline/fig-did.pdf>" in text
    assert "baseline \\| ours" in text  # a pipe in a caption cannot break the table
    assert 'href="book.pdf"' in text


def test_a_shown_table_carries_every_exhibit_format_and_its_label():
    frame = pd.DataFrame({"ours": [0.1234, 5130]}, index=pd.Index(["did", "N"], name="row"))
    data, meta = DisplayFormatter().format(tables.show(frame, "Table 2 — test", synthetic=True))
    assert {"text/html", "text/markdown", "text/latex"} <= set(data)
    assert "text/csv" not in data  # an unknown mime type would be a Sphinx warning
    assert meta["replicate"]["caption"] == "Table 2 — test"
    assert meta["replicate"]["data_label"] == tables.SYNTHETIC_NOTE
    assert pd.read_csv(io.StringIO(meta["replicate"]["csv"]))["data"].eq("SYNTHETIC").all()
    output = {"output_type": "display_data", "data": data, "metadata": meta}
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [output]}]}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "05_baseline.ipynb"
        path.write_text(json.dumps(notebook), encoding="utf-8")
        (found,) = exhibits.collect([path])
    assert found.paper_exhibit == "Table 2"
    assert found.files["csv"] == meta["replicate"]["csv"]


def test_labelled_tables_and_figures_carry_the_panels_label():
    import matplotlib

    matplotlib.use("Agg")
    from replicate.data import synthetic
    from replicate.report import figures

    twin = synthetic.make_twin(seed=3).panel()
    frame = pd.DataFrame({"estimate": [0.1]}, index=["did"])
    out = tables.labelled(frame, twin)
    assert frame.attrs == {}  # the input is not modified
    assert out.attrs["synthetic"] is True
    assert twin.marker in out.attrs["notes"]
    assert tables.SYNTHETIC_NOTE in tables.render(out, "md")
    unverified = type("R", (), {"data_label": "mypanel.csv (origin unverified)"})()
    plain = tables.labelled(frame, unverified)
    assert plain.attrs["synthetic"] is False
    assert "mypanel.csv (origin unverified)" in tables.render(plain, "html")
    fig = figures.label(matplotlib.pyplot.figure(), twin)
    assert any("SYNTHETIC" in t.get_text() for t in fig.texts)
    fig = figures.label(matplotlib.pyplot.figure(), unverified)
    assert any("origin unverified" in t.get_text() for t in fig.texts)


def test_calendar_years_print_without_thousands_separators():
    """A column of years (``first_year``, ``cohort``) prints 2015, not 2,015, in every format;
    counts beside it keep their separators (chapter 12's made-up pilot list showed 2,012)."""
    frame = pd.DataFrame(
        {"first_year": [2012, 2015.0], "cohort": [0, 2016], "rows": [5130, 12]},
        index=pd.Index(["hegang", "ningbo"], name="city"),
    )
    for fmt in ("md", "csv", "html", "latex"):
        text = tables.render(frame, fmt, caption="Pilots")
        assert "2012" in text and "2015" in text and "2016" in text, fmt
        assert "2,01" not in text, fmt
        assert "5,130" in text, fmt
