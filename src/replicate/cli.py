"""The ``replicate`` command line: build the book, run a notebook, check data, print tables.

Each subcommand is a thin wrapper over a library function, so everything the command line
does can also be done from Python or a notebook.

Three promises hold for every command:

* **Nothing lost.** No command writes over an existing file unless ``--force``, never over
  one of its own inputs, and every write is atomic (:mod:`replicate.data.io`).
* **Nothing mislabelled.** Panels are read by one loader with one validation and one set
  of flags (``--missing``, ``--allow-unbalanced``, ``--sheet``) for ``check-data``,
  ``table``, ``scorecard``, ``run`` and ``book``; every output carries the data's label,
  and a file of unknown origin is "unverified", never "real".
* **No traceback for a user's mistake.** A bad path, type, encoding, format or parameter
  is one message naming the file, column, rows and fix, with exit status 1; ``--debug``
  shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

EPILOG = """\
examples:
  replicate book                              execute every chapter, render _build/html
  replicate book --data mypanel.dta           the whole book on your own panel
  replicate run 05 -p controls "fdi, hum"     one notebook, other parameters
  replicate check-data mypanel.csv            validate a panel file
  replicate check-data mpdta.parquet --columns unit=countyreal,time=year,outcome=lemp,cohort=first.treat
                                              any staggered panel, named by its roles
  replicate run 09 --data mpdta.parquet --columns unit=countyreal,time=year,outcome=lemp,cohort=first.treat
                                              the modern-DID chapter on that panel
  replicate table 2 --pilots data/examples/made_up_pilots.csv
                                              Table 2 with another pilot policy's timing
  replicate table 2 --format md               Table 2 beside the published numbers
  replicate index corpus/ --out nqp.csv       the keyword index from city documents

--columns ROLES   role=column pairs: unit, time, outcome (several: a+b), cohort (first
                  treated period; 0, empty, inf or after the last period = never treated)
                  or treatment (0/1, once on stays on), controls (a+b), cluster (default:
                  unit). Without it, or with --columns paper, the paper's city-year schema.
--pilots FILE     CSV of city and first_year (optional evidence), or the layout of
                  data/raw/reference/broadband_china_pilots.csv: replaces the Broadband
                  China timing of the paper's 285 cities.
"""

DATA_HINTS: dict[str, str] = {
    "missing": "--missing drop or --missing keep",
    "balanced": "--allow-unbalanced",
    "reading": "--reading {other}",
    "reading_none": "--reading none to keep yours",
    "columns": "--columns unit=…,time=…,outcome=…,cohort=…",
}
"""Advice for the commands with every data flag (check-data, table, scorecard)."""
RUN_HINTS: dict[str, str] = {**DATA_HINTS, "reading": "-p reading {other}", "reading_none": ""}
BOOK_HINTS: dict[str, str] = {**DATA_HINTS, "reading": "", "reading_none": ""}


class ArgumentParser(argparse.ArgumentParser):
    """argparse with exit status 1 (a user's mistake) and a pointer to ``--help``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: {message}\n    fix: see `{self.prog} --help`\n")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _warn(notes: Sequence[str]) -> None:
    for note in notes:
        if note.startswith("warning:"):
            print(note, file=sys.stderr)


# ----------------------------------------------------------------------------- data


def _load(
    args: argparse.Namespace, source: object, hints: Mapping[str, str], reading: object = None
):
    """The one loader of every command: the command's data flags, then ``read_staggered``
    (a panel named by ``--columns``) or ``load_panel`` (the paper's schema, ``--pilots``)."""
    from replicate.data import load_panel, read_staggered

    chosen = reading if reading is not None else getattr(args, "reading", "parent")
    options = {
        "missing": args.missing,
        "balanced": "allow" if args.allow_unbalanced else "require",
        "sheet": args.sheet,
        "hints": hints,
    }
    roles = _roles(args)
    if roles is not None and not roles.is_paper:
        if args.pilots:
            raise ValueError(
                "--pilots replaces the timing of the paper's 285 cities; a panel named by "
                "--columns carries its own (its cohort or treatment column)\n"
                "    fix: drop --pilots, or drop --columns to use the paper's schema"
            )
        if source == "synthetic":
            raise ValueError(
                "--columns names the columns of your panel, and no --data file was given "
                "(the synthetic twin has the paper's schema)\n    fix: add --data FILE"
            )
        panel = read_staggered(source, roles, **options)
    else:
        reading = None if chosen in ("none", None) else chosen
        panel = load_panel(source, reading=reading, pilots=_pilots(args), **options)
    _warn(panel.notes)
    return panel


def _roles(args: argparse.Namespace):
    """The roles ``--columns`` names (None without the flag)."""
    from replicate.data import parse_roles

    text = getattr(args, "columns", None)
    return None if text is None else parse_roles(text)


def _pilots(args: argparse.Namespace):
    """The pilot coding ``--pilots`` reads (checked before any notebook starts), or None."""
    if not getattr(args, "pilots", None):
        return None
    from replicate.data import read_pilots

    return read_pilots(args.pilots)


def _validated_copy(args: argparse.Namespace, source: str, hints: Mapping[str, str], reading):
    """Validate a panel before any notebook starts; return a labelled Parquet copy of it.

    The notebooks then read exactly what was validated, with the policy the flags chose
    recorded in the file (``load_panel`` honours it), and the original label kept.
    """
    from replicate import paths
    from replicate.data import io
    from replicate.data.panel import pilots_record

    path = io.check_input(source, "panel file")
    panel = _load(args, str(path), hints, reading)
    digest = io.sha256(path)
    pilots = io.sha256(args.pilots) if getattr(args, "pilots", None) else ""
    options = (
        f"{args.missing}-{int(args.allow_unbalanced)}-{args.sheet}-{reading}-"
        f"{getattr(args, 'columns', '')}-{pilots}"
    )
    out_dir = paths.BUILD_DIR / "data"
    out_dir.mkdir(parents=True, exist_ok=True)
    import hashlib

    tag = hashlib.sha256(f"{digest}{options}".encode()).hexdigest()[:12]
    meta = {
        "synthetic": panel.synthetic,
        "label": panel.label,
        "origin": panel.origin,
        "source": path.name,
        "source_sha256": digest,
        "policy": {
            "missing": args.missing,
            "balanced": "allow" if args.allow_unbalanced else "require",
        },
    }
    target = out_dir / f"{path.stem}-{tag}.parquet"
    if getattr(panel, "is_paper", True):
        frame = panel.frame.drop(columns=["g", "treat", "period"])
        if panel.coding is not None and not panel.coding.is_broadband:
            meta["pilots"] = pilots_record(panel.coding)
    else:
        frame = panel.frame
        meta["roles"] = panel.roles.as_dict()
    io.write_table(frame, target, meta, force=True, inputs=[path])
    print(f"data: {panel.summary()}", file=sys.stderr)
    return str(target.resolve())


def _data_flags(parser: argparse.ArgumentParser, reading: bool = True) -> None:
    """The data flags shared by every command that reads a panel."""
    parser.add_argument(
        "--missing",
        choices=["error", "drop", "keep"],
        default="error",
        help="missing values in required columns: list them as an error (default), drop "
        "those rows, or keep them",
    )
    parser.add_argument(
        "--allow-unbalanced",
        action="store_true",
        help="accept a panel where some city-years are absent",
    )
    parser.add_argument(
        "--sheet",
        metavar="NAME",
        help="Excel sheet holding the data (default: the first sheet with a year column)",
    )
    parser.add_argument(
        "--columns",
        metavar="ROLES",
        help="your panel's roles: unit=…,time=…,outcome=…,cohort=… (or treatment=… for a 0/1 "
        "column; controls=a+b, cluster=…); 'paper' or none: the paper's schema",
    )
    parser.add_argument(
        "--pilots",
        metavar="FILE",
        help="another pilot policy on the paper's cities: CSV of city, first_year "
        "[, evidence]; replaces the Broadband China timing",
    )
    if reading:
        parser.add_argument(
            "--reading",
            choices=["parent", "ignore", "none"],
            default="parent",
            help="check did against the pilot lists under this reading of sub-city entries; "
            "'none' keeps your did unchecked",
        )


# ----------------------------------------------------------------------------- commands


def _chapter_options(
    args: argparse.Namespace, parameters: dict, hints: Mapping[str, str], reading: object = "parent"
) -> list[str]:
    """Validate ``--data`` (with ``--columns``/``--pilots``) and set the chapters' parameters;
    returns the parameters a chapter must declare to run (``columns``, ``pilots``)."""
    from replicate.data.panel import pilots_label

    roles = _roles(args)
    data = parameters.get("data") or args.data
    if roles is not None and not roles.is_paper and data in (None, "synthetic"):
        raise ValueError(
            "--columns names the columns of your panel, and no --data file was given "
            "(the synthetic twin has the paper's schema)\n    fix: add --data FILE"
        )
    needs = []
    if isinstance(data, str) and data != "synthetic":
        parameters["data"] = _validated_copy(args, data, hints, reading)
    elif data:
        parameters["data"] = "synthetic"
    if roles is not None and not roles.is_paper:
        from replicate.data import read_table

        _, meta = read_table(parameters["data"])
        parameters["columns"] = meta["roles"]  # the roles completed by validation
        needs.append("columns")
    if getattr(args, "pilots", None):
        coding = _pilots(args)
        print(f"pilot timing: {pilots_label(coding)}", file=sys.stderr)
        parameters["pilots"] = str(Path(args.pilots).expanduser().resolve())
        needs.append("pilots")
    return needs


def _cmd_book(args: argparse.Namespace) -> int:
    from replicate import book

    parameters: dict = {}
    needs = _chapter_options(args, parameters, BOOK_HINTS)
    runs = book.build(
        parameters, only=args.only or (), jobs=args.jobs, strict=not args.lenient, needs=needs
    )
    for run in runs:
        print(f"{run.name:<28} {run.seconds:6.1f} s  ok")
    print(f"site written to {_shown(book.paths.HTML_DIR / 'index.html')}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from replicate import book

    source = book.resolve_notebook(args.notebook)
    parameters = book.parse_parameters(source, [tuple(p) for p in args.parameter or []])
    if args.data:
        parameters["data"] = args.data
    declared = book.declared_parameters(source)
    roles = _roles(args)
    for name, given in (("columns", roles and not roles.is_paper), ("pilots", args.pilots)):
        if given and name not in declared:
            raise book.BuildError(book.skip_reason(source, name, f"does not take --{name}"))
    reading = parameters.get("reading", getattr(declared.get("reading"), "value", "parent"))
    _chapter_options(args, parameters, RUN_HINTS, reading)
    if args.out:
        out_dir = Path(args.out)
        if out_dir.exists() and not out_dir.is_dir():
            raise book.BuildError(f"--out {args.out}: not a directory. Fix: give a directory.")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise book.BuildError(
                f"--out {args.out}: cannot create it ({exc.strerror}). Fix: a writable directory."
            ) from None
        target = book.run_one(args.notebook, parameters, out_dir)
    else:
        target = book.run_one(args.notebook, parameters)
    print(f"executed {_shown(target)}")
    return 0


def _cmd_check_data(args: argparse.Namespace) -> int:
    panel = _load(args, args.path, DATA_HINTS)
    print(f"OK {panel.summary()}")
    for note in panel.notes:
        if not note.startswith("warning:"):
            print(f"  note: {note}")
    if panel.origin == "unverified":
        print(
            "  note: origin unverified — no replicate label is bound to this file "
            "(see data/README.md, 'Labels')"
        )
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from replicate.data import io, synthetic

    out = io.check_output(args.out, force=args.force)
    seed = synthetic.DEFAULT_SEED if args.seed is None else args.seed
    twin = synthetic.make_twin(seed=seed, reading=args.reading)
    path = twin.write(out, force=args.force)
    print(
        f"wrote {path} — {twin.label}: {len(twin.frame):,} rows; true ATT on nqp {twin.truth.att:.4f}"
    )
    return 0


def _table_panel(args: argparse.Namespace):
    roles = _roles(args)
    if roles is not None and not roles.is_paper:
        from replicate.data.schema import PAPER_VARIABLES

        raise ValueError(
            f"`{args.command}` sets the paper's Tables 1–4 beside the published numbers, so it "
            f"needs the paper's city-year variables ({', '.join(PAPER_VARIABLES)}); --columns "
            "names another panel\n    fix: `replicate check-data FILE --columns …` validates "
            "it and `replicate run 09 --data FILE --columns …` runs the modern-DID chapter on it"
        )
    source = "synthetic" if args.data in (None, "synthetic") else args.data
    return _load(args, source, DATA_HINTS)


def _print_table(frame, args: argparse.Namespace, caption: str, panel, **options) -> None:
    """Render a table; CSV carries the data label in a ``data`` column on every row."""
    from replicate.report import tables

    if args.format == "csv":
        frame = frame.copy()
        key = (
            ("data",) + ("",) * (frame.columns.nlevels - 1) if frame.columns.nlevels > 1 else "data"
        )
        frame[key] = panel.marker
    print(tables.render(frame, args.format, caption, synthetic=panel.synthetic, **options), end="")


def _cmd_table(args: argparse.Namespace) -> int:
    from replicate import replication

    panel = _table_panel(args)
    frame = replication.paper_table(args.number, panel)
    if args.number == 1:
        caption = f"Table 1. Descriptive statistics — {panel.marker} beside Liu & Zou"
    else:
        caption = f"Table {args.number} — {panel.marker} beside Liu & Zou"
    _print_table(frame, args, caption, panel)
    return 0


def _cmd_scorecard(args: argparse.Namespace) -> int:
    from replicate import replication

    panel = _table_panel(args)
    card = replication.scorecard(panel)
    if args.details:
        shown = card.drop(columns=["paper_stars", "our_stars"], errors="ignore").set_index(
            ["table", "column", "variable", "statistic"]
        )
        _print_table(shown, args, f"Scorecard — {panel.marker}", panel, decimals=4)
    summary = replication.scorecard_summary(card)
    _print_table(summary, args, f"Scorecard summary — {panel.marker}", panel)
    if args.format != "csv":
        ok = int((card["status"] != "off").sum())
        print(
            f"{ok} of {len(card)} published numbers reproduced within rounding or tolerance "
            f"({panel.marker})."
        )
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    from replicate.data import io
    from replicate.index import load_dictionary
    from replicate.index.corpus import city_year_index, read_corpus

    corpus_path = Path(args.corpus).expanduser()
    inputs = [corpus_path]
    if corpus_path.is_dir():
        inputs += [p for p in corpus_path.iterdir() if p.is_file()]
    if args.dictionary:
        inputs.append(io.check_input(args.dictionary, "dictionary file"))
    out = io.check_output(args.out, force=args.force, inputs=inputs)
    dictionary = load_dictionary(args.dictionary)
    corpus = read_corpus(corpus_path)
    for warning in corpus.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if corpus.warnings and args.strict:
        print("replicate index: --strict turns the warnings above into an error.", file=sys.stderr)
        return 1
    table = city_year_index(corpus, dictionary, args.method)
    meta = {
        "synthetic": False,
        "label": f"keyword index of {corpus.source}",
        "generator": "replicate.index.corpus.city_year_index",
        "method": args.method,
        "source": corpus.source,
    }
    if corpus_path.is_file():
        meta["source_sha256"] = io.sha256(corpus_path)
    io.write_table(table, out, meta, force=args.force, inputs=inputs)
    unit = {"city_id": "city-years", "province": "province-years"}.get(corpus.keys[0], "years")
    print(
        f"wrote {out}: {len(table):,} {unit} from {len(corpus.documents):,} documents "
        f"({args.method} counting)"
    )
    return 0


# ----------------------------------------------------------------------------- parser


def _table_options(parser: argparse.ArgumentParser) -> None:
    """--data, --format and the data flags, shared by the commands that print tables."""
    parser.add_argument(
        "--data",
        metavar="PATH|synthetic",
        default="synthetic",
        help="panel file, or 'synthetic' (default)",
    )
    parser.add_argument(
        "--format",
        choices=["md", "csv", "latex", "html"],
        default="md",
        help="output format (default: md); every format carries the data label",
    )
    _data_flags(parser)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", help="show the full traceback of an error (bug reports)"
    )
    parser = ArgumentParser(
        prog="replicate",
        description=(
            "Replication of Liu & Zou, 'Digital infrastructure construction and urban new "
            "quality productive forces' (staggered DID on the Broadband China pilots). "
            "Without --data every command runs on the SYNTHETIC twin, not on real city data."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, **kwargs) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kwargs)

    p = add(
        "book",
        help="execute every chapter notebook and render the book",
        description="Execute every notebook of _toc.yml with papermill (errors not allowed), then render "
        "_build/html with Jupyter Book without executing again. Sphinx warnings fail the build. "
        "With --data the panel is validated first (same checks and flags as check-data); the "
        "notebooks read the validated copy in _build/data/.",
    )
    p.add_argument(
        "--data",
        metavar="PATH",
        help="panel file passed to every notebook (default: the synthetic twin)",
    )
    _data_flags(p, reading=False)
    p.add_argument(
        "--only",
        metavar="NOTEBOOK",
        action="append",
        help="execute only this notebook (repeatable); others keep their last run",
    )
    p.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default: 2)")
    p.add_argument("--lenient", action="store_true", help="do not treat Sphinx warnings as errors")
    p.set_defaults(func=_cmd_book)

    p = add(
        "run",
        help="execute one notebook with other parameters into _build/executed/",
        description="Execute one notebook with papermill. -p names must be parameters the notebook "
        "declares; values are read as the declared type: 0.05, true, 'fdi, hum' or [fdi, hum] "
        "for a list. A data file is validated first (same checks and flags as check-data).",
    )
    p.add_argument("notebook", help="file name, stem or number, e.g. 05_baseline or 05")
    p.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="set a parameter (repeatable)",
    )
    p.add_argument("--data", metavar="PATH", help="shorthand for -p data PATH")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="directory for the executed notebook (default: _build/executed/, which the next "
        "run of the same chapter replaces; give each variant its own DIR to keep both)",
    )
    _data_flags(p, reading=False)
    p.set_defaults(func=_cmd_run)

    p = add(
        "check-data",
        help="validate a panel file; exit 0 when good, 1 with every problem listed",
        description="Read a panel (CSV in UTF-8 or GBK, Parquet, Stata .dta, Excel), map alternative "
        "column names (城市/年份/城市代码 …) and check it against the schema in data/README.md. "
        "Title rows, a units line, full-width digits, thousands separators and dashes for "
        "missing are read as a yearbook export means them, each mentioned in a note.",
    )
    p.add_argument("path", help="the panel file")
    _data_flags(p)
    p.set_defaults(func=_cmd_check_data)

    p = add(
        "synth",
        help="write the synthetic twin (SYNTHETIC data, labelled as such)",
        description="Write the seeded synthetic twin of the paper's panel. The file is labelled synthetic "
        "inside it (a hash-bound sidecar for CSV); it is not evidence about China.",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the book's seed)")
    p.add_argument(
        "--out", required=True, metavar="PATH", help="output file: .csv, .parquet, .dta or .xlsx"
    )
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument(
        "--reading",
        choices=["parent", "ignore"],
        default="parent",
        help="pilot coding of sub-city entries",
    )
    p.set_defaults(func=_cmd_synth)

    p = add(
        "table",
        help="print one of the paper's tables beside the published numbers",
        description="Estimate one of the paper's tables on a panel and print it in the paper's layout, "
        "each cell beside the published value and the difference.",
    )
    p.add_argument("number", type=int, choices=[1, 2, 3, 4], help="table number")
    _table_options(p)
    p.set_defaults(func=_cmd_table)

    p = add(
        "scorecard",
        help="every published number of Tables 1–4 against ours, with a status",
        description="Compare every published number of Tables 1–4 with ours: within rounding, within "
        "tolerance, or off; --details lists them all.",
    )
    _table_options(p)
    p.add_argument("--details", action="store_true", help="list every number, not only the summary")
    p.set_defaults(func=_cmd_scorecard)

    p = add(
        "index",
        help="build the nqp keyword index from a corpus of documents",
        description="CORPUS is a folder of CITY_YEAR.txt files (UTF-8 or GBK) or a CSV/JSONL file with "
        "year and text, and city_id (or 城市/城市代码) for city documents; without a city column "
        "the documents are national or provincial reports keyed by (province and) year, e.g. "
        "data/raw/gwr/national_gwr_2005_2025.jsonl. Writes one row per city-year (or year): "
        "counts per category, frequency per 10,000 characters, nqp = ln(1 + count) and an "
        "entropy-weight composite.",
    )
    p.add_argument("corpus", help="folder of CITY_YEAR.txt files, or a .csv/.jsonl file")
    p.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="output file; the format follows the extension: .csv, .parquet, .xlsx or .dta",
    )
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.add_argument(
        "--method",
        choices=["scan", "jieba", "naive"],
        default="scan",
        help="counting method (default: scan)",
    )
    p.add_argument(
        "--dictionary", metavar="CSV", help="your own keyword list (term, gloss, category, reason)"
    )
    p.add_argument(
        "--strict", action="store_true", help="treat warnings (empty documents, gaps, …) as errors"
    )
    p.set_defaults(func=_cmd_index)

    from replicate import calibrate, classroom, lab, montecarlo, multiverse

    for module in (calibrate, multiverse, montecarlo, lab, classroom):
        before = set(sub.choices)
        module.register(sub)
        for name in set(sub.choices) - before:
            if "--debug" not in sub.choices[name]._option_string_actions:
                sub.choices[name].add_argument(
                    "--debug", action="store_true", help="show the full traceback of an error"
                )

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a user's mistake is one message and exit status 1."""
    from replicate.book import BuildError

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.debug = "--debug" in argv  # wherever it was typed (before or after the command)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"replicate {args.command}: interrupted; no file was half-written.", file=sys.stderr)
        return 130
    except (BuildError, ValueError, OSError) as error:
        if args.debug:
            raise
        print(f"replicate {args.command}: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug, not the user's mistake: say so, keep it short
        if args.debug:
            raise
        print(
            f"replicate {args.command}: internal error {type(error).__name__}: {error}\n"
            "    this is a bug, not a problem with your data: rerun with --debug and report "
            "the traceback",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())


def transcript(*args: str) -> str:
    """Run ``replicate ARGS`` in a fresh process and return what a terminal would show.

    Used by the book to show commands and their real output (errors included).
    """
    import subprocess

    from replicate import paths

    done = subprocess.run(
        [sys.executable, "-m", "replicate.cli", *args],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
    )
    # ipykernel announces on stderr that its local TCP sockets are unencrypted whenever a
    # kernel starts; it says nothing about the command, so the transcript leaves it out.
    lines = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "Kernel is running over TCP" not in line
    ]
    shown = " ".join(f'"{a}"' if " " in a else a for a in args)
    return f"$ replicate {shown}\n" + "\n".join(lines).rstrip() + f"\n[exit code {done.returncode}]"
