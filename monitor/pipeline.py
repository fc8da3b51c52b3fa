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
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from monitor.core.errors import ExtractError, FetchError, HTTPStatusError, ParseError, StoreError
from monitor.core.logs import log_event
from monitor.core.ports import ExtractorPort, FetcherPort, ScorerPort
from monitor.core.records import (
    Article,
    CycleReport,
    FeedCheck,
    FeedHealth,
    FeedItem,
    FeedRun,
    NotModified,
    Scored,
    Validators,
)
from monitor.ingest import baseline, schedule
from monitor.ingest.extract import NAVIGATION_SHARE, build_article, decode_html, link_share
from monitor.ingest.feeds import parse_feed
from monitor.ingest.fetch import ARTICLE_ACCEPT
from state.checkbatch import CheckBatch
from state.store import Store

log = logging.getLogger("monitor.pipeline")

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})
# one line per changed or failed feed; 304s only at DEBUG (the cycle line counts them)
_LEVELS = {"error": logging.WARNING, "not_modified": logging.DEBUG}


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
    per_host: int = 2
    max_items: int = 100
    backfill: float = math.inf  # first-poll catch-up window, seconds (see ingest.baseline)
    checks: CheckBatch | None = None  # write-behind for 304s; None: written at once
    on_alert: Callable[[], None] | None = None  # called once a feed's alerts are committed
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
            check = FeedCheck(feed.url, validators, now, next_check)
            if deps.checks is not None:  # off this thread's path: written in batches
                deps.checks.add(check)
            else:
                deps.store.record_checks([check])
            return FeedRun(
                feed.url, "not_modified", elapsed=deps.monotonic() - started, next_check=next_check
            )
        parsed = parse_feed(answer, max_items=deps.max_items)
    except (FetchError, ParseError) as exc:
        return _failed(feed, deps, policy, exc, now, started)
    fresh = deps.store.filter_new(parsed.items)
    recent, old = baseline.split(fresh, baseline.window_for(feed, deps.backfill), now)
    if old:  # the back catalogue of a first poll: known from now on, never alerted
        deps.store.save_items([baseline.as_seen(item, now) for item in old], now)
    articles = [fetch_article(item, deps) for item in recent if not deps.stop.is_set()]
    if deps.stop.is_set():  # abandon: nothing of this feed is stored, it is redone next time
        return FeedRun(feed.url, "skipped", error="shutting down")
    entries: Sequence[Article | Scored] = deps.scorer.score(articles) if deps.scorer else articles
    assert deps.ingest is not None
    stored, alerted = deps.ingest(entries, now)
    if alerted and deps.on_alert is not None:
        deps.on_alert()  # deliver now, not after the whole cycle
    next_check = schedule.after_success(policy, now, deps.rng)
    validators = Validators(answer.etag, answer.last_modified)
    deps.store.record_success(feed.url, validators, now, next_check, stored, parsed.warning)
    return FeedRun(
        feed.url,
        "ok",
        new=stored,
        skipped=len(parsed.items) - len(recent),
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
    html = decode_html(page.body, page.charset)
    try:
        extracted = deps.extractor.extract(html, page.final_url)
    except ExtractError as exc:
        return build_article(item, page, None, f"extraction failed: {exc}", now)
    share = link_share(html, extracted.text)
    if share >= NAVIGATION_SHARE:  # a menu, not an article
        return build_article(item, page, None, f"navigation only: {share:.0%} link text", now)
    return build_article(item, page, extracted, None, now)


CLAIM_PER_WORKER = 4  # feeds claimed per batch and fetch worker (replicas share the rest)


def run_cycle(deps: Deps, feeds: Sequence[FeedHealth] | None = None) -> CycleReport:
    """Poll every due feed (or the given ones) concurrently; one log line per changed or
    failed feed.

    Due feeds are claimed in batches (``Store.claim_feeds``): on a shared database each
    batch is leased to this replica, so replicas split a cycle's feeds between them.
    Within a batch each host's feeds run back to back in ``per_host`` lanes, so a lane's
    requests reuse one kept-alive connection instead of connecting per feed."""
    started = deps.clock()
    runs: list[FeedRun] = []
    seen: set[str] = set()
    with ThreadPoolExecutor(
        max_workers=max(1, deps.concurrency), thread_name_prefix="feed"
    ) as pool:
        batch = list(feeds) if feeds is not None else _claim(deps, started, seen)
        while batch:
            runs += _poll(pool, batch, deps)
            if feeds is not None or deps.stop.is_set():
                break
            batch = _claim(deps, started, seen)
    if deps.checks is not None:
        deps.checks.flush()
    return CycleReport(started=started, finished=deps.clock(), runs=tuple(runs))


def _poll(pool: ThreadPoolExecutor, batch: Sequence[FeedHealth], deps: Deps) -> list[FeedRun]:
    """One batch, host lane by host lane; the runs in the batch's order."""
    lanes = pool.map(
        lambda lane: [_guarded(f, deps) for f in lane], host_lanes(batch, deps.per_host)
    )
    done = {run.feed_url: run for lane in lanes for run in lane}
    return [done[feed.url] for feed in batch]


def _claim(deps: Deps, now: datetime, seen: set[str]) -> list[FeedHealth]:
    """The next batch of due feeds not polled yet in this cycle."""
    limit = max(1, deps.concurrency) * CLAIM_PER_WORKER
    batch = [f for f in deps.store.claim_feeds(now, limit) if f.url not in seen]
    seen.update(f.url for f in batch)
    return batch


def host_lanes(feeds: Sequence[FeedHealth], per_host: int) -> list[list[FeedHealth]]:
    """Pure: the feeds split into lanes, at most ``per_host`` per host, each in due order;
    lanes ordered by their most overdue feed, so the cycle still starts with those."""
    by_host: dict[str, list[list[FeedHealth]]] = {}
    for feed in feeds:
        lanes = by_host.setdefault(urlsplit(feed.url).hostname or "", [])
        if len(lanes) < per_host:
            lanes.append([feed])
        else:
            min(lanes, key=len).append(feed)
    order = {feed.url: n for n, feed in enumerate(feeds)}
    return sorted((lane for lanes in by_host.values() for lane in lanes),
                  key=lambda lane: order[lane[0].url])  # fmt: skip


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
        _LEVELS.get(run.status, logging.INFO),
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
