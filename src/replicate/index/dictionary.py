"""The keyword dictionary: 46 terms on new quality productive forces, in four categories.

The paper counts "46 keywords related to new quality productive forces" following Li et
al. (2020) but does not list them. ``nqp_keywords.csv`` beside this file is **our** list,
not the authors': each term has an English gloss, a category and the reason it is there.
Pass your own CSV (columns ``term, gloss, category, reason``) to use another.

The optional column ``overlaps_treatment`` (``yes``/``no``) flags terms that name the
treatment itself or the programmes it belongs to — 新型基础设施 (new-type
infrastructure), 5G, 互联网+, 数字中国, 工业互联网. A pilot city's documents may mention
them *because* it is a pilot, a mechanical link between treatment and outcome;
``Dictionary.without_treatment_terms()`` drops them so the index can be rebuilt without.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from replicate.index.text import normalise

DEFAULT_DICTIONARY = Path(__file__).with_name("nqp_keywords.csv")
COLUMNS = ("term", "gloss", "category", "reason")
OVERLAP = "overlaps_treatment"
"""Optional column: ``yes`` for terms that name the treatment or its programme."""


@dataclass(frozen=True, eq=False)
class Dictionary:
    """Keyword terms with their categories.

    Attributes
    ----------
    table : DataFrame
        ``term, gloss, category, reason`` plus ``normalised`` (the form matched).
    source : str
        Where the dictionary came from.
    """

    table: pd.DataFrame
    source: str

    @property
    def terms(self) -> list[str]:
        return self.table["term"].tolist()

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(self.table["category"]))

    def nested(self) -> pd.DataFrame:
        """Pairs where one term lies inside another (the shorter is not counted twice)."""
        rows = [
            (inner, outer)
            for inner in self.terms
            for outer in self.terms
            if inner != outer and inner in outer
        ]
        return pd.DataFrame(rows, columns=["shorter term", "inside"])

    @property
    def treatment_terms(self) -> list[str]:
        """Terms flagged in ``overlaps_treatment`` (empty when the column is absent)."""
        return self.table.loc[self.table[OVERLAP] == "yes", "term"].tolist()

    def without_treatment_terms(self) -> Dictionary:
        """The same dictionary without the terms that name the treatment."""
        if not self.treatment_terms:
            raise ValueError(
                f"{self.source}: no term is flagged in column {OVERLAP!r}; nothing to drop. "
                f"Mark terms with 'yes' in that column first."
            )
        kept = self.table[self.table[OVERLAP] != "yes"].reset_index(drop=True)
        return Dictionary(
            kept, f"{self.source} without {len(self.treatment_terms)} treatment terms"
        )


def load_dictionary(path: str | Path | None = None) -> Dictionary:
    """Read and check a keyword dictionary (default: the book's 46 terms)."""
    path = Path(path) if path is not None else DEFAULT_DICTIONARY
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: dictionary columns {missing} are missing; it needs {list(COLUMNS)}."
        )
    table["term"] = table["term"].str.strip()
    empty = table.index[table["term"] == ""].tolist()
    if empty:
        raise ValueError(f"{path}: empty terms in rows {empty}; remove them.")
    if OVERLAP not in table.columns:
        table[OVERLAP] = "no"
    table[OVERLAP] = table[OVERLAP].str.strip().str.lower()
    bad = table.index[~table[OVERLAP].isin(["yes", "no", ""])].tolist()
    if bad:
        raise ValueError(
            f"{path}: column {OVERLAP!r} must be 'yes' or 'no'; rows {bad} hold "
            f"{sorted(set(table.loc[bad, OVERLAP]))}."
        )
    table["normalised"] = table["term"].map(normalise)
    dup = table[table["normalised"].duplicated(keep=False)]
    if len(dup):
        raise ValueError(
            f"{path}: terms duplicated after normalisation: {sorted(set(dup['term']))}; keep one of each."
        )
    return Dictionary(table.reset_index(drop=True), str(path))
