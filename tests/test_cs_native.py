"""The native Callaway–Sant'Anna (``replicate.models._cs``) against moderndid, cell by cell.

Reference: ``moderndid.att_gt`` / ``moderndid.aggte`` (0.2), called here on the same data;
R ``did``'s published ``mpdta`` numbers stay in ``tests/test_modern_did.py``.
"""

from __future__ import annotations

import sys
import warnings
from itertools import product
from pathlib import Path

import moderndid as md
import numpy as np
import pandas as pd
import pytest

from replicate.models.staggered import callaway_santanna

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from scale import make_panel  # noqa: E402

MPDTA = {"unit": "countyreal", "time": "year", "cohort": "first.treat"}
SCALE = {"unit": "unit", "time": "year", "cohort": "cohort"}
KINDS = ("simple", "group", "dynamic", "calendar")
TOL = 1e-8
COMBOS = list(
    product(("dr", "ipw", "reg"), ("nevertreated", "notyettreated"), ("varying", "universal"))
)


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return md.load_mpdta().to_pandas()


@pytest.fixture(scope="module")
def scale_panel() -> pd.DataFrame:
    return make_panel(285)


def _reference(data, y, cols, controls, est_method, control_group, base_period, **agg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = md.att_gt(
            data=data.assign(_id=pd.factorize(data[cols["unit"]])[0] + 1),
            yname=y,
            tname=cols["time"],
            idname="_id",
            gname=cols["cohort"],
            xformla=("~" + "+".join(controls)) if controls else None,
            est_method=est_method,
            control_group=control_group,
            base_period=base_period,
            anticipation=agg.pop("anticipation", 0),
        )
        aggs = {}
        for k in KINDS:
            extra = agg if k == "dynamic" else {"max_e": agg.get("max_e", np.inf)}
            aggs[k] = md.aggte(out, type=k, **extra)
    return out, aggs


def _assert_equal(cs, out, aggs):
    gt = cs.group_time
    np.testing.assert_array_equal(gt["cohort"], out.groups.astype(int))
    np.testing.assert_array_equal(gt["year"], out.times.astype(int))
    np.testing.assert_allclose(gt["estimate"], out.att_gt, rtol=0, atol=TOL)
    np.testing.assert_allclose(gt["se"], out.se_gt, rtol=0, atol=TOL)
    for k, a in aggs.items():
        assert cs.overall.loc[k, "estimate"] == pytest.approx(float(a.overall_att), abs=TOL)
        assert cs.overall.loc[k, "se"] == pytest.approx(float(a.overall_se), abs=TOL)
        if a.event_times is not None:
            table = cs.aggregations[k]
            np.testing.assert_array_equal(table.index, np.asarray(a.event_times).astype(int))
            np.testing.assert_allclose(table["estimate"], np.asarray(a.att_by_event), atol=TOL)
            np.testing.assert_allclose(table["se"], np.asarray(a.se_by_event), atol=TOL)
    if out.wald_pvalue is not None:
        assert cs.pretest_p == pytest.approx(out.wald_pvalue, abs=1e-5)


@pytest.mark.parametrize("controls", [(), ("lpop",)], ids=["no-x", "lpop"])
@pytest.mark.parametrize(("est_method", "control_group", "base_period"), COMBOS)
def test_every_cell_and_aggregation_equals_moderndid_on_mpdta(
    mpdta, controls, est_method, control_group, base_period
):
    cs = callaway_santanna(
        mpdta,
        "lemp",
        **MPDTA,
        controls=list(controls),
        est_method=est_method,
        control_group=control_group,
        base_period=base_period,
    )
    assert cs.engine == "native"
    _assert_equal(
        cs, *_reference(mpdta, "lemp", MPDTA, controls, est_method, control_group, base_period)
    )


@pytest.mark.parametrize("controls", [(), ("x",)], ids=["no-x", "x"])
@pytest.mark.parametrize(("est_method", "control_group", "base_period"), COMBOS)
def test_every_cell_and_aggregation_equals_moderndid_on_the_scale_panel(
    scale_panel, controls, est_method, control_group, base_period
):
    cs = callaway_santanna(
        scale_panel,
        "y",
        **SCALE,
        controls=list(controls),
        est_method=est_method,
        control_group=control_group,
        base_period=base_period,
    )
    _assert_equal(
        cs, *_reference(scale_panel, "y", SCALE, controls, est_method, control_group, base_period)
    )


@pytest.mark.parametrize(
    "options",
    [
        {"min_e": -2, "max_e": 3},
        {"balance_e": 2},
        {"balance_e": 1, "min_e": -1, "max_e": 1},
        {"anticipation": 1},
        {"max_e": 1},
    ],
    ids=str,
)
def test_aggte_options_equal_moderndid(scale_panel, options):
    cs = callaway_santanna(scale_panel, "y", **SCALE, **options)
    out, aggs = _reference(
        scale_panel, "y", SCALE, (), "dr", "nevertreated", "varying", **dict(options)
    )
    _assert_equal(cs, out, aggs)
    events = cs.aggregations["dynamic"].index
    assert events.min() >= options.get("min_e", -np.inf)
    assert events.max() <= options.get("max_e", options.get("balance_e", np.inf))


def test_clustered_bootstrap_is_moderndid_given_the_same_draws(scale_panel):
    """Clustered s.e. use moderndid's multiplier bootstrap on our influence functions, with
    units in moderndid's order: the same seed gives the same draws and the same numbers."""
    cs = callaway_santanna(scale_panel, "y", **SCALE, cluster="province", draws=199, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = md.att_gt(
            data=scale_panel,
            yname="y",
            tname="year",
            idname="unit",
            gname="cohort",
            clustervars=["province"],
            boot=True,
            biters=199,
            random_state=3,
        )
        aggs = {k: md.aggte(out, type=k, random_state=3) for k in KINDS}
    np.testing.assert_allclose(cs.group_time["se"], out.se_gt, atol=TOL)
    for k, a in aggs.items():
        assert cs.overall.loc[k, "se"] == pytest.approx(float(a.overall_se), abs=TOL)
        if a.event_times is not None:
            np.testing.assert_allclose(
                cs.aggregations[k]["se"], np.asarray(a.se_by_event), atol=TOL
            )


def test_sup_t_band_is_wider_than_pointwise_and_seeded(scale_panel):
    a = callaway_santanna(scale_panel, "y", **SCALE, cband=True, draws=499, seed=11)
    b = callaway_santanna(scale_panel, "y", **SCALE, cband=True, draws=499, seed=11)
    assert a.critical_values == b.critical_values
    for kind in ("group", "dynamic", "calendar"):
        assert a.critical_values[kind] > 1.959964
    bands = a.bands("dynamic")
    assert (bands["uniform_upper"] - bands["uniform_lower"] > bands["upper"] - bands["lower"]).all()
    # the bootstrap critical value is moderndid's, on the same draws
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = md.att_gt(data=scale_panel, yname="y", tname="year", idname="unit", gname="cohort")
        ref = md.aggte(out, type="dynamic", cband=True, biters=499, random_state=11)
    assert a.critical_values["dynamic"] == pytest.approx(
        float(np.asarray(ref.critical_values)[0]), abs=1e-8
    )


def test_aggte_options_are_checked(scale_panel):
    with pytest.raises(ValueError, match="anticipation"):
        callaway_santanna(scale_panel, "y", **SCALE, anticipation=-1)
    with pytest.raises(ValueError, match="balance_e"):
        callaway_santanna(scale_panel, "y", **SCALE, balance_e=1.5)
    with pytest.raises(ValueError, match="min_e"):
        callaway_santanna(scale_panel, "y", **SCALE, min_e=3, max_e=1)


def test_input_is_not_modified(scale_panel):
    before = scale_panel.copy()
    callaway_santanna(scale_panel, "y", **SCALE, controls=["x"])
    pd.testing.assert_frame_equal(scale_panel, before)


def test_unbalanced_panel_goes_through_moderndid_and_says_so(mpdta):
    """moderndid balances an unbalanced panel itself (dropping units); that path stays its own."""
    holes = mpdta.drop(index=mpdta.index[[3, 17, 40]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cs = callaway_santanna(holes, "lemp", **MPDTA)
    assert cs.engine == "moderndid"
    full = callaway_santanna(mpdta, "lemp", **MPDTA)
    assert cs.n_units < full.n_units or cs.estimate != full.estimate


@pytest.mark.parametrize("cluster", [None, "province"])
def test_computing_one_aggregation_gives_its_numbers_unchanged(scale_panel, cluster):
    """aggregations=("simple",) skips the other three (and their bootstraps), not a digit
    of the headline."""
    kw = dict(SCALE, cluster=cluster, aggregation="simple", draws=199, seed=3)
    every = callaway_santanna(scale_panel, "y", **kw)
    one = callaway_santanna(scale_panel, "y", **kw, aggregations=("simple",))
    assert list(one.overall.index) == ["simple"] and set(one.aggregations) == set()
    assert (one.estimate, one.se) == (every.estimate, every.se)
    pd.testing.assert_frame_equal(one.group_time, every.group_time)
    with pytest.raises(ValueError, match="aggregations"):
        callaway_santanna(scale_panel, "y", **kw, aggregations=("overall",))
