"""The pipeline: one feed through every stage, and one cycle over all due feeds.

``run_feed`` reads top to bottom like the product: fetch the feed (conditional
GET) -> parse -> drop items already known (before any article is downloaded)
-> fetch and extract each new article (falling back to the feed summary) ->
score -> store items and alerts in one transaction -> record the feed's health.
A failing feed yields a ``FeedRun`` with status "error" and a backoff; it never
stops the cycle. Only a ``StoreError`` (the database is unusable) propagates.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from monitor.core.errors import ExtractError, FetchError, HTTPStatusError, ParseError, StoreError
from monitor.core.logs import log_event
from monitor.core.ports import ExtractorPort, FetcherPort, ScorerPort
from monitor.core.records import (
    Article,
    CycleReport,
    FeedHealth,
    FeedItem,
    FeedRun,
    NotModified,
    Scored,
    Validators,
)
from monitor.ingest import schedule
from monitor.ingest.extract import build_article, decode_html
from monitor.ingest.feeds import parse_feed
from monitor.ingest.fetch import ARTICLE_ACCEPT
from state.store import Store

log = logging.getLogger("monitor.pipeline")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})


class Ingest:
    """Stores a feed's new articles; the alerting stage replaces it with one that also
    writes alerts in the same transaction. Returns how many alerts were created."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self, entries: Sequence[Article | Scored], now: datetime) -> tuple[int, int]:
        ids = self.store.save_items(entries, now)
        return sum(1 for i in ids if i is not None), 0


@dataclass
class Deps:
    """Everything a cycle needs, wired by ``monitor.bootstrap``."""

    store: Store
    fetcher: FetcherPort
    extractor: ExtractorPort
    clock: Callable[[], datetime]
    backoff: schedule.Backoff
    scorer: ScorerPort | None = None
    ingest: Callable[[Sequence[Article | Scored], datetime], tuple[int, int]] | None = None
    concurrency: int = 8
    max_items: int = 100
    rng: random.Random = field(default_factory=random.Random)
    stop: threading.Event = field(default_factory=threading.Event)
    monotonic: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.ingest is None:
            self.ingest = Ingest(self.store)


def run_feed(feed: FeedHealth, deps: Deps) -> FeedRun:
    started, now = deps.monotonic(), deps.clock()
    policy = _policy_for(feed, deps.backoff)
    try:
        answer = deps.fetcher.fetch(feed.url, Validators(feed.etag, feed.last_modified))
        if isinstance(answer, NotModified):
            validators = Validators(
                answer.etag or feed.etag, answer.last_modified or feed.last_modified
            )
            next_check = schedule.after_success(policy, now, deps.rng)
            deps.store.record_success(feed.url, validators, now, next_check, 0, parsed=False)
            return FeedRun(
                feed.url, "not_modified", elapsed=deps.monotonic() - started, next_check=next_check
            )
        parsed = parse_feed(answer, max_items=deps.max_items)
    except (FetchError, ParseError) as exc:
        return _failed(feed, deps, policy, exc, now, started)
    fresh = deps.store.filter_new(parsed.items)
    articles = [fetch_article(item, deps) for item in fresh if not deps.stop.is_set()]
    if deps.stop.is_set():  # abandon: nothing of this feed is stored, it is redone next time
        return FeedRun(feed.url, "skipped", error="shutting down")
    entries: Sequence[Article | Scored] = deps.scorer.score(articles) if deps.scorer else articles
    assert deps.ingest is not None
    stored, alerted = deps.ingest(entries, now)
    next_check = schedule.after_success(policy, now, deps.rng)
    validators = Validators(answer.etag, answer.last_modified)
    deps.store.record_success(feed.url, validators, now, next_check, stored, parsed.warning)
    return FeedRun(
        feed.url,
        "ok",
        new=stored,
        skipped=len(parsed.items) - len(fresh),
        alerted=alerted,
        warning=parsed.warning,
        elapsed=deps.monotonic() - started,
        next_check=next_check,
        fallbacks=sum(1 for a in articles if a.method == "summary"),
    )


def fetch_article(item: FeedItem, deps: Deps) -> Article:
    """The article for one item: extracted text, or the feed summary and the reason why."""
    now = deps.clock()
    if not item.url:
        return build_article(item, None, None, "no link in feed item", now)
    try:
        page = deps.fetcher.fetch(item.url, accept=ARTICLE_ACCEPT)
    except FetchError as exc:
        return build_article(item, None, None, f"fetch failed: {exc}", now)
    if isinstance(page, NotModified):  # no validators were sent, so this is a server oddity
        return build_article(item, None, None, "fetch failed: unexpected 304", now)
    if page.content_type not in HTML_TYPES:
        return build_article(item, page, None, f"not html: {page.content_type}", now)
    try:
        extracted = deps.extractor.extract(decode_html(page.body, page.charset), page.final_url)
    except ExtractError as exc:
        return build_article(item, page, None, f"extraction failed: {exc}", now)
    return build_article(item, page, extracted, None, now)


CLAIM_PER_WORKER = 4  # feeds claimed per batch and fetch worker (replicas share the rest)


def run_cycle(deps: Deps, feeds: Sequence[FeedHealth] | None = None) -> CycleReport:
    """Poll every due feed (or the given ones) concurrently; one log line per feed.

    Due feeds are claimed in batches (``Store.claim_feeds``): on a shared database each
    batch is leased to this replica, so replicas split a cycle's feeds between them."""
    started = deps.clock()
    runs: list[FeedRun] = []
    seen: set[str] = set()
    with ThreadPoolExecutor(
        max_workers=max(1, deps.concurrency), thread_name_prefix="feed"
    ) as pool:
        batch = list(feeds) if feeds is not None else _claim(deps, started, seen)
        while batch:
            runs += pool.map(lambda feed: _guarded(feed, deps), batch)
            if feeds is not None or deps.stop.is_set():
                break
            batch = _claim(deps, started, seen)
    return CycleReport(started=started, finished=deps.clock(), runs=tuple(runs))


def _claim(deps: Deps, now: datetime, seen: set[str]) -> list[FeedHealth]:
    """The next batch of due feeds not polled yet in this cycle."""
    limit = max(1, deps.concurrency) * CLAIM_PER_WORKER
    batch = [f for f in deps.store.claim_feeds(now, limit) if f.url not in seen]
    seen.update(f.url for f in batch)
    return batch


def _guarded(feed: FeedHealth, deps: Deps) -> FeedRun:
    if deps.stop.is_set():
        run = FeedRun(feed.url, "skipped", error="shutting down")
    else:
        try:
            run = run_feed(feed, deps)
        except StoreError:
            raise
        except Exception as exc:  # a bug or a library surprise: record it, keep the cycle going
            log.exception("unexpected error polling %s", feed.url)
            run = _failed(
                feed, deps, _policy_for(feed, deps.backoff), exc, deps.clock(), deps.monotonic()
            )
    log_event(
        log,
        "feed",
        logging.WARNING if run.status == "error" else logging.INFO,
        feed_url=run.feed_url,
        status=run.status,
        new=run.new,
        skipped=run.skipped,
        alerted=run.alerted,
        error=run.error,
        warning=run.warning,  # a bozo feed parsed with a problem: say so where people look
        elapsed=run.elapsed,
    )
    return run


def _failed(
    feed: FeedHealth,
    deps: Deps,
    policy: schedule.Backoff,
    exc: Exception,
    now: datetime,
    started: float,
) -> FeedRun:
    message = describe_error(exc)
    retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
    failures = feed.consecutive_failures + 1
    next_check = schedule.after_failure(policy, failures, retry_after, now, deps.rng)
    deps.store.record_failure(feed.url, message, now, next_check)
    return FeedRun(
        feed.url, "error", error=message, elapsed=deps.monotonic() - started, next_check=next_check
    )


def describe_error(exc: Exception) -> str:
    kind = getattr(exc, "kind", None) or ("parse" if isinstance(exc, ParseError) else "internal")
    return f"{kind}: {exc}"


def _policy_for(feed: FeedHealth, default: schedule.Backoff) -> schedule.Backoff:
    if feed.interval is None:
        return default
    return schedule.Backoff(feed.interval, max(feed.interval, default.max_backoff), default.jitter)
