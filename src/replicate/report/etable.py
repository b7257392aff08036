"""Several fits side by side, and a paper table with the published numbers beneath ours.

``etable(res1, res2, ...)`` is this project's version of pyfixest's / fixest's ``etable``:
one column per fit; for each coefficient a row with significance stars and a row with the
standard error in parentheses; one row per absorbed fixed effect ("yes"/"no"); N, R² (and
on request within R² and the number of clusters); the kind of standard error. Everything
is read from the results — the fixed-effect rows list what each fit absorbed, never a
default specification — and the notes say how the standard errors were computed.

The result is a canonical DataFrame (cells are the printed strings) with a two-level row
index ``("row", "line")``; render it with :func:`replicate.report.tables.render` or show it
in a notebook with :func:`replicate.report.tables.show` (caption and notes travel in
``frame.attrs``).

:func:`beside_paper` adds the published value beneath each of our cells, in the paper's
shape: one column per specification, short cells, so a seven-column table fits a laptop
screen and a phone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from replicate import paper
from replicate._options import check_choice
from replicate.report.tables import (
    SIGNIFICANCE_LEGEND,
    cell,
    describe_by_column,
    number,
    spans,
    stars,
)

Statistic = Literal["N", "R2", "R2_within", "clusters"]
STAT_LABELS = {"N": "N", "R2": "R²", "R2_within": "within R²", "clusters": "clusters"}
CONSTANT = "constant"
VCOV_SHORT = {"cluster": "CRV1", "robust": "HC1", "unadjusted": "iid"}
HEADLINE = "ATT"
"""Row of a DID result's headline effect (:data:`replicate.models.protocol.HEADLINE`)."""
"""Short names of the standard errors (pyfixest's vocabulary)."""
PAPER_TITLES = {
    2: "Baseline regressions of nqp",
    3: "Mechanism: technological innovation",
    4: "Robustness",
}


def effect_label(effect: str) -> str:
    """``"province#year"`` (or ``province^year``) → ``"province×year"``."""
    return "×".join(p for p in effect.replace("^", "#").split("#"))


def _absorbed(res) -> tuple[str, ...]:
    return tuple(effect_label(a) for a in (getattr(res, "absorb", None) or ()))


def _cluster_name(res) -> str | None:
    """The cluster variable when the result records it (``cluster`` or a CRV ``vcov``)."""
    name = getattr(res, "cluster", None) or getattr(res, "clustervar", None)
    vcov = getattr(res, "vcov", None)
    if not name and isinstance(vcov, Mapping) and vcov:
        name = next(iter(vcov.values()))
    if isinstance(name, list | tuple):
        name = "+".join(map(str, name))
    return str(name) if name else None


def vcov_label(res) -> str:
    """Short kind of standard error: "CRV1" (clustered), "HC1" or "iid"."""
    cov_type = str(getattr(res, "cov_type", "") or "")
    return VCOV_SHORT.get(cov_type, cov_type or "?")


def inference_text(res) -> str:
    """The result's own description of its standard errors, with the cluster variable."""
    text = str(getattr(res, "inference", "") or vcov_label(res))
    name = _cluster_name(res)
    if name and text.startswith("clustered") and name not in text:
        text = text.replace("clustered", f"clustered by {name}", 1)
    return text


def _fits(results: tuple) -> dict[str, object]:
    """Label → result, from ``etable(r1, r2)`` or ``etable({label: r, ...})``."""
    if len(results) == 1 and isinstance(results[0], Mapping):
        mapping = results[0]
        return {
            (f"({k})" if isinstance(k, int | np.integer) else str(k)): r for k, r in mapping.items()
        }
    return {f"({i})": r for i, r in enumerate(results, start=1)}


def etable(
    *results,
    labels: Sequence[str] | None = None,
    keep: Sequence[str] | None = None,
    drop: Sequence[str] = (),
    digits: int = 3,
    stats: Sequence[Statistic] = ("N", "R2"),
    coef_labels: Mapping[str, str] | None = None,
    events: bool = False,
) -> pd.DataFrame:
    """Fits side by side, as in a paper: stars, (s.e.), fixed effects, N, R², s.e. type.

    Parameters
    ----------
    *results
        Fit results (``replicate.fit`` / ``TWFE(...).fit()``) and DID results
        (``event_study``, ``sun_abraham``, ``imputation``, ``callaway_santanna``,
        ``did_multiplegt``), or one mapping ``{label or column number: result}`` such as
        ``replication.estimate(2, panel)``.
    labels : sequence of str, optional
        Column headings; default "(1)", "(2)", … (or the mapping's keys).
    keep, drop : sequence of str
        Coefficients to show (in this order) / to leave out. The constant is shown last.
    digits : int
        Decimals of coefficients, standard errors and R².
    stats : sequence of {"N", "R2", "R2_within", "clusters"}
        Fit statistics, in this order (blank where a result has none, e.g. R² of
        Callaway–Sant'Anna).
    coef_labels : mapping, optional
        Display names of coefficients, e.g. ``{"did": "DID"}``. Coefficients given the same
        name share a row, so ``{"did": "ATT"}`` puts a TWFE ``did`` beside the DID results.
    events : bool
        Also show the event-time effects of event-study results (rows "event k").

    Returns
    -------
    DataFrame
        Printed cells (strings), one column per fit, rows indexed by ``(row, line)`` with
        ``line`` in ``coef``, ``se``, ``fe``, ``stat``, ``vcov`` (the kind of standard error,
        CRV1 / HC1 / iid, or for DID results IF — analytic from the influence functions —,
        bootstrap, BJS — Borusyak–Jaravel–Spiess —, and the cluster variable when the
        results record it). A DID result's headline effect is the row "ATT" (its
        ``tidy()``'s first row: CS's chosen aggregation, SA's and the event study's average
        of the post-period effects, imputation's average over treated observations, DID_M),
        starred by the p-value its ``tidy()`` reports. Fixed-effect rows say "yes"/"no" for
        regressions and "—" for estimators that are not fixed-effects regressions (CS,
        DID_M). ``attrs["notes"]`` holds the data label (when the results carry one), the
        significance legend, each column's estimator and inference, all read from the
        results.

    Examples
    --------
    >>> from replicate import replication
    >>> from replicate.data import load_panel
    >>> panel = load_panel()
    >>> results = replication.estimate(2, panel, absorb=["city_id", "year", "province#year"])
    >>> table = etable(results)
    >>> table.loc[("province×year FE", "fe"), "(7)"]
    'yes'
    """
    from replicate.models.protocol import describe

    for stat in stats:
        check_choice("stats", stat, Statistic)
    fits = _fits(results)
    if not fits:
        raise ValueError("etable needs at least one result.")
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != len(fits):
            raise ValueError(f"labels has {len(labels)} entries for {len(fits)} results.")
        fits = dict(zip(labels, fits.values(), strict=True))
    columns = {label: describe(res, events=events) for label, res in fits.items()}
    names = coef_labels or {}
    variables: list[str] = []
    for col in columns.values():
        variables += [v for v in col.coefficients.index if v not in variables]
    if keep is not None:
        variables = [v for v in keep if v in variables]
    variables = [v for v in variables if v not in drop]
    if CONSTANT in variables:
        variables = [v for v in variables if v != CONSTANT] + [CONSTANT]
    if keep is None:  # event-time rows of several results in event-time order
        variables = _events_in_order(variables)
    effects: list[str] = []
    for col in columns.values():
        effects += [effect_label(e) for e in col.absorb or () if effect_label(e) not in effects]

    rows: dict[tuple[str, str], list[str]] = {}
    shown: dict[str, list[str]] = {}  # display label → the variables it shows, in order
    for variable in variables:
        shown.setdefault(names.get(variable, variable), []).append(variable)
    for label, members in shown.items():
        coef_row, se_row = [], []
        for col in columns.values():
            present = [v for v in members if v in col.coefficients.index]
            if len(present) > 1:
                raise ValueError(
                    f"coef_labels gives {present} the same name {label!r} within one result; "
                    "name them apart."
                )
            if present:
                c = col.coefficients.loc[present[0]]
                coef_row.append(cell(c["estimate"], stars(c["p"]), digits=digits))
                se_row.append(cell(c["se"], se=True, digits=digits))
            else:
                coef_row += [""]
                se_row += [""]
        rows[(label, "coef")] = coef_row
        rows[(label, "se")] = se_row
    for effect in effects:
        rows[(f"{effect} FE", "fe")] = [
            ("—" if col.absorb_known else "")
            if col.absorb is None
            else "yes"
            if effect in {effect_label(a) for a in col.absorb}
            else "no"
            for col in columns.values()
        ]
    for stat in stats:
        rows[(STAT_LABELS[stat], "stat")] = [
            _column_statistic(col, stat) for col in columns.values()
        ]
    rows[("S.E.", "vcov")] = [VCOV_SHORT.get(col.vcov, col.vcov or "?") for col in columns.values()]
    clusters = [
        col.cluster if col.vcov in ("cluster", "bootstrap", "BJS", "IF") else None
        for col in columns.values()
    ]
    if any(clusters):
        rows[("cluster", "vcov")] = [c or "" for c in clusters]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(fits))
    out.index = pd.MultiIndex.from_tuples(list(rows), names=["row", "line"])
    out.columns.name = None
    described = {
        label: (inference_text(res) if hasattr(res, "cov_type") else col.inference)
        for (label, res), col in zip(fits.items(), columns.values(), strict=True)
    }
    data = {label: col.data_label for label, col in columns.items()}
    did = {
        label: col.method for label, col in columns.items() if col.coefficients.index[0] == HEADLINE
    }
    out.attrs["notes"] = (
        (f"Data: {describe_by_column(data)}. " if all(data.values()) else "")
        + (f"{HEADLINE}: the headline effect of {describe_by_column(did)}. " if did else "")
        + f"Standard errors in parentheses; {SIGNIFICANCE_LEGEND}. "
        + f"Standard errors: {describe_by_column(described)}."
    )
    out.attrs["synthetic"] = any(
        bool(getattr(r, "synthetic", False)) or str(data[label] or "").startswith("SYNTHETIC")
        for label, r in fits.items()
    )
    return out


def _events_in_order(variables: list[str]) -> list[str]:
    """The "event k" rows (k possibly "≤-5"/"≥5") sorted by k, where the first of them stood."""
    events = [v for v in variables if v.startswith("event ")]
    if not events:
        return variables

    def key(name: str) -> tuple[float, int]:
        text = name.removeprefix("event ")
        bound = text[:1] if text[:1] in "≤≥" else ""
        return (float(text.lstrip("≤≥")), {"≤": -1, "": 0, "≥": 1}[bound])

    first = variables.index(events[0])
    rest = [v for v in variables if not v.startswith("event ")]
    return rest[:first] + sorted(events, key=key) + rest[first:]


def _column_statistic(col, stat: str) -> str:
    if stat == "N":
        return number(int(col.nobs))
    if stat == "R2":
        return number(float(col.rsquared), 3)
    if stat == "R2_within":
        return number(float(col.rsquared_within), 3)
    return number(int(col.n_clusters)) if col.n_clusters else ""


# ----------------------------------------------------------------------------- paper tables


def _column_label(table: int, column: int) -> str:
    labels = paper.COLUMN_LABELS.get(table, [])
    return labels[column - 1] if column <= len(labels) else f"({column})"


def _published_cells(comparison: pd.DataFrame, column: int, digits: int) -> dict:
    """(variable, line) → printed published cell, for the published numbers matched to our
    ``column``."""
    if "fit_column" in comparison.columns:
        sub = comparison[comparison["fit_column"] == column]
    else:
        sub = comparison[comparison["column"] == column]
    out = {}
    for rec in sub.itertuples():
        if rec.statistic == "coef":
            out[(rec.variable, "paper")] = cell(rec.paper, int(rec.paper_stars), digits=digits)
        elif rec.statistic == "se":
            out[(rec.variable, "paper se")] = cell(rec.paper, se=True, digits=digits)
        elif rec.statistic == "N":
            out[("N", "paper")] = number(int(rec.paper))
        elif rec.statistic == "R2":
            out[("R²", "paper")] = number(float(rec.paper), digits)
    return out


def beside_paper(
    table: int,
    results: Mapping[int, object],
    comparison: pd.DataFrame,
    *,
    data_label: str = "",
    synthetic: bool = False,
    rescale: Mapping[str, float] | None = None,
    digits: int = 3,
) -> pd.DataFrame:
    """A paper table in the paper's shape with the published numbers beneath ours.

    One column per specification (headed as in the paper). For each coefficient: our
    estimate with stars, our (s.e.), then the published value ("paper") and its (s.e.);
    the fixed-effect rows, N, R² and the s.e. type are read from our fits, with the
    published N and R² beneath ours. A published number appears only under the fit with
    the published column's outcome and regressors (``comparison["fit_column"]``, see
    :func:`replicate.replication.compare`), so a changed control set never sets one
    specification against another.

    ``data_label`` and ``synthetic`` describe the data the fits used (read from the panel
    by :func:`replicate.replication.paper_table`); the notes state them with the fixed
    effects, sample size, clustering and small-sample convention of each fit.
    """
    fits = {_column_label(table, c): r for c, r in sorted(results.items())}
    order = list(dict.fromkeys(paper.published(table)["variable"]))
    order = [v for v in order if v not in ("N", "R2")]
    fitted = dict.fromkeys(v for res in fits.values() for v in res.params.index)
    extra = [v for v in fitted if v not in order]  # e.g. a control the paper does not use
    keep = [v for v in order if v != CONSTANT] + extra + [CONSTANT]
    ours = etable(fits, digits=digits, stats=("N", "R2"), keep=keep)
    published = {_column_label(table, c): _published_cells(comparison, c, digits) for c in results}
    index: list[tuple[str, str]] = []
    for row, line in ours.index:
        index.append((row, line))
        follow = {"se": [(row, "paper"), (row, "paper se")], "stat": [(row, "paper")]}.get(line, [])
        index += [key for key in follow if any(key in cells for cells in published.values())]
    out = pd.DataFrame(index=pd.MultiIndex.from_tuples(index, names=["row", "line"]))
    for label in fits:
        out[label] = [
            ours.loc[key, label] if key in ours.index else published[label].get(key, "")
            for key in index
        ]
    out.attrs.update(
        caption=(
            f"Table {table}. {PAPER_TITLES.get(table, '')} — {data_label} beside Liu & Zou"
        ).replace(" .", "."),
        notes=_paper_notes(table, results, comparison, fits, data_label, rescale),
        synthetic=synthetic,
    )
    return out


def _paper_notes(table, results, comparison, fits, data_label, rescale) -> str:
    labels = {c: _column_label(table, c) for c in sorted(results)}
    parts = [f"Data: {data_label}." if data_label else ""]
    parts.append(
        "Each cell: our estimate, its standard error in parentheses, and beneath them the "
        f"published value (paper); {SIGNIFICANCE_LEGEND}."
    )
    parts.append(
        "Fixed effects: "
        + describe_by_column(
            {labels[c]: " + ".join(_absorbed(r)) or "none" for c, r in sorted(results.items())}
        )
        + "."
    )
    parts.append(
        "N: "
        + describe_by_column(
            {
                labels[c]: f"{r.nobs:,}"
                + (
                    f" ({r.n_singletons:,} singletons dropped)"
                    if getattr(r, "n_singletons", 0)
                    else ""
                )
                for c, r in sorted(results.items())
            }
        )
        + "."
    )
    parts.append(
        "Standard errors: "
        + describe_by_column({labels[c]: inference_text(r) for c, r in sorted(results.items())})
        + "."
    )
    if rescale:
        parts.append(
            "Rescaled for the regressions: "
            + ", ".join(f"{k} ×{number(v)}" for k, v in rescale.items())
            + "."
        )
    differs = [
        labels[c]
        for c, r in sorted(results.items())
        if c <= len(paper.ABSORB.get(table, []))
        and set(_absorbed(r)) != {effect_label(a) for a in paper.ABSORB[table][c - 1]}
    ]
    if differs:
        parts.append(
            f"Column(s) {spans(differs, list(labels.values()))} absorb other fixed effects than the published ones."
        )
    if "fit_column" in comparison.columns:
        unmatched = sorted(set(comparison.loc[comparison["fit_column"].isna(), "column"]))
        if unmatched:
            parts.append(
                "Not estimated with the published regressors, so not compared: published "
                f"column(s) {', '.join(_column_label(table, int(c)) for c in unmatched)}."
            )
    return " ".join(p for p in parts if p)
