"""``load_panel``: read (:mod:`~replicate.data.io`), map (:mod:`~replicate.data.cities`) and
validate (:mod:`~replicate.data.validate`) a city-year panel, or generate the twin.

``load_panel("synthetic")`` returns the seeded synthetic twin; ``load_panel("my.dta")``
reads a user's file (CSV in UTF-8 or GBK/GB18030, Parquet, Stata, Excel), maps alternative
column names and city identifiers to the schema, validates it and attaches the pilot
coding. The caller's DataFrame or file is never modified. The names below are re-exported
for code that imported them from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from replicate.data import raw, schema, synthetic
from replicate.data.cities import map_cities, map_columns
from replicate.data.io import FileError, check_input, read_file, read_table
from replicate.data.pilots import (
    ALL_EVIDENCE,
    Evidence,
    PilotCoding,
    SubCityReading,
    code_pilots,
)
from replicate.data.validate import (
    API_HINTS,
    ROLE_HINTS,
    SHOW_ROWS,
    BalancePolicy,
    MissingPolicy,
    Panel,
    PanelError,
    Problem,
    StaggeredPanel,
    close_matches,
    validate_roles,
)
from replicate.data.validate import validate as validate_mapped

__all__ = [
    "SHOW_ROWS",
    "BalancePolicy",
    "FileError",
    "MissingPolicy",
    "Panel",
    "PanelError",
    "PilotCoding",
    "Problem",
    "StaggeredPanel",
    "load_panel",
    "read_pilots",
    "read_staggered",
    "map_cities",
    "map_columns",
    "read_table",
    "validate",
]


def validate(frame: pd.DataFrame, **options) -> tuple[pd.DataFrame, list[str], PilotCoding | None]:
    """Map column names and cities to the schema, then validate (one error for all).

    ``options`` are those of :func:`replicate.data.validate.validate`.
    """
    mapped, notes = map_columns(frame.copy())
    mapped, city_notes, problems = map_cities(mapped)
    return validate_mapped(mapped, earlier=problems, notes=notes + city_notes, **options)


def load_panel(
    source: str | Path | pd.DataFrame = "synthetic",
    *,
    require: Iterable[str] = schema.PAPER_VARIABLES,
    missing: MissingPolicy | None = None,
    balanced: BalancePolicy | None = None,
    reading: SubCityReading | None = "parent",
    seed: int | None = None,
    sheet: str | None = None,
    hints: Mapping[str, str] = API_HINTS,
    pilots: str | Path | pd.DataFrame | PilotCoding | None = None,
) -> Panel:
    """Load the synthetic twin (``"synthetic"``) or a user's panel, validated.

    Parameters
    ----------
    source : "synthetic", path or DataFrame
        The data. A DataFrame is copied, never modified.
    require, reading, hints
        See :func:`replicate.data.validate.validate`.
    missing, balanced : str, optional
        See :func:`replicate.data.validate.validate`. None means the policy recorded in a
        file written by ``replicate run``/``book`` after validating it (see
        :func:`replicate.data.io.write_table`), else ``"error"`` and ``"require"``.
    seed : int, optional
        Seed of the synthetic twin (default :data:`replicate.data.synthetic.DEFAULT_SEED`).
    sheet : str, optional
        Excel sheet holding the data (default: the first sheet with a year column).
    pilots : path, DataFrame or PilotCoding, optional
        Another pilot policy on the paper's cities (:func:`read_pilots`): its timing
        replaces the Broadband China one (``g``, ``treat``, ``period``, ``did``; a ``did``
        column of the file is replaced, with a note), and the label names the file and its
        number of treated cities. On the twin the truth no longer applies (``truth`` is
        None): the twin's effects were drawn for the Broadband China timing.

    Returns
    -------
    Panel
        ``synthetic`` and ``origin`` come from the label bound to the file (see
        :mod:`replicate.data.io`); a file without one is of ``"unverified"`` origin.
    """
    coding = None if pilots is None else read_pilots(pilots, reading=reading or "parent")
    if isinstance(source, str) and source == "synthetic":
        twin = synthetic.make_twin(
            seed=synthetic.DEFAULT_SEED if seed is None else seed, reading=reading or "parent"
        )
        panel = twin.panel()
        return panel if coding is None else _with_pilots(panel, coding)
    if isinstance(source, pd.DataFrame):
        frame, meta, notes, name = source.copy(), {}, (), "DataFrame"
    else:
        loaded = read_file(source, sheet)
        frame, notes, name = loaded.frame, loaded.notes, Path(source).name
        meta = dict(loaded.meta) if loaded.verified else {}
    policy = meta.get("policy") if isinstance(meta.get("policy"), dict) else {}
    if coding is None and isinstance(meta.get("pilots"), dict):
        coding = _recorded_pilots(meta["pilots"])  # a copy written by run/book --pilots
    replaced = ()
    if coding is not None and "did" in frame.columns:
        frame = frame.drop(columns="did")
        replaced = (f"did column of {name} replaced by the timing of {coding.source}",)
    clean, more, coding = validate(
        frame,
        require=require,
        missing=missing or policy.get("missing", "error"),
        balanced=balanced or policy.get("balanced", "require"),
        reading=reading,
        source=name,
        hints=hints,
        coding=coding,
    )
    more = [*replaced, *more]
    synthetic_flag = meta.get("synthetic") is True
    label = str(meta.get("label") or name)
    if synthetic_flag and not label.startswith("SYNTHETIC"):
        label = f"SYNTHETIC {label}"
    origin = "synthetic" if synthetic_flag else str(meta.get("origin", "unverified"))
    if coding is not None and not coding.is_broadband and "pilots:" not in label:
        label = f"{label}; {pilots_label(coding)}"
    return Panel(clean, label, synthetic_flag, (*notes, *more), coding, origin=origin)


# ----------------------------------------------------------------------------- pilots

PILOT_YEAR_COLUMNS = ("first_year", "year", "batch_year", "g", "first_treat", "pilot_year")
"""Names accepted for a pilot file's first-year column (``年份``/``年`` map to ``year``)."""


def pilots_label(coding: PilotCoding) -> str:
    """How outputs name another policy's timing: the file and its treated cities."""
    counts = coding.counts_by_batch()
    batches = ", ".join(f"{y}: {n}" for y, n in counts.items())
    return f"pilots: {coding.source} ({int(counts.sum())} treated cities; {batches})"


def _with_pilots(panel: Panel, coding: PilotCoding) -> Panel:
    """The panel with another policy's timing (the twin's truth no longer applies)."""
    timing = coding.panel(sorted(panel.frame["year"].unique()))
    frame = panel.frame.drop(columns=["g", "treat", "period", "did"]).merge(
        timing, on=["city_id", "year"], how="left", validate="one_to_one"
    )
    lead = ["city_id", "year", "province", "g", "treat", "period", "did"]
    frame = frame[lead + [c for c in frame.columns if c not in lead]]
    note = f"treatment timing replaced by {coding.source}" + (
        "; the twin's true effects no longer apply" if panel.synthetic else ""
    )
    return Panel(
        frame,
        f"{panel.label}; {pilots_label(coding)}",
        panel.synthetic,
        (*panel.notes, note),
        coding,
        truth=None,
        origin=panel.origin,
    )


def _recorded_pilots(record: Mapping) -> PilotCoding:
    """The pilot coding a validated copy carries in its metadata (``first_year`` by city)."""
    first = pd.Series(record["first_year"], dtype=int).reindex(raw.cities()["city_id"])
    first = first.fillna(0).astype(int).rename("g")
    first.index.name = "city_id"
    evidence = tuple(record.get("evidence") or ALL_EVIDENCE)
    return PilotCoding("parent", evidence, first, source=str(record["source"]))


def pilots_record(coding: PilotCoding) -> dict:
    """What a written copy records of a pilot coding (read back by :func:`load_panel`)."""
    treated = coding.first_year[coding.first_year > 0]
    return {
        "source": coding.source,
        "evidence": list(coding.evidence),
        "first_year": {str(k): int(v) for k, v in treated.items()},
    }


def read_pilots(
    source: str | Path | pd.DataFrame | PilotCoding,
    *,
    years: Sequence[int] = raw.SAMPLE_YEARS,
    evidence: Iterable[Evidence] = ALL_EVIDENCE,
    reading: SubCityReading = "parent",
) -> PilotCoding:
    """Another pilot policy's timing on the paper's 285 cities, from a CSV (or a frame).

    Two shapes are read:

    * **city and first year** (one row per city): a city column — ``city_id``, a Chinese or
      English name (``city``, ``城市``, …) or a 6-digit ``city_code`` — and the first pilot
      year (``first_year``, ``year``, ``batch_year``, ``g``, ``年份`` …); optionally an
      ``evidence`` column with the project's levels (``multi_source``,
      ``independent_confirmation``, ``single_secondary_source``), filtered by ``evidence``;
    * **the Broadband China list's own layout** (``batch_year``, ``entity_type``,
      ``sample_city_ids``, ``evidence``; ``data/raw/reference/broadband_china_pilots.csv``),
      coded by :func:`~replicate.data.code_pilots` under ``reading``.

    Every city of the 285 not listed is never treated. Problems are raised together as one
    :class:`PanelError` naming the column, the rows and the fix: unknown city names (with
    the closest sample cities), a city listed twice, first years that are not whole numbers
    or lie outside ``years`` (the panel's), unknown evidence levels.
    """
    if isinstance(source, PilotCoding):
        return source
    if isinstance(source, pd.DataFrame):
        frame, name = source.copy(), "pilot DataFrame"
    else:
        path = check_input(source, "pilot file")
        frame, name = read_file(path).frame, path.name
    evidence = tuple(evidence)
    if "sample_city_ids" in frame.columns:
        entries = _broadband_layout(frame, name, years)
        try:
            coding = code_pilots(reading, evidence, entries=entries)
        except ValueError as error:
            raise PanelError([Problem("sample_city_ids", str(error))], name) from None
        return PilotCoding(coding.reading, coding.evidence, coding.first_year, source=name)
    return _city_year_layout(frame, name, years, evidence)


def _pilot_years(
    frame: pd.DataFrame, column: str, years: Sequence[int], problems: list[Problem]
) -> pd.Series:
    from replicate.data.validate import clean_text_numbers

    values, _, _ = clean_text_numbers(
        frame[column].map(lambda v: v.rstrip("年") if isinstance(v, str) else v)
    )
    rows = tuple(f"row {i + 1}" for i in frame.index)
    bad = values.isna() | (values % 1 != 0)
    if bad.any():
        shown = sorted({str(v) for v in frame.loc[bad.to_numpy(), column]})[:SHOW_ROWS]
        problems.append(
            Problem(
                column,
                f"first pilot years that are not whole years (or are empty): {shown}",
                tuple(r for r, b in zip(rows, bad, strict=True) if b),
                int(bad.sum()),
                "give every city its first pilot year as an integer such as 2012",
            )
        )
    outside = ~bad & ~values.isin(list(years))
    if outside.any():
        shown = sorted({int(v) for v in values[outside]})[:SHOW_ROWS]
        problems.append(
            Problem(
                column,
                f"first pilot years {shown} outside the panel's {years[0]}–{years[-1]}",
                tuple(r for r, b in zip(rows, outside, strict=True) if b),
                int(outside.sum()),
                f"keep years within {years[0]}–{years[-1]}: a city first treated later is "
                "never treated in the panel (leave it out); one treated before it has no "
                "untreated year to compare",
            )
        )
    return values


def _broadband_layout(frame: pd.DataFrame, name: str, years: Sequence[int]) -> pd.DataFrame:
    problems: list[Problem] = []
    needed = ["batch_year", "entity_type", "sample_city_ids", "evidence"]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise PanelError(
            [
                Problem(
                    ", ".join(absent),
                    f"columns of the Broadband China layout missing; the file has "
                    f"{list(map(str, frame.columns))}",
                    fix="use the columns of data/raw/reference/broadband_china_pilots.csv, or "
                    "the simple layout: city, first_year[, evidence]",
                )
            ],
            name,
        )
    frame = frame.copy()
    frame["batch_year"] = _pilot_years(frame, "batch_year", years, problems)
    _check_evidence(frame, problems)
    if problems:
        raise PanelError(problems, name)
    frame["batch_year"] = frame["batch_year"].astype(int)
    for column in ("entity_type", "sample_city_ids", "evidence"):
        frame[column] = frame[column].fillna("").astype(str)
    return frame


def _check_evidence(frame: pd.DataFrame, problems: list[Problem]) -> None:
    if "evidence" not in frame.columns:
        return
    bad = ~frame["evidence"].isin(ALL_EVIDENCE)
    if bad.any():
        shown = sorted(set(frame.loc[bad, "evidence"].astype(str)))[:3]
        problems.append(
            Problem(
                "evidence",
                f"evidence levels {shown} are not the project's",
                tuple(f"row {i + 1}" for i in frame.index[bad]),
                int(bad.sum()),
                f"use one of {list(ALL_EVIDENCE)} (data/README.md), or drop the column",
            )
        )


def _city_year_layout(
    frame: pd.DataFrame, name: str, years: Sequence[int], evidence: tuple[Evidence, ...]
) -> PilotCoding:
    mapped, _ = map_columns(frame)
    year_col = next((c for c in PILOT_YEAR_COLUMNS if c in mapped.columns), None)
    city_cols = [c for c in ("city_id", "city", "city_code") if c in mapped.columns]
    if year_col is None or not city_cols:
        absent = ([] if city_cols else ["city"]) + ([] if year_col else ["first_year"])
        raise PanelError(
            [
                Problem(
                    ", ".join(absent),
                    f"a pilot file needs a city column and a first-year column; the file "
                    f"has {list(map(str, frame.columns))}",
                    fix="name the columns city (or city_id / city_code / 城市) and "
                    "first_year (or year / 年份); evidence is optional",
                )
            ],
            name,
        )
    if mapped.empty:
        raise PanelError([Problem("rows", "the pilot file lists no city", fix="add rows")], name)
    problems: list[Problem] = []
    mapped = mapped.reset_index(drop=True)
    if evidence != ALL_EVIDENCE:
        for level in evidence:
            if level not in ALL_EVIDENCE:
                raise ValueError(f"evidence {level!r} is not one of {list(ALL_EVIDENCE)}")
    _check_evidence(mapped, problems)
    had_ids = "city_id" in mapped.columns  # ids typed by the user (not mapped from names)
    mapped, _, city_problems = map_cities(mapped)
    problems += city_problems
    known = set(raw.cities()["city_id"])
    ids = mapped["city_id"]
    unknown = ids.notna() & ~ids.isin(known)
    if unknown.any() and had_ids:
        names = sorted(set(ids[unknown].astype(str)))
        problems.append(
            Problem(
                "city_id",
                f"cities not among the 285 sample cities "
                f"({close_matches(names, known, 0.6, 'no close id')})",
                tuple(f"row {i + 1}" for i in mapped.index[unknown]),
                int(unknown.sum()),
                "use ids from data/raw/reference/cities.csv (or Chinese/English names)",
            )
        )
    first = _pilot_years(mapped, year_col, years, problems)
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        # as the file spells them ("Hegang", "鹤岗市"), not the ids they map to
        shown = sorted(set(mapped.loc[dup, city_cols[0]].astype(str)))[:SHOW_ROWS]
        problems.append(
            Problem(
                city_cols[0],
                f"cities listed more than once: {shown}",
                tuple(f"row {i + 1}" for i in mapped.index[dup]),
                int(dup.sum()),
                "list each city once, with its first pilot year (the earliest)",
            )
        )
    if problems:
        raise PanelError(problems, name)
    keep = mapped["evidence"].isin(evidence) if "evidence" in mapped.columns else True
    chosen = pd.Series(first.astype(int).to_numpy(), index=ids.to_numpy())[
        pd.Series(keep, index=mapped.index).to_numpy()
    ]
    g = chosen.reindex(raw.cities()["city_id"], fill_value=0).astype(int).rename("g")
    g.index.name = "city_id"
    kept = tuple(dict.fromkeys(mapped["evidence"])) if "evidence" in mapped.columns else evidence
    return PilotCoding("parent", tuple(e for e in ALL_EVIDENCE if e in kept), g, source=name)


# ----------------------------------------------------------------------------- roles


def read_staggered(
    source: str | Path | pd.DataFrame | Panel,
    columns: schema.Roles | Mapping[str, object] | str | None = None,
    *,
    missing: MissingPolicy | None = None,
    balanced: BalancePolicy | None = None,
    sheet: str | None = None,
    hints: Mapping[str, str] = ROLE_HINTS,
    reading: SubCityReading | None = "parent",
    pilots: str | Path | pd.DataFrame | PilotCoding | None = None,
    seed: int | None = None,
) -> StaggeredPanel:
    """Read any staggered panel described by its roles, validated for what the roles need.

    Parameters
    ----------
    source : path, DataFrame (pandas or polars), Panel or "synthetic"
        The data; never modified.
    columns : dict, str, Roles or None
        Which column plays which role: ``{"unit": "countyreal", "time": "year",
        "outcome": "lemp", "cohort": "first.treat"}`` or the same as text,
        ``"unit=countyreal,time=year,outcome=lemp,cohort=first.treat"`` (see
        :func:`replicate.data.schema.parse_roles`). None or ``"paper"``: the paper's
        city-year schema, read by :func:`load_panel` (285 cities, 2005–2022, the pilot
        timing) — then ``reading``, ``pilots`` and ``seed`` apply.
    missing, balanced, sheet, hints
        As in :func:`load_panel`; a roles panel must be balanced unless
        ``balanced="allow"``.

    Returns
    -------
    StaggeredPanel
        ``frame``, ``roles`` (unit, time, outcome(s), cohort, treatment, controls,
        cluster; a cohort or 0/1 treatment derived from the other when only one was
        named), ``label`` (the file's name, or its recorded label), ``marker``,
        ``is_paper``, ``panel_columns`` (keywords for the estimators) and ``notes``.

    Examples
    --------
    >>> import moderndid
    >>> mpdta = moderndid.load_mpdta()  # polars
    >>> panel = read_staggered(mpdta, "unit=countyreal,time=year,outcome=lemp,cohort=first.treat")
    >>> panel.roles.outcome, panel.is_paper
    ('lemp', False)
    """
    roles = schema.parse_roles(columns)
    if roles.is_paper:
        if isinstance(source, Panel):
            paper = source if pilots is None else _with_pilots(source, read_pilots(pilots))
        else:
            paper = load_panel(
                source,
                missing=missing,
                balanced=balanced,
                reading=reading,
                seed=seed,
                sheet=sheet,
                hints={**API_HINTS, **hints},
                pilots=pilots,
            )
        return StaggeredPanel(
            paper.frame,
            paper.label,
            paper.synthetic,
            paper.notes,
            paper.coding,
            truth=paper.truth,
            origin=paper.origin,
            roles=schema.PAPER,
        )
    if pilots is not None:
        raise ValueError(
            "pilots replaces the timing of the paper's 285 cities; a panel named by its "
            "roles carries its own timing (its cohort or treatment column)"
        )
    meta: dict = {}
    notes: tuple[str, ...] = ()
    if isinstance(source, Panel):
        frame, name = source.frame.copy(), source.label
        meta = {"synthetic": source.synthetic, "origin": source.origin, "label": source.label}
    elif isinstance(source, pd.DataFrame):
        frame, name = source.copy(), "DataFrame"
    elif hasattr(source, "to_pandas") and not isinstance(source, str | Path):
        frame, name = source.to_pandas(), f"{type(source).__name__}"  # polars, pyarrow
    else:
        if isinstance(source, str) and source == "synthetic":
            raise ValueError(
                "the synthetic twin has the paper's schema: pass columns=None (or 'paper')"
            )
        loaded = read_file(source, sheet)
        frame, notes, name = loaded.frame, loaded.notes, Path(source).name
        meta = dict(loaded.meta) if loaded.verified else {}
    policy = meta.get("policy") if isinstance(meta.get("policy"), dict) else {}
    clean, roles, more = validate_roles(
        frame,
        roles,
        missing=missing or policy.get("missing", "error"),
        balanced=balanced or policy.get("balanced", "require"),
        source=name,
        hints=hints,
        notes=notes,
    )
    synthetic_flag = meta.get("synthetic") is True
    label = str(meta.get("label") or name)
    if synthetic_flag and not label.startswith("SYNTHETIC"):
        label = f"SYNTHETIC {label}"
    origin = "synthetic" if synthetic_flag else str(meta.get("origin", "unverified"))
    return StaggeredPanel(
        clean, label, synthetic_flag, tuple(more), None, origin=origin, roles=roles
    )
