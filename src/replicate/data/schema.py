"""The city-year panel schema: variables as defined in the paper, and accepted aliases."""

from __future__ import annotations

from dataclasses import dataclass

KEY = ("city_id", "year")
OUTCOME = "nqp"
TREATMENT = "did"
MECHANISM = "innovp"
CONTROLS = ("fdi", "hum", "gov", "lninstra", "mar", "fin")
"""The paper's controls, in the order Table 2 adds them."""
ROBUSTNESS_CONTROLS = ("lnpgdp", "fispre")
REGRESSION_SCALE = {"mar": 100.0, "fin": 100.0}
"""Factors by which variables enter the paper's regressions relative to Table 1.

Evidence (published numbers only): a fixed-effects constant equals ȳ − x̄'b. With Table 1's
means that identity holds to rounding in Table 2 columns (1)–(5), but in columns (6)–(7) and
Table 4 only if ``mar`` and ``fin`` are in percent: column (6) implies 1.147 against the
printed 1.143, column (7) 1.295 against 1.315 (rounding bound 0.0005 × 43.9 ≈ 0.022),
Table 4 column (1) 1.667 against 1.650. It also explains their small standard errors.
``replicate.replication.implied_constants`` recomputes this."""
PAPER_VARIABLES = (OUTCOME, MECHANISM, *CONTROLS)
"""Columns a panel needs for Tables 1–3 (``did`` can be derived from the pilot lists)."""


@dataclass(frozen=True)
class Variable:
    """One column of the panel: its name in the paper, meaning and measurement."""

    name: str
    meaning: str
    measurement: str
    required: bool


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in [
        Variable(
            "city_id", "city", "ASCII id from data/raw/reference/cities.csv (e.g. suzhou_js)", True
        ),
        Variable("year", "calendar year", "integer, 2005–2022", True),
        Variable(
            "nqp",
            "new quality productive forces",
            "ln(1 + frequency of 46 keywords) in city texts",
            True,
        ),
        Variable(
            "did",
            "Broadband China pilot",
            "treat × period; derived from the pilot lists when absent",
            False,
        ),
        Variable(
            "innovp", "technological innovation (mechanism)", "patent applications per capita", True
        ),
        Variable("fdi", "foreign investment", "actually used FDI / GDP", True),
        Variable(
            "hum",
            "human capital",
            "college students per 10,000 people (Table 1's scale suggests a share)",
            True,
        ),
        Variable("gov", "government intervention", "general public budget expenditure / GDP", True),
        Variable("lninstra", "infrastructure level", "log per-capita highway mileage", True),
        Variable("mar", "marketization", "Fan Gang marketization index", True),
        Variable(
            "fin",
            "financial development",
            "deposits and loans / GDP (Table 1's scale suggests a rescaling)",
            True,
        ),
        Variable("lnpgdp", "economic development (robustness)", "log per-capita GDP", False),
        Variable(
            "fispre", "fiscal pressure (robustness)", "(expenditure − revenue) / revenue", False
        ),
        Variable(
            "nqp_alt",
            "alternative nqp indicator (robustness)",
            "an alternative keyword index",
            False,
        ),
    ]
}

ALIASES: dict[str, str] = {
    # keys
    "城市": "city",
    "城市名称": "city",
    "城市名": "city",
    "地区": "city",
    "city": "city",
    "city_name": "city",
    "cityname": "city",
    "name": "city",
    "年份": "year",
    "年": "year",
    "年度": "year",
    "yr": "year",
    "城市代码": "city_code",
    "行政区划代码": "city_code",
    "地区代码": "city_code",
    "city_code": "city_code",
    "citycode": "city_code",
    "code": "city_code",
    "adcode": "city_code",
    "cityid": "city_id",
    "city id": "city_id",
    "省份": "province",
    "省": "province",
    "province": "province",
    # variables
    "新质生产力": "nqp",
    "新质生产力指数": "nqp",
    "宽带中国": "did",
    "双重差分": "did",
    "技术创新": "innovp",
    "人均专利申请": "innovp",
    "外商投资": "fdi",
    "人力资本": "hum",
    "政府干预": "gov",
    "基础设施": "lninstra",
    "市场化": "mar",
    "市场化指数": "mar",
    "金融发展": "fin",
    "经济发展": "lnpgdp",
    "财政压力": "fispre",
}
"""Alternative spellings of columns (compared after stripping and lower-casing)."""
