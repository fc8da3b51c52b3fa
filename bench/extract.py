"""Extraction quality and speed on a directory in the scrapinghub benchmark layout.

    python bench/extract.py DIR [--limit N]

DIR holds ``ground-truth.json`` ({key: {"articleBody": ...}}) and ``html/<key>.html.gz``
(the layout of github.com/scrapinghub/article-extraction-benchmark; clone it and pass
its folder). Each page goes through the service's own path: ``decode_html`` (no HTTP
charset, as the benchmark stores none), trafilatura in the worker processes, and the
navigation-only check. Scoring follows the benchmark's method: word 4-gram shingles
counted per page, TP/FP/FN normalised per page, precision and recall averaged over
pages, F1 from those averages. Speed is pages per CPU-second of this process and its
worker processes (per core), beside wall time. Without DIR it says so and exits 0:
the benchmark data is not shipped with the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = _WORD.findall(text or "")
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words)


def page_counts(truth: str, found: str) -> tuple[float, float, float]:
    """(tp, fp, fn) over shingles, normalised to sum to 1 (every page weighs the same)."""
    want, got = shingles(truth), shingles(found)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def scores(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    def ratio(a: float, b: float, fp: float, fn: float) -> float:
        if fp == fn == 0:
            return 1.0
        return a / (a + b) if a + b else 0.0

    precision = statistics.mean(ratio(tp, fp, fp, fn) for tp, fp, fn in counts if tp + fp > 0)
    recall = statistics.mean(ratio(tp, fn, fp, fn) for tp, fp, fn in counts if tp + fn > 0)
    return 2 * precision * recall / (precision + recall), precision, recall


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, nargs="?")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    if args.folder is None or not (args.folder / "ground-truth.json").exists():
        print("bench/extract.py: no benchmark folder given (or no ground-truth.json in it);")
        print("clone github.com/scrapinghub/article-extraction-benchmark and pass its path.")
        return 0
    from monitor.core.errors import ExtractError
    from monitor.ingest.extract import NAVIGATION_SHARE, Extractor, decode_html, link_share

    truth = json.loads((args.folder / "ground-truth.json").read_text("utf-8"))
    keys = sorted(truth)[: args.limit or None]
    counts = []
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    with Extractor(workers=1, recycle_after=10_000) as extractor:
        for key in keys:
            html = decode_html(
                gzip.decompress((args.folder / "html" / f"{key}.html.gz").read_bytes()), None
            )
            try:
                text = extractor.extract(html, truth[key].get("url", "")).text
            except ExtractError:
                text = ""
            if link_share(html, text) >= NAVIGATION_SHARE:
                text = ""  # the service would store the feed summary instead
            counts.append(page_counts(truth[key].get("articleBody", ""), text))
    cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
    f1, precision, recall = scores(counts)
    print(f"{len(keys)} pages: F1 {f1:.3f} (P {precision:.3f} R {recall:.3f}); "
          f"{len(keys) / cpu:.1f} pages per CPU-second, wall {wall:.1f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
