"""Count dictionary terms in documents, three ways.

``"scan"`` (default)
    one pass of a compiled regular expression whose alternatives are the terms sorted
    longest first: at each position the longest term wins and matches do not overlap, so
    数字化 inside 数字化转型 counts once, as 数字化转型 (leftmost-longest matching).
``"jieba"``
    segment with jieba (dictionary terms added as user words, HMM off) and count tokens
    equal to a term. Segmentation can split a term differently from the scan when a
    neighbouring word is preferred, which is what the index chapter measures.
``"naive"``
    one ``str.count`` per term: nested terms are counted twice. A baseline only.

All methods count in text prepared by :func:`replicate.index.text.prepare`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Literal

import pandas as pd

from replicate._options import check_choice
from replicate.index.dictionary import Dictionary
from replicate.index.text import prepare

Method = Literal["scan", "jieba", "naive"]


def _pattern(terms: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))


@cache
def _cached_pattern(terms: tuple[str, ...]) -> re.Pattern:
    return _pattern(terms)


@cache
def _jieba(terms: tuple[str, ...]):
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not an outcome
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in terms:
        tokenizer.add_word(term, freq=10**6)
    return tokenizer


def count_text(
    text: str, dictionary: Dictionary, method: Method = "scan", prepared: bool = False
) -> Counter:
    """Counts of each (normalised) term in one document."""
    check_choice("method", method, Method)
    text = text if prepared else prepare(text)
    terms = tuple(dictionary.table["normalised"])
    if method == "scan":
        return Counter(m.group() for m in _cached_pattern(terms).finditer(text))
    if method == "naive":
        return Counter({t: text.count(t) for t in terms if t in text})
    wanted = set(terms)
    return Counter(token for token in _jieba(terms).lcut(text, HMM=False) if token in wanted)


def count_documents(
    texts: Iterable[str] | pd.Series, dictionary: Dictionary, method: Method = "scan"
) -> pd.DataFrame:
    """A documents × terms table of counts (columns in dictionary order, original terms).

    Also returns, in column ``chars``, the length of each prepared document.
    """
    texts = texts if isinstance(texts, pd.Series) else pd.Series(list(texts))
    prepared = texts.map(prepare)
    rows = [count_text(t, dictionary, method, prepared=True) for t in prepared]
    columns = dictionary.table["normalised"].tolist()
    counts = (
        pd.DataFrame.from_records(rows, index=texts.index, columns=columns).fillna(0).astype(int)
    )
    counts.columns = dictionary.terms
    counts["chars"] = prepared.str.len().to_numpy()
    return counts
