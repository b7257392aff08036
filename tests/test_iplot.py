"""``figures.iplot``: one event-study plot for every event-study result, labelled from the data.

Checked on R did's mpdta (moderndid 0.2 ``load_mpdta``; outcome ``lemp``, time ``year``):
the plotted points and interval ends are the results' own numbers, the axis labels name the
outcome and time column the result records (or what the caller passes), never the paper's
"nqp" or "pilot".
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from replicate import fit
from replicate.models.event_study import event_study
from replicate.models.protocol import event_times
from replicate.models.staggered import callaway_santanna, imputation, sun_abraham
from replicate.report.figures import iplot

MPDTA = {"unit": "countyreal", "time": "year", "cohort": "ft"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    import moderndid as md

    return md.load_mpdta().to_pandas().rename(columns={"first.treat": "ft"})


@pytest.fixture(scope="module")
def results(mpdta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "es": event_study(mpdta, "lemp", **MPDTA, window=(-4, 3)),
            "sa": sun_abraham(mpdta, "lemp", **MPDTA),
            "cs": callaway_santanna(mpdta, "lemp", **MPDTA, cband=True),
            "imputation": imputation(mpdta, "lemp", **MPDTA),
            "sunab": fit("lemp ~ sunab(ft, year) | countyreal + year", mpdta),
        }


def _points(fig, i=0):
    container = fig.axes[0].containers[i]
    line = container.lines[0]
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float), container


def _texts(fig) -> str:
    ax = fig.axes[0]
    legend = ax.get_legend()
    return " ".join(
        [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        + ([t.get_text() for t in legend.get_texts()] if legend else [])
    )


def test_twfe_event_study_points_bands_and_labels(results):
    es = results["es"]
    fig = iplot(es)
    x, y, container = _points(fig)
    rows = es.table.drop(index=es.reference_period)
    np.testing.assert_array_equal(x, rows.index.to_numpy(float))
    np.testing.assert_allclose(y, rows["coef"], rtol=0, atol=0)
    segments = container.lines[2][0].get_segments()  # vertical error bars: pointwise CI
    np.testing.assert_allclose([s[0][1] for s in segments], rows["lower"], atol=1e-12)
    np.testing.assert_allclose([s[1][1] for s in segments], rows["upper"], atol=1e-12)
    band = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(band.min(), rows["lower_uniform"].min())  # sup-t band shaded
    assert fig.axes[0].get_ylabel() == "effect on lemp"
    assert fig.axes[0].get_xlabel() == "year relative to the first treated year (reference: -1)"
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][0] == "≤-4"
    assert "nqp" not in _texts(fig) and "pilot" not in _texts(fig)
    plt.close(fig)


def test_labels_can_be_named_and_never_borrow_the_paper(results):
    fig = iplot(results["sa"], outcome="log teen employment", time="year")
    assert fig.axes[0].get_ylabel() == "effect on log teen employment"
    assert fig.axes[0].get_xlabel() == "year relative to the first treated year (reference: -1)"
    plt.close(fig)
    fig = iplot(results["imputation"])
    text = _texts(fig)
    assert "no reference period" in text and "nqp" not in text and "pilot" not in text
    plt.close(fig)


def test_sunab_fit_labels_come_from_the_formula(results):
    fig = iplot(results["sunab"])
    assert fig.axes[0].get_ylabel() == "effect on lemp"
    assert fig.axes[0].get_xlabel().startswith("year relative to the first treated year")
    x, y, _ = _points(fig)
    res = results["sunab"]
    names = [f"year::{int(k)}" for k in x]
    np.testing.assert_allclose(y, res.params[names], atol=0)
    plt.close(fig)


def test_callaway_santanna_dynamic_and_imputation_values(results):
    cs = results["cs"]
    fig = iplot(cs)
    x, y, container = _points(fig)
    dyn = cs.aggregations["dynamic"]
    np.testing.assert_array_equal(x, dyn.index.to_numpy(float))
    np.testing.assert_allclose(y, dyn["estimate"], atol=0)
    z = stats.norm.ppf(0.975)
    segments = container.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1][1] for s in segments], dyn["estimate"] + z * dyn["se"])
    band = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    crit = cs.critical_values["dynamic"]
    assert np.isclose(band.max(), (dyn["estimate"] + crit * dyn["se"]).max())
    plt.close(fig)
    imp = results["imputation"]
    fig = iplot(imp)
    x, y, _ = _points(fig)
    np.testing.assert_allclose(y, imp.by_event["estimate"], atol=0)
    plt.close(fig)


def test_several_results_side_by_side(results):
    fig = iplot(results["sa"], results["cs"], labels=["SA", "CS"])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["SA, pointwise 95% CI", "CS, pointwise 95% CI"]
    assert "(reference: SA -1; CS none)" in fig.axes[0].get_xlabel()  # CS: varying base
    x_sa, y_sa, _ = _points(fig, 0)
    x_cs, _, _ = _points(fig, 1)
    assert (x_sa < np.round(x_sa)).all() and (x_cs > np.round(x_cs)).all()  # offset apart
    np.testing.assert_allclose(y_sa, results["sa"].by_event["estimate"])
    plt.close(fig)


def test_non_event_study_results_are_refused(mpdta):
    plain = fit("lemp ~ lpop | year", mpdta)
    with pytest.raises(TypeError, match=r"sunab\(cohort, time\)"):
        iplot(plain)
    with pytest.raises(ValueError, match="at least one"):
        iplot()


def test_event_times_reference_rows(results):
    sa = event_times(results["sa"])
    assert (
        sa.reference == -1
        and np.isnan(sa.table.loc[-1, "se"])
        and sa.table.loc[-1, "estimate"] == 0
    )
    assert event_times(results["imputation"]).reference is None
    assert event_times(results["cs"]).reference is None  # varying base period: no normalisation
