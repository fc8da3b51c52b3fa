"""``run_feed`` through the port fakes: no network, no worker process, no model.

The store is the real SQLite one on a temp file (as lemon24/reader tests do); the
fetcher, extractor and scorer are the state-recording fakes of ``tests/support/fakes``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.core.errors import FetchError
from monitor.core.records import Feed, FeedHealth
from monitor.ingest.fetch import ARTICLE_ACCEPT
from monitor.ingest.schedule import Backoff
from monitor.pipeline import Deps, run_cycle, run_feed
from state.sqlite import SQLiteStore
from tests.support.fakes import FakeExtractor, FakeFetcher, FakeScorer

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
FEED = "https://news.example/feed.xml"
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Example</title>
<item><title>Nepal bans TikTok</title><link>https://news.example/a</link>
<guid>a</guid><description>The government bans the app.</description></item>
<item><title>Rain in Paris</title><link>https://news.example/b</link>
<guid>b</guid><description>It rains.</description></item>
</channel></rss>"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    db = SQLiteStore(tmp_path / "state.sqlite3")
    db.add_feed(Feed(FEED), "test", T0)
    yield db
    db.close()


SCORER = FakeScorer(keyword="bans")


def deps(store: SQLiteStore, fetcher: FakeFetcher, extractor: FakeExtractor) -> Deps:
    return Deps(
        store=store,
        fetcher=fetcher,
        extractor=extractor,
        clock=lambda: T0,
        backoff=Backoff(interval=600, max_backoff=3600, jitter=0.0),
        scorer=SCORER,
        rng=random.Random(0),
    )


def test_run_feed_fetches_extracts_scores_and_stores_new_items(store: SQLiteStore) -> None:
    fetcher = FakeFetcher(
        pages={FEED: RSS, "https://news.example/a": b"<html>a</html>"},
        content_types={"https://news.example/a": "text/html"},
        etags={FEED: '"v1"'},
    )
    extractor = FakeExtractor(texts={"https://news.example/a": "Nepal bans TikTok. " * 20})
    d = deps(store, fetcher, extractor)

    run = run_feed(FeedHealth(FEED), d)

    assert (run.status, run.new, run.skipped, run.fallbacks) == ("ok", 2, 0, 1)
    # the feed first, then each article with the article Accept header
    assert [url for url, _ in fetcher.requests] == [
        FEED,
        *(f"https://news.example/{x}" for x in "ab"),
    ]
    assert extractor.seen == ["https://news.example/a"]  # b failed to fetch: summary used
    assert SCORER.scored[-2:] == ["a", "b"]
    rows = store.query("SELECT guid, is_ban, method FROM items ORDER BY guid")
    assert [tuple(r) for r in rows] == [("a", 1, "trafilatura"), ("b", 0, "summary")]
    health = store.feeds()[0]
    assert health.etag == '"v1"' and health.next_check == T0.replace(minute=10)
    assert fetcher.accepts[1:] == [ARTICLE_ACCEPT, ARTICLE_ACCEPT]  # articles ask for HTML


def test_the_page_date_is_asked_for_only_when_the_feed_item_has_none(store: SQLiteStore) -> None:
    dated = RSS.replace(
        b"<guid>a</guid>", b"<guid>a</guid><pubDate>Sat, 01 Mar 2025 11:00:00 GMT</pubDate>"
    )
    links = ["https://news.example/a", "https://news.example/b"]
    fetcher = FakeFetcher(
        pages={FEED: dated, **{u: b"<html></html>" for u in links}},
        content_types={u: "text/html" for u in links},
    )
    extractor = FakeExtractor(texts={u: "Nepal bans TikTok. " * 20 for u in links})

    run_feed(FeedHealth(FEED), deps(store, fetcher, extractor))

    assert list(zip(extractor.seen, extractor.dated, strict=True)) == [
        ("https://news.example/a", False),  # the feed's timestamp is used: no date search
        ("https://news.example/b", True),
    ]


def test_a_second_poll_is_not_modified_and_fetches_no_article(store: SQLiteStore) -> None:
    fetcher = FakeFetcher(pages={FEED: RSS}, etags={FEED: '"v1"'})
    d = deps(store, fetcher, FakeExtractor())
    assert run_feed(FeedHealth(FEED), d).new == 2
    fetcher.requests.clear()

    run = run_feed(store.feeds()[0], d)

    assert run.status == "not_modified" and run.new == 0
    assert fetcher.requests == [(FEED, fetcher.requests[0][1])]  # only the feed itself
    assert fetcher.requests[0][1] is not None and fetcher.requests[0][1].etag == '"v1"'


def test_known_items_are_dropped_before_any_article_is_downloaded(store: SQLiteStore) -> None:
    fetcher = FakeFetcher(pages={FEED: RSS})  # no validators: the feed is fetched again
    d = deps(store, fetcher, FakeExtractor())
    run_feed(FeedHealth(FEED), d)
    fetcher.requests.clear()

    run = run_feed(store.feeds()[0], d)

    assert (run.status, run.new, run.skipped) == ("ok", 0, 2)
    assert [url for url, _ in fetcher.requests] == [FEED]


def test_a_failing_feed_is_an_error_run_with_a_backoff(store: SQLiteStore) -> None:
    fetcher = FakeFetcher(pages={FEED: FetchError(FEED, "connection refused")})
    run = run_feed(FeedHealth(FEED), deps(store, fetcher, FakeExtractor()))
    assert run.status == "error" and run.error and "connection refused" in run.error
    health = store.feeds()[0]
    assert health.consecutive_failures == 1 and health.next_check and health.next_check > T0
    assert store.count_items() == 0


def test_a_cycle_scores_changed_feeds_together_and_files_each_feed(store: SQLiteStore) -> None:
    other = "https://other.example/feed.xml"
    store.add_feed(Feed(other), "test", T0)
    rss = RSS.replace(b"<guid>a", b"<guid>c").replace(b"<guid>b", b"<guid>d")
    fetcher = FakeFetcher(pages={FEED: RSS, other: rss.replace(b"news.example", b"other.example")})
    scorer = FakeScorer(keyword="bans")
    d = deps(store, fetcher, FakeExtractor())
    d.scorer, d.score_linger = scorer, 60.0  # the batch closes when the cycle has polled all

    report = run_cycle(d)

    assert scorer.calls == [4]  # both feeds' new items in one model call
    assert sorted((r.feed_url, r.status, r.new) for r in report.runs) == [
        (FEED, "ok", 2),
        (other, "ok", 2),
    ]
    rows = store.query("SELECT guid, is_ban FROM items ORDER BY guid")
    assert [tuple(r) for r in rows] == [("a", 1), ("b", 0), ("c", 1), ("d", 0)]
    assert all(f.last_success == T0 for f in store.feeds())
