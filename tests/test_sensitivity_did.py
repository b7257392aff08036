"""HonestDiD (Rambachan & Roth 2023) on every event-study result, not only the TWFE one.

References:

* closed form — with smoothness bound M = 0 the violation is a linear trend through the
  reference period, and HonestDiD's FLCI is the shortest fixed-length interval among
  affine estimators unbiased for every such trend: ``θ̂ ± z₁₋α/₂ · sd`` with the
  minimum-variance unbiased weights (a constrained least-squares problem solved here in a
  few lines, independently of moderndid's optimiser);
* moderndid 0.2 ``honest_did`` on ``aggte(att_gt(mpdta), type="dynamic")`` (R did's mpdta;
  moderndid's own port of R HonestDiD's ``honest_did.AGGTEobj``) for Callaway–Sant'Anna;
* Sun–Abraham by ``sun_abraham`` and by ``fit("… ~ sunab(ft, year) | …")`` give the same
  inputs and the same intervals.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from replicate import fit
from replicate.models.event_study import event_study
from replicate.models.sensitivity import honest_inputs, sensitivity
from replicate.models.staggered import callaway_santanna, imputation, sun_abraham

MPDTA = {"unit": "countyreal", "time": "year", "cohort": "ft"}
FLCI_TOL = 2e-3
"""Share of the interval's width: moderndid's FLCI comes from a numerical optimisation
(R HonestDiD agrees with it to 1.5e-4, tests/test_modern_did.py); the closed form is exact.
Observed: same width to 1e-6, ends shifted by ≤ 5e-4 of the width."""
MODERNDID_ATOL = 1e-6
"""Our native CS equals moderndid's to 1e-8 (tests/test_cs_native.py); the FLCI's
numerical optimisation carries that to ~5e-8 in the interval ends (observed)."""


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    import moderndid as md

    return md.load_mpdta().to_pandas().rename(columns={"first.treat": "ft"})


@pytest.fixture(scope="module")
def results(mpdta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "es": event_study(mpdta, "lemp", **MPDTA, window=(-4, 3), bin_endpoints=False),
            "sa": sun_abraham(mpdta, "lemp", **MPDTA),
            "sunab": fit("lemp ~ sunab(ft, year) | countyreal + year", mpdta),
            "cs": callaway_santanna(mpdta, "lemp", **MPDTA),
            "imputation": imputation(mpdta, "lemp", **MPDTA),
        }


def linear_trend_interval(inputs, l_vec, alpha=0.05) -> tuple[float, float]:
    """Closed form of the M = 0 smoothness FLCI (see the module docstring)."""
    times = np.asarray(inputs.event_times)
    pre, post = slice(0, inputs.n_pre), slice(inputs.n_pre, None)
    a, c = times[pre] + 1.0, float(l_vec @ (times[post] + 1.0))  # trend at each event time
    S = inputs.sigma
    Spp, Spq = S[pre, pre], S[pre, post]
    inv = np.linalg.solve(Spp, np.column_stack([Spq @ l_vec, a]))
    lam = (c - a @ inv[:, 0]) / (a @ inv[:, 1])
    w = inv[:, 0] + lam * inv[:, 1]  # minimum variance subject to w'a = c
    v = np.concatenate([-w, l_vec])
    estimate, sd = v @ inputs.betahat, np.sqrt(v @ S @ v)
    z = stats.norm.ppf(1 - alpha / 2)
    return estimate - z * sd, estimate + z * sd


@pytest.mark.parametrize("key", ["es", "sunab", "sa", "cs"])
@pytest.mark.parametrize("target", ["first", "average"])
def test_smoothness_zero_is_the_linear_trend_closed_form(results, key, target):
    study = results[key]
    inputs = honest_inputs(study)
    table = sensitivity(study, "smoothness", [0.0], target=target)
    l_vec = (
        np.eye(inputs.n_post)[0] if target == "first" else np.full(inputs.n_post, 1 / inputs.n_post)
    )
    lower, upper = linear_trend_interval(inputs, l_vec)
    ours = table.loc[0.0, ["lower", "upper"]].to_numpy(float)
    width = upper - lower
    np.testing.assert_allclose(ours, [lower, upper], rtol=0, atol=FLCI_TOL * width)
    assert abs((ours[1] - ours[0]) - width) <= 1e-4 * width  # the shortest interval


def test_sun_abraham_inputs_are_its_event_effects(results):
    sa, sunab = honest_inputs(results["sa"]), honest_inputs(results["sunab"])
    by = results["sa"].by_event
    assert sa.event_times == (-4, -3, -2, 0, 1, 2, 3) and (sa.n_pre, sa.n_post) == (3, 4)
    np.testing.assert_allclose(sa.betahat, by.loc[list(sa.event_times), "estimate"], atol=0)
    np.testing.assert_allclose(
        np.sqrt(np.diag(sa.sigma)), by.loc[list(sa.event_times), "se"], rtol=1e-12
    )
    np.testing.assert_allclose(sunab.betahat, sa.betahat, atol=1e-12)
    np.testing.assert_allclose(sunab.sigma, sa.sigma, rtol=1e-9, atol=1e-15)
    # same inputs, so the same intervals (FLCI: seconds; the relative-magnitude sets are
    # covered on CS against moderndid below)
    a = sensitivity(results["sa"], "smoothness", [0.0, 0.01], grid_points=200)
    b = sensitivity(results["sunab"], "smoothness", [0.0, 0.01], grid_points=200)
    np.testing.assert_allclose(a[["lower", "upper"]], b[["lower", "upper"]], rtol=1e-6)
    assert a.attrs["estimator"] == "Sun–Abraham"


@pytest.fixture(scope="module")
def moderndid_dynamic():
    import moderndid as md

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gt = md.att_gt(
            data=md.load_mpdta(),
            yname="lemp",
            tname="year",
            gname="first.treat",
            idname="countyreal",
            est_method="dr",
            boot=False,
        )
        return md.aggte(gt, type="dynamic")


@pytest.mark.parametrize(
    ("kind", "values", "extra"),
    [
        ("smoothness", [0.0, 0.01, 0.02], {}),
        ("relative_magnitude", [1.0], {"method": "Conditional"}),
    ],
)
def test_callaway_santanna_matches_moderndid_honest_did(
    results, moderndid_dynamic, kind, values, extra
):
    import moderndid as md

    key = {"smoothness": "m_vec", "relative_magnitude": "m_bar_vec"}[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = md.honest_did(
            moderndid_dynamic,
            event_time=0,
            sensitivity_type=kind,
            grid_points=200,
            **{key: values},
            **extra,
        )
    ours = sensitivity(results["cs"], kind, values, grid_points=200, **extra)
    robust = theirs.robust_ci.to_pandas()
    np.testing.assert_allclose(ours["lower"], robust["lb"], atol=MODERNDID_ATOL)
    np.testing.assert_allclose(ours["upper"], robust["ub"], atol=MODERNDID_ATOL)
    np.testing.assert_allclose(
        ours.attrs["original"], (theirs.original_ci.lb, theirs.original_ci.ub), atol=1e-12
    )
    assert ours.attrs["event_times"] == (-3, -2, 0, 1, 2, 3)  # −1 dropped, as there


def test_results_without_what_honestdid_needs_are_refused(results):
    with pytest.raises(ValueError, match="no pre-period effects"):
        sensitivity(results["imputation"], "smoothness", [0.0])
    with pytest.raises(TypeError, match="no event-time"):
        sensitivity(
            fit(
                "lemp ~ lpop | year",
                pd.DataFrame(
                    {"lemp": [1.0, 2, 3, 4], "lpop": [1.0, 3, 2, 5], "year": [1, 1, 2, 2]}
                ),
            ),
            "smoothness",
            [0.0],
        )
