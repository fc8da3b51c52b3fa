"""The store contract (feed bookkeeping, idempotent items) on SQLite and PostgreSQL (the
``store`` fixture), and each engine's migrations and refusal of bad or newer databases."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerting.alerts import _within
from monitor.core.errors import CorruptStoreError, SchemaVersionError
from monitor.core.records import Article, Feed, FeedItem, Scored, Summary, Validators
from state.schema import SCHEMA_VERSION
from state.sqlite import SQLiteStore

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def item(n: int, feed: str = "https://f.example/rss", url: str | None = None) -> FeedItem:
    link = url if url is not None else f"https://news.example/story-{n}"
    return FeedItem(feed, f"guid-{n}", link, link, f"Title {n}", f"Summary {n}", NOW)


def article(it: FeedItem) -> Article:
    return Article(it, it.title, f"Text of {it.title}", NOW, "News", "en", "trafilatura")


def test_new_database_is_migrated_and_wal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3")
    assert store.schema_version == SCHEMA_VERSION
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    store.close()


def test_feed_health_roundtrip_and_due_order(store: SQLiteStore) -> None:
    store.sync_feeds(
        [Feed("https://a.example/rss", "A"), Feed("https://b.example/rss")], "default", NOW
    )
    assert [f.url for f in store.due_feeds(NOW)] == [
        "https://a.example/rss",
        "https://b.example/rss",
    ]
    later = NOW + timedelta(minutes=10)
    store.record_success(
        "https://a.example/rss", Validators('"e1"', "Sat, 01 Mar 2025"), NOW, later, 2
    )
    assert store.record_failure("https://b.example/rss", "timeout: slow", NOW, later) == 1
    assert store.record_failure("https://b.example/rss", "timeout: slow", NOW, later) == 2
    assert store.due_feeds(NOW) == []
    a, b = store.feeds()
    assert (a.etag, a.last_modified, a.last_success, a.last_new_item) == (
        '"e1"',
        "Sat, 01 Mar 2025",
        NOW,
        NOW,
    )
    assert (b.consecutive_failures, b.last_error, b.next_check) == (2, "timeout: slow", later)
    store.record_success("https://b.example/rss", Validators(), later, later, 0, "bozo: & in text")
    assert store.feeds()[1].consecutive_failures == 0
    assert store.feeds()[1].last_warning == "bozo: & in text"
    store.record_success("https://b.example/rss", Validators(), later, later, 0, parsed=False)
    assert store.feeds()[1].last_warning == "bozo: & in text"  # a 304 keeps the warning
    store.record_success("https://b.example/rss", Validators(), later, later, 0)
    assert store.feeds()[1].last_warning is None  # parsed cleanly again
    store.close()


def test_removed_feeds_stay_removed_and_retired_config_feeds_come_back(store: SQLiteStore) -> None:
    a, b = Feed("https://a.example/rss"), Feed("https://b.example/rss")
    store.sync_feeds([a, b], "config", NOW)
    assert store.remove_feed(a.url)
    assert not store.remove_feed("https://unknown.example/")
    store.sync_feeds([a, b], "config", NOW)
    assert [f.url for f in store.feeds()] == [b.url]  # the user's removal sticks
    store.sync_feeds([a], "config", NOW)
    assert store.feeds() == []  # b retired from config
    store.sync_feeds([b], "config", NOW)
    assert [f.url for f in store.feeds()] == [b.url]
    assert store.add_feed(a, "cli", NOW)
    assert not store.add_feed(a, "cli", NOW)
    store.close()


def test_items_are_stored_once(store: SQLiteStore) -> None:
    items = [item(1), item(2)]
    assert store.filter_new(items) == items
    ids = store.save_items([article(i) for i in items], NOW)
    assert all(isinstance(i, int) for i in ids)
    assert store.filter_new(items) == []
    # same story under another feed (same canonical URL) and a re-save are both no-ops
    other_feed = item(1, feed="https://other.example/rss")
    assert store.filter_new([other_feed]) == []
    assert store.save_items([article(items[0])], NOW) == [None]
    # duplicates inside one batch are dropped too
    assert store.filter_new([item(3), item(3)]) == [item(3)]
    assert store.count_items() == 2
    store.close()


def test_scored_items_keep_their_score(store: SQLiteStore) -> None:
    scored = Scored(article(item(9)), 0.91, True, ("banned", "devices"), "m-1")
    store.save_items([scored], NOW)
    row = store.items()[0]
    assert (row["score"], row["is_ban"], row["why"], row["model_version"]) == (
        0.91,
        1,
        '["banned", "devices"]',
        "m-1",
    )
    store.close()


def test_items_without_link_are_keyed_by_guid(store: SQLiteStore) -> None:
    a, b = item(1, url=""), item(2, url="")
    store.save_items([article(a), article(b)], NOW)
    assert store.count_items() == 2
    assert store.filter_new([a, b]) == []
    store.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="refusing to downgrade"):
        SQLiteStore(path)


def test_corrupt_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(CorruptStoreError, match="left untouched"):
        SQLiteStore(path)
    assert path.read_bytes() == garbage


def test_events_near_a_narrower_window_is_a_filter_of_the_wider_read(store: SQLiteStore) -> None:
    """Filing reads the events once with the lifecycle window and narrows them in memory
    (``alerts._within``): the same events, in the same order, as asking the store."""
    t0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
    spans = [(-400, -300), (-9, -8), (-8, -7), (-3, 0), (0, 0), (1, 2), (7, 9), (8, 30)]
    with store.transaction() as tx:
        for n, (first, last) in enumerate(spans):
            at = t0 + timedelta(days=first, microseconds=n * 1000 if n % 2 else 0)
            tx.insert_event(f"ev-{n}", Summary(title=str(n)), at, f"al-{n}")
            tx.add_source(f"ev-{n}", t0 + timedelta(days=last))
        for at in (t0, t0 + timedelta(days=1, seconds=1), t0 - timedelta(days=8, hours=12)):
            for window in (timedelta(0), timedelta(days=1), timedelta(days=7)):
                wide = tx.events_near(at, timedelta(days=365))
                assert _within(wide, at, window) == tx.events_near(at, window)
