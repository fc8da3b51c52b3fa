"""Events and the alerts outbox in SQLite (mixed into ``SQLiteStore`` and its transactions).

Delivery protocol (exactly once towards notifiers that can look up what they sent):
1. the item, its event and its alert row are written in ONE transaction (``status='pending'``);
2. before each send the drain commits ``attempts = attempts + 1``; so after a crash an
   alert with ``attempts > 0`` may already be in Slack, and the drain first asks the
   notifier (``find_sent``, by the alert id sent as message metadata) before re-posting;
3. after the send, ``mark_sent`` stores the Slack ``ts`` and ``status='sent'``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.core.records import Alert, Summary
from state.codec import (
    alert_from_row,
    required_time,
    summary_from_json,
    summary_to_json,
    to_text,
)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: str
    summary: Summary
    first_seen: datetime
    last_seen: datetime
    source_count: int
    alert_id: str | None
    status: str | None = None  # current lifecycle status (monitor.alerting.lifecycle)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of an event's status history."""

    status: str
    at: datetime  # report time of the item that said so
    item_id: int | None


@dataclass(frozen=True, slots=True)
class StoredStory:
    """A recent ban item, for the near-duplicate test."""

    item_id: int
    event_id: str | None
    minhash: bytes | None
    story_of: int | None


class OutboxTx:
    """Writes made inside the ingest transaction."""

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        raise NotImplementedError

    def stories_near(self, at: datetime, window: timedelta) -> list[StoredStory]:
        """Filed ban items whose report time is within ``window`` of ``at``."""
        rows = self.execute(
            "SELECT id, event_id, minhash, story_of FROM items"
            " WHERE is_ban = 1 AND event_id IS NOT NULL"
            " AND COALESCE(event_at, fetched_at) BETWEEN ? AND ? ORDER BY id",
            (to_text(at - window), to_text(at + window)),
        ).fetchall()
        return [StoredStory(r["id"], r["event_id"], r["minhash"], r["story_of"]) for r in rows]

    def events_near(self, at: datetime, window: timedelta) -> list[StoredEvent]:
        """Events with a report within ``window`` of ``at`` (report times, either side)."""
        rows = self.execute(
            "SELECT * FROM events WHERE last_seen >= ? AND first_seen <= ? ORDER BY first_seen",
            (to_text(at - window), to_text(at + window)),
        ).fetchall()
        return [_event(row) for row in rows]

    def event(self, event_id: str) -> StoredEvent | None:
        row = self.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        return _event(row) if row else None

    def insert_event(
        self,
        event_id: str,
        summary: Summary,
        at: datetime,
        alert_id: str,
        status: str | None = None,
    ) -> None:
        self.execute(
            "INSERT INTO events (id, summary, first_seen, last_seen, source_count, alert_id,"
            " status) VALUES (?, ?, ?, ?, 1, ?, ?)",
            (event_id, summary_to_json(summary), to_text(at), to_text(at), alert_id, status),
        )

    def add_source(self, event_id: str, at: datetime) -> int:
        """One more report of an event: bumps the source count and widens its time span."""
        self.execute(
            "UPDATE events SET source_count = source_count + 1,"
            " first_seen = CASE WHEN ? < first_seen THEN ? ELSE first_seen END,"
            " last_seen = CASE WHEN ? > last_seen THEN ? ELSE last_seen END WHERE id = ?",
            (*(to_text(at),) * 4, event_id),
        )
        row = self.execute("SELECT source_count FROM events WHERE id = ?", (event_id,)).fetchone()
        return int(row[0])

    def record_status(self, event_id: str, status: str, at: datetime, item_id: int) -> None:
        """Append to the event's status history; the latest report time is its status."""
        self.execute(
            "INSERT INTO event_status (event_id, status, at, item_id) VALUES (?, ?, ?, ?)",
            (event_id, status, to_text(at), item_id),
        )
        self.execute(
            "UPDATE events SET status = (SELECT status FROM event_status WHERE event_id = ?"
            " ORDER BY at DESC, seq DESC LIMIT 1) WHERE id = ?",
            (event_id, event_id),
        )

    def file_item(
        self, item_id: int, minhash: bytes | None, event_id: str, story_of: int | None
    ) -> None:
        self.execute(
            "UPDATE items SET minhash = ?, event_id = ?, story_of = ? WHERE id = ?",
            (minhash, event_id, story_of, item_id),
        )

    def route_item(self, item_id: int, at: datetime, route: str, reason: str | None) -> None:
        """Where a scored item went (alert, update, status, reply, review, drop) and why."""
        self.execute(
            "UPDATE items SET event_at = ?, route = ?, route_reason = ? WHERE id = ?",
            (to_text(at), route, reason, item_id),
        )

    def insert_alert(self, alert: Alert, parent_id: str | None) -> None:
        self.execute(
            "INSERT INTO alerts (id, event_id, kind, item_id, parent_id, summary, new_facts,"
            " source_count, created_at, event_status, previous_status, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
            (
                alert.id,
                alert.event_id,
                alert.kind,
                alert.item_id,
                parent_id,
                summary_to_json(alert.summary),
                json.dumps(list(alert.new_facts), ensure_ascii=False),
                alert.source_count,
                to_text(alert.created_at),
                alert.event_status,
                alert.previous_status,
            ),
        )


class OutboxStore:
    """Outbox reads and state changes, each its own short transaction."""

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def execute_write(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    # The thread an alert's message goes in: an update's parent (or the digest message the
    # parent was posted under); an alert's own digest message in digest mode.
    _ALERT_SELECT = (
        "SELECT a.*, COALESCE(a.thread_root, p.thread_root, p.message_ts) AS parent_ts"
        " FROM alerts a LEFT JOIN alerts p ON p.id = a.parent_id"
    )

    def alert(self, alert_id: str) -> Alert | None:
        rows = self.query(f"{self._ALERT_SELECT} WHERE a.id = ?", (alert_id,))
        return alert_from_row(rows[0], rows[0]["parent_ts"]) if rows else None

    def alerts(self, status: str | None = None, limit: int = 1000) -> list[Alert]:
        where, params = ("WHERE a.status = ?", (status, limit)) if status else ("", (limit,))
        rows = self.query(f"{self._ALERT_SELECT} {where} ORDER BY a.seq LIMIT ?", params)
        return [alert_from_row(row, row["parent_ts"]) for row in rows]

    def parent_of(self, alert: Alert) -> Alert | None:
        rows = self.query("SELECT parent_id FROM alerts WHERE id = ?", (alert.id,))
        parent_id = rows[0]["parent_id"] if rows else None
        return self.alert(parent_id) if parent_id else None

    def alert_counts(self) -> dict[str, int]:
        rows = self.query("SELECT status, COUNT(*) FROM alerts GROUP BY status")
        return {"pending": 0, "sent": 0, "failed": 0} | {r[0]: r[1] for r in rows}

    def event_source_count(self, event_id: str) -> int:
        rows = self.query("SELECT source_count FROM events WHERE id = ?", (event_id,))
        return int(rows[0][0]) if rows else 0

    def event_status(self, event_id: str) -> str | None:
        """The event's current lifecycle status (None for events filed before it existed)."""
        rows = self.query("SELECT status FROM events WHERE id = ?", (event_id,))
        return rows[0][0] if rows else None

    def mark_attempt(self, alert_id: str, now: datetime) -> None:
        self.execute_write(
            "UPDATE alerts SET attempts = attempts + 1, next_attempt = NULL WHERE id = ?",
            (alert_id,),
        )

    def mark_sent(self, alert_id: str, ts: str | None, channel: str | None, now: datetime) -> None:
        self.execute_write(
            "UPDATE alerts SET status = 'sent', message_ts = ?, channel = ?, sent_at = ?,"
            " last_error = NULL, next_attempt = NULL WHERE id = ?",
            (ts, channel, to_text(now), alert_id),
        )

    def mark_retry(self, alert_id: str, error: str, next_attempt: datetime) -> None:
        self.execute_write(
            "UPDATE alerts SET last_error = ?, next_attempt = ? WHERE id = ?",
            (error[:500], to_text(next_attempt), alert_id),
        )

    def mark_failed(self, alert_id: str, error: str) -> None:
        self.execute_write(
            "UPDATE alerts SET status = 'failed', last_error = ? WHERE id = ?",
            (error[:500], alert_id),
        )

    def set_thread_root(self, alert_ids: Sequence[str], ts: str) -> None:
        """Digest mode: these alerts' details go as replies under the digest ``ts``."""
        marks = ", ".join("?" * len(alert_ids))
        if alert_ids:  # one statement: all of the digest's alerts, or none
            self.execute_write(
                f"UPDATE alerts SET thread_root = ? WHERE id IN ({marks})", (ts, *alert_ids)
            )

    def retry_failed(self) -> int:
        """``monitor alerts retry``: failed alerts go back to pending, due now."""
        return self.execute_write(
            "UPDATE alerts SET status = 'pending', next_attempt = NULL,"
            " attempts = CASE WHEN attempts > 1 THEN 1 ELSE attempts END WHERE status = 'failed'"
        )


def _event(row: sqlite3.Row) -> StoredEvent:
    return StoredEvent(
        id=row["id"],
        summary=summary_from_json(row["summary"]),
        first_seen=required_time(row["first_seen"]),
        last_seen=required_time(row["last_seen"]),
        source_count=row["source_count"],
        alert_id=row["alert_id"],
        status=row["status"],
    )
