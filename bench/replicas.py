"""Replica benchmark: 1, 2 and 4 ``monitor run`` replicas on one PostgreSQL over a local farm.

    python bench/replicas.py [--feeds 10000] [--articles 400] [--replicas 1 2 4]

For each replica count: a fresh database, the farm's feeds configured (interval 1 h, so
each is polled once), the replicas started together; the cycle ends when every feed has
been checked and every article stored. Printed per run: cycle time (from start, including
process start-up), CPU seconds of the replicas (user + sys) and per feed, and database
transactions per feed (``pg_stat_database.xact_commit``: every autocommit statement and
every explicit transaction is one round trip or more). The server is a throwaway cluster
(tests/support/pgcluster.py) or MONITOR_TEST_DATABASE_URL. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _feedserver import article_html  # noqa: E402

from tests.support import pgcluster  # noqa: E402


def serve(articles: int) -> tuple[ThreadingHTTPServer, str]:
    """``/feed/<n>.xml``: one item for n < articles, none otherwise; ``/a/<n>.html``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if m := re.fullmatch(r"/feed/(\d+)\.xml", self.path):
                n = int(m.group(1))
                base = f"http://{self.headers['Host']}"
                item = (f"<item><title>Story {n}</title><link>{base}/a/{n}.html</link>"
                        f"<guid>s{n}</guid><description>Story {n}</description></item>"
                        if n < articles else "")  # fmt: skip
                body = f"<rss version='2.0'><channel><title>F{n}</title>{item}</channel></rss>"
                self._send(body.encode(), "application/rss+xml")
            elif m := re.fullmatch(r"/a/(\d+)\.html", self.path):
                self._send(article_html(int(m.group(1)), 0), "text/html; charset=utf-8")
            else:
                self.send_error(404)

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def one_run(cluster: pgcluster.Cluster, base: str, feeds: int, articles: int, replicas: int,
            model: Path, work: Path) -> dict[str, float]:  # fmt: skip
    import psycopg

    url = cluster.new_database()
    config = work / f"r{replicas}.toml"
    lines = ["[state]", f'path = "{work / "cache.sqlite3"}"', "[polling]",
             "allow_private_addresses = true", "concurrency = 8", "per_host = 64",
             'interval = "1h"', "[classifier]", f'model_path = "{model}"']  # fmt: skip
    lines += [f'[[feeds]]\nurl = "{base}/feed/{n}.xml"' for n in range(feeds)]
    config.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_DATABASE_URL"] = url
    # migrate and sync the feed list first, so the replicas start on equal terms
    subprocess.run([sys.executable, "-m", "monitor", "migrate", "--config", str(config)],
                   env=env, check=True, capture_output=True, cwd=ROOT)  # fmt: skip
    with psycopg.connect(url) as conn:
        xacts = _xacts(conn)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=open(work / f"r{replicas}-{i}.log", "w"))  # noqa: SIM115
             for i in range(replicas)]  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            checked, items = conn.execute(
                "SELECT (SELECT COUNT(*) FROM feeds WHERE last_checked IS NOT NULL),"
                " (SELECT COUNT(*) FROM items)"
            ).fetchone()  # type: ignore[misc]
            if checked >= feeds and items >= articles:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
        used = _xacts(conn) - xacts
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cycle": elapsed, "cpu": cpu, "cpu_ms_per_feed": 1000 * cpu / feeds,
            "xacts_per_feed": used / feeds}  # fmt: skip


def _xacts(conn: object) -> int:
    row = conn.execute(  # type: ignore[attr-defined]
        "SELECT xact_commit + xact_rollback FROM pg_stat_database"
        " WHERE datname = current_database()"
    ).fetchone()
    return int(row[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    cluster, reason = pgcluster.start()
    if cluster is None:
        print(f"skipped: {reason}")
        return 0
    server, base = serve(args.articles)
    work = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    try:
        from training.commands import train_command

        model = work / "model.skops"
        train_command(model)
        print(f"{args.feeds} feeds, {args.articles} new articles, one cycle each run")
        print(f"{'replicas':>8} {'cycle s':>8} {'CPU s':>7} {'CPU ms/feed':>11} {'xacts/feed':>10}")
        for count in args.replicas:
            r = one_run(cluster, base, args.feeds, args.articles, count, model, work)
            print(f"{count:>8} {r['cycle']:>8.1f} {r['cpu']:>7.1f} {r['cpu_ms_per_feed']:>11.2f}"
                  f" {r['xacts_per_feed']:>10.2f}")  # fmt: skip
    finally:
        server.shutdown()
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
