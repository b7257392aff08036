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


# ----------------------------------------------------------------------------- DID results

MPDTA = {"unit": "countyreal", "time": "year", "cohort": "ft"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    """R did's mpdta (moderndid 0.2 ``load_mpdta``) with its 0/1 treatment ``D``."""
    import moderndid as md

    df = md.load_mpdta().to_pandas().rename(columns={"first.treat": "ft"})
    return df.assign(D=((df["ft"] > 0) & (df["year"] >= df["ft"])).astype(int))


@pytest.fixture(scope="module")
def did_results(mpdta):
    import warnings

    from replicate.models.dcdh import did_multiplegt
    from replicate.models.event_study import event_study
    from replicate.models.staggered import callaway_santanna, imputation, sun_abraham

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "fit": replicate.fit("lemp ~ D | countyreal + year", mpdta),
            "cs": callaway_santanna(mpdta, "lemp", **MPDTA),
            "sa": sun_abraham(mpdta, "lemp", **MPDTA),
            "imputation": imputation(mpdta, "lemp", **MPDTA),
            "es": event_study(mpdta, "lemp", **MPDTA, window=(-4, 3)),
            "didm": did_multiplegt(mpdta, "lemp", **MPDTA),
        }


def _printed(value: float, p: float | None = None) -> str:
    """Independent formatting: 3 decimals, the paper's stars (* .10, ** .05, *** .01)."""
    text = f"{value:.3f}"
    if p is None:
        return f"({text})"
    return text + "*" * (int(p < 0.10) + int(p < 0.05) + int(p < 0.01))


def test_did_results_side_by_side_read_from_each_result(did_results):
    table = etable(did_results, coef_labels={"D": "ATT"})
    assert list(table.columns) == list(did_results)
    for label, res in did_results.items():
        if label == "fit":
            est, se, p = res.params["D"], res.std_errors["D"], res.pvalues["D"]
        else:  # the headline effect and the p-value the result's own tidy() reports
            head = res.tidy().iloc[0]
            est, se, p = res.estimate, res.se, head["p_value"]
            assert head["estimate"] == est
        assert table.loc[("ATT", "coef"), label] == _printed(est, p), label
        assert table.loc[("ATT", "se"), label] == _printed(se), label
        assert table.loc[("N", "stat"), label] == f"{res.nobs:,}"
    fe = table.xs("fe", level="line")
    # FE rows from each result: fit, the TWFE event study and Sun–Abraham absorb unit and
    # year; CS and DID_M are not fixed-effects regressions ("—")
    assert fe.loc["countyreal FE", ["fit", "es", "sa", "cs", "didm"]].tolist() == [
        "yes",
        "yes",
        "yes",
        "—",
        "—",
    ]
    assert table.loc[("R²", "stat"), "fit"] == f"{did_results['fit'].rsquared:.3f}"
    assert table.loc[("R²", "stat"), "cs"] == ""
    se_kind = table.loc[("S.E.", "vcov")]
    assert se_kind[["fit", "cs", "sa", "imputation", "es", "didm"]].tolist() == [
        "CRV1",
        "IF",
        "CRV1",
        "BJS",
        "CRV1",
        "bootstrap",
    ]
    cluster = table.loc[("cluster", "vcov")]
    assert cluster.tolist() == ["countyreal"] * 6  # each result's own cluster column
    notes = table.attrs["notes"]
    for key in ("cs", "sa", "imputation", "es", "didm"):
        assert did_results[key].method_name in notes
    assert "200 draws" in notes and "BJS conservative" in notes


def test_sun_abraham_standard_error_kind_is_read_from_the_result(mpdta):
    from replicate.models.staggered import sun_abraham

    robust = sun_abraham(mpdta, "lemp", **MPDTA, vcov="hetero")
    table = etable(robust)
    assert table.loc[("S.E.", "vcov"), "(1)"] == "HC1"
    assert ("cluster", "vcov") not in table.index
    assert "heteroskedasticity" in table.attrs["notes"]


def test_etable_of_one_cs_result_and_its_event_rows(did_results):
    cs, sa, es = did_results["cs"], did_results["sa"], did_results["es"]
    alone = etable(cs)  # raised AttributeError before (issue #21)
    assert alone.loc[("ATT", "coef"), "(1)"].startswith(f"{cs.estimate:.3f}")
    table = etable(cs, sa, es, events=True)
    events = [row for row, line in table.index if line == "coef" and row.startswith("event")]
    assert events == [
        "event ≤-4",
        "event -4",
        "event -3",
        "event -2",
        "event -1",
        "event 0",
        "event 1",
        "event 2",
        "event 3",
        "event ≥3",
    ]
    dyn = cs.aggregations["dynamic"]
    for k in (-3, 0, 2):
        assert table.loc[(f"event {k}", "coef"), "(1)"].startswith(f"{dyn.loc[k, 'estimate']:.3f}")
        assert table.loc[(f"event {k}", "se"), "(2)"] == _printed(sa.by_event.loc[k, "se"])
    assert table.loc[("event -1", "coef"), "(2)"] == ""  # SA's reference period
    assert table.loc[("event ≥3", "coef"), "(3)"].startswith(f"{es.table.loc[3, 'coef']:.3f}")


def test_fit_column_agrees_with_pyfixest_etable(mpdta, did_results):
    """pyfixest 0.60 ``etable(type="df")``: the same coefficient, s.e., N and R² printed
    (its stars use other thresholds, .001/.01/.05, so only the numbers are compared)."""
    import warnings

    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pf.etable(
            [pf.feols("lemp ~ D | countyreal + year", mpdta, vcov={"CRV1": "countyreal"})],
            type="df",
            digits=3,
        )
    ours = etable(did_results["fit"], did_results["cs"], coef_labels={"D": "ATT"})
    coef, se = (part.strip() for part in theirs.iloc[0, 0].split("\n"))
    assert ours.loc[("ATT", "coef"), "(1)"].rstrip("*") == coef.rstrip("*")
    assert ours.loc[("ATT", "se"), "(1)"] == se
    stat = theirs.xs("stats", level=0).iloc[:, 0]
    assert ours.loc[("N", "stat"), "(1)"] == stat["Observations"]
    assert ours.loc[("R²", "stat"), "(1)"] == stat["R²"]
