"""Build the executed book: percent notebooks → papermill → Jupyter Book 1 → _build/html.

The table of contents (``_toc.yml``) is the single list of chapters: every notebook it
names is converted from its percent-format ``.py`` source, executed once with papermill
(errors not allowed), and rendered by Jupyter Book without a second execution.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from replicate import paths

if TYPE_CHECKING:
    import pandas as pd

STATUS_PAGE = paths.BOOK_DIR / "generated" / "status.md"
STATUS_CATALOGUE = (
    paths.ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / "book" / "generated" / "status.po"
)
"""The status page's Chinese catalogue, generated with the page (not kept by hand)."""
TIMINGS_JSON = paths.BUILD_DIR / "timings.json"
PHASES_JSON = paths.BUILD_DIR / "phases.json"
"""Wall-clock seconds of each phase of the last whole build (execution, renders, PDFs)."""
FAILED_DIR = paths.BUILD_DIR / "failed"
"""Where a chapter's failed run is kept (with the error in its cell) for inspection."""


class BuildError(RuntimeError):
    """A notebook or the site failed to build; the message names the notebook and cell."""


@dataclass(frozen=True)
class NotebookRun:
    """Outcome of executing one notebook."""

    name: str
    seconds: float
    ok: bool
    error: str = ""


def toc_files(toc: Path = paths.TOC_YML) -> list[str]:
    """Every file named in ``_toc.yml``, in reading order (paths without extension)."""
    spec = yaml.safe_load(toc.read_text(encoding="utf-8"))
    found: list[str] = [spec["root"]]

    def walk(node: object) -> None:
        if isinstance(node, Mapping):
            if "file" in node:
                found.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(spec)
    return found


def book_notebooks(toc: Path = paths.TOC_YML) -> list[Path]:
    """The percent-format notebook sources the table of contents names."""
    sources = []
    for entry in toc_files(toc):
        if entry.startswith("notebooks/"):
            source = paths.ROOT / f"{Path(entry).with_suffix('')}.py"
            if not source.exists():
                raise BuildError(f"_toc.yml names {entry} but {source} does not exist.")
            sources.append(source)
    return sources


def resolve_notebook(name: str) -> Path:
    """Find a notebook source by file name, stem or number prefix (``04`` → ``04_baseline.py``)."""
    candidates = sorted(paths.NOTEBOOKS_DIR.glob("*.py"))
    stem = Path(name).stem
    matches = [p for p in candidates if p.stem == stem or p.stem.split("_")[0] == stem]
    if len(matches) != 1:
        names = ", ".join(p.stem for p in candidates)
        raise BuildError(f"no single notebook matches {name!r}; the notebooks are: {names}.")
    return matches[0]


def _to_ipynb(source: Path, target: Path) -> None:
    import jupytext

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target)


def _chapter_title(source: Path) -> str:
    """The first level-1 Markdown heading of a percent notebook source, or its stem."""
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    return source.stem


def _failed_cell(source: Path, code: str) -> tuple[int, int] | None:
    """``(cell number, line)`` in the percent source of the cell whose code is ``code``.

    Cells are numbered from 1 at the top of the ``.py`` (Markdown cells included, as
    JupyterLab shows them); the line is that of the cell's ``# %%`` marker.
    """
    import jupytext

    cells = jupytext.read(source).cells
    markers = [
        n
        for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1)
        if line.startswith("# %%")
    ]
    for number, cell in enumerate(cells, start=1):
        if cell.cell_type == "code" and cell.source.strip() == code.strip():
            line = markers[number - 1] if len(markers) == len(cells) else 0
            return number, line
    return None


def _describe_failure(source: Path, error: Exception, kept: Path | None = None) -> str:
    """Which chapter failed, in which cell (number, line and first line of code), and why."""
    code = getattr(error, "source", None) or ""
    ename = getattr(error, "ename", type(error).__name__)
    evalue = getattr(error, "evalue", str(error))
    shown = source.relative_to(paths.ROOT) if source.is_relative_to(paths.ROOT) else source
    found = _failed_cell(source, code) if code else None
    first = next((line for line in code.splitlines() if line.strip()), "")
    if found:
        number, line = found
        where = f"cell {number} (line {line})" if line else f"cell {number}"
    elif getattr(error, "cell_index", None) is not None:
        where = f"cell {error.cell_index + 1} of the executed notebook"
    else:
        where = "no cell (the kernel or papermill failed)"
    message = f"{shown} failed in {where}, chapter {_chapter_title(source)!r}"
    if first:
        message += f": `{first.strip()}`"
    message += f"\n    {ename}: {evalue}"
    if kept is not None:
        message += (
            f"\n    the last good copy is kept; the failed run, with the error in its cell, "
            f"is {kept.relative_to(paths.ROOT) if kept.is_relative_to(paths.ROOT) else kept}"
        )
    return message


def execute(
    source: Path,
    target: Path,
    parameters: Mapping[str, object] | None = None,
    timeout: int = 600,
) -> NotebookRun:
    """Convert ``source`` to ``target`` (.ipynb) and execute it in place with papermill."""
    import papermill

    # Executed beside the target and moved into place only when every cell ran: a broken
    # chapter leaves the last good copy (and so the last good page) where it was.
    running = target.with_name(f".{target.stem}.running.ipynb")
    _to_ipynb(source, running)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(running),
            str(running),
            parameters=dict(parameters or {}),
            kernel_name="python3",
            cwd=str(paths.NOTEBOOKS_DIR),
            execution_timeout=timeout,
            progress_bar=False,
            log_output=False,
        )
        os.replace(running, target)
    except Exception as error:  # papermill raises PapermillExecutionError for cell errors
        kept = FAILED_DIR / target.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        if running.exists():
            shutil.move(running, kept)
        failure = _describe_failure(source, error, kept if kept.exists() else None)
        return NotebookRun(source.stem, time.perf_counter() - start, False, failure)
    finally:
        running.unlink(missing_ok=True)
    return NotebookRun(source.stem, time.perf_counter() - start, True)


def _one_blas_thread_each(workers: int) -> None:
    """With several kernels at once, one BLAS thread each avoids oversubscribing the cores."""
    if workers > 1:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")


def _execute_in_place(source: Path, parameters: Mapping[str, object]) -> NotebookRun:
    return execute(source, source.with_suffix(".ipynb"), parameters)


def write_status_page(runs: Sequence[NotebookRun], parameters: Mapping[str, object]) -> None:
    """Write the book's status page: each notebook with its execution time and result."""
    lines = [
        "# Build status",
        "",
        "Each chapter notebook was executed once by papermill before Jupyter Book rendered it.",
        "Times are wall-clock seconds on the machine that built this copy of the book.",
        "",
    ]
    if parameters:
        shown = ", ".join(f"`{k} = {v!r}`" for k, v in parameters.items())
        lines += [f"Parameters passed to every notebook: {shown}.", ""]
    total = sum(r.seconds for r in runs)
    lines += ["| notebook | seconds | share | result |", "| --- | ---: | ---: | --- |"]
    for run in runs:
        result = "ok" if run.ok else f"failed: {run.error}"
        share = f"{100 * run.seconds / total:.0f} %" if total > 0 else "–"
        lines.append(f"| `{run.name}` | {run.seconds:.1f} | {share} | {result} |")
    lines += ["", f"Total execution time: {total:.1f} s for {len(runs)} notebooks.", ""]
    STATUS_PAGE.parent.mkdir(parents=True, exist_ok=True)
    STATUS_PAGE.write_text("\n".join(lines), encoding="utf-8")
    _write_status_catalogue(runs, parameters, total)


def _write_status_catalogue(
    runs: Sequence[NotebookRun], parameters: Mapping[str, object], total: float
) -> None:
    """The status page's Chinese catalogue, written with the page from the same runs (the
    page changes with every build, so a hand-kept ``.po`` would always be stale): each
    sentence of :func:`write_status_page` and its Chinese form, numbers carried over."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    pairs = {
        "Build status": "构建状态",
        "Each chapter notebook was executed once by papermill before Jupyter Book rendered "
        "it. Times are wall-clock seconds on the machine that built this copy of the book.": (
            "每章的笔记本都先由 papermill 执行一次，再由 Jupyter Book 渲染。"
            "时间为构建本书这一版本的机器上的墙钟秒数。"
        ),
        "notebook": "笔记本",
        "seconds": "秒",
        "share": "占比",
        "result": "结果",
        "ok": "成功",
        f"Total execution time: {total:.1f} s for {len(runs)} notebooks.": (
            f"总执行时间：{total:.1f} 秒，共 {len(runs)} 个笔记本。"
        ),
    }
    if parameters:
        shown = ", ".join(f"`{k} = {v!r}`" for k, v in parameters.items())
        pairs[f"Parameters passed to every notebook: {shown}."] = f"传给每个笔记本的参数：{shown}。"
    for run in runs:
        if not run.ok:
            pairs[f"failed: {run.error}"] = f"失败：{run.error}"
    fixed = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)  # same bytes each time
    catalogue = Catalog(
        locale="zh_CN", project="replicate", fuzzy=False, creation_date=fixed, revision_date=fixed
    )
    for english, chinese in pairs.items():
        catalogue.add(english, chinese)
    STATUS_CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
    with STATUS_CATALOGUE.open("wb") as handle:
        write_po(handle, catalogue, width=0, omit_header=False)


_WARNING = re.compile(r"(WARNING|ERROR|CRITICAL):")


def render(strict: bool = True) -> None:
    """Render the executed notebooks with Jupyter Book (execution off) into ``_build/html``."""
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(paths.ROOT)]
    if strict:
        command += ["--warningiserror", "--nitpick", "--keep-going"]
    env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    done = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True, env=env)
    log = done.stdout + done.stderr
    (paths.BUILD_DIR / "jupyter-book.log").write_text(log, encoding="utf-8")
    if done.returncode != 0:
        problems = [line for line in log.splitlines() if _WARNING.search(line)]
        shown = "\n".join(problems[:30]) or log[-3000:]
        raise BuildError(f"Jupyter Book failed (full log in _build/jupyter-book.log):\n{shown}")


SKIP_REASONS = {
    "columns": "works on the paper's city-year variables only (no `columns` parameter "
    "for a panel named by its roles)",
    "pilots": "takes no other pilot timing (no `pilots` parameter)",
}


def skip_reason(source: Path, parameter: str, what: str = "skipped") -> str:
    """One line saying why a chapter is not run with ``--columns`` or ``--pilots``."""
    return f"{source.stem} {what}: it {SKIP_REASONS[parameter]}"


def taking(sources: Sequence[Path], needs: Sequence[str]) -> tuple[list[Path], dict[Path, str]]:
    """The chapters that declare every parameter in ``needs``, and one line for each other."""
    kept, skipped = [], {}
    for source in sources:
        declared = declared_parameters(source) if needs else {}
        missing = next((name for name in needs if name not in declared), None)
        if missing is None:
            kept.append(source)
        else:
            skipped[source] = skip_reason(source, missing)
    return kept, skipped


def build(
    parameters: Mapping[str, object] | None = None,
    only: Sequence[str] = (),
    jobs: int = 2,
    strict: bool = True,
    needs: Sequence[str] = (),
) -> list[NotebookRun]:
    """Execute every notebook of the table of contents, then render the site.

    Parameters
    ----------
    parameters : mapping, optional
        Papermill parameters passed to every notebook (e.g. ``{"data": "panel.dta"}``).
    only : sequence of str, optional
        Execute only these notebooks (the others keep their last executed copy).
    jobs : int
        Notebooks executed at once.
    strict : bool
        Treat every Sphinx warning as an error.
    needs : sequence of str
        Parameters a chapter must declare to be executed (``columns`` for a panel named
        by its roles, ``pilots`` for another pilot timing); every other chapter is skipped
        with one printed line and keeps its last executed copy.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    parameters = dict(parameters or {})
    sources = book_notebooks()
    if only:
        wanted = {resolve_notebook(name) for name in only}
        sources = [s for s in sources if s in wanted]
    sources, skipped = taking(sources, needs)
    for line in skipped.values():
        print(line)
    paths.BUILD_DIR.mkdir(exist_ok=True)
    context = multiprocessing.get_context("spawn")
    workers = max(1, jobs)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_one_blas_thread_each,
        initargs=(workers,),
    ) as pool:
        runs = list(pool.map(_execute_in_place, sources, [parameters] * len(sources)))
    partial = only or skipped
    previous = json.loads(TIMINGS_JSON.read_text()) if (partial and TIMINGS_JSON.exists()) else {}
    merged = {
        **previous,
        **{
            r.name: {"seconds": r.seconds, "ok": r.ok, "error": " ".join(r.error.split())}
            for r in runs
        },
    }
    TIMINGS_JSON.write_text(json.dumps(merged, indent=2, sort_keys=True))
    order = [s.stem for s in book_notebooks()]
    all_runs = [NotebookRun(name, **merged[name]) for name in order if name in merged]
    write_status_page(all_runs, parameters)
    failures = [r.error for r in runs if not r.ok]
    if failures:
        raise BuildError(
            "notebook execution failed; the site was not rendered again, so every page "
            "stays as last built:\n" + "\n".join(failures)
        )
    missing = [s for s in book_notebooks() if not s.with_suffix(".ipynb").exists()]
    if missing:
        raise BuildError(f"not yet executed: {[m.name for m in missing]}; run `replicate book`.")
    chromium = find_chromium()
    phases = {"execute notebooks": time.perf_counter() - started}
    with _timed(phases, "exhibits"):
        write_exhibits(pdf=chromium is not None)
    with _timed(phases, "render English site"):
        render(strict=strict)
    from replicate import i18n  # the Chinese edition, from the same executed notebooks

    try:
        with _timed(phases, "render Chinese site"):
            i18n.render_zh()
        if chromium is None:
            print("No Chromium found: the book is not printed to PDF (apt-get install chromium).")
        else:
            with _timed(phases, "print English PDF"):
                print_pdf(chromium)
            with _timed(phases, "print Chinese PDF"):  # 中文版
                print_page(chromium, i18n.singlehtml_zh(), i18n.ZH_PDF, "book-zh.pdf")
    except RuntimeError as error:  # stale translations, a failed zh render or print
        raise BuildError(str(error)) from error
    from replicate.classroom import slides  # the classroom session (reveal.js, vendored)

    slides.build_site(paths.HTML_DIR)
    PHASES_JSON.write_text(json.dumps(phases, indent=2))
    print("build phases: " + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items()))
    return runs


@contextlib.contextmanager
def _timed(phases: dict[str, float], name: str):
    """Record the wall-clock seconds of one build phase in ``phases``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = time.perf_counter() - start


def chapter_title(notebook: Path) -> str:
    """The first Markdown heading of an executed notebook (its chapter title)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def write_exhibits(pdf: bool) -> None:
    """Every table and figure of the executed chapters as files, with a manifest and a page.

    See :mod:`replicate.report.exhibits`; ``pdf`` says whether the page links the whole
    book as one PDF (printed after rendering by :func:`print_pdf`).
    """
    from replicate.report import exhibits

    notebooks = [s.with_suffix(".ipynb") for s in book_notebooks()]
    found = exhibits.collect(notebooks)
    exhibits.write(found)
    titles = {nb.stem: chapter_title(nb) for nb in notebooks if nb.exists()}
    exhibits.page(found, titles, pdf=f"../../{BOOK_PDF.name}" if pdf else None)


BOOK_PDF = paths.HTML_DIR / "book.pdf"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_OFFLINE_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Chromium with no network beyond localhost: no background requests that would fail."""
CHROMIUM_FLAGS = (
    "--headless",
    *CHROMIUM_OFFLINE_FLAGS,
    "--no-pdf-header-footer",
    "--virtual-time-budget=20000",  # let MathJax typeset before printing
)


def find_chromium() -> str | None:
    """A headless-capable Chromium on the PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(chromium: str) -> Path:
    """The whole book as one PDF: Sphinx's single-page HTML printed by headless Chromium.

    Written to ``_build/html/book.pdf`` (linked from the exhibits page) and copied to
    ``_build/exhibits/book.pdf``. Nothing is fetched: the page and MathJax are local.
    """

    jb = str(Path(sys.executable).parent / "jupyter-book")
    command = [jb, "build", str(paths.ROOT), "--builder", "singlehtml"]
    done = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True)
    root = yaml.safe_load(paths.TOC_YML.read_text(encoding="utf-8"))["root"]
    page = paths.BUILD_DIR / "singlehtml" / f"{root}.html"
    if done.returncode != 0 or not page.exists():
        raise BuildError(
            f"the single-page HTML for the PDF failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return print_page(chromium, page, BOOK_PDF, BOOK_PDF.name)


def print_page(chromium: str, page: Path, pdf: Path, exhibit: str) -> Path:
    """Print one local single-page HTML to ``pdf`` with headless Chromium (offline flags)
    and copy it to ``_build/exhibits/EXHIBIT``: the English book and the Chinese one."""
    import tempfile

    from replicate.report import exhibits

    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        printed = subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    if printed.returncode != 0 or not pdf.exists():
        raise BuildError(f"Chromium could not print {page.name} to PDF:\n{printed.stderr[-2000:]}")
    exhibits.EXHIBITS_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, exhibits.EXHIBITS_DIR / exhibit)
    return pdf


def run_one(
    name: str, parameters: Mapping[str, object], out_dir: Path = paths.EXECUTED_DIR
) -> Path:
    """Execute one notebook with other parameters into ``_build/executed/NAME.ipynb``."""
    source = resolve_notebook(name)
    target = out_dir / f"{source.stem}.ipynb"
    outcome = execute(source, target, parameters)
    if not outcome.ok:
        raise BuildError(outcome.error)
    return target


def clean() -> None:
    """Remove the built site and executed notebooks."""
    shutil.rmtree(paths.BUILD_DIR, ignore_errors=True)
    for notebook in paths.NOTEBOOKS_DIR.glob("*.ipynb"):
        notebook.unlink()


@dataclass(frozen=True)
class Parameter:
    """One notebook parameter: its default as written, its value, and its comment."""

    name: str
    default: str
    value: object
    meaning: str


_UNKNOWN = object()


def declared_parameters(source: Path) -> dict[str, Parameter]:
    """The parameters of one notebook, read from its cell tagged ``parameters``.

    A default that is a literal is read with :func:`ast.literal_eval`; one that is an
    expression (``list(CONTROLS)``) is evaluated by running the parameters cell alone.
    """
    import ast
    import io
    import tokenize

    import jupytext

    cells = [c for c in jupytext.read(source).cells if "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return {}
    code = cells[0].source
    comments = {
        tok.start[0]: tok.string.lstrip("# ").strip()
        for tok in tokenize.generate_tokens(io.StringIO(code).readline)
        if tok.type == tokenize.COMMENT
    }
    namespace: dict | None = None
    found: dict[str, Parameter] = {}
    for node in ast.parse(code).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        text = ast.get_source_segment(code, node.value) or ""
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            if namespace is None:
                namespace = {}
                try:
                    exec(compile(code, str(source), "exec"), namespace)  # noqa: S102 - our own cell
                except Exception:  # a cell that cannot run alone: types stay unknown
                    pass
            value = namespace.get(name, _UNKNOWN)
        meaning = next(
            (comments[n] for n in range(node.lineno, node.end_lineno + 1) if n in comments), ""
        )
        found[name] = Parameter(name, text, value, meaning)
    return found


def _bad_value(notebook: str, parameter: Parameter, text: str, kind: str) -> BuildError:
    return BuildError(
        f"-p {parameter.name} {text!r}: {notebook} declares {parameter.name} = "
        f"{parameter.default}, so the value must be {kind}"
    )


def parse_parameter(notebook: str, parameter: Parameter, text: str) -> object:
    """A ``-p`` value read as the type of the parameter's default.

    Lists accept ``[fdi, hum]`` or ``fdi, hum``; booleans ``true/false/yes/no/1/0``;
    numbers as typed; a string parameter keeps the text as typed (``05`` stays "05");
    mappings and parameters without a literal default are read as YAML.
    """
    default = parameter.value
    stripped = text.strip()
    if isinstance(default, bool):
        words = {"true": True, "yes": True, "1": True, "on": True}
        words |= {"false": False, "no": False, "0": False, "off": False}
        if stripped.lower() not in words:
            raise _bad_value(notebook, parameter, text, "true or false")
        return words[stripped.lower()]
    if isinstance(default, int | float) and not isinstance(default, bool):
        kind = "a whole number" if isinstance(default, int) else "a number"
        try:
            number = float(stripped.replace("_", ""))
        except ValueError:
            raise _bad_value(notebook, parameter, text, kind) from None
        if isinstance(default, int):
            if not number.is_integer():
                raise _bad_value(notebook, parameter, text, kind)
            return int(number)
        return number
    if isinstance(default, list | tuple):
        if stripped.startswith("["):
            try:
                items = yaml.safe_load(stripped)
            except yaml.YAMLError:
                items = None
            if not isinstance(items, list):
                raise _bad_value(notebook, parameter, text, "a list such as [fdi, hum]")
        else:
            items = [item.strip() for item in stripped.split(",") if item.strip()]
        if default and all(isinstance(d, str) for d in default):
            items = [str(item) for item in items]
        return items
    if isinstance(default, str):
        return text
    if isinstance(default, dict):
        try:
            value = yaml.safe_load(stripped) if stripped else {}
        except yaml.YAMLError:
            value = None
        if not isinstance(value, dict):
            raise _bad_value(notebook, parameter, text, "a mapping such as {mar: 100}")
        return value
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_parameters(source: Path, pairs: Sequence[tuple[str, str]]) -> dict[str, object]:
    """``-p NAME VALUE`` pairs checked against the notebook's declared parameters.

    Raises :class:`BuildError` for a name the notebook does not declare (listing the
    ones it does) or a value that is not of the declared type.
    """
    declared = declared_parameters(source)
    parsed: dict[str, object] = {}
    for name, text in pairs:
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise BuildError(
                f"{source.stem} has no parameter {name!r}.{hint} Its parameters are: "
                + ", ".join(declared)
                + ". See `replicate run --help` or the Specifications page."
            )
        parsed[name] = parse_parameter(source.stem, declared[name], text)
    return parsed


def notebook_parameters(directory: Path = paths.NOTEBOOKS_DIR) -> pd.DataFrame:
    """Every notebook's parameters: name, default value and the comment that explains it.

    Read from the cell tagged ``parameters`` of each percent-format notebook, so the list
    cannot drift from the notebooks.
    """
    import pandas as pd

    rows = [
        {
            "notebook": source.stem,
            "parameter": parameter.name,
            "default": parameter.default,
            "meaning": parameter.meaning,
        }
        for source in sorted(directory.glob("*.py"))
        for parameter in declared_parameters(source).values()
    ]
    return pd.DataFrame(rows, columns=["notebook", "parameter", "default", "meaning"])
