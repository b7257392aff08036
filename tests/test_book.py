"""The build road: table of contents, notebook execution with parameters, failures named."""

from __future__ import annotations

import json
import re

import pytest

from replicate import book, cli, paths


def test_toc_lists_existing_notebooks_in_order():
    sources = book.book_notebooks()
    assert sources[0].name == "01_introduction.py"
    assert [s.name for s in sources] == sorted(s.name for s in sources)
    assert all(s.exists() for s in sources)


def test_every_notebook_has_a_parameters_cell_with_data():
    import jupytext

    for source in sorted(paths.NOTEBOOKS_DIR.glob("*.py")):
        cells = jupytext.read(source).cells
        tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, source.name
        assert "data = " in tagged[0].source, source.name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("05", "05_baseline.py"),
        ("05_baseline", "05_baseline.py"),
        ("05_baseline.ipynb", "05_baseline.py"),
    ],
)
def test_notebooks_resolve_by_number_or_name(name, expected):
    assert book.resolve_notebook(name).name == expected


def test_unknown_notebook_lists_the_choices():
    with pytest.raises(book.BuildError, match="the notebooks are: 01_introduction"):
        book.resolve_notebook("99")


def _outputs(notebook) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    return "\n".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for c in cells
        for o in c.get("outputs", [])
    )


def test_run_with_another_parameter_changes_the_output(capsys):
    assert cli.main(["run", "01", "-p", "reading", "ignore"]) == 0
    target = paths.EXECUTED_DIR / "01_introduction.ipynb"
    assert "_build/executed/01_introduction.ipynb" in capsys.readouterr().out
    text = _outputs(target)
    assert "ignore" in text and "108" in text and "0.1688" in text  # the 'ignore' reading's counts


def test_a_failing_cell_is_named(tmp_path):
    source = tmp_path / "broken.py"
    source.write_text(
        '# %% tags=["parameters"]\ndata = "synthetic"\n\n# %%\nx = 1\n\n# %%\nraise ValueError("boom")\n'
    )
    run = book.execute(source, tmp_path / "broken.ipynb")
    assert not run.ok
    assert "broken.py failed in cell" in run.error and "ValueError: boom" in run.error


def test_parameter_values_are_read_as_the_declared_type():
    declared = {
        "controls": book.Parameter("controls", '["fdi"]', ["fdi"], ""),
        "alpha": book.Parameter("alpha", "0.1", 0.1, ""),
        "draws": book.Parameter("draws", "100", 100, ""),
        "show": book.Parameter("show", "False", False, ""),
        "reading": book.Parameter("reading", '"parent"', "parent", ""),
    }
    parse = lambda name, text: book.parse_parameter("nb", declared[name], text)  # noqa: E731
    assert parse("controls", "fdi, hum") == parse("controls", "[fdi, hum]") == ["fdi", "hum"]
    assert parse("alpha", "0.05") == 0.05 and parse("draws", "250") == 250
    assert parse("show", "true") is True and parse("reading", "ignore") == "ignore"
    with pytest.raises(book.BuildError, match="must be a whole number"):
        parse("draws", "2.5")


def _table_html(notebook, caption: str) -> str:
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", ""))
            if caption in html:
                return html
    raise AssertionError(f"no table captioned {caption!r} in {notebook}")


def _row(html: str, label: str) -> list[str]:
    row = re.search(rf"<tr><td>{label}</td>(.*?)</tr>", html).group(1)
    return re.findall(r"<td[^>]*>([^<]*)</td>", row)


def test_baseline_with_other_controls_changes_the_table():
    """`replicate run 05 -p controls [hum]` re-estimates Table 2 with one control."""
    assert cli.main(["run", "05", "-p", "controls", "[hum]", "-p", "cov_type", "robust"]) == 0
    html = _table_html(paths.EXECUTED_DIR / "05_baseline.ipynb", "Table 2. Baseline")
    assert "heteroskedasticity-robust" in html
    assert _row(html, "N") == ["5,130", "5,130"]  # (1) did alone, (2) did + hum: two columns
    assert "<td>fdi</td>" not in html  # fdi is no longer a control
    assert "not compared: published column(s) (2)" in html  # (2) is did + fdi in the paper


def test_every_parameter_is_explained():
    """The 'Try another specification' page lists these; each needs its meaning."""
    table = book.notebook_parameters()
    assert len(table) >= 40
    missing = table.loc[table["meaning"] == "", ["notebook", "parameter"]]
    assert missing.empty, f"parameters without a comment: {missing.to_dict('records')}"
    assert set(table["notebook"]) == {s.stem for s in sorted(paths.NOTEBOOKS_DIR.glob("*.py"))}


def test_every_subcommand_has_help_and_is_in_the_readme(capsys):
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    for name, sub in commands.items():
        assert sub.description or sub.format_usage(), name
        with pytest.raises(SystemExit) as done:
            cli.main([name, "--help"])
        assert done.value.code == 0
        assert f"replicate {name}" in readme, f"README does not document `replicate {name}`"
    capsys.readouterr()


def test_status_page_gives_each_chapter_its_share_of_the_execution_time(tmp_path, monkeypatch):
    page = tmp_path / "status.md"
    monkeypatch.setattr(book, "STATUS_PAGE", page)
    monkeypatch.setattr(book, "STATUS_CATALOGUE", tmp_path / "status.po")  # not the build's
    runs = [book.NotebookRun("a", 30.0, True, ""), book.NotebookRun("b", 10.0, False, "boom")]
    book.write_status_page(runs, {})
    rows = re.findall(r"^\| `(\w+)` \| ([\d.]+) \| (\d+) % \| (.+) \|$", page.read_text(), re.M)
    assert rows == [("a", "30.0", "75", "ok"), ("b", "10.0", "25", "failed: boom")]
    assert "Total execution time: 40.0 s for 2 notebooks." in page.read_text()


def test_status_page_has_its_chinese_catalogue_from_the_same_runs(tmp_path, monkeypatch):
    from babel.messages.pofile import read_po

    monkeypatch.setattr(book, "STATUS_PAGE", tmp_path / "status.md")
    monkeypatch.setattr(book, "STATUS_CATALOGUE", tmp_path / "status.po")
    runs = [book.NotebookRun("a", 30.0, True, ""), book.NotebookRun("b", 10.0, False, "boom")]
    book.write_status_page(runs, {"seed": 7})
    with (tmp_path / "status.po").open("rb") as handle:
        pairs = {m.id: m.string for m in read_po(handle) if m.id}
    assert (
        pairs["Total execution time: 40.0 s for 2 notebooks."]
        == "总执行时间：40.0 秒，共 2 个笔记本。"
    )
    assert pairs["failed: boom"] == "失败：boom" and pairs["ok"] == "成功"
    assert (
        pairs["Parameters passed to every notebook: `seed = 7`."]
        == "传给每个笔记本的参数：`seed = 7`。"
    )
    page = (tmp_path / "status.md").read_text()
    for english in pairs:  # every catalogue entry is text of the page (what Sphinx extracts)
        assert english.split(". ")[0] in page
    first = (tmp_path / "status.po").read_bytes()
    book.write_status_page(runs, {"seed": 7})
    assert (tmp_path / "status.po").read_bytes() == first
