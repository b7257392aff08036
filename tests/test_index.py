"""The keyword index on hand-made texts whose right counts are known."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from replicate import cli
from replicate.index import (
    count_documents,
    count_text,
    entropy_weights,
    index_table,
    load_dictionary,
    normalise,
    strip_boilerplate,
)
from replicate.index.corpus import city_year_index, read_corpus


@pytest.fixture(scope="module")
def dictionary():
    return load_dictionary()


def test_dictionary_has_46_terms_in_four_categories(dictionary):
    assert len(dictionary.terms) == 46
    assert dictionary.categories == [
        "new_technology",
        "new_industry",
        "new_factor",
        "digital_green",
    ]
    assert dictionary.table[["gloss", "reason"]].ne("").all().all()
    assert set(map(tuple, dictionary.nested().to_numpy())) == {
        ("新兴产业", "战略性新兴产业"),
        ("新能源", "新能源汽车"),
        ("数字化", "数字化转型"),
        ("低碳", "绿色低碳"),
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("５Ｇ网络", "5G网络"),  # full-width → half-width
        ("互联网＋行动", "互联网+行动"),
        ("數字經濟與綠色發展", "数字经济与绿色发展"),  # traditional → simplified
        (
            "反分裂国家法\n（草案）\n 》",
            "反分裂国家法(草案)》",
        ),  # white space and full-width brackets
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_boilerplate_is_stripped():
    text = "正文讲数字经济。\n\n本作品是中华人民共和国的\n法律\n、数字经济\nPublic domain\nfalse"
    assert strip_boilerplate(text) == "正文讲数字经济。\n\n"


@pytest.mark.parametrize(
    ("text", "method", "expected"),
    [
        ("数字化转型和数字化", "scan", {"数字化转型": 1, "数字化": 1}),  # nested term counted once
        (
            "数字化转型和数字化",
            "naive",
            {"数字化转型": 1, "数字化": 2},
        ),  # the baseline double counts
        ("发展新能源汽车和新能源", "scan", {"新能源汽车": 1, "新能源": 1}),
        ("战略性新兴产业", "scan", {"战略性新兴产业": 1}),
        ("數字化轉型", "scan", {"数字化转型": 1}),  # traditional text
        ("５Ｇ和互联网＋", "scan", {"5G": 1, "互联网+": 1}),  # full-width text
        ("科研发展", "scan", {"研发": 1}),  # scan: false positive across words
        ("科研发展", "jieba", {}),  # jieba segments 科研/发展
        ("工业互联网+", "scan", {"工业互联网": 1}),  # leftmost-longest
        ("工业互联网+", "jieba", {"互联网+": 1}),  # segmentation prefers 工业/互联网+
        ("加大研发投入，推动绿色低碳发展", "jieba", {"研发": 1, "绿色低碳": 1}),
    ],
)
def test_counts_on_hand_made_texts(dictionary, text, method, expected):
    counts = count_text(text, dictionary, method)
    assert {
        dictionary.table.set_index("normalised").loc[k, "term"]: v for k, v in counts.items()
    } == expected


def test_unknown_method_is_named(dictionary):
    with pytest.raises(ValueError, match="method='regex' is not allowed"):
        count_text("x", dictionary, "regex")


def test_index_table_log_and_frequency(dictionary):
    counts = count_documents(
        pd.Series(["数字经济" * 3 + "其他文字", ""], index=["a", "b"]), dictionary
    )
    table = index_table(counts, dictionary)
    assert table.loc["a", "count"] == 3 and table.loc["a", "count_digital_green"] == 3
    assert table.loc["a", "nqp"] == pytest.approx(np.log(4))
    assert table.loc["a", "per_10k"] == pytest.approx(3 / 16 * 10_000)
    assert np.isnan(table.loc["b", "nqp"]) and np.isnan(
        table.loc["b", "per_10k"]
    )  # empty: missing, not 0


def test_entropy_weights_closed_form():
    x = pd.DataFrame(
        {"varies": [0.0, 1.0, 0.0, 1.0], "skewed": [0.0, 0.0, 0.0, 1.0], "flat": [2.0] * 4}
    )
    result = entropy_weights(x)
    # varies: p = (0, .5, 0, .5) → e = ln 2 / ln 4 = 0.5; skewed: p = (0,0,0,1) → e = 0; flat: e = 1.
    d = np.array([0.5, 1.0, 0.0])
    np.testing.assert_allclose(result.weights.to_numpy(), d / d.sum())
    np.testing.assert_allclose(result.scores.to_numpy(), [0, 1 / 3, 0, 1.0])


def _write(folder, name, content, encoding="utf-8"):
    (folder / name).write_bytes(content.encode(encoding) if isinstance(content, str) else content)


def test_folder_corpus_with_names_codes_gbk_and_parts(tmp_path, dictionary):
    _write(tmp_path, "beijing_2014.txt", "数字经济")
    _write(tmp_path, "上海市_2014.txt", "人工智能和数字经济", "gb18030")
    _write(tmp_path, "120000_2014_1.txt", "碳达峰")
    _write(tmp_path, "120000_2014_2.txt", "碳中和与碳达峰")
    corpus = read_corpus(tmp_path)
    assert any("1 city-years have several documents" in w for w in corpus.warnings)
    table = city_year_index(corpus, dictionary).set_index("city_id")
    assert table.loc["tianjin", "count"] == 3  # two parts summed
    assert table.loc["shanghai", "count"] == 2 and table.loc["beijing", "count"] == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"beijing2014.txt": "x"}, "files not named CITY_YEAR.txt"),
        ({"beijing_2014.txt": b"\xff\xfe\xff\xff"}, "files that cannot be decoded"),
        ({"atlantis_2014.txt": "数字经济"}, "city names not among the 285 sample cities"),
    ],
)
def test_bad_corpora_are_rejected_with_clear_messages(tmp_path, capsys, files, message):
    for name, content in files.items():
        _write(tmp_path, name, content)
    code = cli.main(["index", str(tmp_path), "--out", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err


def test_empty_documents_are_warned_and_strict_fails(tmp_path, capsys):
    _write(tmp_path, "beijing_2014.txt", "数字经济")
    _write(tmp_path, "tianjin_2014.txt", " \n ")
    assert cli.main(["index", str(tmp_path), "--out", str(tmp_path / "out.csv")]) == 0
    err = capsys.readouterr().err
    assert "1 empty documents (index left missing, not 0): tianjin_2014.txt" in err
    assert "5128 of the 5,130 sample city-years have no document" in err
    out = pd.read_csv(tmp_path / "out.csv").set_index("city_id")
    assert np.isnan(out.loc["tianjin", "nqp"])
    strict = ["index", str(tmp_path), "--out", str(tmp_path / "strict.csv"), "--strict"]
    assert cli.main(strict) == 1 and not (tmp_path / "strict.csv").exists()


def test_jsonl_corpus_and_user_dictionary(tmp_path, capsys):
    lines = [
        {"城市": "beijing", "year": 2014, "text": "低碳城市"},
        {"城市": "天津市", "year": 2015, "text": "低碳"},
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    mine = tmp_path / "mine.csv"
    mine.write_text(
        "term,gloss,category,reason\n低碳城市,low-carbon city,green,test\n低碳,low-carbon,green,test\n",
        encoding="utf-8",
    )
    assert (
        cli.main(["index", str(path), "--out", str(tmp_path / "o.csv"), "--dictionary", str(mine)])
        == 0
    )
    out = pd.read_csv(tmp_path / "o.csv").set_index("city_id")
    assert (
        out.loc["beijing", "count"] == 1 and out.loc["tianjin", "count"] == 1
    )  # 低碳城市 once, not 低碳 too


def test_national_reports_index(dictionary):
    """The real corpus: 新质生产力 enters the Government Work Reports in 2024."""
    from replicate.data import gwr_reports

    reports = gwr_reports().set_index("year")
    counts = count_documents(reports["text"], dictionary)
    first = counts.index[counts["新质生产力"] > 0].min()
    assert first == 2024 and 2020 not in counts.index
    assert (counts["chars"] < reports["text"].str.len()).all()  # furniture and white space removed
    scan_total = counts[dictionary.terms].sum(axis=1)
    naive_total = count_documents(reports["text"], dictionary, "naive")[dictionary.terms].sum(
        axis=1
    )
    assert (naive_total >= scan_total).all() and (naive_total > scan_total).any()


def test_documents_without_a_city_are_an_error_not_a_silent_drop(tmp_path, capsys):
    lines = [
        {"city_id": "beijing", "year": 2014, "text": "低碳"},
        {"city_id": None, "year": 2015, "text": "低碳"},
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    assert cli.main(["index", str(path), "--out", str(tmp_path / "o.csv")]) == 1
    assert "documents without a city (1 row: corpus.jsonl:2)" in capsys.readouterr().err


def test_a_corpus_keyed_by_year_only_is_indexed_by_year(tmp_path, dictionary):
    """National reports have no city: one row per year, counts as for the folder corpus."""
    path = tmp_path / "national.jsonl"
    rows = [{"year": 2014, "text": "数字经济"}, {"year": 2015, "text": "人工智能和数字经济"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    corpus = read_corpus(path)
    assert corpus.keys == ("year",)
    table = city_year_index(corpus, dictionary).set_index("year")
    assert table.loc[2014, "count"] == 1 and table.loc[2015, "count"] == 2
    assert any("16 of the 18 sample years have no document" in w for w in corpus.warnings)


def test_provincial_reports_are_keyed_by_province_and_year(tmp_path, dictionary):
    path = tmp_path / "provinces.csv"
    pd.DataFrame(
        {"province": ["广东", "广东", "江苏"], "year": [2014, 2014, 2014], "text": ["数字经济"] * 3}
    ).to_csv(path, index=False)
    corpus = read_corpus(path)
    table = city_year_index(corpus, dictionary).set_index(["province", "year"])
    assert corpus.keys == ("province", "year")
    assert table.loc[("广东", 2014), "count"] == 2 and table.loc[("江苏", 2014), "count"] == 1
