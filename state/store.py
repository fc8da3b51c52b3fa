"""The store protocols: everything the service remembers between cycles.

``Store`` is what the pipeline needs (feeds, items); the narrower protocols below are
what each later stage needs: ``FilingStore`` (alerting: items, stories, events and
outbox rows in one transaction), ``Outbox`` (the drain and digest), ``FeedWatchPort``
(feed-health notices), ``LabelPort`` (relabels), ``MetaStore`` (small bookkeeping).
``state.sqlite.SQLiteStore`` implements them all.

Contract for every implementation:
- datetimes in and out are timezone-aware UTC;
- writing an item is idempotent: an item already stored (same feed and guid, or
  same canonical URL) is not stored again and reports ``None``;
- methods raise ``monitor.core.errors.StoreError`` (or a subclass) when the database
  cannot be used, never a driver exception;
- a method either completes its writes or leaves the state as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol

from monitor.core.records import (
    Alert,
    Article,
    Feed,
    FeedCheck,
    FeedHealth,
    FeedItem,
    Scored,
    Summary,
    Validators,
)
from state.feedwatch import FeedWatch, NoticeState
from state.labels import LabelTarget, ReviewCandidate, StoredLabel
from state.outbox import StoredEvent, StoredStory


class Store(Protocol):
    # feeds -------------------------------------------------------------
    def sync_feeds(self, feeds: Iterable[Feed], origin: str, now: datetime) -> None:
        """Make sure these feeds exist (feeds the user removed stay removed)."""

    def add_feed(self, feed: Feed, origin: str, now: datetime) -> bool:
        """Add (or restore) a feed. False if it was already active."""

    def remove_feed(self, url: str) -> bool:
        """Stop polling a feed; its items and history are kept. False if unknown."""

    def feeds(self) -> list[FeedHealth]:
        """All active feeds with their health, by URL."""

    def due_feeds(self, now: datetime) -> list[FeedHealth]:
        """Active feeds whose next check is at or before ``now``, most overdue first."""

    def next_due(self) -> datetime | None:
        """The earliest next check of an active feed (a never-polled feed: ``datetime.min``
        in UTC); None when there are no feeds."""

    def claim_feeds(self, now: datetime, limit: int) -> list[FeedHealth]:
        """Due feeds for this process to poll now, most overdue first. On a database
        shared by replicas, up to ``limit`` of them, each leased to this process until it
        records the poll or the lease expires; a single-process engine may return all."""

    def record_success(
        self,
        url: str,
        validators: Validators,
        now: datetime,
        next_check: datetime,
        new_items: int,
        warning: str | None = None,
        *,
        parsed: bool = True,
    ) -> None:
        """A good poll: clears the error count; ``warning`` is the parse warning of an
        ill-formed feed (kept as it was when ``parsed`` is False, i.e. after a 304)."""

    def record_checks(self, checks: Sequence[FeedCheck]) -> None:
        """Record many not-modified polls in ONE transaction (all or none), like
        ``record_success(..., parsed=False)`` for each."""

    def record_failure(self, url: str, error: str, now: datetime, next_check: datetime) -> int:
        """Store a failed poll; returns the new count of consecutive failures."""

    # items -------------------------------------------------------------
    def filter_new(self, items: Sequence[FeedItem]) -> list[FeedItem]:
        """The items not stored yet (by feed+guid and by canonical URL), in order."""

    def save_items(self, items: Sequence[Article | Scored], now: datetime) -> list[int | None]:
        """Store articles (scored or not) in one transaction; ids, or None for known ones."""

    def count_items(self) -> int: ...

    def close(self) -> None: ...


class MetaStore(Protocol):
    def get_meta(self, key: str) -> str | None:
        """A small piece of service bookkeeping (None when never set)."""

    def set_meta(self, key: str, value: str) -> None: ...


class FilingTx(Protocol):
    """One open transaction of the alerting stage; everything commits or nothing does."""

    def insert_item(self, entry: Article | Scored, now: datetime) -> int | None:
        """Store one item; its id, or None when it was already stored."""

    def stories_near(self, at: datetime, window: timedelta) -> list[StoredStory]:
        """Filed ban items whose report time is within ``window`` of ``at``."""

    def events_near(self, at: datetime, window: timedelta) -> list[StoredEvent]:
        """Events with a report (report times) within ``window`` of ``at``."""

    def insert_event(
        self,
        event_id: str,
        summary: Summary,
        at: datetime,
        alert_id: str,
        status: str | None = None,
    ) -> None: ...

    def add_source(self, event_id: str, at: datetime) -> int:
        """Count one more source for the event (widening its time span); the new count."""

    def record_status(self, event_id: str, status: str, at: datetime, item_id: int) -> None:
        """Append to the event's status history; its latest entry is the event's status."""

    def route_item(self, item_id: int, at: datetime, route: str, reason: str | None) -> None:
        """Record where a scored item went, why, and its report time."""

    def file_item(
        self, item_id: int, minhash: bytes | None, event_id: str, story_of: int | None
    ) -> None: ...

    def insert_alert(self, alert: Alert, parent_id: str | None) -> None:
        """Add a pending outbox row (the drain sends it after the commit)."""


class FilingStore(Protocol):
    def transaction(self) -> AbstractContextManager[FilingTx]:
        """A write transaction: committed when the block ends, rolled back on error."""


class Outbox(MetaStore, Protocol):
    """The alerts outbox, in creation order (see ``state.outbox`` for the protocol)."""

    def alert(self, alert_id: str) -> Alert | None: ...

    def alerts(self, status: str | None = None, limit: int = 1000) -> list[Alert]: ...

    def parent_of(self, alert: Alert) -> Alert | None: ...

    def alert_counts(self) -> dict[str, int]: ...

    def event_source_count(self, event_id: str) -> int: ...

    def event_status(self, event_id: str) -> str | None:
        """The event's current lifecycle status (None when unknown)."""

    def mark_attempt(self, alert_id: str, now: datetime) -> None:
        """Commit one more attempt BEFORE sending (a crash after it means: look up first)."""

    def mark_sent(
        self, alert_id: str, ts: str | None, channel: str | None, now: datetime
    ) -> None: ...

    def mark_retry(self, alert_id: str, error: str, next_attempt: datetime) -> None: ...

    def mark_failed(self, alert_id: str, error: str) -> None: ...

    def set_thread_root(self, alert_ids: Sequence[str], ts: str) -> None: ...

    def retry_failed(self) -> int: ...


class FeedWatchPort(Protocol):
    def feed_watch(self) -> list[FeedWatch]:
        """Every active feed's health-watch inputs, by URL."""

    def learn_cadence(
        self, url: str, cadence: float | None, gaps: int, seen: datetime | None
    ) -> None: ...

    def set_feed_notice(self, url: str, notice: NoticeState | None, now: datetime) -> None: ...


class LabelPort(MetaStore, Protocol):
    def label_target(self, ref: str) -> LabelTarget | None:
        """What a label reference (alert id, item id) points at; None when unknown."""

    def add_labels(self, labels: Sequence[StoredLabel]) -> list[int]: ...

    def latest_labels(self) -> list[StoredLabel]: ...

    def label_history(self, example_id: str | None = None) -> list[StoredLabel]: ...

    def first_sighting(self, key: str, now: datetime, window: float) -> bool:
        """Record a request key; False when already seen within ``window`` s (a replay)."""

    def review_candidates(self, threshold: float, limit: int) -> list[ReviewCandidate]: ...

    def alert(self, alert_id: str) -> Alert | None: ...
