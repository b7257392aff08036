"""What the paper's printed numbers imply by themselves, with no data.

Everything here reads :mod:`replicate.paper` (the published numbers, typed once) and
nothing else: no panel, no estimation.

``implied_constants()``
    A fixed-effects regression reports its constant as ``ȳ − x̄'b`` over the estimation
    sample (``reghdfe``; Stata [XT] xtreg, Methods and formulas). With Table 1's means the
    printed constants satisfy that identity to rounding only if ``mar`` and ``fin`` enter
    in percent: the evidence for :data:`replicate.data.schema.REGRESSION_SCALE`.
``constant_units()``
    For each printed constant, whether it fits Table 1's units, percent, or both.
``published_indirect_bounds()``
    The range of the indirect effect ``a·b`` and of its Sobel z that Table 3's printed
    cells allow, given their rounding and significance stars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from replicate import paper
from replicate.data.schema import REGRESSION_SCALE

HALF_UNIT = paper.HALF_UNIT
"""Half a unit in the last printed decimal: how far a printed number can be from its value."""


def _scale(variables) -> pd.Series:
    return pd.Series(REGRESSION_SCALE, dtype=float).reindex(variables).fillna(1.0)


def implied_constants() -> pd.DataFrame:
    """Each published nqp constant against ȳ − x̄'b from Table 1 means.

    Returns one row per (table, column) whose regressors Table 1 describes, with the
    printed constant, the constant implied with the means in Table 1's units and with
    ``mar`` and ``fin`` in percent (×100), and a rounding bound: how far the implied value
    can be from the printed one when the constant, every coefficient and every mean are
    rounded to three decimals (``HALF_UNIT`` × (1 + Σ|scale·mean| + Σ|scale·coef|)).
    """
    means = paper.TABLE1["mean"]
    rows = []
    for table in (2, 3, 4):
        published = paper.published(table)
        for column in sorted(published["column"].unique()):
            cell = published[published["column"] == column].set_index("variable")
            slopes = cell.drop(index=["N", "R2", "constant"])["coef"]
            if not set(slopes.index) <= set(means.index) or "innovp" in slopes.index:
                continue  # innovp has no published mean
            outcome_mean = means.get(paper.OUTCOMES[table][column - 1])
            if outcome_mean is None or np.isnan(outcome_mean):
                continue  # innovp as the outcome: no published mean
            scale = _scale(slopes.index)
            rows.append(
                {
                    "table": table,
                    "column": column,
                    "printed constant": cell.loc["constant", "coef"],
                    "implied, Table 1 units": outcome_mean - (means[slopes.index] * slopes).sum(),
                    "implied, mar and fin in percent": outcome_mean
                    - (means[slopes.index] * scale * slopes).sum(),
                    "rounding bound": HALF_UNIT
                    * (
                        1 + (means[slopes.index] * scale).abs().sum() + (slopes * scale).abs().sum()
                    ),
                }
            )
    return pd.DataFrame(rows).set_index(["table", "column"])


def constant_units() -> pd.DataFrame:
    """Which units make each printed constant equal ȳ − x̄'b (from :func:`implied_constants`).

    Returns the printed constant, the absolute gap to the implied constant with the means
    in Table 1's units and with ``mar`` and ``fin`` in percent, the rounding bound, and
    for each reading whether its gap lies within the bound (``fits Table 1 units``,
    ``fits percent``).
    """
    implied = implied_constants()
    printed = implied["printed constant"]
    out = pd.DataFrame({"printed constant": printed})
    out["gap, Table 1 units"] = (printed - implied["implied, Table 1 units"]).abs()
    out["gap, percent"] = (printed - implied["implied, mar and fin in percent"]).abs()
    out["rounding bound"] = implied["rounding bound"]
    out["fits Table 1 units"] = out["gap, Table 1 units"] <= out["rounding bound"]
    out["fits percent"] = out["gap, percent"] <= out["rounding bound"]
    return out


def printed_interval(value: float) -> tuple[float, float]:
    """The values that print as ``value`` at :data:`paper.PRINTED_DECIMALS` decimals."""
    return value - HALF_UNIT, value + HALF_UNIT


def t_interval(n_stars: int, df: int) -> tuple[float, float]:
    """|t| range implied by the paper's stars (*** 1%, ** 5%, * 10%; Student t on ``df``)."""
    from scipy import stats

    cuts = [0.0, *(stats.t.ppf(1 - p / 2, df) for p in (0.10, 0.05, 0.01)), np.inf]
    return cuts[n_stars], cuts[n_stars + 1]


def published_indirect_bounds(df: int = 284, grid: int = 2001) -> pd.DataFrame:
    """What Table 3's printed numbers allow for the indirect effect a·b and its Sobel z.

    ``a`` (``did`` in column 1) and its s.e. are taken as printed; ``b`` (``innovp`` in
    column 2), printed as 0.001 (0.000) with one star, can be anything that rounds to the
    printed cell with |t| in the starred band: b ∈ [0.0005, 0.0015), se(b) < 0.0005 and
    1.645 ≤ |t_b| < 1.968 on ``df`` = G − 1 degrees of freedom. Scanning a ``grid`` × ``grid``
    lattice of such (b, se(b)) gives the range of a·b, of the Sobel z
    (a·b / √(b² se_a² + a² se_b²); Sobel 1982) and of its two-sided normal p-value.
    """
    from scipy import stats

    cells = paper.published(3).set_index(["column", "variable"])
    a, se_a = cells.loc[(1, "did"), ["coef", "se"]]
    b_cell = cells.loc[(2, "innovp")]
    b_lo, b_hi = printed_interval(b_cell["coef"])
    se_lo, se_hi = printed_interval(b_cell["se"])
    t_lo, t_hi = t_interval(int(b_cell["stars"]), df)
    b = np.linspace(b_lo, b_hi, grid)[:-1]
    se_b = np.linspace(max(se_lo, 0.0) + 1e-7, se_hi, grid)[:-1]
    bb, ss = np.meshgrid(b, se_b)
    t = np.abs(bb) / ss
    ok = (t >= t_lo) & (t < t_hi)
    if not ok.any():
        raise ValueError("no (b, se(b)) is consistent with Table 3's printed innovp cell.")
    indirect = a * bb[ok]
    z = indirect / np.sqrt(bb[ok] ** 2 * se_a**2 + a**2 * ss[ok] ** 2)
    return pd.DataFrame(
        {
            "minimum": [indirect.min(), z.min(), 2 * stats.norm.sf(z.max())],
            "maximum": [indirect.max(), z.max(), 2 * stats.norm.sf(z.min())],
        },
        index=["indirect effect a·b", "Sobel z", "Sobel p-value"],
    )
