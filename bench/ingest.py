"""Ingestion benchmark: N local feeds x M items through one cycle, ours vs a naive baseline.

    python bench/ingest.py [--feeds 200] [--items 20]

Feeds and article pages are served from 127.0.0.1 by bench/_feedserver.py (in this
process); each contender runs in its own subprocess so its peak memory (ru_maxrss) is
its own. "ours" is the real pipeline (conditional GET, size caps, extraction workers,
SQLite); "naive" is sequential ``feedparser.parse(url)`` + ``trafilatura.fetch_url`` +
``trafilatura.extract``. A second "ours" cycle shows the cost of a quiet poll (304s).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def run_ours(urls: list[str]) -> dict[str, float]:
    from monitor.bootstrap import build_app
    from monitor.core.settings import load_settings
    from monitor.delivery.notify import ConsoleNotifier
    from monitor.pipeline import run_cycle

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    config = tmp / "monitor.toml"
    feeds = "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls)
    config.write_text(
        f'[state]\npath = "{tmp / "state.sqlite3"}"\n'
        "[polling]\nallow_private_addresses = true\nconcurrency = 8\nper_host = 8\n" + feeds
    )
    settings = load_settings(config, {})
    with open(os.devnull, "w") as devnull:
        app = build_app(settings, notifier=ConsoleNotifier(devnull))
        try:
            start = time.perf_counter()
            first = run_cycle(app.deps)
            elapsed = time.perf_counter() - start
            start = time.perf_counter()
            run_cycle(app.deps, feeds=app.store.feeds())  # quiet poll: all 304
            quiet = time.perf_counter() - start
            extracted = app.store.query("SELECT COUNT(*) FROM items WHERE method = 'trafilatura'")
        finally:
            app.close()
    return {
        "elapsed": elapsed,
        "items": first.new,
        "errors": first.errors,
        "extracted": extracted[0][0],
        "quiet_cycle": quiet,
        "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "workers_peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def run_naive(urls: list[str]) -> dict[str, float]:
    import feedparser
    import trafilatura
    from trafilatura.settings import use_config

    # trafilatura >= 2.3 refuses non-public addresses itself; the baseline must reach
    # 127.0.0.1 like ours does with allow_private_addresses.
    config = use_config()
    config.set("DEFAULT", "SSRF_PROTECTION", "off")
    start = time.perf_counter()
    items = extracted = 0
    for url in urls:
        parsed = feedparser.parse(url)
        for entry in parsed.entries:
            html = trafilatura.fetch_url(entry.link, config=config)
            text = trafilatura.extract(html) if html else None
            items += 1
            extracted += bool(text)
    return {
        "elapsed": time.perf_counter() - start,
        "items": items,
        "errors": 0,
        "extracted": extracted,
        "quiet_cycle": float("nan"),
        "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "workers_peak_kb": 0,
    }


def child(mode: str, urls: list[str]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode],
        input=json.dumps(urls),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--child", choices=["ours", "naive"])
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    if args.child:
        urls = json.loads(sys.stdin.read())
        result = run_ours(urls) if args.child == "ours" else run_naive(urls)
        print(json.dumps(result))
        return

    from _feedserver import FeedServer

    server = FeedServer(args.items)
    urls = server.feed_urls(args.feeds)
    results = {"ours": child("ours", urls)}
    if not args.skip_naive:
        results["naive"] = child("naive", urls)
    server.close()
    print(
        f"ingest benchmark: {args.feeds} feeds x {args.items} items, 127.0.0.1, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{'contender':<10} {'cycle s':>9} {'items':>7} {'items/s':>9} {'extracted':>10} "
        f"{'peak MB':>8} {'workers MB':>11} {'304 cycle s':>12}"
    )
    for name, r in results.items():
        rate = r["items"] / r["elapsed"] if r["elapsed"] else 0.0
        print(
            f"{name:<10} {r['elapsed']:>9.2f} {r['items']:>7} {rate:>9.1f} "
            f"{r['extracted']:>10} {r['peak_kb'] / 1024:>8.1f} "
            f"{r['workers_peak_kb'] / 1024:>11.1f} {r['quiet_cycle']:>12.2f}"
        )
    if "naive" in results:
        ours, naive = results["ours"], results["naive"]
        print(
            f"speed-up (naive time / ours): {naive['elapsed'] / ours['elapsed']:.2f}x; "
            f"peak memory ratio (ours main+workers / naive): "
            f"{(ours['peak_kb'] + ours['workers_peak_kb']) / naive['peak_kb']:.2f}"
        )


if __name__ == "__main__":
    main()
