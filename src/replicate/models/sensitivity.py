"""Rambachan & Roth (2023) sensitivity of event-study conclusions to parallel-trends violations.

Thin wrappers around the ``moderndid`` port of R's HonestDiD (validated against the
HonestDiD README's Medicaid example in the tests): robust confidence intervals for the
first post-period effect, the average post-period effect (``target="average"``, the
event study's ``estimate``) or any ``l_vec`` combination when post-period violations are
bounded by ``M̄`` times the largest pre-period violation (relative magnitudes) or when the
slope of the violation may change by at most ``M`` per period (smoothness), and the
breakdown value — the largest restriction under which the interval still excludes zero.

Any event-study result works, read through :func:`replicate.models.protocol.event_times`:
the TWFE event study (its ``betahat``/``sigma``, unchanged), Sun–Abraham (the covariance of
its event-time effects, delta method on the cohort cells), Callaway–Sant'Anna's dynamic
aggregation (``ψ'ψ/n²`` of its influence functions — what moderndid's ``honest_did`` and R
HonestDiD's ``honest_did.AGGTEobj`` use — with the event time −1 dropped as they drop it)
and a :func:`replicate.fit` result with ``sunab()`` terms. The pre-period coefficients are
those before −1, the post-period ones from 0 on; both must be consecutive. Imputation has
no pre-period effects and is refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

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
REFERENCE = -1
"""The event time HonestDiD leaves out: pre-period coefficients are those before it."""


@dataclass(frozen=True)
class HonestInputs:
    """What HonestDiD takes: coefficients (pre periods, then post), their covariance, the
    numbers of each, and the event times they belong to."""

    betahat: np.ndarray
    sigma: np.ndarray
    n_pre: int
    n_post: int
    event_times: tuple[int, ...]
    method: str


def honest_inputs(study: Any) -> HonestInputs:
    """The coefficients and covariance a sensitivity analysis of ``study`` uses.

    A TWFE event study gives its own ``betahat``/``sigma``; any other event-study result
    its event-time effects before −1 and from 0 on, with their covariance. Raises
    ``ValueError`` naming what is missing (the covariance, pre-period effects, consecutive
    event times) and ``TypeError`` for a result without event times.
    """
    if isinstance(study, EventStudyResults):
        times = [e for e in study.pointwise.index if e != study.reference_period]
        return HonestInputs(
            np.asarray(study.betahat, float),
            np.asarray(study.sigma, float),
            int(study.n_pre),
            int(study.n_post),
            tuple(int(e) for e in times),
            "TWFE event study",
        )
    from replicate.models.protocol import event_times

    ev = event_times(study)
    if ev.reference is not None and ev.reference != REFERENCE:
        raise ValueError(
            f"{ev.method}: the reference period is {ev.reference}; HonestDiD needs the period "
            f"before treatment ({REFERENCE}) as the reference. Re-estimate with reference=-1."
        )
    if ev.vcov is None:
        raise ValueError(
            f"{ev.method}: this result does not carry the covariance of its event-time "
            "effects, which a sensitivity analysis needs (Rambachan & Roth use the full "
            "covariance, not the standard errors). Re-estimate with a version of the "
            "estimator that stores it (attribute vcov), or use the TWFE event_study."
        )
    rows = ev.estimated
    times = rows.index.to_numpy().astype(int)
    keep = times != REFERENCE  # CS with a varying base estimates −1; HonestDiD drops it
    times, beta, sigma = times[keep], rows["estimate"].to_numpy(float)[keep], ev.vcov[keep][:, keep]
    pre, post = times[times < REFERENCE], times[times >= 0]
    if pre.size == 0:
        raise ValueError(
            f"{ev.method}: no pre-period effects (event times before {REFERENCE}); a "
            "sensitivity analysis bounds post-period violations by pre-period ones."
        )
    for name, part in (("pre", pre), ("post", post)):
        if part.size > 1 and not (np.diff(part) == 1).all():
            raise ValueError(
                f"{ev.method}: the {name}-period event times {part.tolist()} are not "
                "consecutive, as HonestDiD requires."
            )
    if post.size == 0:
        raise ValueError(f"{ev.method}: no post-period effects (event times from 0 on).")
    return HonestInputs(
        beta, sigma, int(pre.size), int(post.size), tuple(int(t) for t in times), ev.method
    )


def target_weights(study: Any, target: Target) -> np.ndarray:
    """``l_vec`` of a target: the first post period (HonestDiD's default) or the equally
    weighted average of the post-period coefficients (the event study's ``estimate``)."""
    check_choice("target", target, Target)
    n_post = study.n_post if hasattr(study, "n_post") else honest_inputs(study).n_post
    if target == "first":
        return np.eye(n_post)[0]
    return np.full(n_post, 1.0 / n_post)


def sensitivity(
    study: Any,
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
    study : event-study result
        ``event_study``, ``sun_abraham``, ``callaway_santanna`` (dynamic aggregation) or a
        ``fit`` with ``sunab()`` terms (see the module docstring).
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

    The table's ``attrs`` hold the conventional interval (``original``), the target, the
    estimator and the event times used (``event_times``).
    """
    import moderndid as md

    check_choice("kind", kind, Kind)
    method = METHODS[kind][0] if method is None else method
    check_choice("method", method, METHODS[kind])
    inputs = honest_inputs(study)
    if inputs.n_pre < (2 if kind == "smoothness" else 1):
        raise ValueError(
            "the event study needs pre-period coefficients for a sensitivity analysis"
            + (" (two for smoothness)." if kind == "smoothness" else ".")
        )
    lv = target_weights(inputs, target) if l_vec is None else np.asarray(l_vec, float)
    if lv.shape != (inputs.n_post,):
        raise ValueError(
            f"l_vec has {lv.size} weights; the event study has {inputs.n_post} post-period "
            "coefficients (one weight each)."
        )
    betahat, sigma, n_pre, n_post = inputs.betahat, inputs.sigma, inputs.n_pre, inputs.n_post
    with warnings.catch_warnings():
        # CLARABEL flags reduced accuracy on these small FLCI programs; the intervals agree
        # with R HonestDiD to 1.5e-4 (tests/test_modern_did.py), so the note is not shown.
        warnings.filterwarnings(
            "ignore", message="Solution may be inaccurate", category=UserWarning
        )
        if kind == "relative_magnitude":
            out = md.create_sensitivity_results_rm(
                betahat,
                sigma,
                n_pre,
                n_post,
                m_bar_vec=list(values),
                l_vec=lv,
                method=method,
                alpha=alpha,
                grid_points=grid_points,
            )
            key = "Mbar"
        else:
            out = md.create_sensitivity_results_sm(
                betahat,
                sigma,
                n_pre,
                n_post,
                m_vec=list(values),
                l_vec=lv,
                method=method,
                alpha=alpha,
                grid_points=grid_points,
            )
            key = "m"
        original = md.construct_original_cs(betahat, sigma, n_pre, n_post, l_vec=lv, alpha=alpha)
    table = out.to_pandas().rename(columns={"lb": "lower", "ub": "upper"}).set_index(key)
    table.index.name = "Mbar" if kind == "relative_magnitude" else "M"
    table.attrs["original"] = (float(original.lb), float(original.ub))
    table.attrs["target"] = target if l_vec is None else "l_vec"
    table.attrs["estimator"] = inputs.method
    table.attrs["event_times"] = inputs.event_times
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
