"""Code the Broadband China pilot lists into each sample city's treatment timing.

The paper's regressor is ``did = treat × period`` (equation 1): ``treat`` is 1 for pilot
cities, ``period`` is 1 from the year a city became a pilot onward. A city's first
treatment year ``g`` is the earliest batch whose entries map to it; ``g = 0`` marks a
never-treated city (the convention of Callaway & Sant'Anna's ``did`` package).

Two readings of entries below prefecture level (county-level cities such as Kunshan and
districts of Chongqing) are offered, because whether they treat their parent city is a
judgement call the paper does not document:

``"parent"``
    a sub-city entry treats its parent prefecture (109 treated cities, did mean 0.1706);
``"ignore"``
    sub-city entries are dropped (108 treated cities, did mean 0.1688).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from replicate._options import check_choice
from replicate.data import raw

SubCityReading = Literal["parent", "ignore"]
Evidence = Literal["multi_source", "independent_confirmation", "single_secondary_source"]
SUB_CITY_TYPES = frozenset({"county_level_city", "district"})
ALL_EVIDENCE: tuple[Evidence, ...] = get_args(Evidence)
BROADBAND = "Broadband China lists"


def treated_now(first_year, year) -> np.ndarray:
    """``did``: 1 from a unit's first treatment year on, 0 before and for never-treated
    units (first year 0 or missing). Broadcasts, so a units × years grid works too."""
    g = np.nan_to_num(np.asarray(first_year, dtype=float), nan=0.0)
    return ((g > 0) & (np.asarray(year) >= g)).astype(float)


_check_choice = check_choice  # the one allowed-values check (replicate._options)


@dataclass(frozen=True, eq=False)
class PilotCoding:
    """Treatment timing of the 285 sample cities under one reading of the pilot lists.

    Attributes
    ----------
    reading : {"parent", "ignore"}
        How sub-city entries were treated.
    evidence : tuple of str
        Evidence levels whose entries were kept.
    first_year : pandas.Series
        ``g`` per ``city_id`` (int; 0 = never treated), in the order of ``cities.csv``.
    source : str
        Where the timing comes from: the Broadband China lists, or a user's pilot file
        (``--pilots``; see :func:`replicate.data.read_pilots`).
    """

    reading: SubCityReading
    evidence: tuple[Evidence, ...]
    first_year: pd.Series
    source: str = BROADBAND

    @property
    def is_broadband(self) -> bool:
        """True when the timing is the Broadband China lists shipped in ``data/raw``."""
        return self.source == BROADBAND

    @property
    def batches(self) -> tuple[int, ...]:
        """The pilot years: 2014–2016 for Broadband China, a file's own years otherwise."""
        if self.is_broadband:
            return raw.PILOT_BATCHES
        return tuple(sorted(int(y) for y in set(self.first_year[self.first_year > 0])))

    @property
    def treated(self) -> pd.Index:
        """``city_id`` of every treated city."""
        return self.first_year.index[self.first_year > 0]

    def counts_by_batch(self) -> pd.Series:
        """Number of sample cities first treated in each batch year."""
        g = self.first_year[self.first_year > 0]
        return g.value_counts().reindex(list(self.batches), fill_value=0).rename("cities")

    def panel(self, years: Iterable[int] = raw.SAMPLE_YEARS) -> pd.DataFrame:
        """City-year frame with ``city_id, year, g, treat, period, did``.

        ``period`` follows the paper's wording (1 from the pilot year onward) and is 0 for
        never-treated cities, so ``did = treat × period`` in every row.
        """
        years = list(years)
        g = self.first_year
        frame = pd.DataFrame(
            {
                "city_id": g.index.repeat(len(years)),
                "year": years * len(g),
                "g": g.to_numpy().repeat(len(years)),
            }
        )
        frame["treat"] = (frame["g"] > 0).astype(int)
        frame["period"] = treated_now(frame["g"], frame["year"]).astype(int)
        frame["did"] = frame["treat"] * frame["period"]
        return frame

    def treated_share(self, years: Iterable[int] = raw.SAMPLE_YEARS) -> float:
        """Mean of ``did`` over the balanced city-year panel (the paper's Table 1: 0.167)."""
        return float(self.panel(years)["did"].mean())

    def summary(self) -> pd.DataFrame:
        """One row: the reading, treated cities per batch, total and treated share."""
        counts = self.counts_by_batch()
        row = {"reading": self.reading if self.is_broadband else f"file: {self.source}"}
        row.update({str(k): int(v) for k, v in counts.items()})
        row["treated cities"] = int(counts.sum())
        row["did mean"] = round(self.treated_share(), 4)
        return pd.DataFrame([row])


def code_pilots(
    reading: SubCityReading = "parent",
    evidence: Iterable[Evidence] = ALL_EVIDENCE,
    entries: pd.DataFrame | None = None,
) -> PilotCoding:
    """Map the published pilot lists to first treatment years of the 285 sample cities.

    Parameters
    ----------
    reading : {"parent", "ignore"}
        Whether county-level cities and districts treat their parent prefecture.
    evidence : iterable of str
        Keep only entries whose membership evidence is one of these levels (see
        ``data/README.md``); by default all three.
    entries : DataFrame, optional
        Pilot entries in the layout of ``broadband_china_pilots.csv``; defaults to the
        shipped file.

    Returns
    -------
    PilotCoding
    """
    _check_choice("reading", reading, get_args(SubCityReading))
    evidence = tuple(evidence)
    for level in evidence:
        _check_choice("evidence", level, ALL_EVIDENCE)
    if not evidence:
        raise ValueError(f"evidence is empty; pass one or more of {list(ALL_EVIDENCE)}.")
    entries = raw.pilot_entries() if entries is None else entries
    keep = entries["evidence"].isin(evidence)
    if reading == "ignore":
        keep &= ~entries["entity_type"].isin(SUB_CITY_TYPES)
    mapped = (
        entries.loc[keep, ["batch_year", "sample_city_ids"]]
        .assign(city_id=lambda f: f["sample_city_ids"].str.split(";"))
        .explode("city_id")
    )
    mapped = mapped[mapped["city_id"].fillna("").str.len() > 0]
    city_ids = raw.cities()["city_id"]
    unknown = sorted(set(mapped["city_id"]) - set(city_ids))
    if unknown:
        raise ValueError(
            f"sample_city_ids names cities that are not in cities.csv: {unknown}. "
            "Fix the mapping column of the pilot file."
        )
    first = mapped.groupby("city_id")["batch_year"].min()
    g = first.reindex(city_ids, fill_value=0).astype(int)
    g.index.name = "city_id"
    return PilotCoding(reading=reading, evidence=evidence, first_year=g.rename("g"))
