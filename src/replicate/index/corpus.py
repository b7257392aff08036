"""Read a corpus of city documents and turn it into a city-year index.

A corpus is either a folder of text files named ``CITY_YEAR.txt`` (optionally
``CITY_YEAR_PART.txt`` for several documents of one city-year; CITY is a ``city_id``,
a Chinese name or a 6-digit code; UTF-8 or GBK/GB18030), or a CSV/JSONL file with
``city_id`` (or an alias), ``year`` and ``text`` columns. A file without any city column
is a corpus keyed by year only (national or provincial reports, such as the State
Council's Government Work Reports in ``data/raw/gwr``). Fields are type-checked: a year
is a whole number, a text is a string.

Problems that make the index wrong raise one error listing them all (undecodable files,
names that are not CITY_YEAR, unknown cities, missing text). Problems a user may accept
are returned as warnings, each listed: empty documents (their index is missing, not 0),
several documents for one city-year (summed), years outside 2005–2022, and city-years
of the sample with no document.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from replicate.data import raw
from replicate.data.cities import map_cities, map_columns
from replicate.data.io import check_input
from replicate.data.validate import SHOW_ROWS, PanelError, Problem
from replicate.index.build import entropy_weights, index_table
from replicate.index.count import Method, count_documents
from replicate.index.dictionary import Dictionary, load_dictionary
from replicate.index.text import prepare

FILE_NAME = re.compile(r"^(?P<city>.+?)[_-](?P<year>\d{4})(?:[_-](?P<part>[^_-]+))?$")


@dataclass(frozen=True, eq=False)
class Corpus:
    """Documents with their city and year, and the warnings raised while reading them."""

    documents: pd.DataFrame
    warnings: tuple[str, ...]
    source: str
    keys: tuple[str, ...] = ("city_id", "year")
    """``("city_id", "year")``; ``("province", "year")`` or ``("year",)`` for a corpus of
    provincial or national reports (no city column)."""


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as error:
            last = error
    raise UnicodeDecodeError(
        last.encoding,
        last.object,
        last.start,
        last.end,
        f"neither UTF-8 nor GBK/GB18030 (first bad byte at offset {last.start})",
    )


def _read_folder(folder: Path, problems: list[Problem]) -> pd.DataFrame:
    rows = []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    bad_names, undecodable = [], []
    for path in files:
        match = FILE_NAME.match(path.stem)
        if path.suffix.lower() != ".txt" or not match:
            bad_names.append(path.name)
            continue
        try:
            text = _decode(path)
        except UnicodeDecodeError as error:
            undecodable.append(f"{path.name} ({error.reason})")
            continue
        rows.append(
            {"city": match["city"], "year": int(match["year"]), "text": text, "source": path.name}
        )
    if bad_names:
        problems.append(
            Problem(
                "file name",
                "files not named CITY_YEAR.txt or CITY_YEAR_PART.txt",
                tuple(bad_names),
                len(bad_names),
                "rename them, e.g. beijing_2014.txt or 北京市_2014_2.txt",
            )
        )
    if undecodable:
        problems.append(
            Problem(
                "encoding",
                "files that cannot be decoded",
                tuple(undecodable),
                len(undecodable),
                "re-save them as UTF-8 (or GBK)",
            )
        )
    if not files:
        problems.append(
            Problem(
                "folder",
                f"{folder} holds no files",
                fix="point to the folder of CITY_YEAR.txt files",
            )
        )
    return pd.DataFrame(rows, columns=["city", "year", "text", "source"])


JSONL_FIX = 'one JSON object per line, e.g. {"city_id": "beijing", "year": 2014, "text": "…"}'


def _encoding_problem(path: Path, error: UnicodeDecodeError) -> Problem:
    return Problem(
        "encoding", f"{path.name} cannot be decoded: {error.reason}", fix="re-save it as UTF-8"
    )


def _read_jsonl(path: Path, problems: list[Problem]) -> pd.DataFrame:
    try:
        content = _decode(path)
    except UnicodeDecodeError as error:
        problems.append(_encoding_problem(path, error))
        return pd.DataFrame()
    rows, bad = [], []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            bad.append(f"line {number} ({error.msg})")
            continue
        if not isinstance(row, dict):
            bad.append(f"line {number} (a JSON {type(row).__name__}, not an object)")
            continue
        rows.append({**row, "source": f"{path.name}:{number}"})
    if bad:
        problems.append(
            Problem("json", "lines that are not JSON objects", tuple(bad), len(bad), JSONL_FIX)
        )
    return pd.DataFrame(rows)


def _read_table(path: Path, problems: list[Problem]) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        frame = _read_jsonl(path, problems)
    elif suffix == ".csv":
        try:
            frame = pd.read_csv(io.StringIO(_decode(path)), dtype=str, keep_default_na=False)
        except UnicodeDecodeError as error:
            problems.append(_encoding_problem(path, error))
            return pd.DataFrame()
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            problems.append(
                Problem(
                    "csv",
                    f"{path.name} is not a well-formed CSV ({str(error).strip()})",
                    fix="check separators and quotes; every row needs the same number of fields",
                )
            )
            return pd.DataFrame()
        frame = frame.replace("", None)
        frame["source"] = [f"{path.name}:{i + 2}" for i in range(len(frame))]
    else:
        raise PanelError(
            [
                Problem(
                    "file",
                    f"unsupported corpus type {path.suffix!r}",
                    fix="a corpus is a folder of CITY_YEAR.txt files, a .csv or a .jsonl file",
                )
            ],
            path.name,
        )
    frame, _ = map_columns(frame)
    if "text" not in frame.columns:
        frame = frame.rename(columns={"文本": "text", "内容": "text", "content": "text"})
    return frame


def _check_fields(frame: pd.DataFrame, problems: list[Problem]) -> pd.Series:
    """Years must be whole numbers and texts strings; returns the years as integers."""

    def as_year(value: object) -> float | None:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, str):
            value = value.strip()
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return number if number.is_integer() else None

    years = frame["year"].map(as_year)
    bad_year = years.isna()
    if bad_year.any():
        shown = sorted(
            {"missing" if v is None or pd.isna(v) else repr(v) for v in frame.loc[bad_year, "year"]}
        )[:SHOW_ROWS]
        problems.append(
            Problem(
                "year",
                f"years that are not whole numbers: {', '.join(shown)}",
                tuple(frame.loc[bad_year, "source"]),
                int(bad_year.sum()),
                "give every document its year as an integer such as 2014",
            )
        )
    not_text = frame["text"].map(
        lambda v: v is not None and not isinstance(v, str) and not pd.isna(v)
    )
    if not_text.any():
        kinds = sorted({type(v).__name__ for v in frame.loc[not_text, "text"]})
        problems.append(
            Problem(
                "text",
                f"text values that are not strings ({', '.join(kinds)})",
                tuple(frame.loc[not_text, "source"]),
                int(not_text.sum()),
                "give every document its text as a string",
            )
        )
    no_text = frame["text"].isna() & ~not_text
    if no_text.any():
        problems.append(
            Problem(
                "text",
                "rows without a text value",
                tuple(frame.loc[no_text, "source"]),
                int(no_text.sum()),
                "give every row its text, or remove the row",
            )
        )
    return years


def read_corpus(path: str | Path) -> Corpus:
    """Read a corpus folder or file; raise one error listing every blocking problem."""
    path = Path(path)
    if not path.is_dir():
        check_input(path, "corpus file or folder")
    problems: list[Problem] = []
    frame = _read_folder(path, problems) if path.is_dir() else _read_table(path, problems)
    by_city = bool({"city_id", "city", "city_code"} & set(frame.columns)) or path.is_dir()
    missing = [c for c in ("year", "text") if c not in frame.columns]
    if missing or (frame.empty and not problems):
        problems.append(
            Problem(
                ", ".join(missing) or "rows",
                f"required columns missing; found {[c for c in frame.columns if c != 'source']}"
                if missing
                else "the corpus holds no documents",
                fix="name the columns year and text (and city_id, 城市 or 城市代码 for city documents)",
            )
        )
    if problems:
        raise PanelError(problems, path.name)
    frame = frame.set_index(frame["source"].rename(None))  # problems name files or lines
    years = _check_fields(frame, problems)
    keys: tuple[str, ...] = ("province", "year") if "province" in frame.columns else ("year",)
    if by_city:
        keys = ("city_id", "year")
        frame, _, city_problems = map_cities(frame)
        problems += city_problems
        no_city = frame["city_id"].isna() & ~frame.index.isin(
            [r for p in city_problems for r in p.rows]
        )
        if no_city.any():
            problems.append(
                Problem(
                    "city_id",
                    "documents without a city",
                    tuple(frame.index[no_city]),
                    int(no_city.sum()),
                    "give every document its city (city_id, Chinese name or 6-digit code)",
                )
            )
        known = set(raw.cities()["city_id"])
        unknown = frame["city_id"].notna() & ~frame["city_id"].isin(known)
        if unknown.any():
            problems.append(
                Problem(
                    "city_id",
                    f"cities not among the 285 sample cities: {sorted(set(frame.loc[unknown, 'city_id']))[:SHOW_ROWS]}",
                    tuple(frame.loc[unknown, "source"]),
                    int(unknown.sum()),
                    "use ids from data/raw/reference/cities.csv",
                )
            )
    if problems:
        raise PanelError(problems, path.name)

    frame = frame.assign(year=years.astype(int))
    warnings = []
    empty = frame["text"].map(prepare).str.len() == 0
    if empty.any():
        warnings.append(
            f"{int(empty.sum())} empty documents (index left missing, not 0): "
            + ", ".join(frame.loc[empty, "source"].head(SHOW_ROWS))
        )
    outside = ~frame["year"].isin(raw.SAMPLE_YEARS)
    if outside.any():
        warnings.append(
            f"{int(outside.sum())} documents from years outside 2005–2022 (kept): "
            + ", ".join(frame.loc[outside, "source"].head(SHOW_ROWS))
        )
    key_frame = frame[list(keys)]
    repeated = key_frame.duplicated(keep=False)
    unit = {"city_id": "city-years", "province": "province-years"}.get(keys[0], "years")
    if repeated.any():
        groups = key_frame[repeated].drop_duplicates()
        shown = ", ".join(
            "/".join(map(str, k)) for k in groups.head(SHOW_ROWS).itertuples(index=False)
        )
        warnings.append(
            f"{len(groups)} {unit} have several documents (their counts are summed): {shown}"
        )
    if by_city:
        grid = pd.MultiIndex.from_product([sorted(raw.cities()["city_id"]), raw.SAMPLE_YEARS])
        absent = grid.difference(pd.MultiIndex.from_frame(key_frame))
        if len(absent):
            shown = ", ".join(f"{c}/{y}" for c, y in absent[:SHOW_ROWS])
            warnings.append(
                f"{len(absent)} of the 5,130 sample city-years have no document: {shown}"
            )
    elif keys == ("year",):
        absent = sorted(set(raw.SAMPLE_YEARS) - set(frame["year"]))
        if absent:
            warnings.append(
                f"{len(absent)} of the {len(raw.SAMPLE_YEARS)} sample years have no document: "
                + ", ".join(map(str, absent[:SHOW_ROWS]))
            )
    documents = frame[[*keys, "text", "source"]].reset_index(drop=True)
    return Corpus(documents, tuple(warnings), path.name, keys)


def city_year_index(
    corpus: Corpus, dictionary: Dictionary | None = None, method: Method = "scan"
) -> pd.DataFrame:
    """Count every document, sum documents of the same city-year, and build the index.

    Returns one row per city-year (per year for a corpus keyed by year only): total and per-category counts, characters, frequency
    per 10,000 characters (overall and per category), ``nqp = ln(1 + count)`` and
    ``nqp_entropy``, the entropy-weight composite of the category frequencies.
    """
    dictionary = dictionary or load_dictionary()
    counts = count_documents(corpus.documents["text"], dictionary, method)
    keys = list(corpus.keys)
    counts[keys] = corpus.documents[keys]
    summed = counts.groupby(keys, sort=True).sum(numeric_only=True)
    table = index_table(summed, dictionary)
    frequencies = table[[f"per_10k_{c}" for c in dictionary.categories]]
    complete = frequencies.dropna()
    if len(complete) > 1:
        table["nqp_entropy"] = entropy_weights(complete).scores.reindex(table.index)
    return table.reset_index()
