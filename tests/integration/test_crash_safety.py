"""Issue 4 acceptance: SIGKILL at the two dangerous moments of delivery loses and repeats
nothing.

``python -m monitor run --once`` runs as a real subprocess (own process group) against the
seed feed on a local server and ``FakeSlack``; it is SIGKILLed (a) after the alerts are
committed but before any is sent, and (b) after Slack has stored a message but before the
monitor learnt its ts and marked it sent. A restart must deliver every alert exactly once.
The state file is only ever read read-only by the test while the service runs.
"""

from __future__ import annotations

import collections
import subprocess
from pathlib import Path

from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import rss
from tests.support.seedfeed import (
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

RUN_TIMEOUT = 60.0


def finish(config: Path, token: str, log: Path) -> None:
    """A complete ``run --once`` (the restart), killed if it overruns."""
    proc = start_monitor(config, monitor_env(token), log)
    try:
        assert proc.wait(timeout=RUN_TIMEOUT) == 0, log.read_text()
    except subprocess.TimeoutExpired:
        raise AssertionError("restart did not finish:\n" + log.read_text()) from None
    finally:
        kill_group(proc)


def assert_each_alert_delivered_once(slack: FakeSlack, db: Path) -> list[dict[str, object]]:
    alerts = read_alerts(db)
    assert len(alerts) >= 4  # 000 (+001, 002 as updates), 003, ...
    delivered = collections.Counter(alert_id_of(m) for m in slack.messages())
    assert delivered == collections.Counter(a["id"] for a in alerts)  # all, once each
    assert all(a["status"] == "sent" and a["message_ts"] for a in alerts)
    ts_of = {alert_id_of(m): m["ts"] for m in slack.messages()}
    for alert in alerts:
        assert alert["message_ts"] == ts_of[alert["id"]]
    by_id = {a["id"]: a for a in alerts}
    for message in slack.messages():  # updates thread under their event's top-level alert
        alert = by_id[alert_id_of(message)]
        if alert["kind"] == "update":
            parent = by_id[alert["parent_id"]]
            assert message["thread_ts"] == parent["message_ts"]
    return alerts


def test_killed_after_storing_before_sending(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    seeds = serve_seed_feed(server, require_shared("seeds"), path="/a/feed.xml")
    # polled second (concurrency 1, feeds in URL order): holds the cycle, so no drain yet
    server.set("/z/slow.xml", Route(body=rss([]), headers=RSS, delay=30))
    log, db = tmp_path / "monitor.log", tmp_path / "state.sqlite3"
    with FakeSlack() as slack:
        feeds = [seeds.feed_url, server.url_for("/z/slow.xml")]
        config = alert_config(tmp_path, feeds, slack, model_path, timeout="60s", concurrency=1)
        proc = start_monitor(config, monitor_env(slack.token), log)
        try:
            assert wait_for(lambda: server.requests_for("/z/slow.xml"), RUN_TIMEOUT), (
                log.read_text()
            )
            assert wait_for(lambda: len(read_alerts(db)) >= 4, 5), log.read_text()
            assert slack.calls() == []  # stored, not sent: the crash window
            kill_group(proc)
        finally:
            kill_group(proc)
        assert proc.returncode == -9
        assert all(a["status"] == "pending" and a["attempts"] == 0 for a in read_alerts(db))
        server.set("/z/slow.xml", Route(body=rss([]), headers=RSS))
        finish(config, slack.token, log)
        alerts = assert_each_alert_delivered_once(slack, db)
        assert len(slack.calls("chat.postMessage")) == len(alerts)


def test_killed_after_slack_stored_before_marking_sent(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    seeds = serve_seed_feed(server, require_shared("seeds"))
    log, db = tmp_path / "monitor.log", tmp_path / "state.sqlite3"
    with FakeSlack() as slack:
        slack.hold("chat.postMessage", 60)  # Slack has the message; the answer never comes
        config = alert_config(tmp_path, [seeds.feed_url], slack, model_path)
        proc = start_monitor(config, monitor_env(slack.token), log)
        try:
            assert wait_for(lambda: slack.messages(), RUN_TIMEOUT), log.read_text()
            kill_group(proc)
        finally:
            kill_group(proc)
        assert proc.returncode == -9
        held = slack.messages()
        assert len(held) == 1
        first = read_alerts(db)[0]
        assert alert_id_of(held[0]) == first["id"]
        assert (first["status"], first["attempts"], first["message_ts"]) == ("pending", 1, None)
        finish(config, slack.token, log)
        alerts = assert_each_alert_delivered_once(slack, db)
        # the restart found the held message by its metadata instead of posting it again
        assert slack.calls("conversations.history")
        assert len(slack.calls("chat.postMessage")) == len(alerts)
        assert read_alerts(db)[0]["message_ts"] == held[0]["ts"]
