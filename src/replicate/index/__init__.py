"""Measuring new quality productive forces from text: dictionary, counting, index."""

from replicate.index.build import EntropyWeights, entropy_weights, index_table
from replicate.index.count import count_documents, count_text
from replicate.index.dictionary import Dictionary, load_dictionary
from replicate.index.text import normalise, prepare, strip_boilerplate

__all__ = [
    "Dictionary",
    "EntropyWeights",
    "count_documents",
    "count_text",
    "entropy_weights",
    "index_table",
    "load_dictionary",
    "normalise",
    "prepare",
    "strip_boilerplate",
]
