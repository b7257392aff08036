"""etable: fixed-effect rows, N and inference come from the fits, never from a default."""

from __future__ import annotations

import pandas as pd
import pytest

import replicate
from replicate import replication
from replicate.report import tables
from replicate.report.etable import etable

PROVINCE_YEAR = ["city_id", "year", "province#year"]


@pytest.fixture(scope="module")
def panel(default_panel):
    return default_panel  # built once per session (conftest)


@pytest.fixture(scope="module")
def with_province_year(panel):
    return replication.estimate(2, panel, absorb=PROVINCE_YEAR)


def _singletons_by_hand(frame: pd.DataFrame) -> int:
    """City-years alone in their province-year cell (an independent count of what reghdfe
    drops: with city, year and province-year effects only province-year cells can be
    singletons on a balanced panel)."""
    size = frame.groupby(["province", "year"])["city_id"].transform("size")
    return int((size == 1).sum())


def test_table2_with_province_by_year_effects(panel, with_province_year):
    table = etable(with_province_year)
    fe = table.xs("fe", level="line")
    assert list(fe.index) == ["city_id FE", "year FE", "province×year FE"]
    assert (fe == "yes").all().all()
    expected_n = len(panel.frame) - _singletons_by_hand(panel.frame)
    assert expected_n < len(panel.frame)  # the twin has single-city provinces
    n_row = table.loc[("N", "stat")]
    assert (n_row == f"{expected_n:,}").all()
    assert all(r.nobs == expected_n for r in with_province_year.values())


def test_paper_table_rows_follow_the_fit(panel):
    table = replication.paper_table(2, panel, absorb=PROVINCE_YEAR)
    assert table.loc[("province×year FE", "fe")].eq("yes").all()
    n = len(panel.frame) - _singletons_by_hand(panel.frame)
    assert table.loc[("N", "stat"), "(7)"] == f"{n:,}"
    assert table.loc[("N", "paper"), "(7)"] == "5,130"  # PAPER.md Table 2 col (7)
    assert "province×year" in table.attrs["notes"]
    assert "other fixed effects than the published ones" in table.attrs["notes"]


def test_default_specification_has_no_province_rows(panel):
    table = replication.paper_table(2, panel)
    assert not any("province" in row for row, _ in table.index)
    t4 = replication.paper_table(4, panel)
    fe = t4.xs("fe", level="line")
    assert fe.loc["province×year FE"].tolist()[:2] == ["yes", "no"]  # PAPER.md Table 4 FE rows


def test_mixed_fits_side_by_side(panel):
    frame = replication.regression_frame(panel)
    two_way = replicate.fit("nqp ~ did + hum | city_id + year", frame, vcov={"CRV1": "city_id"})
    robust = replicate.fit("nqp ~ did | city_id", frame, vcov="hetero")
    table = etable(two_way, robust, stats=("N", "R2", "R2_within"))
    assert table.loc[("year FE", "fe")].tolist() == ["yes", "no"]
    assert table.loc[("S.E.", "vcov")].tolist() == ["CRV1", "HC1"]
    assert table.loc[("hum", "coef"), "(2)"] == ""
    assert table.loc[("within R²", "stat"), "(1)"] == f"{two_way.rsquared_within:.3f}"
    assert "clustered" in table.attrs["notes"] and "heteroskedasticity" in table.attrs["notes"]


def test_keep_labels_and_stars(with_province_year):
    res = with_province_year[7]
    table = etable(res, labels=["all controls"], keep=["did"], coef_labels={"did": "DID"})
    assert [row for row, line in table.index if line == "coef"] == ["DID"]
    p = res.pvalues["did"]
    n_stars = (
        int(p < 0.10) + int(p < 0.05) + int(p < 0.01)
    )  # the paper's convention (PAPER.md note)
    assert table.loc[("DID", "coef"), "all controls"] == f"{res.params['did']:.3f}" + "*" * n_stars
    with pytest.raises(ValueError, match="stats='AIC' is not allowed"):
        etable(res, stats=("AIC",))


def test_renders_in_every_format(with_province_year):
    table = etable(with_province_year)
    html = tables.render(table, "html")
    assert "province×<wbr>year FE" in html and "<td></td>" in html  # s.e. rows unlabelled
    latex = tables.render(table, "latex")
    assert r"\begin{tabular}" in latex and r"province$\times$year FE" in latex
    csv = tables.render(table, "csv")
    assert csv.splitlines()[0].startswith("row,line,(1)")
