"""The 90-minute session's slides: ``deck/session.md`` shown with reveal.js, offline.

The source is Markdown (slides separated by ``---``, speaker notes after ``Note:``),
rendered in the browser by reveal.js's own Markdown plugin. reveal.js 6.0.2 is vendored
in ``deck/reveal.js/`` with its licence (see ``VENDORED.md`` there); :func:`build`
copies it beside the page, so the slides load nothing from the network. ``make book``
calls :func:`build_site`, which puts them at ``_build/html/slides/`` (and the Chinese
slides beside the Chinese edition, ``_build/html/zh/slides/``), linked from the classroom
guide.

The Chinese slides (``language="zh"``, ``replicate classroom slides --language zh``) are
``deck/session.zh.md``, a translation whose first line records the sha256 of the
``session.md`` it translates: when the English changes, :func:`build` refuses the stale
translation (:class:`~replicate.classroom.language.MissingTranslation`) until it is
updated, as the book's catalogues do.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path

from replicate.classroom.language import MissingTranslation, check_language

SLIDES_DIR = Path(__file__).with_name("deck")
SOURCE = SLIDES_DIR / "session.md"
SOURCE_ZH = SLIDES_DIR / "session.zh.md"
REVEAL_DIR = SLIDES_DIR / "reveal.js"
STAMP = re.compile(r"^<!-- .*?sha256 ([0-9a-f]{16}).*-->\n")
"""The Chinese source's first line: the sha256 (16 hex digits) of the English it translates."""

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="stylesheet" href="reveal.js/reveal.css">
<link rel="stylesheet" href="reveal.js/theme/white.css">
<style>
.reveal h1, .reveal h2 {{ text-transform: none; }}
.reveal table {{ font-size: 0.6em; }}
.reveal ul, .reveal ol {{ font-size: 0.8em; }}
.reveal code {{ font-size: 0.9em; }}
</style>
</head>
<body>
<div class="reveal">
<div class="slides">
<section data-markdown data-separator="^\\n---\\n$" data-separator-notes="^Note:">
<textarea data-template>
{markdown}
</textarea>
</section>
</div>
</div>
<script src="reveal.js/reveal.js"></script>
<script src="reveal.js/plugin/markdown.js"></script>
<script src="reveal.js/plugin/notes.js"></script>
<script>
Reveal.initialize({{ hash: true, slideNumber: true, plugins: [RevealMarkdown, RevealNotes] }});
</script>
</body>
</html>
"""


def english_digest(source: Path = SOURCE) -> str:
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def markdown(language: str = "en", source: Path | None = None, english: Path = SOURCE) -> str:
    """The slides' Markdown in ``language``; the Chinese only if it translates the current
    English (its stamp), else :class:`MissingTranslation`."""
    if language != "zh":
        return (source or SOURCE).read_text(encoding="utf-8")
    source = source or SOURCE_ZH
    text = source.read_text(encoding="utf-8")
    stamp = STAMP.match(text)
    current = english_digest(english)
    if stamp is None or stamp.group(1) != current:
        raise MissingTranslation(
            f"{source}: the Chinese slides translate "
            + (
                f"an older {english.name} (sha256 {stamp.group(1)})"
                if stamp
                else "no known English"
            )
            + f"; {english.name} is now sha256 {current}. Fix: bring the translation up to date "
            f"and write {current} in its first line."
        )
    return text[stamp.end() :]


def _title(text: str) -> str:
    first = next(line for line in text.splitlines() if line.strip())
    return first.lstrip("# ").strip()


def title(language: str = "en", source: Path | None = None) -> str:
    """The slides' title (their first line)."""
    return _title(markdown(language, source))


def build(out: str | Path, source: Path | None = None, language: str = "en") -> Path:
    """Write ``index.html`` and the vendored reveal.js into ``out``; returns the page.
    ``language="zh"``: the Chinese slides (``deck/session.zh.md``)."""
    language = check_language(language)
    text = markdown(language, source)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "reveal.js"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REVEAL_DIR, target)
    body = text.strip()
    # inside <textarea> only "</textarea" could end the template early
    body = body.replace("</textarea", "&lt;/textarea")
    page = out / "index.html"
    page.write_text(
        PAGE.format(
            lang="zh-CN" if language == "zh" else "en",
            title=html.escape(_title(body)),
            markdown=body,
        ),
        encoding="utf-8",
    )
    return page


def build_site(html_dir: str | Path) -> list[Path]:
    """Build the slides into a rendered site (``html_dir/slides``) and, when the Chinese
    edition is there, into ``html_dir/zh/slides`` too, so the guide's relative link
    ``../slides/`` resolves in both."""
    html_dir = Path(html_dir)
    pages = [build(html_dir / "slides")]
    if (html_dir / "zh").is_dir():
        pages.append(build(html_dir / "zh" / "slides", language="zh"))
    return pages
