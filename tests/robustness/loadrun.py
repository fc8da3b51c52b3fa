"""One cycle over many local feeds, measured: the harness shared by ``test_load.py`` (CI,
100 feeds) and ``bench/robustness.py`` (2,000 feeds x 20 items).

The cycle runs in a child process (so its peak memory is its own) built by the real
``build_app``; feeds and articles come from ``bench/_feedserver.py`` on 127.0.0.1 in the
parent. A sampler thread in the child counts open file descriptors every 50 ms.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def feed_server_class() -> Any:
    spec = importlib.util.spec_from_file_location("_feedserver", ROOT / "bench" / "_feedserver.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FeedServer


def measure(feeds: int, items: int, concurrency: int = 8) -> dict[str, float]:
    """Serve ``feeds`` x ``items`` and run one measured cycle in a child process."""
    server = feed_server_class()(items)
    try:
        proc = subprocess.run(
            [sys.executable, __file__, str(concurrency)],
            input=json.dumps(server.feed_urls(feeds)), capture_output=True, text=True,
            check=True, cwd=ROOT,
        )  # fmt: skip
    finally:
        server.close()
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


class FdSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = self.start_count = len(os.listdir("/proc/self/fd"))
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, len(os.listdir("/proc/self/fd")))


def child(urls: list[str], concurrency: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from monitor.bootstrap import build_app
    from monitor.core.settings import load_settings
    from monitor.delivery.notify import ConsoleNotifier
    from monitor.pipeline import run_cycle

    tmp = Path(tempfile.mkdtemp(prefix="robust-load-"))
    config = tmp / "monitor.toml"
    config.write_text(
        f'[state]\npath = "{tmp / "state.sqlite3"}"\n[polling]\nallow_private_addresses = true\n'
        f'concurrency = {concurrency}\nper_host = {concurrency}\nbackfill = "all"\n'
        + "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls)
    )
    with open(os.devnull, "w") as devnull:
        app = build_app(load_settings(config, {}), notifier=ConsoleNotifier(devnull))
        sampler = FdSampler()
        sampler.start()
        try:
            started = time.perf_counter()
            report = run_cycle(app.deps)
            elapsed = time.perf_counter() - started
        finally:
            sampler.done.set()
            fds_after = len(os.listdir("/proc/self/fd"))
            app.close()
    return {
        "feeds": len(urls),
        "items": report.new,
        "errors": report.errors,
        "elapsed": elapsed,
        "peak_mb": _own_peak_kb() / 1024,
        "workers_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "fds_start": sampler.start_count,
        "fds_peak": sampler.peak,
        "fds_after": fds_after,
    }


def _own_peak_kb() -> int:
    """This process's peak RSS since exec (VmHWM): Linux carries ``ru_maxrss`` over from
    the forking parent, so under a large pytest process it reports the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    print(json.dumps(child(json.loads(sys.stdin.read()), int(sys.argv[1]))))
