"""Digest mode: the day's events go out as ONE Slack message at ``digest_time`` (UTC), one
line per event; each alert's details and later coverage are replies in its thread.

Real pipeline over the shared seed stories served locally, real SQLite, ``FakeSlack`` with
the real slack_sdk client, and a settable clock for the time of day.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.bootstrap import App, build_app, build_scorer
from monitor.core.settings import load_settings
from monitor.delivery.digest import SLOT_KEY, AlertDigest, digest_slot
from monitor.delivery.notify import ConsoleNotifier
from monitor.service import Service
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer
from tests.support.seedfeed import alert_config, alert_id_of, read_alerts, serve_seed_feed
from tests.support.shared import require_shared


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def digest_app(config: Path, token: str, clock: SettableClock, **kwargs: object) -> App:
    config.write_text(config.read_text() + '[notify]\nmode = "digest"\ndigest_time = "08:00"\n')
    settings = load_settings(config, {"MONITOR_SLACK_BOT_TOKEN": token})
    return build_app(settings, clock=clock, scorer=build_scorer(settings), **kwargs)  # type: ignore[arg-type]


def digest_job(app: App) -> AlertDigest:
    [job] = [j for j in app.jobs if j.name == "alert_digest"]
    assert job.every == 60.0
    return job.func  # type: ignore[return-value]


def test_alerts_of_the_day_go_out_as_one_message_with_details_in_threads(
    tmp_path: Path, server: LocalServer, model_path: Path, slack: FakeSlack
) -> None:
    feed = serve_seed_feed(server, require_shared("seeds"))
    config = alert_config(tmp_path, [feed.feed_url], slack, model_path)
    clock = SettableClock(datetime(2025, 3, 4, 6, 30, tzinfo=UTC))
    app = digest_app(config, slack.token, clock)
    try:
        Service(app.deps, after_cycle=app.after_cycle).cycle()
        rows = read_alerts(tmp_path / "state.sqlite3")
        events = [r for r in rows if r["kind"] == "alert"]
        assert len(events) >= 2 and len(rows) > len(events)  # seeds 000-002: updates
        assert slack.messages() == []  # instant delivery is held in digest mode
        assert all(r["status"] == "pending" for r in rows)

        job = digest_job(app)
        clock.now = clock.now.replace(hour=7, minute=59)
        assert job() == 0 and slack.messages() == []
        clock.now = clock.now.replace(hour=8, minute=0)
        assert job() == len(events)
        assert job() == 0  # once a day
        messages = slack.messages()
        rows = read_alerts(tmp_path / "state.sqlite3")
        apps = app.store.alerts()
    finally:
        app.close()

    tops = [m for m in messages if not m.get("thread_ts")]
    assert len(tops) == 1  # ONE message for the day
    digest = tops[0]
    assert digest["text"].startswith(f"App-ban digest 2025-03-04: {len(events)} new events")
    lines = [line for line in digest["text"].splitlines() if line.strip().startswith("•")]
    assert len(lines) == len(events)  # one line per event
    replies = [m for m in messages if m.get("thread_ts")]
    assert {m["thread_ts"] for m in replies} == {digest["ts"]}  # details all in its thread
    assert [alert_id_of(m) for m in replies] == [r["id"] for r in rows]  # in creation order
    assert all(r["status"] == "sent" for r in rows)
    detail = next(m for m in replies if alert_id_of(m) == events[0]["id"])
    assert "label_ban" in str(detail["blocks"])  # details keep the label buttons
    assert {a.id: a.thread_ts for a in apps if a.kind == "alert"} == {
        e["id"]: digest["ts"] for e in events
    }


def test_nothing_held_means_no_digest_but_the_day_is_done(
    tmp_path: Path, model_path: Path, slack: FakeSlack
) -> None:
    config = alert_config(tmp_path, [], slack, model_path)
    clock = SettableClock(datetime(2025, 3, 4, 9, 0, tzinfo=UTC))
    app = digest_app(config, slack.token, clock)
    try:
        assert digest_job(app)() == 0
        assert app.store.get_meta(SLOT_KEY) == "2025-03-04"
    finally:
        app.close()
    assert slack.messages() == []


def test_failed_digest_is_tried_again_and_alerts_stay_pending(
    tmp_path: Path, server: LocalServer, model_path: Path, slack: FakeSlack
) -> None:
    feed = serve_seed_feed(server, require_shared("seeds"))
    config = alert_config(tmp_path, [feed.feed_url], slack, model_path)
    clock = SettableClock(datetime(2025, 3, 4, 8, 30, tzinfo=UTC))
    app = digest_app(config, slack.token, clock)
    try:
        Service(app.deps, after_cycle=app.after_cycle).cycle()
        slack.down(True)
        assert digest_job(app)() == 0
        assert app.store.get_meta(SLOT_KEY) is None
        assert app.store.alert_counts()["sent"] == 0
        slack.down(False)
        clock.now += timedelta(minutes=1)
        assert digest_job(app)() > 0
        assert app.store.alert_counts()["pending"] == 0
    finally:
        app.close()
    assert len([m for m in slack.messages() if not m.get("thread_ts")]) == 1


def test_console_digest_is_one_block_of_lines(
    tmp_path: Path, server: LocalServer, model_path: Path, slack: FakeSlack
) -> None:
    feed = serve_seed_feed(server, require_shared("seeds"))
    config = alert_config(tmp_path, [feed.feed_url], slack, model_path)
    clock = SettableClock(datetime(2025, 3, 4, 8, 30, tzinfo=UTC))
    out = io.StringIO()
    app = digest_app(config, slack.token, clock, notifier=ConsoleNotifier(out))
    try:
        Service(app.deps, after_cycle=app.after_cycle).cycle()
        assert out.getvalue() == ""
        events = digest_job(app)()
        counts = app.store.alert_counts()
    finally:
        app.close()
    text = out.getvalue()
    assert text.count("App-ban digest 2025-03-04") == 1
    assert text.count("  • ") == events > 0
    assert counts["pending"] == 0  # updates are covered by their event's digest line


@pytest.mark.parametrize(
    ("now", "last", "expected"),
    [
        ("2025-03-04T07:59", None, None),
        ("2025-03-04T08:00", None, "2025-03-04"),
        ("2025-03-04T23:59", "2025-03-03", "2025-03-04"),
        ("2025-03-04T09:00", "2025-03-04", None),
        ("2025-03-05T00:10", "2025-03-04", None),
    ],
)
def test_digest_slot(now: str, last: str | None, expected: str | None) -> None:
    at = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert digest_slot(at, "08:00", last) == expected
