"""Locations inside the repository, derived from this file (never from the working directory)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parents[1]
DATA_DIR = ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
CITIES_CSV = RAW_DIR / "reference" / "cities.csv"
PILOTS_CSV = RAW_DIR / "reference" / "broadband_china_pilots.csv"
GWR_JSONL = RAW_DIR / "gwr" / "national_gwr_2005_2025.jsonl"
NOTEBOOKS_DIR = ROOT / "notebooks"
BOOK_DIR = ROOT / "book"
BUILD_DIR = ROOT / "_build"
EXECUTED_DIR = BUILD_DIR / "executed"
HTML_DIR = BUILD_DIR / "html"
TOC_YML = ROOT / "_toc.yml"


def require(path: Path) -> Path:
    """Return ``path`` if it exists, else raise a FileNotFoundError that says what to do."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing. The replication package reads its data from the repository "
            f"checkout ({ROOT}); install it with `pip install -e .` from a full clone."
        )
    return path
