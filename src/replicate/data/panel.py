"""``load_panel``: read (:mod:`~replicate.data.io`), map (:mod:`~replicate.data.cities`) and
validate (:mod:`~replicate.data.validate`) a city-year panel, or generate the twin.

``load_panel("synthetic")`` returns the seeded synthetic twin; ``load_panel("my.dta")``
reads a user's file (CSV in UTF-8 or GBK/GB18030, Parquet, Stata, Excel), maps alternative
column names and city identifiers to the schema, validates it and attaches the pilot
coding. The caller's DataFrame or file is never modified. The names below are re-exported
for code that imported them from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from replicate.data import schema, synthetic
from replicate.data.cities import map_cities, map_columns
from replicate.data.io import FileError, read_file, read_table
from replicate.data.pilots import PilotCoding, SubCityReading
from replicate.data.validate import (
    API_HINTS,
    SHOW_ROWS,
    BalancePolicy,
    MissingPolicy,
    Panel,
    PanelError,
    Problem,
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
    "load_panel",
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

    Returns
    -------
    Panel
        ``synthetic`` and ``origin`` come from the label bound to the file (see
        :mod:`replicate.data.io`); a file without one is of ``"unverified"`` origin.
    """
    if isinstance(source, str) and source == "synthetic":
        twin = synthetic.make_twin(
            seed=synthetic.DEFAULT_SEED if seed is None else seed, reading=reading or "parent"
        )
        return twin.panel()
    if isinstance(source, pd.DataFrame):
        frame, meta, notes, name = source.copy(), {}, (), "DataFrame"
    else:
        loaded = read_file(source, sheet)
        frame, notes, name = loaded.frame, loaded.notes, Path(source).name
        meta = dict(loaded.meta) if loaded.verified else {}
    policy = meta.get("policy") if isinstance(meta.get("policy"), dict) else {}
    clean, more, coding = validate(
        frame,
        require=require,
        missing=missing or policy.get("missing", "error"),
        balanced=balanced or policy.get("balanced", "require"),
        reading=reading,
        source=name,
        hints=hints,
    )
    synthetic_flag = meta.get("synthetic") is True
    label = str(meta.get("label") or name)
    if synthetic_flag and not label.startswith("SYNTHETIC"):
        label = f"SYNTHETIC {label}"
    origin = "synthetic" if synthetic_flag else str(meta.get("origin", "unverified"))
    return Panel(clean, label, synthetic_flag, (*notes, *more), coding, origin=origin)
