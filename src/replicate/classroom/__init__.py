"""A classroom kit: every student their own twin, every answer graded against its truth.

``replicate classroom assign ROSTER.csv --out DIR`` writes one notebook per student on
that student's own synthetic twin (seed from the course and the student id), the teacher's
copy with the solutions, an answer key and a ZIP per student; ``replicate classroom grade
SUBMISSIONS --out DIR`` runs each submission in a fresh kernel and writes ``grades.csv``
and a feedback page per student. ``replicate classroom slides --out DIR`` writes the
90-minute session's slides (reveal.js, vendored: no network). ``--language zh`` writes the
notebooks, README, key and slides in 简体中文; ``grade`` then answers in it too.

What is whose: papermill (and nbclient under it) executes the notebooks; nbformat writes
and reads them; reveal.js renders the slides. Ours: the exercises and their keys
(:mod:`.exercises`), the notebooks (:mod:`.notebook`), the roster checks (:mod:`.roster`),
the answer recording (:mod:`.record`) and the marking with its feedback (:mod:`.grade`).
otter-grader and nbgrader were considered; the README says why neither is used.
"""

from __future__ import annotations

import sys

from replicate.classroom.record import DEFAULT_CELL_TIMEOUT, Answers

__all__ = ["Answers", "register"]


def _cmd_assign(args) -> int:
    from replicate.classroom.assign import assign

    exercises = [e.strip() for e in args.exercises.split(",")] if args.exercises else None
    done = assign(
        args.roster,
        args.out,
        course=args.course,
        exercises=exercises,
        draws=args.draws,
        key_draws=args.key_draws,
        id_column=args.id_column,
        force=args.force,
        jobs=args.jobs,
        language=args.language,
    )
    if done.language == "zh":
        print(
            f"{done.students} 名学生，练习 {'、'.join(done.exercises)}，课程 {done.course!r}：\n"
            f"  笔记本和教师版在 {done.out}/<学号>/\n"
            f"  要分发的 ZIP 在 {done.out / 'handout'}/\n"
            f"  答案表（请妥善保管）：{done.key} 和 {done.key.with_suffix('.csv')}"
        )
        return 0
    plural = "student" if done.students == 1 else "students"
    print(
        f"{done.students} {plural}, exercises {', '.join(done.exercises)}, "
        f"course {done.course!r}:\n"
        f"  notebooks and teacher's copies in {done.out}/<student id>/\n"
        f"  ZIPs to hand out in {done.out / 'handout'}/\n"
        f"  answer key (keep it): {done.key} and {done.key.with_suffix('.csv')}"
    )
    return 0


def _cmd_grade(args) -> int:
    from replicate.classroom.grade import grade

    done = grade(
        args.submissions,
        args.out,
        key=args.key,
        timeout=args.timeout,
        jobs=args.jobs,
        missing=args.missing,
        language=args.language,
    )
    for run in done.runs:
        if run.problem:
            print(f"  {run.label}: {run.problem}", file=sys.stderr)
        elif run.stopped:
            print(f"  {run.label}: {run.stopped}", file=sys.stderr)
    zh = done.language == "zh"
    if not done.runs:  # only with --missing: an empty folder is otherwise refused
        print(
            f"  警告：{args.submissions} 中没有提交的笔记本；每个学生都记为未提交"
            if zh
            else f"  warning: no submitted notebooks in {args.submissions}; every student "
            "is listed as not submitted",
            file=sys.stderr,
        )
    for row in done.totals.itertuples(index=False):
        note = ("（未提交）" if zh else " (no submission)") if not row.submission else ""
        print(f"  {row.student}: {row.points:g} / {row.possible:g}{note}")
    if zh:
        print(
            f"已评阅 {len(done.runs)} 份提交：{done.out / 'grades.csv'}，"
            f"反馈页面在 {done.out / 'feedback'}/"
        )
        return 0
    print(
        f"{len(done.runs)} submission(s) graded: {done.out / 'grades.csv'}, "
        f"feedback pages in {done.out / 'feedback'}/"
    )
    return 0


def _cmd_slides(args) -> int:
    from replicate.classroom.slides import build

    page = build(args.out, language=args.language)
    print(f"slides: {page} (open it in a browser; press S for the speaker notes)")
    return 0


def register(subparsers) -> None:
    """Add ``replicate classroom assign|grade|slides`` to the CLI."""
    from replicate.classroom.exercises import DEFAULT_DRAWS, EXERCISES, KEY_DRAWS_FACTOR

    p = subparsers.add_parser(
        "classroom",
        help="hand out a notebook per student on their own twin, then grade the answers",
        description="A classroom kit on the synthetic twin: `assign` writes each student's "
        "notebook (their own twin, from a seed derived from the course and their id), the "
        "teacher's copies and the answer key; `grade` runs the submissions and writes "
        "grades and feedback; `slides` writes the session's slides.",
    )
    sub = p.add_subparsers(dest="classroom_command", required=True, metavar="STEP")
    a = sub.add_parser(
        "assign",
        help="notebooks, teacher's copies, ZIPs and the answer key for a roster",
        description="For every student of ROSTER (a CSV with a student id column, UTF-8 or "
        "GB18030): a notebook on their own twin, the teacher's copy with solutions, a ZIP to "
        "hand out, and the answer key (true value and tolerance of every exercise).",
    )
    a.add_argument("roster", metavar="ROSTER.csv", help="the class list")
    a.add_argument("--out", required=True, metavar="DIR", help="folder to write (new or empty)")
    a.add_argument("--course", default="did-class", help="course name; part of every seed")
    a.add_argument(
        "--exercises", metavar="LIST", help=f"comma-separated subset of {','.join(EXERCISES)}"
    )
    a.add_argument(
        "--draws",
        type=int,
        default=DEFAULT_DRAWS,
        help=f"twins in each student's Monte Carlo (default {DEFAULT_DRAWS})",
    )
    a.add_argument(
        "--key-draws",
        type=int,
        default=None,
        help=f"twins in the key's Monte Carlo (default {KEY_DRAWS_FACTOR} × --draws)",
    )
    a.add_argument("--id-column", metavar="NAME", help="the roster's student id column")
    a.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    a.add_argument(
        "--jobs", type=int, default=2, help="students whose key is simulated at once (default 2)"
    )
    a.add_argument(
        "--language",
        choices=("en", "zh"),
        default="en",
        help="en (default) or zh: notebooks, README and key in 简体中文; grade follows the key",
    )
    a.set_defaults(func=_cmd_assign)
    g = sub.add_parser(
        "grade",
        help="run the submitted notebooks and mark their answers",
        description="Execute every notebook in SUBMISSIONS (a folder, searched recursively, "
        "or one file) in a fresh kernel, on a copy, and compare its answers with the key. "
        "Writes grades.csv, totals.csv and feedback/<student>.md in --out.",
    )
    g.add_argument("submissions", metavar="SUBMISSIONS", help="folder of submitted .ipynb files")
    g.add_argument("--out", required=True, metavar="DIR", help="folder for grades and feedback")
    g.add_argument(
        "--key", metavar="FILE", help="answer_key.json (default: found in SUBMISSIONS or above)"
    )
    g.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_CELL_TIMEOUT,
        metavar="S",
        help=f"seconds one cell may run (default {DEFAULT_CELL_TIMEOUT})",
    )
    g.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    g.add_argument(
        "--missing", action="store_true", help="also list roster students with no submission"
    )
    g.add_argument(
        "--language",
        choices=("en", "zh"),
        default=None,
        help="language of the messages and feedback pages (default: the assignment's)",
    )
    g.set_defaults(func=_cmd_grade)
    s = sub.add_parser(
        "slides",
        help="write the 90-minute session's slides (reveal.js, offline)",
        description="Write the classroom session's slides and the vendored reveal.js to DIR.",
    )
    s.add_argument("--out", required=True, metavar="DIR")
    s.add_argument(
        "--language", choices=("en", "zh"), default="en", help="en (default) or zh (简体中文)"
    )
    s.set_defaults(func=_cmd_slides)
    for step in (a, g, s):
        step.add_argument(
            "--debug", action="store_true", help="show the full traceback of an error"
        )
