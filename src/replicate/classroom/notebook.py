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
from replicate.classroom.language import pick

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

SETUP_ZH = {
    "  # the teaching chapter's homogeneous effects": "  # 教学章节中的同质效应",
    "  # the panel's columns": "  # 面板的列名",
    "answers = Answers(student_id)": 'answers = Answers(student_id, language="zh")',
    "print(f\"{twin.label}: {len(frame)} city-years, {frame['city_id'].nunique()} cities\")": (
        'print(f"合成孪生数据（SYNTHETIC，种子 {seed}）：{len(frame)} 个城市—年份，'
        "{frame['city_id'].nunique()} 个城市\")"
    ),
}
"""The Chinese setup cell's comments and words, replaced in :data:`SETUP` (the code is the
same; a test checks every one is found)."""


def setup_source(language: str = "en") -> str:
    """The setup cell in ``language``."""
    if language != "zh":
        return SETUP
    code = SETUP
    for english, chinese in SETUP_ZH.items():
        code = code.replace(english, chinese)
    return code


def parameters_source(
    course: str, student_id: str, seed: int, knobs, mc_knobs, draws: int, language: str = "en"
) -> str:
    def say(en: str, zh: str) -> str:
        return pick(language, en, zh)

    return "\n".join(
        [
            say(
                "# Your own twin. Leave these as they are: the grader uses the values of the class list.",
                "# 你自己的孪生数据。请保持原样：评分程序使用班级名单中的值。",
            ),
            f"course = {_literal(course)}",
            f"student_id = {_literal(student_id)}",
            f"seed = {seed}  # "
            + say("sha256 of the course and your id", "课程名与你的学号的 sha256"),
            f"knobs = {_literal(knobs)}  # "
            + say("your twin's effects and trends", "你的孪生数据的效应和趋势"),
            f"mc_knobs = {_literal(mc_knobs)}  # "
            + say(
                "the twins of your Monte Carlo (exercises coverage and mde)",
                "你的蒙特卡洛模拟所用的孪生数据（练习 coverage 和 mde）",
            ),
            f"draws = {draws}  # "
            + say("twins in your Monte Carlo", "你的蒙特卡洛模拟中的孪生数据组数"),
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
    language: str = "en",
) -> nbformat.NotebookNode:
    """The notebook of one student; ``teacher=True`` fills in every solution; ``language``
    ``"zh"`` writes it in Chinese (the same cells, parameters and code)."""
    v4 = nbformat.v4
    if language == "zh":
        cells = _intro_zh(course, student_id, name, teacher)
    else:
        cells = _intro_en(course, student_id, name, teacher)
    cells += [
        v4.new_code_cell(
            parameters_source(course, student_id, seed, knobs, mc_knobs, draws, language),
            metadata={"tags": ["parameters"]},
        ),
        v4.new_code_cell(setup_source(language), metadata={"tags": ["setup"]}),
    ]
    for number, exercise in enumerate(exercises, start=1):
        cells.append(
            v4.new_markdown_cell(
                f"## {number}. {exercise.title_in(language)}\n\n{exercise.text_in(language)}"
            )
        )
        code = exercise.solution_in(language) if teacher else exercise.starter_in(language)
        cells.append(v4.new_code_cell(code, metadata={"tags": [f"exercise-{exercise.key}"]}))
    cells.append(
        v4.new_markdown_cell(
            pick(
                language,
                "## Before you submit\n\nRestart the kernel and run all cells: every answer "
                "cell should print `answer recorded: …` with your number. The grader runs a "
                "copy of your notebook in a fresh kernel and reads only what your code computes.",
                "## 提交之前\n\n重启内核并运行所有单元格：每个答案单元格都应打印 `已记录答案：…`"
                "和你的数值。评分程序在全新的内核中运行你的笔记本的副本，只读取你的代码计算出的"
                "结果。",
            )
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
    if language != "en":  # absent means English (the notebooks of format 1 before --language)
        nb.metadata[METADATA_KEY]["language"] = language
    return nb


def _intro_en(course: str, student_id: str, name: str, teacher: bool) -> list:
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
    return [
        nbformat.v4.new_markdown_cell(
            f"# {course}: difference-in-differences on your own twin\n\n"
            f"Student: **{who}**. {banner}\n\n"
            "Your data are a **SYNTHETIC** twin of the paper's panel (285 cities, 2005–2022), "
            "generated from your seed below: every student has their own, and the twin knows "
            "the true effect of the pilot in every city and year. It is not evidence about "
            "Chinese cities."
        )
    ]


def _intro_zh(course: str, student_id: str, name: str, teacher: bool) -> list:
    who = f"{name}（{student_id}）" if name else student_id
    if teacher:
        banner = "**教师版：已填入全部解答。请勿发给学生。**对这份笔记本评分必须得到满分。"
    else:
        banner = (
            "请从头运行每个单元格（*Kernel → Restart Kernel and Run All Cells*）。在每道题下面，"
            "把 `None` 换成你的答案，答案须由该单元格中的代码计算得出（`answers[...] = ...`）；"
            "可以随意添加单元格。提交这个 `.ipynb` 文件。"
        )
    return [
        nbformat.v4.new_markdown_cell(
            f"# {course}：在你自己的孪生数据上做双重差分（DID）\n\n"
            f"学生：**{who}**。{banner}\n\n"
            "你的数据是原文面板（285 个城市，2005–2022 年）的**合成**孪生数据（SYNTHETIC），"
            "由下面你自己的种子生成：每位学生各有一组，孪生数据知道试点在每个城市、每一年的"
            "真实效应。它不是关于中国城市的证据。"
        )
    ]


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook as text (UTF-8, Chinese kept as is)."""
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"
