"""Slack misbehaving, through the REAL outbox drain and slack_sdk client against FakeSlack.

Time is simulated: the drain runs "every 10 s" on a settable clock, as the service's drain
job does, for hours of Slack trouble in milliseconds. For each fault: no alert is lost (all
stay pending, none parked as failed), each is delivered exactly once and in order when Slack
recovers, and the number of calls stays bounded (no tight retry loop). Sizes: alerts with
absurdly long fields are accepted by Slack's own block validators and by the fake.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.core.records import Alert, Article, FeedItem, Summary
from monitor.delivery.drain import Drain
from monitor.delivery.notify import (
    FIELD_MAX,
    HEADER_MAX,
    SECTION_MAX,
    SlackNotifier,
)
from state.sqlite import SQLiteStore
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.seedfeed import alert_id_of

T0 = datetime(2025, 3, 16, 12, 0, tzinfo=UTC)


@dataclass
class Outbox:
    store: SQLiteStore
    slack: FakeSlack
    notifier: SlackNotifier
    drain: Drain
    clock: SettableClock

    def run_for(self, seconds: float, every: float = 10.0) -> None:
        """The service's drain job, every ``every`` simulated seconds."""
        for _ in range(int(seconds / every)):
            self.clock.now += timedelta(seconds=every)
            self.drain()

    def delivered(self) -> list[str | None]:
        return [alert_id_of(m) for m in self.slack.messages()]

    def posts(self) -> int:
        return len(self.slack.calls("chat.postMessage"))


def add_alert(store: SQLiteStore, n: int, summary: Summary | None = None) -> str:
    item = FeedItem("https://f.example/rss", f"g{n}", f"https://n.example/{n}",
                    f"https://n.example/{n}", f"Ban {n}", "", T0)  # fmt: skip
    article = Article(item, item.title, "text", T0, "News", "en", "summary")
    with store.transaction() as tx:
        item_id = tx.insert_item(article, T0)
        assert item_id is not None
        alert = Alert(f"al-{n}", f"ev-{n}", "alert", item_id, summary or Summary(title=item.title),
                      T0)  # fmt: skip
        tx.insert_event(alert.event_id, alert.summary, T0, alert.id)
        tx.insert_alert(alert, None)
    return alert.id


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with FakeSlack(hang_seconds=2.0) as slack:
        store = SQLiteStore(tmp_path / "state.sqlite3")
        notifier = SlackNotifier(slack.token, slack.channel, base_url=slack.api_url, timeout=1.0)
        clock = SettableClock(T0)
        drain = Drain(store, notifier, clock, rng=random.Random(3))
        yield Outbox(store, slack, notifier, drain, clock)
        notifier.close()
        store.close()


def assert_all_sent_once_in_order(box: Outbox, ids: list[str]) -> None:
    assert box.delivered() == ids
    assert box.store.alert_counts() == {"pending": 0, "sent": len(ids), "failed": 0}


def test_a_429_storm_keeps_every_alert_and_honours_retry_after(outbox: Outbox) -> None:
    """Slack answers 429 (Retry-After 60 s) to 15 posts in a row: more than the drain's
    max_attempts (10). Nothing is parked as failed; all go out once, in order."""
    ids = [add_alert(outbox.store, n) for n in range(5)]
    outbox.slack.fail_next("chat.postMessage", "ratelimited", count=15, retry_after=60)
    outbox.run_for(12 * 3600)
    assert_all_sent_once_in_order(outbox, ids)
    posts = outbox.slack.calls("chat.postMessage")
    assert len(posts) == 15 + len(ids)
    assert outbox.store.alert_counts()["failed"] == 0


def test_a_429_storm_spaces_calls_at_least_retry_after(outbox: Outbox) -> None:
    add_alert(outbox.store, 1)
    outbox.slack.fail_next("chat.postMessage", "ratelimited", count=5, retry_after=300)
    times = []
    for _ in range(360):  # one hour, a drain every 10 s
        before = outbox.posts()
        outbox.clock.now += timedelta(seconds=10)
        outbox.drain()
        if outbox.posts() > before:
            times.append(outbox.clock.now)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert len(times) == 6 and all(gap >= 300 for gap in gaps)


def test_a_two_hour_5xx_outage_loses_nothing_and_backs_off(outbox: Outbox) -> None:
    ids = [add_alert(outbox.store, n) for n in range(3)]
    outbox.slack.down(True)
    outbox.run_for(2 * 3600)
    during = outbox.posts()
    assert during <= 10  # exponential backoff from 30 s: no hammering of a sick Slack
    assert outbox.store.alert_counts() == {"pending": 3, "sent": 0, "failed": 0}
    outbox.slack.down(False)
    outbox.run_for(3600)
    assert_all_sent_once_in_order(outbox, ids)


def test_dropped_connections_are_retried(outbox: Outbox) -> None:
    ids = [add_alert(outbox.store, n) for n in range(2)]
    outbox.slack.fail_next("chat.postMessage", "drop", count=3)
    outbox.run_for(3600)
    assert_all_sent_once_in_order(outbox, ids)


def test_a_timeout_after_slack_stored_the_message_is_not_a_duplicate(outbox: Outbox) -> None:
    """The post reaches Slack but the answer comes after our 1 s client timeout: the retry
    finds the message by its metadata instead of posting it again."""
    ids = [add_alert(outbox.store, n) for n in range(2)]
    outbox.slack.hold("chat.postMessage", 3.0)
    outbox.drain()
    assert outbox.store.alert_counts()["pending"] == 2
    assert "timed out" in str(outbox.store.alerts("pending")[0].last_error)
    outbox.run_for(600)
    assert_all_sent_once_in_order(outbox, ids)
    assert outbox.posts() == 2  # the held post + the second alert; none repeated


def test_a_timeout_before_slack_stored_anything_is_retried(outbox: Outbox) -> None:
    ids = [add_alert(outbox.store, n) for n in range(2)]
    outbox.slack.fail_next("chat.postMessage", "timeout")
    outbox.drain()
    assert outbox.delivered() == []
    outbox.run_for(600)
    assert_all_sent_once_in_order(outbox, ids)


def test_invalid_auth_pauses_logs_one_clear_error_and_keeps_everything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    revoked = "xoxb-revoked-robustness-0001"
    with FakeSlack() as slack:
        store = SQLiteStore(tmp_path / "state.sqlite3")
        notifier = SlackNotifier(revoked, slack.channel, base_url=slack.api_url, timeout=1.0)
        box = Outbox(
            store, slack, notifier, Drain(store, notifier, SettableClock(T0)), SettableClock(T0)
        )
        box.drain.clock = box.clock
        ids = [add_alert(store, n) for n in range(3)]
        with caplog.at_level(logging.INFO, logger="monitor"):
            box.run_for(3600)
        tries = len(slack.calls())  # a post, then history lookups (it may have been sent)
        pending = store.alerts("pending")
        notifier.close()
        store.close()
    assert tries <= 7  # one try per 10 min pause, not one per drain (360 drains)
    assert [a.id for a in pending] == ids and slack.messages() == []
    assert "invalid_auth" in str(pending[0].last_error)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all("notify_auth_error" in e and "kept pending" in e for e in errors)
    assert len(errors) == tries
    assert revoked not in caplog.text and "xoxb-" not in caplog.text


# ---------------------------------------------------------------- Slack's size limits


def huge_summary(filler: str) -> Summary:
    return Summary(
        apps=tuple(f"App{n} {filler * 40}" for n in range(60)),
        authority="Authority " + filler * 500,
        jurisdiction="Land " + filler * 500,
        scope=filler * 3000,
        action="ban",
        status="in force",
        effective_date=filler * 1000,
        evidence=tuple(f"Sentence {n}: {filler * 300}" for n in range(40)),
        abstract=filler * 20_000,
        source="Outlet " + filler * 400,
        url="https://news.example/" + "a" * 5000,
        published=T0,
        title="Regulator bans app " + filler * 2000,
        score=0.99,
        model_version="m",
        why=tuple(filler * 50 for _ in range(100)),
    )


FILLERS = {
    "ascii": "word ",
    "entities": "<!channel> & ",  # every char grows when escaped: cuts land near entities
    "astral": "🚫📱 ",  # two UTF-16 units each
    "combining": "e\u0301\u200d ",
    "newlines": "line\n>quote\n",
}


@pytest.mark.parametrize("name", list(FILLERS))
def test_oversized_alerts_are_truncated_and_accepted(outbox: Outbox, name: str) -> None:
    alert_id = add_alert(outbox.store, 1, huge_summary(FILLERS[name]))
    report = outbox.drain()
    assert (report.sent, report.failed, report.errors) == (1, 0, [])
    (message,) = outbox.slack.messages()
    assert alert_id_of(message) == alert_id
    blocks = message["blocks"]
    assert len(blocks) <= 50
    header = blocks[0]["text"]["text"]
    assert 0 < len(header) <= HEADER_MAX
    for block in blocks:
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= SECTION_MAX
            fields = block.get("fields", [])
            assert len(fields) <= 10 and all(len(f["text"]) <= FIELD_MAX for f in fields)
    assert len(message["text"]) <= 40_000
    rendered = json.dumps(blocks, ensure_ascii=False) + message["text"]
    assert "<!channel>" not in rendered
    for text in _strings(blocks):
        assert not text.endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"))


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_every_message_is_delivered_once_under_mixed_faults(outbox: Outbox) -> None:
    ids = [add_alert(outbox.store, n) for n in range(8)]
    outbox.slack.fail_next("chat.postMessage", "ratelimited", count=3, retry_after=30)
    outbox.slack.fail_next("chat.postMessage", "server_error", count=2)
    outbox.slack.fail_next("chat.postMessage", "drop", count=2)
    outbox.slack.hold("chat.postMessage", 3.0)
    outbox.run_for(3 * 3600)
    assert collections.Counter(outbox.delivered()) == collections.Counter(ids)
    assert_all_sent_once_in_order(outbox, ids)
