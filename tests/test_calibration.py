"""The twin's calibration: the fast estimator, the scorecard rules, the committed fit."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from replicate import calibrate, paper, replication
from replicate.data import synthetic


@pytest.fixture(scope="module")
def evaluator():
    return calibrate.Evaluator()


def test_targets_are_the_202_published_numbers():
    target = calibrate.targets()
    assert len(target) == 202
    # one row per printed number: Table 1 (8 variables × 5), and coef + s.e. per cell
    assert (target["table"] == 1).sum() == 5 * len(paper.TABLE1)
    for table in (2, 3, 4):
        cells = paper.published(table)
        n_fit = cells["variable"].isin(["N", "R2"]).sum()
        assert (target["table"] == table).sum() == 2 * (len(cells) - n_fit) + n_fit


def test_fast_estimator_matches_the_engine(evaluator):
    """Every one of the 202 numbers from the closed-form estimator equals the engine's
    (replication.scorecard, itself validated against pyfixest) on a twin."""
    twin = synthetic.make_twin(seed=3)
    card = replication.scorecard(twin.panel())
    keys = ["table", "column", "variable", "statistic"]
    assert (card[keys].to_numpy() == evaluator.target[keys].to_numpy()).all()
    ours = evaluator.statistics(synthetic.simulate(synthetic.calibrated_parameters(), 3))
    np.testing.assert_allclose(ours, card["ours"].to_numpy(float), rtol=1e-6, atol=1e-9)
    # the calibration's statuses are the scorecard's (the brief's rules, implemented twice)
    assert list(calibrate.status(evaluator.target, ours)) == list(card["status"])


def test_province_clustering_matches_the_engine(evaluator):
    from replicate.models import TWFE

    twin = synthetic.make_twin(seed=5)
    frame = replication.regression_frame(twin.panel())
    res = TWFE(frame, "nqp", ["did", *synthetic.CONTROLS]).fit(cluster="province")
    fits = evaluator.regressions_of(
        synthetic.simulate(synthetic.calibrated_parameters(), 5), cluster="province"
    )
    assert fits[(2, 7)]["se"]["did"] == pytest.approx(res.std_errors["did"], rel=1e-6)


def test_status_rules_of_the_brief():
    target = pd.DataFrame(
        {
            "statistic": ["coef", "coef", "se", "se", "se", "R2", "mean", "N"],
            "paper": [0.144, 0.144, 0.028, 0.028, 0.0, 0.915, 2.305, 5130],
            "tolerance": [0.028, 0.028, np.nan, np.nan, np.nan, 0.003, 0.05 * 1.709, 0],
        }
    )
    ours = [0.144 + 0.0279, 0.144 - 0.0281, 0.028 * 1.249, 0.028 * 0.79, 0.0004, 0.9181, 2.39, 5129]
    assert list(calibrate.status(target, np.array(ours))) == [
        "within tolerance",
        "off",
        "within tolerance",
        "off",
        "within rounding",
        "off",
        "within tolerance",
        "off",
    ]
    r = calibrate.residuals(target, np.array(ours))
    assert r[0] == pytest.approx(0.0279 / 0.028)
    assert r[2] == pytest.approx(np.log(1.249) / np.log(1.25))
    assert r[-1] == 0.0


def test_committed_parameters_reproduce_their_recorded_fit(evaluator):
    """A code change that moves the calibrated twin fails here, loudly."""
    record = synthetic.load_calibration()
    assert record["generator_version"] == synthetic.GENERATOR_VERSION
    fit = record["recorded_fit"]
    theta = synthetic.calibrated_parameters()
    moments = calibrate.simulated_moments(theta, fit["seeds"], evaluator).mean(0)
    objective = float(np.sum(calibrate.residuals(evaluator.target, moments) ** 2))
    assert objective == pytest.approx(fit["objective"], rel=1e-6, abs=1e-6)


def test_calibration_record_is_valid_json_with_its_provenance():
    record = json.loads(synthetic.CALIBRATION_FILE.read_text(encoding="utf-8"))
    for key in ("parameters", "objective", "search_seeds", "code_version", "seconds"):
        assert key in record, key
    assert set(record["parameters"]) <= set(synthetic.STARTING_PARAMETERS)


def test_register_adds_the_subcommand():
    parser = argparse.ArgumentParser()
    calibrate.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["calibrate", "--check-only"])
    assert args.check_only and callable(args.func)


def test_coverage_draws_equal_the_engine_on_the_same_twin():
    """The coverage study's fast regressions equal replicate.fit on make_twin(seed)."""
    import replicate
    from replicate import calibrate, replication
    from replicate.data import synthetic

    draws = calibrate.coverage_draws(seeds=[5]).set_index(["spec", "cluster"])
    panel = synthetic.make_twin(seed=5).panel()
    for table, column in ((2, 7), (4, 1)):
        formula = replication.formulas(table)[column]
        for cluster, column_name in (("city", "city_id"), ("province", "province")):
            res = replicate.fit(formula, panel, vcov={"CRV1": column_name})
            row = draws.loc[(f"Table {table} column {column}", cluster)]
            assert abs(row["estimate"] - res.params["did"]) < 1e-6
            assert abs(row["se"] / res.std_errors["did"] - 1) < 1e-5
            assert row["df"] == res.n_clusters - 1


def test_summarise_coverage_counts_intervals_that_cover():
    import pandas as pd
    from scipy import stats

    from replicate import calibrate

    crit = stats.t.ppf(0.975, 99)
    # Four twins, truth 1.0, s.e. 1: estimates 1, 1 + 0.5 crit, 1 + 2 crit, 1 - 3 crit.
    est = [1.0, 1 + 0.5 * crit, 1 + 2 * crit, 1 - 3 * crit]
    draws = pd.DataFrame(
        {"spec": "s", "cluster": "city", "estimate": est, "se": 1.0, "df": 99, "att": 1.0}
    )
    (row,) = calibrate.summarise_coverage(draws).to_dict("records")
    assert row["covers the true ATT"] == 0.5
    assert row["MC s.e. of coverage"] == (0.25 / 4) ** 0.5
    assert row["twins"] == 4 and row["clusters"] == 100
