"""Time `replicate book` after installation and print per-notebook execution times.

Target (issue #20): the whole build, both editions and both PDFs, at most 4 minutes on
the 2-core reference machine (issue #19: the Chinese edition adds at most half of the
English-only time). The baseline run in the same process is the sequential build (one
notebook at a time); the ratio shows what executing two notebooks at once buys. The
phases of the parallel build (execution, English render, Chinese render, PDFs) are read
from ``_build/phases.json``, which every whole build writes.

    python benchmarks/book_build.py
"""

from __future__ import annotations

import json
import time

from replicate import book

TARGET_SECONDS = 240.0


def timed_build(jobs: int) -> tuple[float, list[book.NotebookRun]]:
    start = time.perf_counter()
    runs = book.build(jobs=jobs)
    return time.perf_counter() - start, runs


def main() -> None:
    sequential, _ = timed_build(jobs=1)
    parallel, runs = timed_build(jobs=2)
    print(f"{'notebook':<28}{'seconds':>9}")
    for run in runs:
        print(f"{run.name:<28}{run.seconds:>9.1f}")
    print(f"whole build, 1 notebook at a time : {sequential:6.1f} s (baseline)")
    print(f"whole build, 2 notebooks at a time: {parallel:6.1f} s")
    print(f"speed-up over the baseline        : {sequential / parallel:6.2f}x")
    phases = json.loads(book.PHASES_JSON.read_text())
    for name, seconds in phases.items():
        print(f"  phase {name:<24}{seconds:7.1f} s")
    zh = phases.get("render Chinese site", 0.0)
    ratio = parallel / (parallel - zh)
    print(f"both editions / English only (target <= 1.5x): {ratio:.2f}x")
    verdict = "meets" if parallel < TARGET_SECONDS else "MISSES"
    print(
        f"target < {TARGET_SECONDS:.0f} s: {verdict} ({parallel / TARGET_SECONDS:.2f} of the budget)"
    )


if __name__ == "__main__":
    main()
