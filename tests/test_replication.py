"""The paper's tables: published data, specifications, comparison, statuses, layout, CLI.

Reference numbers are the published ones, copied from the article (shared/PAPER.md) with
their place named next to them; fitted numbers are checked against pyfixest's ``feols``,
an independent implementation.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from replicate import checks, cli, paper, replication
from replicate.data import load_panel
from replicate.data.schema import CONTROLS
from replicate.report import prose, tables

# Tolerances against pyfixest: same demeaning problem, different code.
COEF_TOL = 1e-8
SE_TOL = 1e-6


@pytest.fixture(scope="module")
def panel(default_panel):
    return default_panel  # built once per session (conftest)


@pytest.fixture(scope="module")
def table2(default_table2):
    return default_table2  # fitted once per session (conftest)


# ----------------------------------------------------------------------------- published


@pytest.mark.parametrize(
    ("table", "column", "variable", "coef", "se", "n_stars"),
    [
        (2, 1, "did", 0.144, 0.028, 3),  # PAPER.md Table 2 col (1)
        (2, 7, "fin", -0.040, 0.014, 3),  # PAPER.md Table 2 col (7)
        (2, 6, "hum", 0.298, 0.149, 2),  # PAPER.md Table 2 col (6)
        (3, 1, "fdi", -188.469, 22.664, 3),  # PAPER.md Table 3 col (1) innovp
        (3, 2, "innovp", 0.001, 0.000, 1),  # PAPER.md Table 3 col (2): "0.001* (0.000)"
        (4, 1, "did", 0.075, 0.029, 3),  # PAPER.md Table 4 col (1)
        (4, 2, "fispre", -0.020, 0.011, 1),  # PAPER.md Table 4 col (2)
    ],
)
def test_published_cells_match_the_article(table, column, variable, coef, se, n_stars):
    cell = paper.published(table).set_index(["column", "variable"]).loc[(column, variable)]
    assert (cell["coef"], cell["se"], cell["stars"]) == (coef, se, n_stars)


def test_published_tables_have_every_number():
    # Counts from PAPER.md: Table 2 has 28 coefficient cells + 7 constants; Table 3 8 + 9;
    # Table 4 16 + 2 (lnpgdp, fispre) - 0 + constants.
    assert len(paper.published(2).query("variable not in ['N', 'R2']")) == 35
    assert len(paper.published(3).query("variable not in ['N', 'R2']")) == 17
    assert len(paper.published(4).query("variable not in ['N', 'R2']")) == 18
    fit = paper.published(4).set_index(["column", "variable"])["coef"]
    assert (fit[(1, "N")], fit[(2, "N")], fit[(1, "R2")]) == (5022, 5130, 0.934)  # PAPER.md T4


# ----------------------------------------------------------------------------- checks


def test_published_constants_imply_mar_and_fin_in_percent():
    """Evidence for REGRESSION_SCALE from published numbers alone."""
    implied = checks.implied_constants()
    gap_percent = (implied["printed constant"] - implied["implied, mar and fin in percent"]).abs()
    gap_units = (implied["printed constant"] - implied["implied, Table 1 units"]).abs()
    assert (gap_percent <= implied["rounding bound"]).all()
    with_mar = [(2, 6), (2, 7), (4, 1)]
    assert (gap_units.loc[with_mar] > 0.5).all()  # off by ~1 in Table 1's units


def test_indirect_bounds_by_brute_force():
    """Rejection sampling over the printed innovp cell gives the same range of a·b."""
    from scipy import stats

    bounds = checks.published_indirect_bounds()
    rng = np.random.default_rng(0)
    b = rng.uniform(0.0005, 0.0015, 400_000)  # prints as 0.001
    se = rng.uniform(0.0, 0.0005, 400_000)  # prints as 0.000
    t = b / se
    ok = (t >= stats.t.ppf(0.95, 284)) & (t < stats.t.ppf(0.975, 284))  # one star, G - 1 = 284
    indirect = 9.686 * b[ok]  # PAPER.md Table 3 col (1): did = 9.686 (0.934)
    lo, hi = bounds.loc["indirect effect a·b", ["minimum", "maximum"]]
    assert lo == pytest.approx(indirect.min(), abs=2e-5)
    assert hi == pytest.approx(indirect.max(), abs=2e-5)


# ----------------------------------------------------------------------------- estimation


def test_specifications_follow_the_paper():
    table2 = replication.specs(2)
    assert table2[6].regressors == ("did", *CONTROLS)
    assert table2[2].regressors == ("did", "fdi", "hum")
    t4 = replication.specs(4)
    assert "province#year" in t4[0].absorb and t4[1].regressors[-2:] == ("lnpgdp", "fispre")


def test_options_from_a_parameter_cell(panel, table2):
    cell = {"data": "synthetic", "reading": "parent", "cluster": "province", "controls": ["hum"]}
    options = replication.options_from(cell)
    assert options == {"controls": ["hum"], "cluster": "province"}
    results = replication.estimate(2, panel, **options)
    assert results[2].n_clusters == panel.frame["province"].nunique()
    assert table2[1].data_label.startswith("SYNTHETIC")  # results carry the panel's label


def test_estimates_use_the_regression_scale(panel, table2):
    raw_units = replication.estimate(2, panel, rescale={})[7]
    assert table2[7].params["mar"] * 100 == pytest.approx(raw_units.params["mar"], rel=1e-9)
    assert table2[7].params["did"] == pytest.approx(raw_units.params["did"], abs=1e-12)


@pytest.mark.parametrize(("table", "column"), [(2, 1), (2, 7), (4, 1)])
def test_estimates_equal_pyfixest(panel, table, column):
    """Each column against pyfixest feols with reghdfe's singleton rule and clustering."""
    pf = pytest.importorskip("pyfixest")
    spec = replication.specs(table)[column - 1]
    ours = replication.estimate(table, panel)[column]
    frame = replication.regression_frame(panel).copy()
    absorb = []
    for effect in spec.absorb:
        if "#" in effect:
            name = effect.replace("#", "_x_")
            frame[name] = pd.factorize(frame[effect.split("#")].astype(str).agg("-".join, axis=1))[
                0
            ]
            absorb.append(name)
        else:
            absorb.append(effect)
    formula = f"{spec.outcome} ~ {' + '.join(spec.regressors)} | {' + '.join(absorb)}"
    # reghdfe's small-sample rule = pyfixest's ssc with fixed effects nested in the
    # clusters not counted (fixef_k="nonnested"); singletons dropped as reghdfe does.
    ssc = pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True)
    theirs = pf.feols(formula, frame, vcov={"CRV1": "city_id"}, fixef_rm="singleton", ssc=ssc)
    assert ours.nobs == theirs._N
    slopes = list(spec.regressors)
    np.testing.assert_allclose(ours.params[slopes], theirs.coef()[slopes], atol=COEF_TOL)
    if len(spec.absorb) == 2:  # with 3+ effects the absorbed dof are counted differently
        np.testing.assert_allclose(ours.std_errors[slopes], theirs.se()[slopes], rtol=SE_TOL)


# ----------------------------------------------------------------------------- comparison


def test_compare_reports_the_fit_and_the_paper(table2):
    card = replication.compare(2, table2).set_index(["column", "variable", "statistic"])
    fit = table2[1]
    did, did_se = card.loc[(1, "did", "coef")], card.loc[(1, "did", "se")]
    assert did["ours"] == fit.params["did"] and did_se["ours"] == fit.std_errors["did"]
    assert (did["paper"], did_se["paper"]) == (0.144, 0.028)  # PAPER.md Table 2 col (1)
    assert did_se["rel_diff"] == pytest.approx(fit.std_errors["did"] / 0.028 - 1)
    assert card.loc[(7, "N", "N"), ["paper", "ours"]].tolist() == [5130, table2[7].nobs]
    assert card.loc[(7, "R2", "R2"), "paper"] == 0.915  # PAPER.md Table 2 col (7)
    assert card.loc[(7, "R2", "R2"), "ours"] == table2[7].rsquared
    assert np.isnan(card.loc[(1, "did", "coef"), "rel_diff"])  # s.e. only


@pytest.mark.parametrize(
    ("ours", "expected"),
    [(0.1254, "within rounding"), (0.150, "within tolerance"), (0.1531, "off")],
)
def test_coefficient_status(ours, expected):
    # Rule (team brief): within 0.0005, else within one published s.e. (0.028 here).
    assert replication.status_coef(ours, 0.125, 0.028) == expected


@pytest.mark.parametrize(
    ("ours", "expected"),
    [
        (0.0284, "within rounding"),
        (0.0349, "within tolerance"),  # ratio 1.246
        (0.0351, "off"),  # ratio 1.254
        (0.0225, "within tolerance"),  # ratio 0.804
        (0.0223, "off"),  # ratio 0.796
        (0.0562, "off"),  # twice as large: once counted as a match
    ],
)
def test_standard_error_status(ours, expected):
    assert replication.status_se(ours, 0.028) == expected


def test_table1_and_fit_statuses():
    sd = 1.709  # PAPER.md Table 1: nqp s.d.
    assert replication.status_table1("mean", 2.305 + 0.04 * sd, 2.305, sd) == "within tolerance"
    assert replication.status_table1("mean", 2.305 + 0.06 * sd, 2.305, sd) == "off"
    assert replication.status_table1("N", 5129, 5130, sd) == "off"
    assert replication.status_fit("N", 5022, 5022) == "within rounding"
    assert replication.status_fit("R2", 0.9179, 0.915) == "within tolerance"
    assert replication.status_fit("R2", 0.9181, 0.915) == "off"


def test_a_changed_specification_is_not_compared(panel):
    results = replication.estimate(2, panel, controls=["hum", "gov"])
    card = replication.compare(2, results)
    # our column 2 is did + hum, the paper's is did + fdi: never set side by side
    assert (card.loc[card["column"] == 2, "status"] == "not estimated").all()
    assert (card.loc[card["column"] == 1, "fit_column"] == 1).all()
    table = replication.paper_table(2, panel, controls=["hum", "gov"])
    assert list(table.columns) == ["(1)", "(2)", "(3)"]
    assert table.loc[("did", "paper"), "(1)"] == "0.144***"  # PAPER.md Table 2 col (1)
    assert table.loc[("did", "paper"), "(2)"] == ""
    assert "not compared" in table.attrs["notes"]


# ----------------------------------------------------------------------------- tables


def test_paper_table_has_the_papers_shape(panel, table2):
    table = replication.paper_table(2, panel)
    assert list(table.columns) == paper.COLUMN_LABELS[2]  # one column per specification
    lines = list(table.loc["did"].index)
    assert lines == ["coef", "se", "paper", "paper se"]
    did = table2[1].params["did"]
    assert float(table.loc[("did", "coef"), "(1)"].rstrip("*")) == pytest.approx(did, abs=5e-4)
    assert table.loc[("N", "stat"), "(7)"] == f"{table2[7].nobs:,}"
    assert table.loc[("N", "paper"), "(7)"] == "5,130"  # PAPER.md Table 2: an integer
    # short cells keep seven columns within a phone's width
    assert table.map(len).to_numpy().max() <= 10


def test_paper_table_states_what_was_computed(panel):
    table = replication.paper_table(2, panel)
    notes, caption = table.attrs["notes"], table.attrs["caption"]
    assert "SYNTHETIC twin (seed" in caption and table.attrs["synthetic"]
    assert "city_id + year" in notes and "5,130" in notes
    assert "clustered by city_id (285 clusters)" in notes and "reghdfe" in notes


def test_a_file_without_provenance_is_unverified(panel):
    table = replication.paper_table(3, panel.frame)  # a bare DataFrame
    assert "unverified" in table.attrs["caption"] and not table.attrs["synthetic"]


def test_legend_and_stars_survive_markdown(panel):
    table = replication.paper_table(2, panel)
    md = tables.render(table, "md")
    assert r"\*\*\* p &lt; 0.01" in md  # Markdown renders &lt; as <
    assert not re.search(r"(?<!\\)\*\*\*", md.split("\n", 2)[2])  # no unescaped stars in body
    html = tables.render(table, "html")
    assert "*** p &lt; 0.01" in html and 'class="src-paper"' in html


def test_integers_print_as_integers():
    frame = pd.DataFrame({"treated city-years": [875.0], "share": [0.1706]}, index=["twin"])
    text = tables.render(frame, "md")
    assert "| 875 |" in text and "875.0" not in text and "0.171" in text


def test_table1_in_the_papers_shape(panel):
    table = replication.paper_table(1, panel)
    assert list(table.columns) == ["N", "mean", "sd", "min", "max"]
    assert table.loc[("nqp", "paper"), "mean"] == "2.305"  # PAPER.md Table 1
    assert table.loc[("nqp", "stat"), "N"] == f"{panel.frame['nqp'].count():,}"
    wide = tables.table1(replication.compare_table1(panel.frame))
    assert wide.loc["nqp", ("sd", "ours")] == pytest.approx(np.std(panel.frame["nqp"], ddof=1))


# ----------------------------------------------------------------------------- scorecard


def test_scorecard_counts_every_published_number(panel):
    card = replication.scorecard(panel)
    n_published = 40 + sum(
        2 * len(paper.published(t).query("variable not in ['N','R2']"))
        + len(paper.published(t).query("variable in ['N','R2']"))
        for t in (2, 3, 4)
    )
    assert len(card) == n_published == 202  # 40 (Table 1) + 84 + 38 + 40
    assert set(card["status"]) <= set(replication.STATUSES)
    summary = replication.scorecard_summary(card)
    assert summary.loc[("all tables", "all"), "numbers"] == n_published
    assert summary.loc[("all tables", "coef"), "numbers"] == 70  # 35 + 17 + 18 coefficients
    assert summary.loc[("all tables", "se"), "numbers"] == 70
    assert summary.loc[("Table 1", "table1"), "numbers"] == 40
    se = card[card["statistic"] == "se"]
    assert summary.loc[("all tables", "se"), "off"] == int((se["status"] == "off").sum())
    assert "standard errors:" in prose.describe_scorecard(card)


def test_scorecard_layout_shows_ratios_for_standard_errors(panel):
    card = replication.scorecard(panel)
    shown = tables.scorecard_layout(card)
    assert len(shown) == len(card) and shown.attrs["synthetic"]
    rec = card[(card["table"] == 2) & (card["column"] == 1) & (card["statistic"] == "se")].iloc[0]
    row = shown.loc[("Table 2 (1)", "did se")]
    assert row["paper"] == "0.028"  # PAPER.md Table 2 col (1)
    assert row["Δ or ratio"] == f"×{rec['ours'] / 0.028:.2f}"


# ----------------------------------------------------------------------------- robustness


def test_formulas_are_the_specifications():
    assert replication.formulas(2)[3] == "nqp ~ did + fdi + hum | city_id + year"
    assert replication.formulas(4)[1].endswith("| city_id + year + province + province^year")
    assert replication.formulas(2, absorb=["city_id"])[1] == "nqp ~ did | city_id"


def test_weak_pilot_entries_and_robustness(panel):
    from replicate.data import raw

    weak = replication.weak_evidence_changes()
    entries = raw.pilot_entries()
    single = entries[entries["evidence"] == "single_secondary_source"]
    named = set(single["sample_city_ids"].dropna().str.split(";").explode())
    assert len(weak) > 0 and set(weak.index) <= named  # every change comes from such an entry
    later = weak["g_strong"] > 0
    assert (weak.loc[later, "g_strong"] > weak.loc[later, "g_all"]).all()
    fits = replication.robustness(panel)
    n_years = panel.frame["year"].nunique()
    assert fits["weak dropped"].nobs == len(panel.frame) - n_years * len(weak)  # balanced panel
    assert fits["by province"].n_clusters == panel.frame["province"].nunique()
    assert fits["baseline"].params["did"] == pytest.approx(
        replication.estimate(2, panel)[7].params["did"]
    )


def test_one_allowed_values_check():
    from typing import Literal

    from replicate._options import check_choice

    check_choice("fmt", "md", Literal["md", "csv"])
    with pytest.raises(
        ValueError, match=r"^fmt='pdf' is not allowed; choose one of \['md', 'csv'\]\.$"
    ):
        check_choice("fmt", "pdf", ("md", "csv"))
    with pytest.raises(ValueError, match="choose one of"):
        check_choice("stats", ["N"], ("N", "R2"))  # unhashable value: refused, not a TypeError
    with pytest.raises(ValueError, match="cov_type='clustered'"):
        replication.estimate(2, load_panel(), cov_type="clustered")


# ----------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("fmt", ["md", "csv", "latex", "html"])
def test_cli_table_is_deterministic_and_labelled(capsys, fmt):
    outputs = []
    for _ in range(2):
        assert cli.main(["table", "2", "--format", fmt]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    if fmt != "csv":
        assert "SYNTHETIC" in outputs[0]
        assert "province" not in outputs[0]  # no fixed-effect row the fits did not absorb


def test_cli_table_on_a_users_file(tmp_path, capsys, panel):
    path = tmp_path / "mine.csv"
    panel.frame.drop(columns=["g", "treat", "period", "province"]).to_csv(path, index=False)
    assert cli.main(["table", "3", "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "mine.csv" in out and "SYNTHETIC" not in out  # a plain CSV carries no synthetic label


def test_cli_scorecard_prints_the_summary(capsys, panel):
    assert cli.main(["scorecard"]) == 0
    out = capsys.readouterr().out
    assert "202" in out and "SYNTHETIC" in out


# ----------------------------------------------------------------------------- mechanism

MEDIATION = {"mediator": "innovp", "unit": "city_id", "time": "year", "cohort": "g"}


def test_mediation_matches_its_closed_forms(panel):
    from replicate.models.mechanism import mediation

    frame = replication.regression_frame(panel)
    res = mediation(frame, "nqp", controls=CONTROLS, draws=200, seed=1, **MEDIATION)
    a, b = res.first.params["did"], res.second.params["innovp"]
    sa, sb = res.first.std_errors["did"], res.second.std_errors["innovp"]
    # Sobel s.e. = delta-method s.e. of a·b; gradient by central finite differences.
    h = 1e-6
    grad = np.array([((a + h) * b - (a - h) * b) / (2 * h), (a * (b + h) - a * (b - h)) / (2 * h)])
    assert res.sobel_se == pytest.approx(np.sqrt(grad @ np.diag([sa**2, sb**2]) @ grad), rel=1e-6)
    # Product of coefficients = total − direct exactly in OLS with the same sample and controls.
    assert res.indirect == pytest.approx(res.total_effect - res.direct, abs=1e-10)
    assert res.boot_draws.size == 200 and res.boot_ci[0] < res.boot_ci[1]


def test_fast_bootstrap_equals_full_refits(panel):
    from replicate.models.mechanism import _balanced_blocks, _refit, _Spec, fast_bootstrap_coefs

    frame = replication.regression_frame(panel)
    spec = _Spec(frame, "nqp", "innovp", list(CONTROLS), ("city_id", "year"), "city_id", "year")
    cities = frame["city_id"].unique()
    weights = (
        np.random.default_rng(3)
        .multinomial(cities.size, np.full(cities.size, 1 / cities.size), size=3)
        .astype(float)
    )
    blocks_a = _balanced_blocks(frame, ["innovp", "did", *CONTROLS], "city_id", "year")
    blocks_b = _balanced_blocks(frame, ["nqp", "did", "innovp", *CONTROLS], "city_id", "year")
    a = fast_bootstrap_coefs(blocks_a, weights)[:, 0]
    b = fast_bootstrap_coefs(blocks_b, weights)[:, 1]
    slow = [_refit(spec, w, cities) for w in weights]
    np.testing.assert_allclose(a * b, slow, rtol=0, atol=1e-10)


def test_bootstrap_is_seeded(panel):
    from replicate.models.mechanism import mediation

    frame = replication.regression_frame(panel)

    def draws(seed):
        return mediation(
            frame, "nqp", controls=CONTROLS, draws=50, seed=seed, **MEDIATION
        ).boot_draws

    first, second, third = draws(9), draws(9), draws(10)
    assert np.array_equal(first, second) and not np.array_equal(first, third)
