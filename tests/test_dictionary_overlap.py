"""Terms that name the treatment: flagged in the dictionary, removable, and counted right."""

from __future__ import annotations

import pandas as pd
import pytest

from replicate.index import count_documents, index_table, load_dictionary

# The five terms flagged as naming Broadband China or its programmes (the reason is in
# src/replicate/index/dictionary.py's docstring); issue 15 names the first four.
FLAGGED = {"新型基础设施", "5G", "互联网+", "数字中国", "工业互联网"}


def test_flagged_terms_are_the_documented_five():
    assert set(load_dictionary().treatment_terms) == FLAGGED


def test_without_treatment_terms_removes_only_them():
    full = load_dictionary()
    reduced = full.without_treatment_terms()
    assert set(full.terms) - set(reduced.terms) == FLAGGED
    assert len(reduced.terms) == len(full.terms) - len(FLAGGED)
    assert full.table.shape[0] == 46  # the original is not modified


def test_index_without_treatment_terms_on_a_text_with_known_counts():
    # Hand-counted: 5G twice, 数字中国 once, 人工智能 twice, 大数据 once.
    text = "建设5G网络，推进数字中国，发展人工智能和大数据；5G与人工智能融合。"
    docs = pd.Series({"doc": text})
    full, reduced = load_dictionary(), load_dictionary().without_treatment_terms()
    with_all = index_table(count_documents(docs, full, "scan"), full)
    without = index_table(count_documents(docs, reduced, "scan"), reduced)
    assert with_all.loc["doc", "count"] == 6
    assert without.loc["doc", "count"] == 3


def test_bad_flag_value_names_the_rows(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text(
        "term,gloss,category,reason,overlaps_treatment\n"
        "人工智能,ai,new_technology,r,yes\n大数据,bd,new_technology,r,maybe\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"overlaps_treatment.*rows \[1\].*maybe"):
        load_dictionary(path)


def test_dictionary_without_the_column_has_nothing_to_drop(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text("term,gloss,category,reason\n人工智能,ai,new_technology,r\n", encoding="utf-8")
    d = load_dictionary(path)
    assert d.treatment_terms == []
    with pytest.raises(ValueError, match="no term is flagged"):
        d.without_treatment_terms()
