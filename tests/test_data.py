"""The data layer: raw inputs, pilot coding, panel validation and loaders."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from replicate import cli, paths
from replicate.data import code_pilots, raw, synthetic
from replicate.data.panel import PanelError, load_panel

SHARED = paths.ROOT.parent / "shared" / "data"


# ----------------------------------------------------------------------------- raw inputs


@pytest.mark.skipif(not SHARED.exists(), reason="no ../shared/data beside the checkout")
@pytest.mark.parametrize(
    "relative",
    [
        "reference/cities.csv",
        "reference/broadband_china_pilots.csv",
        "gwr/national_gwr_2005_2025.jsonl",
    ],
)
def test_raw_files_are_byte_identical_to_the_shared_snapshot(relative):
    assert filecmp.cmp(paths.RAW_DIR / relative, SHARED / relative, shallow=False)


def test_city_list_has_285_unique_cities_and_six_single_city_provinces():
    cities = raw.cities()
    assert len(cities) == 285 and cities["city_id"].is_unique
    per_province = cities.groupby("province_en").size()
    # shared/data/README.md: exactly six provinces hold a single sample city.
    assert sorted(per_province[per_province == 1].index) == [
        "Beijing",
        "Chongqing",
        "Qinghai",
        "Shanghai",
        "Tianjin",
        "Tibet",
    ]


# ----------------------------------------------------------------------------- pilots


# Reference values: shared/data/README.md, "Implied treatment share".
@pytest.mark.parametrize(
    ("reading", "batches", "treated", "share"),
    [("parent", (37, 38, 34), 109, 0.1706), ("ignore", (37, 36, 35), 108, 0.1688)],
)
def test_pilot_readings_match_the_documented_counts(reading, batches, treated, share):
    coding = code_pilots(reading)
    assert tuple(coding.counts_by_batch()) == batches
    assert len(coding.treated) == treated
    assert coding.treated_share() == pytest.approx(share, abs=5e-5)


def test_pilot_panel_codes_did_as_treat_times_period():
    frame = code_pilots().panel()
    assert (frame["did"] == frame["treat"] * frame["period"]).all()
    changsha = frame[frame["city_id"] == "changsha"].set_index("year")["did"]
    assert (
        changsha[2013] == 0 and changsha[2014] == 1
    )  # Changsha–Zhuzhou–Xiangtan cluster, 2014 list


def test_sub_city_entries_move_chongqing_and_shangqiu():
    parent, ignore = code_pilots("parent").first_year, code_pilots("ignore").first_year
    changed = parent[parent != ignore]
    # Jiangjin/Rongchang (2015) treat Chongqing under 'parent'; Yongcheng (2015) treats Shangqiu.
    assert changed.get("chongqing") == 2015 and changed.get("shangqiu") == 2015


def test_evidence_filter_drops_the_single_source_2015_entries():
    strict = code_pilots(evidence=["multi_source", "independent_confirmation"])
    assert strict.counts_by_batch()[2015] == 10  # the ten independently confirmed 2015 cities


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"reading": "both"}, "reading='both'"), ({"evidence": ["rumour"]}, "evidence='rumour'")],
)
def test_pilot_options_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        code_pilots(**kwargs)


# ----------------------------------------------------------------------------- bad panels


@pytest.fixture(scope="module")
def good(default_twin) -> pd.DataFrame:
    return default_twin.frame  # built once per session (conftest); copy before changing


def _check(
    tmp_path: Path, frame: pd.DataFrame, capsys, *flags: str, name: str = "panel.csv"
) -> tuple[int, str]:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    code = cli.main(["check-data", str(path), *flags])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_check_data_accepts_a_good_panel(tmp_path, good, capsys):
    code, text = _check(tmp_path, good, capsys)
    assert code == 0 and "285 cities × 18 years = 5,130 rows" in text


BAD_PANELS = {
    "missing column": (
        lambda f: f.drop(columns=["fdi", "mar"]),
        ["[fdi, mar] required columns missing"],
    ),
    "duplicated city-year": (
        lambda f: pd.concat([f, f.iloc[[0, 1]]]),
        ["duplicated city-years", "beijing/2005", "4 rows"],
    ),
    "unknown city": (
        lambda f: f.replace({"city_id": {"suzhou_js": "suzhou_jx"}}),
        ["not among the 285 sample cities", "suzhou_jx → ['suzhou_js'"],
    ),
    "non-numeric": (
        lambda f: f.assign(hum=f["hum"].astype(object).where(f.index != 3, "12.5%")),
        ["[hum] non-numeric values such as ['12.5%']", "beijing/2008"],
    ),
    "infinite": (
        lambda f: f.assign(gov=f["gov"].where(f.index != 5, np.inf)),
        ["[gov] infinite values", "beijing/2010"],
    ),
    "year outside": (
        lambda f: f.assign(year=f["year"].where(f.index != 0, 2004)),
        ["years outside 2005–2022", "beijing/2004"],
    ),
    "unbalanced": (
        lambda f: f[~((f["city_id"] == "lhasa") & (f["year"] == 2010))],
        ["unbalanced panel: 1 city lacks some", "--allow-unbalanced"],
    ),
    "did switches back": (
        lambda f: f.assign(
            did=f["did"].where(~((f["city_id"] == "beijing") & (f["year"] == 2016)), 0)
        ),
        ["switches from 1 back to 0", "beijing/2016"],
    ),
    "did disagrees": (
        lambda f: f.assign(
            did=f["did"].where(f["city_id"] != "chongqing", (f["year"] >= 2016).astype(int))
        ),
        [
            "disagrees with the Broadband China lists under the 'parent' reading",
            "chongqing/2015",
            "--reading ignore",
        ],
    ),
    "missing values": (
        lambda f: f.assign(nqp=f["nqp"].where(~f.index.isin([7, 8, 9]))),
        ["[nqp] missing values (3 rows", "--missing drop"],
    ),
}


@pytest.mark.parametrize("kind", list(BAD_PANELS))
def test_check_data_rejects_each_kind_of_bad_panel(tmp_path, good, capsys, kind):
    damage, expected = BAD_PANELS[kind]
    code, text = _check(tmp_path, damage(good.copy()), capsys)
    assert code == 1
    for fragment in expected:
        assert fragment in text, f"{kind}: {fragment!r} not in\n{text}"
    assert "Traceback" not in text


def test_every_problem_is_listed_in_one_error(good):
    bad = good.copy()
    bad.loc[3, "hum"] = np.inf
    bad.loc[4, "year"] = 2030
    bad.loc[10, "city_id"] = "atlantis"
    with pytest.raises(PanelError) as info:
        load_panel(bad)
    assert len(info.value.problems) == 3
    assert {p.column for p in info.value.problems} == {"hum", "year", "city_id"}


def test_missing_value_policies(good):
    bad = good.copy()
    bad.loc[[7, 8], "nqp"] = np.nan
    dropped = load_panel(bad, missing="drop", balanced="allow")
    assert len(dropped.frame) == len(good) - 2
    assert any("dropped 2 rows" in n for n in dropped.notes)
    kept = load_panel(bad, missing="keep")
    assert kept.frame["nqp"].isna().sum() == 2
    with pytest.raises(PanelError, match="supply every city-year"):
        load_panel(bad, missing="drop")


def test_unbalanced_panel_is_allowed_only_when_asked(tmp_path, good, capsys):
    code, text = _check(tmp_path, good[good["city_id"] != "lhasa"], capsys, "--allow-unbalanced")
    assert code == 0 and "1 sample city absent — allowed" in text


def test_users_frame_is_not_modified(good):
    user = good.rename(columns={"city_id": "城市代码"}).copy()
    user["城市代码"] = user["城市代码"].map(raw.cities().set_index("city_id")["city_code"])
    before = user.copy(deep=True)
    load_panel(user)
    pd.testing.assert_frame_equal(user, before)


# ----------------------------------------------------------------------------- formats and aliases


def test_chinese_headers_city_names_and_gbk_csv(tmp_path, good):
    names = raw.cities().set_index("city_id")["city_zh"]
    user = (
        good.assign(城市=good["city_id"].map(names))
        .drop(columns=["city_id"])
        .rename(columns={"year": "年份"})
    )
    path = tmp_path / "gbk.csv"
    user.to_csv(path, index=False, encoding="gb18030")
    panel = load_panel(path)
    assert len(panel.frame) == 5130
    assert any("城市 → city" in n and "年份 → year" in n for n in panel.notes)
    assert "city_id derived from city names" in panel.notes


def test_six_digit_codes_map_to_city_ids(good):
    codes = raw.cities().set_index("city_id")["city_code"].astype(int)
    user = good.assign(城市代码=good["city_id"].map(codes)).drop(columns=["city_id"])
    panel = load_panel(user)
    assert panel.frame["city_id"].nunique() == 285


def test_ambiguous_english_names_need_a_province(good):
    english = raw.cities().set_index("city_id")["city_en"]
    user = good.assign(city=good["city_id"].map(english)).drop(columns=["city_id"])
    with pytest.raises(PanelError, match="ambiguous city names"):
        load_panel(user)
    provinces = raw.cities().set_index("city_id")["province_en"]
    assert len(load_panel(user.assign(province=good["city_id"].map(provinces))).frame) == 5130


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".dta", ".xlsx"])
def test_every_format_round_trips_with_its_synthetic_label(tmp_path, suffix):
    twin = synthetic.make_twin()
    path = twin.write(tmp_path / f"twin{suffix}")
    panel = load_panel(path)
    assert panel.synthetic and panel.label.startswith("SYNTHETIC")
    np.testing.assert_allclose(panel.frame["nqp"], twin.panel().frame["nqp"], rtol=1e-9)


def test_unsupported_format_is_named(tmp_path):
    path = tmp_path / "panel.sav"
    path.write_text("x")
    with pytest.raises(ValueError, match="unsupported file type '.sav'"):
        load_panel(path)


# ----------------------------------------------------------------------------- layers and labels


def test_python_advice_names_python_options(good):
    with pytest.raises(PanelError) as info:
        load_panel(good.assign(nqp=good["nqp"].where(good.index != 7)))
    assert "missing='drop'" in str(info.value) and "--missing" not in str(info.value)


def test_a_dataframe_is_of_unverified_origin(good):
    panel = load_panel(good)
    assert not panel.synthetic and panel.origin == "unverified"
    assert panel.marker == "DataFrame (origin unverified)"


def test_policy_recorded_in_a_validated_copy_is_honoured(tmp_path, good):
    from replicate.data import io

    holes = good.assign(nqp=good["nqp"].where(good.index != 7))
    meta = {"label": "mine.dta", "policy": {"missing": "keep", "balanced": "require"}}
    path = io.write_table(holes, tmp_path / "copy.parquet", meta)
    panel = load_panel(path)
    assert panel.label == "mine.dta" and panel.frame["nqp"].isna().sum() == 1
    with pytest.raises(PanelError, match="missing values"):
        load_panel(path, missing="error")  # an explicit policy wins


def test_the_data_layer_has_no_import_cycle():
    """io → cities → validate; synthetic → validate; panel on top (issue 13)."""
    import ast

    folder = paths.ROOT / "src" / "replicate" / "data"
    graph = {}
    for module in ("io", "cities", "validate", "synthetic", "panel", "pilots", "raw"):
        tree = ast.parse((folder / f"{module}.py").read_text(encoding="utf-8"))
        graph[module] = {
            node.module.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("replicate.data.")
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "replicate.data"
            for alias in node.names
        }

    def reaches(start, target, seen=()):
        return any(
            n == target or (n not in seen and reaches(n, target, (*seen, n)))
            for n in graph.get(start, ())
        )

    assert not any(reaches(module, module) for module in graph), graph
    assert "panel" not in graph["synthetic"] and "synthetic" in graph["panel"]


def test_sidecar_is_bound_to_the_content(tmp_path):
    from replicate.data import io

    path = synthetic.make_twin(seed=4).write(tmp_path / "t.csv")
    assert load_panel(path).synthetic
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n", 1))  # same table, other bytes
    panel = load_panel(path)
    assert not panel.synthetic and panel.origin == "unverified"
    assert any("was written for other content" in n for n in panel.notes)
    assert io.read_table(path)[1] == {}


def test_an_interrupted_write_leaves_the_old_file_intact(tmp_path, good, monkeypatch):
    from replicate.data import io

    path = tmp_path / "panel.parquet"
    path.write_bytes(b"the user's panel")

    def half_then_fail(table, where, *args, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr("pyarrow.parquet.write_table", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        io.write_table(good, path, force=True)
    assert path.read_bytes() == b"the user's panel"
    assert [p.name for p in tmp_path.iterdir()] == ["panel.parquet"]  # no temporary left
