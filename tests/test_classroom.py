"""The classroom kit, the way a teacher uses it: `replicate classroom assign` and `grade`
as subprocesses on a simulated class of 3 (30 in the slow test).

The truths are checked against independent computations (the generator's own cohort
ATTs, pyfixest's TWFE, the Monte Carlo summary the notebook uses) and the theory of the
bias decomposition (its weighting and forbidden parts do not depend on the noise and
vanish with a constant effect).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from replicate.classroom import exercises as ex
from replicate.classroom.grade import check
from replicate.classroom.roster import RosterError, read_roster, student_seed

COURSE = "DID 2026 秋"
DRAWS, KEY_DRAWS = 3, 6  # few twins: the kit's logic, not its precision, is tested
STUDENTS = [("S001", "张三"), ("学生02", "Li Wei"), ("007", "王五")]


def cli(*args: str, check_ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "replicate.cli", "classroom", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check_ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def write_roster(path: Path, rows, encoding: str = "utf-8", header=("student_id", "姓名")) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("classroom")
    roster = write_roster(root / "roster.csv", STUDENTS, encoding="gb18030")
    out = root / "assigned"
    cli(
        "assign",
        str(roster),
        "--out",
        str(out),
        "--course",
        COURSE,
        "--draws",
        str(DRAWS),
        "--key-draws",
        str(KEY_DRAWS),
        "--jobs",
        "1",  # no worker processes to start (keys on 2 workers: the 30-student test)
    )
    key = json.loads((out / "answer_key.json").read_text(encoding="utf-8"))
    return root, out, key


def notebooks(out: Path, role: str) -> dict[str, Path]:
    found = {}
    for sid, _ in STUDENTS:
        folder = out / sid
        suffix = ".teacher-solution.ipynb"
        (path,) = [
            p for p in folder.glob("*.ipynb") if p.name.endswith(suffix) == (role == "teacher")
        ]
        found[sid] = path
    return found


def grade(
    root: Path, name: str, files: dict[str, Path], key: Path, *, via_cli: bool = False
) -> tuple[pd.DataFrame, Path]:
    """Grade ``files`` one notebook at a time (no worker processes to start: the least
    CPU; each notebook still runs in its own fresh kernel), through the CLI as a
    subprocess (the teacher's copies) or, to spare a Python start, in this process."""
    subs = root / name
    subs.mkdir()
    for sid, path in files.items():
        shutil.copy(path, subs / f"{sid}-{path.name}")
    before = {p: digest(p) for p in subs.iterdir()}
    out = root / f"{name}-graded"
    if via_cli:
        args = ("--timeout", "120", "--jobs", "1")
        cli("grade", str(subs), "--out", str(out), "--key", str(key), *args)
    else:
        from replicate.classroom.grade import grade as grade_in_process

        grade_in_process(subs, out, key=key, timeout=120, jobs=1, missing=True)
    assert {p: digest(p) for p in subs.iterdir()} == before  # submissions never modified
    return pd.read_csv(out / "grades.csv", dtype={"student": str}), out


def edit_cell(path: Path, tag: str, source: str, target: Path) -> Path:
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    cell.source = source
    nbformat.write(nb, target)
    return target


# ----------------------------------------------------------------------------- assign


def test_assign_writes_a_notebook_teacher_copy_key_and_zip_per_student(course):
    root, out, key = course
    assert key["course"] == COURSE and list(key["students"]) == [s for s, _ in STUDENTS]
    seeds = {sid: entry["seed"] for sid, entry in key["students"].items()}
    assert len(set(seeds.values())) == 3
    for sid, name in STUDENTS:
        entry = key["students"][sid]
        assert entry["name"] == name  # the GB18030 roster was read as Chinese
        expected = int(hashlib.sha256(f"{COURSE}\x1f{sid}".encode()).hexdigest()[:8], 16)
        assert entry["seed"] == expected == student_seed(COURSE, sid)
        student = nbformat.read(notebooks(out, "student")[sid], as_version=4)
        params = [c for c in student.cells if "parameters" in c.metadata.get("tags", [])][0]
        assert f"seed = {expected}" in params.source and f'student_id = "{sid}"' in params.source
        answer_cells = [
            c.source
            for c in student.cells
            if any(t.startswith("exercise-") for t in c.metadata.get("tags", []))
        ]
        assert len(answer_cells) == len(ex.EXERCISES)
        assert all(
            s.endswith(tuple(f"# {e.starter_hint}" for e in ex.EXERCISES.values()))
            for s in answer_cells
        )
        assert all("= None" in s for s in answer_cells)  # no solution in the student's copy
        teacher = nbformat.read(notebooks(out, "teacher")[sid], as_version=4)
        assert "TEACHER" in teacher.cells[0].source and "twfe_bias(" in "".join(
            c.source for c in teacher.cells
        )
        with zipfile.ZipFile(out / "handout" / f"{notebooks(out, 'student')[sid].stem}.zip") as z:
            names = z.namelist()
            assert not any("teacher" in n for n in names)
            assert any(n.endswith(notebooks(out, "student")[sid].name) for n in names)
    table = pd.read_csv(out / "answer_key.csv", dtype={"student": str})
    assert set(table.columns) >= {"student", "exercise", "true value", "tolerance"}
    assert len(table) == 3 * len(ex.EXERCISES)
    # every student's twin differs: the same exercise has different truths
    cohort = table[table["exercise"] == "cohort_att"]["true value"].astype(float)
    assert (
        cohort.nunique() > 1 or table[table["exercise"] == "twfe_bias"]["true value"].nunique() == 3
    )


def test_assign_twice_gives_identical_files(course, tmp_path):
    """The CLI's run and a second run in this process: same bytes (keys simulated on 2
    workers against a serial run: the 30-student test)."""
    root, out, _ = course
    from replicate.classroom.assign import assign

    again = tmp_path / "again"
    assign(root / "roster.csv", again, course=COURSE, draws=DRAWS, key_draws=KEY_DRAWS, jobs=1)
    same_files(out, again)


def same_files(a: Path, b: Path) -> None:
    first = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    second = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert first == second
    assert all(digest(a / p) == digest(b / p) for p in first)


@pytest.mark.parametrize(
    ("rows", "needle"),
    [
        ([("S1", "a"), ("S2", "b"), ("S1", "c")], "repeated on lines 2, 4"),
        ([("S1", "a"), ("", "b"), ("S3", "c")], "line(s) 3"),
        ([("S1", "a"), ("  ", "b")], "line(s) 3"),
    ],
)
def test_roster_with_a_duplicate_or_empty_id_is_refused_with_the_row(tmp_path, rows, needle):
    with pytest.raises(RosterError) as error:
        read_roster(write_roster(tmp_path / "r.csv", rows))
    assert needle in str(error.value)


def test_assign_refuses_a_bad_roster_naming_every_row(tmp_path):
    roster = write_roster(tmp_path / "r.csv", [("S1", "a"), ("", "b"), ("S1", "c"), ("S4", "d")])
    done = cli("assign", str(roster), "--out", str(tmp_path / "out"), check_ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "line(s) 3" in done.stderr and "repeated on lines 2, 4" in done.stderr
    assert not (tmp_path / "out").exists()  # nothing written


def test_roster_encodings_and_id_column(tmp_path):
    rows = [("学生01", "张三"), ("学生02", "李四")]
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        students = read_roster(write_roster(tmp_path / f"{encoding}.csv", rows, encoding))
        assert [(s.student_id, s.name) for s in students] == rows
    odd = write_roster(tmp_path / "odd.csv", [("x1", "n")], header=("matric", "name"))
    with pytest.raises(RosterError, match="--id-column"):
        read_roster(odd)
    assert read_roster(odd, id_column="matric")[0].student_id == "x1"
    (tmp_path / "latin.csv").write_bytes(b"student_id\n\xff\xfe\xfa\n")
    with pytest.raises(RosterError, match="neither UTF-8 nor GB18030"):
        read_roster(tmp_path / "latin.csv")


# ----------------------------------------------------------------------------- truths


def test_truths_agree_with_independent_computations():
    seed = student_seed("check", "x")
    knobs, mc_knobs = ex.student_knobs(seed)
    ctx = ex.Context(seed, knobs, mc_knobs, DRAWS, KEY_DRAWS)
    f = ctx.frame
    # the generator's ATT of the batch against the mean of tau over its treated rows
    rows = (f["g"] == ex.BATCH) & (f["did"] == 1)
    assert ex.EXERCISES["cohort_att"].truth(ctx) == pytest.approx(
        f.loc[rows, "tau"].mean(), abs=1e-12
    )
    # TWFE through pyfixest (the key) equals the Bacon decomposition's (the solution)
    assert ctx.twfe == pytest.approx(ctx.split.twfe, abs=1e-8)
    assert ctx.parts["total"] == pytest.approx(ctx.split.twfe - ctx.split.att, abs=1e-10)
    # the Monte Carlo truth is the notebook's montecarlo.summarise on the key's draws
    from replicate import montecarlo

    summary = montecarlo.summarise(ctx.monte_carlo.assign(status="ok"))
    assert ex.EXERCISES["coverage"].truth(ctx) == pytest.approx(summary.loc["TWFE", "coverage"])
    tol, se, _ = ex.tolerance(ex.EXERCISES["coverage"], ctx)
    p = float(np.clip(summary.loc["TWFE", "coverage"], 0.5 / KEY_DRAWS, 1 - 0.5 / KEY_DRAWS))
    assert se == pytest.approx(np.sqrt(p * (1 - p) / DRAWS)) and tol == pytest.approx(3 * se)
    tol, se, _ = ex.tolerance(ex.EXERCISES["mde"], ctx)
    assert se == pytest.approx(
        ctx.mde_multiplier * ctx.monte_carlo["se"].std(ddof=1) / np.sqrt(DRAWS)
    )
    assert ctx.mde_multiplier == pytest.approx(1.959964 + 0.841621, abs=1e-5)


def test_the_chapter_exercises_truths_agree_with_independent_computations():
    """The key (pyfixest's TWFE, multiverse's imputation) against the solutions' routes
    (the Bacon decomposition, the imputation estimator called directly) and theory."""
    from replicate.models.bias import twfe_bias
    from replicate.models.staggered import imputation

    seed = student_seed("check", "y")
    knobs, mc_knobs = ex.student_knobs(seed)
    ctx = ex.Context(seed, knobs, mc_knobs, DRAWS, KEY_DRAWS)
    homogeneous = ctx.homogeneous
    split = twfe_bias(homogeneous.frame, "nqp", "tau", **ex.COLUMNS)
    parts = split.by_part()
    # a constant effect: both systematic parts vanish, the bias is the noise part alone
    assert abs(parts["variance weighting"]) < 1e-10 and abs(parts["forbidden comparison"]) < 1e-10
    truth = ex.EXERCISES["homogeneous_bias"].truth(ctx)
    assert truth == pytest.approx(parts["noise and trend violation"], abs=1e-8)
    assert truth == pytest.approx(split.twfe - split.att, abs=1e-8)
    conditional = ctx.variant(conditional_trends=True)
    split = twfe_bias(conditional.frame, "nqp", "tau", **ex.COLUMNS)
    assert ex.EXERCISES["conditional_bias"].truth(ctx) == pytest.approx(
        split.twfe - split.att, abs=1e-8
    )
    anticipating = ctx.variant(anticipation=ex.ANTICIPATION)
    f = anticipating.frame
    fit = imputation(f, "nqp", **ex.COLUMNS)
    assert ex.EXERCISES["anticipation_bias"].truth(ctx) == pytest.approx(
        fit.estimate - f.loc[f["did"] == 1, "tau"].mean(), abs=1e-8
    )
    assert (f.loc[(f["did"] == 0) & (f["g"] > 0), "tau"] != 0).any()  # anticipation is on
    # the rates: shares of the key's own draws, the pass rate the complement of rejection
    rejects = ctx.rejects(ex.PRETREND_SMALL)
    assert len(rejects) == KEY_DRAWS
    assert ex.EXERCISES["pretest_pass"].truth(ctx) == pytest.approx(1 - rejects.mean())


def test_bias_parts_are_the_design_s_not_the_noise_s():
    """Weighting and forbidden parts depend on timing and true effects only: equal on two
    seeds of one design, and zero when every effect is the same constant."""
    knobs, _ = ex.student_knobs(1)
    a = ex.Context(11, knobs, {}, DRAWS, KEY_DRAWS).parts
    b = ex.Context(12, knobs, {}, DRAWS, KEY_DRAWS).parts
    for part in ("variance weighting", "forbidden comparison"):
        assert a[part] == pytest.approx(b[part], abs=1e-12)
    assert a["noise and trend violation"] != pytest.approx(b["noise and trend violation"], abs=1e-6)
    flat = {"cohort_effects": {2014: 0.2, 2015: 0.2, 2016: 0.2}, "conditional_trends": False}
    parts = ex.Context(11, flat, {}, DRAWS, KEY_DRAWS).parts
    # the indirect effect through innovp is the same constant for every treated city-year
    assert abs(parts["variance weighting"]) < 1e-10 and abs(parts["forbidden comparison"]) < 1e-10


def test_check_messages():
    entry = {
        "kind": "rate",
        "points": 1,
        "truth": 0.9,
        "tolerance": 0.05,
        "mistakes": [{"value": 0.1, "message": "this is the share of intervals that miss"}],
    }
    assert check(entry, 0.88)[0] == 1
    assert "percentage; give a share" in check(entry, 90.0)[1]
    assert "miss" in check(entry, 0.1)[1]
    assert "blank" in check(entry, None)[1]
    assert (
        check(entry, float("nan"))[0] == 0
        and "not a finite number" in check(entry, float("nan"))[1]
    )
    assert "give a number" in check(entry, True)[1]
    exact = {"kind": "exact", "points": 1, "truth": -0.02, "tolerance": 5e-4, "mistakes": []}
    assert "sign is reversed" in check(exact, 0.02)[1]
    assert "off by" in check(exact, 0.5)[1] and "-0.0200" in check(exact, 0.5)[1]
    yes = {
        "kind": "bool",
        "points": 1,
        "truth": False,
        "tolerance": 0,
        "mistakes": [],
        "pretrend_p": 0.01,
    }
    assert check(yes, False)[0] == 1
    points, message = check(yes, True)
    assert points == 0 and "p = 0.010" in message and "rejects" in message


# ----------------------------------------------------------------------------- grade


def test_teacher_copies_get_full_marks_and_strangers_zero(course):
    root, out, _ = course
    files = notebooks(out, "teacher")
    stranger = root / "stranger.ipynb"
    nb = nbformat.read(files["S001"], as_version=4)
    nb.metadata["replicate_classroom"]["student_id"] = "X999"
    nbformat.write(nb, stranger)
    grades, graded = grade(
        root, "teacher", {**files, "X999": stranger}, out / "answer_key.json", via_cli=True
    )
    mine = grades[grades["student"] != "X999"]
    assert (mine["points"] == mine["possible"]).all(), mine[mine["points"] < mine["possible"]]
    assert len(mine) == 3 * len(ex.EXERCISES)
    other = grades[grades["student"] == "X999"]
    assert (other["points"] == 0).all() and other["message"].str.contains("not on the roster").all()
    assert (graded / "feedback" / "X999.md").exists()
    assert "is a teacher's copy" in (graded / "feedback" / "S001.md").read_text(encoding="utf-8")
    totals = pd.read_csv(graded / "totals.csv", dtype={"student": str}).set_index("student")
    assert totals.loc["S001", "points"] == len(ex.EXERCISES)


def test_planted_mistakes_are_marked_wrong_with_the_intended_message(course):
    root, out, _ = course
    teacher = notebooks(out, "teacher")
    planted = root / "planted-src"
    planted.mkdir()
    files = {
        # the TWFE estimate where the batch's ATT is asked
        "S001": edit_cell(
            teacher["S001"],
            "exercise-cohort_att",
            'answers["cohort_att"] = twfe_bias(frame, "nqp", "tau", **columns).twfe',
            planted / "a.ipynb",
        ),
        # the coverage in percent instead of a share
        "学生02": edit_cell(
            teacher["学生02"],
            "exercise-coverage",
            'design = montecarlo.Design(mc_knobs, estimators=("twfe",), seed=seed)\n'
            "mc = montecarlo.run_fast(design, draws)\n"
            'answers["coverage"] = 100 * montecarlo.summarise(mc).loc["TWFE", "coverage"]',
            planted / "b.ipynb",
        ),
        # a blank
        "007": edit_cell(
            teacher["007"], "exercise-mde", 'answers["mde"] = None', planted / "c.ipynb"
        ),
    }
    grades, graded = grade(root, "planted", files, out / "answer_key.json")
    wrong = grades[grades["points"] < grades["possible"]].set_index("student")
    assert sorted(zip(wrong.index, wrong["exercise"], strict=True)) == [
        ("007", "mde"),
        ("S001", "cohort_att"),
        ("学生02", "coverage"),
    ]
    assert (
        "this is the TWFE estimate, not the 2014 batch's true ATT" in wrong.loc["S001", "message"]
    )
    assert "looks like a percentage; give a share" in wrong.loc["学生02", "message"]
    assert wrong.loc["007", "message"].startswith("blank")
    page = (graded / "feedback" / "S001.md").read_text(encoding="utf-8")
    assert "TWFE estimate" in page and f"{len(ex.EXERCISES) - 1} / {len(ex.EXERCISES)}" in page
    assert "王五" in (graded / "feedback" / "007.md").read_text(encoding="utf-8")


def test_untouched_copies_and_zips_get_zero_and_a_raising_notebook_says_why(course):
    root, out, _ = course
    files = dict(notebooks(out, "student"))
    broken = root / "broken.ipynb"
    nb = nbformat.read(notebooks(out, "teacher")["学生02"], as_version=4)
    setup = [c for c in nb.cells if "setup" in c.metadata.get("tags", [])][0]
    setup.source = 'raise RuntimeError("the planted failure")\n' + setup.source
    nbformat.write(nb, broken)
    grades, graded = grade(
        root,
        "untouched",
        # S001 hands back the ZIP as it was handed out (the untouched student copy inside);
        # 007 hands in nothing (listed by missing=True)
        {"S001": out / "handout" / f"{files['S001'].stem}.zip", "学生02": broken},
        out / "answer_key.json",
    )
    assert (grades["points"] == 0).all() and set(grades["student"]) == {"S001", "007", "学生02"}
    assert ".zip:" in (graded / "feedback" / "S001.md").read_text(encoding="utf-8")
    untouched = grades[grades["student"] == "S001"]
    assert untouched["message"].str.startswith("blank").all()
    assert (grades[grades["student"] == "007"]["message"] == "no submission").all()
    page = (graded / "feedback" / "学生02.md").read_text(encoding="utf-8")
    assert "RuntimeError: the planted failure" in page and f"0 / {len(ex.EXERCISES)}" in page
    assert (
        grades[grades["student"] == "学生02"]["message"]
        .str.contains("raised RuntimeError: the planted failure (fix that one first)", regex=False)
        .all()
    )


# ----------------------------------------------------------------------------- 30 students


@pytest.mark.slow
def test_a_class_of_30(tmp_path):
    rows = [(f"2026{n:03d}", f"学生{n}") for n in range(30)]
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "out"
    cli("assign", str(roster), "--out", str(out), "--draws", "5", "--key-draws", "20")
    # the keys were simulated on 2 workers (the default --jobs); a serial run: same bytes
    from replicate.classroom.assign import assign

    assign(roster, tmp_path / "serial", course="did-class", draws=5, key_draws=20, jobs=1)
    same_files(out, tmp_path / "serial")
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    for path in out.glob("*/*.teacher-solution.ipynb"):
        shutil.copy(path, teacher / path.name)
    graded = tmp_path / "graded"
    cli("grade", str(teacher), "--out", str(graded), "--key", str(out / "answer_key.json"))
    grades = pd.read_csv(graded / "grades.csv", dtype={"student": str})
    assert grades["student"].nunique() == 30 and (grades["points"] == grades["possible"]).all()
    key = pd.read_csv(out / "answer_key.csv", dtype={"student": str})
    assert key[key["exercise"] == "twfe_bias"]["true value"].nunique() == 30


def test_a_cell_past_the_time_limit_stops_the_run_and_keeps_earlier_answers(tmp_path):
    from replicate.classroom.grade import execute_copy, prepare_copy, read_results

    v4 = nbformat.v4
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell(
                'from replicate.classroom import Answers\nanswers = Answers("x")\n'
                'answers["mde"] = 0.5'
            ),
            v4.new_code_cell("import time\ntime.sleep(120)"),
            v4.new_code_cell('answers["coverage"] = 0.9'),
        ]
    )
    source = tmp_path / "in.ipynb"
    nbformat.write(prepare_copy(nb), source)
    output = tmp_path / "out.ipynb"
    task = {"input": str(source), "output": str(output), "parameters": {}, "timeout": 8}
    outcome = execute_copy(task)
    assert "time limit (8 s" in outcome["stopped"]
    answers, _, final = read_results(output)
    assert answers == {"mde": 0.5} and not final


def test_the_teacher_s_copy_runs_as_handed_out_and_reproduces_the_key(course, tmp_path):
    """Executed as a teacher or student would in JupyterLab (no parameters injected, no
    cell allowed to fail), the notebook rebuilds the twin from its own parameters cell."""
    from nbclient import NotebookClient

    from replicate.classroom.grade import read_results

    _, out, key = course
    nb = nbformat.read(notebooks(out, "teacher")["007"], as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    nbformat.write(nb, tmp_path / "ran.ipynb")
    answers, errors, _ = read_results(tmp_path / "ran.ipynb")
    assert not errors
    entries = key["students"]["007"]["entries"]
    assert set(answers) == set(entries)
    for name, entry in entries.items():
        assert check(entry, answers[name])[0] == entry["points"], (
            name,
            answers[name],
            entry["truth"],
        )


def test_exercise_selection_and_missing_answer_messages():
    from replicate.classroom.grade import Run, _missing

    assert [e.key for e in ex.select(["coverage", "cohort_att"])] == ["cohort_att", "coverage"]
    with pytest.raises(ValueError, match="unknown exercise"):
        ex.select(["nope"])
    with pytest.raises(ValueError, match="add 'coverage'"):
        ex.select(["mde"])
    run = Run(Path("a.ipynb"), "0")
    assert "never set" in _missing("mde", run)
    run.errors = [
        {"cell": 4, "exercise": "mde", "grader": False, "error": "KeyError: 'se'", "line": ""}
    ]
    assert "cell of this exercise raised KeyError" in _missing("mde", run)
    run.errors, run.stopped = [], "stopped at the time limit (5 s for one cell)"
    assert "time limit" in _missing("coverage", run)


def test_the_guide_and_readme_state_the_kit_s_constants():
    """The guide's exercise table and the numbers it quotes come from exercises.py."""
    from replicate import paths

    guide = (paths.BOOK_DIR / "classroom.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", guide, flags=re.M)
    assert listed == list(ex.EXERCISES)
    assert f"(default {ex.DEFAULT_DRAWS})" in guide
    assert ex.KEY_DRAWS_FACTOR == 5 and "five times as many twins" in guide
    assert ex.TOLERANCE_Z == 3 and "within three Monte Carlo standard errors" in guide
    assert ex.ROUNDING == 5e-4 and "rounded to three" in guide
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    assert f"±{ex.ROUNDING:g}" in readme and "5 × R twins" in readme


# ----------------------------------------------------------------------------- one source


def _uncomment(block: str) -> str:
    return "\n".join(line[2:] if line.startswith("# ") else line[1:] for line in block.splitlines())


def chapter_exercises() -> dict[str, tuple[str, str]]:
    """The teaching chapter's exercises, parsed from its percent-format source:
    label → (prompt, the text between the exercise and its solution)."""
    from replicate import paths

    text = (paths.ROOT / "notebooks" / "10_teaching.py").read_text(encoding="utf-8")
    pattern = re.compile(
        r"^# :::\{exercise\}\n# :label: (\S+)\n((?:#.*\n)*?)# :::\n((?:#.*\n)*?)"
        r"# :::\{solution\} (\S+)\n",
        re.M,
    )
    found = {}
    for label, prompt, between, solved in pattern.findall(text):
        assert solved == label, f"{label}: its solution block is for {solved}"
        found[label] = (_uncomment(prompt), _uncomment(between))
    assert len(found) == text.count("# :::{exercise}")  # every block was parsed
    return found


def test_the_chapter_s_exercises_and_the_kit_s_are_one_source():
    """Every chapter exercise is a kit exercise with the same prompt (whitespace aside),
    or in the documented not-graded list; the chapter names the kit's exercise under it."""
    chapter = chapter_exercises()
    labelled = {e.chapter_label: e for e in ex.EXERCISES.values() if e.chapter_label}
    assert len(chapter) == 9
    assert set(labelled) | set(ex.NOT_GRADED) == set(chapter)
    assert not set(labelled) & set(ex.NOT_GRADED)
    assert all(len(reason) > 80 for reason in ex.NOT_GRADED.values())
    for label, exercise in labelled.items():
        prompt, between = chapter[label]
        assert " ".join(exercise.prompt.split()) == " ".join(prompt.split()), label
        assert exercise.ask, f"{exercise.key}: say which number of the twin is graded"
        named = re.findall(r"`--exercises ([\w,]+)`", between)
        assert len(named) == 1, (label, between)
        keys = named[0].split(",")
        assert exercise.key in keys and [e.key for e in ex.select(keys)] == keys, label
    for label in ex.NOT_GRADED:
        assert "Not graded in the {ref}`classroom kit" in chapter[label][1], label
    # the student's notebook shows the prompt without MyST roles
    for exercise in ex.EXERCISES.values():
        assert not re.search(r"\{(ref|term|cite|glue)[^}]*\}`", exercise.text), exercise.key
    assert "Roth (2022)" in ex.EXERCISES["pretest_pass"].text
    assert "exercise `homogeneous_bias`" in ex.EXERCISES["mde"].text
