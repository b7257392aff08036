"""Why a staggered TWFE coefficient misses the average effect on the treated, when the truth is known.

Goodman-Bacon (2021, Theorem 1) writes the TWFE coefficient of a binary staggered
treatment as a weighted average of 2×2 DIDs, ``β = Σ_k w_k β̂_k``
(:func:`replicate.models.staggered.bacon_decomposition`). Each 2×2 compares a treated
group ``T`` with a control group ``C`` between a pre and a post window, and since
``Y = Y(0) + τ`` it splits into three parts (Goodman-Bacon 2021, eqs. 10–15):

``β̂_k = DID_k[Y(0)] + τ_k − Δτ^C_k``

* ``τ_k`` — the treated group's mean effect in the post window minus the pre window (its
  effect, the comparison's own estimand);
* ``Δτ^C_k`` — the *control* group's change in effect between the windows: zero for
  never-treated and not-yet-treated controls, the growth of the early group's effect when
  an already-treated group is the control (the "forbidden comparison");
* ``DID_k[Y(0)]`` — the 2×2 DID of the untreated outcomes: a violation of parallel trends
  plus sampling noise (mean zero over draws when parallel trends hold).

With ``Σ_k w_k = 1`` the bias of TWFE against the ATT of treated unit-periods is exactly

``β − ATT = Σ_k w_k (τ_k − ATT)  −  Σ_k w_k Δτ^C_k  +  Σ_k w_k DID_k[Y(0)]``

— *variance weighting* (the comparisons' own effects weighted by TWFE's weights instead
of by treated unit-periods), *forbidden comparisons* (already-treated controls) and
*noise / trend violation*, each summed per comparison type. Needs the true effect of
every unit-period, so it applies to a synthetic twin (``panel.truth.tau``), not to real
data. Written here: no package decomposes the bias against a known truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from replicate.models import staggered as st
from replicate.models._common import resolve

PARTS = ("variance weighting", "forbidden comparison", "noise and trend violation")
"""The three parts of the bias, in the order of :attr:`TWFEBias.by_type`'s columns."""


def windows(kind: str, treated: float, control: float, years: np.ndarray) -> tuple:
    """Pre and post windows (boolean masks over ``years``) of one Goodman-Bacon 2×2.

    As in Goodman-Bacon (2021, Figure 2): against untreated or always-treated controls the
    whole sample, split at the treated group's first year; early vs late before the late
    group's first year; late vs early from the early group's first year on.
    """
    if kind in (st.TREATED_VS_UNTREATED, st.LATER_VS_ALWAYS):
        inside = np.ones(len(years), bool)
    elif kind == st.EARLIER_VS_LATER:
        inside = years < control
    elif kind == st.LATER_VS_EARLIER:
        inside = years >= control
    else:
        raise ValueError(f"unknown comparison type {kind!r}; expected one of {st.BACON_TYPES}.")
    return inside & (years < treated), inside & (years >= treated)


@dataclass(frozen=True, eq=False)
class TWFEBias:
    """TWFE's bias against the ATT, split by comparison type and by source.

    Attributes
    ----------
    comparisons : DataFrame
        The Goodman-Bacon 2×2s (``type``, ``treated``, ``control``, ``weight``,
        ``estimate``) with ``own_effect`` (τ_k), ``control_change`` (Δτ^C_k) and
        ``untreated_did`` (DID_k[Y(0)]).
    twfe, att : float
        The TWFE coefficient and the true ATT of treated unit-periods.
    """

    comparisons: pd.DataFrame
    twfe: float
    att: float

    @property
    def bias(self) -> float:
        return self.twfe - self.att

    def by_type(self) -> pd.DataFrame:
        """Weight and the three parts of the bias per comparison type (rows sum to ``bias``)."""
        c = self.comparisons
        w = c["weight"]
        parts = pd.DataFrame(
            {
                "weight": w,
                PARTS[0]: w * (c["own_effect"] - self.att),
                PARTS[1]: -w * c["control_change"],
                PARTS[2]: w * c["untreated_did"],
            }
        ).groupby(c["type"], sort=False)
        table = parts.sum()
        table["total"] = table[list(PARTS)].sum(axis=1)
        return table

    def by_part(self) -> pd.Series:
        """The three parts of the bias (summed over comparison types) and their total."""
        return self.by_type()[[*PARTS, "total"]].sum()


def true_effects(twin) -> pd.DataFrame:
    """``city_id``, ``year`` and ``tau`` (the true effect) of a synthetic twin, to merge
    onto its panel by key (``twin.truth.tau`` is in the twin's generation order, which
    is not the panel's sorted order)."""
    return twin.frame[["city_id", "year"]].assign(tau=twin.truth.tau.to_numpy())


def twfe_bias(
    data: Any,
    outcome: str,
    tau: str | Sequence[float] | np.ndarray,
    *,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    att: float | None = None,
) -> TWFEBias:
    """Decompose the bias of the staggered TWFE coefficient against a known truth.

    Parameters
    ----------
    data : Panel or DataFrame
        A balanced panel (as :func:`~replicate.models.staggered.bacon_decomposition`).
    outcome : str
        The outcome.
    tau : str or array
        The true effect of each row: a column name (merge :func:`true_effects` onto the
        panel), or values in the data's row order.
    unit, time, cohort : str, optional
        As in :mod:`replicate.models._common`.
    att : float, optional
        The target; default: the mean of ``tau`` over treated rows (``did = 1``).

    Returns
    -------
    TWFEBias
        ``by_type()`` and ``by_part()`` sum exactly to ``twfe − att``.
    """
    design = resolve(
        data, outcome, unit=unit, time=time, cohort=cohort, method="twfe_bias", warn=False
    )
    frame = design.frame
    if isinstance(tau, str):
        if tau not in frame.columns:
            raise ValueError(f"twfe_bias: tau={tau!r} is not a column of the data.")
        effect = frame[tau].to_numpy(float)
    else:
        effect = np.asarray(tau, float)
        if effect.shape != (len(frame),):
            raise ValueError(
                f"twfe_bias: tau has {effect.size} values for {len(frame)} rows; pass one true "
                "effect per row, in the data's row order (e.g. twin.truth.tau)."
            )
    if not np.isfinite(effect).all():
        raise ValueError("twfe_bias: tau has missing or infinite values; give every row's effect.")
    bacon = st.bacon_decomposition(
        frame, outcome, unit=design.unit, time=design.time, cohort=design.cohort
    )
    g = pd.Series(design.sample_cohort, index=frame.index)
    years = np.sort(frame[design.time].unique())
    g = g.where(~((g > 0) & (g <= years[0])), years[0])  # always treated, as Goodman-Bacon
    keys = [g.to_numpy(), frame[design.time].to_numpy()]
    paths = {
        name: pd.Series(values, index=frame.index).groupby(keys).mean().unstack()[years]
        for name, values in (("y", frame[outcome].to_numpy(float)), ("tau", effect))
    }

    def change(name: str, group: float, pre: np.ndarray, post: np.ndarray) -> float:
        row = paths[name].loc[group].to_numpy()
        return float(row[post].mean() - row[pre].mean())

    rows = []
    for r in bacon.comparisons.itertuples(index=False):
        pre, post = windows(r.type, r.treated, r.control, years)
        own = change("tau", r.treated, pre, post)
        control = change("tau", r.control, pre, post)
        did_y = change("y", r.treated, pre, post) - change("y", r.control, pre, post)
        rows.append((own, control, did_y - own + control))
    extra = pd.DataFrame(rows, columns=["own_effect", "control_change", "untreated_did"])
    comparisons = pd.concat([bacon.comparisons.reset_index(drop=True), extra], axis=1)
    treated = design.treated.astype(bool)
    target = float(effect[treated].mean()) if att is None else float(att)
    return TWFEBias(comparisons, float(bacon.estimate), target)
