"""The robustness rig: the real pipeline (SQLite, guarded fetcher, extraction workers) over
local servers, one cycle at a time, with every feed's health read back from the store.

``rig.feed(url)`` registers a feed; ``rig.cycle()`` runs ``run_cycle`` over the due feeds
and returns ``{feed_url: FeedRun}``; ``rig.health(url)`` is what the store remembers.
The extractor (worker processes) is shared by the whole module to keep tests fast.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.core.records import Feed, FeedHealth, FeedRun
from monitor.ingest import schedule
from monitor.ingest.extract import Extractor
from monitor.ingest.fetch import Fetcher, FetchLimits
from monitor.pipeline import Deps, run_cycle
from state.sqlite import SQLiteStore

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Rig:
    store: SQLiteStore
    deps: Deps
    fetcher: Fetcher
    last: dict[str, FeedRun] = field(default_factory=dict)

    def feed(self, url: str) -> str:
        self.store.add_feed(Feed(url), "cli", utcnow())
        return url

    def cycle(self) -> dict[str, FeedRun]:
        report = run_cycle(self.deps)
        self.last = {run.feed_url: run for run in report.runs}
        return self.last

    def health(self, url: str) -> FeedHealth:
        return next(f for f in self.store.feeds() if f.url == url)

    def items(self, feed_url: str) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM items WHERE feed_url = ? ORDER BY id", (feed_url,))
        return [dict(row) for row in rows]


@pytest.fixture(scope="module")
def extractor() -> Iterator[Extractor]:
    with Extractor(timeout=5.0, workers=2) as shared:
        yield shared


def make_rig(
    tmp_path: Path,
    extractor: Extractor,
    *,
    timeout: float = 3.0,
    max_bytes: int = 1_000_000,
    max_items: int = 20,
    allow_private: bool = True,
    concurrency: int = 4,
    store_timeout: float = 5.0,
    **fetcher_options: Any,
) -> Rig:
    """``fetcher_options``: ``resolver`` / ``network`` for a fake DNS (see Fetcher)."""
    store = SQLiteStore(tmp_path / "state.sqlite3", timeout=store_timeout)
    limits = FetchLimits(
        timeout=timeout,
        max_bytes=max_bytes,
        allow_private_addresses=allow_private,
        concurrency=concurrency,
        per_host=concurrency,
    )
    fetcher = Fetcher(limits, **fetcher_options)
    deps = Deps(
        store=store,
        fetcher=fetcher,
        extractor=extractor,
        clock=utcnow,
        backoff=schedule.Backoff(900.0, 3600.0),
        concurrency=concurrency,
        max_items=max_items,
        rng=random.Random(7),
    )
    return Rig(store, deps, fetcher)


@pytest.fixture
def rig(tmp_path: Path, extractor: Extractor) -> Iterator[Rig]:
    built = make_rig(tmp_path, extractor)
    yield built
    built.fetcher.close()
    built.store.close()
