"""The service as a process: runs on its schedule, stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss
from tests.support.seedfeed import monitor_env, start_monitor, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_service_polls_on_schedule_and_stops_cleanly(
    tmp_path: Path, server: LocalServer, model_path: Path, signum: int
) -> None:
    items = [(f"Story {n}", server.url_for(f"/a/{n}.html"), f"Summary {n}") for n in range(3)]
    server.set(
        "/feed.xml",
        Route(body=rss(items), headers={"Content-Type": "application/rss+xml"}, etag='"1"'),
    )
    for n in range(3):
        server.set(
            f"/a/{n}.html",
            Route(body=article(f"Story {n}", FILLER), headers={"Content-Type": "text/html"}),
        )
    feed = f'[[feeds]]\nurl = "{server.url_for("/feed.xml")}"\ninterval = "1s"\n'
    config = write_config(tmp_path, [], model=model_path, extra=feed)
    log = tmp_path / "service.log"
    proc = start_monitor(config, monitor_env(), log, once=False)
    try:
        # polled repeatedly on its 1 s schedule: the second poll is a conditional GET
        assert wait_for(lambda: len(server.requests_for("/feed.xml")) >= 2, 60, step=0.1), (
            log.read_text()
        )
        assert server.requests_for("/feed.xml")[1].header("If-None-Match") == '"1"'
        proc.send_signal(signum)
        started = time.monotonic()
        proc.wait(timeout=10)
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = log.read_text()
    assert proc.returncode == 0, stderr
    assert "event=stopped" in stderr
    assert "event=feed" in stderr and "status=ok" in stderr  # the changed feed: its own line
    assert "status=not_modified" not in stderr  # 304s are DEBUG; the cycle line counts them
    assert "event=cycle feeds=1 not_modified=1" in stderr
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 3


def test_bad_config_exits_2_with_one_line_and_starts_nothing(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "s.sqlite3"}"\n[polling]\ntimeout = "never"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "polling.timeout" in lines[0]
    assert not (tmp_path / "s.sqlite3").exists()
