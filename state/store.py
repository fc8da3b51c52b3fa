"""The ``Store`` protocol: everything the service remembers between cycles.

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
from datetime import datetime
from typing import Protocol

from monitor.core.records import Article, Feed, FeedHealth, FeedItem, Scored, Validators


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

    def record_failure(self, url: str, error: str, now: datetime, next_check: datetime) -> int:
        """Store a failed poll; returns the new count of consecutive failures."""

    # items -------------------------------------------------------------
    def filter_new(self, items: Sequence[FeedItem]) -> list[FeedItem]:
        """The items not stored yet (by feed+guid and by canonical URL), in order."""

    def save_items(self, items: Sequence[Article | Scored], now: datetime) -> list[int | None]:
        """Store articles (scored or not) in one transaction; ids, or None for known ones."""

    def count_items(self) -> int: ...

    def close(self) -> None: ...
