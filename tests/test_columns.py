"""A staggered panel named by its roles (``--columns``) and another pilot policy (``--pilots``).

The roles panel is R ``did``'s ``mpdta`` (500 US counties, 2003–2007, as shipped by
``moderndid.load_mpdta``): nothing about it is the paper's, so validation must check the
roles only. Every expected number is computed here from the raw frame or the raw CSV with
plain pandas, not by the code under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from replicate import book, cli, paths
from replicate.data import (
    PAPER,
    PanelError,
    cities,
    code_pilots,
    load_panel,
    parse_roles,
    read_pilots,
    read_staggered,
)

EXAMPLE = paths.ROOT / "data" / "examples" / "made_up_pilots.csv"
ROLES = "unit=countyreal,time=year,outcome=lemp,cohort=first.treat"
ROLES_DICT = {"unit": "countyreal", "time": "year", "outcome": "lemp", "cohort": "first.treat"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    md = pytest.importorskip("moderndid")
    return md.load_mpdta().to_pandas()


@pytest.fixture(scope="module")
def mpdta_file(mpdta, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mpdta") / "mpdta.parquet"
    mpdta.to_parquet(path, index=False)
    return path


def _expected_pilots() -> pd.Series:
    """First year per city_id from the example CSV, mapped by cities.csv's names by hand."""
    raw = pd.read_csv(EXAMPLE)
    table = cities()
    by_name = {**dict(zip(table["city_en"], table["city_id"], strict=True))}
    by_name |= dict(zip(table["city_zh"], table["city_id"], strict=True))
    return pd.Series(raw["first_year"].to_numpy(), index=raw["city"].map(by_name).to_numpy())


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "replicate.cli", *args],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
        timeout=600,
    )


# ----------------------------------------------------------------------------- roles


def test_roles_from_text_and_from_a_dict_are_the_same():
    text = parse_roles(ROLES + ",controls=lpop,x2")
    given = parse_roles({**ROLES_DICT, "controls": ["lpop", "x2"]})
    assert text == given
    assert text.outcome == "lemp" and text.controls == ("lpop", "x2")
    assert text.cluster == "countyreal"  # the unit by default
    assert parse_roles(text.as_text()) == text
    assert parse_roles(None) is PAPER and parse_roles("paper") is PAPER
    assert PAPER.is_paper and PAPER.unit == "city_id" and PAPER.cohort == "g"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("unit=countyreal,tim=year,outcome=lemp,cohort=g", ["'tim'", "'time'"]),
        ("unit=countyreal,time=year,outcome=lemp", ["cohort", "treatment"]),
        ("unit=a,unit=b,time=year,outcome=y,cohort=g", ["'unit' given twice"]),
        ("unit=a,time=year,lemp,cohort=g", ["'lemp' is not role=column"]),
        ("unit=year,time=year,outcome=lemp,cohort=g", ["'year' is named for unit and time"]),
    ],
)
def test_bad_roles_say_which_role_and_how(text, words):
    with pytest.raises(ValueError) as error:
        parse_roles(text)
    for word in words:
        assert word in str(error.value)


def test_mpdta_is_read_by_its_roles_not_against_the_paper(mpdta):
    before = mpdta.copy()
    panel = read_staggered(mpdta, ROLES)
    pd.testing.assert_frame_equal(mpdta, before)  # the caller's frame is untouched
    assert not panel.is_paper and panel.roles.outcome == "lemp"
    f = panel.frame
    assert len(f) == len(mpdta) and f["countyreal"].nunique() == mpdta["countyreal"].nunique()
    g, year = mpdta["first.treat"], mpdta["year"]
    expected = ((g > 0) & (year >= g)).astype(int)
    merged = mpdta.assign(expected=expected).merge(f, on=["countyreal", "year"])
    assert (merged["expected"] == merged[panel.roles.treatment]).all()
    assert panel.panel_columns == {
        "unit": "countyreal",
        "time": "year",
        "cohort": "first.treat",
        "cluster": "countyreal",
    }
    assert panel.regression_scale == {}  # no paper rescaling of a stranger's columns


def test_a_polars_frame_is_read_too(mpdta):
    md = pytest.importorskip("moderndid")
    panel = read_staggered(md.load_mpdta(), ROLES_DICT)
    pd.testing.assert_frame_equal(panel.frame, read_staggered(mpdta, ROLES_DICT).frame)


def test_a_zero_one_treatment_gives_the_cohort(mpdta):
    g = mpdta["first.treat"]
    frame = mpdta.drop(columns="first.treat").assign(d=((g > 0) & (mpdta["year"] >= g)).astype(int))
    panel = read_staggered(frame, "unit=countyreal,time=year,outcome=lemp,treatment=d")
    derived = panel.frame.groupby("countyreal")[panel.roles.cohort].first()
    truth = mpdta.groupby("countyreal")["first.treat"].first()
    assert (derived.reindex(truth.index) == truth).all()


def _messy(mpdta: pd.DataFrame, kind: str) -> pd.DataFrame:
    f = mpdta.copy()
    treated = f["countyreal"] == f.loc[f["first.treat"] > 0, "countyreal"].iloc[0]
    if kind == "duplicate":
        return pd.concat([f, f.iloc[[0]]], ignore_index=True)
    if kind == "fractional year":
        return f.assign(year=f["year"].astype(float).where(f.index != 3, 2004.5))
    if kind == "minus one":
        return f.assign(**{"first.treat": f["first.treat"].replace(0, -1)})
    if kind == "varying cohort":
        return f.assign(
            **{"first.treat": f["first.treat"].where(~treated | (f["year"] != 2003), 2005)}
        )
    if kind == "partial cohort":
        return f.assign(**{"first.treat": f["first.treat"].where(~treated | (f["year"] != 2003))})
    if kind == "text cohort":
        return f.assign(**{"first.treat": f["first.treat"].astype(str).replace("0", "never")})
    if kind == "text outcome":
        return f.assign(lemp=f["lemp"].astype(object).where(f.index != 7, "n/a?"))
    if kind == "unbalanced":
        return f.drop(index=[5])
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("duplicate", ["[countyreal, year]", "duplicated", "8001/2003", "fix:"]),
        ("fractional year", ["[year]", "not whole numbers", "2004.5", "fix:"]),
        ("minus one", ["[first.treat]", "negative cohorts", "never-treated", "fix:"]),
        ("varying cohort", ["[first.treat]", "varies within a unit", "fix:"]),
        ("partial cohort", ["[first.treat]", "varies within a unit", "fix:"]),
        ("text outcome", ["[lemp]", "non-numeric", "n/a?", "fix:"]),
        ("text cohort", ["[first.treat]", "not numbers", "['never']", "fix:"]),
        ("unbalanced", ["unbalanced panel", "balanced='allow'"]),
    ],
)
def test_messy_roles_panels_are_refused_with_the_column_rows_and_fix(mpdta, kind, words):
    with pytest.raises(PanelError) as error:
        read_staggered(_messy(mpdta, kind), ROLES)
    for word in words:
        assert word in str(error.value), str(error.value)


@pytest.mark.parametrize("code", [0, np.nan, np.inf, 2099])
def test_every_documented_never_treated_code_means_the_same(mpdta, code):
    clean = read_staggered(mpdta, ROLES)
    coded = mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, code)})
    panel = read_staggered(coded, ROLES)
    assert (panel.frame["did"] == clean.frame["did"]).all()


def test_text_years_are_read_as_whole_periods(mpdta):
    text = mpdta.assign(year=mpdta["year"].astype(str))
    panel = read_staggered(text, ROLES)
    pd.testing.assert_frame_equal(panel.frame, read_staggered(mpdta, ROLES).frame)
    assert any("text cells read as whole periods" in n for n in panel.notes)


def test_an_absent_column_is_named_with_the_closest_one(mpdta):
    with pytest.raises(PanelError) as error:
        read_staggered(mpdta, "unit=county,time=year,outcome=lemp,cohort=first.treat")
    message = str(error.value)
    assert "unit=county" in message and "countyreal" in message and "fix:" in message


def test_the_paper_schema_is_one_named_instance(default_panel):
    panel = read_staggered("synthetic")
    assert panel.is_paper and panel.roles is PAPER
    pd.testing.assert_frame_equal(panel.frame, default_panel.frame)
    assert panel.marker == default_panel.marker


# ----------------------------------------------------------------------------- pilots


def test_the_example_pilot_list_gives_its_own_timing():
    coding = read_pilots(EXAMPLE)
    expected = _expected_pilots()
    treated = coding.first_year[coding.first_year > 0]
    assert len(expected) == 12 and len(treated) == len(expected)
    assert (treated.sort_index() == expected.sort_index()).all()
    assert coding.source == "made_up_pilots.csv" and not coding.is_broadband


def test_the_broadband_list_read_as_a_pilot_file_is_the_shipped_coding():
    coding = read_pilots(paths.PILOTS_CSV)
    assert coding.first_year.equals(code_pilots().first_year)


def test_the_twin_with_other_pilots_has_their_timing_and_no_truth():
    panel = load_panel("synthetic", pilots=EXAMPLE)
    g = _expected_pilots()
    first = panel.frame["city_id"].map(g).fillna(0)
    expected = ((first > 0) & (panel.frame["year"] >= first)).astype(int)
    assert (panel.frame["did"] == expected).all()
    assert panel.truth is None  # the twin's effects were drawn for the Broadband timing
    share = sum(2022 - y + 1 for y in g) / (285 * 18)
    assert panel.frame["did"].mean() == pytest.approx(share, abs=1e-12)
    assert "pilots: made_up_pilots.csv (12 treated cities" in panel.marker


def test_a_file_with_did_gets_the_pilot_timing_with_a_note(tmp_path, default_panel):
    path = tmp_path / "panel.csv"
    default_panel.frame.drop(columns=["g", "treat", "period"]).to_csv(path, index=False)
    before = path.read_bytes()
    panel = load_panel(path, pilots=EXAMPLE)
    assert path.read_bytes() == before
    assert int(panel.frame.groupby("city_id")["treat"].first().sum()) == 12
    assert any("replaced by the timing of made_up_pilots.csv" in n for n in panel.notes)


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ("city,first_year\nHegnag,2012\n", ["Hegnag", "hegang", "row 1", "fix:"]),
        (
            "city,first_year\nNingbo,2012\n宁波市,2014\n",
            ["more than once: ['Ningbo', '宁波市']", "row 1, row 2"],
        ),
        ("city,first_year\nNingbo,2030\n", ["[2030]", "2005–2022", "fix:"]),
        ("city,first_year\nNingbo,2012.5\n", ["not whole years (or are empty): ['2012.5']"]),
        ("city_id,first_year\nningbo_zj,2012\n", ["ningbo_zj", "ningbo", "fix:"]),
        ("town,when\nNingbo,2012\n", ["city", "first_year", "'town'", "fix:"]),
        ("city,first_year,evidence\nNingbo,2012,rumour\n", ["['rumour']", "multi_source"]),
    ],
)
def test_bad_pilot_files_are_refused_clearly(tmp_path, rows, words):
    path = tmp_path / "pilots.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(PanelError) as error:
        read_pilots(path)
    for word in words:
        assert word in str(error.value), str(error.value)


# ----------------------------------------------------------------------------- commands


def test_check_data_reads_mpdta_by_its_roles(mpdta, mpdta_file):
    done = _cli("check-data", str(mpdta_file), "--columns", ROLES)
    assert done.returncode == 0, done.stderr
    assert "500 units (countyreal) × 5 periods (year) = 2,500 rows" in done.stdout
    treated = int((mpdta.groupby("countyreal")["first.treat"].first() > 0).sum())
    assert f"{treated} units treated by the last period" in done.stdout
    bad = _cli("check-data", str(mpdta_file), "--columns", ROLES.replace("=year", "=yr"))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "time=yr" in bad.stderr and "['year']" in bad.stderr and "fix:" in bad.stderr


def test_table_2_with_other_pilots_has_the_files_treated_cities():
    done = _cli("table", "2", "--pilots", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert f"({len(_expected_pilots())} treated cities; 2012: 4, 2015: 5, 2018: 3)" in done.stdout
    means = {}
    for name, extra in (("broadband", []), ("file", ["--pilots", str(EXAMPLE)])):
        out = _cli("table", "1", "--format", "csv", *extra)
        assert out.returncode == 0, out.stderr
        table = pd.read_csv(pd.io.common.StringIO(out.stdout))
        means[name] = float(table.loc[table.iloc[:, 0] == "did", "mean"].iloc[0])
    share = sum(2022 - y + 1 for y in _expected_pilots()) / (285 * 18)
    assert means["file"] == pytest.approx(share, abs=5e-4)  # Table 1 prints 3 decimals
    broadband = code_pilots().panel()["did"].mean()
    assert means["broadband"] == pytest.approx(broadband, abs=5e-4)  # default unchanged


def test_commands_that_need_the_papers_variables_say_so_in_one_line(mpdta_file, capsys):
    for argv in (
        ["table", "2", "--data", str(mpdta_file), "--columns", ROLES],
        ["run", "05", "--data", str(mpdta_file), "--columns", ROLES],
        ["run", "04", "--pilots", str(EXAMPLE)],
        ["check-data", str(mpdta_file), "--columns", ROLES, "--pilots", str(EXAMPLE)],
        ["book", "--columns", ROLES],
    ):
        code = cli.main(argv)  # in-process, as tests/test_cli_catalogue.py does
        out, err = capsys.readouterr()
        assert code == 1, (argv, out, err)
        assert "Traceback" not in err and "internal error" not in err
        assert len([line for line in err.splitlines() if line.strip()]) <= 3, err


def test_book_runs_only_the_chapters_that_take_the_option():
    sources = book.book_notebooks()
    kept, skipped = book.taking(sources, ["columns"])
    declared = {s: book.declared_parameters(s) for s in sources}
    assert kept == [s for s in sources if "columns" in declared[s]]
    assert all(f"{s.stem} skipped" in skipped[s] for s in sources if s not in kept)
    kept, _ = book.taking(sources, ["pilots"])
    assert {"05_baseline", "08_scorecard"} <= {s.stem for s in kept}
    assert book.taking(sources, [])[0] == sources


def test_a_chapter_with_pilots_runs_under_papermill(tmp_path):
    source = book.resolve_notebook("08")
    target = tmp_path / "08.ipynb"
    run = book.execute(source, target, {"pilots": str(EXAMPLE)})
    assert run.ok, run.error
    text = json.dumps(json.loads(target.read_text(encoding="utf-8"))["cells"])
    assert "made\\\\_up\\\\_pilots.csv (12 treated cities" in text or (
        "made_up_pilots.csv (12 treated cities" in text
    )
    share = sum(2022 - y + 1 for y in _expected_pilots()) / (285 * 18)
    assert f"{share:.4f}" in text  # the scorecard's did mean is the file's timing


@pytest.mark.skipif(
    "columns" not in book.declared_parameters(book.resolve_notebook("09")),
    reason="chapter 09 does not declare columns yet",
)
def test_run_09_on_mpdta_by_its_roles(mpdta_file):
    fewer = ["-p", "permutations", "99", "-p", "bootstrap_draws", "99", "-p", "honest_grid", "50"]
    done = _cli("run", "09", "--data", str(mpdta_file), "--columns", ROLES, *fewer)
    assert done.returncode == 0, done.stderr[-3000:]
    executed = paths.EXECUTED_DIR / "09_modern_did.ipynb"
    text = executed.read_text(encoding="utf-8")
    assert "mpdta.parquet" in text and "lemp" in text


@pytest.mark.browser
def test_the_own_data_page_shows_the_files_timing(browser, site_url):
    """The rendered "Use your own data" page states the timing the pilot file gives."""
    broadband = code_pilots().panel()
    other = load_panel("synthetic", pilots=EXAMPLE).frame
    page = browser.new_page()
    try:
        page.goto(f"{site_url}/notebooks/12_own_data.html", wait_until="networkidle")
        text = " ".join(page.inner_text("main").split())
    finally:
        page.close()
    expected = (
        f"{len(_expected_pilots())} treated cities (4 in 2012, 5 in 2015, 3 in 2018) instead "
        f"of the Broadband China lists’ {int((code_pilots().first_year > 0).sum())}"
    )
    assert expected in text
    assert f"falls from {broadband['did'].mean():.3f} to {other['did'].mean():.3f}" in text
    assert "MADE-UP pilot list" in text and "500 units (countyreal)" in text


def test_book_passes_the_validated_copy_and_its_completed_roles(mpdta_file):
    args = cli.build_parser().parse_args(["book", "--data", str(mpdta_file), "--columns", ROLES])
    parameters: dict = {}
    assert cli._chapter_options(args, parameters, cli.BOOK_HINTS) == ["columns"]
    assert parameters["columns"] == {**ROLES_DICT, "outcome": ["lemp"], "treatment": "did"}
    copy = read_staggered(parameters["data"], parameters["columns"])
    original = read_staggered(mpdta_file, ROLES)
    pd.testing.assert_frame_equal(copy.frame, original.frame)
    assert copy.label == "mpdta.parquet" and copy.origin == "unverified"


def test_multiverse_with_other_pilots_estimates_their_timing(tmp_path):
    """--pilots on `replicate multiverse`: the file's timing is the only pilot coding, and a
    specification's estimate is fit's on the panel loaded with that file."""
    from replicate import fit, multiverse
    from replicate.data import load_panel

    out = tmp_path / "mv"
    done = _cli(
        "multiverse", "--pilots", str(EXAMPLE), "--serial", "--quiet", "--limit", "400",
        "--estimators", "twfe", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = pd.read_parquet(out / "results.parquet")
    assert set(result["pilot_coding"]) == {"as in the data"}
    panel = load_panel("synthetic", pilots=EXAMPLE)
    prepared = multiverse.prepare(panel)
    assert prepared.codings == {}
    row = result[
        (result["controls"] == "fdi") & (result["fixed_effects"] == "city+year")
        & (result["window"] == "2005–2022") & (result["cluster"] == "city")
    ]  # fmt: skip
    assert len(row) == 1, row
    expected = fit("nqp ~ did + fdi | city_id + year", prepared.frame, vcov={"CRV1": "city_id"})
    # the store rounds to 10 decimals
    assert row["estimate"].iloc[0] == pytest.approx(expected.params["did"], abs=1e-9)


def test_robustness_refuses_the_broadband_variants_on_another_pilot_policy():
    """The variants that re-code the pilots from the Broadband lists would silently restore
    the Broadband timing: refused by name; the others run on the file's timing
    (tests/test_pilots_chapters.py checks their numbers)."""
    from replicate import replication
    from replicate.data import load_panel

    other = load_panel("synthetic", pilots=EXAMPLE)
    with pytest.raises(ValueError, match=r"weak dropped.*made_up_pilots\.csv.*Fix:"):
        replication.robustness(other, variants=["weak dropped"])
    assert set(replication.robustness(other)) == {"baseline", "by province", "HC1"}
    assert set(replication.robustness(load_panel("synthetic"))) >= {"baseline", "HC1"}
