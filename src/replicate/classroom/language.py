"""The classroom kit's two languages: English (the default) and 简体中文 (``--language zh``).

Every text of the kit that a student or teacher reads is written beside its Chinese form
as a :class:`T` pair (``T(en, zh)``), in the module that uses it, so the two cannot be
edited apart without the diff showing both; :func:`pick` chooses one. The exception is the
teaching chapter's exercise prompts: their Chinese is the chapter's own translation,
read here from its gettext catalogue (``locales/zh_CN/LC_MESSAGES/notebooks/10_teaching.po``,
through babel as :mod:`replicate.i18n` reads it) by :func:`chapter_prompt_zh`. A prompt
whose translation is missing, empty or fuzzy (stale: the English changed since it was
translated) is a :class:`MissingTranslation` error, never English shown as Chinese.

Numbers do not depend on the language: seeds, truths, tolerances and grades are computed
before any text is chosen.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path
from typing import Literal, NamedTuple

Language = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = ("en", "zh")


class MissingTranslation(ValueError):
    """A Chinese text the kit needs is missing or out of date in its catalogue."""


class T(NamedTuple):
    """One text in both languages."""

    en: str
    zh: str

    def __call__(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


def pick(language: str, en: str, zh: str) -> str:
    """``zh`` for the Chinese kit, ``en`` otherwise."""
    return zh if language == "zh" else en


def check_language(language: object) -> str:
    """The language code, validated (``zh_CN`` and ``zh-CN`` are read as ``zh``)."""
    code = str(language).strip()
    code = {"zh_CN": "zh", "zh-CN": "zh", "zh-Hans": "zh"}.get(code, code)
    if code not in LANGUAGES:
        raise ValueError(
            f"--language {language!r}: the classroom kit is written in {', '.join(LANGUAGES)} "
            "(en: English, the default; zh: 简体中文)."
        )
    return code


def width(text: str) -> int:
    """Columns a text takes in a terminal or a plain-text file (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def chapter_catalogue_path() -> Path:
    from replicate.i18n import CATALOGUES

    return CATALOGUES / "notebooks" / "10_teaching.po"


def _normal(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _read_catalogue(path: Path, stamp: int) -> dict[str, tuple[str, bool]]:
    """The catalogue's messages (``stamp``, the file's mtime, renews the cache on a change)."""
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        catalogue = read_po(handle)  # obsolete (#~) entries are not iterated
    return {_normal(m.id): (m.string, bool(m.fuzzy)) for m in catalogue if m.id}


def chapter_prompt_zh(label: str, prompt: str, path: Path | None = None) -> str:
    """The Chinese of the teaching chapter's exercise ``label`` whose English is ``prompt``,
    from the chapter's catalogue; :class:`MissingTranslation` if it has none or a stale one."""
    path = Path(path) if path is not None else chapter_catalogue_path()
    fix = (
        "Fix: translate the exercise in the chapter's catalogue (`python -m replicate.i18n "
        "update`, fill its msgstr and clear `fuzzy`), then assign again."
    )
    if not path.is_file():
        raise MissingTranslation(
            f"{path}: the teaching chapter's Chinese catalogue is missing; the Chinese kit "
            "reads its exercise prompts from it (install the package from a full clone, "
            f"`pip install -e .`). {fix}"
        )
    found = _read_catalogue(path.resolve(), path.stat().st_mtime_ns).get(_normal(prompt))
    if found is None or not found[0].strip():
        raise MissingTranslation(
            f"exercise {label}: its prompt has no Chinese in {path} (the English prompt is "
            f"new or changed: {_normal(prompt)[:80]!r}…). {fix}"
        )
    text, fuzzy = found
    if fuzzy:
        raise MissingTranslation(
            f"exercise {label}: its Chinese prompt in {path} is marked fuzzy (out of date with "
            f"the English). {fix}"
        )
    return text
