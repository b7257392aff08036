"""From term counts to the index: categories, frequencies, the log index, entropy weights."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from replicate.index.dictionary import Dictionary

PER_CHARS = 10_000
"""Frequencies are counts per 10,000 characters of prepared text."""


def index_table(counts: pd.DataFrame, dictionary: Dictionary) -> pd.DataFrame:
    """Per document: total and per-category counts, frequency per 10,000 characters, and
    the paper's index ``nqp = ln(1 + count)``.

    Documents with no text (``chars == 0``) get missing frequencies and index, never 0.
    """
    terms = dictionary.terms
    out = pd.DataFrame(index=counts.index)
    out["count"] = counts[terms].sum(axis=1)
    for category, group in dictionary.table.groupby("category", sort=False):
        out[f"count_{category}"] = counts[group["term"].tolist()].sum(axis=1)
    chars = counts["chars"].astype(float).where(counts["chars"] > 0)
    out["chars"] = counts["chars"]
    out["per_10k"] = out["count"] / chars * PER_CHARS
    for category in dictionary.categories:
        out[f"per_10k_{category}"] = out[f"count_{category}"] / chars * PER_CHARS
    out["nqp"] = np.log1p(out["count"]).where(chars.notna())
    return out


@dataclass(frozen=True)
class EntropyWeights:
    """Entropy-weight composite of several indicators.

    Attributes
    ----------
    weights : Series
        Weight of each indicator (sum 1): indicators that vary more across units weigh more.
    scores : Series
        Composite per unit: Σ_j w_j · (min-max normalised indicator j).
    """

    weights: pd.Series
    scores: pd.Series


def entropy_weights(indicators: pd.DataFrame) -> EntropyWeights:
    """The entropy-weight method (Shannon 1948 entropy, as used for composite indices).

    For indicators ``x_ij`` (units i, indicators j): min-max normalise, ``p_ij = x_ij / Σ_i
    x_ij``, entropy ``e_j = −Σ_i p_ij ln p_ij / ln n``, divergence ``d_j = 1 − e_j``,
    weight ``w_j = d_j / Σ_j d_j``. A constant indicator carries no information (weight 0).
    """
    if indicators.isna().any().any():
        bad = indicators.columns[indicators.isna().any()].tolist()
        raise ValueError(f"indicators {bad} have missing values; drop those units first.")
    x = indicators.astype(float)
    span = x.max() - x.min()
    normalised = (x - x.min()) / span.where(span > 0, 1.0)
    n = len(x)
    totals = normalised.sum()
    p = normalised / totals.where(totals > 0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = (p * np.log(p)).fillna(0.0)
    entropy = -plogp.sum() / np.log(n)
    entropy[totals == 0] = 1.0
    divergence = 1 - entropy
    weights = (
        divergence / divergence.sum()
        if divergence.sum() > 0
        else divergence * 0 + 1 / len(divergence)
    )
    return EntropyWeights(
        weights.rename("weight"), (normalised * weights).sum(axis=1).rename("composite")
    )
