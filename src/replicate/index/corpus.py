"""Read a corpus of city documents and turn it into a city-year index.

A corpus is either a folder of text files named ``CITY_YEAR.txt`` (optionally
``CITY_YEAR_PART.txt`` for several documents of one city-year; CITY is a ``city_id``,
a Chinese name or a 6-digit code; UTF-8 or GBK/GB18030), or a CSV/JSONL file with
``city_id`` (or an alias), ``year`` and ``text`` columns.

Problems that make the index wrong raise one error listing them all (undecodable files,
names that are not CITY_YEAR, unknown cities, missing text). Problems a user may accept
are returned as warnings, each listed: empty documents (their index is missing, not 0),
several documents for one city-year (summed), years outside 2005–2022, and city-years
of the sample with no document.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from replicate.data import raw
from replicate.data.panel import SHOW_ROWS, PanelError, Problem, map_cities, map_columns
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


def _read_table(path: Path, problems: list[Problem]) -> pd.DataFrame:
    if path.suffix.lower() == ".jsonl":
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    problems.append(
                        Problem(
                            "json",
                            f"line {number} is not valid JSON ({error.msg})",
                            fix="fix that line",
                        )
                    )
        frame = pd.DataFrame(rows)
    elif path.suffix.lower() == ".csv":
        try:
            frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"text": str})
        except UnicodeDecodeError:
            frame = pd.read_csv(path, encoding="gb18030", dtype={"text": str})
    else:
        raise ValueError(f"{path}: a corpus is a folder of .txt files, a .csv or a .jsonl file.")
    frame, _ = map_columns(frame)
    if "text" not in frame.columns:
        frame = frame.rename(columns={"文本": "text", "内容": "text", "content": "text"})
    frame["source"] = [
        f"{path.name}:{i + 2 if path.suffix == '.csv' else i + 1}" for i in range(len(frame))
    ]
    return frame


def read_corpus(path: str | Path) -> Corpus:
    """Read a corpus folder or file; raise one error listing every blocking problem."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    problems: list[Problem] = []
    frame = _read_folder(path, problems) if path.is_dir() else _read_table(path, problems)
    missing = [c for c in ("year", "text") if c not in frame.columns]
    if not ({"city_id", "city", "city_code"} & set(frame.columns)):
        missing.insert(0, "city_id")
    if missing and len(frame):
        problems.append(
            Problem(
                ", ".join(missing),
                f"required columns missing; found {list(frame.columns)}",
                fix="name the columns city_id (or 城市/城市代码), year and text",
            )
        )
    if problems:
        raise PanelError(problems, path.name)
    frame = frame.set_index(frame["source"].rename(None))  # problems name files or lines
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
    no_text = frame["text"].isna()
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
    if problems:
        raise PanelError(problems, path.name)

    warnings = []
    empty = frame["text"].map(prepare).str.len() == 0
    if empty.any():
        warnings.append(
            f"{int(empty.sum())} empty documents (index left missing, not 0): "
            + ", ".join(frame.loc[empty, "source"].head(SHOW_ROWS))
        )
    years = frame["year"].astype(int)
    outside = ~years.isin(raw.SAMPLE_YEARS)
    if outside.any():
        warnings.append(
            f"{int(outside.sum())} documents from years outside 2005–2022 (kept): "
            + ", ".join(frame.loc[outside, "source"].head(SHOW_ROWS))
        )
    keys = frame.assign(year=years)[["city_id", "year"]]
    repeated = keys.duplicated(keep=False)
    if repeated.any():
        n_keys = keys[repeated].drop_duplicates().shape[0]
        shown = ", ".join(
            f"{c}/{y}"
            for c, y in keys[repeated].drop_duplicates().head(SHOW_ROWS).itertuples(index=False)
        )
        warnings.append(
            f"{n_keys} city-years have several documents (their counts are summed): {shown}"
        )
    grid = pd.MultiIndex.from_product([sorted(known), raw.SAMPLE_YEARS])
    absent = grid.difference(pd.MultiIndex.from_frame(keys))
    if len(absent):
        shown = ", ".join(f"{c}/{y}" for c, y in absent[:SHOW_ROWS])
        warnings.append(f"{len(absent)} of the 5,130 sample city-years have no document: {shown}")
    documents = frame.assign(year=years)[["city_id", "year", "text", "source"]].reset_index(
        drop=True
    )
    return Corpus(documents, tuple(warnings), path.name)


def city_year_index(
    corpus: Corpus, dictionary: Dictionary | None = None, method: Method = "scan"
) -> pd.DataFrame:
    """Count every document, sum documents of the same city-year, and build the index.

    Returns one row per city-year: total and per-category counts, characters, frequency
    per 10,000 characters (overall and per category), ``nqp = ln(1 + count)`` and
    ``nqp_entropy``, the entropy-weight composite of the category frequencies.
    """
    dictionary = dictionary or load_dictionary()
    counts = count_documents(corpus.documents["text"], dictionary, method)
    counts[["city_id", "year"]] = corpus.documents[["city_id", "year"]]
    summed = counts.groupby(["city_id", "year"], sort=True).sum(numeric_only=True)
    table = index_table(summed, dictionary)
    frequencies = table[[f"per_10k_{c}" for c in dictionary.categories]]
    complete = frequencies.dropna()
    if len(complete) > 1:
        table["nqp_entropy"] = entropy_weights(complete).scores.reindex(table.index)
    return table.reset_index()
