"""Read-only views of events for ``monitor events``: status history and filed items.

Mixed into ``SQLiteStore``. Every event record is a plain dict with at least the keys
"event_id", "status", "apps", "jurisdiction", "authority", "first_seen", "last_seen",
"source_count", "history" (oldest first, each {"status", "at", "item_id"}) and "items"
(each {"item_id", "title", "url", "published", "route"}), ready for JSON output.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from state.codec import summary_from_json, to_text


class EventLogStore:
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def event_records(
        self, status: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Events, newest report first; ``status``: current status; ``since``: reported on
        at or after (report time)."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if status:
            where.append("status = ?")
            params.append(status)
        if since is not None:
            where.append("last_seen >= ?")
            params.append(to_text(since))
        rows = self.query(
            f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY last_seen DESC LIMIT ?",
            (*params, limit),
        )
        return [self._record(row) for row in rows]

    def event_record(self, event_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM events WHERE id = ?", (event_id,))
        return self._record(rows[0]) if rows else None

    def _record(self, row: sqlite3.Row) -> dict[str, Any]:
        summary = summary_from_json(row["summary"])
        history = self.query(
            "SELECT status, at, item_id FROM event_status WHERE event_id = ? ORDER BY at, seq",
            (row["id"],),
        )
        items = self.query(
            "SELECT id, title, url, published, route FROM items WHERE event_id = ?"
            " ORDER BY COALESCE(event_at, fetched_at), id",
            (row["id"],),
        )
        return {
            "event_id": row["id"],
            "status": row["status"],
            "apps": list(summary.apps),
            "jurisdiction": summary.jurisdiction,
            "authority": summary.authority,
            "first_seen": row["first_seen"],
            "last_seen": row["last_seen"],
            "source_count": row["source_count"],
            "history": [
                {"status": h["status"], "at": h["at"], "item_id": h["item_id"]} for h in history
            ],
            "items": [
                {
                    "item_id": i["id"],
                    "title": i["title"],
                    "url": i["url"],
                    "published": i["published"],
                    "route": i["route"],
                }
                for i in items
            ],
        }
