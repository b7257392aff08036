"""How a classroom notebook hands its answers to the grader.

``answers = Answers(student_id)`` is a dict; every assignment ``answers["mde"] = 0.07``
also displays one output with the media type :data:`MIME` (and a plain-text line the
student sees: ``answer recorded: mde = 0.07``). The grader executes a *copy* of the
submission in a fresh kernel and reads these outputs, so nothing a student typed into an
output cell counts: only what their code computed when it ran. After the last cell the
grader's copy also calls :func:`emit_final`, which records the final state of ``answers``
(also when a student replaced it by a plain dict).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

DEFAULT_CELL_TIMEOUT = 300
"""Seconds one cell of a submission may run (``grade --timeout``). Defined here, not in
:mod:`.grade`, so that the CLI does not import nbformat (and jsonschema) to show its help."""


MIME = "application/vnd.replicate.classroom.answer+json"


def encode(value: object) -> dict:
    """A JSON-safe description of an answer (floats as text, so NaN and ∞ survive)."""
    import numpy as np

    if value is None:
        return {"type": "none"}
    if isinstance(value, bool | np.bool_):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, int | float | np.integer | np.floating):
        return {"type": "number", "text": repr(float(value))}
    if isinstance(value, str):
        return {"type": "text", "text": value[:200]}
    try:  # a one-element Series or array: its number
        array = np.asarray(value, dtype=float)
        if array.size == 1:
            return {
                "type": "number",
                "text": repr(float(array.reshape(-1)[0])),
                "was": type(value).__name__,
            }
    except (TypeError, ValueError):
        pass
    return {"type": "other", "text": repr(value)[:200], "was": type(value).__name__}


def decode(entry: Mapping) -> object:
    """The answer back from :func:`encode` (``other`` stays a description string)."""
    kind = entry.get("type")
    if kind == "none":
        return None
    if kind == "bool":
        return bool(entry["value"])
    if kind == "number":
        return float(entry["text"])
    if kind == "text":
        return str(entry["text"])
    return Unreadable(str(entry.get("text", "")), str(entry.get("was", "")))


class Unreadable(str):
    """An answer that is neither a number, a bool, a string nor None."""

    def __new__(cls, text: str, was: str):
        self = super().__new__(cls, text)
        self.was = was
        return self


def _show(payload: dict, text: str) -> None:
    try:
        from IPython.display import display
    except ImportError:  # outside Jupyter: nothing to record
        return
    display({MIME: payload, "text/plain": text}, raw=True)


class Answers(dict):
    """The answers of one student's notebook; every assignment is recorded for the grader."""

    def __init__(self, student_id: str = "", language: str = "en"):
        super().__init__()
        self.student_id = str(student_id)
        self.language = language
        """``"zh"``: the line a student sees is in Chinese (what is recorded is the same)."""

    def __setitem__(self, key: str, value: object) -> None:
        super().__setitem__(key, value)
        zh = self.language == "zh"
        if value is None:
            shown = "None（尚未作答）" if zh else "None (not answered yet)"
        else:
            shown = _plain(value)
        _show(
            {"exercise": str(key), "answer": encode(value), "student_id": self.student_id},
            f"已记录答案：{key} = {shown}" if zh else f"answer recorded: {key} = {shown}",
        )


def _plain(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.6g}"
    try:
        return f"{float(value):.6g}" if not isinstance(value, bool | str) else repr(value)
    except (TypeError, ValueError):
        return repr(value)[:80]


def emit_final(answers: object) -> None:
    """Record the final ``answers`` (called by the grader's last cell, on its copy)."""
    if not isinstance(answers, Mapping):
        _show({"final": True, "answers": None}, "grader: no dict named `answers` was found")
        return
    payload = {str(k): encode(v) for k, v in answers.items()}
    _show({"final": True, "answers": payload}, f"grader: {len(payload)} answer(s) read")
