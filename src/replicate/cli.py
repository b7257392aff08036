"""The ``replicate`` command line: build the book, run a notebook, check data, print tables.

Each subcommand is a thin wrapper over a library function, so everything the command line
does can also be done from Python or a notebook.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

EPILOG = """\
examples:
  replicate book                              execute every chapter, render _build/html
  replicate book --data mypanel.dta           the whole book on your own panel
  replicate run 05 -p controls "[fdi, hum]"   one notebook, other parameters
  replicate check-data mypanel.csv            validate a panel file
  replicate table 2 --format md               Table 2 beside the published numbers
  replicate index corpus/ --out nqp.csv       the keyword index from city documents
"""


def _parameter_value(text: str) -> object:
    """Parse a ``-p`` value as YAML so ``0.05``, ``true`` and ``[fdi, hum]`` keep their types."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _data_path(value: object) -> object:
    """A data path typed relative to the shell's directory, made absolute for the kernels."""
    if isinstance(value, str) and value != "synthetic":
        return str(Path(value).expanduser().resolve())
    return value


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _cmd_book(args: argparse.Namespace) -> int:
    from replicate import book

    parameters = {"data": _data_path(args.data)} if args.data else {}
    runs = book.build(parameters, only=args.only or (), jobs=args.jobs, strict=not args.lenient)
    for run in runs:
        print(f"{run.name:<28} {run.seconds:6.1f} s  ok")
    print(f"site written to {_shown(book.paths.HTML_DIR / 'index.html')}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from replicate import book

    parameters = {name: _parameter_value(value) for name, value in args.parameter or []}
    if args.data:
        parameters["data"] = args.data
    if "data" in parameters:
        parameters["data"] = _data_path(parameters["data"])
    target = book.run_one(args.notebook, parameters)
    print(f"executed {_shown(target)}")
    return 0


def _cmd_check_data(args: argparse.Namespace) -> int:
    from replicate.data.panel import PanelError, load_panel

    try:
        panel = load_panel(
            args.path,
            missing=args.missing,
            balanced="allow" if args.allow_unbalanced else "require",
            reading=None if args.reading == "none" else args.reading,
        )
    except PanelError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"OK {panel.summary()}")
    for note in panel.notes:
        print(f"  note: {note}")
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from replicate.data import synthetic

    seed = synthetic.DEFAULT_SEED if args.seed is None else args.seed
    twin = synthetic.make_twin(seed=seed, reading=args.reading)
    path = twin.write(args.out)
    print(
        f"wrote {path} — {twin.label}: {len(twin.frame):,} rows; true ATT on nqp {twin.truth.att:.4f}"
    )
    return 0


def _load_for_table(args: argparse.Namespace):
    from replicate.data.panel import load_panel

    source = "synthetic" if args.data in (None, "synthetic") else args.data
    return load_panel(source, reading=args.reading, require=())


def _cmd_table(args: argparse.Namespace) -> int:
    from replicate.report import tables

    panel = _load_for_table(args)
    if args.number == 1:
        frame = tables.table1(panel.frame)
        caption = f"Table 1. Descriptive statistics — {panel.label} beside Liu & Zou"
    else:
        from replicate import replication

        frame = replication.paper_table(args.number, panel)
        caption = f"Table {args.number} — {panel.label} beside Liu & Zou"
    print(tables.render(frame, args.format, caption, synthetic=panel.synthetic), end="")
    return 0


def _cmd_scorecard(args: argparse.Namespace) -> int:
    from replicate import replication
    from replicate.report import tables

    panel = _load_for_table(args)
    card = replication.scorecard(panel)
    if args.details:
        shown = card.drop(columns=["paper_stars", "our_stars"]).set_index(
            ["table", "column", "variable", "statistic"]
        )
        print(
            tables.render(
                shown,
                args.format,
                f"Scorecard — {panel.label}",
                synthetic=panel.synthetic,
                decimals=4,
            ),
            end="",
        )
    summary = replication.scorecard_summary(card)
    print(
        tables.render(
            summary, args.format, f"Scorecard summary — {panel.label}", synthetic=panel.synthetic
        ),
        end="",
    )
    n = len(card)
    ok = int((card["status"] != "off").sum())
    print(
        f"{ok} of {n} published numbers reproduced within rounding or one standard error ({panel.label})."
    )
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    from replicate.data.panel import PanelError
    from replicate.index import load_dictionary
    from replicate.index.corpus import city_year_index, read_corpus

    try:
        corpus = read_corpus(args.corpus)
    except PanelError as error:
        print(error, file=sys.stderr)
        return 1
    for warning in corpus.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if corpus.warnings and args.strict:
        print("replicate index: --strict turns the warnings above into an error.", file=sys.stderr)
        return 1
    table = city_year_index(corpus, load_dictionary(args.dictionary), args.method)
    out = args.out
    if str(out).endswith(".parquet"):
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False, float_format="%.10g", lineterminator="\n")
    print(
        f"wrote {out}: {len(table):,} city-years from {len(corpus.documents):,} documents ({args.method} counting)"
    )
    return 0


def _table_options(parser: argparse.ArgumentParser) -> None:
    """--data, --format and --reading, shared by the commands that print tables."""
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
        help="output format (default: md)",
    )
    parser.add_argument(
        "--reading",
        choices=["parent", "ignore"],
        default="parent",
        help="pilot coding of sub-city entries",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="replicate",
        description=(
            "Replication of Liu & Zou, 'Digital infrastructure construction and urban new "
            "quality productive forces' (staggered DID on the Broadband China pilots). "
            "Without --data every command runs on the SYNTHETIC twin, not on real city data."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "book",
        help="execute every chapter notebook and render the book",
        description="Execute every notebook of _toc.yml with papermill (errors not allowed), then render "
        "_build/html with Jupyter Book without executing again. Sphinx warnings fail the build.",
    )
    p.add_argument(
        "--data",
        metavar="PATH",
        help="panel file passed to every notebook (default: the synthetic twin)",
    )
    p.add_argument(
        "--only",
        metavar="NOTEBOOK",
        action="append",
        help="execute only this notebook (repeatable); others keep their last run",
    )
    p.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default: 2)")
    p.add_argument("--lenient", action="store_true", help="do not treat Sphinx warnings as errors")
    p.set_defaults(func=_cmd_book)

    p = sub.add_parser(
        "run",
        help="execute one notebook with other parameters into _build/executed/",
        description="Execute one notebook with papermill. Values of -p are read as YAML: 0.05, true, [fdi, hum].",
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
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "check-data",
        help="validate a panel file; exit 0 when good, 1 with every problem listed",
        description="Read a panel (CSV in UTF-8 or GBK, Parquet, Stata .dta, Excel), map alternative "
        "column names (城市/年份/城市代码 …) and check it against the schema in data/README.md.",
    )
    p.add_argument("path", help="the panel file")
    p.add_argument(
        "--missing",
        choices=["error", "drop", "keep"],
        default="error",
        help="policy for missing values (default: error)",
    )
    p.add_argument(
        "--allow-unbalanced",
        action="store_true",
        help="accept a panel where some city-years are absent",
    )
    p.add_argument(
        "--reading",
        choices=["parent", "ignore", "none"],
        default="parent",
        help="check did against the pilot lists under this reading; 'none' keeps your did unchecked",
    )
    p.set_defaults(func=_cmd_check_data)

    p = sub.add_parser(
        "synth",
        help="write the synthetic twin (SYNTHETIC data, labelled as such)",
        description="Write the seeded synthetic twin of the paper's panel. The file is labelled synthetic in "
        "its metadata; it is not evidence about China.",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the book's seed)")
    p.add_argument(
        "--out", required=True, metavar="PATH", help="output file: .csv, .parquet, .dta or .xlsx"
    )
    p.add_argument(
        "--reading",
        choices=["parent", "ignore"],
        default="parent",
        help="pilot coding of sub-city entries",
    )
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser(
        "table",
        help="print one of the paper's tables beside the published numbers",
        description="Estimate one of the paper's tables on a panel and print it in the paper's layout, "
        "each cell beside the published value and the difference.",
    )
    p.add_argument("number", type=int, choices=[1, 2, 3, 4], help="table number")
    _table_options(p)
    p.set_defaults(func=_cmd_table)

    p = sub.add_parser(
        "scorecard",
        help="every published number of Tables 1–4 against ours, with a status",
        description="Compare every published number of Tables 1–4 with ours: within rounding, within one "
        "standard error, or off; --details lists them all.",
    )
    _table_options(p)
    p.add_argument("--details", action="store_true", help="list every number, not only the summary")
    p.set_defaults(func=_cmd_scorecard)

    p = sub.add_parser(
        "index",
        help="build the nqp keyword index from a corpus of city documents",
        description="CORPUS is a folder of CITY_YEAR.txt files (UTF-8 or GBK) or a CSV/JSONL file with "
        "city_id, year and text. Writes one row per city-year: counts per category, frequency per "
        "10,000 characters, nqp = ln(1 + count) and an entropy-weight composite.",
    )
    p.add_argument("corpus", help="folder of CITY_YEAR.txt files, or a .csv/.jsonl file")
    p.add_argument("--out", required=True, metavar="PATH", help="output .csv or .parquet")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from replicate.book import BuildError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (BuildError, ValueError, FileNotFoundError) as error:
        print(f"replicate {args.command}: {error}", file=sys.stderr)
        return 1


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
