"""``replicate classroom assign``: a notebook per student, the teacher's copies, the key.

For every student of the roster, in ``OUT/<id>/``: the student's notebook
``<course>-<id>.ipynb`` (no solutions) and beside it the teacher's copy
``<course>-<id>.teacher-solution.ipynb``; in ``OUT/handout/`` a ZIP per student with only
the student's notebook and a README; and ``OUT/answer_key.csv`` (student, exercise, true
value, tolerance, Monte Carlo s.e., rule) with ``OUT/answer_key.json``, which
``replicate classroom grade`` reads. Two runs with the same roster and options give
byte-identical files.
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


@dataclass(frozen=True)
class Assignment:
    """What ``assign`` wrote."""

    out: Path
    course: str
    students: int
    exercises: tuple[str, ...]
    key: Path


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
    student: Student, course: str, chosen: Sequence[ex.Exercise], draws: int, key_draws: int
) -> dict:
    """Seed, knobs and the key of every chosen exercise for one student."""
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
        "entries": {e.key: ex.key_entry(e, ctx) for e in chosen},
    }


def _student_key(args: tuple) -> dict:
    """:func:`student_key` from picklable arguments (runs in a worker process)."""
    student, course, keys, draws, key_draws = args
    return student_key(student, course, ex.select(keys), draws, key_draws)


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
) -> Assignment:
    """Write the notebooks, ZIPs and answer key of a class (see the module docstring)."""
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
    students = read_roster(roster, id_column=id_column)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise ValueError(
            f"--out {out} is not empty; choose a new folder or pass --force to write over it."
        )
    args = [(s, course, [e.key for e in chosen], int(draws), key_draws) for s in students]
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
            )
            texts[name] = notebook.dumps(nb)
            (folder / name).write_text(texts[name], encoding="utf-8")
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
    key_table(record).to_csv(out / KEY_CSV, index=False, encoding="utf-8")
    return Assignment(out, course, len(students), tuple(e.key for e in chosen), key_path)


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
    return record
