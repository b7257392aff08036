"""Rambachan & Roth (2023) sensitivity of event-study conclusions to parallel-trends violations.

Thin wrappers around the ``moderndid`` port of R's HonestDiD (validated against the
HonestDiD README's Medicaid example in the tests): robust confidence intervals for the
first post-period effect, the average post-period effect (``target="average"``, the
event study's ``estimate``) or any ``l_vec`` combination when post-period violations are
bounded by ``M̄`` times the largest pre-period violation (relative magnitudes) or when the
slope of the violation may change by at most ``M`` per period (smoothness), and the
breakdown value — the largest restriction under which the interval still excludes zero.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from replicate._options import check_choice
from replicate.models.event_study import EventStudyResults

Kind = Literal["relative_magnitude", "smoothness"]
Target = Literal["first", "average"]
Method = Literal["C-LF", "Conditional", "FLCI", "C-F"]
METHODS = {
    "relative_magnitude": ("C-LF", "Conditional"),
    "smoothness": ("FLCI", "Conditional", "C-F", "C-LF"),
}
"""Confidence-set methods HonestDiD offers for each restriction (the first is its default)."""


def target_weights(study: EventStudyResults, target: Target) -> np.ndarray:
    """``l_vec`` of a target: the first post period (HonestDiD's default) or the equally
    weighted average of the post-period coefficients (the event study's ``estimate``)."""
    check_choice("target", target, Target)
    if target == "first":
        return np.eye(study.n_post)[0]
    return np.full(study.n_post, 1.0 / study.n_post)


def sensitivity(
    study: EventStudyResults,
    kind: Kind,
    values: Sequence[float],
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    grid_points: int = 1000,
    *,
    target: Target = "first",
    method: Method | None = None,
) -> pd.DataFrame:
    """Robust confidence intervals for each restriction in ``values`` (M̄ or M).

    Parameters
    ----------
    target : {"first", "average"}
        The effect in the first post period (HonestDiD's default) or the average of the
        post-period coefficients. ``l_vec`` (weights on the post-period coefficients), when
        given, overrides it.
    method : str, optional
        HonestDiD's confidence set: for relative magnitudes "C-LF" (the default: the
        conditional test hybridised with a least-favourable critical value, simulated for
        every pre-period and sign) or "Conditional" (Andrews, Roth & Pakes' conditional
        test alone: valid too, sometimes wider, and roughly fifty times faster here); for
        smoothness "FLCI" (default), "Conditional", "C-F" or "C-LF".
    grid_points : int
        Resolution of the test inversion (HonestDiD's default 1,000).

    The table's ``attrs`` hold the conventional interval (``original``) and the target.
    """
    import moderndid as md

    check_choice("kind", kind, Kind)
    method = METHODS[kind][0] if method is None else method
    check_choice("method", method, METHODS[kind])
    if study.n_pre < (2 if kind == "smoothness" else 1):
        raise ValueError(
            "the event study needs pre-period coefficients for a sensitivity analysis."
        )
    lv = target_weights(study, target) if l_vec is None else np.asarray(l_vec, float)
    if lv.shape != (study.n_post,):
        raise ValueError(
            f"l_vec has {lv.size} weights; the event study has {study.n_post} post-period "
            "coefficients (one weight each)."
        )
    with warnings.catch_warnings():
        # CLARABEL flags reduced accuracy on these small FLCI programs; the intervals agree
        # with R HonestDiD to 1.5e-4 (tests/test_modern_did.py), so the note is not shown.
        warnings.filterwarnings(
            "ignore", message="Solution may be inaccurate", category=UserWarning
        )
        if kind == "relative_magnitude":
            out = md.create_sensitivity_results_rm(
                study.betahat,
                study.sigma,
                study.n_pre,
                study.n_post,
                m_bar_vec=list(values),
                l_vec=lv,
                method=method,
                alpha=alpha,
                grid_points=grid_points,
            )
            key = "Mbar"
        else:
            out = md.create_sensitivity_results_sm(
                study.betahat,
                study.sigma,
                study.n_pre,
                study.n_post,
                m_vec=list(values),
                l_vec=lv,
                method=method,
                alpha=alpha,
                grid_points=grid_points,
            )
            key = "m"
        original = md.construct_original_cs(
            study.betahat, study.sigma, study.n_pre, study.n_post, l_vec=lv, alpha=alpha
        )
    table = out.to_pandas().rename(columns={"lb": "lower", "ub": "upper"}).set_index(key)
    table.index.name = "Mbar" if kind == "relative_magnitude" else "M"
    table.attrs["original"] = (float(original.lb), float(original.ub))
    table.attrs["target"] = target if l_vec is None else "l_vec"
    return table[["lower", "upper", "method"]]


def breakdown(table: pd.DataFrame) -> float:
    """Largest restriction in ``table`` whose robust interval still excludes zero (nan if none)."""
    excludes = (table["lower"] > 0) | (table["upper"] < 0)
    if not excludes.any():
        return float("nan")
    first_fail = table.index[~excludes]
    ok = table.index[excludes]
    if len(first_fail):
        ok = ok[ok < first_fail.min()]
    return float(ok.max()) if len(ok) else float("nan")


def describe_breakdown(table: pd.DataFrame, symbol: str = "M̄") -> str:
    """The breakdown value of ``table`` in words, saying why when it is not defined.

    "not defined: the conventional interval already includes zero" when the effect is not
    significant before any violation is allowed; "below the smallest value on the grid"
    when even the smallest restriction gives an interval with zero; "at least the largest
    value on the grid" when every interval excludes zero; else "{symbol} = value".
    """
    lower, upper = table.attrs.get("original", (np.nan, np.nan))
    if lower <= 0 <= upper:
        return "not defined: the conventional 95% interval already includes zero"
    value = breakdown(table)
    grid = table.index.to_numpy(float)
    if np.isnan(value):
        return f"below the smallest {symbol} on the grid ({grid.min():g})"
    if value >= grid.max():
        return f"{symbol} ≥ {value:g} (the largest value on the grid)"
    return f"{symbol} = {value:g}"
