"""``replicate classroom assign``: a notebook per student, the teacher's copies, the key.

For every student of the roster, in ``OUT/<id>/``: the student's notebook
``<course>-<id>.ipynb`` (no solutions) and beside it the teacher's copy
``<course>-<id>.teacher-solution.ipynb``; in ``OUT/handout/`` a ZIP per student with only
the student's notebook and a README; and ``OUT/answer_key.csv`` (student, exercise, true
value, tolerance, Monte Carlo s.e., rule) with ``OUT/answer_key.json``, which
``replicate classroom grade`` reads. Two runs with the same roster and options give
byte-identical files.

``language="zh"`` (``--language zh``) writes the notebooks, the README and the key's words
(rules, likely mistakes) in 简体中文, and the CSV with a byte-order mark so that Excel opens
it as UTF-8; the key records ``"language": "zh"`` and ``grade`` answers in it. Seeds,
truths and tolerances are the same in both languages.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import replicate.classroom.exercises as ex
import replicate.classroom.notebook as notebook
from replicate.classroom.language import check_language, width
from replicate.classroom.roster import Student, read_roster, slug, student_seed

KEY_JSON = "answer_key.json"
KEY_CSV = "answer_key.csv"
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
"""Timestamp written into every ZIP entry, so the ZIPs are byte-identical between runs."""

README = """\
{course}: your notebook
{line}

Student: {who}

1. Unzip this folder.
2. Open {notebook} in JupyterLab (or Jupyter Notebook) where the `replicate` package is
   installed, e.g. `replicate lab --root .` from this folder, or `jupyter lab`.
3. Run all cells, answer each question in its cell (answers["..."] = ...).
4. Save and hand in {notebook} (the .ipynb file itself).

The data are a SYNTHETIC twin generated from your own seed; they are not evidence about
Chinese cities.
"""
README_ZH = """\
{course}：你的笔记本
{line}

学生：{who}

1. 解压这个文件夹。
2. 在安装了 `replicate` 包的 JupyterLab（或 Jupyter Notebook）中打开 {notebook}，
   例如在这个文件夹中运行 `replicate lab --root .` 或 `jupyter lab`。
3. 运行所有单元格，在每道题的单元格中作答（answers["..."] = ...）。
4. 保存并提交 {notebook}（即 .ipynb 文件本身）。

数据是由你自己的种子生成的合成（SYNTHETIC）孪生数据，不是关于中国城市的证据。
"""


def csv_encoding(language: str) -> str:
    """UTF-8, with a byte-order mark for the Chinese kit (Excel then reads it as UTF-8)."""
    return "utf-8-sig" if language == "zh" else "utf-8"


@dataclass(frozen=True)
class Assignment:
    """What ``assign`` wrote."""

    out: Path
    course: str
    students: int
    exercises: tuple[str, ...]
    key: Path
    language: str = "en"


def notebook_names(course: str, student: Student) -> tuple[str, str]:
    stem = f"{slug(course)}-{student.slug}"
    return f"{stem}.ipynb", f"{stem}.teacher-solution.ipynb"


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def student_key(
    student: Student,
    course: str,
    chosen: Sequence[ex.Exercise],
    draws: int,
    key_draws: int,
    language: str = "en",
) -> dict:
    """Seed, knobs and the key of every chosen exercise for one student (the key's words
    in ``language``)."""
    seed = student_seed(course, student.student_id)
    knobs, mc_knobs = ex.student_knobs(seed)
    ctx = ex.Context(seed, knobs, mc_knobs, draws, key_draws)
    return {
        "student_id": student.student_id,
        "name": student.name,
        "line": student.line,
        "slug": student.slug,
        "seed": seed,
        "knobs": knobs,
        "mc_knobs": mc_knobs,
        "entries": {e.key: ex.key_entry(e, ctx, language) for e in chosen},
    }


def _student_key(args: tuple) -> dict:
    """:func:`student_key` from picklable arguments (runs in a worker process)."""
    student, course, keys, draws, key_draws, language = args
    return student_key(student, course, ex.select(keys), draws, key_draws, language)


def assign(
    roster: str | Path,
    out: str | Path,
    *,
    course: str = "did-class",
    exercises: Sequence[str] | None = None,
    draws: int = ex.DEFAULT_DRAWS,
    key_draws: int | None = None,
    id_column: str | None = None,
    force: bool = False,
    jobs: int = 2,
    language: str = "en",
) -> Assignment:
    """Write the notebooks, ZIPs and answer key of a class (see the module docstring);
    ``language`` is ``"en"`` (default) or ``"zh"`` (简体中文)."""
    language = check_language(language)
    course = str(course).strip()
    if not course:
        raise ValueError("--course: give the course a name, e.g. --course did-2025.")
    if int(draws) < 2:
        raise ValueError(f"--draws {draws}: a Monte Carlo needs at least 2 twins (default 20).")
    key_draws = int(key_draws) if key_draws else ex.KEY_DRAWS_FACTOR * int(draws)
    if key_draws < draws:
        raise ValueError(
            f"--key-draws {key_draws} is below --draws {draws}; give at least {draws}."
        )
    chosen = ex.select(exercises)
    if language == "zh":  # every Chinese prompt first: a missing one stops before any work
        for exercise in chosen:
            exercise.text_in(language)
    students = read_roster(roster, id_column=id_column)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise ValueError(
            f"--out {out} is not empty; choose a new folder or pass --force to write over it."
        )
    args = [(s, course, [e.key for e in chosen], int(draws), key_draws, language) for s in students]
    if jobs > 1 and len(students) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(students)), mp_context=context) as pool:
            keys = list(pool.map(_student_key, args))
    else:
        keys = [_student_key(a) for a in args]
    out.mkdir(parents=True, exist_ok=True)
    (out / "handout").mkdir(exist_ok=True)
    for student, key in zip(students, keys, strict=True):
        folder = out / student.slug
        folder.mkdir(exist_ok=True)
        student_name, teacher_name = notebook_names(course, student)
        texts = {}
        for teacher, name in ((False, student_name), (True, teacher_name)):
            nb = notebook.build(
                course=course,
                student_id=student.student_id,
                name=student.name,
                seed=key["seed"],
                knobs=key["knobs"],
                mc_knobs=key["mc_knobs"],
                draws=int(draws),
                exercises=chosen,
                teacher=teacher,
                language=language,
            )
            texts[name] = notebook.dumps(nb)
            (folder / name).write_text(texts[name], encoding="utf-8")
        if language == "zh":
            who = f"{student.name}（{student.student_id}）" if student.name else student.student_id
            title = f"{course}：你的笔记本"
            readme = README_ZH.format(
                course=course, line="=" * width(title), who=who, notebook=student_name
            )
        else:
            who = f"{student.name} ({student.student_id})" if student.name else student.student_id
            readme = README.format(
                course=course, line="=" * (len(course) + 15), who=who, notebook=student_name
            )
        _zip(
            out / "handout" / f"{Path(student_name).stem}.zip",
            {
                f"{Path(student_name).stem}/{student_name}": texts[student_name].encode(),
                f"{Path(student_name).stem}/README.txt": readme.encode(),
            },
        )
    record = {
        "format": notebook.FORMAT_VERSION,
        "course": course,
        # absent means English: an English key is byte for byte what it was before --language
        **({"language": language} if language != "en" else {}),
        "draws": int(draws),
        "key_draws": key_draws,
        "tolerance_z": ex.TOLERANCE_Z,
        "rounding": ex.ROUNDING,
        "exercises": [e.key for e in chosen],
        "students": {k["student_id"]: k for k in keys},
    }
    key_path = out / KEY_JSON
    key_path.write_text(
        json.dumps(record, indent=1, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )
    key_table(record).to_csv(out / KEY_CSV, index=False, encoding=csv_encoding(language))
    return Assignment(out, course, len(students), tuple(e.key for e in chosen), key_path, language)


def key_table(record: dict) -> pd.DataFrame:
    """The answer key as a table: one row per student and exercise."""
    rows = []
    for sid, student in record["students"].items():
        for key, entry in student["entries"].items():
            rows.append(
                {
                    "student": sid,
                    "name": student["name"],
                    "seed": student["seed"],
                    "exercise": key,
                    "true value": entry["truth"],
                    "tolerance": entry["tolerance"],
                    "MC s.e.": entry["mc_se"],
                    "rule": entry["rule"],
                }
            )
    return pd.DataFrame(rows)


def load_key(path: str | Path) -> dict:
    """Read ``answer_key.json`` (written by :func:`assign`)."""
    path = Path(path)
    if path.is_dir():
        path = path / KEY_JSON
    if not path.is_file():
        raise ValueError(
            f"{path}: no answer key. Fix: pass --key with the answer_key.json that "
            "`replicate classroom assign` wrote in its --out folder."
        )
    record = json.loads(path.read_text(encoding="utf-8"))
    if record.get("format") != notebook.FORMAT_VERSION:
        raise ValueError(f"{path}: answer key of format {record.get('format')}, expected 1.")
    try:
        check_language(record.get("language", "en"))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    return record


def key_language(record: dict) -> str:
    """The language the assignment was written in (``"en"`` when the key does not say)."""
    return check_language(record.get("language", "en"))
