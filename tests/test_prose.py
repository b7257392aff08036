"""The two-twin prose test (issue 15): chapters whose prose makes claims from results are
executed on a second twin, and what the prose says is checked against the tables of the
same executed notebook.

The second twin is the calibrated twin drawn with another seed, written to a file with its
synthetic label and passed as the chapters' ``data`` parameter (the route a reader's own
panel takes). A sentence typed from the default twin's numbers, or a count that does not
come from the table it describes, shows up as a contradiction on the second twin.

Everything is read from the executed ``.ipynb``: glued values are ``display_data``
outputs whose metadata has ``scrapbook``; tables shown with ``tables.show`` carry their
CSV (in the output's ``replicate`` metadata). The Markdown is rendered the way myst-nb renders
``{glue:text}`key:fmt``` (with its own ``format_plain_text``).
"""

from __future__ import annotations

import ast
import json
import re
from concurrent.futures import ProcessPoolExecutor
from io import StringIO
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from replicate import book, paper
from replicate.data import synthetic

SECOND_SEED = synthetic.DEFAULT_SEED + 7919
"""Seed of the second twin (any seed other than the book's works)."""

CHAPTERS = {
    "05_baseline": {},
    "06_mechanism": {"bootstrap_draws": 199},  # fewer bootstrap draws: the prose is the same
    "08_scorecard": {},
}
"""Chapters executed on the second twin, with the knobs passed besides ``data``
(about 35 s on two cores for all three)."""


# ----------------------------------------------------------------------- executed notebooks


def _execute(name: str, target: Path, parameters: dict) -> str:
    run = book.execute(book.resolve_notebook(name), target, parameters)
    return run.error


@pytest.fixture(scope="session")
def second_twin_file(tmp_path_factory) -> Path:
    """The second twin written as a labelled Parquet file (its label travels in the file)."""
    path = tmp_path_factory.mktemp("twin_b") / "twin_b.parquet"
    synthetic.make_twin(seed=SECOND_SEED).write(path)
    return path


@pytest.fixture(scope="session")
def executed(tmp_path_factory, second_twin_file) -> dict[tuple[str, str], dict]:
    """``{(chapter, "A" | "B"): notebook}``: each chapter on the book's twin (A, the copy
    `replicate book` left beside the source if it is current, else executed here) and on
    the second twin (B). Notebooks run two at a time."""
    out = tmp_path_factory.mktemp("prose")
    jobs: dict[tuple[str, str], tuple[Path, dict]] = {}
    found: dict[tuple[str, str], Path] = {}
    for name, knobs in CHAPTERS.items():
        source = book.resolve_notebook(name)
        built = source.with_suffix(".ipynb")
        if built.exists() and built.stat().st_mtime >= source.stat().st_mtime:
            found[(name, "A")] = built
        else:
            jobs[(name, "A")] = (out / f"{name}_A.ipynb", {})
        jobs[(name, "B")] = (out / f"{name}_B.ipynb", {"data": str(second_twin_file), **knobs})
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        futures = {
            key: pool.submit(_execute, key[0], target, params)
            for key, (target, params) in jobs.items()
        }
        errors = {key: f.result() for key, f in futures.items()}
    failed = {k: e for k, e in errors.items() if e}
    assert not failed, f"chapters failed on a twin: {failed}"
    found.update({key: target for key, (target, _) in jobs.items()})
    return {key: json.loads(path.read_text(encoding="utf-8")) for key, path in found.items()}


def _markdown(nb: dict) -> str:
    return "\n\n".join(
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "markdown"
    )


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _glued(nb: dict) -> dict[str, str]:
    """Every glued value's ``text/plain`` by name."""
    out = {}
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            book_keeping = output.get("metadata", {}).get("scrapbook")
            if book_keeping:
                prefix = book_keeping.get("mime_prefix", "")
                data = output.get("data", {})
                plain = data.get(f"{prefix}text/plain", data.get("text/plain", ""))
                out[book_keeping["name"]] = _text(plain)
    return out


_ROLE = re.compile(r"\{glue(?::(\w+))?\}`([^`]+)`")
_DIRECTIVE = re.compile(r"^[`:]{3,}\{glue(?::\w+)?\}\s+(\S+)", re.MULTILINE)


def _references(markdown: str) -> list[tuple[str, str, str]]:
    """``(role, key, format)`` of every glue reference in the Markdown."""
    refs = []
    for role, content in _ROLE.findall(markdown):
        key, fmt = content, ""
        if role == "text" and ":" in content:
            key, fmt = content.rsplit(":", 1)
        refs.append((role or "any", key, fmt))
    refs += [("directive", key, "") for key in _DIRECTIVE.findall(markdown)]
    return refs


def _rendered(nb: dict) -> dict[tuple[str, str], str]:
    """What the reader sees for each ``(key, format)`` the Markdown pastes as text."""
    from myst_nb.ext.glue.roles import format_plain_text

    glued = _glued(nb)
    out = {}
    for role, key, fmt in _references(_markdown(nb)):
        if key not in glued:
            continue
        plain = glued[key]
        if role == "text":
            out[(key, fmt)] = format_plain_text(plain, fmt or "s")
        else:
            try:
                value = ast.literal_eval(plain)
            except (ValueError, SyntaxError):
                value = plain
            out[(key, fmt)] = str(value)
    return out


def _table(nb: dict, caption: str) -> pd.DataFrame:
    """The table shown with ``caption`` (read from the CSV every ``tables.show`` output carries)."""
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("replicate", {})
            if meta.get("caption", "").startswith(caption) and "csv" in meta:
                return pd.read_csv(StringIO(meta["csv"]), dtype=str)
    shown = [
        o.get("metadata", {}).get("replicate", {}).get("caption")
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if "replicate" in o.get("metadata", {})
    ]
    raise AssertionError(f"no table captioned {caption!r}; the tables shown are {shown}")


# ------------------------------------------------------------------- checks for every chapter

PARAMS = [pytest.param(name, twin, id=f"{name}-{twin}") for name in CHAPTERS for twin in "AB"]


@pytest.mark.parametrize(("name", "twin"), PARAMS)
def test_every_glue_key_in_the_prose_exists(executed, name, twin):
    nb = executed[(name, twin)]
    glued = _glued(nb)
    missing = sorted({key for _, key, _ in _references(_markdown(nb))} - set(glued))
    assert not missing, f"{name} on twin {twin}: the prose pastes unglued keys {missing}"


@pytest.mark.parametrize(("name", "twin"), PARAMS)
def test_pasted_values_are_never_nan_or_a_zero_p_value(executed, name, twin):
    bad = []
    for (key, fmt), text in _rendered(executed[(name, twin)]).items():
        if re.search(r"(?<![\w])(nan|NaN|inf|<NA>|None)(?![\w])", text):
            bad.append(f"{key}:{fmt} → {text!r}")
        is_p = re.search(r"(^|_)p(_|$)|pval|p_value", key)
        if is_p and re.fullmatch(r"0(\.0*)?", text.strip()):
            bad.append(f"{key}:{fmt} → {text!r} (a p-value prints as '< 0.001')")
    assert not bad, f"{name} on twin {twin}: " + "; ".join(bad)


_NUMBER = re.compile(r"(?<![\w.\-−])[-−]?\d[\d,]*(?:\.\d+)?(?![\w])")
_STRIP = [
    re.compile(r"\{[\w:-]+\}`[^`]*`"),  # roles: {glue:text}`…`, {ref}`…`, {numref}`…`
    re.compile(r"`[^`]*`"),  # inline code
    re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL),  # math
    re.compile(r"^\([\w-]+\)=$", re.MULTILINE),  # labels
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"^[`:]{3,}.*$|^:\w+:.*$", re.MULTILINE),  # directive lines and options
]


def _typed_numbers(markdown: str) -> set[str]:
    for pattern in _STRIP:
        markdown = pattern.sub(" ", markdown)
    return {m.replace("−", "-").replace(",", "") for m in _NUMBER.findall(markdown)}


def _published_numbers() -> set[str]:
    """Every number the paper prints (typing these is quoting the paper, not a result)."""
    values = [paper.published(1).to_numpy().ravel()]
    for table in (2, 3, 4):
        long = paper.published(table)
        values += [long["coef"].to_numpy(), long["se"].to_numpy()]
    out = set()
    for v in np.concatenate(values):
        if np.isfinite(v):
            out |= {f"{v:.3f}", f"{v:g}", f"{abs(v):.3f}", f"{int(v)}" if v == int(v) else ""}
    return out - {""}


def _numbers_in(text: str) -> set[str]:
    return {m.replace("−", "-").replace(",", "") for m in _NUMBER.findall(text)}


def _result_like(number: str) -> bool:
    """A number worth checking: a decimal, or an integer of two or more digits not a year."""
    if "." in number:
        return True
    value = int(number.lstrip("-"))
    return value >= 10 and not 1990 <= value <= 2035


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_result_is_typed_in_the_prose(executed, name):
    """A number typed in the Markdown that equals what a paste shows on the book's twin,
    where that paste shows something else on the second twin, is a result typed by hand
    (it would go stale with the data). Published numbers may be quoted."""
    a, b = _rendered(executed[(name, "A")]), _rendered(executed[(name, "B")])
    changing = {}  # numbers a paste shows on the book's twin in place of another on the second
    for key, text in a.items():
        other = b.get(key, "")
        if _NUMBER.sub("#", text) != _NUMBER.sub("#", other):
            continue  # a different sentence on the other twin (e.g. about the truth): skipped
        for x, y in zip(_NUMBER.findall(text), _NUMBER.findall(other), strict=True):
            number = x.replace("−", "-").replace(",", "")
            if x != y and _result_like(number):
                changing[number] = key
    typed = _typed_numbers(_markdown(executed[(name, "A")])) - _published_numbers()
    stale = {n: changing[n] for n in typed if n in changing}
    assert not stale, (
        f"{name}: numbers typed in the prose equal a result pasted elsewhere in the chapter "
        f"(paste them instead): "
        + "; ".join(f"{n} (= {k[0]}{':' + k[1] if k[1] else ''})" for n, k in stale.items())
    )


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_prose_changes_with_the_data(executed, name):
    """The two twins differ, so at least one pasted result must differ between them;
    otherwise the chapter's prose is not reading its results."""
    a, b = _rendered(executed[(name, "A")]), _rendered(executed[(name, "B")])
    assert a, f"{name} pastes no glued value into its prose"
    assert any(b.get(key) != text for key, text in a.items()), (
        f"{name}: every pasted value is the same on two different twins: {a}"
    )


# -------------------------------------------------------------- claims against their tables

_SENTENCE_KINDS = {
    "coefficients": "coef",
    "standard errors": "se",
    "sample sizes": "N",
    "R²": "R2",
    "Table 1 statistics": "table1",
}
AGREE = ("within rounding", "within tolerance")


def _summary(nb: dict) -> pd.DataFrame:
    table = _table(nb, "Scorecard summary")
    for column in (*AGREE, "off", "numbers"):
        table[column] = table[column].str.replace(",", "").astype(int)
    return table


@pytest.mark.parametrize("twin", "AB")
def test_scorecard_counts_in_the_prose_equal_the_tables(executed, twin):
    nb = executed[("08_scorecard", twin)]
    glued = _rendered(nb)
    summary = _summary(nb)
    every = _table(nb, "All published numbers")
    off = _table(nb, "Published numbers not reproduced")

    per_table = summary[summary["table"] != "all tables"]
    grand = summary[(summary["table"] == "all tables") & (summary["kind"] == "all")]
    # "Of the N published numbers": N is the number of rows of the full table.
    n = int(glued[("n_numbers", "")])
    assert n == len(every) == per_table["numbers"].sum() == grand["numbers"].sum(), (
        f"twin {twin}: the prose says {n} numbers; the full table has {len(every)} rows, the "
        f"summary {per_table['numbers'].sum()} (its total row {grand['numbers'].sum()})"
    )
    # The summary's counts by status are the full table's, and the "off" table lists them.
    statuses = every["status"].value_counts()
    for status in (*AGREE, "off"):
        assert per_table[status].sum() == statuses.get(status, 0), status
    assert len(off) == statuses.get("off", 0) == (off["status"] == "off").sum()
    # "coefficients: 42 of 70 …": each kind's count is the summary's.
    sentence = glued[("scorecard_sentence", "")]
    claims = re.findall(
        r"(coefficients|standard errors|sample sizes|R²|Table 1 statistics): (\d+) of (\d+)",
        sentence,
    )
    assert {k for k, _, _ in claims} == set(_SENTENCE_KINDS), sentence
    by_kind = per_table.groupby("kind")[[*AGREE, "numbers"]].sum()
    for name, ok, total in claims:
        row = by_kind.loc[_SENTENCE_KINDS[name]]
        assert (int(ok), int(total)) == (row[list(AGREE)].sum(), row["numbers"]), (
            f"twin {twin}: the prose says {name}: {ok} of {total}; the summary table says "
            f"{row[list(AGREE)].sum()} of {row['numbers']}"
        )


def _cell(value: str) -> float:
    return float(re.sub(r"[*()]", "", value).replace(",", ""))


@pytest.mark.parametrize("twin", "AB")
def test_baseline_prose_matches_table_2_and_the_scorecard(executed, twin):
    nb = executed[("05_baseline", twin)]
    glued = _rendered(nb)
    table = _table(nb, "Table 2").set_index(["row", "line"])
    last = glued[("last_label", "")]
    # "the coefficient on did is 0.153 (s.e. 0.027)": the last column of the table above.
    coef, se = table.loc[("did", "coef"), last], table.loc[("did", "se"), last]
    assert glued[("did_last", ".3f")] == f"{_cell(coef):.3f}", (glued, coef)
    assert glued[("did_se_last", ".3f")] == f"{_cell(se):.3f}", (glued, se)
    # "against the paper's 0.125 (0.028)": the paper's cell of the same column.
    paper_coef = table.loc[("did", "paper"), last]
    assert f"{_cell(paper_coef):.3f}" in glued[("against_paper", "")]
    # "Of the 35 published coefficients": the table's published coefficient cells.
    variables = table.xs("coef", level="line").index
    published = table.xs("paper", level="line").loc[variables]
    published = published.drop(columns="data", errors="ignore")
    assert int(glued[("n_coef", "")]) == published.notna().to_numpy().sum()
    # "n_coef_ok are reproduced …": the same count as the scorecard's Table 2 row on the
    # same data (chapter 8 applies the same rules to every table).
    summary = _summary(executed[("08_scorecard", twin)]).set_index(["table", "kind"])
    for kind, key in (("coef", "n_coef_ok"), ("se", "n_se_ok")):
        row = summary.loc[("Table 2", kind)]
        assert int(glued[(key, "")]) == row[list(AGREE)].sum(), (
            f"twin {twin}: chapter 5 says {key} = {glued[(key, '')]}; the scorecard's "
            f"Table 2 {kind} row says {row[list(AGREE)].sum()}"
        )


def test_the_second_twin_is_labelled_synthetic_through_its_file(executed):
    """The second twin arrives as a file; its tables must still say SYNTHETIC."""
    nb = executed[("08_scorecard", "B")]
    assert "SYNTHETIC" in _table(nb, "Scorecard summary").get("data", pd.Series([""])).iloc[0]
    assert str(SECOND_SEED) in json.dumps(nb["cells"])


_DENIES_TWIN = re.compile(r"not (the|a) synthetic twin|not synthetic|\bis real data\b", re.I)


@pytest.mark.parametrize("name", CHAPTERS)
def test_prose_does_not_deny_the_label_of_its_data(executed, name):
    """On the second twin (a synthetic panel read from a labelled file) no pasted sentence
    may call the data real or "not the synthetic twin" while its tables say SYNTHETIC."""
    said = [
        f"{key}: {text[:160]!r}"
        for (key, _), text in _rendered(executed[(name, "B")]).items()
        if _DENIES_TWIN.search(text)
    ]
    assert not said, f"{name} on a synthetic panel read from a file: " + "; ".join(said)
