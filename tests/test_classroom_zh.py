"""The classroom kit in 简体中文 (`--language zh`), the way a teacher uses it.

The Chinese kit must be the English kit in other words: the same roster assigned in both
languages gives the same seeds, truths and tolerances; the same submissions graded
against both keys get the same points. Its chapter exercises' prompts are the teaching
chapter's own translation (read from its catalogue, checked here against the catalogue
read independently), and a missing or stale translation stops the assignment instead of
showing English. A class of 3, few twins: the logic, not the precision, is tested.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from test_classroom import cli, edit_cell, write_roster  # the English kit's test helpers

from replicate.classroom import exercises as ex
from replicate.classroom import language, notebook, slides
from replicate.classroom.grade import check
from replicate.classroom.language import MissingTranslation

COURSE = "DID 2026 秋"
DRAWS, KEY_DRAWS = 3, 6
STUDENTS = [("S001", "张三"), ("学生02", "Li Wei"), ("007", "王五")]
CJK = re.compile(r"[\u4e00-\u9fff]")
CODE = re.compile(r"`([^`]+)`")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
ROLE = re.compile(r"\{(ref|term|cite|glue)[^}]*\}`")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """One roster assigned in English (in this process) and in Chinese (the CLI)."""
    from replicate.classroom.assign import assign

    root = tmp_path_factory.mktemp("classroom-zh")
    roster = write_roster(root / "roster.csv", STUDENTS)
    assign(roster, root / "en", course=COURSE, draws=DRAWS, key_draws=KEY_DRAWS, jobs=1)
    cli(
        "assign",
        str(roster),
        "--out",
        str(root / "zh"),
        "--course",
        COURSE,
        "--draws",
        str(DRAWS),
        "--key-draws",
        str(KEY_DRAWS),
        "--jobs",
        "1",
        "--language",
        "zh",
    )
    keys = {
        lang: json.loads((root / lang / "answer_key.json").read_text(encoding="utf-8"))
        for lang in ("en", "zh")
    }
    return root, keys


def _notebook(out: Path, sid: str, teacher: bool) -> Path:
    (path,) = [
        p
        for p in (out / sid).glob("*.ipynb")
        if p.name.endswith(".teacher-solution.ipynb") == teacher
    ]
    return path


def _numbers_only(entry: dict) -> dict:
    """A key entry without its words (rule, messages)."""
    kept = {k: v for k, v in entry.items() if k != "rule"}
    kept["mistakes"] = [m["value"] for m in entry["mistakes"]]
    return kept


# ----------------------------------------------------------------------------- prompts


def _catalogue() -> dict[str, str]:
    """The chapter's catalogue read independently of the kit (polib-free: babel's reader,
    but whitespace normalised here, and fuzzy entries dropped)."""
    from babel.messages.pofile import read_po

    with language.chapter_catalogue_path().open("rb") as handle:
        return {
            " ".join(m.id.split()): m.string
            for m in read_po(handle)
            if m.id and m.string and not m.fuzzy
        }


def test_every_graded_exercise_has_a_chinese_prompt_from_the_chapter_s_catalogue():
    catalogue = _catalogue()
    chapter = [e for e in ex.EXERCISES.values() if e.chapter_label]
    assert len(chapter) == 7
    for e in ex.EXERCISES.values():
        zh = e.text_in("zh")
        assert CJK.search(e.title_in("zh")) and CJK.search(zh), e.key
        assert not ROLE.search(zh), e.key  # MyST roles as plain text, as in English
        assert CJK.search(e.starter_in("zh").split("#", 1)[1]), e.key
        if e.chapter_label:
            # the chapter's translation, not a copy: the kit holds no Chinese prompt of its own
            assert "prompt" not in e.zh, e.key
            assert e.prompt_in("zh") == catalogue[" ".join(e.prompt.split())], e.key
        else:
            assert CJK.search(e.zh["prompt"]), e.key
        if e.ask:
            assert CJK.search(e.zh["ask"]), e.key
    assert "Roth (2022)" in ex.EXERCISES["pretest_pass"].text_in("zh")
    assert "练习 `homogeneous_bias`" in ex.EXERCISES["mde"].text_in("zh")


def test_code_and_numbers_are_the_same_in_both_languages():
    """A code span or number changed in one language and not the other is a drift: the
    prompts, asks, titles and solutions carry the same code and numbers."""
    for e in ex.EXERCISES.values():
        en, zh = e.text, e.text_in("zh")
        assert sorted(CODE.findall(en)) == sorted(CODE.findall(zh)), e.key
        strip = CODE.sub("", en), CODE.sub("", zh)
        assert sorted(NUMBER.findall(strip[0])) == sorted(NUMBER.findall(strip[1])), e.key
        assert NUMBER.findall(e.title) == NUMBER.findall(e.title_in("zh")), e.key
    # the solutions: the same code once the Chinese comments and words are put back
    for e in ex.EXERCISES.values():
        code = e.solution_in("zh")
        for english, chinese in ex.SOLUTION_ZH.items():
            code = code.replace(chinese, english)
        assert code == e.solution, e.key
        comments = re.findall(r"(?:^|  )# (.*)$", e.solution_in("zh"), flags=re.M)
        assert all(CJK.search(c) for c in comments), e.key  # no English comment left
    used = "".join(e.solution for e in ex.EXERCISES.values())
    assert all(english in used for english in ex.SOLUTION_ZH)  # no stale entry
    assert all(english in notebook.SETUP for english in notebook.SETUP_ZH)
    setup = notebook.setup_source("zh")
    comments = re.findall(r"(?:^|  )# (.*)$", setup, flags=re.M)
    assert comments and all(CJK.search(c) for c in comments) and 'language="zh"' in setup


@pytest.mark.parametrize("damage", ["fuzzy", "empty", "removed", "english changed"])
def test_a_stale_or_missing_chinese_prompt_is_an_error_not_english(damage, tmp_path, monkeypatch):
    from babel.messages.pofile import read_po, write_po

    from replicate.classroom.assign import assign

    exercise = ex.EXERCISES["homogeneous_bias"]
    with language.chapter_catalogue_path().open("rb") as handle:
        catalogue = read_po(handle)
    message = catalogue[exercise.prompt.strip()]
    if damage == "fuzzy":
        message.flags.add("fuzzy")
    elif damage == "empty":
        message.string = ""
    elif damage == "removed":
        del catalogue[exercise.prompt.strip()]
    po = tmp_path / "10_teaching.po"
    with po.open("wb") as handle:
        write_po(handle, catalogue)
    monkeypatch.setattr(language, "chapter_catalogue_path", lambda: po)
    if damage == "english changed":  # the chapter's prompt edited, its .po not updated
        changed = dataclasses.replace(exercise, prompt=exercise.prompt + " And why?")
        monkeypatch.setitem(ex.EXERCISES, exercise.key, changed)
    with pytest.raises(MissingTranslation) as error:
        ex.EXERCISES["homogeneous_bias"].text_in("zh")
    assert "ex-homogeneous" in str(error.value) and "Fix:" in str(error.value)
    said = "is marked fuzzy" if damage == "fuzzy" else "has no Chinese"
    assert said in str(error.value), str(error.value)
    assert ex.EXERCISES["homogeneous_bias"].text_in("en")  # English does not need it
    roster = write_roster(tmp_path / "roster.csv", STUDENTS)
    with pytest.raises(MissingTranslation):  # refused before anything is simulated or written
        assign(roster, tmp_path / "out", course=COURSE, draws=2, key_draws=2, language="zh")
    assert not (tmp_path / "out").exists()


def test_a_kit_exercise_without_its_chinese_is_an_error(monkeypatch):
    exercise = ex.EXERCISES["twfe_bias"]
    for part in ("title", "prompt"):
        bare = dataclasses.replace(exercise, zh={k: v for k, v in exercise.zh.items() if k != part})
        with pytest.raises(MissingTranslation, match=f"exercise twfe_bias: no Chinese {part}"):
            bare.title_in("zh") + bare.text_in("zh")
        assert bare.text_in("en") == exercise.text


def test_an_unknown_language_is_refused_with_the_choices(tmp_path):
    from replicate.classroom.assign import assign

    with pytest.raises(ValueError, match="en, zh"):
        assign(write_roster(tmp_path / "r.csv", STUDENTS), tmp_path / "out", language="fr")
    assert language.check_language("zh_CN") == "zh"
    done = cli(
        "assign",
        str(tmp_path / "r.csv"),
        "--out",
        str(tmp_path / "o"),
        "--language",
        "fr",
        check_ok=False,
    )
    assert done.returncode != 0 and "invalid choice: 'fr'" in done.stderr
    assert "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- assign


def test_both_languages_give_the_same_seeds_truths_and_tolerances(both):
    root, keys = both
    en, zh = keys["en"], keys["zh"]
    assert "language" not in en and zh["language"] == "zh"
    assert {k: v for k, v in en.items() if k != "students"} == {
        k: v for k, v in zh.items() if k not in ("students", "language")
    }
    assert list(en["students"]) == list(zh["students"]) == [s for s, _ in STUDENTS]
    for sid in en["students"]:
        a, b = en["students"][sid], zh["students"][sid]
        assert {k: v for k, v in a.items() if k != "entries"} == {
            k: v for k, v in b.items() if k != "entries"
        }
        for name in a["entries"]:
            first, second = a["entries"][name], b["entries"][name]
            assert _numbers_only(first) == _numbers_only(second), (sid, name)
            assert CJK.search(second["rule"]) and not CJK.search(first["rule"])
            for m_en, m_zh in zip(first["mistakes"], second["mistakes"], strict=True):
                assert CJK.search(m_zh["message"]) and not CJK.search(m_en["message"])
                # the same numbers (years, rates, multipliers) in both messages
                assert sorted(NUMBER.findall(m_en["message"])) == sorted(
                    NUMBER.findall(m_zh["message"])
                ), m_zh
    tables = [
        pd.read_csv(root / lang / "answer_key.csv", dtype={"student": str}) for lang in ("en", "zh")
    ]
    assert list(tables[0].columns) == list(tables[1].columns)
    numbers = ["student", "name", "seed", "exercise", "true value", "tolerance", "MC s.e."]
    pd.testing.assert_frame_equal(tables[0][numbers], tables[1][numbers])
    # the Chinese CSV opens in Excel as UTF-8 (a byte-order mark); the English is unchanged
    assert (root / "zh" / "answer_key.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (root / "en" / "answer_key.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_chinese_notebooks_readme_and_zip(both):
    root, _ = both
    for sid, name in STUDENTS:
        pair = {
            lang: [
                nbformat.read(_notebook(root / lang, sid, teacher), as_version=4)
                for teacher in (False, True)
            ]
            for lang in ("en", "zh")
        }
        for en, zh in zip(pair["en"], pair["zh"], strict=True):
            assert len(en.cells) == len(zh.cells)
            assert zh.metadata["replicate_classroom"] == {
                **en.metadata["replicate_classroom"],
                "language": "zh",
            }
            for a, b in zip(en.cells, zh.cells, strict=True):
                assert a.cell_type == b.cell_type and a.metadata == b.metadata
                if a.cell_type == "markdown":  # the same code spans, in Chinese prose
                    spans = [
                        c.replace("answer recorded: …", "已记录答案：…")
                        for c in CODE.findall(a.source)
                    ]
                    assert CJK.search(b.source) and sorted(spans) == sorted(CODE.findall(b.source))
                else:  # the same code: only comments and printed words differ
                    assert _code(a.source) == _code(b.source), a.metadata
        student, teacher = pair["zh"]
        assert "教师版" in teacher.cells[0].source and "教师版" not in student.cells[0].source
        assert name in student.cells[0].source and "合成" in student.cells[0].source
        assert "## 提交之前" in student.cells[-1].source
    import zipfile

    stem = _notebook(root / "zh", "S001", False).stem
    with zipfile.ZipFile(root / "zh" / "handout" / f"{stem}.zip") as archive:
        readme = archive.read(f"{stem}/README.txt").decode("utf-8")
        assert not any("teacher" in n for n in archive.namelist())
    assert "学生：张三（S001）" in readme and "不是关于中国城市的证据" in readme
    assert readme.splitlines()[1] == "=" * language.width(readme.splitlines()[0])


def _code(source: str) -> list[str]:
    """Code without comments and without the words of print and the Answers language."""
    out = []
    for line in source.splitlines():
        line = line.split("  # ")[0].rstrip()
        if line.startswith("#") or not line:
            continue
        line = re.sub(r'print\(f".*"\)$', "print(…)", line)
        out.append(line.replace(', language="zh"', ""))
    return out


# ----------------------------------------------------------------------------- grade


def test_the_same_submissions_get_the_same_points_in_both_languages(both):
    """Three submissions — a Chinese teacher's copy, an English teacher's copy with the
    coverage in percent, a Chinese student's copy with the TWFE estimate as the batch's
    ATT and the rest blank — graded against the English and the Chinese key."""
    from replicate.classroom.grade import grade

    root, _ = both
    subs = root / "submissions"
    subs.mkdir()
    shutil.copy(_notebook(root / "zh", "S001", True), subs / "a.ipynb")
    edit_cell(
        _notebook(root / "en", "学生02", True),
        "exercise-coverage",
        'design = montecarlo.Design(mc_knobs, estimators=("twfe",), seed=seed)\n'
        "mc = montecarlo.run_fast(design, draws)\n"
        'answers["coverage"] = 100 * montecarlo.summarise(mc).loc["TWFE", "coverage"]',
        subs / "b.ipynb",
    )
    edit_cell(
        _notebook(root / "zh", "007", False),
        "exercise-cohort_att",
        'answers["cohort_att"] = twfe_bias(frame, "nqp", "tau", **columns).twfe',
        subs / "c.ipynb",
    )
    graded = {}
    for lang in ("en", "zh"):
        out = root / f"graded-{lang}"
        grade(subs, out, key=root / lang / "answer_key.json", timeout=120, jobs=1)
        graded[lang] = pd.read_csv(out / "grades.csv", dtype={"student": str})
    en, zh = graded["en"], graded["zh"]
    pd.testing.assert_frame_equal(
        en[["student", "exercise", "points", "possible"]],
        zh[["student", "exercise", "points", "possible"]],
    )
    n = len(ex.EXERCISES)
    points = zh.groupby("student")["points"].sum()
    assert points.to_dict() == {"007": 0, "S001": n, "学生02": n - 1}
    assert zh["message"].map(lambda m: bool(CJK.search(m))).all()
    assert not en["message"].map(lambda m: bool(CJK.search(m))).any()
    mine = zh.set_index(["student", "exercise"])["message"]
    assert mine["007", "cohort_att"].startswith("错误：这是 TWFE 估计值，不是 2014 批次的真实 ATT")
    assert mine["学生02", "coverage"].startswith("错误：这看起来是百分数；请给出 0 到 1 之间的比例")
    assert mine["007", "mde"] == "空白：答案仍是 None"
    assert mine["S001", "mde"].startswith("正确：")
    theirs = en.set_index(["student", "exercise"])["message"]
    assert "this is the TWFE estimate, not the 2014 batch's true ATT" in theirs["007", "cohort_att"]
    page = (root / "graded-zh" / "feedback" / "S001.md").read_text(encoding="utf-8")
    assert page.startswith(f"# 反馈：{COURSE}") and f"得分：**{n} / {n}**" in page
    assert "是教师版（已填入解答）" in page and "| 练习 | 得分 | 你的答案 | 真实值 | 说明 |" in page
    assert (root / "graded-zh" / "grades.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    # the student saw Chinese lines when the answers were recorded
    ran = nbformat.read(root / "graded-zh" / "executed" / "S001.ipynb", as_version=4)
    shown = [
        o["data"]["text/plain"]
        for c in ran.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "data" in o and "text/plain" in o["data"]
    ]
    assert any(s.startswith("已记录答案：mde = ") for s in shown)


def test_the_chinese_teacher_s_copy_runs_as_handed_out_and_reproduces_the_key(both, tmp_path):
    """Run as a teacher would in JupyterLab (no parameters injected, no cell allowed to
    fail): every answer recorded, in Chinese, and each within its key's tolerance."""
    from nbclient import NotebookClient

    from replicate.classroom.grade import read_results

    root, keys = both
    nb = nbformat.read(_notebook(root / "zh", "学生02", True), as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    nbformat.write(nb, tmp_path / "ran.ipynb")
    answers, errors, _ = read_results(tmp_path / "ran.ipynb")
    entries = keys["zh"]["students"]["学生02"]["entries"]
    assert not errors and set(answers) == set(entries)
    for name, entry in entries.items():
        assert check(entry, answers[name], "zh")[0] == entry["points"], (name, answers[name])
    printed = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "合成孪生数据（SYNTHETIC，种子" in printed and "事前趋势检验：p = " in printed


def test_grading_follows_the_key_s_language_unless_told(both, tmp_path):
    """No kernel needed: an empty folder of submissions, every student listed as missing."""
    from replicate.classroom.grade import grade

    root, _ = both
    (tmp_path / "none").mkdir()
    key = root / "zh" / "answer_key.json"
    said = {}
    for lang in (None, "en"):
        done = grade(
            tmp_path / "none", tmp_path / f"out-{lang}", key=key, missing=True, language=lang
        )
        said[lang] = set(done.grades["message"])
    assert said == {None: {"未提交"}, "en": {"no submission"}}
    page = (tmp_path / "out-None" / "feedback" / "S001.md").read_text(encoding="utf-8")
    assert page.startswith(f"# 反馈：{COURSE}") and "学生：**S001**（张三）" in page


def test_check_messages_in_chinese_have_the_english_points():
    entry = {
        "kind": "rate",
        "points": 1,
        "truth": 0.9,
        "tolerance": 0.05,
        "mistakes": [{"value": 0.1, "message": "这是未覆盖真实 ATT 的区间所占的比例"}],
    }
    exact = {"kind": "exact", "points": 1, "truth": -0.02, "tolerance": 5e-4, "mistakes": []}
    yes = {"kind": "bool", "points": 1, "truth": False, "tolerance": 0, "mistakes": []}
    yes["pretrend_p"] = 0.01
    cases = [
        (entry, 0.88, "正确"),
        (entry, 90.0, "百分数"),
        (entry, 0.1, "未覆盖"),
        (entry, None, "空白"),
        (entry, float("nan"), "不是有限的数"),
        (entry, True, "请给出一个数"),
        (entry, "0.9", "不是数值"),
        (exact, 0.02, "符号反了"),
        (exact, 0.5, "相差"),
        (yes, False, "正确"),
        (yes, True, "p = 0.010"),
        (yes, 1, "请给出 True 或 False"),
    ]
    for key, answer, needle in cases:
        points, message = check(key, answer, "zh")
        assert points == check(key, answer)[0], (answer, message)
        assert needle in message and not re.search(r"\b(wrong|correct|give)\b", message)


# ----------------------------------------------------------------------------- slides


def _slides(text: str) -> list[str]:
    return re.split(r"^---$", text, flags=re.M)


def test_the_chinese_slides_translate_the_current_english(tmp_path):
    english = slides.markdown("en")
    chinese = slides.markdown("zh")  # raises if the stamp is not the English's sha256
    assert len(_slides(english)) == len(_slides(chinese)) == 9
    for a, b in zip(_slides(english), _slides(chinese), strict=True):
        assert a.count("\nNote:") == b.count("\nNote:") == 1
        spans = [s.replace(" --language zh", "") for s in CODE.findall(b)]
        assert sorted(spans) == sorted(
            s.replace("answer recorded", "已记录答案") for s in CODE.findall(a)
        )
        assert CJK.search(b)
    page = slides.build(tmp_path / "zh", language="zh")
    text = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "<title>已知真相的交错处理</title>" in text
    assert "sha256" not in text  # the stamp is not shown
    assert '<html lang="en">' in slides.build(tmp_path / "en").read_text(encoding="utf-8")
    # an English edit makes the translation stale: refused, not shown half in English
    edited = tmp_path / "session.md"
    edited.write_text(english + "\nA new line.\n", encoding="utf-8")
    with pytest.raises(MissingTranslation, match="older session.md"):
        slides.markdown("zh", english=edited)
    cli("slides", "--out", str(tmp_path / "cli"), "--language", "zh")
    assert 'lang="zh-CN"' in (tmp_path / "cli" / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_class_of_30_in_chinese(tmp_path):
    """30 students in Chinese, keys on 2 workers: the English key's numbers, and the
    Chinese teacher's copies graded through the CLI get full marks."""
    from replicate.classroom.assign import assign

    rows = [(f"2026{n:03d}", f"学生{n}") for n in range(30)]
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "zh"
    cli(
        "assign",
        str(roster),
        "--out",
        str(out),
        "--draws",
        "5",
        "--key-draws",
        "20",
        "--language",
        "zh",
    )
    zh = json.loads((out / "answer_key.json").read_text(encoding="utf-8"))
    assign(roster, tmp_path / "en", draws=5, key_draws=20, jobs=1)
    en = json.loads((tmp_path / "en" / "answer_key.json").read_text(encoding="utf-8"))
    for sid, student in en["students"].items():
        for name, entry in student["entries"].items():
            assert _numbers_only(entry) == _numbers_only(zh["students"][sid]["entries"][name])
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    for path in out.glob("*/*.teacher-solution.ipynb"):
        shutil.copy(path, teacher / path.name)
    graded = tmp_path / "graded"
    cli("grade", str(teacher), "--out", str(graded), "--key", str(out / "answer_key.json"))
    grades = pd.read_csv(graded / "grades.csv", dtype={"student": str})
    assert grades["student"].nunique() == 30 and (grades["points"] == grades["possible"]).all()
    assert grades["message"].str.startswith("正确：").all()
