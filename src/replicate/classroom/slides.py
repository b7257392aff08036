"""The 90-minute session's slides: ``deck/session.md`` shown with reveal.js, offline.

The source is Markdown (slides separated by ``---``, speaker notes after ``Note:``),
rendered in the browser by reveal.js's own Markdown plugin. reveal.js 6.0.2 is vendored
in ``deck/reveal.js/`` with its licence (see ``VENDORED.md`` there); :func:`build`
copies it beside the page, so the slides load nothing from the network. ``make book``
calls :func:`build_site`, which puts them at ``_build/html/slides/`` (and beside the
Chinese edition), linked from the classroom guide.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

SLIDES_DIR = Path(__file__).with_name("deck")
SOURCE = SLIDES_DIR / "session.md"
REVEAL_DIR = SLIDES_DIR / "reveal.js"

PAGE = """<!doctype html>
<html lang="en">
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


def title(source: Path = SOURCE) -> str:
    first = next(line for line in source.read_text(encoding="utf-8").splitlines() if line.strip())
    return first.lstrip("# ").strip()


def build(out: str | Path, source: Path = SOURCE) -> Path:
    """Write ``index.html`` and the vendored reveal.js into ``out``; returns the page."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "reveal.js"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REVEAL_DIR, target)
    markdown = source.read_text(encoding="utf-8").strip()
    # inside <textarea> only "</textarea" could end the template early
    markdown = markdown.replace("</textarea", "&lt;/textarea")
    page = out / "index.html"
    page.write_text(
        PAGE.format(title=html.escape(title(source)), markdown=markdown), encoding="utf-8"
    )
    return page


def build_site(html_dir: str | Path) -> list[Path]:
    """Build the slides into a rendered site (``html_dir/slides``) and, when the Chinese
    edition is there, into ``html_dir/zh/slides`` too, so the guide's relative link
    ``../slides/`` resolves in both."""
    html_dir = Path(html_dir)
    pages = [build(html_dir / "slides")]
    if (html_dir / "zh").is_dir():
        pages.append(build(html_dir / "zh" / "slides"))
    return pages
