"""replicate.report.glue writes what myst_nb.glue writes, without importing nbformat."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from replicate.report import glue as light


def _captured(monkeypatch, glue, *args) -> list:
    calls = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: calls.append((a, k)))
    import myst_nb.ext.glue as myst_glue_module

    monkeypatch.setattr(myst_glue_module, "ipy_display", lambda *a, **k: calls.append((a, k)))
    glue(*args)
    return calls


@pytest.mark.parametrize(
    "value", [0.125, "a sentence with 中文", pd.DataFrame({"a": [1, 2]}), [1, 2, 3]]
)
@pytest.mark.parametrize("display", [False, True])
def test_same_display_data_as_myst_nb(monkeypatch, value, display):
    from myst_nb import glue as myst_glue

    ours = _captured(monkeypatch, light.glue, "name", value, display)
    theirs = _captured(monkeypatch, myst_glue, "name", value, display)
    assert ours == theirs and len(ours) == 1


def _without_nbformat(*lines: str) -> None:
    """Run ``lines`` in a fresh interpreter; fail if they imported nbformat or jsonschema."""
    check = "assert 'nbformat' not in sys.modules and 'jsonschema' not in sys.modules"
    subprocess.run([sys.executable, "-c", "\n".join(["import sys", *lines, check])], check=True)


def test_glue_does_not_import_nbformat():
    _without_nbformat("from replicate.report.glue import glue", "glue('x', 1, display=False)")


def test_every_chapter_glues_through_the_light_glue():
    from replicate import book

    slow = [nb.name for nb in book.book_notebooks() if "from myst_nb import" in nb.read_text()]
    assert slow == [], f"import glue from replicate.report.glue in {slow}"


def test_the_command_line_does_not_import_nbformat_to_start():
    """nbformat's jsonschema builds lark grammars for a second and more: the CLI (which the
    "Use your own data" chapter runs sixteen times) and its help must not pay for it."""
    _without_nbformat("from replicate import cli", "cli.build_parser()")
