"""Feed-health notices: one on the 5th failure, one on recovery, none in between; silence
beyond the learned cadence; the notice state survives a restart (real SQLite file)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from monitor.bootstrap import FEED_HEALTH_EVERY, at_most_every
from monitor.core.errors import NotifyError
from monitor.core.ports import Delivery
from monitor.core.records import CycleReport, Feed, Validators
from monitor.ops.feedhealth import (
    FeedHealthWatch,
    WatchPolicy,
    decide,
    human,
    learn_cadence,
)
from state.feedwatch import FeedWatch
from state.sqlite import SQLiteStore
from tests.support.fakes import FakeNotifier

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
URL = "https://news.example.org/feed.xml"


class RecordingNotifier(FakeNotifier):
    """Records notices; ``failing`` makes the next posts raise like Slack being down."""

    failing: bool = False

    def post_notice(self, text: str) -> Delivery:
        if self.failing:
            raise NotifyError("Slack chat.postMessage: server error (HTTP 500)")
        return super().post_notice(text)


def watch(**fields: object) -> FeedWatch:
    base: dict[str, object] = dict(
        url=URL, name="Example", consecutive_failures=0, last_error=None, last_success=T0,
        last_new_item=T0, cadence=None, cadence_gaps=0, cadence_seen=T0, notice=None,
        notice_at=None,
    )  # fmt: skip
    return FeedWatch(**(base | fields))  # type: ignore[arg-type]


@pytest.fixture
def store(make_store: Callable[[], SQLiteStore]) -> SQLiteStore:
    db = make_store()  # SQLite and PostgreSQL (tests/conftest.py)
    db.sync_feeds([Feed(URL, "Example")], "config", T0)
    return db


def fail(store: SQLiteStore, n: int, at: datetime) -> None:
    store.record_failure(URL, f"timeout: attempt {n}", at, at + timedelta(minutes=15))


def succeed(store: SQLiteStore, at: datetime, new: int = 0) -> None:
    store.record_success(URL, Validators(), at, at + timedelta(minutes=15), new)


def test_one_notice_on_the_fifth_failure_none_in_between_one_on_recovery(
    store: SQLiteStore,
) -> None:
    notifier = RecordingNotifier()
    clock = [T0]
    watcher = FeedHealthWatch(store, notifier, lambda: clock[0], WatchPolicy(failure_threshold=5))
    for n in range(1, 10):  # nine failed cycles
        clock[0] = T0 + timedelta(minutes=15 * n)
        fail(store, n, clock[0])
        watcher()
        assert len(notifier.notices) == (0 if n < 5 else 1), n
    assert notifier.notices[0].startswith("Feed failing: Example")
    assert "5 polls in a row" in notifier.notices[0] and "timeout: attempt 5" in notifier.notices[0]
    assert "nothing was disabled" in notifier.notices[0]
    assert [f.url for f in store.feeds()] == [URL]  # still polled

    clock[0] += timedelta(minutes=15)
    succeed(store, clock[0])
    watcher()
    watcher()  # a second look after recovery changes nothing
    assert len(notifier.notices) == 2
    assert notifier.notices[1].startswith("Feed recovered: Example")


def test_notice_state_survives_a_restart(
    store: SQLiteStore, make_store: Callable[[], SQLiteStore]
) -> None:
    notifier = RecordingNotifier()
    for n in range(1, 6):
        fail(store, n, T0 + timedelta(minutes=n))
    FeedHealthWatch(store, notifier, lambda: T0 + timedelta(minutes=6))()
    store.close()

    reopened = make_store()  # the service restarted
    fail(reopened, 6, T0 + timedelta(minutes=7))
    after_restart = RecordingNotifier()
    FeedHealthWatch(reopened, after_restart, lambda: T0 + timedelta(minutes=8))()
    assert len(notifier.notices) == 1 and after_restart.notices == []

    succeed(reopened, T0 + timedelta(minutes=9))
    FeedHealthWatch(reopened, after_restart, lambda: T0 + timedelta(minutes=10))()
    assert len(after_restart.notices) == 1 and "recovered" in after_restart.notices[0]


def test_undelivered_notice_is_tried_again_next_cycle(store: SQLiteStore) -> None:
    notifier = RecordingNotifier()
    notifier.failing = True
    for n in range(1, 6):
        fail(store, n, T0 + timedelta(minutes=n))
    watcher = FeedHealthWatch(store, notifier, lambda: T0 + timedelta(minutes=6))
    assert watcher() == []
    notifier.failing = False
    assert [n.kind for n in watcher()] == ["failing"]
    assert watcher() == []


class DyingNotifier(RecordingNotifier):
    """Slack takes the notice, then the process dies before the send returns."""

    def post_notice(self, text: str) -> Delivery:
        super().post_notice(text)
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after the post runs


def test_a_crash_during_the_send_does_not_post_the_notice_twice(
    store: SQLiteStore, make_store: Callable[[], SQLiteStore]
) -> None:
    for n in range(1, 6):
        fail(store, n, T0 + timedelta(minutes=n))
    dying = DyingNotifier()
    with pytest.raises(KeyboardInterrupt):
        FeedHealthWatch(store, dying, lambda: T0 + timedelta(minutes=6))()
    store.close()
    reopened = make_store()  # restarted
    after = RecordingNotifier()
    FeedHealthWatch(reopened, after, lambda: T0 + timedelta(minutes=7))()
    reopened.close()
    assert len(dying.notices) == 1 and after.notices == []


def test_silence_far_beyond_the_learned_cadence_gives_one_notice_then_posting_again(
    store: SQLiteStore,
) -> None:
    notifier = RecordingNotifier()
    clock = [T0]
    watcher = FeedHealthWatch(
        store, notifier, lambda: clock[0], WatchPolicy(silence_factor=10, min_silence=3600)
    )
    for hour in range(0, 5):  # new items every hour: a cadence of 1 h is learned
        clock[0] = T0 + timedelta(hours=hour)
        succeed(store, clock[0], new=2)
        watcher()
    [learned] = store.feed_watch()
    assert learned.cadence == pytest.approx(3600) and learned.cadence_gaps == 4
    for hour in range(5, 15):  # polls succeed, nothing new: 10 h of quiet is not yet silence
        clock[0] = T0 + timedelta(hours=hour)
        succeed(store, clock[0])
        watcher()
    assert notifier.notices == []
    for hour in range(15, 30):
        clock[0] = T0 + timedelta(hours=hour)
        succeed(store, clock[0])
        watcher()
    assert len(notifier.notices) == 1
    assert notifier.notices[0].startswith("Feed silent: Example")
    assert "usually every 1h" in notifier.notices[0]

    clock[0] += timedelta(hours=1)
    succeed(store, clock[0], new=1)
    watcher()
    watcher()
    assert len(notifier.notices) == 2 and notifier.notices[1].startswith("Feed posting again")


def test_no_silence_notice_before_a_cadence_is_learned() -> None:
    quiet = watch(last_new_item=T0 - timedelta(days=60), cadence=600.0, cadence_gaps=2)
    assert decide(quiet, T0, WatchPolicy()) is None
    learned = watch(last_new_item=T0 - timedelta(days=60), cadence=600.0, cadence_gaps=3)
    notice = decide(learned, T0, WatchPolicy())
    assert notice is not None and notice.state == "silent"


def test_a_failing_feed_is_not_also_called_silent() -> None:
    quiet = watch(last_new_item=T0 - timedelta(days=60), cadence=600.0, cadence_gaps=9)
    assert decide(quiet, T0, WatchPolicy()).kind == "silent"  # type: ignore[union-attr]
    assert decide(watch(**{**_fields(quiet), "consecutive_failures": 2}), T0, WatchPolicy()) is None


def test_recovery_is_announced_even_when_the_success_was_missed() -> None:
    """After a restart the counter may already be back to 1..4 (success, then failures)."""
    notice = decide(watch(consecutive_failures=2, notice="failing"), T0, WatchPolicy())
    assert notice is not None and notice.kind == "recovered" and notice.state is None


def test_learn_cadence_smooths_gaps() -> None:
    first = learn_cadence(watch(cadence_seen=None, last_new_item=T0))
    assert first is not None and first.seconds is None and first.gaps == 0 and first.seen == T0
    later = learn_cadence(watch(cadence=3600.0, cadence_gaps=3, last_new_item=T0 + timedelta(
        hours=3)))  # fmt: skip
    assert later is not None and later.gaps == 4
    assert later.seconds == pytest.approx(0.7 * 3600 + 0.3 * 3 * 3600)
    assert learn_cadence(watch()) is None  # nothing new since the last look


def test_secrets_in_errors_never_reach_a_notice() -> None:
    failing = watch(consecutive_failures=5, last_error="http_status: xoxb-123-abc leaked")
    notice = decide(failing, T0, WatchPolicy())
    assert notice is not None and "xoxb-123" not in notice.text


def test_human_durations() -> None:
    assert [human(42), human(5400), human(93600), human(86400 * 3)] == [
        "42s", "1h 30m", "1d 2h", "3d",
    ]  # fmt: skip


def _fields(w: FeedWatch) -> dict[str, object]:
    return {name: getattr(w, name) for name in FeedWatch.__dataclass_fields__}


def test_the_watch_runs_after_a_cycle_at_most_once_a_minute() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    ran: list[datetime] = []
    hook = at_most_every(FEED_HEALTH_EVERY, lambda: now[0], lambda report: ran.append(now[0]))
    report = CycleReport(started=now[0], finished=now[0], runs=())
    for seconds in (0, 2, 30, 59, 60, 61, 125):
        now[0] = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
        hook(report)
    assert [(t - ran[0]).total_seconds() for t in ran] == [0, 60, 125]
