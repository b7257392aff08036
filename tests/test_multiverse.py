"""The specification space, the two-way clustered variance, the runner's determinism and
resuming, the live estimates against pyfixest, and the chapter's glue on two twins."""

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
STORED_RTOL = 1e-8
"""Results are stored with 10 significant digits."""


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


@pytest.mark.parametrize(
    "fixed", ["city+year", "city+year+province×year", "city+year+province trends"]
)
def test_twoway_clustering_from_one_fit_equals_three_fits(prepared, fixed):
    """The CGM sum from one fit (the year and city × year sandwiches on the city fit's
    demeaned regressors and residuals) equals it from three separate fits, clustered on
    city, year and city × year, each with raw sandwiches — and pyfixest's, to noise."""
    import pyfixest as pf

    from replicate.models.twfe import TWFE

    spec = mv.Spec("twfe", ("fdi", "hum"), fixed, "ignore", "2010–2020", "city+year")
    row = mv.estimate_spec(spec, prepared)
    frame, trends = mv.spec_frame(spec, prepared)
    effects = "city_id + year" + (" + province^year" if "×" in fixed else "")
    formula = f"nqp ~ {' + '.join(['did', 'fdi', 'hum', *trends])} | {effects}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = [
            replicate.fit(formula, frame, vcov={"CRV1": c}, small_sample="none")
            for c in ("city_id", "year", "_city_year")
        ]
        ref = pf.feols(formula, data=frame, vcov={"CRV1": "city_id+year"})
    v = fits[0].cov.loc["did", "did"] + fits[1].cov.loc["did", "did"]
    v -= fits[2].cov.loc["did", "did"]
    n, g = fits[0].nobs, min(fits[0].n_clusters, fits[1].n_clusters)
    k = len(fits[0].params)  # slopes and the intercept; every effect is nested in a clustering
    three = np.sqrt(v * g / (g - 1) * (n - 1) / (n - k))
    assert row["status"] == "ok" and row["n_clusters"] == g == 11
    assert row["se"] == mv._round(three)  # the same number, to the stored digits
    absorb = ["city_id", "year", *(["province#year"] if "×" in fixed else [])]
    model = TWFE(frame, "nqp", ["did", "fdi", "hum", *trends], absorb)
    variance, df = mv.twoway_cluster(model, model.fit(cluster="city_id", small_sample="none"))
    assert np.sqrt(variance) == three and df == g - 1  # bit for bit, unrounded
    assert row["se"] == pytest.approx(ref.se()["did"], rel=TWOWAY_RTOL)
    assert "only 11 clusters in 'year'" in row["warning"]  # the year clustering's warning kept


def test_estimators_leave_the_shared_samples_unchanged(prepared, small_space):
    """The samples every worker builds once are handed to the estimators as they are:
    after every specification of the small space they still equal a fresh build."""
    fresh = mv.Prepared(prepared.frame, prepared.codings, "x", False, "x")
    rows = [mv.estimate_spec(spec, fresh) for spec in small_space.to_dict("records")]
    assert all(r["status"] == "ok" for r in rows)
    shared = mv._SHARED[fresh]
    assert any(key[0] == "within" for key in shared)
    for key, value in shared.items():
        if key[0] != "frame":
            continue
        _, coding, window, fixed = key
        spec = mv.Spec("twfe", (), fixed, coding, window, "city+year")
        pd.testing.assert_frame_equal(value[0], mv.spec_frame(spec, fresh)[0])
    again = [mv.estimate_spec(spec, prepared) for spec in small_space.to_dict("records")]
    assert rows == again  # shared or not, warm or cold cache: the same rows


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
    # Tasks sent in chunks (as the full space is: ≈ 4 ms of Dask per task saved): each
    # stored under its own hash, the same rows as one by one in this process.
    prepared = mv.prepare(panel)
    kwargs = {"data_hash": prepared.fingerprint, "progress": False}
    one = mv.run_tasks(small_space, mv._spec_task, prepared, scheduler="serial", **kwargs)
    chunked = mv.run_tasks(
        small_space, mv._spec_task, prepared, scheduler=None, workers=2, chunk=4, **kwargs
    )
    assert chunked.computed == len(small_space) and chunked.failed == 0
    pd.testing.assert_frame_equal(chunked.results, one.results)


def test_chunks_report_each_task_on_its_own():
    """A chunk runs its tasks one after the other; a task that raises is returned as its
    exception (counted failed, not stored), the others as they are."""

    def fn(task, shared):
        if task["hash"] == "b":
            raise ZeroDivisionError("task b")
        return {"status": "ok", "value": shared + task["x"]}

    out = mv._run_chunk(
        fn, [{"hash": "a", "x": 1}, {"hash": "b", "x": 2}, {"hash": "c", "x": 3}], 10
    )
    assert [h for h, _ in out] == ["a", "b", "c"]
    assert out[0][1]["value"] == 11 and out[2][1]["value"] == 13
    assert isinstance(out[1][1], ZeroDivisionError)
    # The full space on the chapter's 2 workers goes in chunks of 32; a small run one by one.
    assert mv.chunk_size(1764, 2) == mv.CHUNK_MAX == 32
    assert mv.chunk_size(13, 2) == 1 and mv.chunk_size(1764, 100) == 2


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


def _independent_twfe(panel, spec: dict):
    """The spec's TWFE fit rebuilt by hand: the pilot coding from the lists, the window
    and the fixed effects straight into pyfixest (no code of replicate.multiverse)."""
    import pyfixest as pf

    from replicate import replication
    from replicate.data.pilots import code_pilots

    reading, evidence = mv.CODINGS[spec["pilot_coding"]]
    first = code_pilots(reading, evidence).first_year
    frame = replication.regression_frame(panel).copy()
    frame["g"] = frame["city_id"].map(first).fillna(0).astype(int)
    frame["did"] = ((frame["g"] > 0) & (frame["year"] >= frame["g"])).astype(float)
    lo, hi = mv.WINDOWS[spec["window"]]
    frame = frame[frame["year"].between(lo, hi)]
    fe = "city_id + year" + (
        " + province^year" if spec["fixed_effects"] == "city+year+province×year" else ""
    )
    rhs = " + ".join(["did", *mv.Spec.from_row(spec).controls])
    cluster = {"city": "city_id", "province": "province"}[spec["cluster"]]
    return pf.feols(f"nqp ~ {rhs} | {fe}", frame, vcov={"CRV1": cluster})


def test_live_twfe_specs_equal_an_independent_pyfixest_fit(panel, prepared):
    """A sample of TWFE specifications across codings, windows, effects and clusters."""
    full = mv.space(codings=mv.codings_of(prepared))
    twfe = full[
        (full["estimator"] == "twfe")
        & (full["fixed_effects"] != "city+year+province trends")
        & (full["cluster"] != "city+year")
    ]
    sample = pd.concat(
        [
            twfe.drop_duplicates(["pilot_coding", "window", "fixed_effects"]),
            twfe.sample(4, random_state=1),
        ]
    ).drop_duplicates("hash")
    assert sample["pilot_coding"].nunique() == 4 and sample["window"].nunique() == 3
    for spec in sample.to_dict("records"):
        row = mv.estimate_spec(spec, prepared)
        fit = _independent_twfe(panel, spec)
        assert row["status"] == "ok", row["error"]
        assert row["estimate"] == pytest.approx(fit.coef()["did"], rel=STORED_RTOL), spec["hash"]
        assert row["nobs"] == fit._N
        if spec["fixed_effects"] == "city+year":
            assert row["se"] == pytest.approx(fit.se()["did"], rel=STORED_RTOL), spec["hash"]
        else:
            # Province-by-year effects: pyfixest's count of the redundant levels is not
            # reghdfe's (models/twfe.py), so the s.e. lies between its extreme conventions.
            import pyfixest as pf

            bounds = [
                pf.feols(
                    fit._fml, fit._data, vcov={"CRV1": fit._clustervar[0]}, ssc=pf.ssc(k_fixef=k)
                ).se()["did"]
                for k in ("none", "full")
            ]
            assert bounds[0] < row["se"] < bounds[1], spec["hash"]


def test_published_estimates_are_the_papers_cells():
    """Liu & Zou, Table 2 columns 1–7 and Table 4 column 1, coefficient on did (as
    transcribed in replicate.paper): 0.144 0.146 0.137 0.136 0.135 0.124 0.125 and 0.075."""
    published = mv.published_estimates()
    assert list(published.index) == list(mv.PAPER_SPECS)
    assert published.tolist() == [0.144, 0.146, 0.137, 0.136, 0.135, 0.124, 0.125, 0.075]
    assert (published.min(), published.max()) == (0.075, 0.146)


@pytest.fixture(scope="module", params=[20241128, 7])
def twin_glue(request):
    return _glue_on_twin(request.param)


def _glue_on_twin(seed: int) -> dict:
    """The chapter's sentence numbers on one twin: each recomputed from the result table
    here, and the paper's published range kept apart from the twin's estimates."""
    twin = load_panel("synthetic", seed=seed)
    prepared = mv.prepare(twin)
    full = mv.space(codings=mv.codings_of(prepared))
    specs = pd.concat(
        [full[full["paper"] != ""], full[full["estimator"] == "imputation"].iloc[:3]]
    ).sort_values("hash")
    result, _ = mv.run_multiverse(twin, specs, progress=False)
    truth = twin.truth.att
    summary = mv.robustness_summary(result, truth=truth)
    texts = mv.summary_glue(result, summary, truth)
    ok = result.ok
    ref = np.sign(ok.loc[ok["paper"] == "Table 2 (7)", "estimate"].iloc[0])
    assert texts["mv_n"] == f"{len(ok):,}"
    assert texts["mv_same_sign"] == f"{(np.sign(ok['estimate']) == ref).mean():.0%}"
    assert texts["mv_significant"] == f"{(ok['pvalue'] < 0.05).mean():.0%}"
    assert texts["mv_median"] == f"{ok['estimate'].median():.3f}"
    paper_rows = ok[ok["paper"] != ""]["estimate"]
    assert texts["mv_paper_range"] == f"{paper_rows.min():.3f} to {paper_rows.max():.3f}"
    assert texts["mv_published_range"] == "0.075 to 0.146"
    covers = ((ok["lower"] <= truth) & (truth <= ok["upper"])).mean()
    assert f"true effect is {truth:.3f}; {covers:.0%} of the 95% intervals" in texts["mv_truth"]
    assert texts["mv_data"] == "the synthetic twin"
    return texts


def test_chapter_glue_follows_the_numbers_on_two_twins(twin_glue):
    assert twin_glue["mv_published_range"] == "0.075 to 0.146"


def test_chapter_glue_differs_between_twins():
    """The numbers follow the data, not one seed."""
    a, b = _glue_on_twin(20241128), _glue_on_twin(7)
    assert a["mv_paper_range"] != b["mv_paper_range"]
    assert a["mv_published_range"] == b["mv_published_range"]


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


@pytest.mark.parametrize(
    ("n", "k", "clusters"),
    [(285, 1, 31), (285, 120, 31), (285, 40, None), (60, 3, 7), (9, 1, None)],
)
def test_multiplier_bootstrap_equals_moderndid_bit_for_bit(n, k, clusters):
    """The Callaway–Sant'Anna multiplier bootstrap (what the clustered specifications
    spend most of their time in) is moderndid's ``mboot``, draws computed a block at a
    time: the same standard errors and sup-t critical value to the bit."""
    from moderndid.did.mboot import mboot

    from replicate.models import _cs

    rng = np.random.default_rng(n * k)
    inf = rng.standard_t(5, size=(n, k))
    inf[:, 0] *= 0 if k > 3 else 1  # a degenerate column (no s.e.), where there are several
    cluster = None if clusters is None else rng.integers(0, clusters, n)
    for seed in (0, 12345):
        ours = _cs.sup_t(np.asfortranarray(inf), n, 999, seed, cluster)
        theirs = mboot(inf, n_units=n, biters=999, cluster=cluster, random_state=seed)
        np.testing.assert_array_equal(ours[0], theirs["se"])
        assert ours[1] == theirs["crit_val"] or (np.isnan(ours[1]) and np.isnan(theirs["crit_val"]))


def test_the_local_cluster_listens_on_loopback_only():
    """Scheduler, nanny, worker and dashboard of ``local_cluster`` bind 127.0.0.1 (Dask's
    ``dashboard_address=":0"`` alone listens on every interface), and close with the cluster."""
    import psutil

    client, cluster = mv.local_cluster(1)
    try:
        me = psutil.Process()
        processes = [me, *me.children(recursive=True)]
        pids = {p.pid for p in processes}
        listening = [
            c.laddr
            for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.pid in pids
        ]
        assert len(listening) >= 3, listening  # scheduler, dashboard, worker (and nanny)
        assert {address.ip for address in listening} == {"127.0.0.1"}, listening
        assert client.dashboard_link.startswith("http://127.0.0.1:")
    finally:
        client.close()
        cluster.close()


def test_cli_takes_estimator_names_in_any_case(tmp_path):
    """``replicate multiverse --estimators TWFE`` (as a user types it) runs the twfe family."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "replicate.cli", "multiverse", "--estimators", "TWFE, Imputation"]
        + ["--limit", "4", "--serial", "--quiet", "--out", str(tmp_path / "mv")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    stored = pd.read_parquet(tmp_path / "mv" / "results.parquet")
    assert set(stored["estimator"]) <= {"twfe", "imputation"} and len(stored) == 4
