"""Speed of the keyword index on a corpus of the paper's size.

Builds a synthetic corpus of 5,130 documents × 20,000 characters (spliced from the real
Government Work Reports, seeded) and reports characters per second for each counting
method against the naive baseline (one ``str.count`` pass per keyword), run in the same
process. Target (issue #5): the default method indexes the full corpus in under 60 s.

jieba is timed on a subset (it is an option, not the default) and extrapolated.

    python benchmarks/index_speed.py [--docs 5130] [--chars 20000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from replicate.data import gwr_reports
from replicate.index import count_documents, load_dictionary

TARGET_SECONDS = 60.0


def corpus(n_docs: int, n_chars: int, seed: int = 0) -> list[str]:
    source = "".join(gwr_reports()["text"])
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(source) - n_chars, size=n_docs)
    return [source[s : s + n_chars] for s in starts]


def timed(texts: list[str], method: str) -> float:
    dictionary = load_dictionary()
    start = time.perf_counter()
    count_documents(texts, dictionary, method)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=5130)
    parser.add_argument("--chars", type=int, default=20_000)
    parser.add_argument("--jieba-docs", type=int, default=200)
    args = parser.parse_args()
    texts = corpus(args.docs, args.chars)
    total = args.docs * args.chars
    baseline = timed(texts, "naive")
    scan = timed(texts, "scan")
    subset = texts[: args.jieba_docs]
    timed(subset[:1], "jieba")  # load jieba's dictionary outside the timing
    jieba_seconds = timed(subset, "jieba") * len(texts) / len(subset)
    print(
        f"corpus: {args.docs:,} documents × {args.chars:,} characters = {total / 1e6:.1f} M characters"
    )
    print(f"{'method':<28}{'seconds':>10}{'M chars/s':>12}{'vs naive':>10}")
    for name, seconds in (
        ("naive str.count (baseline)", baseline),
        ("scan (default)", scan),
        (f"jieba (from {len(subset)} docs)", jieba_seconds),
    ):
        print(
            f"{name:<28}{seconds:>10.1f}{total / seconds / 1e6:>12.2f}{baseline / seconds:>9.2f}x"
        )
    verdict = "meets" if scan < TARGET_SECONDS else "MISSES"
    print(
        f"default method on the full corpus: {scan:.1f} s — {verdict} the {TARGET_SECONDS:.0f} s target"
    )


if __name__ == "__main__":
    main()
