"""Chapters 07 (robustness) and 10b (multiverse) on another pilot policy (``--pilots``), the
robustness variants that do and do not apply to a pilot file, and ``psm_did(vcov=...)``.

Independent sources: pyfixest ``feols`` (0.60) on the same panel and matched sample, with
the small-sample settings of ``tests/test_fit.py`` that equal the library's ``reghdfe``
convention; the pilot file itself for the treated set and timing.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pyfixest as pf
import pytest
from pyfixest.demeaners import MapDemeaner

from replicate import paths
from replicate.data import load_panel
from replicate.models.matching import psm_did
from replicate.replication import regression_frame

EXAMPLE = paths.ROOT / "data" / "examples" / "made_up_pilots.csv"
PAPER = {"unit": "city_id", "time": "year", "cohort": "g"}
COEF_TOL = 1e-8
SE_RTOL = 1e-6
"""Agreement with pyfixest, as in tests/test_fit.py (its demeaning tolerance at 1e-12)."""
PYFIXEST_TOL = MapDemeaner(fixef_tol=1e-12)
SSC = {  # pyfixest's ssc equal to the library's "reghdfe" convention (tests/test_fit.py)
    "cluster": pf.ssc(k_adj=True, k_fixef="nonnested", G_adj=True),
    "other": pf.ssc(k_adj=True, k_fixef="full"),
}


def _feols(formula, data, vcov, **kwargs):
    ssc = SSC["cluster" if isinstance(vcov, dict) else "other"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data, vcov=vcov, ssc=ssc, demeaner=PYFIXEST_TOL, **kwargs)


@pytest.fixture(scope="module")
def other_panel():
    return load_panel("synthetic", pilots=EXAMPLE)


@pytest.fixture(scope="module")
def file_timing() -> pd.Series:
    """The example file's first years by city_id, read independently of the library's
    panel code (names mapped through cities.csv)."""
    from replicate.data import cities

    table = cities()
    names = dict(zip(table["city_en"], table["city_id"], strict=True))
    names |= dict(zip(table["city_zh"], table["city_id"], strict=True))
    raw = pd.read_csv(EXAMPLE)
    return pd.Series(raw["first_year"].to_numpy(), index=raw["city"].map(names).to_numpy())


# ----------------------------------------------------------------------------- psm_did(vcov=)

VCOVS = ["iid", "hetero", {"CRV1": "city_id"}, {"CRV1": "province"}]


@pytest.mark.parametrize("method", ["nearest", "kernel"])
@pytest.mark.parametrize("vcov", VCOVS, ids=["iid", "hetero", "CRV1-city", "CRV1-province"])
def test_psm_did_vcov_equals_weighted_pyfixest_on_the_matched_sample(default_panel, method, vcov):
    """The DID on the matched city-years with the matching weights, for each vcov choice,
    against pyfixest feols(..., weights=..., vcov=...) on the same matched sample."""
    frame = regression_frame(default_panel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = psm_did(frame, "nqp", **PAPER, match_on=["hum", "gov"], method=method, vcov=vcov)
    matched = frame.assign(w=frame["city_id"].map(res.weights).fillna(0.0))
    matched = matched[matched["w"] > 0]
    ref = _feols("nqp ~ did | city_id + year", matched, vcov, weights="w")
    assert res.nobs == ref._N
    assert res.estimate == pytest.approx(float(ref.coef()["did"]), abs=COEF_TOL)
    assert res.se == pytest.approx(float(ref.se()["did"]), rel=SE_RTOL)
    expected = {"iid": "unadjusted", "hetero": "heteroskedasticity-robust"}
    kind = "clustered" if isinstance(vcov, dict) else expected[vcov]
    assert kind in res.did.inference
    assert res.did.cluster == (vcov["CRV1"] if isinstance(vcov, dict) else None)


def test_psm_did_default_is_city_clusters_and_bad_vcov_is_named(default_panel):
    frame = regression_frame(default_panel)
    default = psm_did(frame, "nqp", **PAPER, match_on=["hum", "gov"])
    same = psm_did(frame, "nqp", **PAPER, match_on=["hum", "gov"], vcov={"CRV1": "city_id"})
    assert default.se == same.se and default.did.cluster == "city_id"
    with pytest.raises(ValueError, match=r"vcov='bad' is not allowed"):
        psm_did(frame, "nqp", **PAPER, match_on=["hum"], vcov="bad")
    with pytest.raises(ValueError, match=r"psm_did: cluster='province' and vcov=.*different"):
        psm_did(frame, "nqp", **PAPER, match_on=["hum"], cluster="province", vcov={"CRV1": "g"})
