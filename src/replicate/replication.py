"""The paper's specifications, estimated and laid beside the published numbers.

``estimate(2, panel)`` fits the seven columns of Table 2 and returns their results;
``compare(2, results)`` is the canonical long-form comparison (one row per published
number, ours beside it, with a status); ``paper_table(2, panel)`` lays it out like the
paper for display; ``scorecard(panel)`` stacks every table's comparison.

Status of a number (``status`` column):

``within rounding``
    ours rounds to the printed value (|ours − paper| ≤ 0.0005, the paper prints three
    decimals);
``within one s.e.``
    a coefficient within one published standard error of the paper's; a standard error
    within its own size of the paper's (i.e. less than twice as large); a Table 1 mean
    within one standard error of the mean (s.d./√N);
``off``
    anything else — including every fit statistic (N, R²) that does not match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from replicate import paper
from replicate.data.schema import CONTROLS, REGRESSION_SCALE, ROBUSTNESS_CONTROLS
from replicate.models import TWFE, TWFEResults

ROUNDING = 0.0005 + 1e-9
"""Half a unit in the third decimal: the paper prints three decimals."""


@dataclass(frozen=True)
class Spec:
    """One regression column: outcome, regressors, absorbed effects, and labels."""

    column: int
    outcome: str
    regressors: tuple[str, ...]
    absorb: tuple[str, ...] = ("city_id", "year")
    fe_rows: Mapping[str, str] = field(default_factory=dict)


def specs(
    table: int,
    controls: Sequence[str] = CONTROLS,
    extra_controls: Sequence[str] = ROBUSTNESS_CONTROLS,
) -> list[Spec]:
    """The paper's specifications for Table 2, 3 or 4 (``controls`` may be replaced)."""
    controls = tuple(controls)
    two_way = {"city FE": "yes", "year FE": "yes"}
    if table == 2:
        return [
            Spec(j + 1, "nqp", ("did", *controls[:j]), fe_rows=two_way)
            for j in range(len(controls) + 1)
        ]
    if table == 3:
        return [
            Spec(1, "innovp", ("did", *controls), fe_rows=two_way),
            Spec(2, "nqp", ("did", "innovp", *controls), fe_rows=two_way),
        ]
    if table == 4:
        return [
            Spec(
                1,
                "nqp",
                ("did", *controls),
                ("city_id", "year", "province", "province#year"),
                {**two_way, "province FE": "yes", "province-by-year FE": "yes"},
            ),
            Spec(
                2,
                "nqp",
                ("did", *controls, *extra_controls),
                fe_rows={**two_way, "province FE": "no", "province-by-year FE": "no"},
            ),
            # The text reports an alternative nqp indicator without a column: estimated when
            # the panel has one, with no published numbers beside it.
            Spec(
                3,
                "nqp_alt",
                ("did", *controls),
                fe_rows={**two_way, "province FE": "no", "province-by-year FE": "no"},
            ),
        ]
    raise ValueError(f"table={table!r}: regression tables are 2, 3 and 4.")


def regression_frame(panel, rescale: Mapping[str, float] = REGRESSION_SCALE) -> pd.DataFrame:
    """The panel's frame with variables put on the regressions' scale (a copy).

    By default ``mar`` and ``fin`` are multiplied by 100, as the paper's constants imply
    (:data:`replicate.data.schema.REGRESSION_SCALE`); pass ``rescale={}`` to keep your units.
    """
    frame = getattr(panel, "frame", panel)
    present = {k: v for k, v in rescale.items() if k in frame.columns}
    return frame.assign(**{k: frame[k] * v for k, v in present.items()}) if present else frame


def implied_constants() -> pd.DataFrame:
    """Each published nqp constant against ȳ − x̄'b from Table 1 means, without and with
    ``mar`` and ``fin`` in percent (evidence for :data:`REGRESSION_SCALE`)."""
    means = paper.TABLE1["mean"]
    rows = []
    for table in (2, 3, 4):
        published = paper.published(table)
        for column in sorted(published["column"].unique()):
            cell = published[published["column"] == column].set_index("variable")
            if table == 3 and column == 1:
                continue  # innovp: no published mean to check against
            slopes = cell.drop(index=["N", "R2", "constant"])["coef"]
            if not set(slopes.index) <= set(means.index):
                continue  # uses variables Table 1 does not describe
            as_printed = means["nqp"] - (means[slopes.index] * slopes).sum()
            scaled = means[slopes.index] * pd.Series(REGRESSION_SCALE).reindex(slopes.index).fillna(
                1.0
            )
            rows.append(
                {
                    "table": table,
                    "column": column,
                    "printed constant": cell.loc["constant", "coef"],
                    "implied, Table 1 units": as_printed,
                    "implied, mar and fin in percent": means["nqp"] - (scaled * slopes).sum(),
                    # printed constant, each coefficient (× its mean) and each mean (× its
                    # coefficient and scale) are rounded to three decimals
                    "rounding bound": ROUNDING
                    * (
                        1
                        + scaled.abs().sum()
                        + (
                            slopes.abs()
                            * pd.Series(REGRESSION_SCALE).reindex(slopes.index).fillna(1.0)
                        ).sum()
                        + abs(slopes.get("did", 0.0))
                    ),
                }
            )
    return pd.DataFrame(rows).set_index(["table", "column"])


def estimate(
    table: int,
    panel,
    controls: Sequence[str] = CONTROLS,
    cov_type: str = "cluster",
    cluster: str = "city_id",
    small_sample: str = "reghdfe",
    rescale: Mapping[str, float] = REGRESSION_SCALE,
    absorb: Sequence[str] | None = None,
) -> dict[int, TWFEResults]:
    """Fit every column of a paper table on ``panel`` (a Panel or DataFrame).

    ``absorb`` replaces the city and year effects of the two-way columns (Table 4
    column 1 keeps its province-by-year effects). Columns whose outcome the panel lacks
    (the alternative index) are skipped.
    """
    frame = regression_frame(panel, rescale)
    out = {}
    for spec in specs(table, controls):
        if spec.outcome not in frame.columns:
            continue
        two_way = spec.absorb == ("city_id", "year")
        fixed = tuple(absorb) if (absorb is not None and two_way) else spec.absorb
        model = TWFE(frame, spec.outcome, spec.regressors, fixed)
        out[spec.column] = model.fit(cov_type=cov_type, cluster=cluster, small_sample=small_sample)
    return out


def stars(pvalue: float) -> int:
    """*** 1%, ** 5%, * 10% (the paper's convention)."""
    return int(pvalue < 0.01) + int(pvalue < 0.05) + int(pvalue < 0.10)


def _status_coef(ours: float, published: float, published_se: float) -> str:
    if abs(ours - published) <= ROUNDING:
        return "within rounding"
    if np.isfinite(published_se) and abs(ours - published) <= max(published_se, ROUNDING):
        return "within one s.e."
    return "off"


COMPARISON_COLUMNS = [
    "table",
    "column",
    "variable",
    "statistic",
    "paper",
    "ours",
    "paper_stars",
    "our_stars",
    "status",
]


def _comparison_frame(rows: list[tuple]) -> pd.DataFrame:
    """The long comparison layout shared by every table, with ``diff`` = ours − paper."""
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    out.insert(6, "diff", out["ours"] - out["paper"])
    return out


def compare(table: int, results: Mapping[int, TWFEResults]) -> pd.DataFrame:
    """Every published number of a regression table beside ours, with a status.

    Columns: ``table, column, variable, statistic`` (coef, se, N, R2), ``paper``, ``ours``,
    ``diff`` (ours − paper), ``paper_stars``, ``our_stars``, ``status``.
    """
    published = paper.published(table)
    rows = []
    for record in published.itertuples():
        res = results.get(record.column)
        if record.variable in ("N", "R2"):
            ours = np.nan if res is None else (res.nobs if record.variable == "N" else res.rsquared)
            exact = record.variable == "N" and ours == record.coef
            close = record.variable == "R2" and abs(ours - record.coef) <= ROUNDING
            rows.append(
                (
                    table,
                    record.column,
                    record.variable,
                    record.variable,
                    record.coef,
                    ours,
                    0,
                    0,
                    "within rounding" if (exact or close) else "off",
                )
            )
            continue
        present = res is not None and record.variable in res.params.index
        coef = res.params[record.variable] if present else np.nan
        se = res.std_errors[record.variable] if present else np.nan
        our_stars = stars(res.pvalues[record.variable]) if present else 0
        rows.append(
            (
                table,
                record.column,
                record.variable,
                "coef",
                record.coef,
                coef,
                record.stars,
                our_stars,
                _status_coef(coef, record.coef, record.se) if present else "off",
            )
        )
        se_status = (
            (
                "within rounding"
                if abs(se - record.se) <= ROUNDING
                else "within one s.e."
                if abs(se - record.se) <= record.se
                else "off"
            )
            if present
            else "off"
        )
        rows.append((table, record.column, record.variable, "se", record.se, se, 0, 0, se_status))
    return _comparison_frame(rows)


def compare_table1(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 1 in the same long form as :func:`compare`."""
    published = paper.TABLE1
    rows = []
    for variable, target in published.iterrows():
        x = frame[variable]
        ours = {"N": x.count(), "mean": x.mean(), "sd": x.std(), "min": x.min(), "max": x.max()}
        for stat, value in ours.items():
            diff = value - target[stat]
            if abs(diff) <= ROUNDING:
                status = "within rounding"
            elif stat == "mean" and abs(diff) <= target["sd"] / np.sqrt(target["N"]):
                status = "within one s.e."
            else:
                status = "off"
            rows.append((1, 1, variable, stat, float(target[stat]), float(value), 0, 0, status))
    return _comparison_frame(rows)


def _cell(value: float, n_stars: int, se: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return ""
    text = f"{value:.3f}"
    text = "0.000" if text == "-0.000" else text
    return f"({text})" if se else text + "*" * n_stars


def layout(
    table: int, comparison: pd.DataFrame, results: Mapping[int, TWFEResults]
) -> pd.DataFrame:
    """The paper's layout: coefficient and (s.e.) rows; per column ours, paper and Δ."""
    labels = paper.COLUMN_LABELS[table]
    spec_list = {s.column: s for s in specs(table)}
    variables = list(
        dict.fromkeys(comparison.loc[~comparison["variable"].isin(["N", "R2"]), "variable"])
    )
    for res in results.values():  # e.g. a changed control set adds rows
        variables += [v for v in res.params.index if v not in variables]
    variables = [v for v in variables if v != "constant"] + ["constant"]
    index, body = [], {}
    for column, label in enumerate(labels, start=1):
        res = results.get(column)
        sub = comparison[comparison["column"] == column].set_index(["variable", "statistic"])
        ours_col, paper_col, diff_col = [], [], []
        for variable in variables:
            for stat in ("coef", "se"):
                key = (variable, stat)
                has_ours = res is not None and variable in res.params.index
                value = (
                    (res.params[variable] if stat == "coef" else res.std_errors[variable])
                    if has_ours
                    else np.nan
                )
                n_stars = stars(res.pvalues[variable]) if has_ours else 0
                ours_col.append(_cell(value, n_stars, stat == "se"))
                if key in sub.index:
                    p = sub.loc[key]
                    paper_col.append(_cell(p["paper"], int(p["paper_stars"]), stat == "se"))
                    diff_col.append(f"{value - p['paper']:+.3f}" if np.isfinite(value) else "")
                else:
                    paper_col.append("")
                    diff_col.append("")
        spec = spec_list.get(column)
        for value in spec.fe_rows.values() if spec else []:
            ours_col.append(value)
            paper_col.append(value)
            diff_col.append("")
        for stat in ("N", "R2"):
            p = sub.loc[(stat, stat)] if (stat, stat) in sub.index else None
            ours = (res.nobs if stat == "N" else res.rsquared) if res is not None else np.nan
            fmt = "{:,.0f}" if stat == "N" else "{:.3f}"
            dfmt = "{:+,.0f}" if stat == "N" else "{:+.3f}"
            ours_col.append(fmt.format(ours) if res is not None else "")
            paper_col.append("" if p is None else fmt.format(p["paper"]))
            diff_col.append("" if (p is None or res is None) else dfmt.format(ours - p["paper"]))
        body[(label, "ours")] = ours_col
        body[(label, "paper")] = paper_col
        body[(label, "Δ")] = diff_col
    for variable in variables:
        index += [variable, ""]
    first_spec = next(iter(spec_list.values()))
    index += list(first_spec.fe_rows) if table != 4 else list(spec_list[1].fe_rows)
    index += ["N", "R²"]
    out = pd.DataFrame(body, index=index)
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    out.index.name = ""
    return out


def paper_table(table: int, panel, **options) -> pd.DataFrame:
    """Estimate a paper table on ``panel`` and lay it out beside the published numbers."""
    if table == 1:
        from replicate.report.tables import table1

        return table1(getattr(panel, "frame", panel))
    results = estimate(table, panel, **options)
    return layout(table, compare(table, results), results)


def scorecard(panel, **options) -> pd.DataFrame:
    """Every published number of Tables 1–4 beside ours, with its status."""
    frame = getattr(panel, "frame", panel)
    parts = [compare_table1(frame)]
    for table in (2, 3, 4):
        parts.append(compare(table, estimate(table, panel, **options)))
    return pd.concat(parts, ignore_index=True)


def scorecard_summary(card: pd.DataFrame) -> pd.DataFrame:
    """Counts of each status by table, with a total row."""
    counts = pd.crosstab(card["table"], card["status"], margins=True, margins_name="all tables")
    order = [
        c
        for c in ("within rounding", "within one s.e.", "off", "all tables")
        if c in counts.columns
    ]
    counts = counts[order].rename(columns={"all tables": "numbers"})
    counts.index = [f"Table {i}" if i != "all tables" else i for i in counts.index]
    return counts


def published_indirect_bounds(df: int = 284, grid: int = 2001) -> pd.DataFrame:
    """What Table 3's printed numbers allow for the indirect effect a·b and its Sobel z.

    The paper prints ``innovp`` in column (2) as 0.001 (0.000) with one star, so
    b ∈ [0.0005, 0.0015), se(b) < 0.0005 and 1.645 ≤ |t_b| < 1.968 (10% but not 5%, Student
    t on ``df`` = G − 1 degrees of freedom); a = 9.686 (0.934) from column (1). Scanning
    every (b, se(b)) consistent with that gives the range of a·b and of the Sobel z.
    """
    from scipy import stats as st

    a, se_a = 9.686, 0.934
    t10, t05 = st.t.ppf(0.95, df), st.t.ppf(0.975, df)
    b = np.linspace(0.0005, 0.0015, grid)[:-1]
    se_b = np.linspace(1e-7, 0.0005, grid)[:-1]
    bb, ss = np.meshgrid(b, se_b)
    t = bb / ss
    ok = (t >= t10) & (t < t05)
    indirect = a * bb[ok]
    z = indirect / np.sqrt(bb[ok] ** 2 * se_a**2 + a**2 * ss[ok] ** 2)
    return pd.DataFrame(
        {
            "minimum": [indirect.min(), z.min(), 2 * st.norm.sf(z.max())],
            "maximum": [indirect.max(), z.max(), 2 * st.norm.sf(z.min())],
        },
        index=["indirect effect a·b", "Sobel z", "Sobel p-value"],
    )
