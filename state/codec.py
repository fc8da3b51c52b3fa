"""JSON encoding of records stored as text (summaries), and row -> record mapping."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Collection
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from monitor.core.records import Alert, Summary

R = TypeVar("R")


def to_text(value: datetime | None) -> str | None:
    """A UTC-aware datetime as ISO-8601 text for a column; NULL for None."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
    return value.astimezone(UTC).isoformat()


def from_text(value: str | None) -> datetime | None:
    """An ISO-8601 column back to a datetime; NULL stays None."""
    return None if value is None else datetime.fromisoformat(value)


def required_time(value: str) -> datetime:
    """An ISO-8601 column declared NOT NULL back to a datetime."""
    return datetime.fromisoformat(value)


def record_from_row(cls: type[R], row: sqlite3.Row, *, dates: Collection[str] = ()) -> R:
    """The dataclass ``cls`` from the row's columns of the same names as its fields; the
    ``dates`` columns are ISO-8601 text (see ``from_text``)."""
    values = {f.name: row[f.name] for f in fields(cls)}  # type: ignore[arg-type]
    for name in dates:
        values[name] = from_text(values[name])
    return cls(**values)


def summary_to_json(summary: Summary) -> str:
    data = asdict(summary)
    data["published"] = summary.published.isoformat() if summary.published else None
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


@functools.lru_cache(maxsize=1024)
def summary_from_json(text: str) -> Summary:
    """The ``Summary`` stored as ``text``. Memoised (a ``Summary`` is immutable): filing
    reads every event of the lifecycle window for each ban item, the drain every pending
    alert on each pass, mostly the same texts again."""
    data: dict[str, Any] = json.loads(text)
    known = {name: data[name] for name in Summary.__dataclass_fields__ if name in data}
    for name in ("apps", "evidence", "why"):
        known[name] = tuple(known.get(name) or ())
    if known.get("published"):
        known["published"] = datetime.fromisoformat(known["published"])
    return Summary(**known)


def alert_from_row(row: sqlite3.Row, thread_ts: str | None = None) -> Alert:
    return Alert(
        id=row["id"],
        event_id=row["event_id"],
        kind=row["kind"],
        item_id=row["item_id"],
        summary=summary_from_json(row["summary"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt=datetime.fromisoformat(row["next_attempt"]) if row["next_attempt"] else None,
        message_ts=row["message_ts"],
        thread_ts=thread_ts,
        source_count=row["source_count"],
        new_facts=tuple(json.loads(row["new_facts"])),
        event_status=row["event_status"],
        previous_status=row["previous_status"],
    )
