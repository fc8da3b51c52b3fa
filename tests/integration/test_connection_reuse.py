"""Connection reuse: each host's due feeds run back to back on kept-alive connections."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from monitor.core.errors import ExtractError
from monitor.core.records import Extracted, Feed, FeedHealth
from monitor.ingest import schedule
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.pipeline import Deps, host_lanes, run_cycle
from state.sqlite import SQLiteStore
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import rss

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class NoExtractor:
    def extract(self, html: str, url: str) -> Extracted:
        raise ExtractError("no pages in this test")


def test_lanes_group_each_host_and_keep_due_order() -> None:
    feeds = [FeedHealth(f"http://h{n % 3}.example/{n}") for n in range(9)]
    lanes = host_lanes(feeds, per_host=2)
    assert sorted(f.url for lane in lanes for f in lane) == sorted(f.url for f in feeds)
    for lane in lanes:
        assert len({f.url.split("/")[2] for f in lane}) == 1  # one host per lane
        assert lane == sorted(lane, key=feeds.index)
    assert len(lanes) == 6  # 3 hosts x 2 lanes
    assert [lane[0] for lane in lanes] == feeds[:6]  # the most overdue start first


def test_a_steady_cycle_reuses_kept_alive_connections(tmp_path: Path) -> None:
    with LocalServer() as server:
        server.set("/f", Route(body=rss([]), headers={"Content-Type": "application/rss+xml"}))
        server.set("/f304", Route(status=304, headers={"ETag": '"x"'}))
        port = server.url.rsplit(":", 1)[1]
        urls = [f"http://{h}:{port}/f?{n}" for n in range(20) for h in ("127.0.0.1", "localhost")]
        store = SQLiteStore(tmp_path / "s.sqlite3")
        store.sync_feeds([Feed(u) for u in urls], "config", NOW)
        limits = FetchLimits(allow_private_addresses=True, concurrency=4, per_host=2, keepalive=4)
        with Fetcher(limits) as fetcher:
            deps = Deps(store, fetcher, NoExtractor(), lambda: NOW, schedule.Backoff(60, 600),
                        concurrency=4, per_host=2, rng=random.Random(1))  # fmt: skip
            first = run_cycle(deps, store.feeds())
            assert {r.status for r in first.runs} == {"ok"}
            assert [r.feed_url for r in first.runs] == [f.url for f in store.feeds()]
            opened = server.accepted
            assert opened <= 4  # 2 hosts x 2 lanes, each on one connection
            run_cycle(deps, store.feeds())
            assert server.accepted == opened  # the second cycle opened none
        store.close()
