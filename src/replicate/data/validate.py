"""Validation of a city-year panel: small checks, :class:`Problem`, :class:`PanelError`.

One error lists every problem found, each with the column, the rows, how many there are
and the fix. The advice names the options of whoever asked: ``missing='drop'`` from
Python, ``--missing drop`` from the command line (:data:`API_HINTS`, ``hints=``). The
corpus reader of :mod:`replicate.index.corpus` shares :class:`Problem` and
:class:`PanelError`.

Hand-written (pandas has no panel validator); the numeric cleaning follows what a City
Statistical Yearbook export holds: full-width digits (Unicode NFKC), thousands
separators, and dashes for "not available".
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from replicate._options import check_choice
from replicate.data import raw, schema
from replicate.data.pilots import PilotCoding, SubCityReading, code_pilots, treated_now

MissingPolicy = Literal["error", "drop", "keep"]
BalancePolicy = Literal["require", "allow"]
SHOW_ROWS = 5
"""How many offending rows an error message quotes before saying how many more there are."""

API_HINTS: dict[str, str] = {
    "missing": "missing='drop' or missing='keep'",
    "balanced": "balanced='allow'",
    "reading": "reading='{other}'",
    "reading_none": "reading=None to keep yours",
    "columns": "read_staggered(path, columns={{'unit': …, 'time': …, 'outcome': …, 'cohort': …}})",
}
"""How advice names the options when :func:`validate` is called from Python.

The command line passes its own flags; a hint that is absent is left out of the advice, so
a message never names an option the caller does not have."""

MISSING_MARKS = frozenset({"", "—", "–", "-", "－", "--", "——", "…", "...", "na", "n/a", "nan"})
"""Cells read as missing: yearbooks print a dash (em, en, ASCII or full-width) for 'not available'."""
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


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
            text += f" ({self.count} {'row' if self.count == 1 else 'rows'}: {shown}{more})"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class PanelError(ValueError):
    """A panel failed validation; ``problems`` lists every issue, each with its fix."""

    def __init__(self, problems: Sequence[Problem], source: str = "panel") -> None:
        self.problems = list(problems)
        self.source = source
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
        What was mapped, dropped or allowed while loading (warnings start with "warning:").
    coding : PilotCoding or None
        The pilot coding the ``did`` column was checked against (or derived from).
    truth : object or None
        For the twin, the true effects it was generated with.
    origin : {"synthetic", "unverified", "real"}
        ``"synthetic"`` when the file's own metadata says so; ``"unverified"`` for a file
        of unknown origin (no metadata bound to it): it is never called real by default.
    """

    frame: pd.DataFrame
    label: str
    synthetic: bool
    notes: tuple[str, ...] = ()
    coding: PilotCoding | None = None
    truth: object = field(default=None, repr=False)
    origin: str = ""

    def __post_init__(self) -> None:
        if self.synthetic:
            object.__setattr__(self, "origin", "synthetic")
        elif self.origin not in ("unverified", "real"):
            object.__setattr__(self, "origin", "unverified")

    @property
    def marker(self) -> str:
        """The data label every output carries: synthetic, or of unverified origin."""
        if self.synthetic or self.origin == "real":
            return self.label
        return f"{self.label} (origin unverified)"

    def summary(self) -> str:
        f = self.frame
        return (
            f"{self.marker}: {f['city_id'].nunique()} cities × {f['year'].nunique()} years = "
            f"{len(f):,} rows; did mean {f['did'].mean():.4f}"
        )


def advice(hints: Mapping[str, str], *parts: str, **fields: str) -> str:
    """Join the hints named in ``parts`` (those the caller has) into one piece of advice."""
    found = [hints[p].format(**fields) for p in parts if hints.get(p)]
    return " or ".join(found)


def close_matches(names: Iterable[str], known: Iterable[str], cutoff: float, none: str) -> str:
    """``"name → [closest, …]"`` for the first few unknown names, for an error message."""
    known = list(known)
    return "; ".join(
        f"{n} → {difflib.get_close_matches(n, known, n=2, cutoff=cutoff) or none}"
        for n in list(names)[:SHOW_ROWS]
    )


def rows_of(frame: pd.DataFrame, mask: pd.Series) -> tuple:
    """Offending rows as ``city/year`` when those columns exist, else the row labels."""
    sub = frame.loc[mask]
    if {"city_id", "year"} <= set(frame.columns):
        return tuple(f"{c}/{y}" for c, y in zip(sub["city_id"], sub["year"], strict=True))
    if isinstance(frame.index, pd.RangeIndex):
        return tuple(f"row {i + 1}" for i in sub.index)
    return tuple(sub.index)


def clean_text_numbers(values: pd.Series) -> tuple[pd.Series, int, int]:
    """Numbers typed as text, read the way a yearbook means them.

    Full-width digits are folded by NFKC (``２０１４`` → ``2014``), thousands separators
    removed (``1,234.5``), and a dash or "NA" alone means missing. Returns the numeric
    series (NaN where unreadable), how many text cells were converted, and how many were
    read as missing. Cells that still are not numbers stay NaN for the caller to report.
    """
    if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
        return pd.to_numeric(values, errors="coerce"), 0, 0
    converted = dashes = 0
    out = []
    for value in values:
        if not isinstance(value, str):
            out.append(value)
            continue
        text = unicodedata.normalize("NFKC", value).strip()
        if text.lower() in MISSING_MARKS:
            out.append(np.nan)
            dashes += 1
            continue
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            number = float(text)
        except ValueError:
            out.append(value)
            continue
        out.append(number)
        converted += text != value
    return (
        pd.to_numeric(pd.Series(out, index=values.index, dtype=object), errors="coerce"),
        (converted),
        dashes,
    )


def _numeric(
    frame: pd.DataFrame, column: str, problems: list[Problem], notes: list[str]
) -> pd.Series:
    """Coerce one column to numbers, reporting text and infinite cells (then set missing)."""
    original = frame[column]
    values, converted, dashes = clean_text_numbers(original)
    if converted:
        notes.append(
            f"{column}: {converted} text cells read as numbers (full-width digits, separators)"
        )
    if dashes:
        notes.append(f"{column}: {dashes} cells marked '—', '-' or 'NA' read as missing")
    marks = original.map(
        lambda v: (
            isinstance(v, str) and unicodedata.normalize("NFKC", v).strip().lower() in MISSING_MARKS
        )
    )
    text = values.isna() & original.notna() & ~marks.astype(bool)
    if text.any():
        shown = sorted(set(original[text].astype(str)))[:3]
        problems.append(
            Problem(
                column,
                f"non-numeric values such as {shown}",
                rows_of(frame, text),
                int(text.sum()),
                "clean the column so it holds numbers only (use empty cells for missing)",
            )
        )
    inf = pd.Series(np.isinf(values.to_numpy(dtype=float, na_value=np.nan)), index=frame.index)
    if inf.any():
        problems.append(
            Problem(
                column,
                "infinite values (often log of zero or division by zero)",
                rows_of(frame, inf),
                int(inf.sum()),
                "recompute the variable or set these cells missing",
            )
        )
    return values.mask(inf), text | inf


def validate(
    frame: pd.DataFrame,
    require: Iterable[str] = schema.PAPER_VARIABLES,
    years: Sequence[int] = raw.SAMPLE_YEARS,
    missing: MissingPolicy = "error",
    balanced: BalancePolicy = "require",
    reading: SubCityReading | None = "parent",
    source: str = "panel",
    hints: Mapping[str, str] = API_HINTS,
    earlier: Sequence[Problem] = (),
    notes: Sequence[str] = (),
    coding: PilotCoding | None = None,
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
    source : str
        How the error names the data (the file name).
    hints : mapping
        How advice names the options (:data:`API_HINTS` or a command's flags).
    earlier, notes : sequence
        Problems and notes from an earlier step (column and city mapping), reported with
        this step's. Columns must already carry the schema's names
        (:func:`replicate.data.cities.map_columns`).
    coding : PilotCoding, optional
        Another policy's timing (``--pilots FILE``, :func:`replicate.data.read_pilots`):
        ``did`` is derived from it instead of the Broadband China lists (the caller drops
        a ``did`` column first, see :func:`replicate.data.load_panel`); ``reading`` is
        then not used.
    """
    check_choice("missing", missing, MissingPolicy)
    check_choice("balanced", balanced, BalancePolicy)
    given = coding  # the name is reused below for the coding the panel ends with
    frame = frame.copy()
    notes = list(notes)
    problems = list(earlier)
    require = [c for c in dict.fromkeys(require) if c not in schema.KEY]
    absent = [c for c in (*schema.KEY, *require) if c not in frame.columns]
    if "did" not in frame.columns and reading is None:
        absent.append("did")
    if absent:
        problems.append(
            Problem(
                ", ".join(absent),
                f"required columns missing; the file has {list(map(str, frame.columns))}",
                fix="rename your columns to the schema (aliases such as 城市, 年份 are mapped; "
                "see data/README.md)"
                + (
                    f", or, for another panel, name its roles: {advice(hints, 'columns')}"
                    if hints.get("columns") and "city_id" in absent
                    else ""
                ),
            )
        )
        raise PanelError(problems, source)
    if frame.empty:
        raise PanelError(
            [
                Problem(
                    "rows",
                    "the file has a header but no data rows",
                    fix="export the data rows too (one row per city and year)",
                )
            ],
            source,
        )

    known_ids = set(raw.cities()["city_id"])
    unknown = ~frame["city_id"].isin(known_ids) & frame["city_id"].notna()
    if unknown.any():
        names = sorted(set(frame.loc[unknown, "city_id"].astype(str)))
        hints_ = close_matches(names, known_ids, 0.6, "no close id")
        problems.append(
            Problem(
                "city_id",
                f"cities not among the 285 sample cities ({hints_})",
                rows_of(frame, unknown),
                int(unknown.sum()),
                "use ids from data/raw/reference/cities.csv, or drop cities outside the sample",
            )
        )

    year, converted, _ = clean_text_numbers(
        frame["year"].map(lambda v: v.rstrip("年") if isinstance(v, str) else v)
    )
    if converted:
        notes.append(f"year: {converted} text cells read as years (full-width digits, 年)")
    not_int = year.isna() | (year % 1 != 0)
    if not_int.any():
        problems.append(
            Problem(
                "year",
                "years that are not whole numbers",
                rows_of(frame.drop(columns="year"), not_int),
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
                rows_of(frame.assign(year=year.astype("Int64")), outside),
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
                rows_of(frame, dup),
                int(dup.sum()),
                "keep one row per city and year (aggregate or remove duplicates)",
            )
        )

    numeric_cols = [
        c for c in (*require, "did", "lnpgdp", "fispre", "nqp_alt") if c in frame.columns
    ]
    reported: dict[str, pd.Series] = {}  # cells already reported as non-numeric or infinite
    for column in dict.fromkeys(numeric_cols):
        frame[column], reported[column] = _numeric(frame, column, problems, notes)

    check_missing = [c for c in require if c in frame.columns]
    na_mask = {c: frame[c].isna() & ~reported.get(c, False) for c in check_missing}
    na_counts = {c: int(m.sum()) for c, m in na_mask.items() if m.any()}
    if na_counts:
        if missing == "error":
            fix = advice(hints, "missing")
            for column, count in na_counts.items():
                problems.append(
                    Problem(
                        column,
                        "missing values",
                        rows_of(frame, na_mask[column]),
                        count,
                        "fill them" + (f", or choose a policy: {fix}" if fix else ""),
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
    if frame.empty:
        raise PanelError(
            [Problem("rows", "no rows left after dropping missing values", fix="fill them")],
            source,
        )

    frame["year"] = frame["year"].astype(int)
    frame = frame.sort_values(["city_id", "year"]).reset_index(drop=True)
    counts = frame.groupby("city_id")["year"].nunique()
    incomplete = counts[counts < len(years)]
    if len(incomplete) or frame["city_id"].nunique() < len(known_ids):
        absent_cities = sorted(known_ids - set(frame["city_id"]))
        text = (
            f"unbalanced panel: {_count(len(incomplete), 'city lacks', 'cities lack')} some of"
            f" the {len(years)} years"
            f" (e.g. {list(incomplete.index[:SHOW_ROWS])}); {_count(len(absent_cities), 'sample city', 'sample cities')} absent"
        )
        _unbalanced(text, "city_id, year", "city-year", balanced, hints, notes, source)

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
                        rows_of(frame, not_binary),
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
                    rows_of(frame, back),
                    int(back.sum()),
                    "code did = 1 in every year from the first pilot year on",
                )
            )
    if given is not None or reading is not None:
        coding = given if given is not None else code_pilots(reading)
        expected = frame[["city_id", "year"]].merge(
            coding.panel(years), on=["city_id", "year"], how="left"
        )
        if "did" in frame.columns:
            differs = frame["did"].to_numpy() != expected["did"].to_numpy()
            if differs.any():
                mask = pd.Series(differs, index=frame.index)
                other = "ignore" if reading == "parent" else "parent"
                options = advice(hints, "reading", "reading_none", other=other)
                problems.append(
                    Problem(
                        "did",
                        f"disagrees with the Broadband China lists under the '{reading}' reading",
                        rows_of(frame, mask),
                        int(mask.sum()),
                        "drop the did column to derive it" + (f", or {options}" if options else ""),
                    )
                )
        elif given is not None:
            notes.append(f"did derived from the pilot file {given.source}")
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


# ----------------------------------------------------------------------------- roles

ROLE_HINTS: dict[str, str] = {
    **API_HINTS,
    "columns": "columns={{'unit': …, 'time': …, 'outcome': …, 'cohort': …}}",
}
"""Advice for a roles panel from Python (the command line passes ``--columns``)."""


@dataclass(frozen=True, eq=False)
class StaggeredPanel(Panel):
    """A validated staggered panel described by its roles (:class:`~replicate.data.schema.Roles`).

    Any unit-time panel with a staggered treatment: the paper's city-year panel
    (``roles`` is :data:`~replicate.data.schema.PAPER`, ``is_paper`` True) or a user's
    (a county, firm or state panel named by ``--columns``). ``frame`` keeps the file's
    column names, sorted by unit and time, with ``time`` as integers; when only a 0/1
    treatment was given, a cohort column (first treated period, 0 = never) is added, and
    when only a cohort, a 0/1 treatment column (``roles`` names both). ``label`` names
    the file; ``marker`` adds "(origin unverified)" for a file of unknown origin.
    """

    roles: schema.Roles = schema.PAPER

    @property
    def is_paper(self) -> bool:
        """True for the paper's city-year schema (the chapters on Tables 1–4 need it)."""
        return self.roles.is_paper

    @property
    def panel_columns(self) -> dict[str, str]:
        """``unit``, ``time``, ``cohort`` and ``cluster`` as the estimators' keywords."""
        r = self.roles
        return {"unit": r.unit, "time": r.time, "cohort": str(r.cohort), "cluster": str(r.cluster)}

    @property
    def regression_scale(self) -> Mapping[str, float]:
        """The paper's units for ``mar``/``fin`` on the paper's panel; none on any other."""
        return dict(schema.REGRESSION_SCALE) if self.is_paper else {}

    def summary(self) -> str:
        if self.is_paper:
            return super().summary()
        f, r = self.frame, self.roles
        treated = f.loc[f[r.treatment] == 1, r.unit].nunique()
        return (
            f"{self.marker}: {f[r.unit].nunique():,} units ({r.unit}) × "
            f"{f[r.time].nunique()} periods ({r.time}) = {len(f):,} rows; "
            f"{treated:,} units treated by the last period; outcome {', '.join(r.outcomes)}"
        )


def _role_rows(frame: pd.DataFrame, mask: pd.Series, roles: schema.Roles) -> tuple:
    """Offending rows as ``unit/time`` (spreadsheet row numbers when those are unusable)."""
    sub = frame.loc[mask]
    if {roles.unit, roles.time} <= set(frame.columns):
        return tuple(f"{u}/{t}" for u, t in zip(sub[roles.unit], sub[roles.time], strict=True))
    return tuple(f"row {i + 1}" for i in sub.index)


NEVER_TREATED = "0, missing, inf or a period after the last one"
"""The never-treated codings a cohort column may use (the estimators' convention)."""


def validate_roles(
    frame: pd.DataFrame,
    roles: schema.Roles,
    missing: MissingPolicy = "error",
    balanced: BalancePolicy = "require",
    source: str = "panel",
    hints: Mapping[str, str] = ROLE_HINTS,
    notes: Sequence[str] = (),
) -> tuple[pd.DataFrame, schema.Roles, list[str]]:
    """Check a panel against its roles; return a clean copy, the completed roles and notes.

    Checks what the roles need and nothing about the paper (no city list, no sample
    years): every named column present (an absent one named, with close matches and the
    fix); rows present; no missing unit, time or cluster; time whole numbers (text such as
    ``"2004"`` read as numbers, fractions refused); one row per unit and time; outcomes
    and controls numeric and finite (missing values under ``missing``); a cohort constant
    within each unit, a whole number, never-treated coded as 0, missing, inf or beyond the
    last period (−1 and other negatives refused); a treatment 0/1 that never switches
    back; cohort and treatment consistent when both are named; balance under
    ``balanced``. Every problem found is raised together as one :class:`PanelError`.
    """
    check_choice("missing", missing, MissingPolicy)
    check_choice("balanced", balanced, BalancePolicy)
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    notes = list(notes)
    problems: list[Problem] = []
    fix_columns = advice(hints, "columns")
    absent = [c for c in roles.columns() if c not in frame.columns]
    if absent:
        columns = list(frame.columns)
        near = close_matches(absent, columns, 0.5, "no close column")
        which = ", ".join(f"{role}={column}" for role, column in roles.pairs() if column in absent)
        problems.append(
            Problem(
                ", ".join(absent),
                f"columns named by the roles are not in the data ({which}); "
                f"the file has {columns}; closest: {near}",
                fix="name the file's own columns for each role"
                + (f" ({fix_columns})" if fix_columns else ""),
            )
        )
        raise PanelError(problems, source)
    if frame.empty:
        raise PanelError(
            [Problem("rows", "the data have a header but no rows", fix="export the data rows")],
            source,
        )
    unit, time = roles.unit, roles.time
    for column, role in ((unit, "unit"), (time, "time"), (roles.cluster, "cluster")):
        absent_rows = frame[column].isna()
        if absent_rows.any():
            problems.append(
                Problem(
                    column,
                    f"missing values in the {role} column",
                    tuple(f"row {i + 1}" for i in frame.index[absent_rows]),
                    int(absent_rows.sum()),
                    f"every row needs its {role}; fill or remove these rows",
                )
            )

    period, _, _ = clean_text_numbers(frame[time])
    typed = int(frame[time].map(lambda v: isinstance(v, str)).sum())
    if typed:
        notes.append(f"{time}: {typed} text cells read as whole periods")
    not_int = frame[time].notna() & (period.isna() | (period % 1 != 0))
    if not_int.any():
        shown = sorted(set(frame.loc[not_int, time].astype(str)))[:3]
        problems.append(
            Problem(
                time,
                f"time values that are not whole numbers, such as {shown}",
                tuple(f"row {i + 1}" for i in frame.index[not_int]),
                int(not_int.sum()),
                "store the period as an integer (a year such as 2004, or a period number)",
            )
        )
    frame[time] = period.where(~not_int).astype("Int64")

    dup = frame.duplicated([unit, time], keep=False) & frame[unit].notna() & frame[time].notna()
    if dup.any():
        problems.append(
            Problem(
                f"{unit}, {time}",
                "duplicated unit-periods (each would count twice in every estimate)",
                _role_rows(frame, dup, roles),
                int(dup.sum()),
                "keep one row per unit and period (aggregate or remove the duplicates)",
            )
        )

    reported: dict[str, pd.Series] = {}
    for column in dict.fromkeys((*roles.outcomes, *roles.controls)):
        frame[column], reported[column] = _numeric(frame, column, problems, notes)
    valued = list(dict.fromkeys((*roles.outcomes, *roles.controls)))
    na_mask = {c: frame[c].isna() & ~reported[c] for c in valued}
    na_counts = {c: int(m.sum()) for c, m in na_mask.items() if m.any()}
    if na_counts and missing == "error":
        fix = advice(hints, "missing")
        for column, count in na_counts.items():
            problems.append(
                Problem(
                    column,
                    "missing values",
                    _role_rows(frame, na_mask[column], roles),
                    count,
                    "fill them" + (f", or choose a policy: {fix}" if fix else ""),
                )
            )
    elif na_counts and missing == "drop":
        rows = frame[valued].isna().any(axis=1)
        notes.append(f"dropped {int(rows.sum())} rows with missing values ({na_counts})")
        frame = frame.loc[~rows]
    elif na_counts:
        notes.append(f"kept missing values: {na_counts}")

    if roles.cohort:
        _check_cohort(frame, roles, problems, notes)
    if roles.treatment:
        _check_treatment(frame, roles, problems)
    if problems:
        raise PanelError(problems, source)
    if frame.empty:
        raise PanelError(
            [Problem("rows", "no rows left after dropping missing values", fix="fill them")],
            source,
        )

    frame[time] = frame[time].astype(int)
    frame = frame.sort_values([unit, time], kind="stable").reset_index(drop=True)
    periods = frame[time].nunique()
    counts = frame.groupby(unit, sort=False)[time].nunique()
    short = counts[counts < periods]
    if len(short):
        text = (
            f"unbalanced panel: {len(short)} of {len(counts)} units {'lacks' if len(short) == 1 else 'lack'} some of the "
            f"{periods} periods (e.g. {list(short.index[:SHOW_ROWS])})"
        )
        _unbalanced(text, f"{unit}, {time}", "unit-period", balanced, hints, notes, source)

    if not roles.cohort:
        name = _free_name(frame, "first_treat")
        first = frame.loc[frame[roles.treatment] == 1].groupby(unit)[time].min()
        frame[name] = frame[unit].map(first).fillna(0).astype(int)
        notes.append(f"cohort {name} derived from {roles.treatment} (its first period at 1)")
        roles = replace(roles, cohort=name)
    if not roles.treatment:
        name = _free_name(frame, "did")
        frame[name] = treated_now(frame[roles.cohort], frame[time]).astype(int)
        notes.append(f"treatment {name} derived from {roles.cohort} (1 from the cohort on)")
        roles = replace(roles, treatment=name)
    return frame, roles, notes


def _count(n: int, one: str, many: str) -> str:
    """``n`` with the singular or plural phrase: "1 city lacks", "2 cities lack"."""
    return f"{n} {one if n == 1 else many}"


def _unbalanced(
    text: str,
    columns: str,
    cell: str,
    balanced: str,
    hints: Mapping[str, str],
    notes: list[str],
    source: str,
) -> None:
    """Refuse an unbalanced panel under ``balanced="require"`` (the fix names the option that
    allows it), otherwise note it as allowed."""
    if balanced == "require":
        fix = advice(hints, "balanced")
        also = f", or pass {fix} to estimate on the unbalanced panel" if fix else ""
        raise PanelError([Problem(columns, text, fix=f"supply every {cell}{also}")], source)
    notes.append(text + " — allowed")


def _free_name(frame: pd.DataFrame, name: str) -> str:
    while name in frame.columns:
        name = f"_{name}"
    return name


def _flag(
    problems: list[Problem],
    frame: pd.DataFrame,
    roles: schema.Roles,
    column: str,
    mask: pd.Series,
    message: str,
    fix: str,
) -> bool:
    """Add one problem for the rows in ``mask`` (if any); True when there were some."""
    if not mask.any():
        return False
    problems.append(Problem(column, message, _role_rows(frame, mask, roles), int(mask.sum()), fix))
    return True


def _check_cohort(
    frame: pd.DataFrame, roles: schema.Roles, problems: list[Problem], notes: list[str]
) -> None:
    """Cohort: numeric, whole, one value per unit, a documented never-treated coding."""
    column, unit = roles.cohort, roles.unit
    values, converted, _ = clean_text_numbers(frame[column])
    text = frame[column].notna() & values.isna()
    shown = sorted(set(frame.loc[text, column].astype(str)))[:3]
    _flag(
        problems,
        frame,
        roles,
        column,
        text,
        f"cohort values that are not numbers, such as {shown}",
        f"store the first treated period as a number; never treated as {NEVER_TREATED}",
    )
    as_float = values.to_numpy(dtype=float, na_value=np.nan)
    finite = values.notna() & np.isfinite(as_float)
    _flag(
        problems,
        frame,
        roles,
        column,
        finite & (values % 1 != 0),
        "cohorts that are not whole periods",
        "store the first treated period as an integer such as 2006",
    )
    negative = values.notna() & (values < 0) & ~np.isinf(as_float)
    _flag(
        problems,
        frame,
        roles,
        column,
        negative,
        f"negative cohorts {sorted(set(values[negative].tolist()))[:3]} "
        "(−1 is not a never-treated code here)",
        f"code never-treated units as {NEVER_TREATED}",
    )
    # One cohort per unit: 'missing in some rows' of a treated unit counts as a change,
    # since never treated and treated cannot both hold for the same unit.
    key = values.astype(float).fillna(np.inf)
    key = key.where(~(key == 0), np.inf)  # 0, missing and inf all mean never treated
    varies = key.groupby(frame[unit]).transform("nunique") > 1
    units = [str(u) for u in dict.fromkeys(frame.loc[varies, unit])][:SHOW_ROWS]
    _flag(
        problems,
        frame,
        roles,
        column,
        varies,
        f"cohort varies within a unit (e.g. {units}); a cohort missing in some rows of a "
        "treated unit counts as a change",
        "give each unit one first treated period in every row",
    )
    if converted:
        notes.append(f"{column}: {converted} text cells read as cohorts")
    frame[column] = values


def _check_treatment(frame: pd.DataFrame, roles: schema.Roles, problems: list[Problem]) -> None:
    """Treatment: 0/1, absorbing (never switches back), consistent with the cohort."""
    column, unit, time = roles.treatment, roles.unit, roles.time
    values, _, _ = clean_text_numbers(frame[column])
    if _flag(
        problems,
        frame,
        roles,
        column,
        ~values.isin([0, 1]),
        "treatment values other than 0 and 1 (missing included)",
        "code treatment 1 from the unit's first treated period on, else 0",
    ):
        return
    frame[column] = values.astype(int)
    order = frame.sort_values([unit, time], kind="stable")
    back = order.groupby(unit)[column].diff().eq(-1).reindex(frame.index, fill_value=False)
    _flag(
        problems,
        frame,
        roles,
        column,
        back,
        "treatment switches from 1 back to 0 within a unit (staggered adoption means "
        "once treated, always treated)",
        "code 1 in every period from the first treated one on, or name a cohort column instead",
    )
    if roles.cohort and pd.api.types.is_numeric_dtype(frame[roles.cohort]):
        expected = treated_now(frame[roles.cohort], frame[time].astype(float))
        differs = pd.Series(expected != frame[column].to_numpy(), index=frame.index)
        _flag(
            problems,
            frame,
            roles,
            f"{column}, {roles.cohort}",
            differs & frame[time].notna(),
            f"{column} disagrees with {roles.cohort} (1 from the cohort's period on)",
            "name only one of cohort and treatment, or correct one of them",
        )
