"""Every notebook's parameter defaults are the library's constants, so they cannot drift.

A chapter's parameter cell must stay literal for papermill and for the "Try another
specification" page, so the defaults are typed there — short (``controls = None`` means
the paper's controls) — and this test reads every cell (``book.declared_parameters``) and
pins each default, resolved the way the chapter resolves it
(``replication.options_from``), to the constant it stands for. Changing a constant in the
library, or a default in one chapter only, fails here.
"""

from __future__ import annotations

import inspect

import pytest

from replicate import book, paper, paths, replication
from replicate.data import code_pilots, load_panel
from replicate.data.schema import CONTROLS, REGRESSION_SCALE
from replicate.data.synthetic import DEFAULT_SEED

DEFAULT_READING = inspect.signature(code_pilots).parameters["reading"].default
DEFAULT_DATA = inspect.signature(load_panel).parameters["source"].default

PINNED = {
    "data": DEFAULT_DATA,
    "reading": DEFAULT_READING,
    "controls": list(CONTROLS),
    "rescale": dict(REGRESSION_SCALE),
    "cluster": paper.CLUSTER,
    "cov_type": replication.ESTIMATE_DEFAULTS["cov_type"],
    "small_sample": replication.ESTIMATE_DEFAULTS["small_sample"],
    "absorb": list(replication.DEFAULT_ABSORB),
    "seed": DEFAULT_SEED,
    "vcov": replication.vcov_option(),
}
"""Parameter name → the library value its default must equal (after resolution)."""

OWN_CHOICE = {
    ("10_teaching", "seed"): "the one-draw example of the teaching chapter uses its own seed",
}
"""Defaults that are deliberately not the library's, with the reason."""

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.py"))


def _resolved(name: str, value: object) -> object:
    """A default as the chapter uses it: estimate options through options_from."""
    if name in replication.ESTIMATE_OPTIONS:
        return replication.options_from({name: value})[name]
    return value


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_defaults_are_the_library_constants(source):
    declared = book.declared_parameters(source)
    for name, parameter in declared.items():
        if name not in PINNED or (source.stem, name) in OWN_CHOICE:
            continue
        assert _resolved(name, parameter.value) == PINNED[name], (
            f"{source.stem}: {name} = {parameter.default} resolves to "
            f"{_resolved(name, parameter.value)!r}, not the library's {PINNED[name]!r}"
        )


def test_the_pinned_names_are_declared_somewhere():
    """The table above is not stale: each pinned name is a parameter of some chapter."""
    declared = {name for source in NOTEBOOKS for name in book.declared_parameters(source)}
    assert set(PINNED) <= declared, sorted(set(PINNED) - declared)
    assert all(
        (s, n) in {(p.stem, m) for p in NOTEBOOKS for m in book.declared_parameters(p)}
        for s, n in OWN_CHOICE
    )


def test_none_means_the_library_default():
    options = replication.options_from(
        {"controls": None, "rescale": None, "absorb": None, "cluster": None}
    )
    assert options == {
        "controls": list(CONTROLS),
        "rescale": REGRESSION_SCALE,
        "absorb": ["city_id", "year"],
        "cluster": paper.CLUSTER,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [("fdi, hum", ["fdi", "hum"]), ("[fdi, hum]", ["fdi", "hum"]), ("fdi", ["fdi"]), ("", [])],
)
def test_list_options_given_as_text(text, expected):
    """`replicate run 06 -p controls "fdi, hum"` on a chapter whose default is None."""
    assert replication.options_from({"controls": text})["controls"] == expected


def test_a_bad_rescale_is_a_clear_error():
    with pytest.raises(ValueError, match="rescale='lots': give a mapping"):
        replication.options_from({"rescale": "lots"})


def test_a_changed_default_would_fail(tmp_path):
    """The check can fail: a chapter typing its own controls list is caught."""
    source = tmp_path / "99_drift.py"
    source.write_text(
        '# %% tags=["parameters"]\ncontrols = ["fdi", "hum"]  # the controls\n', encoding="utf-8"
    )
    with pytest.raises(AssertionError, match="controls"):
        test_defaults_are_the_library_constants(source)
