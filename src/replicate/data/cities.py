"""City mapping: alternative column names to the schema, and city names or codes to ``city_id``.

Both functions return a new frame and notes saying what was mapped; problems (unknown or
ambiguous cities) are returned for the caller's single error, never raised one by one.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from replicate.data import raw, schema
from replicate.data.validate import Problem

SHOW_NAMES = 5


def edit_distance(a: str, b: str) -> int:
    """Edit distance with insertions, deletions, substitutions and swaps of two adjacent
    characters (optimal string alignment), by dynamic programming."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def city_hints(
    name: str, by_name: dict[str, list[str]], province_of: dict[str, str], province=None
) -> list[str]:
    """Sample-city names close enough to ``name`` to be a misspelling of it.

    A name is proposed only if it is written in the same script, lies within a small edit
    distance (one character for a Chinese name or an English name of up to six letters,
    two for longer English names: a two-character name that shares one character in another
    position, like 芜湖 for 莱芜, is a different city, not a typo) and, when the row gives a
    province, lies in that province. At most two, nearest first."""
    key = name.removesuffix("市") if _is_cjk(name) else name.lower()
    limit = 1 if _is_cjk(key) or len(key) <= 6 else 2
    p = str(province).strip().lower() if province is not None else ""
    found = []
    for known, ids in by_name.items():
        if (
            known.isdigit()
            or _is_cjk(known) != _is_cjk(key)
            or (_is_cjk(known) and known.endswith("市"))
        ):
            continue
        if p and not any(p in province_of[i].lower() for i in ids):
            continue
        d = edit_distance(key, known)
        if 0 < d <= limit:
            found.append((d, known))
    return [k for _, k in sorted(found)][:2]


def normalise_name(name: object) -> str:
    """A column name as compared with the aliases: NFKC, stripped, lower case, no BOM."""
    return unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "").strip().lower()


def schema_name(name: object) -> str | None:
    """The schema column an alternative spelling stands for, or None."""
    known = set(schema.VARIABLES) | {"city", "city_code", "province"}
    norm = normalise_name(name)
    if norm in known:
        return norm
    return schema.ALIASES.get(norm) or schema.ALIASES.get(str(name).strip())


def map_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rename alternative spellings to the schema; returns a new frame and what was mapped."""
    renames, notes = {}, []
    for column in frame.columns:
        target = schema_name(column)
        if target and target != column and target not in frame.columns:
            if target not in renames.values():
                renames[column] = target
    if renames:
        notes.append("columns mapped: " + ", ".join(f"{a} → {b}" for a, b in renames.items()))
    return frame.rename(columns=renames), notes


def _row_labels(frame: pd.DataFrame, index) -> tuple:
    """Rows as a user finds them: 'row N' (1-based, as in a spreadsheet) for a plain file."""
    if isinstance(frame.index, pd.RangeIndex):
        return tuple(f"row {i + 1}" for i in index)
    return tuple(index)


def _city_lookup() -> tuple[dict[str, str], dict[str, list[str]]]:
    cities = raw.cities()
    exact: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for row in cities.itertuples():
        exact[row.city_id] = row.city_id
        for name in {
            row.city_zh,
            row.city_zh.removesuffix("市"),
            row.city_en.lower(),
            str(row.city_code),
        }:
            by_name.setdefault(name, []).append(row.city_id)
    return exact, by_name


def map_cities(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[Problem]]:
    """Derive ``city_id`` from ``city_code`` (6-digit GB/T 2260) or city names if needed."""
    if "city_id" in frame.columns:
        return frame, [], []
    cities = raw.cities()
    problems: list[Problem] = []
    if "city_code" in frame.columns:
        codes = pd.to_numeric(
            frame["city_code"].map(
                lambda v: unicodedata.normalize("NFKC", v).strip() if isinstance(v, str) else v
            ),
            errors="coerce",
        )
        codes = codes.where(codes >= 100_000, codes * 100)  # 4-digit prefix 1301 → 130100
        lookup = dict(zip(cities["city_code"].astype(int), cities["city_id"], strict=True))
        ids = codes.map(lookup)
        bad = ids.isna()
        if bad.any():
            rows = _row_labels(frame, frame.index[bad])
            values = sorted(set(frame.loc[bad, "city_code"].astype(str)))[:SHOW_NAMES]
            problems.append(
                Problem(
                    "city_code",
                    f"codes not among the 285 sample cities: {values}",
                    rows,
                    len(rows),
                    "use the 6-digit GB/T 2260 codes of data/raw/reference/cities.csv",
                )
            )
        out = frame.assign(city_id=ids)
        return out, ["city_id derived from 6-digit city_code"], problems
    if "city" in frame.columns:
        exact, by_name = _city_lookup()
        provinces = frame["province"].astype(str) if "province" in frame.columns else None
        prov_of = dict(
            zip(
                cities["city_id"],
                cities["province_zh"] + "|" + cities["province_en"].str.lower(),
                strict=True,
            )
        )
        ids = []
        unknown, ambiguous = [], []
        for idx, value in frame["city"].items():
            name = unicodedata.normalize("NFKC", str(value)).strip()
            hits = (
                [exact[name]]
                if name in exact
                else by_name.get(name)
                or by_name.get(name.lower())
                or by_name.get(name.removesuffix("市"), [])
            )
            if len(hits) > 1 and provinces is not None:
                p = provinces[idx].strip().lower()
                hits = [
                    h
                    for h in hits
                    if p and (p in prov_of[h].lower() or prov_of[h].split("|")[0].startswith(p))
                ]
            if len(hits) == 1:
                ids.append(hits[0])
            else:
                ids.append(None)
                (ambiguous if len(hits) > 1 else unknown).append((idx, name))
        if unknown:
            first: dict[str, object] = {}
            for idx, n in unknown:
                first.setdefault(n, provinces[idx] if provinces is not None else None)
            hints = "; ".join(
                f"{n} → {city_hints(n, by_name, prov_of, first[n]) or 'no close name'}"
                for n in sorted(first)[:SHOW_NAMES]
            )
            problems.append(
                Problem(
                    "city",
                    f"city names not among the 285 sample cities ({hints})",
                    _row_labels(frame, [i for i, _ in unknown]),
                    len(unknown),
                    "spell cities as in data/raw/reference/cities.csv (Chinese or English name, or city_id)",
                )
            )
        if ambiguous:
            names = sorted({n for _, n in ambiguous})
            problems.append(
                Problem(
                    "city",
                    f"ambiguous city names {names} (e.g. Suzhou is in Jiangsu and Anhui)",
                    _row_labels(frame, [i for i, _ in ambiguous]),
                    len(ambiguous),
                    "add a province column, or use city_id (suzhou_js, suzhou_ah) or the Chinese name",
                )
            )
        return frame.assign(city_id=ids), ["city_id derived from city names"], problems
    return frame, [], []
