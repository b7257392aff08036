"""Fixed-effect algebra: within transformation, singleton removal, absorbed degrees of freedom.

Pure functions on integer-coded fixed effects (``codes[j][i]`` is observation ``i``'s level
of fixed effect ``j``, numbered 0..L_j-1). The method of alternating projections is the one
``reghdfe`` uses (Correia 2016, "A feasible estimator for linear models with multi-way
fixed effects"); on this project's panels it converges in a few sweeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

DEMEAN_TOL = 1e-13
"""Convergence tolerance of the alternating projections (max absolute change per sweep)."""


def encode(frame: pd.DataFrame, columns: Sequence[str]) -> list[np.ndarray]:
    """Integer codes 0..L-1 for each fixed-effect column; ``a#b`` interacts two columns."""
    codes = []
    for name in columns:
        parts = name.split("#")
        key = (
            frame[parts[0]].astype(str)
            if len(parts) == 1
            else frame[parts].astype(str).agg("#".join, axis=1)
        )
        codes.append(pd.factorize(key, sort=True)[0].astype(np.int64))
    return codes


def demean(
    values: np.ndarray,
    codes: Sequence[np.ndarray],
    tol: float = DEMEAN_TOL,
    max_sweeps: int = 10_000,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Residuals of ``values`` (n × p) on all fixed effects, by alternating projections.

    With ``weights`` the projections use weighted group means: the within transformation
    of weighted least squares.
    """
    out = np.array(values, dtype=float, copy=True)
    if out.ndim == 1:
        out = out[:, None]
    if not codes:
        return out
    w = np.ones(out.shape[0]) if weights is None else np.asarray(weights, float)
    counts = [np.bincount(c, weights=w) for c in codes]
    for _ in range(max_sweeps):
        change = 0.0
        for c, n in zip(codes, counts, strict=True):
            sums = np.vstack(
                [
                    np.bincount(c, weights=w * out[:, j], minlength=n.size)
                    for j in range(out.shape[1])
                ]
            ).T
            means = sums / np.where(n > 0, n, 1.0)[:, None]
            out -= means[c]
            change = max(change, float(np.abs(means).max(initial=0.0)))
        if change < tol or len(codes) == 1:
            return out
    raise RuntimeError(
        f"fixed-effect demeaning did not converge in {max_sweeps} sweeps (last change {change:.2e})."
    )


def singleton_mask(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Observations kept after iteratively dropping singleton groups of any fixed effect.

    ``reghdfe`` drops observations that are alone in a fixed-effect group, repeating until
    none is left, because they are fit perfectly and only shrink standard errors
    (Correia 2015, "Singletons, cluster-robust standard errors and fixed effects").
    """
    keep = np.ones(codes[0].size if codes else 0, dtype=bool)
    changed = True
    while changed:
        changed = False
        for c in codes:
            sizes = np.bincount(c[keep], minlength=c.max() + 1 if c.size else 0)
            alone = keep & (sizes[c] == 1)
            if alone.any():
                keep &= ~alone
                changed = True
    return keep


def _dummy_rank(codes: Sequence[np.ndarray]) -> int:
    """Rank of the stacked fixed-effect dummy matrix (exact, via its Gram matrix)."""
    if not codes:
        return 0
    n = codes[0].size
    blocks = [
        sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, c.max() + 1)) for c in codes
    ]
    dummies = sparse.hstack(blocks).tocsc()
    gram = (dummies.T @ dummies).toarray()
    return int(np.linalg.matrix_rank(gram))


def is_nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True when every level of ``inner`` lies within a single level of ``outer``."""
    pairs = pd.DataFrame({"inner": inner, "outer": outer}).drop_duplicates()
    return not pairs["inner"].duplicated().any()


@dataclass(frozen=True)
class AbsorbedDoF:
    """Degrees of freedom used by the absorbed fixed effects.

    Attributes
    ----------
    total : int
        Rank of all fixed-effect dummies together (includes the intercept).
    nested : tuple of bool
        Whether each fixed effect is nested within the cluster variable.
    not_nested : int
        Degrees of freedom of the fixed effects beyond those nested in the clusters:
        ``rank(all) - rank(nested ones)``; equals ``total`` without clustering.
    """

    total: int
    nested: tuple[bool, ...]
    not_nested: int


def absorbed_dof(codes: Sequence[np.ndarray], cluster: np.ndarray | None = None) -> AbsorbedDoF:
    """Count the fixed effects' degrees of freedom, exactly (redundancies removed)."""
    total = _dummy_rank(codes)
    if cluster is None:
        return AbsorbedDoF(total, tuple(False for _ in codes), total)
    nested = tuple(is_nested(c, cluster) for c in codes)
    nested_rank = _dummy_rank([c for c, k in zip(codes, nested, strict=True) if k])
    return AbsorbedDoF(total, nested, total - nested_rank)
