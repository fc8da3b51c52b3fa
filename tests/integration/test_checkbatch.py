"""304 write-behind: batches are one transaction each; a crash loses nothing but a poll."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.core.records import Feed, FeedCheck, Validators
from state.checkbatch import CheckBatch
from state.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
URLS = [f"https://h{n % 3}.example/feed/{n}" for n in range(20)]


def check(url: str) -> FeedCheck:
    return FeedCheck(url, Validators('"new"', None), NOW, NOW + timedelta(minutes=15))


def make_store(path: Path) -> SQLiteStore:
    store = SQLiteStore(path)
    store.sync_feeds([Feed(u) for u in URLS], "config", NOW)
    return store


def test_checks_are_written_in_batches_and_flush_writes_the_rest(tmp_path: Path) -> None:
    store = make_store(tmp_path / "s.sqlite3")
    batches: list[int] = []

    def write(rows: Sequence[FeedCheck]) -> None:
        batches.append(len(rows))
        store.record_checks(rows)

    batch = CheckBatch(write, max_rows=1000, max_delay=60.0)
    try:
        for url in URLS:
            batch.add(check(url))
        assert store.due_feeds(NOW) != []  # queued, not written yet
        assert batch.flush() == 20
        assert batches == [20]
        assert store.due_feeds(NOW) == []
        assert {f.etag for f in store.feeds()} == {'"new"'}
        assert {f.next_check for f in store.feeds()} == {NOW + timedelta(minutes=15)}
    finally:
        batch.close()
        store.close()


def test_a_full_batch_is_written_in_the_background(tmp_path: Path) -> None:
    store = make_store(tmp_path / "s.sqlite3")
    batch = CheckBatch(store.record_checks, max_rows=5, max_delay=60.0)
    try:
        for url in URLS[:5]:
            batch.add(check(url))
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while batch.pending() and datetime.now(UTC) < deadline:
            pass
        assert batch.pending() == 0
        assert len(store.due_feeds(NOW)) == 15
    finally:
        batch.close()
        store.close()


CRASH = textwrap.dedent(
    """
    import os, sys
    from datetime import UTC, datetime, timedelta
    sys.path.insert(0, {root!r})
    from tests.integration.test_checkbatch import URLS, check, make_store
    from state.checkbatch import CheckBatch
    store = make_store({db!r})
    # die inside the second batch's transaction, after some of its rows were updated
    store._db.create_function("crash", 0, lambda: os._exit(9))
    store._db.execute(
        "CREATE TEMP TRIGGER die AFTER UPDATE ON feeds WHEN NEW.url = ?"
        " BEGIN SELECT crash(); END".replace("?", repr(URLS[13]))
    )
    batch = CheckBatch(store.record_checks, max_rows=10_000, max_delay=3600)
    for url in URLS[:10]:
        batch.add(check(url))
    batch.flush()
    for url in URLS[10:]:
        batch.add(check(url))
    batch.flush()
    print("survived")
    """
)


def test_a_crash_mid_batch_loses_nothing_but_a_poll(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    script = CRASH.format(root=str(ROOT), db=str(db))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == 9, proc.stderr.decode()
    store = SQLiteStore(db)
    try:
        assert store.query("PRAGMA integrity_check")[0][0] == "ok"
        by_url = {f.url: f for f in store.feeds()}
        written = [u for u in URLS if by_url[u].etag == '"new"']
        assert written == URLS[:10]  # the committed batch, whole
        due = {f.url for f in store.due_feeds(NOW)}
        assert due == set(URLS[10:])  # the lost batch, whole: polled again, nothing half-done
        assert all(by_url[u].last_success is None for u in URLS[10:])
    finally:
        store.close()
