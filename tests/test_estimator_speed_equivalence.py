"""The fast paths of the event study and Sun–Abraham give the numbers of the general path
(TWFE on dummy columns) and of the peers: pyfixest ``feols`` with ``i(rel, ref=-1)``, and
for DID_M the Callaway–Sant'Anna identity through moderndid. No timing here: speed is
measured in ``benchmarks/scale_did.py``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import replicate.models.event_study as es_module
import replicate.models.staggered as staggered
from replicate.models.dcdh import cs_instantaneous, did_multiplegt
from replicate.models.event_study import event_study

COLUMNS = {"unit": "unit", "time": "year", "cohort": "cohort"}
WINDOW = (-5, 5)
COEF_TOL, SE_TOL = 1e-8, 1e-6  # issue 20's targets
SAME_PATH_TOL = 1e-12  # the same arithmetic in both paths


def _panel(units: int = 400, seed: int = 11) -> pd.DataFrame:
    """Balanced staggered panel as in benchmarks/scale.py (unit, year, cohort, x, y)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2005, 2023)
    unit, year = np.repeat(np.arange(units), years.size), np.tile(years, units)
    cohort = np.repeat(np.where(rng.random(units) < 1 / 3, 0, rng.integers(2008, 2020, units)), 18)
    did = (cohort > 0) & (year >= cohort)
    x = rng.normal(size=unit.size) + 0.1 * (year - 2005)
    y = (
        np.repeat(rng.normal(size=units), 18)
        + 0.05 * (year - 2005)
        + np.where(did, 0.1 + 0.02 * (year - cohort), 0.0)
        + 0.3 * x
        + rng.normal(scale=0.5, size=unit.size)
    )
    return pd.DataFrame({"unit": unit, "year": year, "cohort": cohort, "x": x, "y": y})


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


def _general(monkeypatch, module) -> None:
    monkeypatch.setattr(module, "fast_fit", lambda *a, **k: None)


def test_event_study_fast_path_equals_pyfixest(panel):
    pf = pytest.importorskip("pyfixest")
    ours = event_study(panel, "y", **COLUMNS, controls=["x"], window=WINDOW)
    rel = np.where(panel["cohort"] > 0, np.clip(panel["year"] - panel["cohort"], *WINDOW), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(
            "y ~ i(rel, ref=-1) + x | unit + year",
            panel.assign(rel=rel),
            vcov={"CRV1": "unit"},
            ssc=pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True),
        )
    names = [n for n in fit.coef().index if "rel" in n]
    np.testing.assert_allclose(ours.betahat, fit.coef()[names].to_numpy(), atol=COEF_TOL)
    np.testing.assert_allclose(
        np.sqrt(np.diag(ours.sigma)), fit.se()[names].to_numpy(), rtol=SE_TOL
    )
    assert ours.regression.params["x"] == pytest.approx(fit.coef()["x"], abs=COEF_TOL)


def test_event_study_fast_path_equals_general_path(panel, monkeypatch):
    fast = event_study(panel, "y", **COLUMNS, controls=["x"], window=WINDOW, draws=5_000)
    _general(monkeypatch, es_module)
    general = event_study(panel, "y", **COLUMNS, controls=["x"], window=WINDOW, draws=5_000)
    reg_f, reg_g = fast.regression, general.regression
    np.testing.assert_allclose(reg_f.params, reg_g.params, atol=SAME_PATH_TOL)
    np.testing.assert_allclose(reg_f.cov.to_numpy(), reg_g.cov.to_numpy(), atol=SAME_PATH_TOL)
    assert (reg_f.df_resid, reg_f.nobs, reg_f.n_clusters) == (
        reg_g.df_resid,
        reg_g.nobs,
        reg_g.n_clusters,
    )
    assert reg_f.rsquared == pytest.approx(reg_g.rsquared, abs=SAME_PATH_TOL)
    assert fast.sup_t == pytest.approx(general.sup_t, abs=1e-9)
    assert fast.pretrend_F == pytest.approx(general.pretrend_F, rel=1e-9)


def test_sup_t_draws_are_multivariate_normal_draws():
    corr = np.array([[1.0, 0.6, 0.2], [0.6, 1.0, 0.4], [0.2, 0.4, 1.0]])
    sims = np.random.default_rng(3).multivariate_normal(
        np.zeros(3), corr, size=20_000, method="cholesky"
    )
    expected = float(np.quantile(np.abs(sims).max(axis=1), 0.95))
    assert es_module._sup_t(corr, 0.95, 20_000, 3) == pytest.approx(expected, abs=1e-12)


def test_sun_abraham_fast_path_equals_dummy_columns(panel, monkeypatch):
    fast = staggered.sun_abraham(panel, "y", **COLUMNS, controls=["x"])
    _general(monkeypatch, staggered)
    general = staggered.sun_abraham(panel, "y", **COLUMNS, controls=["x"])
    a, b = fast.by_cohort_event, general.by_cohort_event
    np.testing.assert_allclose(a["estimate"], b["estimate"], atol=SAME_PATH_TOL)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-10)
    assert fast.estimate == pytest.approx(general.estimate, abs=SAME_PATH_TOL)
    assert fast.se == pytest.approx(general.se, rel=1e-10)


def test_fast_path_falls_back_with_singletons(panel):
    """A unit observed once is a singleton: TWFE's path drops it, and so must the result."""
    lonely = panel[(panel["unit"] != 3) | (panel["year"] == 2010)]
    res = event_study(lonely, "y", **COLUMNS, controls=["x"], window=WINDOW, draws=1_000)
    assert res.regression.n_singletons == 1 and res.nobs == len(lonely) - 1


def test_dcdh_equals_the_cs_identity_on_a_staggered_panel(panel):
    pytest.importorskip("moderndid")
    expected = cs_instantaneous(panel, "y", "unit", "year", "cohort")
    res = did_multiplegt(panel, "y", **COLUMNS, draws=20)
    assert res.estimate == pytest.approx(expected, abs=1e-10)


def test_collinearity_check_agrees_with_twfe(panel):
    from replicate.models.twfe import collinear_columns

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    for Z in (X, np.column_stack([X, X[:, 0] - 2 * X[:, 2]]), np.column_stack([X, X[:, 1] * 0])):
        Zc = Z - Z.mean(axis=0)
        total = (Zc**2).sum(axis=0)
        assert es_module._collinear(Zc.T @ Zc, total) == bool(collinear_columns(Zc, total))
