"""The outbox drain against a real SQLite store and a tiny state-recording notifier."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from monitor.core.errors import NotifyAuthError, NotifyError
from monitor.core.records import Alert, Article, FeedItem, Summary
from monitor.delivery.drain import Drain, RetryPolicy, retry_delay
from monitor.delivery.notify import Delivery
from state.sqlite import SQLiteStore
from tests.support.clock import SettableClock
from tests.support.fakes import FakeNotifier

T0 = datetime(2025, 3, 16, 12, 0, tzinfo=UTC)


@dataclass
class RecordingNotifier(FakeNotifier):
    """Delivers into ``sent``; ``failures`` are raised, one per send, before delivering."""

    name: str = "recording"
    supports_threads: bool = True
    sent: list[tuple[str, str | None]] = field(default_factory=list)  # (alert id, thread_ts)
    parent_updates: list[tuple[str, int]] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)

    def send(self, alert: Alert) -> Delivery:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((alert.id, alert.thread_ts))
        return Delivery(ts=f"{len(self.sent)}.0001", channel="C1")

    def update_parent(self, parent: Alert, source_count: int) -> None:
        self.parent_updates.append((parent.id, source_count))

    def find_sent(self, alert: Alert) -> Delivery | None:
        self.lookups.append(alert.id)
        for n, (alert_id, _) in enumerate(self.sent, start=1):
            if alert_id == alert.id:
                return Delivery(ts=f"{n}.0001", channel="C1")
        return None

    def close(self) -> None:
        pass


def add_alert(store: SQLiteStore, n: int, kind: str = "alert", parent: str | None = None) -> str:
    item = FeedItem(
        "https://f.example/rss",
        f"g{n}",
        f"https://n.example/{n}",
        f"https://n.example/{n}",
        f"Ban {n}",
        "",
        T0,
    )
    article = Article(item, item.title, "text", T0, "News", "en", "summary")
    with store.transaction() as tx:
        item_id = tx.insert_item(article, T0)
        assert item_id is not None
        event_id = "ev-1" if parent else f"ev-{n}"
        alert = Alert(f"al-{n}", event_id, kind, item_id, Summary(title=item.title), T0)  # type: ignore[arg-type]
        if parent is None:
            tx.insert_event(event_id, alert.summary, T0, alert.id)
        else:
            tx.add_source(event_id, T0)
        tx.insert_alert(alert, parent)
    return f"al-{n}"


def test_sends_in_order_threads_updates_and_refreshes_parent(store: SQLiteStore) -> None:
    notifier = RecordingNotifier()
    add_alert(store, 1)
    add_alert(store, 2, "update", parent="al-1")
    report = Drain(store, notifier, SettableClock(T0))()
    assert notifier.sent == [("al-1", None), ("al-2", "1.0001")]
    assert notifier.parent_updates == [("al-1", 2)]
    assert report.sent == 2
    assert store.alert_counts() == {"pending": 0, "sent": 2, "failed": 0}
    assert Drain(store, notifier, SettableClock(T0))().sent == 0  # nothing twice


def test_retryable_failure_keeps_order_and_backs_off(store: SQLiteStore) -> None:
    clock = SettableClock(T0)
    notifier = RecordingNotifier(failures=[NotifyError("HTTP 429", retry_after=120.0)])
    add_alert(store, 1)
    add_alert(store, 3)
    report = Drain(store, notifier, clock, rng=random.Random(0))()
    assert (report.sent, report.retrying) == (0, 1)
    assert notifier.sent == []  # the second alert did not overtake the first
    pending = store.alerts("pending")
    assert pending[0].next_attempt is not None and pending[0].next_attempt >= T0 + timedelta(
        seconds=120
    )
    assert Drain(store, notifier, clock)().sent == 0  # not due yet: no tight loop
    clock.now = T0 + timedelta(hours=2)
    Drain(store, notifier, clock)()
    assert [a for a, _ in notifier.sent] == ["al-1", "al-3"]
    assert notifier.lookups == ["al-1"]  # attempted before, so it asked before re-posting


def test_crash_after_send_is_recovered_without_duplicate(store: SQLiteStore) -> None:
    notifier = RecordingNotifier()
    alert_id = add_alert(store, 1)
    store.mark_attempt(alert_id, T0)  # as if we crashed right after posting ...
    notifier.sent.append((alert_id, None))  # ... and Slack had received it
    report = Drain(store, notifier, SettableClock(T0))()
    assert report.recovered == 1
    assert notifier.sent == [(alert_id, None)]
    sent = store.alerts("sent")[0]
    assert sent.message_ts == "1.0001"


def test_permanent_error_parks_alert_and_retry_command_requeues(store: SQLiteStore) -> None:
    notifier = RecordingNotifier(failures=[NotifyError("channel_not_found", retryable=False)])
    add_alert(store, 1)
    add_alert(store, 2)
    report = Drain(store, notifier, SettableClock(T0))()
    assert (report.failed, report.sent) == (1, 1)
    failed = store.alerts("failed")
    assert [a.id for a in failed] == ["al-1"] and "channel_not_found" in (
        failed[0].last_error or ""
    )
    assert store.retry_failed() == 1
    Drain(store, notifier, SettableClock(T0))()
    assert [a for a, _ in notifier.sent] == ["al-2", "al-1"]


def test_auth_error_keeps_everything_pending_and_pauses(store: SQLiteStore) -> None:
    clock = SettableClock(T0)
    notifier = RecordingNotifier(
        failures=[NotifyAuthError("Slack rejected the token: invalid_auth")]
    )
    add_alert(store, 1)
    add_alert(store, 2)
    drain = Drain(store, notifier, clock, RetryPolicy(auth_pause=600.0))
    drain()
    assert store.alert_counts() == {"pending": 2, "sent": 0, "failed": 0}
    assert "invalid_auth" in (store.alerts("pending")[0].last_error or "")
    clock.now = T0 + timedelta(seconds=60)
    drain()
    assert notifier.sent == []  # paused, not hammering
    clock.now = T0 + timedelta(seconds=700)
    drain()
    assert [a for a, _ in notifier.sent] == ["al-1", "al-2"]


def test_restart_after_fixing_the_token_sends_at_once(store: SQLiteStore) -> None:
    clock = SettableClock(T0)
    failing = RecordingNotifier(failures=[NotifyAuthError("invalid_auth")])
    add_alert(store, 1)
    Drain(store, failing, clock)()
    fixed = RecordingNotifier()
    Drain(store, fixed, clock)()  # a new process: no pause carried over
    assert [a for a, _ in fixed.sent] == ["al-1"]


def test_max_attempts_parks_as_failed(store: SQLiteStore) -> None:
    clock = SettableClock(T0)
    policy = RetryPolicy(base=1.0, cap=1.0, max_attempts=3)
    notifier = RecordingNotifier(failures=[NotifyError("HTTP 500") for _ in range(5)])
    add_alert(store, 1)
    for _ in range(3):
        Drain(store, notifier, clock, policy)()
        clock.now += timedelta(seconds=10)
    assert store.alert_counts()["failed"] == 1


def test_retry_delay_is_exponential_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(base=30.0, cap=3600.0)
    rng = random.Random(0)
    assert 24 <= retry_delay(policy, 1, None, rng) <= 36
    assert 3600 * 0.8 <= retry_delay(policy, 20, None, rng) <= 3600
    assert retry_delay(policy, 1, 300.0, rng) >= 300
