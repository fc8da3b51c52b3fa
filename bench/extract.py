"""Extraction quality and speed on a directory in the scrapinghub benchmark layout.

    python bench/extract.py DIR [--limit N] [--task path|trafilatura] [--pages]

Layout of DIR (that of github.com/scrapinghub/article-extraction-benchmark: clone it and
pass its folder; or build a labelled set from a package on PyPI with
``python bench/extract_data.py DIR``):

    DIR/ground-truth.json     {key: {"articleBody": "the article text", "url": "..."}}
    DIR/html/<key>.html.gz    the page as served, gzipped

Each page goes through the service's own path: ``decode_html`` (no HTTP charset, as the
benchmark stores none), the worker processes' default task (trafilatura, then
readability-lxml when trafilatura's text is under 500 characters and readability's is
longer and plausible), and the navigation-only check. ``--task trafilatura`` runs
trafilatura alone, for comparison. Scoring follows the benchmark's method: word 4-gram
shingles counted per page, TP/FP/FN normalised per page, precision and recall averaged
over pages, F1 from those averages. Speed is pages per CPU-second of this process and
its worker process, per core (one worker, so one core), after a warm-up page (workers
are long-lived in the service), beside wall time; ``--pages`` also prints each page's
scores, size, extractor and CPU time. Without DIR it says so and exits 0: no benchmark
data is shipped with the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
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
_TICK = os.sysconf("SC_CLK_TCK")


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


def ratio(a: float, b: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return a / (a + b) if a + b else 0.0


def scores(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    precision = statistics.mean(ratio(tp, fp, fp, fn) for tp, fp, fn in counts if tp + fp > 0)
    recall = statistics.mean(ratio(tp, fn, fp, fn) for tp, fp, fn in counts if tp + fn > 0)
    return 2 * precision * recall / (precision + recall), precision, recall


def cpu_seconds() -> float:
    """CPU time of this process, its finished children and its live children (workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    for pid in _live_children():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended in between: now counted in RUSAGE_CHILDREN
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return total


def _live_children() -> list[int]:
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return pids


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n", 3)[3],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=Path, nargs="?", help="a folder in the layout above")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--task", choices=("path", "trafilatura"), default="path",
                        help="the service's path (default) or trafilatura alone")  # fmt: skip
    parser.add_argument("--pages", action="store_true", help="print every page's figures")
    args = parser.parse_args()
    if args.folder is None or not (args.folder / "ground-truth.json").exists():
        print("bench/extract.py: no benchmark folder given (or no ground-truth.json in it);")
        print("clone github.com/scrapinghub/article-extraction-benchmark and pass its path,")
        print("or build a labelled set with: python bench/extract_data.py DIR")
        return 0
    from monitor.core.errors import ExtractError
    from monitor.ingest.extract import (
        NAVIGATION_SHARE,
        Extractor,
        decode_html,
        link_share,
        run_extraction,
        run_trafilatura,
    )
    from monitor.ingest.readable import TRY_BELOW

    truth = json.loads((args.folder / "ground-truth.json").read_text("utf-8"))
    keys = sorted(truth)[: args.limit or None]
    task = run_extraction if args.task == "path" else run_trafilatura
    counts, rescued, cpu = [], 0, 0.0
    wall0 = time.perf_counter()
    with Extractor(workers=1, recycle_after=10_000, timeout=60.0, task=task) as extractor:
        extractor.extract("<html><body><p>warm-up</p></body></html>", "")
        for key in keys:
            body = gzip.decompress((args.folder / "html" / f"{key}.html.gz").read_bytes())
            cpu0 = cpu_seconds()
            html = decode_html(body, None)
            try:
                text = extractor.extract(html, truth[key].get("url", "")).text
            except ExtractError:
                text = ""
            if link_share(html, text) >= NAVIGATION_SHARE:
                text = ""  # the service would store the feed summary instead
            spent = cpu_seconds() - cpu0
            cpu += spent
            count = page_counts(truth[key].get("articleBody", ""), text)
            counts.append(count)
            rescue = args.task == "path" and _is_rescue(html, key, text, TRY_BELOW)
            rescued += rescue
            if args.pages:
                tp, fp, fn = count
                source = "readability" if rescue else "trafilatura"
                print(f"{key[:28]:28} P {ratio(tp, fp, fp, fn):.3f} R {ratio(tp, fn, fp, fn):.3f}"
                      f" {len(body) // 1024:5d} KB {len(text):6d} chars {source:11}"
                      f" {spent:.3f} CPU-s")  # fmt: skip
    wall = time.perf_counter() - wall0
    f1, precision, recall = scores(counts)
    print(f"{len(keys)} pages ({args.task}): F1 {f1:.3f} (P {precision:.3f} R {recall:.3f}); "
          f"{rescued} texts from readability; {len(keys) / cpu:.1f} pages per CPU-second "
          f"(one worker: per core), {cpu:.2f} CPU-s, wall {wall:.1f} s")  # fmt: skip
    return 0


def _is_rescue(html: str, key: str, text: str, below: int) -> bool:
    """Whether the path's text came from readability: trafilatura's alone differs."""
    from monitor.ingest.workers import run_trafilatura

    if not text:
        return False
    alone = run_trafilatura(html, "")
    first = alone[1] if alone is not None else ""
    return len(first.strip()) < below and first.strip() != text.strip()


if __name__ == "__main__":
    raise SystemExit(main())
