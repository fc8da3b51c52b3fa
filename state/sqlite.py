"""SQLite implementation of the ``Store`` protocol (WAL mode, one file).

One connection, shared by the pipeline's threads behind a lock: writes are
short and SQLite serialises them anyway. ``busy_timeout`` lets another process
(the CLI while the service runs) wait for the lock instead of failing at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.core.errors import CorruptStoreError, SchemaVersionError, StoreError
from monitor.core.records import (
    Article,
    Feed,
    FeedCheck,
    FeedHealth,
    FeedItem,
    Scored,
    Validators,
)
from state.codec import from_text, record_from_row, to_text
from state.eventlog import EventLogStore
from state.feedwatch import FeedWatchStore
from state.labels import LabelStore
from state.outbox import OutboxStore, OutboxTx
from state.schema import MIGRATIONS, SCHEMA_VERSION


def text_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class SQLiteStore(OutboxStore, LabelStore, FeedWatchStore, EventLogStore):
    """``Store`` on a SQLite file. ``SQLiteStore(":memory:")`` works for quick tests.

    Its SQL (here and in the mixins) is written so PostgreSQL accepts it too (``?``
    marks, ``RETURNING``, ISO text times): ``state.postgres.PostgresStore`` replaces only
    the plumbing (connections, transactions, migrations) and the replica coordination.
    """

    def __init__(self, path: str | Path, *, timeout: float = 5.0) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            _check_directory(Path(self.path).parent)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise _wrap(exc, self.path) from None

    # -- plumbing ---------------------------------------------------------
    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"state: {self.path} has schema version {version}, newer than this "
                f"appban-monitor understands ({SCHEMA_VERSION}); refusing to downgrade. "
                "Run the newer version or restore a backup."
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction() as db:
                db.executescript_in_tx(MIGRATIONS[number - 1])
                db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise _wrap(exc, self.path) from None
            try:
                yield Transaction(self._db)
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.DatabaseError):  # disk full, I/O error, ...
                    raise _wrap(exc, self.path) from None
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._rollback()
                raise _wrap(exc, self.path) from None

    def _rollback(self) -> None:
        # SQLite has already rolled back after some errors (SQLITE_FULL, SQLITE_IOERR);
        # a second ROLLBACK would raise and hide the real error.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise _wrap(exc, self.path) from None

    def execute_write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement in its own transaction; returns the number of rows changed."""
        with self.transaction() as tx:
            return tx.execute(sql, params).rowcount

    @property
    def schema_version(self) -> int:
        return int(self.query("PRAGMA user_version")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- feeds ------------------------------------------------------------
    def sync_feeds(self, feeds: Iterable[Feed], origin: str, now: datetime) -> None:
        """Configured feeds are upserted; configured feeds no longer listed are retired
        (removed = 2) and come back if listed again. Feeds the user removed (removed = 1)
        stay removed, and feeds added by hand (origin cli/opml) are left alone."""
        feeds = list(feeds)
        with self.transaction() as tx:
            for feed in feeds:
                tx.execute(
                    "INSERT INTO feeds (url, name, interval, origin, created_at)"
                    " VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (url) DO UPDATE SET name = excluded.name,"
                    " interval = excluded.interval,"
                    " removed = CASE feeds.removed WHEN 2 THEN 0 ELSE feeds.removed END",
                    (feed.url, feed.name, feed.interval, origin, to_text(now)),
                )
            # Compared here, not with "NOT IN (?, ?, ...)": SQLite caps the number of
            # bound variables, and a long feed list would exceed it.
            listed = {feed.url for feed in feeds}
            current = tx.execute(
                "SELECT url FROM feeds WHERE removed = 0 AND origin IN ('config', 'default')"
            ).fetchall()
            for (url,) in current:
                if url not in listed:
                    tx.execute("UPDATE feeds SET removed = 2 WHERE url = ?", (url,))

    def add_feed(self, feed: Feed, origin: str, now: datetime) -> bool:
        with self.transaction() as tx:
            row = tx.execute("SELECT removed FROM feeds WHERE url = ?", (feed.url,)).fetchone()
            if row is not None and not row["removed"]:
                return False
            tx.execute(
                "INSERT INTO feeds (url, name, interval, backfill, origin, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET removed = 0, name = excluded.name,"
                " interval = excluded.interval, backfill = excluded.backfill, next_check = NULL",
                (feed.url, feed.name, feed.interval, feed.backfill, origin, to_text(now)),
            )
            return True

    def remove_feed(self, url: str) -> bool:
        with self.transaction() as tx:
            cursor = tx.execute(
                "UPDATE feeds SET removed = 1 WHERE url = ? AND removed = 0", (url,)
            )
            return cursor.rowcount > 0

    def feeds(self) -> list[FeedHealth]:
        rows = self.query("SELECT * FROM feeds WHERE removed = 0 ORDER BY url")
        return [_feed_health(row) for row in rows]

    def due_feeds(self, now: datetime) -> list[FeedHealth]:
        rows = self.query(
            "SELECT * FROM feeds WHERE removed = 0 AND (next_check IS NULL OR next_check <= ?)"
            " ORDER BY next_check IS NOT NULL, next_check, url",
            (to_text(now),),
        )
        return [_feed_health(row) for row in rows]

    def next_due(self) -> datetime | None:
        row = self.query(
            "SELECT COUNT(*), MIN(COALESCE(next_check, '')) FROM feeds WHERE removed = 0"
        )[0]
        if not row[0]:
            return None
        return from_text(row[1]) if row[1] else datetime.min.replace(tzinfo=UTC)

    def claim_feeds(self, now: datetime, limit: int) -> list[FeedHealth]:
        """The due feeds this process polls now. One process owns a SQLite file, so no
        lease is needed: every due feed (``limit`` is a batch hint for shared engines)."""
        return self.due_feeds(now)

    @contextmanager
    def exclusive(self, name: str, *, wait: bool = False) -> Iterator[bool]:
        """Run a job on one process at a time: yields True when this one may run it.
        A SQLite file has a single service process, so that is always this one."""
        yield True

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
        with self.transaction() as tx:
            tx.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_checked = ?, last_success = ?,"
                " last_error = NULL, consecutive_failures = 0, next_check = ?,"
                " last_new_item = CASE WHEN ? > 0 THEN ? ELSE last_new_item END,"
                " last_warning = CASE WHEN ? THEN ? ELSE last_warning END WHERE url = ?",
                (
                    validators.etag,
                    validators.last_modified,
                    to_text(now),
                    to_text(now),
                    to_text(next_check),
                    new_items,
                    to_text(now),
                    parsed,  # a 304 says nothing new about the body: keep its warning
                    warning[:500] if warning else None,
                    url,
                ),
            )

    def record_checks(self, checks: Sequence[FeedCheck]) -> None:
        rows = [
            (
                c.validators.etag,
                c.validators.last_modified,
                to_text(c.checked_at),
                to_text(c.checked_at),
                to_text(c.next_check),
                c.url,
            )
            for c in checks
        ]
        with self.transaction() as tx:
            tx.executemany(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_checked = ?, last_success = ?,"
                " last_error = NULL, consecutive_failures = 0, next_check = ? WHERE url = ?",
                rows,
            )

    def record_failure(self, url: str, error: str, now: datetime, next_check: datetime) -> int:
        with self.transaction() as tx:
            tx.execute(
                "UPDATE feeds SET last_checked = ?, last_error = ?,"
                " consecutive_failures = consecutive_failures + 1, next_check = ? WHERE url = ?",
                (to_text(now), error[:500], to_text(next_check), url),
            )
            row = tx.execute(
                "SELECT consecutive_failures FROM feeds WHERE url = ?", (url,)
            ).fetchone()
            return int(row[0]) if row else 0

    # -- items ------------------------------------------------------------
    def filter_new(self, items: Sequence[FeedItem]) -> list[FeedItem]:
        fresh: list[FeedItem] = []
        seen_keys: set[tuple[str, str]] = set()
        seen_urls: set[str] = set()
        with self._lock:
            for item in items:
                key = (item.feed_url, item.guid)
                if key in seen_keys or (item.canonical_url and item.canonical_url in seen_urls):
                    continue
                seen_keys.add(key)
                if item.canonical_url:
                    seen_urls.add(item.canonical_url)
                if not self._item_exists(item):
                    fresh.append(item)
        return fresh

    def _item_exists(self, item: FeedItem) -> bool:
        row = self.query(
            "SELECT 1 FROM items WHERE (feed_url = ? AND guid = ?)"
            " OR (canonical_url != '' AND canonical_url = ?) LIMIT 1",
            (item.feed_url, item.guid, item.canonical_url),
        )
        return bool(row)

    def save_items(self, items: Sequence[Article | Scored], now: datetime) -> list[int | None]:
        with self.transaction() as tx:
            return [tx.insert_item(entry, now) for entry in items]

    def count_items(self) -> int:
        return int(self.query("SELECT COUNT(*) FROM items")[0][0])

    def items(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM items ORDER BY id DESC LIMIT ?", (limit,))


class Transaction(OutboxTx):
    """The connection inside one transaction: statements plus item insertion."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        return self._db.executemany(sql, rows)

    def executescript_in_tx(self, script: str) -> None:
        # executescript() would COMMIT first; run statements one by one instead.
        for statement in _statements(script):
            self._db.execute(statement)

    def insert_item(self, entry: Article | Scored, now: datetime) -> int | None:
        scored = entry if isinstance(entry, Scored) else None
        article = scored.article if scored else entry
        assert isinstance(article, Article)
        item = article.item
        cursor = self.execute(
            "INSERT INTO items (feed_url, guid, canonical_url, url, title, summary, published,"
            " fetched_at, text, text_hash, method, fallback_reason, sitename, language,"
            " score, is_ban, why, model_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING id",
            (
                item.feed_url,
                item.guid,
                item.canonical_url,
                item.url,
                article.title or item.title,
                item.summary,
                to_text(article.published or item.published),
                to_text(article.fetched_at or now),
                article.text,
                text_hash(article.text),
                article.method,
                article.fallback_reason,
                article.sitename,
                article.language,
                scored.score if scored else None,
                int(scored.is_ban) if scored else None,
                json.dumps(list(scored.why)) if scored else None,
                scored.model_version if scored else None,
            ),
        )
        row = cursor.fetchone()
        return int(row[0]) if row else None


def _statements(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement:
                yield statement
    if buffer.strip():
        yield buffer.strip()


_HEALTH_DATES = ("last_checked", "last_success", "next_check", "last_new_item")


def _feed_health(row: sqlite3.Row) -> FeedHealth:
    return record_from_row(FeedHealth, row, dates=_HEALTH_DATES)


def _check_directory(directory: Path) -> None:
    """The state directory exists (made if missing) and this user can create files in it
    (SQLite's WAL needs that even to read). A one-line ``StoreError`` otherwise, naming
    the uid: in the container the service runs as uid 10001, not the volume's owner."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise StoreError(
            f"state: the directory {directory} is not writable by uid {os.getuid()} "
            f"({exc.strerror or exc}); give that user the directory (in the container: "
            "chown 10001:10001 the /data volume) or set state.path elsewhere"
        ) from None


def _wrap(exc: sqlite3.DatabaseError, path: str) -> StoreError:
    message = str(exc)
    if "not a database" in message or "malformed" in message:
        return CorruptStoreError(
            f"state: {path} is not a usable SQLite database ({message}); "
            "it was left untouched — restore a backup or move it aside"
        )
    return StoreError(f"state: {path}: {message}")
