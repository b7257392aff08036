"""The class list: one row per student, read from a CSV in UTF-8 or GB18030.

A roster is a CSV with a student id column (``student_id``, ``id``, ``student``, ``学号``
or the column named with ``--id-column``) and, optionally, a name column (``name``,
``姓名``). Ids are kept as text (``007`` stays ``007``); an empty or repeated id is refused
with its line in the file, never dropped.

Each student's twin comes from :func:`student_seed`: the first 8 hex digits of
``sha256(course + "\\x1f" + student id)``, so the seed is the same on every machine and
in every Python (unlike ``hash()``), and differs between students and between courses.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ID_COLUMNS = ("student_id", "id", "student", "学号", "student id", "sid")
NAME_COLUMNS = ("name", "姓名", "student_name", "full name")
ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in this order: UTF-8 (with or without a byte-order mark), then GB18030 (what
Excel on a Chinese Windows writes)."""


class RosterError(ValueError):
    """The roster cannot be used; the message names the file, the lines and the fix."""


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    student_id: str
    name: str
    line: int
    """Line of the CSV file (the header is line 1)."""

    @property
    def slug(self) -> str:
        return slug(self.student_id)


def student_seed(course: str, student_id: str) -> int:
    """The seed of a student's twin: stable across machines, distinct between students."""
    digest = hashlib.sha256(f"{course}\x1f{student_id}".encode()).hexdigest()
    return int(digest[:8], 16)


def slug(text: str) -> str:
    """A file-name-safe form of an id: letters (any script), digits, ``-`` and ``_`` kept,
    everything else ``_`` (``张三 01`` → ``张三_01``)."""
    text = unicodedata.normalize("NFC", str(text)).strip()
    return re.sub(r"[^\w\-]", "_", text, flags=re.UNICODE) or "_"


def _decode(path: Path) -> tuple[str, str]:
    raw = path.read_bytes()
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise RosterError(
        f"{path}: the file is neither UTF-8 nor GB18030. Fix: save it as 'CSV UTF-8' "
        "(Excel: File → Save As → CSV UTF-8)."
    )


def _pick(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[w] for w in wanted if w in lowered), None)


def read_roster(path: str | Path, id_column: str | None = None) -> list[Student]:
    """Read and check a roster; a :class:`RosterError` names the lines of every problem."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"{path}: no such roster file.")
    text, _ = _decode(path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise RosterError(f"{path}: not a readable CSV ({error}).") from None
    columns = list(frame.columns)
    column = id_column if id_column is not None else _pick(columns, ID_COLUMNS)
    if column is None or column not in columns:
        asked = f"--id-column {id_column!r} is not" if id_column else "no student id column is"
        raise RosterError(
            f"{path}: {asked} among its columns {columns}. Fix: name the column "
            f"'student_id' (or one of {list(ID_COLUMNS)}), or pass --id-column NAME."
        )
    name_column = _pick([c for c in columns if c != column], NAME_COLUMNS)
    ids = frame[column].map(lambda v: unicodedata.normalize("NFC", v).strip())
    lines = pd.Series(range(2, len(frame) + 2), index=frame.index)
    problems = []
    empty = lines[ids == ""]
    if len(empty):
        problems.append(
            f"empty {column!r} on line(s) {', '.join(map(str, empty))}: every student needs an id"
        )
    seen: dict[str, list[int]] = {}
    for value, line in zip(ids, lines, strict=True):
        if value:
            seen.setdefault(slug(value), []).append(line)
    for key, where in seen.items():
        if len(where) > 1:
            shown = sorted({ids[lines == w].iloc[0] for w in where})
            same = "" if len(shown) == 1 else f" (same file name {key!r})"
            problems.append(
                f"id {' / '.join(map(repr, shown))} repeated on lines "
                f"{', '.join(map(str, where))}{same}: ids must be unique"
            )
    if problems:
        raise RosterError(
            f"{path}: " + "; ".join(problems) + ". Fix the roster and run assign again "
            "(nothing was written)."
        )
    if not len(frame):
        raise RosterError(f"{path}: the roster has a header but no student.")
    names = frame[name_column] if name_column else pd.Series("", index=frame.index)
    return [
        Student(sid, str(name).strip(), int(line))
        for sid, name, line in zip(ids, names, lines, strict=True)
    ]
