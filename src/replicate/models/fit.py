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

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from replicate._options import check_choice
from replicate.models import fixed_effects as fe
from replicate.models.twfe import TWFE, SmallSample, TWFEResults, check_finite

VCOV_CHOICES = ("iid", "hetero", "{'CRV1': column}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


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
        cluster = vcov["CRV1"].strip()
        if not _NAME.match(cluster):
            raise ValueError(
                f"vcov={dict(vcov)!r}: one cluster column only (multiway clustering is not "
                "supported); e.g. {'CRV1': 'city_id'}."
            )
        return "cluster", cluster
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
    vcov : {"iid", "hetero"} or {"CRV1": column}, optional
        Standard errors: homoskedastic, heteroskedasticity-robust, or clustered on a column.
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
        for fewer than 30 clusters and for regressors dropped as collinear.

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
    complex_terms = [t for t in parsed.terms if not _NAME.match(t)]
    cluster_parts = cluster.split(fe.INTERACTION) if cluster else []
    wanted = [parsed.outcome, *plain, *_required(complex_terms), *fe_columns, *cluster_parts]
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
    if cluster and fe.INTERACTION in cluster:  # default clustering on an interacted effect
        work[cluster] = fe.encode(work, [cluster])[0]
    regressors = plain
    if complex_terms:
        check_finite(work, _required(complex_terms), [])
        matrix, columns = _terms(work, complex_terms)
        new = [c for c in columns if c not in work.columns]
        work = pd.concat([work, matrix[new]], axis=1)
        regressors = plain + [c for c in columns if c not in plain]
    model = TWFE(
        work,
        parsed.outcome,
        regressors,
        parsed.absorb,
        drop_singletons=drop_singletons,
        weights=weights,
    )
    result = model.fit(cov_type=cov_type, cluster=cluster or "", small_sample=small_sample)
    return replace(result, formula=parsed.text, data_label=getattr(data, "label", None))
