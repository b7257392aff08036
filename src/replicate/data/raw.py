"""Loaders for the immutable public inputs in ``data/raw`` (see ``data/README.md``)."""

from __future__ import annotations

import json
from functools import cache

import pandas as pd

from replicate import paths

SAMPLE_YEARS = tuple(range(2005, 2023))
"""The paper's sample period, 2005–2022 inclusive (18 years)."""

PILOT_BATCHES = (2014, 2015, 2016)


@cache
def _cities() -> pd.DataFrame:
    return pd.read_csv(
        paths.require(paths.CITIES_CSV),
        dtype={"city_code": str, "province_code": str},
        encoding="utf-8",
    )


def cities() -> pd.DataFrame:
    """The 285 sample cities: ``city_id``, GB/T 2260 code, names, province, region."""
    return _cities().copy()


@cache
def _pilots() -> pd.DataFrame:
    frame = pd.read_csv(paths.require(paths.PILOTS_CSV), dtype=str, keep_default_na=False)
    frame["batch_year"] = frame["batch_year"].astype(int)
    frame["order_in_list"] = frame["order_in_list"].astype(int)
    return frame


def pilot_entries() -> pd.DataFrame:
    """Every entry of the three Broadband China lists (117 rows), as published."""
    return _pilots().copy()


def gwr_reports() -> pd.DataFrame:
    """The State Council Government Work Reports 2005–2025 (2020 missing): year, title, text."""
    rows = []
    with paths.require(paths.GWR_JSONL).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
    return pd.DataFrame(rows)
