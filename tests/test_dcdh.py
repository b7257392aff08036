"""DID_M of de Chaisemartin & D'Haultfœuille (2020): identity with Callaway–Sant'Anna's
instantaneous effects (moderndid), a brute-force recomputation with leavers, and a
simulation with known heterogeneous effects where TWFE is biased."""

from __future__ import annotations

import moderndid as md
import numpy as np
import pandas as pd
import pytest

from replicate.models.dcdh import cs_instantaneous, did_multiplegt
from replicate.models.twfe import TWFE

MPDTA = {"unit": "countyreal", "time": "year", "cohort": "first.treat"}
IDENTITY_TOL = 1e-10  # same arithmetic (differences of means), only summation order differs


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return md.load_mpdta().to_pandas()


def test_did_m_equals_weighted_instantaneous_cs_on_mpdta(mpdta):
    res = did_multiplegt(mpdta, "lemp", **MPDTA, draws=50)
    assert res.estimate == pytest.approx(
        cs_instantaneous(mpdta, "lemp", *MPDTA.values()), abs=IDENTITY_TOL
    )
    assert (res.by_period["leavers"] == 0).all()
    assert res.n_switches == int((mpdta.groupby("countyreal")["first.treat"].first() > 0).sum())


def _simulated(seed: int, units: int = 600, years: int = 8, absorbing: bool = True):
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 3, 4, 5, 6], size=units)
    t = np.tile(np.arange(1, years + 1), units)
    gi = np.repeat(g, years)
    e = t - gi
    treated = (gi > 0) & (e >= 0)
    # Effect 1 + 0.5·e (growing) and cohort-specific: the instantaneous effect is 1 + g/10.
    effect = np.where(treated, 1 + gi / 10 + 0.5 * e, 0.0)
    y = np.repeat(rng.normal(size=units), years) + 0.2 * t + effect + rng.normal(size=t.size)
    frame = pd.DataFrame({"id": np.repeat(np.arange(units), years), "t": t, "g": gi, "y": y})
    frame["d"] = treated.astype(float)
    truth = float(np.mean(1 + g[g > 0] / 10))  # every cohort has stable controls (never treated)
    return frame, truth


def test_simulation_recovers_the_instantaneous_effect_where_twfe_is_biased():
    est, twfe, ses = [], [], []
    for s in range(40):
        frame, truth = _simulated(100 + s)
        res = did_multiplegt(frame, "y", unit="id", time="t", cohort="g", draws=100, seed=s)
        est.append(res.estimate)
        ses.append(res.se)
        twfe.append(TWFE(frame, "y", ["d"], ("id", "t")).fit(cluster="id").params["d"])
    mc = lambda x: np.std(x, ddof=1) / np.sqrt(len(x))  # noqa: E731
    assert abs(np.mean(est) - truth) < 3 * mc(est)
    # TWFE mixes the growing dynamic effects in: far from the instantaneous effect.
    assert abs(np.mean(twfe) - truth) > 10 * mc(twfe)
    # The bootstrap s.e. tracks the Monte Carlo spread of the estimates.
    assert np.mean(ses) == pytest.approx(np.std(est, ddof=1), rel=0.3)


def _by_hand(frame: pd.DataFrame) -> float:
    """DID_M written out from the paper's formula with pandas, period by period."""
    wide_d = frame.pivot(index="id", columns="t", values="d")
    wide_y = frame.pivot(index="id", columns="t", values="y")
    total, n_s = 0.0, 0
    for a, b in zip(wide_d.columns[:-1], wide_d.columns[1:], strict=True):
        d0, d1, dy = wide_d[a], wide_d[b], wide_y[b] - wide_y[a]
        groups = {k: dy[(d0 == k[0]) & (d1 == k[1])] for k in ((0, 1), (0, 0), (1, 1), (1, 0))}
        if len(groups[(0, 1)]) and len(groups[(0, 0)]):
            total += len(groups[(0, 1)]) * (groups[(0, 1)].mean() - groups[(0, 0)].mean())
            n_s += len(groups[(0, 1)])
        if len(groups[(1, 0)]) and len(groups[(1, 1)]):
            total += len(groups[(1, 0)]) * (groups[(1, 1)].mean() - groups[(1, 0)].mean())
            n_s += len(groups[(1, 0)])
    return total / n_s


def test_non_absorbing_treatment_matches_the_formula_by_hand():
    rng = np.random.default_rng(3)
    frame, _ = _simulated(5, units=200, years=6)
    frame["d"] = rng.integers(0, 2, len(frame)).astype(float)  # switches on and off
    res = did_multiplegt(frame, "y", unit="id", time="t", cohort="g", treatment="d", draws=20)
    assert (res.by_period["leavers"] > 0).any()
    assert res.estimate == pytest.approx(_by_hand(frame), abs=1e-12)


def test_bootstrap_is_seeded_and_input_untouched():
    frame, _ = _simulated(1, units=100)
    copy = frame.copy()
    a = did_multiplegt(frame, "y", unit="id", time="t", cohort="g", draws=50, seed=4)
    b = did_multiplegt(frame, "y", unit="id", time="t", cohort="g", draws=50, seed=4)
    c = did_multiplegt(frame, "y", unit="id", time="t", cohort="g", draws=50, seed=5)
    assert a.se == b.se and a.se != c.se
    pd.testing.assert_frame_equal(frame, copy)
    assert "DID_M" in str(a.summary())


def test_bad_input_is_refused_with_the_fix():
    frame, _ = _simulated(1, units=60)
    with pytest.raises(ValueError, match="one row per unit and period"):
        did_multiplegt(pd.concat([frame, frame.iloc[:3]]), "y", unit="id", time="t", cohort="g")
    with pytest.raises(ValueError, match="must be 0 or 1"):
        did_multiplegt(
            frame.assign(d=frame["d"] * 2), "y", unit="id", time="t", cohort="g", treatment="d"
        )
