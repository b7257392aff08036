"""The paper's specifications, estimated and judged against the published numbers.

``estimate(2, panel)`` fits the seven columns of Table 2 and returns their results;
``compare(2, results)`` is the canonical long-form comparison (one row per published
number, ours beside it, with a status); ``paper_table(2, panel)`` lays it out in the
paper's shape (via :mod:`replicate.report.etable`); ``scorecard(panel)`` stacks every
table's comparison and ``scorecard_summary(card)`` counts statuses by table and kind of
number. Layout lives in :mod:`replicate.report`; what the printed numbers imply without
data lives in :mod:`replicate.checks`.

Status of a number (``status`` column)
--------------------------------------
Each kind of number is judged by a rule that fits it (tolerances are the named constants
below):

coefficient
    ``within rounding`` if |ours − paper| ≤ 0.0005 (the paper prints three decimals);
    ``within tolerance`` if |ours − paper| ≤ the published standard error of that
    coefficient; else ``off``.
standard error
    ``within rounding`` as above; ``within tolerance`` if ours / paper lies in
    [0.8, 1.25] (:data:`SE_RATIO`: within 25% either way); else ``off``. ``rel_diff``
    holds ours / paper − 1.
Table 1 statistic (N, mean, sd, min, max)
    N must be exact. Others: ``within rounding`` as above; ``within tolerance`` if
    |ours − paper| ≤ 0.05 × the published s.d. of that variable (:data:`TABLE1_SD_SHARE`);
    else ``off``. (A Table 1 mean is *not* judged by the s.e. of a mean: on 5,130 rows
    that rule would demand agreement the published rounding cannot show.)
N
    exact (``within rounding``) or ``off``.
R²
    ``within rounding`` as above; ``within tolerance`` if |ours − paper| ≤ 0.003
    (:data:`R2_TOLERANCE`); else ``off``.

A published number whose specification was not estimated (no fit has that column's outcome
and regressors, e.g. after changing ``controls``) is ``not estimated``: it is neither
reproduced nor contradicted.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from replicate import paper
from replicate._options import check_choice
from replicate.checks import implied_constants, published_indirect_bounds
from replicate.data.schema import CONTROLS, REGRESSION_SCALE, ROBUSTNESS_CONTROLS
from replicate.models import TWFEResults, fit
from replicate.report.etable import beside_paper
from replicate.report.tables import data_label, stars, table1_layout, within_ratio

__all__ = [
    "STATUSES",
    "Spec",
    "Beside",
    "coefficient_beside_paper",
    "compare",
    "compare_table1",
    "estimate",
    "fit_panel",
    "formulas",
    "implied_constants",
    "layout",
    "options_from",
    "paper_table",
    "published_indirect_bounds",
    "regression_frame",
    "robustness",
    "robustness_skipped",
    "ROBUSTNESS_VARIANTS",
    "PILOT_LIST_VARIANTS",
    "weak_evidence_changes",
    "scorecard",
    "scorecard_summary",
    "specs",
    "stars",
]

ROUNDING = paper.HALF_UNIT + 1e-9
"""Half a unit in the third decimal (the paper prints three decimals), plus float slack."""
SE_RATIO = (0.8, 1.25)
"""A standard error within 25% of the published one (either way: 1/1.25 = 0.8)."""
TABLE1_SD_SHARE = 0.05
"""A Table 1 statistic within 5% of the variable's published standard deviation."""
R2_TOLERANCE = 0.003
"""An R² within 0.003 of the published one."""
STATUSES = ("within rounding", "within tolerance", "off", "not estimated")
KINDS = ("coef", "se", "N", "R2", "table1")


@dataclass(frozen=True)
class Spec:
    """One regression column: outcome, regressors and absorbed effects."""

    column: int
    outcome: str
    regressors: tuple[str, ...]
    absorb: tuple[str, ...] = ("city_id", "year")

    def formula(self, absorb: Sequence[str] | None = None) -> str:
        """The column as a fixest-style formula, e.g. ``"nqp ~ did + fdi | city_id + year"``
        (``absorb`` replaces the absorbed effects; ``a#b`` is written ``a^b``)."""
        effects = tuple(absorb) if absorb is not None else self.absorb
        rhs = " + ".join(self.regressors)
        fixed = " + ".join(e.replace("#", "^") for e in effects)
        return f"{self.outcome} ~ {rhs}" + (f" | {fixed}" if fixed else "")


def specs(
    table: int,
    controls: Sequence[str] = CONTROLS,
    extra_controls: Sequence[str] = ROBUSTNESS_CONTROLS,
) -> list[Spec]:
    """The paper's specifications for Table 2, 3 or 4 (``controls`` may be replaced)."""
    controls = tuple(controls)
    if table == 2:
        return [Spec(j + 1, "nqp", ("did", *controls[:j])) for j in range(len(controls) + 1)]
    if table == 3:
        return [
            Spec(1, "innovp", ("did", *controls)),
            Spec(2, "nqp", ("did", "innovp", *controls)),
        ]
    if table == 4:
        return [
            Spec(1, "nqp", ("did", *controls), tuple(paper.ABSORB[4][0])),
            Spec(2, "nqp", ("did", *controls, *extra_controls)),
            # The text reports an alternative nqp indicator without a column: estimated when
            # the panel has one, with no published numbers beside it.
            Spec(3, "nqp_alt", ("did", *controls)),
        ]
    raise ValueError(f"table={table!r}: regression tables are 2, 3 and 4.")


def regression_frame(panel, rescale: Mapping[str, float] = REGRESSION_SCALE) -> pd.DataFrame:
    """The panel's frame with variables put on the regressions' scale (a copy).

    By default ``mar`` and ``fin`` are multiplied by 100, as the paper's constants imply
    (:data:`replicate.data.schema.REGRESSION_SCALE`, :func:`replicate.checks.implied_constants`);
    pass ``rescale={}`` to keep your units.
    """
    frame = getattr(panel, "frame", panel)
    present = {k: v for k, v in rescale.items() if k in frame.columns}
    return frame.assign(**{k: frame[k] * v for k, v in present.items()}) if present else frame


def formulas(
    table: int, controls: Sequence[str] = CONTROLS, absorb: Sequence[str] | None = None
) -> dict[int, str]:
    """Each column of a paper table as the formula :func:`estimate` fits.

    ``absorb`` replaces the city and year effects of the two-way columns (Table 4
    column 1 keeps its province-by-year effects).
    """
    out = {}
    for spec in specs(table, controls):
        two_way = spec.absorb == ("city_id", "year")
        out[spec.column] = spec.formula(absorb if two_way else None)
    return out


def vcov_option(cov_type: str = "cluster", cluster: str = paper.CLUSTER) -> str | dict[str, str]:
    """``cov_type``/``cluster`` in :func:`replicate.fit`'s vocabulary (``{"CRV1": cluster}``,
    ``"hetero"``, ``"iid"``)."""
    check_choice("cov_type", cov_type, ("cluster", "robust", "unadjusted"))
    return {"cluster": {"CRV1": cluster}, "robust": "hetero", "unadjusted": "iid"}[cov_type]


def estimate(
    table: int,
    panel,
    controls: Sequence[str] = CONTROLS,
    cov_type: str = "cluster",
    cluster: str = paper.CLUSTER,
    small_sample: str = "reghdfe",
    rescale: Mapping[str, float] = REGRESSION_SCALE,
    absorb: Sequence[str] | None = None,
) -> dict[int, TWFEResults]:
    """Fit every column of a paper table on ``panel`` (a Panel or DataFrame).

    Each column is the formula of :func:`formulas` passed to :func:`replicate.fit` on the
    panel put on the regressions' scale (``rescale``), with ``vcov`` from ``cov_type`` and
    ``cluster``. ``absorb`` replaces the city and year effects of the two-way columns
    (Table 4 column 1 keeps its province-by-year effects). Columns whose outcome the panel
    lacks (the alternative index) are skipped. Each result carries the panel's data label.
    """
    frame = regression_frame(panel, rescale)
    vcov = vcov_option(cov_type, cluster)
    label = data_label(panel)
    out = {}
    for column, formula in formulas(table, controls, absorb).items():
        if formula.split("~")[0].strip() not in frame.columns:
            continue
        result = fit(formula, frame, vcov=vcov, small_sample=small_sample)
        out[column] = replace(result, data_label=label)
    return out


ESTIMATE_DEFAULTS = {
    name: param.default
    for name, param in inspect.signature(estimate).parameters.items()
    if param.default is not inspect.Parameter.empty
}
"""The keyword options of :func:`estimate` (and :func:`robustness`) with their defaults."""
ESTIMATE_OPTIONS = tuple(ESTIMATE_DEFAULTS)


DEFAULT_ABSORB = Spec.__dataclass_fields__["absorb"].default
"""The fixed effects of the paper's two-way columns: city and year."""

_SEQUENCE_OPTIONS = ("controls", "absorb")


def _as_names(name: str, value: object) -> list[str]:
    """A list option as a list of names: a list, or text such as ``"fdi, hum"``."""
    if isinstance(value, str):
        text = value.strip().removeprefix("[").removesuffix("]")
        return [item.strip().strip("'\"") for item in text.split(",") if item.strip()]
    if isinstance(value, Sequence):
        return [str(item) for item in value]
    raise ValueError(
        f"{name}={value!r}: give a list of column names such as ['fdi', 'hum'], or None "
        "for the paper's default."
    )


def options_from(namespace: Mapping[str, object]) -> dict[str, object]:
    """The options of :func:`estimate` found in ``namespace`` (a chapter's parameters,
    e.g. ``options_from(globals())``), resolved against the library's defaults.

    A chapter's parameter cell may leave an option at ``None``, meaning the library's
    default — ``controls``: :data:`replicate.data.schema.CONTROLS`; ``rescale``:
    :data:`~replicate.data.schema.REGRESSION_SCALE`; ``absorb``: city and year
    (:data:`DEFAULT_ABSORB`); ``cluster``: :data:`replicate.paper.CLUSTER` — so the
    defaults are typed once, here, and a test pins every notebook's default to them.
    ``controls`` and ``absorb`` may also be text as ``replicate run -p`` passes it
    (``"fdi, hum"``). Names :func:`estimate` does not know are left out.
    """
    out: dict[str, object] = {}
    for name in ESTIMATE_OPTIONS:
        if name not in namespace:
            continue
        value = namespace[name]
        if value is None:
            value = ESTIMATE_DEFAULTS[name]
            if name == "absorb":
                value = DEFAULT_ABSORB
        if name in _SEQUENCE_OPTIONS:
            value = _as_names(name, value)
        elif name == "rescale" and not isinstance(value, Mapping):
            raise ValueError(
                f"rescale={value!r}: give a mapping such as {{'mar': 100.0}}, {{}} to keep "
                "the file's units, or None for the regressions' scale (mar and fin ×100)."
            )
        out[name] = value
    return out


def fit_panel(
    formula: str, panel, *, rescale: Mapping[str, float] = REGRESSION_SCALE, **options
) -> TWFEResults:
    """:func:`replicate.fit` on ``panel`` put on the regressions' scale by ``rescale``
    (default: ``mar`` and ``fin`` in percent; ``{}`` keeps the file's units), the result
    labelled with the panel's data label. ``options`` go to ``fit`` (``vcov``,
    ``small_sample``, ``weights``, ``drop_singletons``)."""
    result = fit(formula, regression_frame(panel, rescale), **options)
    return replace(result, data_label=data_label(panel))


# ----------------------------------------------------------------------------- statuses


def _status(diff: float, tolerance_ok: bool) -> str:
    if not np.isfinite(diff):
        return "not estimated"
    if abs(diff) <= ROUNDING:
        return "within rounding"
    return "within tolerance" if tolerance_ok else "off"


def status_coef(ours: float, published: float, published_se: float) -> str:
    """Coefficient: within rounding, within one published s.e., or off."""
    diff = ours - published
    return _status(diff, np.isfinite(published_se) and abs(diff) <= published_se + 1e-12)


def status_se(ours: float, published: float) -> str:
    """Standard error: within rounding, ratio ours/paper in :data:`SE_RATIO`, or off."""
    ratio = ours / published if published > 0 else np.inf
    return _status(ours - published, within_ratio(ratio, SE_RATIO))


def _status_exact(diff: float) -> str:
    """A count (N) must match exactly."""
    if not np.isfinite(diff):
        return "not estimated"
    return "within rounding" if diff == 0 else "off"


def status_table1(statistic: str, ours: float, published: float, published_sd: float) -> str:
    """Table 1: N exact; other statistics within rounding or 5% of the published s.d."""
    diff = ours - published
    if statistic == "N":
        return _status_exact(diff)
    return _status(diff, abs(diff) <= TABLE1_SD_SHARE * published_sd + 1e-12)


def status_fit(statistic: str, ours: float, published: float) -> str:
    """N exact; R² within rounding or :data:`R2_TOLERANCE`."""
    diff = ours - published
    if statistic == "N":
        return _status_exact(diff)
    return _status(diff, abs(diff) <= R2_TOLERANCE + 1e-12)


# ----------------------------------------------------------------------------- comparison


COMPARISON_COLUMNS = [
    "table",
    "column",
    "variable",
    "statistic",
    "paper",
    "ours",
    "diff",
    "rel_diff",
    "paper_stars",
    "our_stars",
    "status",
    "fit_column",
]


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(
        rows, columns=[c for c in COMPARISON_COLUMNS if c not in ("diff", "rel_diff")]
    )
    out.insert(6, "diff", out["ours"] - out["paper"])
    se = out["statistic"] == "se"
    ratio = out["ours"] / out["paper"].where(out["paper"] > 0)
    out.insert(7, "rel_diff", (ratio - 1).where(se))
    out["fit_column"] = out["fit_column"].astype("Int64")
    return out


def match_columns(table: int, results: Mapping[int, object]) -> dict[int, int | None]:
    """Published column → the key of our fit with the same outcome and regressors.

    Our column of the same number is preferred; None when no fit has that specification
    (so a changed control set is never compared with another specification)."""
    published = paper.published(table)
    out = {}
    for column, cell in published.groupby("column"):
        wanted = set(cell["variable"]) - {"N", "R2", "constant"}
        outcome = paper.OUTCOMES[table][column - 1]

        def same(res, wanted=wanted, outcome=outcome) -> bool:
            return (
                getattr(res, "outcome", outcome) == outcome
                and set(res.params.index) - {"constant"} == wanted
            )

        candidates = [column] + [k for k in results if k != column]
        out[column] = next((k for k in candidates if k in results and same(results[k])), None)
    return out


def compare(table: int, results: Mapping[int, TWFEResults]) -> pd.DataFrame:
    """Every published number of a regression table beside ours, with a status.

    Columns: ``table, column`` (the published column), ``variable, statistic`` (coef, se,
    N, R2), ``paper``, ``ours``, ``diff`` (ours − paper), ``rel_diff`` (ours / paper − 1,
    for standard errors), ``paper_stars``, ``our_stars``, ``status`` (see the module
    docstring) and ``fit_column`` (which of ``results`` was compared; missing when none
    has the published specification).
    """
    published = paper.published(table)
    matched = match_columns(table, results)
    rows = []
    for record in published.itertuples():
        key = matched[record.column]
        res = results.get(key) if key is not None else None
        base = {"table": table, "column": record.column, "variable": record.variable}
        base["fit_column"] = key
        if record.variable in ("N", "R2"):
            ours = (
                np.nan
                if res is None
                else float(res.nobs if record.variable == "N" else res.rsquared)
            )
            rows.append(
                {
                    **base,
                    "statistic": record.variable,
                    "paper": record.coef,
                    "ours": ours,
                    "paper_stars": 0,
                    "our_stars": 0,
                    "status": status_fit(record.variable, ours, record.coef),
                }
            )
            continue
        present = res is not None and record.variable in res.params.index
        coef = float(res.params[record.variable]) if present else np.nan
        se = float(res.std_errors[record.variable]) if present else np.nan
        rows.append(
            {
                **base,
                "statistic": "coef",
                "paper": record.coef,
                "ours": coef,
                "paper_stars": record.stars,
                "our_stars": stars(res.pvalues[record.variable]) if present else 0,
                "status": status_coef(coef, record.coef, record.se),
            }
        )
        rows.append(
            {
                **base,
                "statistic": "se",
                "paper": record.se,
                "ours": se,
                "paper_stars": 0,
                "our_stars": 0,
                "status": status_se(se, record.se),
            }
        )
    return _frame(rows)


def compare_table1(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 1 in the same long form as :func:`compare` (computes the statistics: N, mean,
    sample s.d. with N − 1, min, max of each variable)."""
    frame = getattr(frame, "frame", frame)
    missing = [v for v in paper.TABLE1.index if v not in frame.columns]
    if missing:
        raise ValueError(
            f"Table 1 needs columns {missing}, which the panel lacks; "
            f"it has {sorted(map(str, frame.columns))}."
        )
    rows = []
    for variable, target in paper.TABLE1.iterrows():
        x = frame[variable]
        ours = {
            "N": x.count(),
            "mean": x.mean(),
            "sd": x.std(ddof=1),
            "min": x.min(),
            "max": x.max(),
        }
        for stat, value in ours.items():
            rows.append(
                {
                    "table": 1,
                    "column": 1,
                    "variable": variable,
                    "statistic": stat,
                    "paper": float(target[stat]),
                    "ours": float(value),
                    "paper_stars": 0,
                    "our_stars": 0,
                    "status": status_table1(stat, float(value), float(target[stat]), target["sd"]),
                    "fit_column": None,
                }
            )
    return _frame(rows)


STRONG_EVIDENCE = ("multi_source", "independent_confirmation")
"""Pilot-list entries confirmed by more than one source (``data/README.md``)."""


def weak_evidence_changes(reading: str = "parent") -> pd.DataFrame:
    """Cities whose first pilot year changes when pilot entries resting on a single
    secondary source are left out: ``g_all`` (every entry), ``g_strong`` (confirmed entries
    only) and what happens (``to control`` or ``later batch``)."""
    from replicate.data import code_pilots

    everything = code_pilots(reading).first_year
    strong = code_pilots(reading, evidence=STRONG_EVIDENCE).first_year
    out = pd.DataFrame({"g_all": everything, "g_strong": strong.reindex(everything.index)})
    out = out[out["g_all"] != out["g_strong"]]
    out["change"] = np.where(out["g_strong"] == 0, "to control", "later batch")
    return out


def _recoded(frame: pd.DataFrame, reading: str, evidence=None) -> pd.DataFrame:
    from replicate.data import code_pilots

    coding = code_pilots(reading, evidence=evidence) if evidence else code_pilots(reading)
    timing = coding.panel()
    cols = [c for c in timing.columns if c not in ("city_id", "year")]
    return frame.drop(columns=[c for c in cols if c in frame.columns]).merge(
        timing, on=["city_id", "year"], how="left"
    )


ROBUSTNESS_VARIANTS = ("baseline", "sub-city", "weak dropped", "weak recoded", "by province", "HC1")
"""The variants of :func:`robustness`, in the order of its result (``sub-city`` is named
``sub-city: ignore`` or ``sub-city: parent`` there, after the reading it switches to)."""
PILOT_LIST_VARIANTS = {
    "sub-city": "reads the Broadband China lists' sub-city entries the other way",
    "weak dropped": "drops the cities whose Broadband China entries rest on a single "
    "secondary source (the lists' evidence levels)",
    "weak recoded": "re-codes the Broadband China lists with their confirmed entries only "
    "(the lists' evidence levels)",
}
"""The variants that re-code the Broadband China lists themselves, and what each does:
they exist only for a panel with that timing."""


def _other_timing(panel) -> str | None:
    """The source of a panel's pilot timing when it is not the Broadband China lists."""
    coding = getattr(panel, "coding", None)
    if coding is not None and not getattr(coding, "is_broadband", True):
        return str(coding.source)
    return None


def robustness_skipped(panel) -> dict[str, str]:
    """The variants of :func:`robustness` that do not apply to ``panel``, each with one line
    saying why: on another pilot policy (``load_panel(pilots=...)``) the variants that
    re-code the Broadband China lists (:data:`PILOT_LIST_VARIANTS`); none otherwise."""
    source = _other_timing(panel)
    if source is None:
        return {}
    return {
        name: f"{name} skipped: it {what}, and this panel's timing comes from {source}, "
        "which has neither sub-city readings nor the lists' evidence levels"
        for name, what in PILOT_LIST_VARIANTS.items()
    }


def robustness(
    panel, reading: str = "parent", variants: Sequence[str] | None = None, **options
) -> dict[str, TWFEResults]:
    """The baseline (Table 2's last column) under the choices the paper does not report.

    Pilot coding: the sub-city reading (``parent`` / ``ignore``); cities whose pilot status
    rests only on single-source entries (:func:`weak_evidence_changes`) *dropped* (the main
    alternative: they are neither clean controls nor sure pilots) or *recoded* with the
    confirmed entries only (they then contaminate the controls). Inference: clustered by
    province, and heteroskedasticity-robust without clustering. ``options`` are those of
    :func:`estimate` (``controls``, ``cov_type``, ``cluster``, ``small_sample``,
    ``rescale``, ``absorb``). Each result carries the panel's data label; lay them side by
    side with :func:`replicate.etable`.

    ``variants`` (names of :data:`ROBUSTNESS_VARIANTS`) chooses among them (the result keeps
    that constant's order); ``None`` runs every variant that applies to the panel. On another pilot policy
    (``load_panel(pilots=FILE)``) the baseline keeps the file's timing, the clustering
    variants apply unchanged, and the variants that re-code the Broadband China lists
    (:data:`PILOT_LIST_VARIANTS`; :func:`robustness_skipped` says why for each) are left
    out — asking for one of them by name is a ``ValueError``.
    """
    unknown = sorted(set(options) - set(ESTIMATE_OPTIONS))
    if unknown:
        raise TypeError(f"robustness() got unknown options {unknown}; use {ESTIMATE_OPTIONS}.")
    skipped = robustness_skipped(panel)
    if variants is None:
        wanted = [v for v in ROBUSTNESS_VARIANTS if v not in skipped]
    else:
        wanted = [variants] if isinstance(variants, str) else list(variants)
        for name in wanted:
            check_choice("variants", name, ROBUSTNESS_VARIANTS)
        refused = [v for v in wanted if v in skipped]
        if refused:
            source = _other_timing(panel)
            raise ValueError(
                f"robustness(variants={refused}): "
                + "; ".join(f"{v} {PILOT_LIST_VARIANTS[v]}" for v in refused)
                + f". This panel's timing comes from {source}, which has neither sub-city "
                "readings nor the lists' evidence levels, so the variant would silently put "
                "Broadband China's timing back. Fix: leave it out (variants=None runs "
                f"{[v for v in ROBUSTNESS_VARIANTS if v not in skipped]}), or load the panel "
                "without pilots= for the Broadband China lists."
            )
    opts = {**ESTIMATE_DEFAULTS, **options}
    controls = tuple(opts["controls"])
    frame = regression_frame(panel, opts["rescale"])
    formula = formulas(2, controls, opts["absorb"])[len(controls) + 1]
    vcov = vcov_option(opts["cov_type"], opts["cluster"])
    label = data_label(panel)
    broadband = not skipped

    def run(data: pd.DataFrame, **kw) -> TWFEResults:
        kw = {"vcov": vcov, "small_sample": opts["small_sample"], **kw}
        return replace(fit(formula, data, **kw), data_label=label)

    other = "ignore" if reading == "parent" else "parent"
    weak = weak_evidence_changes(reading).index if broadband else None
    # the baseline re-codes the Broadband lists under ``reading``; another policy keeps its own
    compute = {
        "baseline": lambda: run(_recoded(frame, reading) if broadband else frame),
        "sub-city": lambda: run(_recoded(frame, other)),
        "weak dropped": lambda: run(_recoded(frame, reading)[lambda f: ~f["city_id"].isin(weak)]),
        "weak recoded": lambda: run(_recoded(frame, reading, STRONG_EVIDENCE)),
        "by province": lambda: run(frame, vcov={"CRV1": "province"}),
        "HC1": lambda: run(frame, vcov="hetero"),
    }
    names = {"sub-city": f"sub-city: {other}"}
    return {names.get(v, v): compute[v]() for v in ROBUSTNESS_VARIANTS if v in wanted}


@dataclass(frozen=True)
class Beside:
    """One coefficient across a table's columns: ours and the paper's (``coef``, ``se``),
    indexed by the published column labels."""

    variable: str
    ours: pd.DataFrame
    paper: pd.DataFrame


def coefficient_beside_paper(table: int, comparison: pd.DataFrame, variable: str = "did") -> Beside:
    """``variable`` in every published column that we estimated with the same
    specification, ours beside the paper's (for :func:`replicate.report.figures.estimates_beside_paper`)."""
    sub = comparison[(comparison["variable"] == variable) & comparison["fit_column"].notna()]
    labels = {c: paper.COLUMN_LABELS[table][c - 1] for c in sub["column"].unique()}
    frames = {}
    for source in ("ours", "paper"):
        wide = sub.pivot(index="column", columns="statistic", values=source)[["coef", "se"]]
        wide.index = [labels[c] for c in wide.index]
        wide.columns.name = None
        frames[source] = wide
    return Beside(variable, frames["ours"], frames["paper"])


# ----------------------------------------------------------------------------- tables


def layout(
    table: int, comparison: pd.DataFrame, results: Mapping[int, TWFEResults]
) -> pd.DataFrame:
    """The paper's shape, ours with the published value beneath (see
    :func:`replicate.report.etable.beside_paper`; prefer :func:`paper_table`, which also
    labels the data)."""
    return beside_paper(table, results, comparison)


def paper_table(table: int, panel, **options) -> pd.DataFrame:
    """Estimate a paper table on ``panel`` and lay it out beside the published numbers.

    The result is a DataFrame of printed cells in the paper's shape; its ``attrs`` carry
    the caption and notes (data label read from the panel, fixed effects, N, clustering
    and small-sample convention read from the fits), which :func:`replicate.report.tables.render`
    and ``show`` print.
    """
    label = data_label(panel)
    synthetic = bool(getattr(panel, "synthetic", False))
    if table == 1:
        out = table1_layout(compare_table1(getattr(panel, "frame", panel)))
        out.attrs.update(
            caption=f"Table 1. Descriptive statistics — {label} beside Liu & Zou",
            notes=f"Data: {label}. {out.attrs['notes']}",
            synthetic=synthetic,
        )
        return out
    results = estimate(table, panel, **options)
    return beside_paper(
        table,
        results,
        compare(table, results),
        data_label=label,
        synthetic=synthetic,
        rescale=options.get("rescale", REGRESSION_SCALE),
    )


# ----------------------------------------------------------------------------- scorecard


def scorecard(panel, **options) -> pd.DataFrame:
    """Every published number of Tables 1–4 beside ours, with its status (long form)."""
    parts = [compare_table1(getattr(panel, "frame", panel))]
    for table in (2, 3, 4):
        parts.append(compare(table, estimate(table, panel, **options)))
    card = pd.concat(parts, ignore_index=True)
    label = data_label(panel)
    card.attrs.update(
        data_label=label,
        synthetic=bool(getattr(panel, "synthetic", False)),
        se_ratio=SE_RATIO,
        caption=f"Scorecard — {label}",
        notes=f"Data: {label}.",
    )
    return card


def _kind(card: pd.DataFrame) -> pd.Series:
    return card["statistic"].where(card["table"] != 1, "table1")


def scorecard_summary(card: pd.DataFrame) -> pd.DataFrame:
    """Counts of each status by table and kind of number (coef, se, N, R2, table1).

    Rows are ``(table, kind)`` with, per kind, an ``all tables`` row, and a last row
    ``("all tables", "all")``; columns are the statuses present and ``numbers``. Standard
    errors and coefficients are never lumped together.
    """
    kinds = _kind(card)
    tables = card["table"].map(lambda t: f"Table {t}")
    counts = pd.crosstab([tables, kinds], card["status"])
    per_kind = pd.crosstab(kinds, card["status"])
    per_kind.index = pd.MultiIndex.from_product([["all tables"], per_kind.index])
    total = pd.DataFrame(
        [card["status"].value_counts()], index=pd.MultiIndex.from_tuples([("all tables", "all")])
    )
    out = pd.concat([counts, per_kind, total]).fillna(0).astype(int)
    order = [s for s in STATUSES if s in out.columns]
    out = out[order]
    out["numbers"] = out.sum(axis=1)
    rank = {k: i for i, k in enumerate((*KINDS, "all"))}
    out = out.sort_index(key=lambda ix: ix.map(lambda v: rank.get(v, -1) if v in rank else v))
    out.index.names = ["table", "kind"]
    out.columns.name = None
    label = card.attrs.get("data_label")
    if label:
        out.attrs.update(
            card.attrs, caption=f"Scorecard summary by table and kind of number — {label}"
        )
    return out


# ----------------------------------------------------------------------------- the twin's truth


def calibration_record() -> dict:
    """The committed calibration record of the synthetic twin (``twin_calibration.json``:
    parameters, the many-twin check, coverage of the ``did`` intervals)."""
    from replicate.data import synthetic

    return synthetic.load_calibration()


def mediation_truth(truth) -> tuple[float, float, float]:
    """``(a, b, total)`` the twin was built with: the effect of ``did`` on ``innovp``, of
    ``innovp`` on ``nqp``, and the true ATT (direct + a·b), for
    :meth:`replicate.models.mechanism.MediationResults.beside_truth`."""
    return float(truth.innovp_effect), float(truth.coefficients["nqp"]["innovp"]), float(truth.att)


# ----------------------------------------------------------------------------- design facts


def pilot_readings() -> pd.DataFrame:
    """Both readings of the sub-city pilot entries against the paper's mean of ``did``.

    One row per reading (``parent``, ``ignore``): treated cities per batch, treated
    cities, treated city-years, the mean of ``did`` over the 285 × 18 panel, the paper's
    Table 1 mean, and ``reproduces``: whether our mean rounds to the printed one.
    """
    from replicate.data import code_pilots

    rows = []
    for reading in ("parent", "ignore"):
        coding = code_pilots(reading)
        row = coding.summary().iloc[0].to_dict()
        timing = coding.panel()
        row["treated city-years"] = int(timing["did"].sum())
        row["did mean"] = float(timing["did"].mean())
        rows.append(row)
    out = pd.DataFrame(rows).set_index("reading")
    out["paper did mean"] = float(paper.TABLE1.loc["did", "mean"])
    out["reproduces"] = (out["did mean"] - out["paper did mean"]).abs() <= ROUNDING
    return out


def singleton_sample() -> dict[str, object]:
    """What province-by-year effects drop from the 285 × 18 sample, from the city list alone.

    Returns the provinces with a single sample city, the city-years that become
    singletons, the resulting N and the paper's N for Table 4 column (1).
    """
    from replicate.data import cities
    from replicate.data.raw import SAMPLE_YEARS

    table = cities()
    per_province = table.groupby("province_en").size()
    single = sorted(per_province[per_province == 1].index)
    years = len(list(SAMPLE_YEARS))
    published = paper.published(4).set_index(["column", "variable"])["coef"]
    return {
        "provinces": single,
        "singletons": len(single) * years,
        "N": len(table) * years - len(single) * years,
        "paper N": int(published[(1, "N")]),
    }


def province_pilot_mix(reading: str = "parent") -> pd.DataFrame:
    """Per province (real data): sample cities, pilot cities, and which comparison
    province-by-year effects leave — ``both`` (pilot and non-pilot cities), ``only
    pilots``, ``no pilot``."""
    from replicate.data import cities, code_pilots

    table = cities()
    first = code_pilots(reading).first_year.reindex(table["city_id"]).fillna(0).to_numpy()
    frame = table.assign(pilot=first > 0)
    out = frame.groupby("province_en").agg(cities=("city_id", "size"), pilots=("pilot", "sum"))
    out["mix"] = np.select(
        [out["pilots"] == 0, out["pilots"] == out["cities"]], ["no pilot", "only pilots"], "both"
    )
    return out
