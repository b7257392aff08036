"""Referee pass (#22): the scorecard's printed ratio agrees with its rule, and the
close-match hint for an unknown city respects script, edit distance and province."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from replicate import replication
from replicate.data import load_panel, raw
from replicate.data.cities import city_hints, edit_distance
from replicate.data.validate import PanelError
from replicate.report.tables import ratio_label, scorecard_layout, within_ratio

LO, HI = replication.SE_RATIO


@pytest.mark.parametrize("ratio", np.linspace(0.7, 1.35, 6501))
def test_printed_ratio_obeys_the_rule_it_is_judged_by(ratio):
    printed = float(ratio_label(ratio, replication.SE_RATIO))
    assert within_ratio(printed, replication.SE_RATIO) == within_ratio(ratio, replication.SE_RATIO)


def test_a_ratio_of_exactly_the_bound_is_within_tolerance():
    # 0.0224 / 0.028 is 0.7999999999999999 in floating point; the rule says [0.8, 1.25].
    assert replication.status_se(0.0224, 0.028) == "within tolerance"
    assert replication.status_se(0.035, 0.028) == "within tolerance"
    assert replication.status_se(0.0223, 0.028) == "off"


def test_ratio_just_below_the_bound_is_not_printed_as_the_bound():
    assert ratio_label(0.797, replication.SE_RATIO) == "0.797"
    assert ratio_label(0.80, replication.SE_RATIO) == "0.80"
    assert ratio_label(1.2504, replication.SE_RATIO) == "1.2504"


def test_scorecard_rows_marked_off_print_a_ratio_outside_the_rule():
    card = pd.DataFrame(
        {
            "table": [2, 2, 2],
            "column": [1, 1, 1],
            "variable": ["did"] * 3,
            "statistic": ["se"] * 3,
            "paper": [0.028, 0.028, 0.028],
            "ours": [0.0223, 0.0224, 0.036],
            "diff": [-0.0057, -0.0056, 0.008],
        }
    )
    card["status"] = [
        replication.status_se(o, p) for o, p in zip(card.ours, card.paper, strict=True)
    ]
    card.attrs["se_ratio"] = replication.SE_RATIO
    out = scorecard_layout(card)
    for gap, status in zip(out["Δ or ratio"], out["status"], strict=True):
        inside = within_ratio(float(gap.removeprefix("×")), replication.SE_RATIO)
        assert inside == (status != "off"), (gap, status)


def test_scorecard_carries_its_rule(default_panel):
    assert replication.scorecard(default_panel).attrs["se_ratio"] == replication.SE_RATIO


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("suzhuo", "suzhou") == 1
    assert edit_distance("莱芜", "芜湖") == 2
    assert edit_distance("", "abc") == 3


def _lookup():
    from replicate.data.cities import _city_lookup

    cities = raw.cities()
    province_of = dict(
        zip(
            cities["city_id"],
            cities["province_zh"] + "|" + cities["province_en"].str.lower(),
            strict=True,
        )
    )
    return _city_lookup()[1], province_of


def test_laiwu_is_not_offered_wuhu():
    by_name, province_of = _lookup()
    assert "芜湖" not in city_hints("莱芜", by_name, province_of)
    assert city_hints("芜胡", by_name, province_of) == ["芜湖"]
    assert city_hints("shijiazuang", by_name, province_of) == ["shijiazhuang"]


def test_a_province_restricts_the_hint():
    by_name, province_of = _lookup()
    assert city_hints("芜胡", by_name, province_of, "安徽") == ["芜湖"]
    assert city_hints("芜胡", by_name, province_of, "山东") == []


def test_error_message_for_an_unknown_city_uses_the_new_hint():
    cities = raw.cities()
    frame = pd.DataFrame({"city": ["莱芜", "芜胡"], "year": [2010, 2010], "nqp": [1.0, 1.0]})
    with pytest.raises(PanelError) as err:
        load_panel(frame)
    text = str(err.value)
    assert "莱芜 → no close name" in text
    assert "芜胡 → ['芜湖']" in text
    assert len(cities) == 285


# ----------------------------------------------------------------------------- phone (390 px)

PHONE_TABLES = [
    ("notebooks/03b_calibration.html", "The paper against"),
    ("notebooks/04_index.html", "The dictionary"),
]


@pytest.mark.parametrize(("page", "caption"), PHONE_TABLES)
def test_long_tables_keep_every_column_on_a_phone(site_url, browser, page, caption):
    """At 390 px the calibration table (202 rows) and the dictionary keep their last column
    (status, reason) inside the screen: no sideways scrolling needed to read a row."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    try:
        tab = context.new_page()
        tab.goto(f"{site_url}/{page}")
        facts = tab.evaluate(
            """(caption) => {
              const t = [...document.querySelectorAll('table')].find(
                x => x.caption && x.caption.textContent.trim().startsWith(caption));
              if (!t) return null;
              const box = t.closest('.table-scroll') || t.parentElement;
              const cells = [...t.querySelectorAll('tr:nth-child(2) > *')];
              const last = cells[cells.length - 1].getBoundingClientRect();
              return {width: t.scrollWidth, room: box.clientWidth, lastRight: last.right,
                      screen: window.innerWidth};
            }""",
            caption,
        )
    finally:
        context.close()
    assert facts is not None, f"no table captioned {caption!r} on {page}"
    assert facts["width"] <= facts["room"] + 1, facts
    assert facts["lastRight"] <= facts["screen"], facts
