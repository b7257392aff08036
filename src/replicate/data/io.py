"""Reading and writing panel files, with one metadata convention for every format.

Where the label lives (so it cannot come loose from the data):

========  ================================================================================
format    label
========  ================================================================================
Parquet   key ``replicate`` of the file's schema metadata (JSON)
Stata     the dataset label: ``… [replicate synthetic=1 seed=N v=VERSION]`` (80 characters)
Excel     a sheet the loader owns, ``_replicate_meta`` (key, value); other sheets are data
CSV       a sidecar ``NAME.csv.meta.json`` holding the SHA-256 of the CSV's bytes; a sidecar
          whose hash does not match its file is ignored with a warning
========  ================================================================================

A file without a label bound to it is of **unverified** origin — never "real" by default.

Writing never destroys data: an existing file is replaced only with ``force=True``, never
when it is one of the caller's inputs, and always atomically (a temporary file in the same
folder, then :func:`os.replace`), so an interrupted write leaves the old file intact.
Files are byte-identical across runs for every format: Stata gets a fixed time stamp, and
Excel workbooks get fixed document-property times and zip entry dates.

Reading handles what spreadsheet exports hold: title rows above the header (merged
cells), a second header line of units, GBK/GB18030 CSV, a workbook whose first sheet is
notes, and Stata value labels. Every failure names the file and the fix.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from replicate import __version__
from replicate.data.cities import schema_name

META_SHEET = "_replicate_meta"
"""The Excel sheet the loader owns: the file's label as key/value rows, never data."""
PARQUET_KEY = b"replicate"
SIDECAR = ".meta.json"
READABLE = (".csv", ".txt", ".parquet", ".dta", ".xlsx", ".xlsm")
WRITABLE = (".csv", ".parquet", ".dta", ".xlsx")
FIXED_TIME = (2000, 1, 1, 0, 0, 0)
"""The date written into Excel zip entries and document properties (byte-identical files)."""
HEADER_SEARCH = 10
"""How many leading rows may hold titles before the header row."""
_STATA_TAG = re.compile(r"\[replicate ([^\]]*)\]")


class FileError(ValueError):
    """A file cannot be read or written as asked; the message names it and the fix."""

    def __init__(self, path: str | Path, message: str, fix: str = "") -> None:
        self.path = Path(path)
        text = f"{self.path}: {message}"
        if fix:
            text += f"\n    fix: {fix}"
        super().__init__(text)


@dataclass(frozen=True)
class Loaded:
    """A file as read: the frame, its label, and what the reader did.

    ``verified`` is True when the metadata is bound to the file (embedded, or a sidecar
    whose hash matches); ``notes`` say what was skipped or mapped (warnings start with
    ``warning:``).
    """

    frame: pd.DataFrame
    meta: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    verified: bool = False


# ----------------------------------------------------------------------------- checks


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_input(path: str | Path, what: str = "file") -> Path:
    """A readable regular file, or a :class:`FileError` saying what it is instead.

    ``is_file()`` is checked before anything opens the path, so a FIFO never blocks.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileError(path, f"no such {what}", f"check the path (relative to {Path.cwd()})")
    if path.is_dir():
        raise FileError(path, f"is a folder, not a {what}", f"point to the {what} itself")
    if not path.is_file():
        raise FileError(
            path,
            "is not a regular file (a pipe, socket or device)",
            "save the data to an ordinary file and pass that",
        )
    if not os.access(path, os.R_OK):
        raise FileError(path, "cannot be read (permission denied)", "check the file's permissions")
    if path.stat().st_size == 0:
        raise FileError(path, "is empty (0 bytes)", "export the data again; the file holds nothing")
    return path


def check_output(
    path: str | Path,
    *,
    force: bool = False,
    inputs: Iterable[str | Path] = (),
    allowed: Iterable[str] = WRITABLE,
) -> Path:
    """Refuse an output that would destroy data, or that the writer cannot produce.

    Raises :class:`FileError` when the extension is not one of ``allowed``, the folder
    does not exist, the path is a folder, it is one of ``inputs`` (even with ``force``),
    or it exists and ``force`` is False.
    """
    path = Path(path).expanduser()
    allowed = tuple(allowed)
    if path.suffix.lower() not in allowed:
        raise FileError(
            path,
            f"cannot write a {path.suffix or 'extension-less'} file",
            f"name the output with one of {', '.join(allowed)}",
        )
    parent = path.parent
    if not parent.is_dir():
        raise FileError(path, f"the folder {parent} does not exist", "create the folder first")
    if path.is_dir():
        raise FileError(path, "is a folder", "give a file name inside it")
    if not os.access(parent, os.W_OK):
        raise FileError(path, f"the folder {parent} is not writable", "choose another folder")
    target = path.resolve()
    for item in inputs:
        item = Path(item).expanduser()
        same = item.resolve() == target or (
            path.exists() and item.exists() and os.path.samefile(item, path)
        )
        if same:
            raise FileError(
                path,
                "is one of this command's inputs; it is never written over, not even with --force",
                "choose another output name",
            )
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise FileError(path, "exists and is not a regular file", "choose another name")
        if not force:
            raise FileError(
                path,
                "already exists and is kept",
                "choose another name, or pass --force (force=True) to replace it",
            )
    return path


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


# ----------------------------------------------------------------------------- writing


def _json(meta: dict) -> str:
    return json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _stata_label(meta: dict) -> str:
    tag = f"[replicate synthetic={int(bool(meta.get('synthetic')))}"
    if meta.get("seed") is not None:
        tag += f" seed={meta['seed']}"
    tag += f" v={meta.get('replicate_version', __version__)}]"
    label = str(meta.get("label", ""))[: 80 - len(tag) - 1]
    return f"{label} {tag}".strip()


def _stata_variable_label(frame: pd.DataFrame, meta: dict) -> dict[str, str]:
    """The generator and its version, in the first variable's label (80 characters)."""
    fields = [
        f"{k}={str(meta[k]).replace(' ', '_')}"
        for k in ("generator", "generator_version")
        if meta.get(k)
    ]
    if not fields or frame.columns.empty:
        return {}
    return {str(frame.columns[0]): f"[replicate {' '.join(fields)}]"[:80]}


def _deterministic_xlsx(path: Path) -> None:
    """Fix the zip entry dates and the workbook's created/modified times."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    stamp = "2000-01-01T00:00:00Z"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp.encode() + rb"\g<3>",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, data)


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    meta: dict | None = None,
    *,
    force: bool = False,
    inputs: Iterable[str | Path] = (),
    sheet: str = "panel",
) -> Path:
    """Write a frame as CSV, Parquet, Stata or Excel (by extension) with its label.

    Parameters
    ----------
    frame : DataFrame
        Written without its index; not modified.
    path : str or Path
        The output; see :func:`check_output` for what is refused.
    meta : dict, optional
        The label: ``synthetic`` (bool), ``label``, ``seed``, ``generator`` …; the package
        version is added as ``replicate_version``. None writes ``synthetic: False``.
    force : bool
        Replace an existing file (never one of ``inputs``).
    inputs : iterable of paths
        The caller's input files, never written over.
    sheet : str
        Name of the data sheet in an Excel workbook.
    """
    path = check_output(path, force=force, inputs=inputs)
    meta = {"synthetic": False, **(meta or {}), "replicate_version": __version__}
    suffix = path.suffix.lower()
    if suffix == ".csv":

        def write(tmp: Path) -> None:
            frame.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")

        atomic_write(path, write)
        sidecar = path.with_name(path.name + SIDECAR)
        bound = {**meta, "file": path.name, "sha256": sha256(path)}
        atomic_write(sidecar, lambda tmp: tmp.write_text(_json(bound) + "\n", encoding="utf-8"))
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), PARQUET_KEY: _json(meta).encode()}
        )
        atomic_write(path, lambda tmp: pq.write_table(table, tmp))
    elif suffix == ".dta":
        atomic_write(
            path,
            lambda tmp: frame.to_stata(
                tmp,
                write_index=False,
                data_label=_stata_label(meta),
                variable_labels=_stata_variable_label(frame, meta),
                version=118,
                time_stamp=pd.Timestamp("2000-01-01").to_pydatetime(),
            ),
        )
    else:  # .xlsx

        def write(tmp: Path) -> None:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                frame.to_excel(writer, sheet_name=sheet, index=False)
                pd.DataFrame(
                    {
                        "key": list(meta),
                        "value": [json.dumps(v, default=str) for v in meta.values()],
                    }
                ).to_excel(writer, sheet_name=META_SHEET, index=False)
            _deterministic_xlsx(tmp)

        atomic_write(path, write)
    return path


def write_panel(
    frame: pd.DataFrame, path: str | Path, meta: dict | None = None, force: bool = False
) -> Path:
    """Write a panel with its label (see :func:`write_table`); the twin writes through this."""
    return write_table(frame, path, meta, force=force)


# ----------------------------------------------------------------------------- reading


def _cell_text(value: object) -> str:
    return "" if pd.isna(value) else unicodedata.normalize("NFKC", str(value)).strip()


def _is_number(value: object) -> bool:
    text = _cell_text(value).replace(",", "").rstrip("年")
    try:
        float(text)
    except ValueError:
        return False
    return text != ""


def _with_header(grid: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Find the header row below any title rows; skip a units line under it."""
    notes: list[str] = []
    header_at = 0
    for i in range(min(HEADER_SEARCH, len(grid))):
        names = [schema_name(v) for v in grid.iloc[i] if _cell_text(v)]
        if {"year", "city", "city_id", "city_code"} & set(names):
            header_at = i
            break
    if header_at:
        notes.append(
            f"header read from row {header_at + 1}; {header_at} title row(s) above it skipped"
        )
    names = []
    for j, value in enumerate(grid.iloc[header_at] if len(grid) else []):
        text = _cell_text(value)
        names.append(text if text else f"column {j + 1}")
    body = grid.iloc[header_at + 1 :].copy()
    body.columns = names
    # columns without a header and without data (trailing separators, merged cells)
    empty = [n for n in names if n.startswith("column ") and body[n].isna().all()]
    body = body.drop(columns=empty)
    repeated = sorted({n for n in body.columns if list(body.columns).count(n) > 1})
    if repeated:
        raise FileError(
            path,
            f"the header names these columns more than once: {repeated}",
            "rename or delete the repeated columns",
        )
    year_col = next((c for c in body.columns if schema_name(c) == "year"), None)
    if len(body) and year_col is not None:
        first = body.iloc[0]
        if not _is_number(first[year_col]) and not any(_is_number(v) for v in first):
            shown = [_cell_text(v) for v in first if _cell_text(v)]
            notes.append(
                f"row {header_at + 2} read as a second header line (units), not data: {shown}"
            )
            body = body.iloc[1:]
    body = body.dropna(how="all").reset_index(drop=True)
    return body, notes


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileError(path, "is neither UTF-8 nor GBK/GB18030 text", "re-save the file as UTF-8")


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[str]]:
    text = _decode(path)
    if "\x00" in text:
        raise FileError(path, "holds binary data, not CSV text", "export the data as CSV")
    try:
        grid = pd.read_csv(io.StringIO(text), header=None, dtype=str, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise FileError(
            path, "holds no columns (only blank lines)", "export the data again"
        ) from None
    except pd.errors.ParserError as error:
        raise FileError(
            path,
            f"is not a well-formed CSV ({str(error).strip()})",
            "check the separators and quotes; every row needs the same number of fields",
        ) from None
    return _with_header(grid, path)


def _sidecar_meta(path: Path) -> tuple[dict, list[str], bool]:
    sidecar = path.with_name(path.name + SIDECAR)
    if not sidecar.exists():
        return {}, [], False
    try:
        meta = json.loads(check_input(sidecar, "metadata file").read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except (ValueError, FileError) as error:
        reason = error.args[0].splitlines()[0] if isinstance(error, FileError) else str(error)
        return {}, [f"warning: {sidecar.name} is not valid metadata ({reason}); ignored"], False
    if meta.get("sha256") != sha256(path):
        why = "has no content hash" if "sha256" not in meta else "was written for other content"
        return (
            {},
            [
                f"warning: {sidecar.name} {why}, so its label "
                f"({meta.get('label', '?')}) is ignored and {path.name} is of unverified origin"
            ],
            False,
        )
    return meta, [], True


def _read_parquet(path: Path) -> tuple[pd.DataFrame, dict, list[str], bool]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as error:  # ArrowInvalid, OSError, …: the file is not Parquet
        raise FileError(
            path, f"is not a readable Parquet file ({error})", "export it again"
        ) from None
    raw_meta = (table.schema.metadata or {}).get(PARQUET_KEY)
    frame = table.to_pandas()
    if not raw_meta:
        return frame, {}, [], False
    try:
        meta = json.loads(raw_meta)
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except ValueError as error:
        return (
            frame,
            {},
            [f"warning: its replicate metadata is unreadable ({error}); ignored"],
            False,
        )
    return frame, meta, [], True


def _read_stata(path: Path) -> tuple[pd.DataFrame, dict, list[str], bool]:
    notes: list[str] = []
    try:
        with pd.io.stata.StataReader(path, convert_categoricals=False) as reader:
            codes = reader.read()
            label = reader.data_label or ""
            value_labels = reader.value_labels()
            variable_labels = reader.variable_labels()
    except Exception as error:  # pandas raises struct, value and index errors alike
        raise FileError(
            path,
            f"is not a readable Stata file ({error})",
            "save it again from Stata (any version 8–18)",
        ) from None
    frame = codes
    if value_labels:
        try:
            with pd.io.stata.StataReader(path, convert_categoricals=True) as reader:
                labelled = reader.read()
        except ValueError:  # labels not unique: keep the codes
            labelled = codes
        for column in codes.columns:
            if labelled[column].dtype.name != "category":
                continue
            if schema_name(column) in ("city", "province", "city_id"):
                frame = frame.assign(**{column: labelled[column].astype(object)})
                notes.append(f"{column}: Stata value labels used (names, not codes)")
            else:
                notes.append(f"{column}: Stata value labels ignored; the numeric codes are used")
    tag = _STATA_TAG.search(label)
    if tag:
        fields = dict(item.split("=", 1) for item in tag.group(1).split() if "=" in item)
        meta: dict = {
            "synthetic": fields.get("synthetic") == "1",
            "label": label[: tag.start()].strip(),
        }
        if "seed" in fields:
            meta["seed"] = int(fields["seed"]) if fields["seed"].isdigit() else fields["seed"]
        meta["replicate_version"] = fields.get("v")
        first = _STATA_TAG.search(
            variable_labels.get(str(codes.columns[0]), "") if len(codes.columns) else ""
        )
        if first:
            for item in first.group(1).split():
                key, _, value = item.partition("=")
                meta[key] = int(value) if value.isdigit() else value
        return frame, meta, notes, True
    if label.startswith("SYNTHETIC"):  # twins written before the tag existed
        return frame, {"synthetic": True, "label": label}, notes, True
    return frame, {}, notes, False


def _read_excel(path: Path, sheet: str | None) -> tuple[pd.DataFrame, dict, list[str], bool]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise FileError(
            path,
            f"is not a readable Excel workbook ({type(error).__name__}: {error})",
            "open it in Excel or LibreOffice and save it again as .xlsx",
        ) from None
    notes: list[str] = []
    meta, verified = {}, False
    if META_SHEET in sheets:
        grid = sheets.pop(META_SHEET)
        try:
            pairs = grid.iloc[1:, :2].dropna(how="all").to_numpy().tolist()
            meta = {str(k): json.loads(v) if isinstance(v, str) else v for k, v in pairs}
            verified = True
        except (ValueError, IndexError) as error:
            notes.append(f"warning: sheet {META_SHEET} is not valid metadata ({error}); ignored")
    names = list(sheets)
    if sheet is not None:
        if sheet not in sheets:
            raise FileError(
                path,
                f"has no sheet {sheet!r}; its sheets are {names}",
                "pass one of these with --sheet",
            )
        frame, found = _with_header(sheets[sheet], path)
        return frame, meta, notes + found, verified
    for name in names:
        frame, found = _with_header(sheets[name], path)
        if {"year"} & {schema_name(c) for c in frame.columns}:
            if name != names[0]:
                notes.append(f"data read from sheet {name!r} (sheets: {names})")
            return frame, meta, notes + found, verified
    raise FileError(
        path,
        f"no sheet has a year column; its sheets are {names}",
        "pass the data sheet with --sheet NAME, or name the columns as in data/README.md",
    )


def read_file(path: str | Path, sheet: str | None = None) -> Loaded:
    """Read a panel file and its label; raise :class:`FileError` naming the file and fix.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt`` (UTF-8 or GBK/GB18030), ``.parquet``, ``.dta``, ``.xlsx``/``.xlsm``.
    sheet : str, optional
        The Excel sheet holding the data (default: the first with a year column).
    """
    path = check_input(path, "panel file")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        frame, notes = _read_csv(path)
        meta, more, verified = _sidecar_meta(path)
        notes += more
    elif suffix == ".parquet":
        frame, meta, notes, verified = _read_parquet(path)
    elif suffix == ".dta":
        frame, meta, notes, verified = _read_stata(path)
    elif suffix in (".xlsx", ".xlsm"):
        frame, meta, notes, verified = _read_excel(path, sheet)
    elif suffix == ".xls":
        raise FileError(path, "is an old .xls workbook", "save it as .xlsx (File → Save As)")
    else:
        raise FileError(
            path,
            f"unsupported file type {suffix!r}",
            "use .csv, .parquet, .dta or .xlsx",
        )
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        notes.append(f"warning: --sheet {sheet} ignored: {path.name} is not a workbook")
    if not isinstance(meta.get("synthetic", False), bool):
        notes.append("warning: its metadata has a non-boolean 'synthetic'; ignored")
        meta, verified = {}, False
    return Loaded(frame, meta, tuple(notes), verified)


def read_table(path: str | Path, sheet: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Read a panel file; returns the frame and the metadata bound to it (empty if none)."""
    loaded = read_file(path, sheet)
    return loaded.frame, dict(loaded.meta) if loaded.verified else {}
