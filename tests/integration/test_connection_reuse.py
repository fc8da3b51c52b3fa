"""The feed poller: one asyncio loop, kept-alive connections per host, feeds taken lazily,
every answer (errors included) handed back rather than raised."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from monitor.core.errors import BlockedAddressError, ExtractError, FetchError
from monitor.core.records import Extracted, Feed, FeedHealth, FetchedPage, NotModified
from monitor.ingest import schedule
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.ingest.poller import FeedPoller
from monitor.pipeline import Deps, interleave_hosts, run_cycle
from state.sqlite import SQLiteStore
from tests.support.httpserver import LocalServer, Route, serve
from tests.support.pages import rss

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class NoExtractor:
    def extract(self, html: str, url: str, *, with_date: bool = True) -> Extracted:
        raise ExtractError("no pages in this test")


def test_hosts_take_turns_in_due_order() -> None:
    feeds = [FeedHealth(f"http://h{n // 3}.example/{n}") for n in range(9)]  # grouped by host
    turns = interleave_hosts(feeds)
    assert sorted(f.url for f in turns) == sorted(f.url for f in feeds)
    assert [f.url.split("/")[2] for f in turns[:3]] == ["h0.example", "h1.example", "h2.example"]
    for host in ("h0", "h1", "h2"):
        own = [f for f in turns if f.url.startswith(f"http://{host}.")]
        assert own == sorted(own, key=feeds.index)  # each host's feeds keep their due order
    assert turns[0] == feeds[0]  # the most overdue starts


def test_a_steady_cycle_reuses_kept_alive_connections(tmp_path: Path) -> None:
    with LocalServer() as server:
        server.set("/f", Route(body=rss([]), headers={"Content-Type": "application/rss+xml"},
                               etag='"x"'))  # fmt: skip
        port = server.url.rsplit(":", 1)[1]
        urls = [f"http://{h}:{port}/f?{n}" for n in range(20) for h in ("127.0.0.1", "localhost")]
        store = SQLiteStore(tmp_path / "s.sqlite3")
        store.sync_feeds([Feed(u) for u in urls], "config", NOW)
        limits = FetchLimits(allow_private_addresses=True, concurrency=4, per_host=2)
        with Fetcher(limits) as fetcher, FeedPoller(limits) as poller:
            deps = Deps(store, fetcher, NoExtractor(), lambda: NOW, schedule.Backoff(60, 600),
                        poller=poller, concurrency=4, per_host=2, rng=random.Random(1))  # fmt: skip
            first = run_cycle(deps, store.feeds())
            assert {r.status for r in first.runs} == {"ok"}
            assert [r.feed_url for r in first.runs] == [f.url for f in store.feeds()]
            opened = server.accepted
            assert opened <= 4  # 2 hosts x 2 in flight, each on one connection
            second = run_cycle(deps, store.feeds())
            assert {r.status for r in second.runs} == {"not_modified"}
            assert server.accepted == opened  # the second cycle opened none
            assert server.in_flight_peak <= 4
        store.close()


def test_the_poller_takes_feeds_lazily_and_answers_every_one() -> None:
    pulled: list[str] = []
    with LocalServer() as server:
        server.set("/f", Route(status=304, headers={"ETag": '"x"'}))

        def feeds() -> Iterator[FeedHealth]:
            for n in range(100):
                pulled.append(str(n))
                yield FeedHealth(server.url_for(f"/f?{n}"), etag='"x"')

        limits = FetchLimits(allow_private_addresses=True, concurrency=2, per_host=2)
        with FeedPoller(limits) as poller:
            answers = poller.poll(feeds())
            first = next(answers)
            assert len(pulled) <= 8  # a window of a few times the concurrency, not all 100
            rest = list(answers)
    assert isinstance(first[1], NotModified)
    assert sorted(f.url for f, _ in [first, *rest]) == sorted(
        server.url_for(f"/f?{n}") for n in range(100)
    )
    assert all(isinstance(outcome, NotModified) for _, outcome in rest)


def test_poll_answers_errors_and_refuses_private_addresses() -> None:
    for server in serve():
        server.set("/ok", Route(body=b"<rss/>"))
        feeds = [
            FeedHealth(server.url_for("/ok")),
            FeedHealth(f"http://localhost:{server.port}/ok"),
            FeedHealth("file:///etc/passwd"),
        ]
        with FeedPoller(FetchLimits(allow_private_addresses=False, timeout=5.0)) as poller:
            answers = dict((f.url, outcome) for f, outcome in poller.poll(feeds))
        assert all(isinstance(a, BlockedAddressError) for a in answers.values())
        assert "localhost resolves to 127.0.0.1 (loopback)" in str(answers[feeds[1].url])
        assert server.requests == []  # no connection reached the private address
        with FeedPoller(FetchLimits(allow_private_addresses=True, timeout=5.0)) as poller:
            allowed = dict((f.url, outcome) for f, outcome in poller.poll(feeds))
        assert isinstance(allowed[feeds[0].url], FetchedPage)
        assert isinstance(allowed[feeds[2].url], FetchError)  # the scheme stays refused


def test_page_fetches_do_not_wait_behind_feed_polls() -> None:
    with LocalServer() as server:
        server.set("/slow.xml", Route(body=b"<rss/>", delay=1.0))
        server.set("/page", Route(body=b"<html></html>"))
        limits = FetchLimits(allow_private_addresses=True, concurrency=1, per_host=2)
        with FeedPoller(limits) as poller:
            polls = poller.poll([FeedHealth(server.url_for("/slow.xml"))])
            with ThreadPoolExecutor(1) as pool:
                polled = pool.submit(list, polls)
                while not server.requests_for("/slow.xml"):  # the poll is in flight
                    time.sleep(0.01)
                page = poller.fetch(server.url_for("/page"))
                assert isinstance(page, FetchedPage)
                assert isinstance(polled.result()[0][1], FetchedPage)
        assert server.in_flight_peak == 2  # the page was fetched while the poll was in flight
