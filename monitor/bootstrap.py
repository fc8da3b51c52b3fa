"""Wiring: ``build_app(settings)`` builds the real adapters. Nothing connects at import.

This is the one place that knows which concrete store, fetcher, extractor,
scorer and notifier the service uses; tests build ``Deps`` with their own parts.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import random
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from monitor.alerting.alerts import AlertingIngest
from monitor.alerting.routing import Tiers
from monitor.core.logs import log_event
from monitor.core.ports import ScorerPort
from monitor.core.records import CycleReport
from monitor.core.settings import Settings, sync_configured_feeds
from monitor.delivery.digest import AlertDigest
from monitor.delivery.drain import Drain
from monitor.delivery.notify import (
    ConsoleNotifier,
    JsonlNotifier,
    MultiNotifier,
    Notifier,
    SlackNotifier,
    WebhookNotifier,
)
from monitor.ingest import schedule
from monitor.ingest.extract import Extractor
from monitor.ingest.fetch import FetchLimits
from monitor.ingest.poller import FeedPoller
from monitor.ops.feedhealth import FeedHealthWatch, WatchPolicy
from monitor.ops.health import Beating, HealthCheck, Heartbeat
from monitor.ops.metrics import CONTENT_TYPE, MeteredNotifier, MeteredScorer, Metrics
from monitor.ops.web import HttpServer, Response
from monitor.pipeline import Deps
from monitor.scoring.registry import ensure_active
from monitor.scoring.score import ModelScorer, RegistryScorer, active_lookup, load_artifact
from monitor.service import Job, Service
from state.checkbatch import CheckBatch
from state.lock import WriterLock
from state.maintenance import prune_article_text, prune_models
from state.sqlite import SQLiteStore

if TYPE_CHECKING:  # scikit-learn and skops load when a model does (~2 s)
    from classifiers.artifact import ModelArtifact

log = logging.getLogger("monitor.bootstrap")
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """The wired service parts; ``close()`` releases processes, sockets and the database."""

    settings: Settings
    store: SQLiteStore
    deps: Deps
    notifier: Notifier
    drain: Drain
    closers: list[Callable[[], None]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)  # retrain, digest, interactivity
    # -- metrics, the [http] listener, hooks run after every cycle -------------
    metrics: Metrics = field(default_factory=Metrics)
    web: HttpServer | None = None
    ops_web: HttpServer | None = None  # [http] ops_listen: /livez, /readyz, /metrics apart
    heartbeat: Heartbeat | None = None  # the latest fetch that returned (readiness)
    after_cycle: list[Callable[[CycleReport], object]] = field(default_factory=list)

    def close(self) -> None:
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception:  # closing is best effort; report and go on
                log.exception("error while closing")
        self.closers.clear()


MALLOC_ARENAS = 2  # glibc's default is 8 per core; the feed threads then each keep one
_M_ARENA_MAX = -8  # glibc malloc.h


def limit_malloc_arenas(env: Mapping[str, str]) -> bool:
    """Cap glibc's malloc arenas at ``MALLOC_ARENAS`` unless ``MALLOC_ARENA_MAX`` is set
    in ``env`` (glibc reads that itself). Call before any thread starts: the cap applies
    to arenas created afterwards. With one arena per feed thread, memory freed on one
    thread is not reused by another and the process grows (measured: 16 MB less peak RSS
    in bench/poll.py, same CPU). True when the cap was set (glibc only)."""
    if "MALLOC_ARENA_MAX" in env:
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to cap
        return False


def freeze_heap(*_: object) -> None:
    """Collect, then move every object alive now out of the cyclic collector's sight
    (``gc.freeze``): called once the model is loaded, so the ~160,000 long-lived objects
    of the libraries and the model are not traversed again by each full collection
    (~0.1 s of CPU each, two to three per busy minute in bench/poll.py). Objects still
    go when their last reference does; only cycles among them are never collected."""
    gc.collect()
    gc.freeze()


def open_store(settings: Settings) -> SQLiteStore:
    """The SQLite file (``[state] path``), or PostgreSQL when ``[state] url`` is set."""
    state = settings.state
    if state.url:
        from monitor.scoring.registry import models_dir
        from state.postgres import PostgresStore

        return PostgresStore(
            state.url, lease=state.lease, pool_size=state.pool_size, model_dir=models_dir(settings)
        )
    return SQLiteStore(Path(state.path))


def one_at_a_time(store: SQLiteStore, name: str, func: Callable[..., T]) -> Callable[..., T | None]:
    """``func`` run only while this replica holds the job ``name`` (None when another has
    it): the drain, digests, feed-health notices and retraining run on one replica at a time."""

    def run(*args: object) -> T | None:
        with store.exclusive(name) as held:
            return func(*args) if held else None

    return run


def writer_lock(settings: Settings) -> AbstractContextManager[object]:
    """The state file's single-writer lock (not yet taken): ``with writer_lock(s):``.

    SQLite only: PostgreSQL replicas coordinate through leases and advisory locks."""
    if settings.state.url:
        return nullcontext()
    return WriterLock(Path(settings.state.path))


def fetch_limits(settings: Settings) -> FetchLimits:
    """The fetchers' limits ([polling])."""
    polling = settings.polling
    return FetchLimits(
        timeout=polling.timeout,
        max_bytes=polling.max_bytes,
        allow_private_addresses=polling.allow_private_addresses,
        user_agent=polling.user_agent,
        concurrency=polling.concurrency,
        per_host=polling.per_host,
    )


def build_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    stop: threading.Event | None = None,
    scorer: object | None = None,
    notifier: Notifier | None = None,
) -> App:
    store = open_store(settings)
    app = App(settings, store, deps=None, notifier=None, drain=None)  # type: ignore[arg-type]
    app.heartbeat = Heartbeat(clock)
    app.closers.append(store.close)
    try:
        app.notifier = MeteredNotifier(notifier or build_notifier(settings), app.metrics, clock)
        app.closers.append(app.notifier.close)
        digest_mode = settings.notify.mode == "digest"
        app.drain = Drain(store, app.notifier, clock, hold_for_digest=digest_mode)
        sync_configured_feeds(store, settings, clock())
        # feed polls and article pages: one loop, one pool of kept-alive connections
        poller = FeedPoller(fetch_limits(settings))
        app.closers.append(poller.close)
        extractor = Extractor(
            timeout=settings.polling.extract_timeout, workers=settings.polling.extract_workers
        )
        app.closers.append(extractor.close)
        checks = CheckBatch(store.record_checks)
        app.closers.append(checks.close)
        app.deps = Deps(
            store=store,
            fetcher=Beating(poller, app.heartbeat.beat),
            poller=Beating(poller, app.heartbeat.beat),
            extractor=extractor,
            clock=clock,
            backoff=schedule.Backoff(settings.polling.interval, settings.polling.max_backoff),
            scorer=MeteredScorer(scorer, app.metrics) if scorer is not None else None,
            ingest=AlertingIngest(
                store,
                settings.dedupe.event_window,
                settings.dedupe.near_duplicate,
                lifecycle_window=settings.dedupe.lifecycle_window,
                tiers=Tiers(
                    settings.alerting.alert_threshold,
                    settings.alerting.review_margin,
                    settings.alerting.reaction_replies,
                ),
            ),
            concurrency=settings.polling.concurrency,
            per_host=settings.polling.per_host,
            max_items=settings.polling.max_items_per_feed,
            backfill=settings.polling.backfill,
            checks=checks,
            rng=random.Random(),
            stop=stop or threading.Event(),
        )
        wire_operations(app, clock)
        app.jobs = label_jobs(app, clock) + operation_jobs(app, clock)
    except BaseException:
        app.close()
        raise
    return app


# -- metrics, health, feed-health notices, the alert digest ------------------
def wire_operations(app: App, clock: Callable[[], datetime]) -> None:
    """The outbox gauges, the [http] listener (not started yet), the after-cycle hooks."""
    settings = app.settings
    app.metrics.watch_outbox(app.store.alert_counts)
    if settings.http.listen:
        from monitor.feedback.interact import parse_listen

        app.web = HttpServer(parse_listen(settings.http.listen))
        app.closers.append(app.web.close)
    if settings.http.ops_listen:
        from monitor.feedback.interact import parse_listen

        app.ops_web = HttpServer(parse_listen(settings.http.ops_listen))
        app.closers.append(app.ops_web.close)
    notify = settings.notify
    policy = WatchPolicy(
        notify.feed_failure_threshold, float(notify.feed_silence_factor), notify.feed_silence_min
    )
    watch = FeedHealthWatch(app.store, app.notifier, clock, policy)

    def remember(report: CycleReport) -> None:  # for `monitor status --check`
        app.store.set_meta("last_cycle", report.finished.isoformat())

    app.after_cycle = [
        app.metrics.observe_cycle,
        remember,
        one_at_a_time(app.store, "drain", app.drain),
        at_most_every(FEED_HEALTH_EVERY, clock, one_at_a_time(app.store, "feed_health", watch)),
    ]


FEED_HEALTH_EVERY = 60.0  # seconds: feeds fail or fall silent over hours, cycles come every few


def at_most_every(
    seconds: float, clock: Callable[[], datetime], func: Callable[[CycleReport], T]
) -> Callable[[CycleReport], T | None]:
    """An after-cycle hook run after a cycle only when ``seconds`` have passed since its
    last run (the first cycle always runs it): the feed-health watch reads every feed."""
    last: list[datetime] = []

    def run(report: CycleReport) -> T | None:
        now = clock()
        if last and (now - last[0]).total_seconds() < seconds:
            return None
        last[:] = [now]
        return func(report)

    return run


def operation_jobs(app: App, clock: Callable[[], datetime]) -> list[Job]:
    """Retention (hourly); in digest mode the daily alert digest, checked every minute."""
    retention = one_at_a_time(
        app.store, "retention", lambda: apply_retention(app.settings, app.store, clock())
    )
    jobs = [Job("retention", retention, 3600.0)]
    if app.settings.notify.mode != "digest":
        return jobs
    digest = AlertDigest(app.drain, app.settings.notify.digest_time, clock)
    # it drains too, so it takes the drain's turn: no two replicas ever send at once
    return [*jobs, Job("alert_digest", one_at_a_time(app.store, "drain", digest), 60.0)]


def apply_retention(settings: Settings, store: SQLiteStore, now: datetime) -> None:
    """[retention]: old article text emptied, old rejected/retired model files deleted."""
    from monitor.scoring.registry import models_dir

    keep = settings.retention
    texts = prune_article_text(store, now - timedelta(seconds=keep.article_text))
    models = prune_models(store, keep.keep_models, models_dir(settings))
    if texts or models:
        log_event(log, "retention", texts_emptied=texts, models_deleted=len(models))


def serve_http(app: App, service: Service) -> None:
    """Mount ``/livez``, ``/readyz`` (alias ``/healthz``) and ``/metrics`` on the ops
    listener (``[http] ops_listen``), else on the [http] listener, and start them."""
    ops = app.ops_web or app.web
    if ops is None:
        return
    store = app.store
    health = HealthCheck(
        service, lambda now: store.set_meta("healthz", now.isoformat()), app.deps.scorer,
        app.deps.clock, app.heartbeat,
    )  # fmt: skip
    ops.route("GET", "/livez", health.handle_live)
    ops.route("GET", "/readyz", health.handle)
    ops.route("GET", "/healthz", health.handle)
    ops.route("GET", "/metrics", lambda _: Response(200, app.metrics.render(), CONTENT_TYPE))
    for server in {id(s): s for s in (app.web, app.ops_web) if s is not None}.values():
        server.start()


# -- retraining, the review digest, Slack interactivity --------------------
def label_jobs(app: App, clock: Callable[[], datetime]) -> list[Job]:
    """Periodic jobs of the label loop; listeners start in their job (not at build time)."""
    from monitor.feedback.clicks import ClickPolicy
    from monitor.feedback.interact import DigestJob, LabelClicks
    from monitor.scoring.registry import RetrainJob, serving_threshold

    settings, store = app.settings, app.store
    jobs: list[Job] = []
    if settings.retrain.enabled and not settings.classifier.model_path:
        retrain = one_at_a_time(store, "retrain", RetrainJob(settings, store, clock))
        jobs.append(Job("retrain", retrain, 600.0))
    if settings.review.digest:
        digest = DigestJob(store, app.notifier, lambda: serving_threshold(settings, store), clock,
                           settings.review.digest_size)  # fmt: skip
        jobs.append(Job("review_digest", one_at_a_time(store, "review_digest", digest), 3600.0))
    policy = ClickPolicy(settings.slack.team_id, settings.slack.channel)  # only our channel
    clicks = LabelClicks(store, app.notifier, clock, policy)
    listeners = Listeners(settings, clicks, app.web)
    app.closers.append(listeners.close)
    if settings.slack.app_token or (settings.http.listen and settings.slack.signing_secret):
        jobs.append(Job("interact", listeners.ensure_started, 60.0))
    return jobs


class Listeners:
    """Socket Mode and/or the signed HTTP endpoint, started (and restarted) by a job."""

    def __init__(self, settings: Settings, clicks: object, web: HttpServer | None = None) -> None:
        self.settings, self.clicks, self.web = (
            settings,
            clicks,
            web,
        )  # web: the shared [http] listener
        self.socket: object | None = None
        self.http: object | None = None

    def ensure_started(self) -> None:
        from monitor.feedback.interact import SignedEndpoint, SocketModeListener, parse_listen

        slack = self.settings.slack
        if slack.app_token and self.socket is None:
            listener = SocketModeListener(slack.app_token, self.clicks, api_url=slack.api_url)  # type: ignore[arg-type]
            listener.start()
            self.socket = listener
        if self.settings.http.listen and slack.signing_secret and self.http is None:
            address = parse_listen(self.settings.http.listen)
            self.http = SignedEndpoint(  # on the shared [http] listener
                self.clicks,  # type: ignore[arg-type]
                slack.signing_secret,
                address,
                server=self.web,
            ).start()

    def close(self) -> None:
        for part in (self.socket, self.http):
            if part is not None:
                part.close()  # type: ignore[attr-defined]
        self.socket = self.http = None


def build_notifier(settings: Settings) -> Notifier:
    """Slack (bot token + channel, else webhook) or the console; plus JSONL when configured."""
    slack = settings.slack
    primary: Notifier
    if slack.bot_token and slack.channel:
        primary = SlackNotifier(slack.bot_token, slack.channel, base_url=slack.api_url)
    elif slack.webhook_url:
        primary = WebhookNotifier(slack.webhook_url)
    else:
        primary = ConsoleNotifier()
    if settings.notify.jsonl_path:
        return MultiNotifier(primary, JsonlNotifier(Path(settings.notify.jsonl_path)))
    return primary


def default_model_path(settings: Settings) -> Path:
    """The explicit model path, else the registry's active model file (legacy path if none)."""
    configured = settings.classifier.model_path
    if configured:
        return Path(configured)

    store = open_store(settings)
    try:
        active = store.active_model()
    finally:
        store.close()
    return Path(active.path) if active else settings.state_dir / "model.skops"


def load_or_train(settings: Settings) -> ModelArtifact:
    """The model to serve (explicit path, else the registry's active one, trained if none)."""
    if settings.classifier.model_path:
        return load_artifact(Path(settings.classifier.model_path))

    store = open_store(settings)
    try:
        return load_artifact(ensure_active(settings, store, utcnow()))
    finally:
        store.close()


def model_ready(settings: Settings) -> bool:
    """Whether a model to serve exists already (if not, the first start trains one)."""
    if settings.classifier.model_path:
        return Path(settings.classifier.model_path).is_file()
    store = open_store(settings)
    try:
        return store.active_model() is not None
    finally:
        store.close()


def build_scorer(settings: Settings) -> ScorerPort:
    """A fixed model for an explicit ``model_path``; else the registry's, hot-reloaded."""
    if settings.classifier.model_path:
        return ModelScorer(load_or_train(settings), settings.classifier.threshold)

    store = open_store(settings)  # the scorer's own connection, kept for the process' life
    with store.exclusive("first_model", wait=True):  # replicas on an empty database: one trains
        ensure_active(settings, store, utcnow())
    return RegistryScorer(active_lookup(store), settings.classifier.threshold,
                          on_refusal=lambda why: store.set_meta("model_refused", why))  # fmt: skip
