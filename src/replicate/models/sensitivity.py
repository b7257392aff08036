"""Rambachan & Roth (2023) sensitivity of event-study conclusions to parallel-trends violations.

Thin wrappers around the ``moderndid`` port of R's HonestDiD (validated against the
HonestDiD README's Medicaid example in the tests): robust confidence intervals for the
first post-period effect (or any ``l_vec`` combination) when post-period violations are
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


def sensitivity(
    study: EventStudyResults,
    kind: Kind,
    values: Sequence[float],
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    grid_points: int = 1000,
) -> pd.DataFrame:
    """Robust confidence intervals for each restriction in ``values`` (M̄ or M).

    ``grid_points`` is the resolution of the relative-magnitude test inversion (HonestDiD's
    default 1,000; fewer points are faster and coarser).
    """
    import moderndid as md

    check_choice("kind", kind, Kind)
    if study.n_pre < (2 if kind == "smoothness" else 1):
        raise ValueError(
            "the event study needs pre-period coefficients for a sensitivity analysis."
        )
    lv = None if l_vec is None else np.asarray(l_vec, float)
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
