"""PostgreSQL implementation of the ``Store`` protocol, for several replicas on one database.

It reuses every query of ``SQLiteStore`` (the SQL is written for both engines; ``?`` marks
become ``%s`` here) and replaces the plumbing: a psycopg connection pool (autocommit
connections; ``transaction()`` is an explicit ``BEGIN``/``COMMIT``), numbered migrations
(``state.pgschema``) applied under a transaction-scoped advisory lock, so replicas starting
together migrate once; a schema newer than this code is refused.

Coordination between replicas (all state is committed, so a replica killed at any point
holds nothing once its lease expires or its connections drop):
- ``claim_feeds``: due feeds are leased with ``FOR UPDATE SKIP LOCKED`` and a committed
  owner/expiry; a finished poll (``last_checked > lease_at``) ends the lease early;
- ``exclusive(name)``: a session advisory lock on a connection held for the block (never
  left on a pooled connection: it is unlocked before the connection goes back);
- filing ban items under events takes a transaction advisory lock, so two replicas never
  open two events for one story;
- model archives are stored in ``model_files``; a replica that lacks a registered file
  writes it to its own ``model_dir`` from the database.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from monitor.core.errors import SchemaVersionError, StoreError
from monitor.core.records import FeedHealth, FeedItem
from state.codec import to_text
from state.labels import ModelRecord
from state.outbox import StoredEvent, StoredStory
from state.pgschema import TRACKS, migration
from state.pgsql import pg_sql, redact_url, row_factory
from state.sqlite import SQLiteStore, Transaction, _feed_health


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name."""
    digest = hashlib.sha256(f"appban-monitor:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresStore(SQLiteStore):
    """``Store`` on a PostgreSQL database (``postgresql://user:pass@host/db``)."""

    def __init__(
        self,
        url: str,
        *,
        lease: float = 600.0,
        pool_size: int = 10,
        model_dir: Path | None = None,
        owner: str | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        self.path = redact_url(url)  # what messages show: never the password
        self.lease = timedelta(seconds=lease)
        self.model_dir = model_dir
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(2, pool_size),
            kwargs={"autocommit": True, "row_factory": row_factory},
            check=ConnectionPool.check_connection,
            open=False,
            name="monitor",
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
            self._migrate()
        except psycopg.Error as exc:
            self._pool.close()
            raise self._wrap(exc) from None

    # -- plumbing ---------------------------------------------------------
    def _wrap(self, exc: psycopg.Error) -> StoreError:
        return StoreError(f"state: {self.path}: {redact_url(str(exc)).strip()}")

    def _migrate(self) -> None:
        with self.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (lock_key("migrate"),))
            tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (track TEXT NOT NULL,"
                " version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (track, version))"
            )
            applied = _versions(tx)
            for track, latest in TRACKS.items():
                if applied.get(track, 0) > latest:
                    raise SchemaVersionError(
                        f"state: {self.path} has {track} schema version {applied[track]}, newer"
                        f" than this appban-monitor understands ({latest}); refusing to"
                        " downgrade. Run the newer version or restore a backup."
                    )
            for track, latest in TRACKS.items():
                for number in range(applied.get(track, 0) + 1, latest + 1):
                    tx.executescript_in_tx(migration(track, number))
                    tx.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, CAST(now() AS TEXT))",
                        (track, number),
                    )

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        try:
            with self._pool.connection() as conn, conn.transaction():
                yield PgTransaction(conn)
        except psycopg.Error as exc:
            raise self._wrap(exc) from None

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        try:
            with self._pool.connection() as conn:
                return conn.execute(pg_sql(sql), params).fetchall()
        except psycopg.Error as exc:
            raise self._wrap(exc) from None

    @property
    def schema_version(self) -> int:
        return _versions_of(self.query("SELECT track, MAX(version) FROM schema_migrations"
                                       " GROUP BY track")).get("core", 0)  # fmt: skip

    def close(self) -> None:
        self._pool.close()

    # -- replicas -----------------------------------------------------------
    def claim_feeds(self, now: datetime, limit: int) -> list[FeedHealth]:
        """Lease up to ``limit`` due feeds to this replica (see the module docstring)."""
        rows = self.query(
            "UPDATE feeds SET lease_owner = ?, lease_at = ?, lease_until = ? WHERE url IN ("
            " SELECT url FROM feeds WHERE removed = 0 AND (next_check IS NULL OR next_check <= ?)"
            " AND (lease_until IS NULL OR lease_until <= ? OR last_checked > lease_at)"
            " ORDER BY next_check IS NOT NULL, next_check, url LIMIT ? FOR UPDATE SKIP LOCKED)"
            " RETURNING *",
            (self.owner, to_text(now), to_text(now + self.lease), to_text(now), to_text(now),
             limit),
        )  # fmt: skip
        feeds = [_feed_health(row) for row in rows]
        return sorted(feeds, key=lambda f: (f.next_check is not None, f.next_check or now, f.url))

    @contextmanager
    def exclusive(self, name: str, *, wait: bool = False) -> Iterator[bool]:
        key = lock_key(name)
        try:
            with self._pool.connection() as conn:
                if wait:
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                    held = True
                else:
                    got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                    held = bool(got and got[0])
                try:
                    yield held
                finally:
                    if held:
                        conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        except psycopg.Error as exc:
            raise self._wrap(exc) from None

    # -- items: one round trip per feed instead of one per item ---------------
    def filter_new(self, items: Sequence[FeedItem]) -> list[FeedItem]:
        if not items:
            return []
        rows = self.query(
            "SELECT feed_url, guid, canonical_url FROM items WHERE (feed_url, guid) IN"
            " (SELECT * FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[])))"
            " OR (canonical_url != '' AND canonical_url = ANY(CAST(? AS TEXT[])))",
            ([i.feed_url for i in items], [i.guid for i in items],
             [i.canonical_url for i in items if i.canonical_url]),
        )  # fmt: skip
        known_keys = {(r[0], r[1]) for r in rows}
        known_urls = {r[2] for r in rows if r[2]}
        fresh: list[FeedItem] = []
        for item in items:
            key, url = (item.feed_url, item.guid), item.canonical_url
            if key in known_keys or (url and url in known_urls):
                continue
            known_keys.add(key)
            if url:
                known_urls.add(url)
            fresh.append(item)
        return fresh

    # -- model archives shared through the database ---------------------------
    def register_model(self, record: ModelRecord) -> None:
        path = Path(record.path)
        if path.is_file():
            data = path.read_bytes()
            self.execute_write(
                "INSERT INTO model_files (version, sha256, data) VALUES (?, ?, ?)"
                " ON CONFLICT (version) DO NOTHING",
                (record.version, hashlib.sha256(data).hexdigest(), data),
            )
        super().register_model(record)

    def model(self, version: str) -> ModelRecord | None:
        found = super().model(version)
        return self._local(found) if found else None

    def active_model(self) -> ModelRecord | None:
        found = super().active_model()
        return self._local(found) if found else None

    def _local(self, record: ModelRecord) -> ModelRecord:
        """The record with a path on this machine (written from the database if missing)."""
        if Path(record.path).exists() or self.model_dir is None:
            return record
        target = self.model_dir / f"{record.version}.skops"
        if not target.exists():
            rows = self.query("SELECT sha256, data FROM model_files WHERE version = ?",
                              (record.version,))  # fmt: skip
            if not rows or hashlib.sha256(rows[0][1]).hexdigest() != rows[0][0]:
                return record
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}")
            tmp.write_bytes(bytes(rows[0][1]))
            os.replace(tmp, target)
        return replace(record, path=str(target))


class PgTransaction(Transaction):
    """One PostgreSQL transaction with the shared statements of ``Transaction``."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        return self._conn.execute(pg_sql(sql), params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        with self._conn.cursor() as cursor:
            cursor.executemany(pg_sql(sql), list(rows))
            return cursor

    def executescript_in_tx(self, script: str) -> None:
        self._conn.execute(script.encode())  # no parameters: the script runs as written

    def stories_near(self, at: datetime, window: timedelta) -> list[StoredStory]:
        self._filing_lock()
        return super().stories_near(at, window)

    def events_near(self, at: datetime, window: timedelta) -> list[StoredEvent]:
        self._filing_lock()
        return super().events_near(at, window)

    def _filing_lock(self) -> None:
        # Filing is read-decide-write: one replica at a time, until this transaction ends
        # (taking it again in the same transaction is a no-op).
        self.execute("SELECT pg_advisory_xact_lock(?)", (lock_key("events"),))


def _versions(tx: Transaction) -> dict[str, int]:
    rows = tx.execute("SELECT track, MAX(version) FROM schema_migrations GROUP BY track")
    return _versions_of(rows.fetchall())


def _versions_of(rows: Sequence[Any]) -> dict[str, int]:
    return {str(r[0]): int(r[1]) for r in rows}
