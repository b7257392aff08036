"""Every reference in the bibliography is cited somewhere in the book (issue 15: no
reference listed that no page uses)."""

from __future__ import annotations

import re

from replicate import paths


def test_every_reference_is_cited():
    bib = (paths.BOOK_DIR / "references.bib").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", bib, re.M)
    sources = [*paths.NOTEBOOKS_DIR.glob("*.py"), *paths.BOOK_DIR.glob("*.md")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    cited = set(re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text))
    cited = {k.strip() for group in cited for k in group.split(",")}
    assert len(keys) > 10
    assert sorted(set(keys) - cited) == []
