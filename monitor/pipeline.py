"""The pipeline: one feed through every stage, and one cycle over all due feeds.

``run_feed`` reads top to bottom like the product: fetch the feed (conditional
GET) -> parse -> drop items already known (before any article is downloaded)
-> fetch and extract each new article (falling back to the feed summary) ->
score -> store items and alerts in one transaction -> record the feed's health.
It is three steps, which ``run_cycle`` runs on different threads: the answer
(``not_modified`` for a 304), ``prepare`` (parse to extracted articles) and ``finish``
(score several feeds' articles in one model call, then file each feed on its own).
A failing feed yields a ``FeedRun`` with status "error" and a backoff; it never
stops the cycle. Only a ``StoreError`` (the database is unusable) propagates.
"""

from __future__ import annotations

import itertools
import logging
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlsplit

from monitor.core.errors import ExtractError, FetchError, HTTPStatusError, ParseError, StoreError
from monitor.core.logs import log_event
from monitor.core.ports import ExtractorPort, FetcherPort, PollerPort, ScorerPort
from monitor.core.records import (
    Article,
    CycleReport,
    FeedCheck,
    FeedHealth,
    FeedItem,
    FeedRun,
    FetchedPage,
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
    poller: PollerPort | None = None  # concurrent feed polls; None: one by one on ``fetcher``
    score_linger: float = 1.0  # seconds a changed feed waits for others to be scored with it
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
    """One feed start to end, on this thread (one-off polls and tests)."""
    started, now = deps.monotonic(), deps.clock()
    try:
        answer = deps.fetcher.fetch(feed.url, Validators(feed.etag, feed.last_modified))
    except FetchError as exc:
        return _failed(feed, deps, _policy_for(feed, deps.backoff), exc, now, started)
    if isinstance(answer, NotModified):
        return not_modified(feed, answer, deps, now, started)
    prepared = prepare(feed, answer, deps, now, started)
    return prepared if isinstance(prepared, FeedRun) else finish([prepared], deps)[0]


def not_modified(
    feed: FeedHealth, answer: NotModified, deps: Deps, now: datetime, started: float
) -> FeedRun:
    """A 304: the check is queued for the write-behind batch (or written at once)."""
    validators = Validators(answer.etag or feed.etag, answer.last_modified or feed.last_modified)
    next_check = schedule.after_success(_policy_for(feed, deps.backoff), now, deps.rng)
    check = FeedCheck(feed.url, validators, now, next_check)
    if deps.checks is not None:  # off this thread's path: written in batches
        deps.checks.add(check)
    else:
        deps.store.record_checks([check])
    return FeedRun(
        feed.url, "not_modified", elapsed=deps.monotonic() - started, next_check=next_check
    )


@dataclass(frozen=True)
class Prepared:
    """A changed feed up to scoring: its new items' articles, fetched and extracted."""

    feed: FeedHealth
    answer: FetchedPage
    items: int  # items in the feed
    recent: int  # items that go through the full path
    warning: str | None
    articles: list[Article]
    now: datetime
    started: float


def prepare(
    feed: FeedHealth, answer: FetchedPage, deps: Deps, now: datetime, started: float
) -> Prepared | FeedRun:
    """Parse -> drop known items (before any download) -> store a first poll's back
    catalogue as seen -> fetch and extract each new article."""
    try:
        parsed = parse_feed(answer, max_items=deps.max_items)
    except ParseError as exc:
        return _failed(feed, deps, _policy_for(feed, deps.backoff), exc, now, started)
    fresh = deps.store.filter_new(parsed.items)
    recent, old = baseline.split(fresh, baseline.window_for(feed, deps.backfill), now)
    if old:  # the back catalogue of a first poll: known from now on, never alerted
        deps.store.save_items([baseline.as_seen(item, now) for item in old], now)
    articles = [fetch_article(item, deps) for item in recent if not deps.stop.is_set()]
    if deps.stop.is_set():  # abandon: nothing of this feed is stored, it is redone next time
        return FeedRun(feed.url, "skipped", error="shutting down")
    return Prepared(
        feed, answer, len(parsed.items), len(recent), parsed.warning, articles, now, started
    )


def finish(batch: Sequence[Prepared], deps: Deps) -> list[FeedRun]:
    """Score the articles of several feeds in one call (a model call costs the same for
    one article as for dozens), then store each feed's items and alerts in its own
    transaction and record its success."""
    articles = [a for p in batch for a in p.articles]
    scored: Sequence[Article | Scored] = deps.scorer.score(articles) if deps.scorer else articles
    runs, at = [], 0
    for p in batch:
        entries, at = scored[at : at + len(p.articles)], at + len(p.articles)
        runs.append(_file(p, entries, deps))
    return runs


def _file(p: Prepared, entries: Sequence[Article | Scored], deps: Deps) -> FeedRun:
    assert deps.ingest is not None
    stored, alerted = deps.ingest(entries, p.now)
    if alerted and deps.on_alert is not None:
        deps.on_alert()  # deliver now, not after the whole cycle
    next_check = schedule.after_success(_policy_for(p.feed, deps.backoff), p.now, deps.rng)
    validators = Validators(p.answer.etag, p.answer.last_modified)
    deps.store.record_success(p.feed.url, validators, p.now, next_check, stored, p.warning)
    return FeedRun(
        p.feed.url,
        "ok",
        new=stored,
        skipped=p.items - p.recent,
        alerted=alerted,
        warning=p.warning,
        elapsed=deps.monotonic() - p.started,
        next_check=next_check,
        fallbacks=sum(1 for a in p.articles if a.method == "summary"),
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
        # the feed's timestamp wins over the page's (build_article): no date search then
        extracted = deps.extractor.extract(html, page.final_url, with_date=item.published is None)
    except ExtractError as exc:
        return build_article(item, page, None, f"extraction failed: {exc}", now)
    share = link_share(html, extracted.text)
    if share >= NAVIGATION_SHARE:  # a menu, not an article
        return build_article(item, page, None, f"navigation only: {share:.0%} link text", now)
    return build_article(item, page, extracted, None, now)


CLAIM_PER_WORKER = 4  # feeds claimed per batch and unit of concurrency (replicas share)
PREPARE_THREADS = 8  # changed feeds prepared at once (article fetches wait on the network)
SCORE_BATCH = 64  # changed feeds scored in one model call at most


def run_cycle(deps: Deps, feeds: Sequence[FeedHealth] | None = None) -> CycleReport:
    """Poll every due feed (or the given ones); one log line per changed or failed feed.

    Due feeds are claimed in batches (``Store.claim_feeds``): on a shared database each
    batch is leased to this replica, so replicas split a cycle's feeds between them.
    The conditional GETs run concurrently on the poller (``deps.poller``: one asyncio
    loop, kept-alive connections per host), claimed batch after batch while earlier
    ones are in flight; a plain fetcher polls one feed after another. 304s and failures
    are settled on this thread; each changed feed is prepared (parsed, articles fetched
    and extracted) on a worker thread, then scored with the other changed feeds ready
    within ``deps.score_linger`` and filed by one filing thread."""
    started = deps.clock()
    order: list[FeedHealth] = []
    runs: dict[str, FeedRun] = {}
    source = feeds if feeds is not None else _claims(deps, started)
    filing = _Filing(deps)
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(deps.concurrency, PREPARE_THREADS)),
                                thread_name_prefix="feed") as pool:  # fmt: skip
            jobs = []
            for feed, outcome, at in _answers(deps, _noted(source, order)):
                if isinstance(outcome, FetchedPage):  # abandoned by prepare when stopping
                    jobs.append(pool.submit(_prepare_and_file, feed, outcome, deps, at, filing))
                else:  # an answer that arrived is kept: a 304 or a failure costs nothing
                    runs[feed.url] = _logged(_settled(feed, outcome, deps, at))
                if deps.stop.is_set():  # no more feeds; those in flight are skipped
                    break
        for job in jobs:
            job.result()  # a StoreError stops the cycle
    finally:
        runs |= {run.feed_url: run for run in filing.close()}
    if deps.checks is not None:
        deps.checks.flush()
    skipped = FeedRun("", "skipped", error="shutting down")
    ordered = [runs.get(f.url) or replace(skipped, feed_url=f.url) for f in order]
    return CycleReport(started=started, finished=deps.clock(), runs=tuple(ordered))


Answer = FetchedPage | NotModified | FetchError


def _answers(
    deps: Deps, feeds: Iterable[FeedHealth]
) -> Iterator[tuple[FeedHealth, Answer, tuple[datetime, float]]]:
    """Each feed's answer with the time it counts from (clock, monotonic): when the
    answer arrived from the poller, when the fetch started on a plain fetcher."""
    if deps.poller is not None:
        for feed, outcome in deps.poller.poll(feeds):
            yield feed, outcome, (deps.clock(), deps.monotonic())
        return
    for feed in feeds:
        at = (deps.clock(), deps.monotonic())
        try:
            yield feed, deps.fetcher.fetch(feed.url, Validators(feed.etag, feed.last_modified)), at
        except FetchError as exc:
            yield feed, exc, at


def _noted(feeds: Iterable[FeedHealth], order: list[FeedHealth]) -> Iterator[FeedHealth]:
    for feed in feeds:
        order.append(feed)
        yield feed


def _claims(deps: Deps, now: datetime) -> Iterator[FeedHealth]:
    """Due feeds batch by batch, each feed once per cycle."""
    seen: set[str] = set()
    limit = max(1, deps.concurrency) * CLAIM_PER_WORKER
    while not deps.stop.is_set():
        batch = [f for f in deps.store.claim_feeds(now, limit) if f.url not in seen]
        if not batch:
            return
        seen.update(f.url for f in batch)
        yield from interleave_hosts(batch)


def interleave_hosts(feeds: Sequence[FeedHealth]) -> list[FeedHealth]:
    """Pure: the feeds taking turns by host (each host's in due order, hosts ordered by
    their most overdue feed), so the poller's window of feeds in flight spans many
    hosts instead of queueing behind one host's per-host limit."""
    by_host: dict[str, list[FeedHealth]] = {}
    for feed in feeds:
        by_host.setdefault(urlsplit(feed.url).hostname or "", []).append(feed)
    turns = itertools.zip_longest(*by_host.values())
    return [feed for turn in turns for feed in turn if feed is not None]


def _settled(feed: FeedHealth, outcome: Answer, deps: Deps, at: tuple[datetime, float]) -> FeedRun:
    if isinstance(outcome, NotModified):
        return not_modified(feed, outcome, deps, *at)
    assert isinstance(outcome, FetchError)
    return _failed(feed, deps, _policy_for(feed, deps.backoff), outcome, *at)


def _prepare_and_file(
    feed: FeedHealth, answer: FetchedPage, deps: Deps, at: tuple[datetime, float], filing: _Filing
) -> None:
    try:
        prepared = prepare(feed, answer, deps, *at)
    except StoreError:
        raise
    except Exception as exc:  # a bug or a library surprise: record it, keep the cycle going
        log.exception("unexpected error polling %s", feed.url)
        prepared = _failed(feed, deps, _policy_for(feed, deps.backoff), exc, *at)
    if isinstance(prepared, FeedRun):
        filing.done(_logged(prepared))
    else:
        filing.put(prepared)


class _Filing:
    """The filing thread of a cycle: scores prepared feeds in batches and files them in
    the order they were ready. ``close()`` waits for the rest and returns every run
    (raising the ``StoreError`` that stopped it, if one did)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._queue: queue.SimpleQueue[Prepared | None] = queue.SimpleQueue()
        self._runs: list[FeedRun] = []
        self._lock = threading.Lock()
        self._error: StoreError | None = None
        self._thread = threading.Thread(target=self._run, name="filing", daemon=True)
        self._thread.start()

    def put(self, prepared: Prepared) -> None:
        self._queue.put(prepared)

    def done(self, run: FeedRun) -> None:
        with self._lock:
            self._runs.append(run)

    def close(self) -> list[FeedRun]:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._runs

    def _run(self) -> None:
        last = False
        while not last:
            batch, last = self._gather()
            if batch and self._error is None:
                try:
                    runs = self._file(batch)
                except StoreError as exc:
                    self._error = exc
                    continue
                for run in runs:
                    self.done(_logged(run))

    def _gather(self) -> tuple[list[Prepared], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch, until = [first], time.monotonic() + self._deps.score_linger
        while len(batch) < SCORE_BATCH and (wait := until - time.monotonic()) > 0:
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _file(self, batch: list[Prepared]) -> list[FeedRun]:
        if self._deps.stop.is_set():
            return [FeedRun(p.feed.url, "skipped", error="shutting down") for p in batch]
        try:
            return finish(batch, self._deps)
        except StoreError:
            raise
        except Exception:  # one feed's surprise must not fail its batch-mates: one by one
            return [self._file_one(p) for p in batch]

    def _file_one(self, p: Prepared) -> FeedRun:
        try:
            return finish([p], self._deps)[0]
        except StoreError:
            raise
        except Exception as exc:
            log.exception("unexpected error polling %s", p.feed.url)
            policy = _policy_for(p.feed, self._deps.backoff)
            return _failed(p.feed, self._deps, policy, exc, p.now, p.started)


def _logged(run: FeedRun) -> FeedRun:
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
