"""`replicate lab` as an analyst uses it: JupyterLab in headless Chromium (Playwright).

The server is started by our command, as a subprocess, on a free 127.0.0.1 port with a
token, serving a temporary copy of the chapters (the repository's notebooks are never
touched), with Jupyter's user directories in that temporary folder too. It is stopped
(its whole process group, kernels included) whatever happens.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from replicate import lab, paths

REPLICATE = str(Path(sys.executable).parent / "replicate")
OLD_CONTROLS = 'controls = ["fdi", "hum", "gov", "lninstra", "mar", "fin"]'
NEW_CONTROLS = ["hum", "gov"]
SCREENSHOTS = paths.BUILD_DIR / "screenshots"


def _isolated_env(tmp: Path) -> dict[str, str]:
    """Jupyter's per-user directories inside ``tmp``: no user setting changes the test."""
    env = dict(os.environ)
    for name, sub in {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
    }.items():
        env[name] = str(tmp / "jupyter" / sub)
    return env


class Lab:
    """A running `replicate lab`: its URL, token and output."""

    def __init__(self, root: Path, port: int, env: dict[str, str]):
        self.root, self.port = root, port
        self.log = root.parent / "lab.log"
        self._out = self.log.open("w")
        self.process = subprocess.Popen(
            [REPLICATE, "lab", "--no-browser", "--root", str(root), "--port", str(port)],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # one process group: the server and its kernels
        )
        self.token = self._wait()

    def _wait(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"replicate lab exited:\n{self.log.read_text()}")
            found = re.search(r"token=([0-9a-f]+)", self.log.read_text())
            if found:
                try:
                    self.api("status", found.group(1))
                    return found.group(1)
                except OSError:
                    pass
            time.sleep(0.3)
        raise AssertionError(f"JupyterLab did not answer in {timeout} s:\n{self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, endpoint: str, token: str | None = None):
        request = urllib.request.Request(
            f"{self.url}/api/{endpoint}",
            headers={"Authorization": f"token {token or self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._out.close()


@pytest.fixture(params=["fresh clone", "after make book"])
def chapters(request, tmp_path: Path) -> Path:
    """A copy of the chapters (percent .py) and jupytext.toml: as in a fresh clone, or
    with the executed .ipynb of the book beside them (times kept), as after `make book`."""
    root = tmp_path / "repo"
    (root / "notebooks").mkdir(parents=True)
    for source in paths.NOTEBOOKS_DIR.glob("*.py"):
        shutil.copy2(source, root / "notebooks" / source.name)
        executed = source.with_suffix(".ipynb")
        if request.param == "after make book":
            if not executed.exists():
                pytest.skip("the book is not built (run `make book` first)")
            shutil.copy2(executed, root / "notebooks" / executed.name)
    shutil.copy2(paths.ROOT / "jupytext.toml", root / "jupytext.toml")
    return root


@pytest.fixture
def running_lab(chapters: Path, tmp_path: Path):
    server = Lab(chapters, lab.free_port(), _isolated_env(tmp_path))
    try:
        yield server
    finally:
        server.stop()


_PROMPTS_DONE = """
() => {
  const prompts = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))
    .map(p => p.textContent.trim());
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
}
"""

_TABLE2 = """
() => {
  const table = Array.from(document.querySelectorAll('.jp-Notebook table.replication'))
    .find(t => t.caption && t.caption.textContent.startsWith('Table 2.'));
  if (!table) return null;
  return {
    header: Array.from(table.querySelectorAll('thead th')).map(th => th.textContent.trim()),
    rows: Array.from(table.querySelectorAll('tbody tr')).map(
      tr => Array.from(tr.children).map(td => td.textContent.trim())),
  };
}
"""


@pytest.mark.browser
def test_edit_run_save_a_chapter_in_jupyterlab(running_lab: Lab, browser):
    """Open 05 as a notebook, change controls, Run All, read Table 2, save: diff = one line."""
    from replicate import replication
    from replicate.data import load_panel

    source = running_lab.root / "notebooks" / "05_baseline.py"
    before = source.read_text(encoding="utf-8")
    assert before.count(OLD_CONTROLS) == 1, "chapter 05's controls line changed: update the test"
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        try:  # the contents API first: a refusal to open the pair fails at once, with why
            running_lab.api("contents/notebooks/05_baseline.py?type=notebook")
        except urllib.error.HTTPError as refused:
            pytest.fail(f"JupyterLab cannot open 05_baseline.py: {refused.read()[:600]!r}")
        page.goto(f"{running_lab.url}/lab/tree/notebooks/05_baseline.py?token={running_lab.token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
        deadline = time.monotonic() + 30
        while not (sessions := running_lab.api("sessions")) and time.monotonic() < deadline:
            time.sleep(0.3)
        # our kernelspec for a bare .py; papermill's python3 when the executed copy is
        # beside it — both this interpreter (the server runs "python" as sys.executable)
        assert [s["kernel"]["name"] for s in sessions] in ([lab.KERNEL_NAME], ["python3"])

        line = page.locator(".jp-CodeCell .cm-line", has_text="controls = [").first
        line.click()
        page.keyboard.press("End")
        page.keyboard.press("Shift+Home")
        new_line = f"controls = {json.dumps(NEW_CONTROLS)}"
        page.keyboard.type(new_line)

        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.wait_for_function(_PROMPTS_DONE, timeout=40_000, polling=500)
        errors = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
        assert not page.locator(".jp-RenderedText[data-mime-type*='error']").count(), tracebacks
        table = page.evaluate(_TABLE2)
        assert table is not None, "Table 2 is not on the page after Run All"

        # the changed Table 2: three columns, the rows of the chosen controls only, and the
        # coefficients on did equal to the library's fit of the same specification
        assert table["header"] == ["", "(1)", "(2)", "(3)"]
        labels = {row[0] for row in table["rows"]}
        assert {"did", "hum", "gov"} <= labels and not labels & {"fdi", "lninstra", "mar"}
        expected = replication.estimate(2, load_panel("synthetic"), controls=NEW_CONTROLS)
        did = next(row for row in table["rows"] if row[0] == "did")
        shown = [re.sub(r"\*+$", "", cell) for cell in did[1:]]
        assert shown == [f"{expected[k].params['did']:.3f}" for k in sorted(expected)]

        page.locator(".jp-Notebook").first.click()
        page.keyboard.press("Control+s")
        deadline = time.monotonic() + 20
        while source.read_text(encoding="utf-8") == before and time.monotonic() < deadline:
            time.sleep(0.2)
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lab-failure.png"))
        raise
    finally:
        context.close()

    after = source.read_text(encoding="utf-8")
    old_lines, new_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=False) if a != b]
    assert len(old_lines) == len(new_lines), "saving added or removed lines"
    assert [(a.split("  #")[0], b) for a, b in changed] == [(OLD_CONTROLS, new_line + "\n")]
    # the paired .ipynb is written beside it (an artefact git ignores), with the outputs
    assert (running_lab.root / "notebooks" / "05_baseline.ipynb").exists()
    outside = [u for u in requests if not u.startswith(running_lab.url) and u.startswith("http")]
    assert not outside, f"the lab made requests to other hosts: {outside[:5]}"


def test_port_asked_for_and_busy_is_named(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [REPLICATE, "lab", "--no-browser", "--port", str(port)],
            capture_output=True,
            text=True,
            env=_isolated_env(tmp_path),
            timeout=60,
        )
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is busy" in done.stderr
    assert "--port" in done.stderr  # the fix


def test_default_port_busy_takes_another_and_says_so(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setattr(lab, "DEFAULT_PORT", busy)
        port, note = lab.choose_port(None)
        assert port != busy and lab.port_is_free(port)
        assert f"port {busy}" in note and str(port) in note


def test_kernelspec_in_the_environment_runs_this_python(tmp_path: Path):
    """Installed into a prefix (here a temporary one), naming this interpreter absolutely."""
    spec_dir = lab.install_kernelspec(prefix=str(tmp_path))
    assert spec_dir == tmp_path / "share" / "jupyter" / "kernels" / "replicate"
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["display_name"] == f"replicate ({tmp_path.name})"
    stamp = (spec_dir / "kernel.json").stat().st_mtime_ns
    lab.install_kernelspec(prefix=str(tmp_path))  # idempotent: an up-to-date spec is kept
    assert (spec_dir / "kernel.json").stat().st_mtime_ns == stamp
    # the kernel imports the package from this checkout
    done = subprocess.run(
        [spec["argv"][0], "-c", "import replicate, replicate.paths as p; print(p.ROOT)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.stdout.strip() == str(paths.ROOT)


def test_lab_command_listens_on_loopback_with_a_token():
    argv = lab.command(paths.ROOT, 9999, "abc", browser=False)
    assert "--ServerApp.ip=127.0.0.1" in argv and "--IdentityProvider.token=abc" in argv
    assert "--LabApp.default_url=/lab/tree/notebooks" in argv
    assert "--ServerApp.port_retries=0" in argv  # never a silent move to another port


def test_executed_notebooks_are_not_committed():
    done = subprocess.run(
        ["git", "check-ignore", "-q", "notebooks/05_baseline.ipynb"], cwd=paths.ROOT
    )
    assert done.returncode == 0, ".gitignore must keep the paired .ipynb out of git"


BROKEN = """# %% [markdown]
# # A chapter someone broke

# %% tags=["parameters"]
controls = ["fdi"]

# %%
total = 1 + 1

# %% [markdown]
# Now the mistake.

# %%
result = len(controls)
undefined_name + 1
"""


def test_broken_chapter_names_chapter_and_cell_and_keeps_the_last_good_copy(tmp_path: Path):
    """book.execute on a chapter edited into an error: the message names the chapter, the
    cell (number, line, first line of code) and the error; the last good .ipynb stays."""
    from replicate import book

    source = tmp_path / "99_broken.py"
    source.write_text(BROKEN, encoding="utf-8")
    target = tmp_path / "99_broken.ipynb"
    target.write_text('{"last": "good"}', encoding="utf-8")
    run = book.execute(source, target, timeout=120)
    assert not run.ok
    assert "99_broken.py failed in cell 5 (line 13), chapter 'A chapter someone broke'" in run.error
    assert "`result = len(controls)`" in run.error
    assert "NameError: name 'undefined_name' is not defined" in run.error
    assert target.read_text(encoding="utf-8") == '{"last": "good"}'
    kept = book.FAILED_DIR / "99_broken.ipynb"
    try:
        cells = json.loads(kept.read_text(encoding="utf-8"))["cells"]
        errors = [o for c in cells for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert [e["ename"] for e in errors] == ["NameError"]  # the error shown in its cell
    finally:
        kept.unlink(missing_ok=True)
    assert not list(tmp_path.glob(".*.running.ipynb"))


@pytest.mark.browser
def test_every_chapter_page_offers_its_ipynb_and_percent_py(browser, site_url):
    """The download menu of each chapter links the executed .ipynb and the percent .py;
    the .py is the committed file byte for byte, the .ipynb holds the same cells and names
    the kernel every Jupyter has (python3)."""
    import jupytext
    from conftest import BOOK_ROOT

    from replicate import book

    chapters = [p for p in book.toc_files(BOOK_ROOT / "_toc.yml") if p.startswith("notebooks/")]
    page = browser.new_page()
    try:
        for entry in chapters:
            page.goto(f"{site_url}/{entry}.html")
            links = page.eval_on_selector_all(
                ".dropdown-download-buttons a", "els => els.map(a => a.href)"
            )
            name = Path(entry).name
            py = [u for u in links if u.endswith(f"/_sources/{entry}.py")]
            nb = [u for u in links if u.endswith(f"/_sources/{entry}.ipynb")]
            assert py and nb, f"{entry}: download menu has {links}"
            served = page.request.get(py[0])
            assert served.ok and served.body() == (BOOK_ROOT / f"{entry}.py").read_bytes(), name
            executed = page.request.get(nb[0])
            assert executed.ok, name
            notebook = json.loads(executed.body())
            assert notebook["metadata"]["kernelspec"]["name"] == "python3", name
            ours = [c.source for c in jupytext.read(BOOK_ROOT / f"{entry}.py").cells]
            theirs = ["".join(c["source"]) for c in notebook["cells"]]
            assert [s.strip() for s in theirs] == [s.strip() for s in ours], name
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("copy", ["student", "teacher"])
def test_a_classroom_notebook_opens_and_runs_in_jupyterlab(copy, browser, tmp_path: Path):
    """The kit's notebooks as a student opens them: in JupyterLab, with only the package,
    Run All executes every code cell without an error (read from the copy JupyterLab
    saves); the teacher's copy so saved grades full marks (the data come from the seed in
    the parameters cell, not from a file)."""
    from replicate.classroom import grade
    from replicate.classroom.assign import assign

    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\ns01,张三\n", encoding="utf-8")
    assign(roster, tmp_path / "class", draws=2, key_draws=4, jobs=1)
    folder = tmp_path / "class" / "s01"
    name = "did-class-s01" + (".teacher-solution" if copy == "teacher" else "") + ".ipynb"
    server = Lab(folder, lab.free_port(), _isolated_env(tmp_path))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{server.url}/lab/tree/{name}?token={server.token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
        deadline = time.monotonic() + 30
        while not (sessions := server.api("sessions")) and time.monotonic() < deadline:
            time.sleep(0.3)
        kernel = sessions[0]["kernel"]["id"]
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        deadline, idle = time.monotonic() + 180, 0
        while idle < 4 and time.monotonic() < deadline:  # idle for 2 s after Run All
            state = server.api(f"kernels/{kernel}")["execution_state"]
            idle = idle + 1 if state == "idle" else 0
            time.sleep(0.5)
        page.keyboard.press("Control+s")
        page.wait_for_timeout(2_000)
    finally:
        context.close()
        server.stop()
    saved = json.loads((folder / name).read_text(encoding="utf-8"))
    code = [c for c in saved["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] for c in code), "a cell did not run"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, [e["ename"] + ": " + e["evalue"] for e in errors]
    if copy == "teacher":  # the copy saved from JupyterLab, graded: full marks
        import pandas as pd

        submitted = tmp_path / "submitted"
        submitted.mkdir()
        shutil.copy2(folder / name, submitted / name)
        key = tmp_path / "class" / "answer_key.json"
        done = grade.grade(submitted, tmp_path / "graded", key=key, jobs=1)
        marks = pd.read_csv(done.out / "grades.csv")
        assert len(marks) > 0
        assert (marks["points"] == marks["possible"]).all(), marks
