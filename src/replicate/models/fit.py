"""One entry point for linear models with fixed effects, in the fixest / pyfixest grammar.

>>> res = fit("nqp ~ did + fdi + hum | city_id + year + province^year", panel,
...           vcov={"CRV1": "city_id"})                       # doctest: +SKIP
>>> res.tidy(); res.summary(); res.absorb                      # doctest: +SKIP

Grammar (a subset of fixest's): ``outcome ~ x1 + x2 + ... | fe1 + fe2 + a^b``.

* The outcome is a column name.
* Regressors are added with ``+``. Plain column names are used as they are; a term that
  is not a plain name (``C(region)``, ``x:z``, ``x*z``, ``I(x**2)``, ``np.log(x)``) is
  expanded by formulaic (the formula engine pyfixest uses) with treatment coding against
  the first level, as R and fixest do. The constant is always reported (Stata's
  ``_cons``); ``0``/``-1`` is refused.
* ``i(var)``, ``i(var, ref=r)``, ``i(var, x)``, ``i(var, x, ref=r)`` (fixest/pyfixest):
  one indicator per level of ``var`` (times ``x`` when given), level ``r`` left out; without
  ``ref`` and ``x`` the first level is left out, as pyfixest does. Named ``var::level`` and
  ``var::level:x`` (pyfixest's names). ``i(rel_year, treated, ref=-1)`` is the classic
  event study.
* ``sunab(cohort, period)`` (fixest's Sun & Abraham 2021 interaction): one indicator per
  treated cohort × period relative to it (``period − cohort``), relative period −1 left out
  (``ref_p=`` to choose another), units never treated in the sample (cohort 0, missing,
  ±inf, or after the last period) as controls; the fit reports, as fixest does by default,
  the relative-period effects ``period::k`` — each the average of its cohort cells weighted
  by their observations in the estimation sample — with the covariance by the delta method.
  Equal to :func:`replicate.models.staggered.sun_abraham` on a balanced panel.
* After ``|``, the fixed effects to absorb, ``a^b`` for the interaction of two columns
  (stored and printed as ``a#b``, Stata's notation). No ``|`` means no fixed effects
  (ordinary least squares with an intercept). Instrumental variables (a third part) and
  varying slopes (``x[fe]``) are not supported.

``data`` is a :class:`replicate.data.Panel` or a DataFrame. A Panel's frame is put on the
regressions' scale first (``mar`` and ``fin`` × 100,
:data:`replicate.data.schema.REGRESSION_SCALE`, the units the paper's coefficients are in),
so the ``panel.frame`` / ``regression_frame`` trap cannot bite; a DataFrame is used as is.
Neither is modified.

The numbers come from :class:`replicate.models.twfe.TWFE` (see that module for the
small-sample conventions and what is pyfixest's and what is ours).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from replicate._options import check_choice
from replicate.models import fixed_effects as fe
from replicate.models.twfe import (
    FEW_CLUSTERS,
    TWFE,
    SmallSample,
    TWFEResults,
    check_finite,
    cross,
    sandwich,
)

VCOV_CHOICES = ("iid", "hetero", "{'CRV1': column}", "{'CRV1': 'a+b'}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_SPECIAL = re.compile(r"^(i|sunab)\((.*)\)$", re.DOTALL)
FEW_TREATED_CLUSTERS = 10
"""Below this many clusters holding treated rows (rows where a 0/1 regressor is 1), ``fit``
warns: cluster-robust tests over-reject when few clusters are treated, whatever the total
number of clusters (MacKinnon & Webb 2017, "Wild bootstrap inference for wildly different
cluster sizes"; Conley & Taber 2011). The DID estimators use the same number
(``replicate.models._common``; fit cannot import that module, which imports fit)."""


class FewTreatedClustersWarning(UserWarning):
    """The treated rows of a 0/1 regressor lie in one or few clusters."""


@dataclass(frozen=True)
class Formula:
    """A parsed formula: outcome, regressor terms and absorbed effects (``a#b`` form)."""

    text: str
    outcome: str
    terms: tuple[str, ...]
    absorb: tuple[str, ...]

    @property
    def plain(self) -> bool:
        """True when every regressor term is a column name."""
        return all(_NAME.match(t) for t in self.terms)


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse(formula: str) -> Formula:
    """Parse ``"y ~ x1 + x2 | fe1 + a^b"``; raise ``ValueError`` with the fix otherwise."""
    if isinstance(formula, str) and len(_split_top(formula, "|")) > 2:
        raise ValueError(
            f"formula {formula!r} has more than two parts after '~'; only 'regressors | fixed "
            "effects' is supported (no instrumental variables)."
        )
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ValueError(
            f"formula {formula!r} needs exactly one '~', e.g. 'nqp ~ did + fdi | city_id + year'."
        )
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if not _NAME.match(lhs):
        raise ValueError(
            f"the outcome {lhs!r} must be a column name (transform it into a column first); "
            "one outcome per fit."
        )
    sides = _split_top(rhs, "|")
    terms = tuple(t for t in _split_top(sides[0], "+") if t and t != "1")
    if any(t in ("0", "-1") or t.startswith("-") for t in terms) or "- 1" in sides[0]:
        raise ValueError(
            "removing the constant ('0' or '-1') is not supported: the constant is always "
            "reported, as Stata's _cons; drop the term."
        )
    if not terms:
        raise ValueError(f"formula {formula!r} has no regressors; add at least one, e.g. 'did'.")
    absorb: tuple[str, ...] = ()
    if len(sides) == 2:
        effects = [t for t in _split_top(sides[1], "+") if t]
        if effects == ["0"]:
            effects = []
        for effect in effects:
            parts = [p.strip() for p in effect.split("^")]
            if not all(_NAME.match(p) for p in parts):
                raise ValueError(
                    f"fixed effect {effect!r} is not supported: name columns, joined by '^' "
                    "for an interaction (e.g. 'province^year'); varying slopes are not."
                )
        absorb = tuple(fe.INTERACTION.join(p.strip() for p in e.split("^")) for e in effects)
    return Formula(formula.strip(), lhs, terms, absorb)


def _vcov(vcov) -> tuple[str, str | None]:
    if vcov == "iid":
        return "unadjusted", None
    if vcov == "hetero":
        return "robust", None
    if isinstance(vcov, Mapping) and list(vcov) == ["CRV1"] and isinstance(vcov["CRV1"], str):
        parts = [p.strip() for p in vcov["CRV1"].split("+")]
        if not all(_NAME.match(p) for p in parts) or len(parts) > 2 or len(set(parts)) < len(parts):
            raise ValueError(
                f"vcov={dict(vcov)!r}: name one cluster column, or two joined by '+' for two-way "
                "clustering (as pyfixest); e.g. {'CRV1': 'city_id'} or {'CRV1': 'city_id+year'}."
            )
        return "cluster", "+".join(parts)
    raise ValueError(f"vcov={vcov!r} is not allowed; choose one of {list(VCOV_CHOICES)}.")


def regression_scale(data) -> Mapping[str, float]:
    """The factors a Panel's variables are multiplied by before a regression: its
    ``meta["regression_scale"]`` or ``regression_scale`` attribute when it carries one,
    else :data:`replicate.data.schema.REGRESSION_SCALE`. (Not applied to a DataFrame.)"""
    from replicate.data.schema import REGRESSION_SCALE

    meta = getattr(data, "meta", None)
    if isinstance(meta, Mapping) and "regression_scale" in meta:
        return meta["regression_scale"]
    return getattr(data, "regression_scale", REGRESSION_SCALE)


_regression_scale = regression_scale  # the name replicate.models._common imports


def _terms(frame: pd.DataFrame, terms: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Columns for the non-plain terms, built by formulaic (treatment coding)."""
    from formulaic import Formula as Formulaic

    matrix = Formulaic("1 + " + " + ".join(terms)).get_model_matrix(frame, na_action="raise")
    matrix = pd.DataFrame(matrix).drop(columns="Intercept", errors="ignore")
    matrix.index = frame.index
    return matrix, [str(c) for c in matrix.columns]


def _required(terms: list[str]) -> list[str]:
    from formulaic import Formula as Formulaic

    if not terms:
        return []
    try:
        return sorted(Formulaic("1 + " + " + ".join(terms)).required_variables)
    except Exception as err:  # formulaic's own parse errors, reworded
        raise ValueError(f"cannot read the regressor terms {terms}: {err}") from None


# ----------------------------------------------------------------------------- i() and sunab()


@dataclass(frozen=True)
class _Special:
    """Indicator columns built for one ``i()`` or ``sunab()`` term."""

    columns: dict[str, np.ndarray]
    needs: tuple[str, ...]
    sunab: tuple[tuple[str, int, int], ...] = ()
    """For sunab: (column name, cohort, relative period) of each cell."""
    period: str = ""


def _call_args(term: str) -> tuple[str, list[str], dict[str, object]]:
    """``"i(year, treated, ref=2010)"`` → ``("i", ["year", "treated"], {"ref": 2010})``."""
    match = _SPECIAL.match(term.replace(" ", ""))
    if match is None:
        raise ValueError(f"cannot read the term {term!r}")
    name, inner = match.groups()
    args, kwargs = [], {}
    for part in (p for p in _split_top(inner, ",") if p):
        if "=" in part:
            key, value = (x.strip() for x in part.split("=", 1))
            try:
                kwargs[key.replace(".", "_")] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                kwargs[key.replace(".", "_")] = value.strip("\"'")
        else:
            args.append(part)
    return name, args, kwargs


def _special_needs(term: str) -> tuple[str, ...]:
    name, args, kwargs = _call_args(term)
    allowed = {"i": ({"ref"}, (1, 2)), "sunab": ({"ref_p"}, (2, 2))}[name]
    usage = (
        "i(var), i(var, ref=level), i(var, x) or i(var, x, ref=level)"
        if name == "i"
        else "sunab(cohort, period) or sunab(cohort, period, ref_p=-1)"
    )
    if set(kwargs) - allowed[0] or not allowed[1][0] <= len(args) <= allowed[1][1]:
        raise ValueError(f"the term {term!r} is not supported; write {usage}.")
    bad = [a for a in args if not _NAME.match(a)]
    if bad:
        raise ValueError(f"the term {term!r}: {bad} must be column names; write {usage}.")
    return tuple(args)


def _level(value) -> str:
    return str(value.item() if hasattr(value, "item") else value)


def _expand_i(frame: pd.DataFrame, term: str) -> _Special:
    _, args, kwargs = _call_args(term)
    var = args[0]
    values = frame[var]
    levels = pd.unique(values.dropna())
    try:
        levels = np.sort(levels)
    except TypeError:
        levels = np.array(sorted(levels, key=str), dtype=object)
    if "ref" in kwargs:
        ref = kwargs["ref"]
        matches = [lv for lv in levels if lv == ref or _level(lv) == _level(ref)]
        if not matches:
            raise ValueError(
                f"the term {term!r}: ref={ref!r} is not a value of {var!r} (values: "
                f"{[_level(v) for v in levels[:10]]}{' …' if len(levels) > 10 else ''})."
            )
        levels = [lv for lv in levels if lv is not matches[0] and not lv == matches[0]]
    elif len(args) == 1:
        levels = list(levels[1:])  # pyfixest: the first level is the reference
    x = frame[args[1]].to_numpy(float) if len(args) == 2 else None
    columns = {}
    raw = values.to_numpy()
    for lv in levels:
        name = f"{var}::{_level(lv)}" + (f":{args[1]}" if x is not None else "")
        hit = (raw == lv).astype(float)
        column = hit * x if x is not None else hit
        if column.any():  # a level whose x is 0 throughout carries nothing (pyfixest drops it)
            columns[name] = column
    return _Special(columns, tuple(args))


def never_treated_cohort(cohort: np.ndarray, last_period: float) -> np.ndarray:
    """Which cohort values mean "never treated in the sample": 0, missing, ±inf, or after
    the last period."""
    cohort = np.asarray(cohort, float)
    return np.isnan(cohort) | np.isinf(cohort) | (cohort == 0) | (cohort > last_period)


def _expand_sunab(frame: pd.DataFrame, term: str) -> _Special:
    _, (cohort_col, period_col), kwargs = _call_args(term)
    ref = kwargs.get("ref_p", -1)
    if not isinstance(ref, int | np.integer):
        raise ValueError(f"the term {term!r}: ref_p={ref!r} must be an integer relative period.")
    cohort = pd.to_numeric(frame[cohort_col], errors="coerce").to_numpy(float)
    period = pd.to_numeric(frame[period_col], errors="coerce").to_numpy(float)
    for col, values in ((cohort_col, cohort), (period_col, period)):
        text = np.isnan(values) & frame[col].notna().to_numpy()
        if text.any() or (col == period_col and np.isnan(values).any()):
            raise ValueError(
                f"the term {term!r}: column {col!r} must be numeric without missing periods "
                f"({int((text | np.isnan(values) & (col == period_col)).sum())} rows are not); "
                "fix: convert or drop those rows."
            )
    never = never_treated_cohort(cohort, period.max())
    rel = period - cohort
    if not np.allclose(rel[~never], np.round(rel[~never])):
        raise ValueError(
            f"the term {term!r}: period − cohort is not a whole number in some rows; "
            f"{period_col!r} and {cohort_col!r} must count the same periods."
        )
    treated = ~never & (rel != ref)
    cells = sorted({(int(c), int(k)) for c, k in zip(cohort[treated], rel[treated], strict=True)})
    if not cells:
        raise ValueError(f"the term {term!r}: no treated cohort in the data.")
    if not never.any():
        raise ValueError(
            f"the term {term!r}: no never-treated units (cohort 0, missing, ±inf or after the "
            f"last {period_col}); the Sun–Abraham interactions need them as controls."
        )
    columns, info = {}, []
    for c, k in cells:
        name = f"{period_col}::{k}:cohort::{c}"
        columns[name] = (treated & (cohort == c) & (rel == k)).astype(float)
        info.append((name, c, k))
    return _Special(columns, (cohort_col, period_col), tuple(info), period_col)


def _aggregate_sunab(result: TWFEResults, special: _Special) -> TWFEResults:
    """fixest's default ``sunab`` aggregation: cells → relative-period effects."""
    names = list(result.params.index)
    kept = [(n, c, k) for n, c, k in special.sunab if n in names]
    periods = sorted({k for _, _, k in kept})
    out_names, rows = [], []
    weight_of = {n: float(special.columns[n][result.sample].sum()) for n, _, _ in kept}
    start = names.index(kept[0][0])
    cell_names = {n for n, _, _ in kept}
    before = [n for n in names[:start] if n not in cell_names]
    after = [n for n in names[start:] if n not in cell_names]
    for n in before:
        out_names.append(n)
        rows.append(np.eye(len(names))[names.index(n)])
    for k in periods:
        row = np.zeros(len(names))
        members = [n for n, _, kk in kept if kk == k]
        total = sum(weight_of[n] for n in members)
        for n in members:
            row[names.index(n)] = weight_of[n] / total
        out_names.append(f"{special.period}::{k}")
        rows.append(row)
    for n in after:
        out_names.append(n)
        rows.append(np.eye(len(names))[names.index(n)])
    A = np.vstack(rows)
    params = pd.Series(A @ result.params.to_numpy(), index=out_names, name=result.params.name)
    cov = A @ result.cov.to_numpy() @ A.T
    return _with_cov(result, params, cov)


def _with_cov(result: TWFEResults, params: pd.Series, cov: np.ndarray, **changes) -> TWFEResults:
    """``result`` with new coefficients/covariance and the t statistics, p-values to match."""
    names = list(params.index)
    variance = np.diag(cov)
    se = pd.Series(np.sqrt(np.where(variance >= 0, variance, np.nan)), index=names)
    tstats = params / se
    df = changes.get("df_resid", result.df_resid)
    pvalues = pd.Series(2 * stats.t.sf(np.abs(tstats), df), index=names)
    return replace(
        result,
        params=params,
        std_errors=se,
        tstats=tstats,
        pvalues=pvalues,
        cov=pd.DataFrame(cov, index=names, columns=names),
        **changes,
    )


# ----------------------------------------------------------------------------- clustering


def _two_way(model: TWFE, result: TWFEResults, parts: list[str], small_sample: str) -> TWFEResults:
    """Cameron, Gelbach & Miller (2011) two-way clustering, pyfixest's convention.

    ``V = V_a + V_b − V_{a∩b}``, each a one-way clustered sandwich with the same factor
    ``G/(G−1) · (N−1)/(N−K)`` with ``G = min(G_a, G_b)`` (fixest's and pyfixest's default
    ``G_df="min"``; reghdfe's too) and fixed effects nested in any of the three cluster
    variables counted as redundant (pyfixest ``k_fixef="nonnested"``); t with
    ``min(G) − 1`` degrees of freedom. Standard errors whose variance comes out negative
    (the sum is not always positive semi-definite) are reported as NaN with a warning.
    """
    frame = model.data
    inter = "_cluster_" + "_x_".join(parts)
    codes = {p: fe.factorize(frame[p].to_numpy()[model.sample]) for p in parts}
    both = fe.factorize(codes[parts[0]] * (int(codes[parts[1]].max()) + 1) + codes[parts[1]])
    groups = {**{p: codes[p] for p in parts}, inter: both}
    sizes = {k: int(v.max()) + 1 for k, v in groups.items()}
    g_min = min(sizes[p] for p in parts)
    if g_min < 2:
        raise ValueError(
            f"two-way clustering on {parts}: {g_min} cluster in one of them; each needs at least two."
        )
    n, k = model.X_tilde.shape
    nested = [
        c for c in model.codes if any(fe.is_nested(c, groups[key]) for key in groups)
    ]  # an effect nested in any cluster variable is redundant (pyfixest, reghdfe)
    not_nested = fe.absorbed_rank(model.codes) - (fe.absorbed_rank(nested) if nested else 0)
    extra = {"reghdfe": 1, "xtreg": 0, "none": None}[small_sample]
    scale = 1.0 if extra is None else g_min / (g_min - 1) * (n - 1) / (n - k - not_nested - extra)
    xbar = cross(model.w, model.X) / model.sum_w
    design = np.column_stack([model.X_tilde + model.root[:, None] * xbar, model.root])
    resid = result.resid
    total = np.zeros((k + 1, k + 1))
    for sign, key in ((1, parts[0]), (1, parts[1]), (-1, inter)):
        full = sandwich(design, resid, "cluster", groups[key], scale)
        full[:k, :k] = sandwich(model.X_tilde, resid, "cluster", groups[key], scale)
        total += sign * full
    if (np.diag(total) < 0).any():
        warnings.warn(
            f"two-way clustering on {parts}: the variance of "
            f"{[n for n, v in zip(result.params.index, np.diag(total), strict=True) if v < 0]} "
            "is negative (V_a + V_b − V_ab is not positive semi-definite); their standard "
            "errors are NaN. Cluster on the coarser variable alone.",
            UserWarning,
            stacklevel=3,
        )
    if g_min < FEW_CLUSTERS:
        warnings.warn(
            f"only {g_min} clusters in the smaller of {parts}: cluster-robust standard errors are "
            f"unreliable with fewer than {FEW_CLUSTERS} clusters.",
            UserWarning,
            stacklevel=3,
        )
    text = (
        f"clustered two-way by {parts[0]} and {parts[1]} ({sizes[parts[0]]} and "
        f"{sizes[parts[1]]} clusters; Cameron–Gelbach–Miller, G = {g_min} in the correction), "
        f"{small_sample} small-sample correction"
    )
    return _with_cov(
        result,
        result.params,
        total,
        df_resid=g_min - 1,
        n_clusters=g_min,
        cluster="+".join(parts),
        inference=text,
    )


def treated_clusters(frame: pd.DataFrame, regressor: str, cluster: str) -> int | None:
    """How many clusters hold the rows where a 0/1 ``regressor`` is 1 (None if not 0/1):
    every such row counts, as in :func:`replicate.models._common.treated_clusters`."""
    values = frame[regressor]
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        return None
    v = values.to_numpy(float)
    if not np.isin(v, (0.0, 1.0)).all() or v.min() == v.max():
        return None
    return int(frame.loc[v == 1, cluster].nunique())


def _warn_treated_clusters(work: pd.DataFrame, result: TWFEResults, plain: list[str]) -> None:
    """Warn when the 1s of a 0/1 regressor the user named lie in few clusters."""
    if result.cov_type != "cluster" or not result.cluster:
        return
    sample = work.loc[result.sample]
    parts = [p for p in result.cluster.split("+") if p in sample.columns]
    few = []
    for name in plain:
        if name not in result.params.index:
            continue
        counts = [treated_clusters(sample, name, p) for p in parts]
        if counts and None not in counts and min(counts) < FEW_TREATED_CLUSTERS:
            part = parts[int(np.argmin(counts))]
            few.append(
                f"{name!r} is 1 in {min(counts)} of {sample[part].nunique()} {part} clusters"
            )
    if few:
        warnings.warn(
            "few treated clusters: "
            + "; ".join(few)
            + f" (fewer than {FEW_TREATED_CLUSTERS}). Cluster-robust standard errors and "
            "p-values over-reject when few clusters are treated, however many clusters there "
            "are (MacKinnon & Webb 2017); use randomization inference "
            "(replicate.models.inference.permutation_test, valid with one treated cluster) or "
            "the wild cluster bootstrap.",
            FewTreatedClustersWarning,
            stacklevel=3,
        )


def fit(
    formula: str,
    data,
    *,
    vcov: str | Mapping[str, str] | None = None,
    small_sample: SmallSample = "reghdfe",
    weights: str | None = None,
    drop_singletons: bool = True,
) -> TWFEResults:
    """Estimate a linear model with absorbed fixed effects from a fixest-style formula.

    Parameters
    ----------
    formula : str
        ``"outcome ~ x1 + x2 | fe1 + fe2 + a^b"`` (see the module docstring).
    data : Panel or DataFrame
        A Panel is put on its regression scale first; a DataFrame is used as is.
    vcov : {"iid", "hetero"}, {"CRV1": column} or {"CRV1": "a+b"}, optional
        Standard errors: homoskedastic, heteroskedasticity-robust, clustered on a column, or
        clustered two ways (Cameron, Gelbach & Miller 2011; pyfixest's convention, see
        :func:`_two_way`).
        Default: clustered on the first fixed effect (fixest's default), ``"iid"`` without
        fixed effects.
    small_sample : {"reghdfe", "xtreg", "none"}
        Small-sample convention (see :mod:`replicate.models.twfe`).
    weights : str, optional
        Column of non-negative analytic weights; rows of weight zero are left out.
    drop_singletons : bool
        Drop observations alone in a fixed-effect group, iteratively, as ``reghdfe`` does.

    Returns
    -------
    TWFEResults
        ``params``, ``std_errors``, ``pvalues``, ``conf_int()``, ``tidy()``, ``summary()``,
        ``nobs``, ``rsquared``, ``absorb`` (the effects absorbed, ``a#b`` for ``a^b``),
        ``formula``, ``collinear`` (regressors dropped) and the inference used.

    Raises
    ------
    ValueError
        Bad formula or option; missing columns; missing or infinite values (naming the
        column and rows); a constant outcome; fewer than two clusters. A warning is issued
        for fewer than 30 clusters, for regressors dropped as collinear, and
        (:class:`FewTreatedClustersWarning`) when the 1s of a 0/1 regressor named in the
        formula lie in fewer than :data:`FEW_TREATED_CLUSTERS` clusters.

    Examples
    --------
    >>> from replicate.data import load_panel                                  # doctest: +SKIP
    >>> res = fit("nqp ~ did + fdi | city_id + year", load_panel("synthetic"))  # doctest: +SKIP
    >>> res.tidy()                                                             # doctest: +SKIP
    """
    parsed = parse(formula)
    cov_type, cluster = _vcov(vcov) if vcov is not None else (None, None)
    if cov_type is None:
        first = parsed.absorb[0] if parsed.absorb else None
        cov_type, cluster = ("cluster", first) if first else ("unadjusted", None)
    check_choice("small_sample", small_sample, SmallSample)
    frame = getattr(data, "frame", data)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"data must be a Panel or a DataFrame, not {type(data).__name__}.")
    fe_columns = [p for a in parsed.absorb for p in a.split(fe.INTERACTION)]
    plain = [t for t in parsed.terms if _NAME.match(t)]
    special_terms = [t for t in parsed.terms if _SPECIAL.match(t.replace(" ", ""))]
    complex_terms = [t for t in parsed.terms if not _NAME.match(t) and t not in special_terms]
    if sum(t.replace(" ", "").startswith("sunab(") for t in special_terms) > 1:
        raise ValueError("one sunab() term per formula.")
    special_needs = [c for t in special_terms for c in _special_needs(t)]
    multiway = bool(cluster) and "+" in cluster
    cluster_parts = (
        cluster.split("+") if multiway else cluster.split(fe.INTERACTION) if cluster else []
    )
    wanted = [
        parsed.outcome,
        *plain,
        *special_needs,
        *_required(complex_terms),
        *fe_columns,
        *cluster_parts,
    ]
    wanted = list(dict.fromkeys([*wanted, *([weights] if weights else [])]))
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ValueError(
            f"columns {missing} are not in the data; available: {sorted(map(str, frame.columns))}."
        )
    work = frame[wanted].copy()  # only the columns the model uses; the caller's data untouched
    if frame is not data:  # a Panel: put variables on the regressions' scale
        for name, factor in regression_scale(data).items():
            if name in work.columns:
                work[name] = work[name] * factor
    if cluster and not multiway and fe.INTERACTION in cluster:  # default on an interacted effect
        work[cluster] = fe.encode(work, [cluster])[0]
    regressors = list(plain)
    sunab = None
    if special_terms:
        i_needs = [
            c for t in special_terms if t.lstrip().startswith("i(") for c in _special_needs(t)
        ]
        check_finite(work, i_needs, [])  # a missing level would silently join the reference
        built = {}
        for term in special_terms:
            expanded = (_expand_sunab if term.lstrip().startswith("sunab") else _expand_i)(
                work, term
            )
            sunab = expanded if expanded.sunab else sunab
            built.update(expanded.columns)
        new = {k: v for k, v in built.items() if k not in work.columns}
        work = pd.concat([work, pd.DataFrame(new, index=work.index)], axis=1)
        regressors += [c for c in built if c not in regressors]
    if complex_terms:
        check_finite(work, _required(complex_terms), [])
        matrix, columns = _terms(work, complex_terms)
        new = [c for c in columns if c not in work.columns]
        work = pd.concat([work, matrix[new]], axis=1)
        regressors += [c for c in columns if c not in regressors]
    model = TWFE(
        work,
        parsed.outcome,
        regressors,
        parsed.absorb,
        drop_singletons=drop_singletons,
        weights=weights,
    )
    first_cluster = cluster_parts[0] if multiway else cluster or ""
    result = model.fit(cov_type=cov_type, cluster=first_cluster, small_sample=small_sample)
    if multiway:
        result = _two_way(model, result, cluster_parts, small_sample)
    _warn_treated_clusters(work, result, plain)
    if sunab is not None:
        result = _aggregate_sunab(result, sunab)
    return replace(result, formula=parsed.text, data_label=getattr(data, "label", None))
