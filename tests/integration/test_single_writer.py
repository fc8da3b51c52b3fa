"""Two services on one state file: the second ``monitor run --once`` exits 1 at once naming
the holder's PID; read-only commands still work; every alert reaches Slack exactly once.

Real processes, a real SQLite file, the seed feed on a local server and the fake Slack. A
slow feed (its article pages answer after 3 s) keeps the first process in its cycle.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss
from tests.support.seedfeed import (
    HTML,
    REPO_ROOT,
    RSS,
    alert_config,
    alert_id_of,
    kill_group,
    monitor_env,
    read_alerts,
    serve_seed_feed,
    start_monitor,
    wait_for,
)
from tests.support.shared import require_shared


def serve_slow_feed(server: LocalServer, delay: float) -> str:
    url = server.url_for("/slow/0.html")
    server.set("/slow.xml", Route(body=rss([("Slow story", url, FILLER[0])]), headers=RSS))
    server.set("/slow/0.html", Route(body=article("Slow story", FILLER), headers=HTML,
                                     delay=delay))  # fmt: skip
    return server.url_for("/slow.xml")


def test_a_second_run_once_on_the_same_state_exits_1_and_nothing_is_posted_twice(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    seeds = serve_seed_feed(server, require_shared("seeds"))
    # the first run stays in its cycle long enough for a second one to start up under load
    slow = serve_slow_feed(server, delay=15)
    with FakeSlack() as slack:
        config = alert_config(tmp_path, [seeds.feed_url, slow], slack, model_path, timeout="25s")
        env = monitor_env(slack.token)
        first = start_monitor(config, env, tmp_path / "first.log")
        try:
            assert wait_for(lambda: server.requests_for("/slow/0.html"), 90), (
                tmp_path / "first.log"
            ).read_text()
            started = time.monotonic()
            second = subprocess.run(
                [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
                cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            refused_after = time.monotonic() - started
            status = subprocess.run(
                [sys.executable, "-m", "monitor", "status", "--config", str(config)],
                cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            first.wait(timeout=60)
        finally:
            kill_group(first)
        messages = slack.messages()
    assert first.returncode == 0, (tmp_path / "first.log").read_text()
    assert second.returncode == 1, second.stderr
    assert f"(pid {first.pid})" in second.stderr and "Traceback" not in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert refused_after < 15  # at once: start-up only, it never waits for the lock
    assert status.returncode == 0 and "items:" in status.stdout, status.stderr
    alerts = read_alerts(tmp_path / "state.sqlite3")
    posted = Counter(alert_id_of(m) for m in messages)
    assert alerts and set(posted) == {a["id"] for a in alerts}
    assert max(posted.values()) == 1
