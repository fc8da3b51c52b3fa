"""SIGTERM during a cycle: ``monitor run`` exits within 10 s, the database is consistent,
the slow feed's half-done work is abandoned (nothing of it stored) and alerts that were
pending are still pending, to be sent after the restart.

The service runs as a real process. One feed (the shared seeds) is fast and creates
alerts while Slack (``FakeSlack``) is down; the other lists articles that answer only
after 30 s, so the cycle is still running when the signal arrives.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss
from tests.support.seedfeed import (
    HTML,
    REPO_ROOT,
    RSS,
    alert_config,
    kill_group,
    monitor_env,
    read_alerts,
    read_rows,
    serve_seed_feed,
    wait_for,
)
from tests.support.shared import require_shared


def serve_slow_feed(server: LocalServer) -> str:
    urls = [server.url_for(f"/slow/{n}.html") for n in range(3)]
    items = [(f"Slow story {n}", url, FILLER[0]) for n, url in enumerate(urls)]
    server.set("/slow.xml", Route(body=rss(items), headers=RSS))
    for n in range(3):
        page = article(f"Slow story {n}", FILLER)
        server.set(f"/slow/{n}.html", Route(body=page, headers=HTML, delay=30))
    return server.url_for("/slow.xml")


def test_sigterm_during_a_cycle_exits_fast_and_keeps_alerts_pending(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    seeds = serve_seed_feed(server, require_shared("seeds"))
    slow = serve_slow_feed(server)
    db = tmp_path / "state.sqlite3"
    with FakeSlack() as slack:
        slack.down(True)
        config = alert_config(tmp_path, [seeds.feed_url, slow], slack, model_path)
        log = tmp_path / "service.log"
        with open(log, "wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", "run", "--config", str(config)],
                cwd=REPO_ROOT,
                env=monitor_env(slack.token),
                stdout=sink,
                stderr=sink,
                start_new_session=True,
            )
        try:
            in_cycle = wait_for(
                lambda: server.requests_for("/slow/0.html") and len(read_alerts(db)) >= 2, 90
            )
            assert in_cycle, log.read_text()
            time.sleep(0.3)  # the slow article fetch is in flight
            sent_signal = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)
            elapsed = time.monotonic() - sent_signal
        finally:
            kill_group(proc)
        messages = slack.messages()
    output = log.read_text()
    assert proc.returncode == 0, output
    assert elapsed < 10, f"took {elapsed:.1f}s to stop"
    assert "event=signal signal=SIGTERM" in output and "event=stopped" in output
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    alerts = read_alerts(db)
    assert alerts and all(a["status"] == "pending" for a in alerts)
    assert messages == []
    slow_items = read_rows(db, "SELECT id FROM items WHERE feed_url = ?", (slow,))
    assert slow_items == []  # abandoned as a whole, redone after the restart
    seed_items = read_rows(db, "SELECT id FROM items WHERE feed_url = ?", (seeds.feed_url,))
    assert len(seed_items) == 8
    [slow_feed] = read_rows(db, "SELECT next_check, consecutive_failures FROM feeds WHERE url = ?",
                            (slow,))  # fmt: skip
    assert slow_feed["consecutive_failures"] == 0  # shutting down is not a feed failure
