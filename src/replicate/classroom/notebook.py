"""One student's notebook (or the teacher's copy of it), built from the exercises.

The notebook is plain nbformat 4 with the ``python3`` kernel, deterministic byte for byte
(cell ids are numbered, nothing carries a date). Its parameters cell (tagged
``parameters``, as papermill expects) records the student's course, id, seed and knobs;
its data are regenerated from the seed by ``replicate.data.synthetic.make_twin`` when it
runs, so it needs only the package installed, no data file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import nbformat

from replicate.classroom.exercises import HOMOGENEOUS, Exercise

FORMAT_VERSION = 1
METADATA_KEY = "replicate_classroom"

_SETUP = """\
from replicate import montecarlo
from replicate.classroom import Answers
from replicate.data import synthetic
from replicate.models.bias import true_effects, twfe_bias
from replicate.models.event_study import event_study
from replicate.replication import regression_frame

effects = {int(batch): effect for batch, effect in knobs["cohort_effects"].items()}
knobs = {**knobs, "cohort_effects": effects}
homogeneous = {**knobs, **HOMOGENEOUS_KNOBS}  # the teaching chapter's homogeneous effects
twin = synthetic.make_twin(seed=seed, knobs=synthetic.Knobs(**knobs))
frame = regression_frame(twin.panel()).merge(true_effects(twin), on=["city_id", "year"])
columns = {"unit": "city_id", "time": "year", "cohort": "g"}  # the panel's columns
answers = Answers(student_id)
print(f"{twin.label}: {len(frame)} city-years, {frame['city_id'].nunique()} cities")
frame.head()"""


def _literal(value: object) -> str:
    """A Python literal of a parameter (dicts with int keys kept, text in double quotes)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


SETUP = _SETUP.replace("HOMOGENEOUS_KNOBS", _literal(HOMOGENEOUS))
"""The setup cell: the student's twin and frame from the parameters, and ``homogeneous``."""


def parameters_source(course: str, student_id: str, seed: int, knobs, mc_knobs, draws: int) -> str:
    return "\n".join(
        [
            "# Your own twin. Leave these as they are: the grader uses the values of the class list.",
            f"course = {_literal(course)}",
            f"student_id = {_literal(student_id)}",
            f"seed = {seed}  # sha256 of the course and your id",
            f"knobs = {_literal(knobs)}  # your twin's effects and trends",
            f"mc_knobs = {_literal(mc_knobs)}  # the twins of your Monte Carlo (exercises coverage and mde)",
            f"draws = {draws}  # twins in your Monte Carlo",
        ]
    )


def build(
    *,
    course: str,
    student_id: str,
    name: str,
    seed: int,
    knobs: Mapping,
    mc_knobs: Mapping,
    draws: int,
    exercises: Sequence[Exercise],
    teacher: bool,
) -> nbformat.NotebookNode:
    """The notebook of one student; ``teacher=True`` fills in every solution."""
    v4 = nbformat.v4
    who = f"{name} ({student_id})" if name else student_id
    if teacher:
        banner = (
            "**TEACHER'S COPY: the solutions are filled in. Do not hand this file out.** "
            "Grading it must give full marks."
        )
    else:
        banner = (
            "Run every cell from the top (*Kernel → Restart Kernel and Run All Cells*). Under "
            "each question, replace `None` by your answer, computed by code in that cell "
            "(`answers[...] = ...`); add cells as you like. Submit this `.ipynb` file."
        )
    cells = [
        v4.new_markdown_cell(
            f"# {course}: difference-in-differences on your own twin\n\n"
            f"Student: **{who}**. {banner}\n\n"
            "Your data are a **SYNTHETIC** twin of the paper's panel (285 cities, 2005–2022), "
            "generated from your seed below: every student has their own, and the twin knows "
            "the true effect of the pilot in every city and year. It is not evidence about "
            "Chinese cities."
        ),
        v4.new_code_cell(
            parameters_source(course, student_id, seed, knobs, mc_knobs, draws),
            metadata={"tags": ["parameters"]},
        ),
        v4.new_code_cell(SETUP, metadata={"tags": ["setup"]}),
    ]
    for number, exercise in enumerate(exercises, start=1):
        cells.append(v4.new_markdown_cell(f"## {number}. {exercise.title}\n\n{exercise.text}"))
        code = exercise.solution if teacher else exercise.starter
        cells.append(v4.new_code_cell(code, metadata={"tags": [f"exercise-{exercise.key}"]}))
    cells.append(
        v4.new_markdown_cell(
            "## Before you submit\n\nRestart the kernel and run all cells: every answer cell "
            "should print `answer recorded: …` with your number. The grader runs a copy of "
            "your notebook in a fresh kernel and reads only what your code computes."
        )
    )
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:02d}"
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[METADATA_KEY] = {
        "format": FORMAT_VERSION,
        "course": course,
        "student_id": student_id,
        "seed": seed,
        "role": "teacher" if teacher else "student",
        "exercises": [e.key for e in exercises],
    }
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook as text (UTF-8, Chinese kept as is)."""
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"
