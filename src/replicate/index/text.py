"""Text preparation before counting: strip page furniture, then normalise variants.

Normalisation makes one keyword match all its spellings:

* Unicode NFKC folds full-width forms to half-width (``５Ｇ`` → ``5G``, ``＋`` → ``+``);
* traditional characters become simplified, character by character, with OpenCC's
  ``TSCharacters`` table (shipped by ``opencc-python-reimplemented``, Apache-2.0);
* all white space is removed: Chinese text does not use it, and wiki transcriptions break
  lines inside phrases (``《\\n反分裂国家法\\n》``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

BOILERPLATE_MARKERS = (
    "本作品是中华人民共和国的",  # Wikisource licence note (public-domain template)
    "本作品在全世界都属于公有领域",
    "Public domain\n",
)
"""Where page furniture begins: everything from the first marker on is dropped."""

_WHITESPACE = re.compile(r"\s+")


def strip_boilerplate(text: str, markers: tuple[str, ...] = BOILERPLATE_MARKERS) -> str:
    """Cut the text at the first furniture marker (licence notes, wiki footers)."""
    cut = min((i for i in (text.find(m) for m in markers) if i >= 0), default=len(text))
    return text[:cut]


@cache
def _traditional_to_simplified() -> dict[int, str]:
    import opencc

    table: dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            table[ord(source)] = targets.split()[0]
    return table


def normalise(text: str) -> str:
    """NFKC, traditional → simplified, white space removed."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_traditional_to_simplified())
    return _WHITESPACE.sub("", text)


def prepare(text: str) -> str:
    """:func:`strip_boilerplate` then :func:`normalise`."""
    return normalise(strip_boilerplate(text))
