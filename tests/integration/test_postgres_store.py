"""PostgreSQL only: migrations (same columns as SQLite, once, under a lock, newer refused),
feed leases, one-at-a-time jobs, model files shared through the database, redaction."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from monitor.core.errors import SchemaVersionError, StoreError
from monitor.core.records import Feed, Validators
from state.labels import ModelRecord
from state.pgschema import TRACKS
from state.pgsql import redact_url
from state.postgres import PostgresStore
from state.schema import SCHEMA_VERSION
from state.sqlite import SQLiteStore

pytestmark = pytest.mark.postgres
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FEEDS = [Feed(f"https://f{n}.example/rss") for n in range(6)]


def columns_pg(url: str) -> dict[str, set[str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


def test_schema_has_every_sqlite_column(pg_url: str, tmp_path: Path) -> None:
    PostgresStore(pg_url).close()
    SQLiteStore(tmp_path / "s.sqlite3").close()
    with sqlite3.connect(tmp_path / "s.sqlite3") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        lite = {
            t: {r[1] for r in db.execute(f"PRAGMA table_info({t})")}
            for t in tables
            if not t.startswith("sqlite_")
        }
    pg = columns_pg(pg_url)
    for table, names in lite.items():
        assert names <= pg[table], table


def test_replicas_starting_together_migrate_once(pg_url: str) -> None:
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(pg_url, pool_size=2))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = stores[0].query("SELECT track, version, COUNT(*) FROM schema_migrations"
                           " GROUP BY track, version")  # fmt: skip
    assert sorted((r[0], r[1]) for r in rows if r[2] == 1) == sorted(
        (track, n) for track, latest in TRACKS.items() for n in range(1, latest + 1)
    )
    assert stores[0].schema_version == SCHEMA_VERSION
    for store in stores:
        store.close()


def test_newer_schema_is_refused(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    store.execute_write("INSERT INTO schema_migrations VALUES ('core', ?, 'x')",
                        (SCHEMA_VERSION + 1,))  # fmt: skip
    store.close()
    with pytest.raises(SchemaVersionError, match="refusing to downgrade"):
        PostgresStore(pg_url)


def test_unreachable_server_is_a_store_error_without_the_password() -> None:
    from tests.support.pgcluster import free_port

    url = f"postgresql://monitor:hunter2@127.0.0.1:{free_port()}/x"
    with pytest.raises(StoreError) as caught:
        PostgresStore(url, connect_timeout=1.0)
    assert "hunter2" not in str(caught.value)
    assert redact_url(url) == url.replace("hunter2", "***")


def test_leases_split_due_feeds_and_expire(pg_url: str) -> None:
    a = PostgresStore(pg_url, lease=60, owner="a")
    b = PostgresStore(pg_url, lease=60, owner="b")
    a.sync_feeds(FEEDS, "config", NOW)
    first = a.claim_feeds(NOW, 4)
    second = b.claim_feeds(NOW, 4)
    assert len(first) == 4 and len(second) == 2
    assert {f.url for f in first}.isdisjoint(f.url for f in second)
    assert b.claim_feeds(NOW, 4) == []  # all leased, none polled yet
    polled = NOW + timedelta(seconds=1)
    for feed in second:  # b polled its feeds: due again at once (as if the interval were 0)
        b.record_success(feed.url, Validators(), polled, NOW, 0)
    assert {f.url for f in a.claim_feeds(polled, 10)} == {f.url for f in second}
    # a dies before recording its first four: after the lease time b takes them over
    assert b.claim_feeds(NOW + timedelta(seconds=59), 10) == []
    late = b.claim_feeds(NOW + timedelta(seconds=61), 10)
    assert {f.url for f in late} == {f.url for f in FEEDS}
    a.close()
    b.close()


def test_exclusive_runs_on_one_store_at_a_time_and_is_released(pg_url: str) -> None:
    a, b = PostgresStore(pg_url, pool_size=2), PostgresStore(pg_url, pool_size=2)
    with a.exclusive("drain") as held_a:
        with b.exclusive("drain") as held_b:
            assert (held_a, held_b) == (True, False)
        with b.exclusive("digest") as other:
            assert other
    with b.exclusive("drain") as held_b:
        assert held_b
    with a.exclusive("first_model", wait=True) as waited:  # the blocking form is released too
        assert waited
    with b.exclusive("first_model") as after_wait:
        assert after_wait
    # the lock never stays behind on a pooled connection: every connection can take it
    for _ in range(4):
        with a.exclusive("drain") as again:
            assert again
    a.close()
    b.close()


def test_model_files_reach_a_replica_without_the_file(pg_url: str, tmp_path: Path) -> None:
    made = tmp_path / "one" / "v1.skops"
    made.parent.mkdir()
    made.write_bytes(b"model bytes")
    one = PostgresStore(pg_url, model_dir=tmp_path / "one")
    one.register_model(ModelRecord("v1", str(made), "active", NOW, "sha"))
    made.unlink()  # the other replica's disk: the file is not there
    two = PostgresStore(pg_url, model_dir=tmp_path / "two")
    active = two.active_model()
    assert active is not None and Path(active.path) == tmp_path / "two" / "v1.skops"
    assert Path(active.path).read_bytes() == b"model bytes"
    one.close()
    two.close()
