"""Read, map and validate a city-year panel; one error lists every problem found.

``load_panel("synthetic")`` returns the seeded synthetic twin; ``load_panel("my.dta")``
reads a user's file (CSV in UTF-8 or GBK/GB18030, Parquet, Stata, Excel), maps alternative
column names and city identifiers to the schema, validates it and attaches the pilot
coding. The caller's DataFrame or file is never modified.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from replicate._options import check_choice
from replicate.data import raw, schema
from replicate.data.pilots import PilotCoding, SubCityReading, code_pilots

MissingPolicy = Literal["error", "drop", "keep"]
BalancePolicy = Literal["require", "allow"]
SHOW_ROWS = 5
"""How many offending rows an error message quotes before saying how many more there are."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a panel: where, how many rows, and how to fix it."""

    column: str
    message: str
    rows: tuple = ()
    count: int = 0
    fix: str = ""

    def __str__(self) -> str:
        text = f"[{self.column}] {self.message}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:SHOW_ROWS])
            more = f" … and {self.count - SHOW_ROWS} more" if self.count > SHOW_ROWS else ""
            text += f" ({self.count} rows: {shown}{more})"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class PanelError(ValueError):
    """A panel failed validation; ``problems`` lists every issue, each with its fix."""

    def __init__(self, problems: Sequence[Problem], source: str = "panel") -> None:
        self.problems = list(problems)
        lines = [f"{source}: {len(self.problems)} problem(s) found"]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        super().__init__("\n".join(lines))


@dataclass(frozen=True, eq=False)
class Panel:
    """A validated city-year panel with its provenance.

    Attributes
    ----------
    frame : DataFrame
        ``city_id, year, province, g, treat, period, did`` and the variables.
    label : str
        How tables and figures name the data ("SYNTHETIC twin (seed …)" or the file).
    synthetic : bool
        True for the generated twin: results are not evidence about China.
    notes : tuple of str
        What was mapped, dropped or allowed while loading.
    coding : PilotCoding or None
        The pilot coding the ``did`` column was checked against (or derived from).
    truth : object or None
        For the twin, the true effects it was generated with.
    """

    frame: pd.DataFrame
    label: str
    synthetic: bool
    notes: tuple[str, ...] = ()
    coding: PilotCoding | None = None
    truth: object = field(default=None, repr=False)

    def summary(self) -> str:
        f = self.frame
        return (
            f"{self.label}: {f['city_id'].nunique()} cities × {f['year'].nunique()} years = "
            f"{len(f):,} rows; did mean {f['did'].mean():.4f}"
        )


# ----------------------------------------------------------------------------- reading


def read_table(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Read a panel file; returns the frame and any metadata stored with it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    meta: dict = {}
    if suffix in (".csv", ".txt"):
        frame = None
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                frame = pd.read_csv(path, encoding=encoding)
                break
            except UnicodeDecodeError:
                continue
        if frame is None:
            raise ValueError(f"{path}: neither UTF-8 nor GBK/GB18030; re-save the file as UTF-8.")
        sidecar = path.with_name(path.name + ".meta.json")
        if sidecar.exists():
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        raw_meta = (table.schema.metadata or {}).get(b"replicate")
        meta = json.loads(raw_meta) if raw_meta else {}
        frame = table.to_pandas()
    elif suffix == ".dta":
        with pd.io.stata.StataReader(path) as reader:
            frame = reader.read()
            label = reader.data_label or ""
        meta = {"synthetic": True, "label": label} if label.startswith("SYNTHETIC") else {}
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        sheets = pd.read_excel(path, sheet_name=None)
        frame = next(iter(sheets.values()))
        if "metadata" in sheets:
            meta = dict(zip(sheets["metadata"]["key"], sheets["metadata"]["value"], strict=True))
            meta["synthetic"] = str(meta.get("synthetic")).lower() == "true"
    else:
        raise ValueError(
            f"{path}: unsupported file type {suffix!r}; use .csv, .parquet, .dta, .xlsx or .xls."
        )
    return frame, meta


# ----------------------------------------------------------------------------- mapping


def _normalise(name: object) -> str:
    return str(name).strip().lower().replace("\ufeff", "")


def map_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rename alternative spellings to the schema; returns a new frame and what was mapped."""
    known = set(schema.VARIABLES) | {"city", "city_code", "province"}
    renames, notes = {}, []
    for column in frame.columns:
        norm = _normalise(column)
        target = (
            norm
            if norm in known
            else schema.ALIASES.get(norm) or schema.ALIASES.get(str(column).strip())
        )
        if target and target != column and target not in frame.columns:
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
        codes = pd.to_numeric(frame["city_code"], errors="coerce")
        codes = codes.where(codes >= 100_000, codes * 100)  # 4-digit prefix 1301 → 130100
        lookup = dict(zip(cities["city_code"].astype(int), cities["city_id"], strict=True))
        ids = codes.map(lookup)
        bad = ids.isna()
        if bad.any():
            rows = _row_labels(frame, frame.index[bad])
            values = sorted(set(frame.loc[bad, "city_code"].astype(str)))[:SHOW_ROWS]
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
            name = str(value).strip()
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
            names = sorted({n for _, n in unknown})
            hints = "; ".join(
                f"{n} → {difflib.get_close_matches(n, list(by_name), n=2, cutoff=0.5) or 'no close name'}"
                for n in names[:SHOW_ROWS]
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


# ----------------------------------------------------------------------------- checks


def _rows(frame: pd.DataFrame, mask: pd.Series) -> tuple:
    sub = frame.loc[mask]
    if {"city_id", "year"} <= set(frame.columns):
        return tuple(f"{c}/{y}" for c, y in zip(sub["city_id"], sub["year"], strict=True))
    return tuple(sub.index)


def validate(
    frame: pd.DataFrame,
    require: Iterable[str] = schema.PAPER_VARIABLES,
    years: Sequence[int] = raw.SAMPLE_YEARS,
    missing: MissingPolicy = "error",
    balanced: BalancePolicy = "require",
    reading: SubCityReading | None = "parent",
    source: str = "panel",
) -> tuple[pd.DataFrame, list[str], PilotCoding | None]:
    """Check a panel against the schema; return a clean copy, notes and the pilot coding.

    Every problem is collected and raised together as one :class:`PanelError`.

    Parameters
    ----------
    frame : DataFrame
        The panel as read; not modified.
    require : iterable of str
        Variables that must be present besides ``city_id`` and ``year``.
    years : sequence of int
        Years allowed (2005–2022 by default).
    missing : {"error", "drop", "keep"}
        Missing values in required columns: list them as an error, drop those rows (and
        say how many), or keep them.
    balanced : {"require", "allow"}
        Whether every city must appear in every year.
    reading : {"parent", "ignore"} or None
        Check ``did`` against the pilot lists under this reading (and derive it when
        absent); None accepts the panel's own ``did`` unchecked.
    """
    for name, value, literal in (
        ("missing", missing, MissingPolicy),
        ("balanced", balanced, BalancePolicy),
    ):
        check_choice(name, value, literal)
    frame, notes = map_columns(frame.copy())
    frame, city_notes, problems = map_cities(frame)
    notes += city_notes
    require = [c for c in dict.fromkeys(require) if c not in schema.KEY]
    absent = [c for c in (*schema.KEY, *require) if c not in frame.columns]
    if "did" not in frame.columns and reading is None:
        absent.append("did")
    if absent:
        problems.append(
            Problem(
                ", ".join(absent),
                f"required columns missing; the file has {list(map(str, frame.columns))}",
                fix="rename your columns to the schema (see `replicate check-data --help` or data/README.md)",
            )
        )
        raise PanelError(problems, source)

    known_ids = set(raw.cities()["city_id"])
    unknown = ~frame["city_id"].isin(known_ids) & frame["city_id"].notna()
    if unknown.any():
        names = sorted(set(frame.loc[unknown, "city_id"].astype(str)))
        hints = "; ".join(
            f"{n} → {difflib.get_close_matches(n, known_ids, n=2, cutoff=0.6) or 'no close id'}"
            for n in names[:SHOW_ROWS]
        )
        problems.append(
            Problem(
                "city_id",
                f"cities not among the 285 sample cities ({hints})",
                _rows(frame, unknown),
                int(unknown.sum()),
                "use ids from data/raw/reference/cities.csv, or drop cities outside the sample",
            )
        )

    year = pd.to_numeric(frame["year"], errors="coerce")
    not_int = year.isna() | (year % 1 != 0)
    if not_int.any():
        problems.append(
            Problem(
                "year",
                "years that are not whole numbers",
                tuple(frame.index[not_int]),
                int(not_int.sum()),
                "store years as integers such as 2014",
            )
        )
    outside = ~not_int & ~year.isin(list(years))
    if outside.any():
        problems.append(
            Problem(
                "year",
                f"years outside {years[0]}–{years[-1]}",
                _rows(frame.assign(year=year), outside),
                int(outside.sum()),
                f"keep only the sample years {years[0]}–{years[-1]}",
            )
        )
    frame["year"] = year.where(~not_int).astype("Int64")

    dup = frame.duplicated(["city_id", "year"], keep=False) & frame["city_id"].notna()
    if dup.any():
        problems.append(
            Problem(
                "city_id, year",
                "duplicated city-years",
                _rows(frame, dup),
                int(dup.sum()),
                "keep one row per city and year (aggregate or remove duplicates)",
            )
        )

    numeric_cols = [
        c for c in (*require, "did", "lnpgdp", "fispre", "nqp_alt") if c in frame.columns
    ]
    reported: dict[str, pd.Series] = {}  # cells already reported as non-numeric or infinite
    for column in dict.fromkeys(numeric_cols):
        values = pd.to_numeric(frame[column], errors="coerce")
        text = values.isna() & frame[column].notna()
        if text.any():
            shown = sorted(set(frame.loc[text, column].astype(str)))[:3]
            problems.append(
                Problem(
                    column,
                    f"non-numeric values such as {shown}",
                    _rows(frame, text),
                    int(text.sum()),
                    "clean the column so it holds numbers only (use empty cells for missing)",
                )
            )
        inf = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
        if inf.any():
            mask = pd.Series(inf, index=frame.index)
            problems.append(
                Problem(
                    column,
                    "infinite values (often log of zero or division by zero)",
                    _rows(frame, mask),
                    int(mask.sum()),
                    "recompute the variable or set these cells missing",
                )
            )
            values = values.mask(mask)
            text |= mask
        reported[column] = text
        frame[column] = values

    check_missing = [c for c in require if c in frame.columns]
    na_mask = {c: frame[c].isna() & ~reported.get(c, False) for c in check_missing}
    na_counts = {c: int(m.sum()) for c, m in na_mask.items() if m.any()}
    if na_counts:
        if missing == "error":
            for column, count in na_counts.items():
                problems.append(
                    Problem(
                        column,
                        "missing values",
                        _rows(frame, na_mask[column]),
                        count,
                        "fill them, or choose a policy: missing='drop' (check-data --missing drop) or 'keep'",
                    )
                )
        elif missing == "drop":
            rows = frame[check_missing].isna().any(axis=1)
            notes.append(f"dropped {int(rows.sum())} rows with missing values ({na_counts})")
            frame = frame.loc[~rows]
        else:
            notes.append(f"kept missing values: {na_counts}")
    if problems:
        raise PanelError(problems, source)

    frame["year"] = frame["year"].astype(int)
    frame = frame.sort_values(["city_id", "year"]).reset_index(drop=True)
    counts = frame.groupby("city_id")["year"].nunique()
    incomplete = counts[counts < len(years)]
    if len(incomplete) or frame["city_id"].nunique() < len(known_ids):
        absent_cities = sorted(known_ids - set(frame["city_id"]))
        text = (
            f"unbalanced panel: {len(incomplete)} cities lack some of the {len(years)} years"
            f" (e.g. {list(incomplete.index[:SHOW_ROWS])}); {len(absent_cities)} sample cities absent"
        )
        if balanced == "require":
            raise PanelError(
                [
                    Problem(
                        "city_id, year",
                        text,
                        fix="supply every city-year, or pass balanced='allow' "
                        "(check-data --allow-unbalanced) to estimate on the unbalanced panel",
                    )
                ],
                source,
            )
        notes.append(text + " — allowed")

    coding = None
    if "did" in frame.columns:
        did = frame["did"]
        not_binary = ~did.isin([0, 1])
        if not_binary.any():
            raise PanelError(
                [
                    Problem(
                        "did",
                        "values other than 0 and 1",
                        _rows(frame, not_binary),
                        int(not_binary.sum()),
                        "did is treat × period: 1 from the pilot year on, else 0",
                    )
                ],
                source,
            )
        back = frame.groupby("city_id")["did"].diff().eq(-1)
        if back.any():
            problems.append(
                Problem(
                    "did",
                    "switches from 1 back to 0 within a city (the pilot is never revoked)",
                    _rows(frame, back),
                    int(back.sum()),
                    "code did = 1 in every year from the first pilot year on",
                )
            )
    if reading is not None:
        coding = code_pilots(reading)
        expected = frame[["city_id", "year"]].merge(
            coding.panel(years), on=["city_id", "year"], how="left"
        )
        if "did" in frame.columns:
            differs = frame["did"].to_numpy() != expected["did"].to_numpy()
            if differs.any():
                mask = pd.Series(differs, index=frame.index)
                other = "ignore" if reading == "parent" else "parent"
                problems.append(
                    Problem(
                        "did",
                        f"disagrees with the Broadband China lists under the '{reading}' reading",
                        _rows(frame, mask),
                        int(mask.sum()),
                        f"drop the did column to derive it, try reading='{other}', or pass reading=None to keep yours",
                    )
                )
        else:
            notes.append(f"did derived from the pilot lists ('{reading}' reading)")
        for column in ("g", "treat", "period", "did"):
            frame[column] = expected[column].to_numpy()
    else:
        first = frame[frame["did"] == 1].groupby("city_id")["year"].min()
        frame["g"] = frame["city_id"].map(first).fillna(0).astype(int)
        frame["treat"] = (frame["g"] > 0).astype(int)
        frame["period"] = frame["did"].astype(int)
        notes.append("did taken from the file unchecked (reading=None)")
    if problems:
        raise PanelError(problems, source)

    cities = raw.cities().set_index("city_id")
    frame["province"] = frame["city_id"].map(cities["province_en"])
    frame["did"] = frame["did"].astype(int)
    lead = ["city_id", "year", "province", "g", "treat", "period", "did"]
    frame = frame[
        lead + [c for c in frame.columns if c not in lead and c not in ("city", "city_code")]
    ]
    return frame, notes, coding


def load_panel(
    source: str | Path | pd.DataFrame = "synthetic",
    *,
    require: Iterable[str] = schema.PAPER_VARIABLES,
    missing: MissingPolicy = "error",
    balanced: BalancePolicy = "require",
    reading: SubCityReading | None = "parent",
    seed: int | None = None,
) -> Panel:
    """Load the synthetic twin (``"synthetic"``) or a user's panel, validated.

    Parameters
    ----------
    source : "synthetic", path or DataFrame
        The data. A DataFrame is copied, never modified.
    require, missing, balanced, reading
        See :func:`validate`.
    seed : int, optional
        Seed of the synthetic twin (default :data:`replicate.data.synthetic.DEFAULT_SEED`).
    """
    if isinstance(source, str) and source == "synthetic":
        from replicate.data import synthetic

        twin = synthetic.make_twin(
            seed=synthetic.DEFAULT_SEED if seed is None else seed, reading=reading or "parent"
        )
        return twin.panel()
    if isinstance(source, pd.DataFrame):
        frame, meta, name = source.copy(), {}, "DataFrame"
    else:
        frame, meta = read_table(source)
        name = Path(source).name
    clean, notes, coding = validate(
        frame, require=require, missing=missing, balanced=balanced, reading=reading, source=name
    )
    synthetic_flag = bool(meta.get("synthetic", False))
    label = meta.get("label") or name
    if synthetic_flag and not str(label).startswith("SYNTHETIC"):
        label = f"SYNTHETIC {label}"
    return Panel(clean, str(label), synthetic_flag, tuple(notes), coding)
