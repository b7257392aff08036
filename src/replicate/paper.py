"""Every number of the paper's Tables 1–4, as data (transcribed from shared/PAPER.md).

``published(2)`` returns Table 2 in long form: one row per (column, variable) with the
coefficient, its standard error and the number of significance stars as printed
(*** 1%, ** 5%, * 10%). Fit statistics sit in the same frame under ``variable`` "N" and
"R2" (value in ``coef``). Numbers are exactly as printed: rounded to three decimals.
"""

from __future__ import annotations

import pandas as pd

PRINTED_DECIMALS = 3
"""The paper prints coefficients, standard errors and descriptive statistics to 3 decimals."""

HALF_UNIT = 0.5 * 10.0**-PRINTED_DECIMALS
"""Half a unit in the last printed decimal (0.0005): a printed number is its value ± this."""

TABLE1 = pd.DataFrame(
    [
        ("nqp", 5130, 2.305, 1.709, 0.0, 6.246),
        ("did", 5130, 0.167, 0.373, 0.0, 1.000),
        ("fdi", 5130, 0.018, 0.019, 0.0, 0.199),
        ("hum", 5130, 0.122, 0.116, 0.023, 1.473),
        ("gov", 5130, 0.206, 0.211, 0.043, 0.604),
        ("lninstra", 5130, 3.325, 0.544, 0.098, 6.810),
        ("mar", 5130, 0.439, 0.246, 0.011, 1.959),
        ("fin", 5130, 0.024, 0.012, 0.005, 0.213),
    ],
    columns=["variable", "N", "mean", "sd", "min", "max"],
).set_index("variable")
"""Table 1, descriptive statistics."""


def _cells(text: str) -> list[tuple[float, float, int]]:
    """Parse '0.144*** (0.028)' cells."""
    out = []
    for cell in text.split("|"):
        cell = cell.strip()
        if not cell:
            out.append(None)
            continue
        coef, se = cell.split("(")
        stars = coef.count("*")
        out.append((float(coef.replace("*", "")), float(se.rstrip(")")), stars))
    return out


_TABLE2 = {
    "did": "0.144*** (0.028) | 0.146*** (0.028) | 0.137*** (0.028) | 0.136*** (0.028) | 0.135*** (0.028) | 0.124*** (0.028) | 0.125*** (0.028)",
    "fdi": " | 0.374 (0.587) | 0.520 (0.588) | 0.531 (0.587) | 0.553 (0.595) | 0.700 (0.606) | 0.546 (0.608)",
    "hum": " | | 0.413*** (0.150) | 0.413*** (0.151) | 0.413*** (0.151) | 0.298** (0.149) | 0.313** (0.151)",
    "gov": " | | | -0.014 (0.051) | -0.013 (0.051) | -0.011 (0.052) | 0.006 (0.053)",
    "lninstra": " | | | | -0.016 (0.041) | 0.011 (0.041) | 0.008 (0.041)",
    "mar": " | | | | | 0.024*** (0.004) | 0.023*** (0.004)",
    "fin": " | | | | | | -0.040*** (0.014)",
    "constant": "2.281*** (0.009) | 2.274*** (0.014) | 2.223*** (0.023) | 2.226*** (0.025) | 2.280*** (0.138) | 1.143*** (0.244) | 1.315*** (0.249)",
}
_TABLE3 = {
    "did": "9.686*** (0.934) | 0.118*** (0.028)",
    "innovp": " | 0.001* (0.000)",
    "fdi": "-188.469*** (22.664) | 0.685 (0.618)",
    "hum": "83.282*** (18.607) | 0.251 (0.156)",
    "gov": "-5.094*** (1.936) | 0.010 (0.053)",
    "lninstra": "-25.812*** (4.385) | 0.027 (0.043)",
    "mar": "3.224*** (0.227) | 0.020*** (0.005)",
    "fin": "1.122* (0.613) | -0.041*** (0.014)",
    "constant": "-51.475*** (18.239) | 1.353*** (0.248)",
}
_TABLE4 = {
    "did": "0.075*** (0.029) | 0.127*** (0.029)",
    "fdi": "-0.500 (0.768) | 0.306 (0.608)",
    "hum": "0.346** (0.176) | 0.275* (0.150)",
    "gov": "0.053 (0.056) | 0.047 (0.057)",
    "lninstra": "-0.038 (0.044) | -0.001 (0.041)",
    "mar": "0.016*** (0.006) | 0.022*** (0.004)",
    "fin": "0.002 (0.019) | -0.026* (0.015)",
    "lnpgdp": " | 0.108*** (0.037)",
    "fispre": " | -0.020* (0.011)",
    "constant": "1.650*** (0.309) | 0.257 (0.492)",
}
_FIT = {
    2: {"N": [5130] * 7, "R2": [0.915] * 7},
    3: {"N": [5130, 5130], "R2": [0.827, 0.915]},
    4: {"N": [5022, 5130], "R2": [0.934, 0.916]},
}
COLUMN_LABELS = {
    2: [f"({i})" for i in range(1, 8)],
    3: ["(1) innovp", "(2) nqp"],
    4: ["(1)", "(2)", "(3) nqp_alt"],
}
"""Column headings as printed; Table 4's third column is the alternative indicator that the
paper's text mentions without printing it."""

OUTCOMES = {2: ["nqp"] * 7, 3: ["innovp", "nqp"], 4: ["nqp", "nqp", "nqp_alt"]}
"""Dependent variable of each column."""

ABSORB = {
    2: [("city_id", "year")] * 7,
    3: [("city_id", "year")] * 2,
    4: [("city_id", "year", "province", "province#year"), ("city_id", "year"), ("city_id", "year")],
}
"""Fixed effects each published column absorbs (PAPER.md: "city and year fixed effects";
Table 4 column (1) adds province and province-by-year effects)."""

CLUSTER = "city_id"
"""The paper's "robust" standard errors: clustered by city (see the baseline chapter)."""


def _long(table: int, rows: dict[str, str]) -> pd.DataFrame:
    records = []
    for variable, text in rows.items():
        for col, cell in enumerate(_cells(text), start=1):
            if cell is not None:
                records.append((table, col, variable, *cell))
    for stat, values in _FIT[table].items():
        for col, value in enumerate(values, start=1):
            records.append((table, col, stat, float(value), float("nan"), 0))
    return pd.DataFrame(records, columns=["table", "column", "variable", "coef", "se", "stars"])


def published(table: int) -> pd.DataFrame:
    """Table 2, 3 or 4 in long form (``table, column, variable, coef, se, stars``)."""
    sources = {2: _TABLE2, 3: _TABLE3, 4: _TABLE4}
    if table == 1:
        return TABLE1.copy()
    if table not in sources:
        raise ValueError(f"table={table!r}: the paper has Tables 1, 2, 3 and 4.")
    return _long(table, sources[table])
