"""The paper's tables: published data, specifications, comparison, layout and CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from replicate import cli, paper, replication
from replicate.data import load_panel
from replicate.data.schema import CONTROLS


@pytest.fixture(scope="module")
def panel():
    return load_panel()


def test_published_tables_have_every_number():
    # Counts from shared/PAPER.md: Table 2 has 28 coefficient cells + 7 constants, etc.
    assert len(paper.published(2).query("variable not in ['N', 'R2']")) == 35
    assert len(paper.published(3).query("variable not in ['N', 'R2']")) == 17
    assert len(paper.published(4).query("variable not in ['N', 'R2']")) == 18
    cell = paper.published(3).set_index(["column", "variable"]).loc[(2, "innovp")]
    assert (cell["coef"], cell["se"], cell["stars"]) == (0.001, 0.0, 1)


def test_published_constants_imply_mar_and_fin_in_percent():
    """Evidence for REGRESSION_SCALE from published numbers alone."""
    implied = replication.implied_constants()
    gap_percent = (implied["printed constant"] - implied["implied, mar and fin in percent"]).abs()
    gap_units = (implied["printed constant"] - implied["implied, Table 1 units"]).abs()
    assert (gap_percent <= implied["rounding bound"]).all()
    with_mar = [(2, 6), (2, 7), (4, 1)]
    assert (gap_units.loc[with_mar] > 0.5).all()  # off by ~1 in Table 1's units


def test_specifications_follow_the_paper():
    table2 = replication.specs(2)
    assert [s.regressors for s in table2][6] == ("did", *CONTROLS)
    assert table2[2].regressors == ("did", "fdi", "hum")
    t4 = replication.specs(4)
    assert "province#year" in t4[0].absorb and t4[1].regressors[-2:] == ("lnpgdp", "fispre")


def test_estimates_use_the_regression_scale(panel):
    scaled = replication.estimate(2, panel)[7]
    raw_units = replication.estimate(2, panel, rescale={})[7]
    assert scaled.params["mar"] * 100 == pytest.approx(raw_units.params["mar"], rel=1e-9)
    assert scaled.params["did"] == pytest.approx(raw_units.params["did"], abs=1e-12)


def test_comparison_statuses(panel):
    results = replication.estimate(4, panel)
    card = replication.compare(4, results).set_index(["column", "variable", "statistic"])
    assert (
        card.loc[(1, "N", "N"), "ours"] == 5022
        and card.loc[(1, "N", "N"), "status"] == "within rounding"
    )
    did = card.loc[(2, "did", "coef")]
    assert did["diff"] == pytest.approx(results[2].params["did"] - 0.127)
    expected = (
        "within rounding"
        if abs(did["diff"]) <= 0.0005
        else ("within one s.e." if abs(did["diff"]) <= 0.029 else "off")
    )
    assert did["status"] == expected


def test_statuses_on_constructed_numbers():
    assert replication._status_coef(0.1254, 0.125, 0.028) == "within rounding"
    assert replication._status_coef(0.150, 0.125, 0.028) == "within one s.e."
    assert replication._status_coef(0.160, 0.125, 0.028) == "off"


def test_stars_follow_the_paper_convention():
    assert [replication.stars(p) for p in (0.001, 0.02, 0.07, 0.2)] == [3, 2, 1, 0]


def test_table2_layout_has_the_papers_rows_and_values(panel):
    results = replication.estimate(2, panel)
    table = replication.layout(2, replication.compare(2, results), results)
    assert list(table.index[:2]) == ["did", ""]
    assert table.loc["N", ("(7)", "paper")] == "5,130"
    assert table.iloc[0][("(1)", "paper")] == "0.144***"
    ours = results[1]
    assert table.iloc[0][("(1)", "ours")].startswith(f"{ours.params['did']:.3f}")
    assert table.iloc[1][("(1)", "ours")] == f"({ours.std_errors['did']:.3f})"


def test_other_controls_change_the_table(panel):
    table = replication.paper_table(2, panel, controls=["hum", "gov"])
    assert table.columns.get_level_values(0).nunique() == 7  # published columns still shown
    ours = table.xs("ours", axis=1, level=1)
    assert ours.loc["gov", "(3)"] != "" and ours.loc["gov", "(2)"] == ""  # gov enters third
    assert (ours.loc["fdi"] == "").all().all()  # fdi is no longer a control
    assert ours.loc["N", "(4)"] == ""  # only three columns estimated with two controls


def test_scorecard_counts_every_published_number(panel):
    card = replication.scorecard(panel)
    n_published = 40 + sum(
        2 * len(paper.published(t).query("variable not in ['N','R2']"))
        + len(paper.published(t).query("variable in ['N','R2']"))
        for t in (2, 3, 4)
    )
    assert len(card) == n_published
    assert set(card["status"]) <= {"within rounding", "within one s.e.", "off"}
    summary = replication.scorecard_summary(card)
    assert summary.loc["all tables", "numbers"] == n_published


@pytest.mark.parametrize("fmt", ["md", "csv", "latex", "html"])
def test_cli_table_is_deterministic_and_labelled(capsys, fmt):
    outputs = []
    for _ in range(2):
        assert cli.main(["table", "2", "--format", fmt]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "0.144***" in outputs[0]
    if fmt != "csv":
        assert "SYNTHETIC" in outputs[0]


def test_cli_table_on_a_users_file(tmp_path, capsys, panel):
    path = tmp_path / "mine.csv"
    panel.frame.drop(columns=["g", "treat", "period", "province"]).to_csv(path, index=False)
    assert cli.main(["table", "3", "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "mine.csv" in out and "SYNTHETIC" not in out  # a plain CSV carries no synthetic label


def test_cli_scorecard_summary_line(capsys):
    assert cli.main(["scorecard"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.endswith(
        "published numbers reproduced within rounding or one standard error (SYNTHETIC twin (seed 20241128))."
    )


def test_mediation_matches_its_closed_forms(panel):
    from replicate.models.mechanism import Mediation

    frame = replication.regression_frame(panel)
    res = Mediation(frame, controls=CONTROLS).fit(bootstrap=200, seed=1)
    a, b = res.first.params["did"], res.second.params["innovp"]
    sa, sb = res.first.std_errors["did"], res.second.std_errors["innovp"]
    assert res.indirect == pytest.approx(a * b)
    assert res.sobel_se == pytest.approx(np.sqrt(b**2 * sa**2 + a**2 * sb**2))
    # Product of coefficients = total − direct exactly in OLS with the same sample and controls.
    assert res.indirect == pytest.approx(res.total_effect - res.direct, abs=1e-10)
    assert res.boot_draws.size == 200 and res.boot_ci[0] < res.boot_ci[1]


def test_fast_bootstrap_equals_full_refits(panel):
    from replicate.models.mechanism import Mediation, _balanced_blocks, fast_bootstrap_coefs

    frame = replication.regression_frame(panel)
    med = Mediation(frame, controls=CONTROLS)
    cities = frame["city_id"].unique()
    weights = (
        np.random.default_rng(3)
        .multinomial(cities.size, np.full(cities.size, 1 / cities.size), size=3)
        .astype(float)
    )
    a = fast_bootstrap_coefs(_balanced_blocks(frame, ["innovp", "did", *CONTROLS]), weights)[:, 0]
    b = fast_bootstrap_coefs(_balanced_blocks(frame, ["nqp", "did", "innovp", *CONTROLS]), weights)[
        :, 1
    ]
    slow = [med._refit(w, cities) for w in weights]
    np.testing.assert_allclose(a * b, slow, rtol=0, atol=1e-10)


def test_bootstrap_is_seeded(panel):
    from replicate.models.mechanism import Mediation

    frame = replication.regression_frame(panel)
    first = Mediation(frame, controls=CONTROLS).fit(bootstrap=50, seed=9).boot_draws
    second = Mediation(frame, controls=CONTROLS).fit(bootstrap=50, seed=9).boot_draws
    assert np.array_equal(first, second)
    assert isinstance(pd.Series(first).sum(), float)
