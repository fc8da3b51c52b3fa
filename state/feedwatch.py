"""Feed-health bookkeeping in SQLite (mixed into ``SQLiteStore``; migration 4).

Per feed: the learned posting cadence (seconds between new items, smoothed) and which
notice, if any, is out ("failing" | "silent"). The notice state lives in the database so a
restart neither repeats a notice nor forgets to announce a recovery.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from state.codec import record_from_row, to_text

NoticeState = Literal["failing", "silent"]


@dataclass(frozen=True, slots=True)
class FeedWatch:
    """What the feed-health watcher needs to know about one active feed."""

    url: str
    name: str
    consecutive_failures: int
    last_error: str | None
    last_success: datetime | None
    last_new_item: datetime | None
    cadence: float | None  # learned seconds between new items
    cadence_gaps: int  # how many gaps it was learned from
    cadence_seen: datetime | None  # the last_new_item already learned from
    notice: NoticeState | None
    notice_at: datetime | None


class FeedWatchStore:
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def execute_write(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    def feed_watch(self) -> list[FeedWatch]:
        rows = self.query("SELECT * FROM feeds WHERE removed = 0 ORDER BY url")
        return [_watch(row) for row in rows]

    def learn_cadence(
        self, url: str, cadence: float | None, gaps: int, seen: datetime | None
    ) -> None:
        self.execute_write(
            "UPDATE feeds SET cadence = ?, cadence_gaps = ?, cadence_seen = ? WHERE url = ?",
            (cadence, gaps, to_text(seen), url),
        )

    def set_feed_notice(self, url: str, notice: NoticeState | None, now: datetime) -> None:
        self.execute_write(
            "UPDATE feeds SET notice = ?, notice_at = ? WHERE url = ?", (notice, to_text(now), url)
        )


_WATCH_DATES = ("last_success", "last_new_item", "cadence_seen", "notice_at")


def _watch(row: sqlite3.Row) -> FeedWatch:
    return record_from_row(FeedWatch, row, dates=_WATCH_DATES)
