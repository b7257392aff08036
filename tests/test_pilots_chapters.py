"""Chapters 07 (robustness) and 10b (multiverse) on another pilot policy (``--pilots``), the
robustness variants that do and do not apply to a pilot file, and ``psm_did(vcov=...)``.

Independent sources: pyfixest ``feols`` (0.60) on the same panel and matched sample, with
the small-sample settings of ``tests/test_fit.py`` that equal the library's ``reghdfe``
convention; the pilot file itself for the treated set and timing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings

import nbformat
import pandas as pd
import pyfixest as pf
import pytest
from pyfixest.demeaners import MapDemeaner

from replicate import book, paths, replication
from replicate.data import load_panel
from replicate.data.schema import CONTROLS
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


# ----------------------------------------------------------------------------- helpers


def _cli(*args: str, cwd=paths.ROOT, env=None, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "replicate.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def _outputs(path) -> tuple[dict[str, str], list[str], str]:
    """An executed notebook's glued values (English), HTML outputs and printed text."""
    nb = nbformat.read(path, 4)
    glued, html, printed = {}, [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                value = out["data"]["application/papermill.record/text/plain"]
                glued[meta["name"]] = str(value).strip("'\"")
            elif out.get("output_type") == "stream" and out.get("name") == "stdout":
                printed.append(out["text"])
            elif "text/html" in out.get("data", {}):
                html.append(out["data"]["text/html"])
    return glued, html, "".join(printed)


def _file_did(frame: pd.DataFrame, timing: pd.Series) -> pd.DataFrame:
    """``frame`` with ``did`` rebuilt from the file's first years (0: never treated)."""
    g = frame["city_id"].map(timing).fillna(0).astype(int)
    return frame.assign(g=g, did=((g > 0) & (frame["year"] >= g)).astype(float))


LABEL = "made_up_pilots.csv (12 treated cities"
BASELINE = f"nqp ~ did + {' + '.join(CONTROLS)} | city_id + year"


@pytest.fixture(scope="module")
def file_frame(default_panel, file_timing) -> pd.DataFrame:
    """The twin on the regressions' scale, its did rebuilt from the file by hand."""
    return _file_did(regression_frame(default_panel), file_timing)


# ----------------------------------------------------------------------------- robustness()


def test_robustness_on_another_pilot_policy_keeps_the_files_timing(other_panel, file_frame):
    """The variants that apply to any timing, each against pyfixest on the file's did."""
    fits = replication.robustness(other_panel)
    assert list(fits) == ["baseline", "by province", "HC1"]
    for name, vcov in (
        ("baseline", {"CRV1": "city_id"}),
        ("by province", {"CRV1": "province"}),
        ("HC1", "hetero"),
    ):
        ref = _feols(BASELINE, file_frame, vcov)
        assert fits[name].params["did"] == pytest.approx(float(ref.coef()["did"]), abs=COEF_TOL)
        assert fits[name].std_errors["did"] == pytest.approx(float(ref.se()["did"]), rel=SE_RTOL)
        assert LABEL in fits[name].data_label
    broadband = replication.robustness(load_panel("synthetic"))
    assert broadband["baseline"].params["did"] != pytest.approx(fits["baseline"].params["did"])


def test_robustness_refuses_the_broadband_only_variants_by_name(other_panel, default_panel):
    skipped = replication.robustness_skipped(other_panel)
    assert list(skipped) == list(replication.PILOT_LIST_VARIANTS)
    assert all("made_up_pilots.csv" in line and " skipped: " in line for line in skipped.values())
    for name in replication.PILOT_LIST_VARIANTS:
        with pytest.raises(ValueError, match=rf"variants=\['{name}'\].*made_up_pilots\.csv.*Fix:"):
            replication.robustness(other_panel, variants=[name, "HC1"])
    with pytest.raises(ValueError, match="variants='bootstrap' is not allowed"):
        replication.robustness(other_panel, variants=["bootstrap"])
    # the Broadband timing: every variant, nothing skipped, a subset on request
    assert replication.robustness_skipped(default_panel) == {}
    every = replication.robustness(default_panel)
    assert list(every) == [
        "baseline", "sub-city: ignore", "weak dropped", "weak recoded", "by province", "HC1",
    ]  # fmt: skip
    one = replication.robustness(default_panel, variants="weak dropped")
    assert list(one) == ["weak dropped"]
    assert one["weak dropped"].params["did"] == every["weak dropped"].params["did"]


# ----------------------------------------------------------------------------- chapter 07


@pytest.fixture(scope="module")
def chapter_07():
    """`replicate run 07 --pilots FILE` as a user runs it (a subprocess)."""
    done = _cli("run", "07", "--pilots", str(EXAMPLE))
    assert done.returncode == 0, done.stderr[-3000:]
    return _outputs(paths.EXECUTED_DIR / "07_robustness.ipynb")


def test_chapter_07_on_the_pilot_file(chapter_07, other_panel, file_frame, file_timing):
    glued, html, printed = chapter_07
    # the skipped variants: one computed line each, as robustness_skipped words it
    for line in replication.robustness_skipped(other_panel).values():
        assert printed.count(line) == 1, line
    assert "Cities whose pilot year rests on single-source entries" not in " ".join(html)
    # every data table is labelled with the file's timing
    data_tables = [h for h in html if "Data:" in h]
    assert len(data_tables) >= 3 and all(LABEL in h for h in data_tables)
    variants = next(h for h in html if ">by province<" in h)
    assert ">weak dropped<" not in variants and ">sub-city" not in variants
    # the numbers are the file's timing: pyfixest on the did rebuilt by hand
    base = _feols(BASELINE, file_frame, {"CRV1": "city_id"})
    province = _feols(BASELINE, file_frame, {"CRV1": "province"})
    hetero = _feols(BASELINE, file_frame, "hetero")
    assert glued["did_base"] == f"{float(base.coef()['did']):.3f}"
    sentence = glued["variants_sentence"]
    assert "made_up_pilots.csv" in sentence
    for ref in (base, province, hetero):
        assert f"{float(ref.se()['did']):.3f}" in sentence
    col1 = _feols(BASELINE + " + province^year", file_frame, {"CRV1": "city_id"})
    assert glued["did_col1"] == f"{float(col1.coef()['did']):.3f}"
    treated = file_frame.loc[file_frame["city_id"].isin(file_timing.index), "province"]
    assert int(glued["n_treated_provinces"]) == treated.nunique()
    assert "made_up_pilots.csv" in glued["coding_lead"] and "skipped" in glued["coding_lead"]
    assert "made_up_pilots.csv" in glued["varied_choices"]
    # the twin's outcomes follow Broadband China: its truth is not claimed for the file
    assert "do not apply" in glued["truth_sentence"]


# ----------------------------------------------------------------------------- chapter 10b

PAPER_TWFE = {
    **{f"Table 2 ({j + 1})": (CONTROLS[:j], "city_id + year") for j in range(len(CONTROLS) + 1)},
    "Table 4 (1)": (CONTROLS, "city_id + year + province^year"),
}
"""The paper's eight nqp specifications (Table 2's stepwise controls, Table 4 column 1), as
pyfixest formulas: written here from the paper, not from multiverse.PAPER_SPECS."""


def _paper_range(frame: pd.DataFrame) -> str:
    estimates = []
    for controls, fixed in PAPER_TWFE.values():
        rhs = " + ".join(["did", *controls])
        ref = _feols(f"nqp ~ {rhs} | {fixed}", frame, {"CRV1": "city_id"})
        estimates.append(float(ref.coef()["did"]))
    return f"{min(estimates):.3f} to {max(estimates):.3f}"


def _assert_10b_is_the_files(glued, html, file_frame):
    assert "made_up_pilots.csv" in glued["mv_codings"]
    assert glued["mv_paper_coding"] == "the timing of made_up_pilots.csv"
    assert LABEL in glued["mv_provenance"]
    choices = next(h for h in html if "The choices on each dimension" in h)
    coding_rows = re.findall(r"<td>pilot_coding</td><td[^>]*>([^<]+)<", choices)
    assert coding_rows == ["as in the data"], coding_rows
    assert "parent" not in choices
    assert glued["mv_paper_range"] == _paper_range(file_frame)
    assert all(LABEL in h for h in html if "Data:" in h)
    assert "no true effect applies" in glued["mv_truth"]


def test_chapter_10b_on_the_pilot_file_from_a_run_of_its_paper_specifications(
    tmp_path, other_panel, file_frame
):
    """The chapter reads a multiverse run on the file's timing (its TWFE specifications of
    the paper's kind, estimated here so the test stays short) and says what was varied."""
    from replicate import multiverse

    specs = multiverse.space(estimators=["twfe"], codings=["as in the data"])
    last = specs["controls"] == "+".join(CONTROLS)
    keep = (specs["paper"] != "") | (last & (specs["fixed_effects"] == "city+year"))
    mv, _ = multiverse.run_multiverse(other_panel, specs[keep], progress=False)
    results = mv.write(tmp_path / "mv.parquet")
    target = tmp_path / "10b.ipynb"
    run = book.execute(
        paths.NOTEBOOKS_DIR / "10b_multiverse.py",
        target,
        {"pilots": str(EXAMPLE), "results": str(results)},
    )
    assert run.ok, run.error
    glued, html, _ = _outputs(target)
    _assert_10b_is_the_files(glued, html, file_frame)
    assert glued["mv_total"] == f"{int(keep.sum()):,}"


@pytest.mark.slow
def test_chapter_10b_on_the_pilot_file_estimates_its_whole_space(tmp_path, file_frame):
    """The chapter as the book runs it with --pilots: every specification estimated now."""
    from replicate import multiverse

    target = tmp_path / "10b.ipynb"
    run = book.execute(paths.NOTEBOOKS_DIR / "10b_multiverse.py", target, {"pilots": str(EXAMPLE)})
    assert run.ok, run.error
    glued, html, _ = _outputs(target)
    _assert_10b_is_the_files(glued, html, file_frame)
    assert glued["mv_total"] == f"{len(multiverse.space(codings=['as in the data'])):,}"


# ----------------------------------------------------------------------------- the book


def test_the_book_with_pilots_runs_07_and_10b():
    """What `replicate book --pilots` executes: every chapter that declares `pilots`."""
    kept, skipped = book.taking(book.book_notebooks(), ["pilots"])
    names = {s.stem for s in kept}
    assert {"07_robustness", "10b_multiverse"} <= names
    assert not any(s.stem in ("07_robustness", "10b_multiverse") for s in skipped)
    for stem in ("07_robustness", "10b_multiverse"):
        declared = book.declared_parameters(paths.NOTEBOOKS_DIR / f"{stem}.py")
        assert declared["pilots"].value is None  # the default is Broadband China's


@pytest.mark.slow
def test_replicate_book_with_pilots_builds_07_and_10b_in_a_copy(tmp_path, file_frame):
    """`replicate book --pilots FILE --only 07_robustness --only 10b_multiverse` as a
    subprocess, in a copy of the checkout (the shared working tree's pages stay as they
    are): no skip line for either, and the rendered pages state the file's timing."""
    import os

    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns(".git", ".venv", "_build", "__pycache__", ".*.running.ipynb")
    shutil.copytree(paths.ROOT, root, ignore=ignore, symlinks=True)
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    only = ["--only", "07_robustness", "--only", "10b_multiverse"]
    done = _cli("book", "--pilots", str(EXAMPLE), *only, cwd=root, env=env, timeout=2400)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    assert "07_robustness skipped" not in done.stdout
    assert "10b_multiverse skipped" not in done.stdout
    pages = {}
    for stem in ("07_robustness", "10b_multiverse"):
        page = (root / "_build" / "html" / "notebooks" / f"{stem}.html").read_text("utf-8")
        pages[stem] = " ".join(re.sub(r"<[^>]+>", " ", page).split())
        assert LABEL in pages[stem]
    assert "sub-city skipped" in pages["07_robustness"]
    assert "This panel’s timing comes from made_up_pilots.csv" in pages["10b_multiverse"] or (
        "This panel's timing comes from made_up_pilots.csv" in pages["10b_multiverse"]
    )
    assert f"give {_paper_range(file_frame)}" in pages["10b_multiverse"]
