"""``replicate classroom grade``: run every submission, read its answers, mark them.

Each submitted notebook is read, never written: its bytes are hashed before and after.
A *copy* is prepared (outputs cleared; every cell tagged ``raises-exception`` so that one
broken cell does not stop the rest; a last cell that records the final ``answers``) and
executed by papermill in a fresh ``python3`` kernel, in an empty working folder, with the
student's parameters from the answer key injected after the parameters cell (a student
who changed the seed is still graded on their own twin) and a time limit per cell. The
answers are read from the outputs of that run (:mod:`replicate.classroom.record`), never
from outputs saved in the submission.

Each answer is compared with that student's truth and tolerance from the key; a wrong one
is matched against the exercise's likely mistakes (and a share given as a percentage, or
a reversed sign) to say what went wrong. A notebook that cannot be read, raises, times
out, lacks an answer or belongs to no one on the roster gets a clear line and zero for
what is missing; the run goes on. Outputs: ``grades.csv`` (student, exercise, points,
possible, message), ``totals.csv``, ``feedback/<student>.md`` and the executed copies in
``executed/``. A SUBMISSIONS that is one file but not a ``.ipynb`` or ``.zip`` (the roster
given by mistake), or a folder with no notebook in it, is an error and nothing is written,
unless ``missing`` asks for every student of the key (then each is marked not submitted).

The messages and feedback pages are in the language of the assignment (the key's
``language``, written by ``assign --language``; English when it says none): the same
marks, only the words differ.
"""

from __future__ import annotations

import ast
import hashlib
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

import replicate.classroom.record as rec
from replicate.classroom.assign import KEY_JSON, csv_encoding, key_language, load_key
from replicate.classroom.language import check_language, pick
from replicate.classroom.notebook import METADATA_KEY
from replicate.classroom.roster import slug

DEFAULT_TIMEOUT = rec.DEFAULT_CELL_TIMEOUT
"""Seconds any one cell of a submission may run."""
GRADER_TAG = "replicate-grader"
FINAL_CELL = (
    "# Added by the grader to its copy of your notebook (your file is not changed).\n"
    "import replicate.classroom.record as _grader_record\n\n"
    '_grader_record.emit_final(globals().get("answers"))'
)
FINAL_CELL_ZH = FINAL_CELL.replace(
    "# Added by the grader to its copy of your notebook (your file is not changed).",
    "# 评分程序在它的副本末尾加上的单元格（你的文件不会被修改）。",
)
PARAMETERS = ("course", "student_id", "seed", "knobs", "mc_knobs", "draws")


@dataclass
class Run:
    """One submission: who it belongs to, what running it gave."""

    path: Path
    sha256: str
    label: str = ""
    """How the submission is named in messages (``name.ipynb``, or ``archive.zip:member``)."""
    origin: Path | None = None
    """The file on disk it came from (the notebook itself, or its ZIP)."""
    student_id: str | None = None
    role: str = ""
    problem: str = ""
    """Why it was not executed (unreadable, not on the roster, another course)."""
    answers: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    stopped: str = ""
    """Why execution stopped early (time limit, kernel died), if it did."""
    executed: Path | None = None

    def __post_init__(self) -> None:
        self.label = self.label or self.path.name
        self.origin = self.origin or self.path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def find_submissions(root: Path, out: Path) -> list[Path]:
    """Every ``.ipynb`` and ``.zip`` under ``root`` (or ``root`` itself), skipping
    checkpoints and ``out``."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ValueError(f"{root}: no such file or folder of submissions.")
    out = out.resolve()
    found = []
    for path in sorted([*root.rglob("*.ipynb"), *root.rglob("*.zip")]):
        resolved = path.resolve()
        if ".ipynb_checkpoints" in path.parts or resolved.is_relative_to(out):
            continue
        found.append(path)
    return found


def unpack(paths: Sequence[Path], into: Path) -> list[tuple[Path, str, Path]]:
    """``(file to read, label, origin)`` per notebook: a ``.ipynb`` as is, each ``.ipynb``
    inside a ``.zip`` (an LMS download, a student's handout ZIP) extracted into ``into``."""
    items = []
    for number, path in enumerate(paths):
        if path.suffix.lower() != ".zip":
            items.append((path, path.name, path))
            continue
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            items.append((path, path.name, path))  # reported as unreadable
            continue
        with archive:
            members = [
                m
                for m in sorted(archive.namelist())
                if m.endswith(".ipynb") and "__MACOSX" not in m and ".ipynb_checkpoints" not in m
            ]
            for k, member in enumerate(members):
                target = into / f"zip{number}-{k}" / Path(member).name
                target.parent.mkdir(parents=True)
                target.write_bytes(archive.read(member))
                items.append((target, f"{path.name}:{member}", path))
    return items


def _parameter(nb, name: str) -> object:
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                return None
            for node in tree.body:
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
                    try:
                        return ast.literal_eval(node.value)
                    except ValueError:
                        return None
    return None


def identify(nb) -> tuple[str | None, str | None, str]:
    """``(student id, course, role)`` from the notebook's metadata, else its parameters cell."""
    meta = nb.metadata.get(METADATA_KEY, {}) or {}
    sid = meta.get("student_id") or _parameter(nb, "student_id")
    course = meta.get("course") or _parameter(nb, "course")
    return (str(sid) if sid else None), (str(course) if course else None), meta.get("role", "")


def prepare_copy(nb, language: str = "en") -> nbformat.NotebookNode:
    """The copy the grader runs: no outputs, every cell may raise, a final recording cell."""
    copy = nbformat.from_dict(nb)
    cells = []
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            tags = [t for t in cell.metadata.get("tags", []) if t != "injected-parameters"]
            cell.metadata["tags"] = [*tags, "raises-exception"]
            if "papermill" in cell.metadata:
                del cell.metadata["papermill"]
        cells.append(cell)
    final = nbformat.v4.new_code_cell(
        pick(language, FINAL_CELL, FINAL_CELL_ZH),
        metadata={"tags": [GRADER_TAG, "raises-exception"]},
    )
    final["id"] = "replicate-grader-final"
    copy.cells = [*cells, final]
    copy.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    return copy


def execute_copy(task: Mapping) -> dict:
    """Run one prepared copy with papermill (module level: runs in a worker process)."""
    import papermill

    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    # The kernel's own messages (its TCP notice, a traceback when it is stopped at the time
    # limit) go to a log beside the executed copy, not to the teacher's terminal.
    saved = os.dup(2)
    log = open(task.get("log", os.devnull), "ab")  # noqa: SIM115 - closed in finally
    os.dup2(log.fileno(), 2)
    try:
        return _execute(task, papermill)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        log.close()


def _execute(task: Mapping, papermill) -> dict:
    language = task.get("language", "en")
    with tempfile.TemporaryDirectory(prefix="replicate-grade-") as work:
        try:
            papermill.execute_notebook(
                task["input"],
                task["output"],
                parameters=dict(task["parameters"]),
                kernel_name="python3",
                cwd=work,
                execution_timeout=int(task["timeout"]),
                start_timeout=120,
                progress_bar=False,
                log_output=False,
            )
        except papermill.PapermillExecutionError:
            pass  # a cell's error is in its outputs; read below
        except Exception as error:  # time limit, dead kernel: say so; read what ran
            name = type(error).__name__
            if "Timeout" in name or isinstance(error, TimeoutError):
                return {
                    "stopped": pick(
                        language,
                        f"stopped at the time limit ({task['timeout']} s for one cell)",
                        f"到达时间限制后停止（每个单元格 {task['timeout']} 秒）",
                    )
                }
            first = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
            return {"stopped": pick(language, "the run stopped", "运行中止") + f": {name}: {first}"}
    return {"stopped": ""}


def read_results(path: Path) -> tuple[dict, list[dict], bool]:
    """Answers recorded in an executed copy, its errors, and whether the final cell ran."""
    if not path.exists():
        return {}, [], False
    nb = nbformat.read(path, as_version=4)
    answers: dict = {}
    final = None
    errors = []
    number = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "papermill-error-cell-tag" in tags:
            continue
        if "injected-parameters" not in tags and GRADER_TAG not in tags:
            number += 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(
                    {
                        "cell": number,
                        "exercise": next(
                            (
                                t.removeprefix("exercise-")
                                for t in tags
                                if t.startswith("exercise-")
                            ),
                            "",
                        ),
                        "grader": GRADER_TAG in tags,
                        "error": f"{output.get('ename', '')}: {output.get('evalue', '')}"[:300],
                        "line": next((ln for ln in cell.source.splitlines() if ln.strip()), ""),
                    }
                )
            payload = output.get("data", {}).get(rec.MIME) if "data" in output else None
            if not isinstance(payload, Mapping):
                continue
            if payload.get("final"):
                final = payload.get("answers")
            elif "exercise" in payload:
                answers[str(payload["exercise"])] = rec.decode(payload.get("answer", {}))
    if isinstance(final, Mapping):
        answers = {**answers, **{str(k): rec.decode(v) for k, v in final.items()}}
    return answers, errors, final is not None


def _fmt(value: float) -> str:
    return f"{value:.4f}" if abs(value) >= 1e-4 or value == 0 else f"{value:.2e}"


def check(entry: Mapping, answer: object, language: str = "en") -> tuple[float, str]:
    """``(points, message)`` for one answer against its key entry (the message in
    ``language``; the points do not depend on it)."""

    def say(en: str, zh: str) -> str:
        return pick(language, en, zh)

    points = float(entry["points"])
    truth, tol = entry["truth"], float(entry["tolerance"])
    if answer is None:
        return 0.0, say("blank: the answer is still None", "空白：答案仍是 None")
    if entry["kind"] == "bool":
        p = entry.get("pretrend_p")
        why = (
            say(
                f"the joint pre-trend test on your twin has p = {p:.3f}, "
                + (
                    "at or above 0.05: it does not reject, so the pre-test passes"
                    if truth
                    else "below 0.05: it rejects, so the pre-test does not pass"
                ),
                f"你的孪生数据上联合事前趋势检验的 p = {p:.3f}，"
                + (
                    "不低于 0.05：不拒绝，所以事前检验通过"
                    if truth
                    else "低于 0.05：拒绝，所以事前检验未通过"
                ),
            )
            if p is not None
            else ""
        )
        if isinstance(answer, bool):
            if answer == truth:
                return points, say(f"correct: {answer}", f"正确：{answer}")
            return 0.0, say(f"wrong: the answer is {truth}; {why}", f"错误：答案是 {truth}；{why}")
        return 0.0, say(
            f"give True or False, not {answer!r}; the answer is {truth}: {why}",
            f"请给出 True 或 False，而不是 {answer!r}；答案是 {truth}：{why}",
        )
    if isinstance(answer, bool):
        return 0.0, say(
            f"give a number, not {answer}; the true value is {_fmt(truth)}",
            f"请给出一个数，而不是 {answer}；真实值是 {_fmt(truth)}",
        )
    if isinstance(answer, str):
        return 0.0, say(
            f"not a number ({answer!r}); the true value is {_fmt(truth)}",
            f"不是数值（{answer!r}）；真实值是 {_fmt(truth)}",
        )
    value = float(answer)
    if not math.isfinite(value):
        return 0.0, say(
            f"not a finite number ({value}); the true value is {_fmt(truth)}",
            f"不是有限的数（{value}）；真实值是 {_fmt(truth)}",
        )
    truth = float(truth)
    gap = abs(value - truth)
    told = say(
        f"the true value is {_fmt(truth)} (±{_fmt(tol)}); your answer {_fmt(value)}",
        f"真实值是 {_fmt(truth)}（±{_fmt(tol)}）；你的答案是 {_fmt(value)}",
    )
    if gap <= tol:
        return points, say(
            f"correct: {_fmt(value)} (true value {_fmt(truth)}, ±{_fmt(tol)})",
            f"正确：{_fmt(value)}（真实值 {_fmt(truth)}，±{_fmt(tol)}）",
        )
    near = [
        (abs(value - float(m["value"])), (m.get("messages") or {}).get(language) or m["message"])
        for m in entry.get("mistakes", [])
        if abs(value - float(m["value"])) <= tol
    ]
    if near:
        return 0.0, say(f"wrong: {min(near)[1]}; {told}", f"错误：{min(near)[1]}；{told}")
    if truth != 0 and abs(value / 100 - truth) <= tol:
        what = (
            say("give a share between 0 and 1", "请给出 0 到 1 之间的比例")
            if entry["kind"] == "rate"
            else say("it is 100 times too large", "它大了 100 倍")
        )
        return 0.0, say(
            f"wrong: this looks like a percentage; {what}; {told}",
            f"错误：这看起来是百分数；{what}；{told}",
        )
    if truth != 0 and abs(value + truth) <= tol:
        return 0.0, say(f"wrong: the sign is reversed; {told}", f"错误：符号反了；{told}")
    return 0.0, say(f"wrong: off by {_fmt(gap)}; {told}", f"错误：相差 {_fmt(gap)}；{told}")


def _missing(key: str, run: Run, language: str = "en") -> str:
    def say(en: str, zh: str) -> str:
        return pick(language, en, zh)

    own = [e for e in run.errors if e["exercise"] == key]
    if own:
        message = say(
            f"no answer: the cell of this exercise raised {own[0]['error']}",
            f"没有答案：本练习的单元格引发了 {own[0]['error']}",
        )
        before = [
            e
            for e in run.errors
            if not e["exercise"] and not e["grader"] and e["cell"] < own[0]["cell"]
        ]
        if before:
            message += say(
                f", after code cell {before[0]['cell']} raised {before[0]['error']} "
                "(fix that one first)",
                f"，此前代码单元格 {before[0]['cell']} 已引发 {before[0]['error']}"
                "（请先修正那一处）",
            )
        return message
    if run.stopped:
        return say(f"no answer: {run.stopped}", f"没有答案：{run.stopped}")
    others = [e for e in run.errors if not e["grader"]]
    if others:
        first = others[0]
        return say(
            f"no answer recorded (answers[{key!r}] was never set); the notebook raised "
            f"{first['error']} in code cell {first['cell']}",
            f"没有记录答案（从未设置 answers[{key!r}]）；笔记本在代码单元格 {first['cell']} "
            f"中引发了 {first['error']}",
        )
    return say(
        f"no answer recorded: answers[{key!r}] was never set",
        f"没有记录答案：从未设置 answers[{key!r}]",
    )


def _exercise_title(key: str, language: str) -> str:
    """How the feedback page names an exercise: its id in English; in Chinese its Chinese
    title with the id after it in code (the id alone if the registry no longer has it)."""
    if language != "zh":
        return key
    from replicate.classroom.exercises import EXERCISES

    exercise = EXERCISES.get(key)
    title = exercise.zh.get("title", "") if exercise is not None else ""
    return f"{_cell(title)} `{key}`" if title.strip() else f"`{key}`"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def feedback_page(
    course: str,
    sid: str,
    name: str,
    run: Run | None,
    rows: list[dict],
    key: Mapping | None,
    language: str = "en",
) -> str:
    def say(en: str, zh: str) -> str:
        return pick(language, en, zh)

    got = sum(r["points"] for r in rows)
    possible = sum(r["possible"] for r in rows)
    lines = [
        say(f"# Feedback: {course}", f"# 反馈：{course}"),
        "",
        say(
            f"Student: **{sid}**" + (f" ({name})" if name else ""),
            f"学生：**{sid}**" + (f"（{name}）" if name else ""),
        ),
    ]
    if run is not None:
        lines.append(
            say(
                f"Submission: `{run.label}` (sha256 `{run.sha256[:16]}…`)",
                f"提交的文件：`{run.label}`（sha256 `{run.sha256[:16]}…`）",
            )
        )
    lines += [
        "",
        say(f"Score: **{got:g} / {possible:g}**", f"得分：**{got:g} / {possible:g}**"),
        "",
    ]
    if run is not None and run.problem:
        lines += [f"**{run.problem}**", ""]
    lines += [
        say(
            "| exercise | points | your answer | true value | message |",
            "| 练习 | 得分 | 你的答案 | 真实值 | 说明 |",
        ),
        "| --- | ---: | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {_exercise_title(r['exercise'], language)} | {r['points']:g} / {r['possible']:g} | {_cell(r['answer'])} "
            f"| {_cell(r['truth'])} | {_cell(r['message'])} |"
        )
    if run is not None and (run.errors or run.stopped):
        lines += [
            "",
            say("## What went wrong while your notebook ran", "## 你的笔记本运行时出了什么问题"),
            "",
        ]
        for e in run.errors:
            where = say(f"code cell {e['cell']}", f"代码单元格 {e['cell']}")
            if e["exercise"]:
                where += say(
                    f" (exercise {e['exercise']})",
                    f"（练习 {_exercise_title(e['exercise'], language)}）",
                )
            lines.append(
                say(
                    f"- {where}, `{_cell(e['line'])}`: {e['error']}",
                    f"- {where}，`{_cell(e['line'])}`：{e['error']}",
                )
            )
        if run.stopped:
            lines.append(f"- {run.stopped}")
    if key is not None:
        lines += [
            "",
            say(
                "Your twin: seed "
                f"{key['seed']}, SYNTHETIC data. A tolerance is zero (up to rounding) for a "
                "number your twin determines exactly, and three Monte Carlo standard errors "
                "for a Monte Carlo answer.",
                f"你的孪生数据：种子 {key['seed']}，合成数据（SYNTHETIC）。由你的孪生数据精确决定的"
                "数值，容差为零（只允许舍入误差）；蒙特卡洛模拟得到的答案，容差为三个蒙特卡洛"
                "标准误。",
            ),
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Grading:
    """What ``grade`` wrote."""

    out: Path
    grades: pd.DataFrame
    totals: pd.DataFrame
    runs: tuple
    language: str = "en"
    """The language the messages were written in."""


def _shown(answer: object) -> str:
    if answer is None:
        return ""
    if isinstance(answer, float):
        return _fmt(answer)
    return str(answer)


def _nothing_to_grade(submissions: Path, zips: Sequence[Path], language: str) -> str:
    """The error for a folder with no notebook in it (nor in its ZIPs)."""
    names = ", ".join(p.name for p in zips[:3]) + (", …" if len(zips) > 3 else "")
    return pick(
        language,
        f"{submissions}: no submissions found (expected notebooks named <student id>.ipynb, "
        "or .zip files holding them, in this folder or below it"
        + (f"; {names} hold no notebook" if zips else "")
        + "). Fix: pass the folder the students' notebooks are in, or add --missing to list "
        "every student of the key as not submitted.",
        f"{submissions}：没有找到提交的文件（应在此文件夹或其子文件夹中有名为 <学号>.ipynb 的"
        "笔记本，或装有它们的 .zip 文件"
        + (f"；{names} 中没有笔记本" if zips else "")
        + "）。解决办法：给出学生笔记本所在的文件夹，或加上 --missing，把答案表中的每个学生"
        "都列为未提交。",
    )


def grade(
    submissions: str | Path,
    out: str | Path,
    *,
    key: str | Path | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    jobs: int = 2,
    missing: bool = False,
    language: str | None = None,
) -> Grading:
    """Grade every notebook in ``submissions`` (see the module docstring).

    ``key`` defaults to the ``answer_key.json`` in ``submissions`` or a folder above it;
    ``missing=True`` adds zero rows for students of the roster with no submission;
    ``language`` (``"en"``/``"zh"``) overrides the assignment's language for the messages.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    submissions, out = Path(submissions), Path(out)
    if key is None:
        start = submissions if submissions.is_dir() else submissions.parent
        found = next(
            (
                d / KEY_JSON
                for d in (start, *start.resolve().parents)[:4]
                if (d / KEY_JSON).is_file()
            ),
            None,
        )
        if found is None:
            raise ValueError(
                f"no {KEY_JSON} in {start} or the folders above it. Fix: pass --key with the "
                "answer_key.json that `replicate classroom assign` wrote."
            )
        key = found
    record = load_key(key)
    language = check_language(language) if language else key_language(record)

    def say(en: str, zh: str) -> str:
        return pick(language, en, zh)

    if int(timeout) < 1:
        raise ValueError(f"--timeout {timeout}: give the seconds a cell may run, e.g. 300.")
    if submissions.is_file() and submissions.suffix.lower() not in (".ipynb", ".zip"):
        raise ValueError(
            say(
                f"{submissions} is not a notebook: SUBMISSIONS is a folder of submitted "
                "notebooks (<student id>.ipynb, or the ZIPs an LMS downloads), or one .ipynb "
                "or .zip. Fix: pass the folder the students' notebooks are in (the roster is "
                "not needed: the key knows the class).",
                f"{submissions} 不是笔记本：SUBMISSIONS 应是存放学生提交的笔记本的文件夹"
                "（<学号>.ipynb，或学习平台下载的 ZIP），或单个 .ipynb 或 .zip 文件。"
                "解决办法：给出学生笔记本所在的文件夹（不需要名单：答案表里已有全班）。",
            )
        )
    paths = find_submissions(submissions, out)
    runs: list[Run] = []
    tasks = []
    inputs = Path(tempfile.mkdtemp(prefix="replicate-grade-inputs-"))
    try:
        items = unpack(paths, inputs / "unzipped")
        if not items and not missing:
            raise ValueError(_nothing_to_grade(submissions, paths, language))
        out.mkdir(parents=True, exist_ok=True)
        executed_dir = out / "executed"
        executed_dir.mkdir(exist_ok=True)
        taken: set[str] = set()
        origins = {p: sha256(p) for p in paths}
        for path, label, origin in items:
            run = Run(path, sha256(path), label, origin)
            runs.append(run)
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception as error:  # not JSON, not a notebook
                run.problem = say(
                    f"{label} is not a readable notebook ({type(error).__name__}); zero",
                    f"{label} 不是可读取的笔记本（{type(error).__name__}）；记零分",
                )
                continue
            sid, course, run.role = identify(nb)
            run.student_id = sid
            if sid is None:
                run.problem = say(
                    f"{label}: cannot tell whose notebook this is (no student id in its "
                    "metadata or parameters cell); zero",
                    f"{label}：无法判断这是谁的笔记本（其元数据和参数单元格中都没有学号）；记零分",
                )
                continue
            if course is not None and course != record["course"]:
                run.problem = say(
                    f"{label} is a notebook of course {course!r}, the key is for "
                    f"{record['course']!r}; zero",
                    f"{label} 是课程 {course!r} 的笔记本，而答案表属于课程 {record['course']!r}；"
                    "记零分",
                )
                continue
            if sid not in record["students"]:
                run.problem = say(
                    f"student {sid!r} is not on the roster of {record['course']!r}; zero",
                    f"学生 {sid!r} 不在课程 {record['course']!r} 的名单上；记零分",
                )
                continue
            student = record["students"][sid]
            stem = slug(sid)
            n = 1
            while stem in taken:
                n += 1
                stem = f"{slug(sid)}-{n}"
            taken.add(stem)
            source = inputs / f"{stem}.ipynb"
            nbformat.write(prepare_copy(nb, language), source)
            run.executed = executed_dir / f"{stem}.ipynb"
            run.executed.unlink(missing_ok=True)
            run.executed.with_suffix(".kernel.log").unlink(missing_ok=True)
            parameters = {
                "course": record["course"],
                "student_id": sid,
                "seed": student["seed"],
                "knobs": student["knobs"],
                "mc_knobs": student["mc_knobs"],
                "draws": record["draws"],
            }
            tasks.append(
                (
                    run,
                    {
                        "input": str(source),
                        "output": str(run.executed),
                        "log": str(run.executed.with_suffix(".kernel.log")),
                        "parameters": parameters,
                        "timeout": int(timeout),
                        "language": language,
                    },
                )
            )
        if len(tasks) > 1 and jobs > 1:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
                outcomes = list(pool.map(execute_copy, [t for _, t in tasks]))
        else:  # one at a time: in this process (each still in its own fresh kernel)
            outcomes = [execute_copy(t) for _, t in tasks]
        if tasks:
            for (run, _), outcome in zip(tasks, outcomes, strict=True):
                run.stopped = outcome["stopped"]
                run.answers, run.errors, _ = read_results(run.executed)
    finally:
        shutil.rmtree(inputs, ignore_errors=True)
    for run in runs:
        if sha256(run.origin) != origins[run.origin]:
            run.problem = (run.problem + say("; ", "；") if run.problem else "") + say(
                f"warning: {run.origin.name} changed on disk while it was graded",
                f"警告：{run.origin.name} 在评分期间在磁盘上被修改",
            )
    return _write(record, runs, out, missing, language)


def _bilingual(
    record: Mapping, student: Mapping, ex_key: str, entry: Mapping, answer: object
) -> Mapping:
    """``entry`` with its likely mistakes' messages in both languages: a key written before
    it carried them has them regenerated from the exercise on the student's twin (matched
    by value), so that ``--language`` overrides the hints too. Only when ``answer`` is one
    of those mistakes (regenerating may simulate the twin again)."""
    mistakes = entry.get("mistakes", [])
    if all("messages" in m for m in mistakes):
        return entry
    if isinstance(answer, bool) or not isinstance(answer, int | float):
        return entry
    tol = float(entry["tolerance"])
    if not any(abs(float(answer) - float(m["value"])) <= tol for m in mistakes):
        return entry
    import replicate.classroom.exercises as ex

    exercise = ex.EXERCISES.get(ex_key)
    if exercise is None:
        return entry
    ctx = ex.Context(
        student["seed"], student["knobs"], student["mc_knobs"], record["draws"], record["key_draws"]
    )
    again = [(float(v), m) for v, m in exercise.mistakes(ctx)]
    filled = []
    for m in mistakes:
        match = next(
            (t for v, t in again if math.isclose(v, float(m["value"]), abs_tol=1e-9)), None
        )
        filled.append({**m, "messages": {"en": match.en, "zh": match.zh}} if match else m)
    return {**entry, "mistakes": filled}


def _write(
    record: Mapping, runs: Sequence[Run], out: Path, missing: bool, language: str = "en"
) -> Grading:
    exercises = record["exercises"]

    def say(en: str, zh: str) -> str:
        return pick(language, en, zh)

    joint = say("; ", "；")
    by_student: dict[str, list[Run]] = {}
    for run in runs:
        by_student.setdefault(run.student_id or f"?{run.path.stem}", []).append(run)
    rows, totals = [], []
    feedback_dir = out / "feedback"
    feedback_dir.mkdir(exist_ok=True)
    ids = list(by_student)
    if missing:
        ids += [sid for sid in record["students"] if sid not in by_student]
    for sid in sorted(ids):
        graded = by_student.get(sid, [])
        run = graded[-1] if graded else None
        student = record["students"].get(sid)
        name = student["name"] if student else ""
        mine = []
        for ex_key in exercises:
            entry = student["entries"].get(ex_key) if student else None
            possible = float(entry["points"]) if entry else 1.0
            answer = None
            if run is None:
                points, message = 0.0, say("no submission", "未提交")
            elif run.problem and run.executed is None:
                points, message = 0.0, run.problem
            elif entry is None:
                points, message = (
                    0.0,
                    say(
                        f"exercise {ex_key!r} is not in this student's key",
                        f"练习 {ex_key!r} 不在该学生的答案表中",
                    ),
                )
            elif ex_key not in run.answers:
                points, message = 0.0, _missing(ex_key, run, language)
            else:
                answer = run.answers[ex_key]
                points, message = check(entry, answer, language)
                if points == 0 and language != key_language(record):
                    entry = _bilingual(record, student, ex_key, entry, answer)
                    points, message = check(entry, answer, language)
            mine.append(
                {
                    "student": sid,
                    "exercise": ex_key,
                    "points": points,
                    "possible": possible,
                    "message": message,
                    "answer": _shown(answer),
                    "truth": "" if entry is None else _shown(entry["truth"]),
                }
            )
        if run is not None and run.role == "teacher":
            note = say(
                f"note: {run.label} is a teacher's copy (solutions filled in)",
                f"注意：{run.label} 是教师版（已填入解答）",
            )
            run.problem = (run.problem + joint if run.problem else "") + note
        if len(graded) > 1:
            note = say(
                f"{len(graded)} submissions found ({', '.join(r.label for r in graded)}); "
                f"graded the last, {run.label}",
                f"找到 {len(graded)} 份提交（{'、'.join(r.label for r in graded)}）；"
                f"评阅的是最后一份 {run.label}",
            )
            run.problem = (run.problem + joint if run.problem else "") + note
        rows += mine
        totals.append(
            {
                "student": sid,
                "name": name,
                "points": sum(r["points"] for r in mine),
                "possible": sum(r["possible"] for r in mine),
                "submission": run.label if run else "",
            }
        )
        page = feedback_page(record["course"], sid, name, run, mine, student, language)
        (feedback_dir / f"{slug(sid.lstrip('?'))}.md").write_text(page, encoding="utf-8")
    grades = pd.DataFrame(
        rows, columns=["student", "exercise", "points", "possible", "message", "answer", "truth"]
    )
    table = grades[["student", "exercise", "points", "possible", "message"]]
    table.to_csv(out / "grades.csv", index=False, encoding=csv_encoding(language))
    total = pd.DataFrame(totals, columns=["student", "name", "points", "possible", "submission"])
    total.to_csv(out / "totals.csv", index=False, encoding=csv_encoding(language))
    return Grading(out, grades, total, tuple(runs), language)
