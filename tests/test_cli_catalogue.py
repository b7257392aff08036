"""A catalogue of bad inputs a new user meets, one case per row, across every command.

Each case builds its files in a fresh folder, runs ``replicate.cli.main`` in-process and
asserts: the exit status; the words of the message (the file, the column or rows, the
fix); that no traceback is printed; and that every file that existed before the command
is byte-identical afterwards (SHA-256) — no command destroys or edits its inputs.

The cases reproduce the findings of issue 12 and what a City Statistical Yearbook export
holds (title rows above the header, a units line, full-width digits, thousands
separators, dashes for missing, Stata value labels).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from replicate import book, cli, paths
from replicate.data import io, raw, synthetic

GWR = paths.RAW_DIR / "gwr" / "national_gwr_2005_2025.jsonl"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
EVIL = "<img src=x onerror=alert(1)> \\input{/etc/passwd}"


@pytest.fixture(scope="module")
def twin() -> pd.DataFrame:
    return synthetic.make_twin(seed=3).frame


@dataclass(frozen=True)
class Case:
    """Files to write, the command to run, and what must come out."""

    setup: Callable[[Path, pd.DataFrame], list[str]]
    code: int
    words: tuple[str, ...]
    absent: tuple[str, ...] = ()


def _csv(folder: Path, frame: pd.DataFrame, name: str = "panel.csv", **kw) -> str:
    path = folder / name
    frame.to_csv(path, index=False, **kw)
    return str(path)


def _text(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> str:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return str(path)


def _jsonl(folder: Path, rows: list, encoding: str = "utf-8", name: str = "c.jsonl") -> str:
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    return _text(folder, name, lines, encoding)


def _xlsx(folder: Path, sheets: dict[str, pd.DataFrame], name: str = "book.xlsx") -> str:
    path = folder / name
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, sheet_name=sheet, index=False)
    return str(path)


def _did_moved(f: pd.DataFrame) -> pd.DataFrame:
    """Chongqing coded from 2016: disagrees with the 'parent' reading (2015)."""
    return f.assign(
        did=f["did"].where(f["city_id"] != "chongqing", (f["year"] >= 2016).astype(int))
    )


def _with_nan(f: pd.DataFrame) -> pd.DataFrame:
    return f.assign(nqp=f["nqp"].where(~f.index.isin([7, 8, 9])))


def _yearbook_header(folder: Path, f: pd.DataFrame) -> str:
    body = f.to_csv(index=False)
    header, rows = body.split("\n", 1)
    title = "2005—2022年中国城市统计年鉴（摘录）" + "," * (f.shape[1] - 1)
    units = ",".join(["", "(年)"] + ["(单位)"] * (f.shape[1] - 2))
    return _text(folder, "yearbook.csv", "\n".join([title, header, units, rows]))


def _full_width(f: pd.DataFrame) -> pd.DataFrame:
    return f.assign(year=f["year"].map(lambda y: str(y).translate(FULL_WIDTH)))


def _thousands(f: pd.DataFrame) -> pd.DataFrame:
    return f.assign(innovp=(f["innovp"] * 1000).map(lambda v: f"{v:,.3f}"))


def _dashes(f: pd.DataFrame) -> pd.DataFrame:
    out = f.assign(fdi=f["fdi"].astype(object))
    out.loc[[3, 4, 5], "fdi"] = ["—", "-", "－"]
    return out


def _stata_labels(folder: Path, f: pd.DataFrame) -> str:
    cities = raw.cities()
    codes = {cid: i + 1 for i, cid in enumerate(cities["city_id"])}
    frame = f.drop(columns=["city_id"]).assign(城市=f["city_id"].map(codes).astype("int32"))
    frame["did"] = frame["did"].astype("int8")
    path = folder / "labelled.dta"
    frame.to_stata(
        path,
        write_index=False,
        version=118,
        value_labels={
            "城市": {
                codes[c]: zh for c, zh in zip(cities["city_id"], cities["city_zh"], strict=True)
            },
            "did": {0: "未试点", 1: "试点"},
        },
    )
    return str(path)


def _yearbook_workbook(folder: Path, f: pd.DataFrame) -> str:
    """A title merged across the columns, the header, a units line, then the data."""
    from openpyxl import load_workbook

    grid = pd.DataFrame(
        [["城市统计年鉴 2005—2022"] + [None] * (f.shape[1] - 1), list(f.columns)]
        + [["", "(年)"] + ["(万元)"] * (f.shape[1] - 2)]
        + f.astype(object).to_numpy().tolist()
    )
    path = folder / "yearbook.xlsx"
    grid.to_excel(path, sheet_name="表1", header=False, index=False)
    book_ = load_workbook(path)
    book_["表1"].merge_cells(start_row=1, start_column=1, end_row=1, end_column=f.shape[1])
    book_.save(path)
    return str(path)


def _fifo(folder: Path) -> str:
    path = folder / "pipe.csv"
    os.mkfifo(path)
    return str(path)


def _evil_label(folder: Path, f: pd.DataFrame) -> str:
    return str(io.write_table(f, folder / "evil.parquet", {"synthetic": False, "label": EVIL}))


def _twin_file(folder: Path, name: str = "twin.csv") -> str:
    return str(synthetic.make_twin(seed=3).write(folder / name))


def _replace_twin_with_real(folder: Path, f: pd.DataFrame) -> str:
    path = _twin_file(folder)
    f.assign(nqp=f["nqp"] + 0.001).to_csv(path, index=False)  # the sidecar stays behind
    return path


def _copy_without_sidecar(folder: Path) -> str:
    source = Path(_twin_file(folder))
    target = folder / "copy.csv"
    target.write_bytes(source.read_bytes())
    source.unlink()
    source.with_name(source.name + ".meta.json").unlink()
    return str(target)


def _malformed_sidecar(folder: Path, f: pd.DataFrame) -> str:
    path = _csv(folder, f)
    _text(folder, "panel.csv.meta.json", "{synthetic: true,")
    return path


DOCS = [{"city_id": "beijing", "year": 2014, "text": "数字经济"}]

CASES: dict[str, Case] = {
    # ------------------------------------------------------------------ check-data: paths
    "missing file": Case(
        lambda d, f: ["check-data", str(d / "nope.csv")],
        1,
        ("nope.csv", "no such panel file", "fix: check the path"),
    ),
    "folder named .csv": Case(
        lambda d, f: ["check-data", str((d / "x.csv").mkdir() or d / "x.csv")],
        1,
        ("x.csv", "is a folder, not a panel file", "fix:"),
    ),
    "fifo named .csv": Case(
        lambda d, f: ["check-data", _fifo(d)],
        1,
        ("pipe.csv", "not a regular file", "fix: save the data to an ordinary file"),
    ),
    "empty file": Case(
        lambda d, f: ["check-data", _text(d, "empty.csv", b"")],
        1,
        ("empty.csv", "is empty (0 bytes)", "fix:"),
    ),
    "blank lines only": Case(
        lambda d, f: ["check-data", _text(d, "blank.csv", "\n\n\n")],
        1,
        ("blank.csv", "holds no columns", "fix:"),
    ),
    "headers only, unbalanced allowed": Case(
        lambda d, f: ["check-data", _csv(d, f.iloc[:0]), "--allow-unbalanced"],
        1,
        ("panel.csv", "[rows] the file has a header but no data rows", "fix: export the data rows"),
    ),
    "undecodable bytes": Case(
        lambda d, f: ["check-data", _text(d, "bytes.csv", b"\xff\xff\x80\x80\xfe")],
        1,
        ("bytes.csv", "neither UTF-8 nor GBK", "fix: re-save the file as UTF-8"),
    ),
    "unsupported type": Case(
        lambda d, f: ["check-data", _text(d, "panel.sav", "x")],
        1,
        ("panel.sav", "unsupported file type '.sav'", "fix: use .csv, .parquet, .dta or .xlsx"),
    ),
    "old xls": Case(
        lambda d, f: ["check-data", _text(d, "old.xls", b"\xd0\xcf\x11\xe0")],
        1,
        ("old.xls", "old .xls workbook", "fix: save it as .xlsx"),
    ),
    "corrupt xlsx": Case(
        lambda d, f: ["check-data", _text(d, "broken.xlsx", "not a zip")],
        1,
        ("broken.xlsx", "not a readable Excel workbook", "fix: open it in Excel"),
    ),
    "corrupt parquet": Case(
        lambda d, f: ["check-data", _text(d, "broken.parquet", "PAR1 nonsense")],
        1,
        ("broken.parquet", "not a readable Parquet file", "fix:"),
    ),
    "corrupt dta": Case(
        lambda d, f: ["check-data", _text(d, "broken.dta", "not stata at all")],
        1,
        ("broken.dta", "not a readable Stata file", "fix: save it again from Stata"),
    ),
    "duplicate header names": Case(
        lambda d, f: [
            "check-data",
            _text(d, "dup.csv", f.rename(columns={"gov": "hum"}).to_csv(index=False)),
        ],
        1,
        ("dup.csv", "more than once: ['hum']", "fix: rename or delete"),
    ),
    # ------------------------------------------------------------------ check-data: Excel
    "workbook with its own 'metadata' sheet": Case(
        lambda d, f: [
            "check-data",
            _xlsx(d, {"panel": f.head(36), "metadata": pd.DataFrame({"source": ["my notes"]})}),
            "--allow-unbalanced",
        ],
        0,
        ("OK book.xlsx (origin unverified)", "36 rows"),
    ),
    "workbook whose first sheet is notes": Case(
        lambda d, f: [
            "check-data",
            _xlsx(d, {"notes": pd.DataFrame({"note": ["from the yearbook"]}), "data": f.head(36)}),
            "--allow-unbalanced",
        ],
        0,
        ("OK book.xlsx", "data read from sheet 'data'"),
    ),
    "workbook without a data sheet": Case(
        lambda d, f: ["check-data", _xlsx(d, {"notes": pd.DataFrame({"note": ["x"]})})],
        1,
        ("book.xlsx", "no sheet has a year column", "['notes']", "--sheet NAME"),
    ),
    "--sheet that does not exist": Case(
        lambda d, f: ["check-data", _xlsx(d, {"panel": f.head(3)}), "--sheet", "Sheet9"],
        1,
        ("book.xlsx", "has no sheet 'Sheet9'", "['panel']", "--sheet"),
    ),
    # ------------------------------------------------------------------ check-data: labels
    "real panel saved where a twin was": Case(
        lambda d, f: ["check-data", _replace_twin_with_real(d, f)],
        0,
        ("was written for other content", "is ignored", "OK twin.csv (origin unverified)"),
        ("OK SYNTHETIC",),
    ),
    "twin copied without its sidecar": Case(
        lambda d, f: ["check-data", _copy_without_sidecar(d)],
        0,
        ("OK copy.csv (origin unverified)", "no replicate label is bound"),
        ("SYNTHETIC",),
    ),
    "malformed sidecar": Case(
        lambda d, f: ["check-data", _malformed_sidecar(d, f)],
        0,
        ("panel.csv.meta.json is not valid metadata", "ignored", "origin unverified"),
    ),
    # ------------------------------------------------------------------ yearbook exports
    "title row and units line": Case(
        lambda d, f: ["check-data", _yearbook_header(d, f)],
        0,
        ("OK yearbook.csv", "header read from row 2", "second header line (units)"),
    ),
    "workbook with a merged title row and units": Case(
        lambda d, f: ["check-data", _yearbook_workbook(d, f.head(36)), "--allow-unbalanced"],
        0,
        ("OK yearbook.xlsx", "header read from row 2", "second header line (units)", "36 rows"),
    ),
    "full-width digits": Case(
        lambda d, f: ["check-data", _csv(d, _full_width(f))],
        0,
        ("OK panel.csv", "5,130 rows", "year: 5130 text cells read as years"),
    ),
    "thousands separators": Case(
        lambda d, f: ["check-data", _csv(d, _thousands(f))],
        0,
        ("OK panel.csv", "innovp:", "text cells read as numbers"),
    ),
    "dashes for missing": Case(
        lambda d, f: ["check-data", _csv(d, _dashes(f))],
        1,
        ("panel.csv", "[fdi] missing values (3 rows", "--missing drop"),
    ),
    "dashes for missing, kept": Case(
        lambda d, f: ["check-data", _csv(d, _dashes(f)), "--missing", "keep"],
        0,
        ("OK panel.csv", "fdi: 3 cells marked '—', '-' or 'NA' read as missing"),
    ),
    "Stata value labels": Case(
        lambda d, f: ["check-data", _stata_labels(d, f)],
        0,
        ("OK labelled.dta", "城市: Stata value labels used", "did: Stata value labels ignored"),
    ),
    # ------------------------------------------------------------------ table / scorecard
    "table 2 without nqp": Case(
        lambda d, f: ["table", "2", "--data", _csv(d, f.drop(columns="nqp"), "missing_nqp.csv")],
        1,
        ("missing_nqp.csv", "[nqp] required columns missing", "fix: rename your columns"),
    ),
    "scorecard without nqp": Case(
        lambda d, f: ["scorecard", "--data", _csv(d, f.drop(columns="nqp"), "missing_nqp.csv")],
        1,
        ("missing_nqp.csv", "[nqp] required columns missing"),
    ),
    "table with text in a number column": Case(
        lambda d, f: [
            "table",
            "3",
            "--data",
            _csv(d, f.assign(hum=f["hum"].astype(object).where(f.index != 3, "12.5%"))),
        ],
        1,
        ("panel.csv", "[hum] non-numeric values such as ['12.5%']", "beijing/2008", "fix:"),
    ),
    "scorecard with inf": Case(
        lambda d, f: [
            "scorecard",
            "--data",
            _csv(d, f.assign(gov=f["gov"].where(f.index != 5, float("inf")))),
        ],
        1,
        ("panel.csv", "[gov] infinite values", "beijing/2010", "fix: recompute"),
    ),
    "table advice names table's flags": Case(
        lambda d, f: ["table", "2", "--data", _csv(d, _with_nan(f))],
        1,
        ("[nqp] missing values (3 rows", "--missing drop or --missing keep"),
        ("missing='drop'",),
    ),
    "scorecard unbalanced": Case(
        lambda d, f: ["scorecard", "--data", _csv(d, f[f["city_id"] != "lhasa"])],
        1,
        ("panel.csv", "unbalanced panel", "--allow-unbalanced"),
        ("balanced='allow'",),
    ),
    "table from an Excel notes-first workbook with --sheet": Case(
        lambda d, f: [
            "table",
            "1",
            "--data",
            _xlsx(d, {"notes": pd.DataFrame({"n": [1]}), "data": _with_nan(f).head(20)}),
            "--sheet",
            "data",
        ],
        1,
        ("book.xlsx", "[nqp] missing values", "--missing drop"),
    ),
    "table 5": Case(lambda d, f: ["table", "5"], 1, ("invalid choice: 5", "--help")),
    "markdown caption escaped": Case(
        lambda d, f: ["table", "1", "--data", _evil_label(d, f), "--format", "md"],
        0,
        ("&lt;img src=x onerror=alert(1)&gt;", "origin unverified"),
        ("<img",),
    ),
    "latex caption escaped": Case(
        lambda d, f: ["table", "1", "--data", _evil_label(d, f), "--format", "latex"],
        0,
        (r"\textbackslash{}input\{/etc/passwd\}",),
        (r"\input{",),
    ),
    "csv table carries the synthetic marker": Case(
        lambda d, f: ["table", "1", "--format", "csv"],
        0,
        (",data\n", "SYNTHETIC twin (seed"),
    ),
    "csv table of an unverified file": Case(
        lambda d, f: ["table", "1", "--format", "csv", "--data", _csv(d, f)],
        0,
        ("panel.csv (origin unverified)",),
        ("SYNTHETIC",),
    ),
    # ------------------------------------------------------------------ run
    "run: unknown parameter": Case(
        lambda d, f: ["run", "05", "-p", "nonexistent_param", "1"],
        1,
        ("05_baseline has no parameter 'nonexistent_param'", "Its parameters are", "controls"),
    ),
    "run: misspelt parameter": Case(
        lambda d, f: ["run", "05", "-p", "control", "fdi"],
        1,
        ("no parameter 'control'", "Did you mean 'controls'?"),
    ),
    "run: value of the wrong type": Case(
        lambda d, f: ["run", "05", "-p", "rescale", "lots"],
        1,
        ("-p rescale 'lots'", "05_baseline declares rescale", "must be a mapping"),
    ),
    "run: unknown notebook": Case(
        lambda d, f: ["run", "99"], 1, ("no single notebook matches '99'", "05_baseline")
    ),
    "run: --out is a file": Case(
        lambda d, f: ["run", "01", "--out", _csv(d, f)],
        1,
        ("--out", "panel.csv", "not a directory", "Fix: give a directory"),
    ),
    "run: data file missing": Case(
        lambda d, f: ["run", "05", "--data", str(d / "gone.dta")],
        1,
        ("gone.dta", "no such panel file"),
    ),
    "run: did disagrees, advice in -p terms": Case(
        lambda d, f: ["run", "05", "-p", "data", _csv(d, _did_moved(f))],
        1,
        ("panel.csv", "chongqing/2015", "-p reading ignore"),
        ("--reading",),
    ),
    "run: missing values": Case(
        lambda d, f: ["run", "05", "--data", _csv(d, _with_nan(f))],
        1,
        ("panel.csv", "[nqp] missing values", "--missing drop"),
    ),
    # ------------------------------------------------------------------ book --data
    "book: data file missing": Case(
        lambda d, f: ["book", "--data", str(d / "gone.csv")],
        1,
        ("gone.csv", "no such panel file"),
    ),
    "book: missing values": Case(
        lambda d, f: ["book", "--data", _csv(d, _with_nan(f))],
        1,
        ("panel.csv", "[nqp] missing values (3 rows", "--missing drop"),
    ),
    "book: did disagrees, no flag it lacks": Case(
        lambda d, f: ["book", "--data", _csv(d, _did_moved(f))],
        1,
        ("panel.csv", "disagrees with the Broadband China lists", "drop the did column"),
        ("--reading", "-p reading"),
    ),
    "book: text in a number column": Case(
        lambda d, f: [
            "book",
            "--data",
            _csv(d, f.assign(mar=f["mar"].astype(object).where(f.index != 0, "n.a.")), "m.csv"),
        ],
        1,
        ("m.csv", "[mar] non-numeric values such as ['n.a.']", "beijing/2005"),
    ),
    # ------------------------------------------------------------------ synth
    "synth over an existing panel": Case(
        lambda d, f: ["synth", "--seed", "1", "--out", _csv(d, f, "mypanel.csv")],
        1,
        ("mypanel.csv", "already exists and is kept", "--force"),
    ),
    "synth into a missing folder": Case(
        lambda d, f: ["synth", "--out", str(d / "nowhere" / "t.csv")],
        1,
        ("nowhere", "does not exist", "fix: create the folder first"),
    ),
    "synth to an unknown format": Case(
        lambda d, f: ["synth", "--out", str(d / "t.txt")],
        1,
        ("t.txt", "cannot write a .txt file", ".csv, .parquet, .dta, .xlsx"),
    ),
    "synth onto a folder": Case(
        lambda d, f: ["synth", "--out", str((d / "out.csv").mkdir() or d / "out.csv")],
        1,
        ("out.csv", "is a folder"),
    ),
    # ------------------------------------------------------------------ index
    "index over its own corpus": Case(
        lambda d, f: ["index", (p := _csv(d, pd.DataFrame(DOCS), "corpus.csv")), "--out", p],
        1,
        ("corpus.csv", "is one of this command's inputs", "not even with --force"),
    ),
    "index over its own corpus, forced": Case(
        lambda d, f: [
            "index",
            (p := _csv(d, pd.DataFrame(DOCS), "corpus.csv")),
            "--out",
            p,
            "--force",
        ],
        1,
        ("corpus.csv", "is one of this command's inputs"),
    ),
    "index over an existing file": Case(
        lambda d, f: ["index", _jsonl(d, DOCS), "--out", _text(d, "old.csv", "keep me")],
        1,
        ("old.csv", "already exists and is kept", "--force"),
    ),
    "index into a missing folder": Case(
        lambda d, f: ["index", _jsonl(d, DOCS), "--out", str(d / "no" / "x.csv")],
        1,
        ("does not exist", "create the folder"),
    ),
    "index to an unknown format": Case(
        lambda d, f: ["index", _jsonl(d, DOCS), "--out", str(d / "x.json")],
        1,
        ("x.json", "cannot write a .json file", ".csv, .parquet, .dta, .xlsx"),
    ),
    "index: a JSONL line that is a list": Case(
        lambda d, f: ["index", _jsonl(d, [[1, 2, 3], *DOCS]), "--out", str(d / "x.csv")],
        1,
        ("c.jsonl", "not JSON objects", "line 1 (a JSON list, not an object)", "fix: one JSON"),
    ),
    "index: year null": Case(
        lambda d, f: [
            "index",
            _jsonl(d, [*DOCS, {"city_id": "tianjin", "year": None, "text": "x"}]),
            "--out",
            str(d / "x.csv"),
        ],
        1,
        ("c.jsonl", "[year] years that are not whole numbers: missing", "c.jsonl:2"),
    ),
    "index: fractional year": Case(
        lambda d, f: [
            "index",
            _jsonl(d, [*DOCS, {"city_id": "tianjin", "year": 2014.7, "text": "x"}]),
            "--out",
            str(d / "x.csv"),
        ],
        1,
        ("2014.7", "c.jsonl:2", "an integer such as 2014"),
    ),
    "index: numeric text": Case(
        lambda d, f: [
            "index",
            _jsonl(d, [*DOCS, {"city_id": "tianjin", "year": 2014, "text": 12345}]),
            "--out",
            str(d / "x.csv"),
        ],
        1,
        ("[text] text values that are not strings (int)", "c.jsonl:2"),
    ),
    "index: GBK JSONL": Case(
        lambda d, f: [
            "index",
            _jsonl(d, [{"城市": "天津市", "year": 2014, "text": "数字经济"}], "gb18030"),
            "--out",
            str(d / "x.csv"),
        ],
        0,
        ("wrote", "1 city-years from 1 documents"),
    ),
    "index: dictionary is a folder": Case(
        lambda d, f: [
            "index",
            _jsonl(d, DOCS),
            "--out",
            str(d / "x.csv"),
            "--dictionary",
            str((d / "dict").mkdir() or d / "dict"),
        ],
        1,
        ("dict", "is a folder, not a dictionary file"),
    ),
    "index: corpus missing": Case(
        lambda d, f: ["index", str(d / "none.jsonl"), "--out", str(d / "x.csv")],
        1,
        ("none.jsonl", "no such corpus file or folder"),
    ),
    "index: national reports, no city column": Case(
        lambda d, f: ["index", str(GWR), "--out", str(d / "x.csv")],
        0,
        ("wrote", "20 years from 20 documents", "2020"),
    ),
    "index: xlsx output is a workbook": Case(
        lambda d, f: ["index", _jsonl(d, DOCS), "--out", str(d / "x.xlsx")],
        0,
        ("wrote", "x.xlsx"),
    ),
}


def _hashes(folder: Path) -> dict[Path, str]:
    return {
        p: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def _run(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # argparse
        code = stop.code
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("name", list(CASES))
def test_catalogue(name, tmp_path, twin, capsys):
    case = CASES[name]
    argv = case.setup(tmp_path, twin.copy())
    before = _hashes(tmp_path)
    if GWR.as_posix() in argv:
        before[GWR] = hashlib.sha256(GWR.read_bytes()).hexdigest()
    code, text = _run(argv, capsys)
    assert code == case.code, f"{name}: exit {code}\n{text}"
    for words in case.words:
        assert words in text, f"{name}: {words!r} not in\n{text}"
    for words in case.absent:
        assert words not in text, f"{name}: {words!r} should not be in\n{text}"
    assert "Traceback" not in text
    for path, digest in before.items():
        assert path.exists(), f"{name}: {path.name} was removed"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name}: {path.name}"


def test_catalogue_is_large_enough():
    # the first string literal of each case's command line is the command (a list of
    # literals only is stored as one tuple constant)
    def command(case: Case) -> str:
        for const in case.setup.__code__.co_consts:
            const = const[0] if isinstance(const, tuple) and const else const
            if isinstance(const, str):
                return const
        return ""

    commands = {command(case) for case in CASES.values()}
    assert len(CASES) >= 40
    assert {"check-data", "table", "scorecard", "run", "synth", "index", "book"} <= commands


def test_index_xlsx_is_a_real_workbook_and_csv_round_trips(tmp_path, capsys):
    corpus = _jsonl(tmp_path, DOCS)
    assert cli.main(["index", corpus, "--out", str(tmp_path / "x.xlsx")]) == 0
    assert zipfile.is_zipfile(tmp_path / "x.xlsx")
    frame = pd.read_excel(tmp_path / "x.xlsx", sheet_name="panel")
    assert frame.loc[0, "city_id"] == "beijing" and frame.loc[0, "count"] == 1


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ValueError, match="no such panel file"):
        cli.main(["check-data", str(tmp_path / "nope.csv"), "--debug"])


def test_force_replaces_atomically_and_keeps_the_label(tmp_path, capsys):
    path = tmp_path / "mypanel.csv"
    path.write_text("mine\n")
    assert cli.main(["synth", "--seed", "2", "--out", str(path), "--force"]) == 0
    assert io.read_file(path).verified and io.read_file(path).meta["seed"] == 2
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".dta", ".xlsx"])
def test_every_written_format_is_byte_identical_across_runs(tmp_path, capsys, suffix):
    a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    assert cli.main(["synth", "--seed", "5", "--out", str(a)]) == 0
    assert cli.main(["synth", "--seed", "5", "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    if suffix == ".xlsx":
        with zipfile.ZipFile(a) as archive:
            assert {i.date_time for i in archive.infolist()} == {io.FIXED_TIME}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fdi, hum", ["fdi", "hum"]),
        ("[fdi, hum]", ["fdi", "hum"]),
        ("fdi", ["fdi"]),
        ("", []),
    ],
)
def test_list_parameters_are_parsed_as_lists(text, expected):
    source = book.resolve_notebook("05")
    assert book.parse_parameters(source, [("controls", text)]) == {"controls": expected}


def test_scalar_parameters_keep_their_declared_types():
    source = book.resolve_notebook("05")
    parsed = book.parse_parameters(source, [("cluster", "05"), ("rescale", "{mar: 1}")])
    assert parsed == {"cluster": "05", "rescale": {"mar": 1}}


def test_run_writes_the_executed_notebook_where_out_says(tmp_path):
    """``replicate run 01 --out DIR`` (a subprocess, as a user runs it) writes DIR/01_….ipynb,
    so two variants of one chapter no longer replace each other in _build/executed/."""
    import json
    import subprocess
    import sys

    out = tmp_path / "variant-a"
    done = subprocess.run(
        [sys.executable, "-m", "replicate.cli", "run", "01", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    executed = out / "01_introduction.ipynb"
    assert "executed" in done.stdout and executed.name in done.stdout
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    assert any(cell.get("outputs") for cell in cells)
