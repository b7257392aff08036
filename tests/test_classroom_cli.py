"""The classroom CLI as a hostile user drives it (a reviewer's report, wave 4).

A one-student class with two exercises, assigned in Chinese and in English through the
CLI: a file that is not a notebook given as the submissions is refused and nothing is
written; an empty folder is refused unless ``--missing`` makes it meaningful (then a
warning, and every student marked as not submitted on the console too); the console
speaks the assignment's language; ``grade --language en`` on a Chinese key gives the
likely-mistake hint in English; the Chinese feedback page names exercises by their
Chinese titles with Chinese punctuation.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from test_classroom import cli, edit_cell, write_roster

from replicate.classroom import exercises as ex

CJK = re.compile(r"[\u4e00-\u9fff]")
SID = "2026001"
EXERCISES = "cohort_att,coverage"


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    """``{language: (folder, assign's stdout)}`` for one student, two exercises."""
    root = tmp_path_factory.mktemp("classroom-cli")
    roster = write_roster(root / "roster.csv", [(SID, "张三")])
    done = {}
    for lang in ("zh", "en"):
        out = root / lang
        ran = cli(
            "assign",
            str(roster),
            "--out",
            str(out),
            "--exercises",
            EXERCISES,
            "--draws",
            "3",
            "--key-draws",
            "6",
            "--jobs",
            "1",
            "--language",
            lang,
        )
        done[lang] = (out, ran.stdout)
    return root, done


def test_assign_speaks_the_assignment_s_language_and_counts_one_student(one):
    _, done = one
    zh, en = done["zh"][1], done["en"][1]
    assert zh.startswith("1 名学生，练习 cohort_att、coverage，课程 'did-class'：\n"), zh
    assert "笔记本和教师版在" in zh and "答案表（请妥善保管）：" in zh
    assert not re.search(r"\b(students?|notebooks|answer key)\b", zh)
    assert en.startswith("1 student, exercises cohort_att, coverage, course 'did-class':\n"), en
    assert "1 students" not in en and not CJK.search(en)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_file_that_is_not_a_notebook_is_refused_and_nothing_is_written(one, lang):
    root, done = one
    out = root / f"not-a-notebook-{lang}"
    ran = cli(
        "grade",
        str(root / "roster.csv"),
        "--out",
        str(out),
        "--key",
        str(done[lang][0] / "answer_key.json"),
        check_ok=False,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "roster.csv" in ran.stderr and "Traceback" not in ran.stderr
    needle = "不是笔记本" if lang == "zh" else "is not a notebook"
    assert needle in ran.stderr and ("解决办法" if lang == "zh" else "Fix:") in ran.stderr
    assert ".ipynb" in ran.stderr and ran.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_folder_is_refused_unless_missing_students_are_asked_for(one, lang):
    root, done = one
    empty = root / f"empty-{lang}"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a submission\n")  # stray files are ignored
    key = str(done[lang][0] / "answer_key.json")
    out = root / f"empty-{lang}-graded"
    ran = cli("grade", str(empty), "--out", str(out), "--key", key, check_ok=False)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert str(empty) in ran.stderr and "<" in ran.stderr and ".ipynb" in ran.stderr
    assert "--missing" in ran.stderr and "Traceback" not in ran.stderr
    assert not out.exists()
    with zipfile.ZipFile(empty / "lms-download.zip", "w") as archive:  # no notebook inside
        archive.writestr("readme.txt", "nothing to grade")
    ran = cli("grade", str(empty), "--out", str(out), "--key", key, check_ok=False)
    assert ran.returncode == 1 and "lms-download.zip" in ran.stderr, ran.stdout + ran.stderr
    assert ("中没有笔记本" if lang == "zh" else "hold no notebook") in ran.stderr
    assert not out.exists()
    ran = cli("grade", str(empty), "--out", str(out), "--key", key, "--missing")
    if lang == "zh":
        assert f"警告：{empty} 中没有提交的笔记本" in ran.stderr
        assert f"  {SID}: 0 / 2（未提交）\n" in ran.stdout
        assert ran.stdout.endswith(
            f"已评阅 0 份提交：{out / 'grades.csv'}，反馈页面在 {out / 'feedback'}/\n"
        )
    else:
        assert f"warning: no submitted notebooks in {empty}" in ran.stderr
        assert f"  {SID}: 0 / 2 (no submission)\n" in ran.stdout
        assert ran.stdout.endswith(
            f"0 submission(s) graded: {out / 'grades.csv'}, feedback pages in {out / 'feedback'}/\n"
        )
        assert not CJK.search(ran.stdout + ran.stderr)


def test_the_language_override_and_the_chinese_feedback_page(one):
    """One Chinese submission: the TWFE estimate as the batch's ATT (a likely mistake) and
    a coverage cell that raises; graded against the Chinese key in English and in Chinese."""
    root, done = one
    out_zh = done["zh"][0]
    (student,) = [
        p for p in (out_zh / SID).glob("*.ipynb") if not p.name.endswith(".teacher-solution.ipynb")
    ]
    subs = root / "subs"
    subs.mkdir()
    edit_cell(
        student,
        "exercise-cohort_att",
        'answers["cohort_att"] = twfe_bias(frame, "nqp", "tau", **columns).twfe',
        subs / "mine.ipynb",
    )
    edit_cell(
        subs / "mine.ipynb",
        "exercise-coverage",
        'raise ValueError("boom")',
        subs / "mine.ipynb",
    )
    key = str(out_zh / "answer_key.json")
    common = ("--key", key, "--timeout", "120", "--jobs", "1")
    en = cli("grade", str(subs), "--out", str(root / "g-en"), "--language", "en", *common)
    zh = cli("grade", str(subs), "--out", str(root / "g-zh"), *common)
    messages = pd.read_csv(root / "g-en" / "grades.csv", dtype={"student": str})
    hint = messages.set_index("exercise")["message"]["cohort_att"]
    assert hint.startswith("wrong: this is the TWFE estimate, not the 2014 batch's true ATT; "), (
        hint
    )
    assert not CJK.search(" ".join(messages["message"]))
    page_en = (root / "g-en" / "feedback" / f"{SID}.md").read_text(encoding="utf-8")
    assert "| cohort_att |" in page_en and "(exercise coverage), `raise" in page_en
    assert en.stdout.startswith(f"  {SID}: 0 / 2\n") and "submission(s) graded" in en.stdout
    assert zh.stdout.startswith(f"  {SID}: 0 / 2\n") and "已评阅 1 份提交" in zh.stdout
    page = (root / "g-zh" / "feedback" / f"{SID}.md").read_text(encoding="utf-8")
    for name in EXERCISES.split(","):
        title = ex.EXERCISES[name].title_in("zh")
        assert f"| {title} `{name}` |" in page, page
    coverage = ex.EXERCISES["coverage"].title_in("zh")
    assert f'（练习 {coverage} `coverage`），`raise ValueError("boom")`：ValueError: boom' in page
    assert "）, `" not in page
    # the key carries every hint in both languages, with the same number
    record = json.loads(Path(key).read_text(encoding="utf-8"))
    entry = record["students"][SID]["entries"]
    for mistake in entry["cohort_att"]["mistakes"]:
        assert mistake["message"] == mistake["messages"]["zh"]
        assert not CJK.search(mistake["messages"]["en"])
    # a key written before it carried both: the hint is regenerated from the exercise
    for name in entry:
        for mistake in entry[name]["mistakes"]:
            del mistake["messages"]
    old = root / "old_key.json"
    old.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    again = ("--key", str(old), "--timeout", "120", "--jobs", "1", "--language", "en")
    cli("grade", str(subs), "--out", str(root / "g-old"), *again)
    messages = pd.read_csv(root / "g-old" / "grades.csv", dtype={"student": str})
    assert messages.set_index("exercise")["message"]["cohort_att"] == hint
