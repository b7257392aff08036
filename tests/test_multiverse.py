"""The specification space, the two-way clustered variance, the runner's determinism and
resuming, and the committed twin cache."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import replicate
from replicate import multiverse as mv
from replicate.data import load_panel, synthetic
from replicate.data.schema import CONTROLS

TWOWAY_RTOL = 1e-8
"""pyfixest and our CGM sum differ by floating-point noise only."""
CACHE_RTOL = 1e-8
"""The cache stores 10 significant digits; a real change to an estimator moves more."""


@pytest.fixture(scope="module")
def panel(default_panel):
    return default_panel  # built once per session (conftest)


@pytest.fixture(scope="module")
def prepared(panel):
    return mv.prepare(panel)


@pytest.fixture(scope="module")
def small_space():
    """Twelve specifications covering every estimator and the two-way clustering."""
    full = mv.space()
    picks = [
        full[(full["estimator"] == e)].iloc[:2]
        for e in ("twfe", "sun_abraham", "imputation", "cs_notyet")
    ]
    twoway = full[(full["cluster"] == "city+year")].iloc[:2]
    # The bootstrap (random) standard errors: Callaway–Sant'Anna with province clusters.
    boot = full[(full["estimator"] == "cs_never") & (full["cluster"] == "province")].iloc[:1]
    paper = full[full["paper"].isin(["Table 2 (7)", "Table 4 (1)"])]
    return pd.concat([*picks, twoway, boot, paper]).drop_duplicates("hash").sort_values("hash")


def test_space_has_every_dimension_and_at_least_1000_specs():
    specs = mv.space()
    assert len(specs) >= 1000
    assert specs["hash"].is_unique and specs["hash"].is_monotonic_increasing
    for dim, values in [
        ("estimator", mv.ESTIMATORS),
        ("fixed_effects", mv.FIXED_EFFECTS),
        ("pilot_coding", tuple(mv.CODINGS)),
        ("window", tuple(mv.WINDOWS)),
        ("cluster", mv.CLUSTERS),
    ]:
        assert set(specs[dim]) == set(values), dim
    # Every excluded choice has a reason, and the space has none of them.
    for row in mv.exclusions().itertuples():
        assert row.reason
        key = {v: k for k, v in mv.ESTIMATOR_LABELS.items()}[row.estimator]
        sub = specs[specs["estimator"] == key]
        assert row._3 not in set(sub[row.dimension])
    assert len(mv.space(controls="subsets")) > 4 * len(specs)


def test_paper_specifications_are_marked_once():
    specs = mv.space()
    marked = specs[specs["paper"] != ""].set_index("paper")
    assert sorted(marked.index) == sorted(mv.PAPER_SPECS)
    assert marked.loc["Table 2 (1)", "controls"] == "none"
    assert marked.loc["Table 2 (7)", "controls"] == "+".join(CONTROLS)
    assert marked.loc["Table 4 (1)", "fixed_effects"] == "city+year+province×year"


def test_hash_depends_only_on_the_choices():
    a = mv.Spec("twfe", ("fdi", "hum"))
    b = mv.Spec.from_row({**mv.space().iloc[0].to_dict(), **{"controls": "fdi+hum"}})
    assert a.hash == mv.Spec("twfe", ["fdi", "hum"]).hash  # list or tuple: same spec
    assert a.hash != mv.Spec("twfe", ("fdi",)).hash
    assert len(a.hash) == 16 and int(a.hash, 16) >= 0
    assert b.controls == ("fdi", "hum")
    # Pinned: a change to the canonical form would orphan every stored result.
    assert a.canonical() == (
        '{"cluster":"city","controls":["fdi","hum"],"estimator":"twfe",'
        '"fixed_effects":"city+year","outcome":"nqp","pilot_coding":"parent","window":"2005–2022"}'
    )
    with pytest.raises(ValueError, match="estimator='ols' is not allowed"):
        mv.Spec("ols", ())


def test_paper_spec_equals_the_replication_of_table_2(panel, prepared):
    """Table 2 column (7) through the adapter equals replication.estimate's fit."""
    from replicate import replication

    ours = replication.estimate(2, panel)[7]
    spec = mv.space().query("paper == 'Table 2 (7)'").iloc[0].to_dict()
    row = mv.estimate_spec(spec, prepared)
    assert row["status"] == "ok"
    assert row["estimate"] == pytest.approx(ours.params["did"], rel=1e-9)
    assert row["se"] == pytest.approx(ours.std_errors["did"], rel=1e-9)
    assert row["nobs"] == ours.nobs


def test_twoway_clustering_equals_pyfixest(prepared):
    """CGM two-way variance against pyfixest's CRV1 'city_id+year' (default ssc)."""
    import pyfixest as pf

    for fixed, fml_fe in [
        ("city+year", "city_id + year"),
        ("city+year+province×year", "city_id + year + province^year"),
    ]:
        spec = mv.Spec("twfe", ("fdi", "hum"), fixed, "parent", "2005–2019", "city+year")
        row = mv.estimate_spec(spec, prepared)
        frame, _ = mv.spec_frame(spec, prepared)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = pf.feols(
                f"nqp ~ did + fdi + hum | {fml_fe}", data=frame, vcov={"CRV1": "city_id+year"}
            )
        assert row["estimate"] == pytest.approx(ref.coef()["did"], rel=1e-8)
        assert row["se"] == pytest.approx(ref.se()["did"], rel=TWOWAY_RTOL)


def test_failure_is_recorded_not_raised(prepared):
    frame = prepared.frame.assign(nqp=1.0)  # constant outcome
    bad = mv.Prepared(frame, prepared.codings, "const", False, "x")
    row = mv.estimate_spec(mv.Spec("twfe", ()), bad)
    assert row["status"] == "failed" and "constant" in row["error"]
    assert np.isnan(row["estimate"])


@pytest.fixture(scope="module")
def serial_run(panel, small_space, tmp_path_factory):
    """The small space run serially once for the module: the result and its file's bytes."""
    out = tmp_path_factory.mktemp("serial")
    serial, rep = mv.run_multiverse(
        panel, small_space, out=out / "a", scheduler="serial", progress=False
    )
    assert rep.computed == len(small_space) and rep.failed == 0
    return serial, serial.write(out / "serial.parquet").read_bytes()


@pytest.fixture(scope="module")
def serial_bytes(serial_run) -> bytes:
    return serial_run[1]


@pytest.mark.slow  # starts a local Dask cluster (≈ 20–40 s); `make test-slow`
def test_cluster_run_is_byte_identical_to_the_serial_run(
    panel, small_space, serial_bytes, tmp_path
):
    dist, rep2 = mv.run_multiverse(
        panel, small_space, out=tmp_path / "b", scheduler=None, workers=2, progress=False
    )
    assert rep2.workers == 2 and rep2.computed == len(small_space)
    assert dist.write(tmp_path / "dask.parquet").read_bytes() == serial_bytes


def test_interrupted_run_resumes_byte_identically(panel, small_space, serial_bytes, tmp_path):
    a = serial_bytes
    # Interrupted after 5 tasks, then resumed: only the rest is computed, same bytes.
    out = tmp_path / "c"
    _, half = mv.run_multiverse(
        panel, small_space, out=out, scheduler="serial", progress=False, stop_after=5
    )
    assert half.interrupted and half.computed == 5
    resumed, rest = mv.run_multiverse(panel, small_space, out=out, progress=False)
    assert (rest.computed, rest.reused) == (len(small_space) - 5, 5)
    assert resumed.write(tmp_path / "resumed.parquet").read_bytes() == a
    again, nothing = mv.run_multiverse(panel, small_space, out=out, progress=False)
    assert nothing.computed == 0
    # Other data: nothing is reused.
    other = panel.frame.assign(nqp=panel.frame["nqp"] * 2)
    _, fresh = mv.run_multiverse(
        load_panel(other), small_space.head(2), out=out, scheduler="serial", progress=False
    )
    assert fresh.computed == 2


def test_summaries(small_space, serial_run):
    result = serial_run[0]
    summary = mv.robustness_summary(result)
    assert summary.loc["all specifications", "specifications"] == len(small_space)
    ok = result.ok
    sign = np.sign(ok.loc[ok["paper"] == "Table 2 (7)", "estimate"].iloc[0])
    assert summary.loc["all specifications", "same sign"] == pytest.approx(
        (np.sign(ok["estimate"]) == sign).mean()
    )
    vd = mv.variance_decomposition(result)
    # One-way η² equals the between-group share of the variance, computed directly.
    y = ok["estimate"]
    between = ok.groupby("estimator")["estimate"].transform("mean")
    eta = ((between - y.mean()) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert vd.loc["estimator", "alone (η²)"] == pytest.approx(eta)
    assert 0 <= vd.loc["all (additive R²)", "alone (η²)"] <= 1 + 1e-12


def test_committed_twin_cache_matches_the_current_space(panel):
    """The chapter's precomputed results: same specifications, same data, every spec run."""
    cached = mv.load(mv.TWIN_CACHE)
    prepared = mv.prepare(panel)
    assert cached.data_hash == prepared.fingerprint
    assert cached.synthetic and cached.label == panel.label
    assert (
        cached.table["hash"].tolist() == mv.space(codings=mv.codings_of(prepared))["hash"].tolist()
    )
    assert (cached.table["status"] != "not run").all()
    # Not stale: one cached specification per estimator equals a fresh estimate. If this
    # fails after an estimator changed, regenerate the file with
    # `replicate multiverse --out /tmp/mv --export data/derived/multiverse_twin.parquet`.
    table = cached.table
    sample = pd.concat([table[table["paper"] == "Table 4 (1)"], table.drop_duplicates("estimator")])
    for row in sample.to_dict("records"):
        fresh = mv.estimate_spec(row, prepared)
        assert fresh["estimate"] == pytest.approx(row["estimate"], rel=CACHE_RTOL), row["hash"]
        assert fresh["se"] == pytest.approx(row["se"], rel=CACHE_RTOL), row["hash"]


def test_montecarlo_seeds_come_from_the_design(tmp_path):
    from replicate import montecarlo as mc

    design = mc.Design({"conditional_trends": False}, ("twfe", "imputation"))
    table, rep = mc.run(design, 3, out=tmp_path)
    assert len(table) == 6 and rep.computed == 3
    again, rep2 = mc.run(design, 4, out=tmp_path)
    assert rep2.computed == 1 and again.head(3).equals(table.head(3))
    summary = mc.summarise(again)
    assert set(summary.index) == {"TWFE", "imputation (BJS)"}
    assert (summary["draws"] == 4).all()
    # The truth is the twin's own (generated with the draw's seed and the design's knobs).
    twin = synthetic.make_twin(
        seed=design.draw_seed(0), knobs=synthetic.Knobs(conditional_trends=False)
    )
    assert summary["truth (ATT)"].iloc[0] == pytest.approx(twin.truth.att, rel=1e-9)
    first = again[(again["draw"] == 0) & (again["estimator"] == "twfe")].iloc[0]
    fit = replicate.fit("nqp ~ did | city_id + year", twin.panel(), vcov={"CRV1": "city_id"})
    assert first["estimate"] == pytest.approx(fit.params["did"], rel=1e-9)
