"""Feed-health notices: tell the team once when a feed breaks or goes quiet, once when it
comes back; never once per cycle, and never disable a feed silently (feeds are only ever
polled less often, by the backoff in ``monitor.ingest.schedule``).

Decisions are pure (``learn_cadence``, ``decide``); ``FeedHealthWatch`` runs after every
cycle, reads the feeds' health from the store, posts notices through the notifier
(``post_notice``: Slack or the console) and records which notice is out (migration 4),
so a restart repeats nothing and still announces a recovery.

- **failing**: the Nth consecutive failed poll (``[notify] feed_failure_threshold``,
  default 5) -> one notice; nothing more while it keeps failing; one "recovered" notice
  at the first successful poll after that.
- **silent**: polls succeed but nothing new has appeared for ``feed_silence_factor`` x the
  learned cadence (and at least ``feed_silence_min``) -> one notice; one "posting again"
  notice when a new item arrives. The cadence is the smoothed gap between polls that
  brought new items, learned once ``MIN_GAPS`` gaps have been seen.

A notice that cannot be delivered is not recorded, so the next cycle tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from monitor.core.errors import MonitorError, redact
from monitor.core.logs import log_event
from monitor.core.ports import Notifier
from state.feedwatch import FeedWatch, NoticeState
from state.store import FeedWatchPort

log = logging.getLogger("monitor.feedhealth")

MIN_GAPS = 3  # a cadence learned from fewer gaps is a guess: no silence notices yet
SMOOTHING = 0.3  # weight of the newest gap in the cadence (exponential moving average)


@dataclass(frozen=True, slots=True)
class WatchPolicy:
    failure_threshold: int = 5
    silence_factor: float = 10.0
    min_silence: float = 2 * 86400.0


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # "failing" | "silent" | "recovered" | "posting_again"
    state: NoticeState | None  # the feed's notice state once this one is sent
    text: str


@dataclass(frozen=True, slots=True)
class Cadence:
    seconds: float | None
    gaps: int
    seen: datetime | None


def learn_cadence(watch: FeedWatch) -> Cadence | None:
    """Pure: the cadence including the latest new-item time, or None when nothing changed."""
    latest = watch.last_new_item
    if latest is None or latest == watch.cadence_seen:
        return None
    if watch.cadence_seen is None:  # the first batch (often the whole backlog): a start point
        return Cadence(watch.cadence, watch.cadence_gaps, latest)
    gap = max(0.0, (latest - watch.cadence_seen).total_seconds())
    smoothed = gap if watch.cadence is None else (1 - SMOOTHING) * watch.cadence + SMOOTHING * gap
    return Cadence(smoothed, watch.cadence_gaps + 1, latest)


def silence_limit(watch: FeedWatch, policy: WatchPolicy) -> float | None:
    """Pure: seconds without new items that count as "silent", once a cadence is known."""
    if watch.cadence is None or watch.cadence_gaps < MIN_GAPS:
        return None
    return max(policy.min_silence, policy.silence_factor * watch.cadence)


def decide(watch: FeedWatch, now: datetime, policy: WatchPolicy) -> Notice | None:
    """Pure: the one notice to send about this feed now, if any."""
    name = _name(watch)
    if watch.consecutive_failures >= policy.failure_threshold:
        if watch.notice == "failing":
            return None
        error = redact(watch.last_error or "unknown error")[:200]
        return Notice("failing", "failing", f"Feed failing: {name} failed "
                      f"{watch.consecutive_failures} polls in a row (last error: {error}). It "
                      "is still polled, less often; nothing was disabled.")  # fmt: skip
    if watch.notice == "failing":
        return Notice("recovered", None, f"Feed recovered: {name} is polled successfully again.")
    if watch.consecutive_failures:
        return None  # errors, not silence, explain the quiet; wait for the threshold
    limit = silence_limit(watch, policy)
    quiet = _quiet_for(watch, now)
    silent = limit is not None and quiet is not None and quiet > limit
    if silent and watch.notice != "silent":
        assert quiet is not None and watch.cadence is not None
        return Notice("silent", "silent", f"Feed silent: {name} has published nothing new for "
                      f"{human(quiet)} (usually every {human(watch.cadence)}). Polls succeed; "
                      "the feed may have moved or stopped.")  # fmt: skip
    if not silent and watch.notice == "silent":
        return Notice("posting_again", None, f"Feed posting again: {name} has new items.")
    return None


def human(seconds: float) -> str:
    """Pure: 93600 -> "1d 2h"; 5400 -> "1h 30m"; 42 -> "42s"."""
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    parts: list[str] = []
    rest = round(seconds)
    for unit, size in units:
        if rest >= size or (unit == "s" and not parts):
            parts.append(f"{rest // size}{unit}")
            rest %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def _quiet_for(watch: FeedWatch, now: datetime) -> float | None:
    return None if watch.last_new_item is None else (now - watch.last_new_item).total_seconds()


def _name(watch: FeedWatch) -> str:
    return f"{watch.name} ({watch.url})" if watch.name else watch.url


class FeedHealthWatch:
    """After each cycle: learn cadences, send the notices ``decide`` asks for, record them."""

    def __init__(
        self,
        store: FeedWatchPort,
        notifier: Notifier,
        clock: Callable[[], datetime],
        policy: WatchPolicy | None = None,
    ) -> None:
        self.store, self.notifier, self.clock = store, notifier, clock
        self.policy = policy or WatchPolicy()

    def __call__(self, *_: object) -> list[Notice]:
        now = self.clock()
        sent = []
        for watch in self.store.feed_watch():
            watch = self._learn(watch)
            notice = decide(watch, now, self.policy)
            if notice is not None and self._send(watch, notice, now):
                sent.append(notice)
        return sent

    def _learn(self, watch: FeedWatch) -> FeedWatch:
        cadence = learn_cadence(watch)
        if cadence is None:
            return watch
        self.store.learn_cadence(watch.url, cadence.seconds, cadence.gaps, cadence.seen)
        return _with_cadence(watch, cadence)

    def _send(self, watch: FeedWatch, notice: Notice, now: datetime) -> bool:
        level = logging.WARNING if notice.state else logging.INFO
        log_event(log, "feed_notice", level, feed_url=watch.url, kind=notice.kind)
        # Recorded BEFORE sending: a crash during the send must not post it again after the
        # restart (a notice is news, not data: at most once). A failed send is undone.
        self.store.set_feed_notice(watch.url, notice.state, now)
        try:
            self.notifier.post_notice(notice.text)
        except MonitorError as exc:  # undone: the next cycle tries again
            self.store.set_feed_notice(watch.url, watch.notice, watch.notice_at or now)
            log_event(log, "feed_notice_failed", logging.WARNING, error=redact(str(exc)))
            return False
        return True


def _with_cadence(watch: FeedWatch, cadence: Cadence) -> FeedWatch:
    return replace(
        watch, cadence=cadence.seconds, cadence_gaps=cadence.gaps, cadence_seen=cadence.seen
    )
