"""Polling benchmark: the service vs a naive loop vs the HTTP floor, on one local farm.

    python bench/poll.py [--feeds 5000] [--hosts 50] [--new 200] [--latency-ms 100]
                         [--interval 60] [--rounds 3] [--concurrency 32]
                         [--skip naive,reader,httpx] [--model PATH]

The farm (bench/_farm.py, its own process) serves N feeds on H hosts 127.0.0.x, each
response delayed by --latency-ms. Every contender runs in its own process tree; CPU
seconds (user+sys of the whole tree, from /proc) are the stable figure on a shared
machine, wall seconds and peak RSS (sum over the tree, sampled) are printed beside.

- service: ``monitor run`` as users run it (long-running, --interval per feed). Its cold
  start (every feed new, 15 old items each) is timed until every feed's first poll is
  stored and alerts counted (none expected: the items are older than the catch-up window). Then
  one quiet round (all 304) and --rounds rounds of --new new ban articles each; CPU per
  round from the process tree's own counters, time-to-alert from the farm publishing
  an item to the fake Slack webhook receiving its alert.
- once: ``monitor run --once`` on a copy of that state, every feed due: a steady cycle
  with --new new articles, then an all-304 cycle; start-up = process start to the
  farm's first request.
- naive: sequential feedparser with stored etags + trafilatura for new items (one round:
  at 100 ms per response it takes minutes; --skip naive to leave it out).
- reader: lemon24/reader update_feeds(workers=8) + trafilatura, when installed (``pip install
  .[bench]``), else skipped with a message.
- floor: only the N conditional GETs, aiohttp, --concurrency in flight, 2 per host,
  kept-alive connections (--rounds runs; the cheapest is the ratio's denominator), and
  once more on httpx async for comparison (--skip httpx to leave it out).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# --------------------------------------------------------------------------- process trees
def _stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own cpu s, reaped children's cpu s) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return (
        int(fields[1]),
        (int(fields[11]) + int(fields[12])) / TICK,
        (int(fields[13]) + int(fields[14])) / TICK,
    )


def tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))):
            parents.setdefault(st[0], []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def tree_cpu(root: int) -> float:
    total = 0.0
    for pid in tree(root):
        if st := _stat(pid):
            total += st[1] + (st[2] if pid == root else 0.0)
    return total


def tree_rss(root: int) -> int:
    total = 0
    for pid in tree(root):
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return total


@dataclass
class Watch:
    """Samples a process tree's RSS until stopped; keeps the peak and the last CPU."""

    pid: int
    peak: int = 0
    cpu: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, tree_rss(self.pid))
            self.cpu = max(self.cpu, tree_cpu(self.pid))

    def stop(self) -> None:
        self.peak = max(self.peak, tree_rss(self.pid))
        self._stop.set()


# --------------------------------------------------------------------------- the farm
class FarmProcess:
    def __init__(self, feeds: int, hosts: int, latency_ms: float, old: int) -> None:
        farm = [str(ROOT / "bench/_farm.py"), str(feeds), str(hosts), str(latency_ms), str(old)]
        self.proc = subprocess.Popen(
            [sys.executable, *farm],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.urls: list[str] = json.loads(self.proc.stdout.readline())

    def ask(self, command: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


# --------------------------------------------------------------------------- results
@dataclass
class Result:
    name: str
    cpu: float
    wall: float
    rss: int
    note: str = ""


def show(results: list[Result], floor: Result | None) -> None:
    print(f"\n{'contender':34} {'CPU s':>8} {'wall s':>8} {'peak RSS MB':>12} {'CPU/floor':>10}")
    for r in results:
        ratio = f"{r.cpu / floor.cpu:.1f}x" if floor and floor.cpu else "-"
        print(f"{r.name:34} {r.cpu:8.2f} {r.wall:8.1f} {r.rss / 1e6:12.0f} {ratio:>10}  {r.note}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
    )


# --------------------------------------------------------------------------- the service
def train_model(tmp: Path, given: str = "") -> Path:
    """A trained model for every run (start-up is measured with a model present);
    ``--model PATH`` reuses one trained before (training takes minutes)."""
    model = tmp / "model.skops"
    if given:
        shutil.copy(given, model)
        return model
    config = tmp / "train.toml"
    config.write_text(f'[state]\npath = "{tmp / "train.sqlite3"}"\n')
    subprocess.run([sys.executable, "-m", "monitor", "train", "--config", str(config),
                    "--output", str(model)], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    return model


def write_config(tmp: Path, urls: list[str], webhook: str, interval: str, conc: int) -> Path:
    feeds = "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls)
    config = tmp / f"monitor-{interval}.toml"
    config.write_text(
        f'[state]\npath = "{tmp / "state.sqlite3"}"\n'
        f'[polling]\nallow_private_addresses = true\ninterval = "{interval}"\n'
        f"concurrency = {conc}\nper_host = 2\n"
        f'[slack]\nwebhook_url = "{webhook}"\n[review]\ndigest = false\n'
        f'[retrain]\nenabled = false\n[classifier]\nmodel_path = "{tmp / "model.skops"}"\n' + feeds
    )
    return config


def monitor_proc(config: Path, once: bool, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    argv = [sys.executable, "-m", "monitor", "run", *(["--once"] if once else [])]
    with open(log, "ab") as sink:
        return subprocess.Popen([*argv, "--config", str(config)], cwd=ROOT, env=env,
                                stdout=sink, stderr=sink)  # fmt: skip


def alert_times(slack: Any, published: dict[str, float]) -> list[float]:
    """Seconds from publishing to the webhook call naming each URL (a whole URL: ".../a/1"
    is not a match inside ".../a/10")."""
    delays = []
    for call in slack.calls("webhook"):
        text = json.dumps(call.params)
        for url, at in published.items():
            if re.search(re.escape(url) + r"(?![\w/.%-])", text):
                delays.append(call.at - at)
    return delays


def stored_feeds(state: Path) -> int:
    """Feeds whose first poll is stored (read beside the running service: WAL)."""
    try:
        with contextlib.closing(sqlite3.connect(state, timeout=5)) as db:
            row = db.execute("SELECT COUNT(*) FROM feeds WHERE last_success IS NOT NULL")
            return int(row.fetchone()[0])
    except sqlite3.Error:  # not created yet
        return 0


def bench_service(
    args: argparse.Namespace, farm: FarmProcess, slack: Any, tmp: Path
) -> list[Result]:
    config = write_config(tmp, farm.urls, slack.webhook_url, f"{args.interval}s", args.concurrency)
    log = tmp / "service.log"
    farm.ask("stats")
    started = time.monotonic()
    proc = monitor_proc(config, False, log)
    watch = Watch(proc.pid)
    results = []
    try:
        while stored_feeds(tmp / "state.sqlite3") < len(farm.urls):  # every feed polled
            if proc.poll() is not None:  # and its back catalogue stored
                raise SystemExit(f"service died: {log.read_text()[-2000:]}")
            time.sleep(0.25)
        cold_wall = time.monotonic() - started
        time.sleep(3)  # the last write-behind batch
        cold = Result("service cold start (all feeds new)", tree_cpu(proc.pid), cold_wall,
                      watch.peak, f"alerts: {len(slack.calls('webhook'))} (expect 0)")  # fmt: skip
        results.append(cold)
        delays: list[float] = []
        for round_no in range(args.rounds + 1):
            new = 0 if round_no == 0 else args.new
            before, t0 = tree_cpu(proc.pid), time.monotonic()
            published = farm.ask(f"publish {new}") if new else {}
            time.sleep(args.interval + 5)
            got = alert_times(slack, published)
            delays += got
            name = f"service round {round_no}, {new} new" if new else "service round, all 304"
            note = f"alerted {len(got)}/{new}" if new else ""
            cpu = tree_cpu(proc.pid) - before
            results.append(Result(name, cpu, time.monotonic() - t0, watch.peak, note))
        if delays:
            print(f"service time-to-alert: p50 {percentile(delays, 0.5):.1f} s, "
                  f"p95 {percentile(delays, 0.95):.1f} s, max {max(delays):.1f} s "
                  f"(n={len(delays)}, interval {args.interval} s)")  # fmt: skip
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        watch.stop()
    results[0].rss = watch.peak
    print(f"service peak RSS over the whole run: {watch.peak / 1e6:.0f} MB")
    return results


def bench_once(args: argparse.Namespace, farm: FarmProcess, slack: Any, tmp: Path) -> list[Result]:
    results = []
    for new in (args.new, 0):
        with contextlib.closing(sqlite3.connect(tmp / "state.sqlite3")) as db, db:
            db.execute("UPDATE feeds SET next_check = NULL")  # every feed due
        config = write_config(tmp, farm.urls, slack.webhook_url, "1s", args.concurrency)
        if new:
            farm.ask(f"publish {new}")
        farm.ask("stats")
        started = time.monotonic()
        proc = monitor_proc(config, True, tmp / "once.log")
        watch = Watch(proc.pid)
        _, _, usage = os.wait4(proc.pid, 0)  # the whole tree's CPU, workers included
        wall = time.monotonic() - started
        watch.stop()
        proc.returncode = 0
        cpu = usage.ru_utime + usage.ru_stime
        first = farm.ask("stats")["first"]
        startup = f"start-up {first - started:.2f} s" if first else ""
        results.append(Result(f"run --once, {new} new", cpu, wall, watch.peak, startup))
    return results


# --------------------------------------------------------------------------- baselines
NAIVE = """
import json, sys, time, feedparser, trafilatura
etags = json.load(open(sys.argv[1]))
new = 0
for url, etag in etags.items():
    parsed = feedparser.parse(url, etag=etag)
    if parsed.get("status") == 304:
        continue
    for entry in parsed.entries:
        if entry.link.rsplit("/", 1)[-1].startswith("s"):  # the new items (not yet seen)
            html = trafilatura.fetch_url(entry.link)
            trafilatura.extract(html)
            new += 1
print(new)
"""

READER = """
import json, sys, trafilatura
from reader import make_reader
reader = make_reader(sys.argv[1])
if sys.argv[2] == "prime":  # not measured: subscribe and read the back catalogue
    for url in json.load(open(sys.argv[3])):
        reader.add_feed(url, exist_ok=True)
    reader.update_feeds(workers=8)
    for entry in reader.get_entries(read=False):
        reader.mark_entry_as_read(entry)
    print("primed")
else:
    reader.update_feeds(workers=8, scheduled=False)  # every feed, like one cycle
    new = 0
    for entry in reader.get_entries(read=False):
        trafilatura.extract(trafilatura.fetch_url(entry.link))
        reader.mark_entry_as_read(entry)
        new += 1
    print(new)
"""

FLOOR = """
import asyncio, json, sys, aiohttp
from yarl import URL
etags = json.load(open(sys.argv[1])); conc = int(sys.argv[2])
async def main():
    hosts = {}
    sem = asyncio.Semaphore(conc)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one(url, etag):
            host = hosts.setdefault(URL(url).host, asyncio.Semaphore(2))
            async with host, sem:
                async with session.get(url, headers={"If-None-Match": etag}) as r:
                    await r.read()
                    return r.status
        codes = await asyncio.gather(*(one(u, e) for u, e in etags.items()))
    print(sum(1 for c in codes if c == 304))
asyncio.run(main())
"""

FLOOR_HTTPX = """
import asyncio, json, sys, httpx
etags = json.load(open(sys.argv[1])); conc = int(sys.argv[2])
async def main():
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    hosts = {}
    sem = asyncio.Semaphore(conc)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:
        async def one(url, etag):
            host = hosts.setdefault(httpx.URL(url).host, asyncio.Semaphore(2))
            async with host, sem:
                r = await client.get(url, headers={"If-None-Match": etag})
                return r.status_code
        codes = await asyncio.gather(*(one(u, e) for u, e in etags.items()))
    print(sum(1 for c in codes if c == 304))
asyncio.run(main())
"""


def run_script(name: str, script: str, argv: list[str]) -> Result:
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *argv], stdout=subprocess.PIPE, text=True
    )
    watch = Watch(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    watch.stop()
    out = proc.stdout.read().strip() if proc.stdout else ""
    return Result(name, usage.ru_utime + usage.ru_stime, time.monotonic() - started, watch.peak,
                  f"exit {os.waitstatus_to_exitcode(status)}, out {out}")  # fmt: skip


def bench_baselines(args: argparse.Namespace, farm: FarmProcess, tmp: Path) -> list[Result]:
    results = []
    etags = tmp / "etags.json"
    if "naive" not in args.skip:
        etags.write_text(json.dumps(farm.ask("etags")))
        farm.ask(f"publish {args.new}")
        results.append(run_script(f"naive loop, {args.new} new", NAIVE, [str(etags)]))
    if "reader" not in args.skip:
        try:
            import reader  # noqa: F401
        except ImportError:
            print("reader: lemon24/reader is not installed (pip install '.[bench]'); skipped")
        else:
            urls, db = tmp / "urls.json", str(tmp / "reader.sqlite")
            urls.write_text(json.dumps(farm.urls))
            run_script("reader prime", READER, [db, "prime", str(urls)])
            farm.ask(f"publish {args.new}")
            name = f"reader update_feeds(8), {args.new} new"
            results.append(run_script(name, READER, [db, "update"]))
    etags.write_text(json.dumps(farm.ask("etags")))
    for round_no in range(args.rounds):
        results.append(run_script(f"HTTP floor round {round_no + 1}", FLOOR,
                                  [str(etags), str(args.concurrency)]))  # fmt: skip
    if "httpx" not in args.skip:
        results.append(run_script("HTTP floor, httpx async", FLOOR_HTTPX,
                                  [str(etags), str(args.concurrency)]))  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--old-items", type=int, default=15, help="back catalogue per feed")
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--model", default="", help="a trained model file to reuse")
    parser.add_argument("--skip", default="", help="comma list: service,once,naive,reader,httpx")
    args = parser.parse_args()
    args.skip = set(filter(None, args.skip.split(",")))
    from tests.support.fake_slack import FakeSlack

    tmp = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    farm = FarmProcess(args.feeds, args.hosts, args.latency_ms, args.old_items)
    results: list[Result] = []
    try:
        train_model(tmp, args.model)
        with FakeSlack() as slack:
            if "service" not in args.skip:
                results += bench_service(args, farm, slack, tmp)
            if "once" not in args.skip and "service" not in args.skip:
                results += bench_once(args, farm, slack, tmp)
        results += bench_baselines(args, farm, tmp)
    finally:
        farm.close()
        shutil.rmtree(tmp, ignore_errors=True)
    floors = [r for r in results if r.name.startswith("HTTP floor round")]
    floor = min(floors, key=lambda r: r.cpu) if floors else None
    print(f"\n{args.feeds} feeds on {args.hosts} hosts, {args.new} new per round, "
          f"{args.latency_ms:.0f} ms per response, concurrency {args.concurrency}")  # fmt: skip
    show(results, floor)


if __name__ == "__main__":
    main()
