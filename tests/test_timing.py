"""``first_treatment``: the cohort (first treated period) from a 0/1 treatment column.

Reference: R ``did``'s ``mpdta`` (shipped with moderndid 0.2, ``load_mpdta``) has the
first-treatment year ``first.treat`` (0 = never treated); its period-by-period treatment
is ``1[first.treat > 0 and year >= first.treat]``. Rebuilding ``first.treat`` from that
column must give it back exactly.
"""

from __future__ import annotations

import moderndid as md
import numpy as np
import pandas as pd
import pytest

from replicate.models import first_treatment


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    df = md.load_mpdta().to_pandas()
    g = df["first.treat"]
    return df.assign(D=((g > 0) & (df["year"] >= g)).astype(int))


def test_rebuilds_mpdta_first_treat(mpdta):
    shuffled = mpdta.sample(frac=1.0, random_state=3)  # order of rows does not matter
    before = shuffled.copy()
    cohort = first_treatment(shuffled, "D", unit="countyreal", time="year", name="g")
    pd.testing.assert_frame_equal(shuffled, before)  # input untouched
    assert cohort.name == "g"
    assert cohort.index.equals(shuffled.index)
    np.testing.assert_array_equal(cohort.to_numpy(), shuffled["first.treat"].to_numpy())
    assert set(cohort[shuffled["first.treat"] == 0]) == {0}


def test_polars_and_booleans(mpdta):
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(mpdta.assign(D=mpdta["D"].astype(bool)))
    cohort = first_treatment(frame, "D", unit="countyreal", time="year")
    np.testing.assert_array_equal(cohort.to_numpy(), mpdta["first.treat"].to_numpy())


def test_ever_treated_indicator_warns(mpdta):
    with pytest.warns(UserWarning, match="ever treated"):
        cohort = first_treatment(mpdta, "treat", unit="countyreal", time="year")
    assert set(cohort[mpdta["treat"] == 1]) == {2003}


def _toy(d):
    return pd.DataFrame({"id": ["a"] * 4 + ["b"] * 4, "year": list(range(2000, 2004)) * 2, "D": d})


def test_switching_off_is_refused_naming_unit_and_rows():
    df = _toy([0, 1, 1, 0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"switches off.*id='a'.*\[2003\].*1 row, index 3"):
        first_treatment(df, "D", unit="id", time="year")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([0, 1, 1, 2, 0, 0, 1, 1], r"must be 0 or 1.*1 row, index 3.*2"),
        ([0, 1, 1, np.nan, 0, 0, 1, 1], r"must be 0 or 1.*index 3"),
    ],
)
def test_non_binary_or_missing_treatment_is_refused(values, message):
    with pytest.raises(ValueError, match=message):
        first_treatment(_toy(values), "D", unit="id", time="year")


def test_conflicting_duplicates_refused_agreeing_ones_kept():
    df = _toy([0, 1, 1, 1, 0, 0, 0, 1])
    same = pd.concat([df, df.iloc[[2]]])
    cohort = first_treatment(same, "D", unit="id", time="year")
    assert cohort.tolist() == [2001] * 4 + [2003] * 4 + [2001]
    clash = pd.concat([df, df.iloc[[2]].assign(D=0)])
    with pytest.raises(ValueError, match="disagree"):
        first_treatment(clash, "D", unit="id", time="year")


def test_missing_column_and_text_time():
    df = _toy([0, 1, 1, 1, 0, 0, 0, 0])
    with pytest.raises(ValueError, match=r"\['treated'\] are not in the data"):
        first_treatment(df, "treated", unit="id", time="year")
    with pytest.raises(ValueError, match="non-numeric"):
        first_treatment(df.assign(year=["y1"] * 8), "D", unit="id", time="year")
    assert first_treatment(df, "D", unit="id", time="year").tolist() == [2001] * 4 + [0] * 4
