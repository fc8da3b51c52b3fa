"""Prometheus metrics (``GET /metrics``, text format) on an injectable registry.

``Metrics(registry)`` owns every metric; tests give each its own ``CollectorRegistry``
so nothing leaks between them (the process-global default registry is never used).
Observations come from the places that already know the facts, without touching the
stages themselves:

- ``observe_cycle(CycleReport)``   after each cycle: cycles, feeds polled by status
  (``not_modified`` / ``ok``: the 304 ratio), fetch errors by kind, items new/skipped,
  articles extracted vs fell back to the summary, alerts created;
- ``MeteredScorer``                wraps the scorer: articles scored, model version;
- ``MeteredNotifier``              wraps the notifier: alerts/updates delivered, updates
  threaded, Slack retries (retryable failures), time-to-alert (alert row created ->
  delivered);
- the outbox gauges (pending, failed, sent) are read from the store at scrape time;
- prometheus_client's process (``process_*``: CPU, memory, open fds, start time) and
  platform (``python_info``) collectors, and ``appban_build_info{version}``; the model
  version is set as soon as the scorer is wrapped (not at the first score), so it is
  there right after every restart.

Metric names (all prefixed ``appban_``) are listed in ``METRIC_NAMES`` and in the README.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from importlib import metadata
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from monitor.core.errors import MonitorError, NotifyAuthError, NotifyError
from monitor.core.ports import Delivery, Notifier
from monitor.core.records import Alert, Article, CycleReport, FeedRun, ReviewItem, Scored

log = logging.getLogger("monitor.metrics")
try:
    VERSION = metadata.version("appban-monitor")
except metadata.PackageNotFoundError:  # running from a source tree without install
    VERSION = "unknown"

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds from an alert's detection to its delivery: instant mode is seconds to minutes,
# digest mode up to a day.
TIME_TO_ALERT_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600,
                         86400, 2 * 86400)  # fmt: skip

METRIC_NAMES = (
    "appban_cycles_total",
    "appban_feeds_polled_total",
    "appban_fetch_errors_total",
    "appban_items_new_total",
    "appban_items_skipped_total",
    "appban_articles_total",
    "appban_scored_total",
    "appban_alerts_created_total",
    "appban_delivered_total",
    "appban_updates_threaded_total",
    "appban_slack_retries_total",
    "appban_alerts",
    "appban_time_to_alert_seconds",
    "appban_model_info",
    "appban_last_cycle_timestamp_seconds",
    "appban_build_info",
)


class Metrics:
    """Every metric of the service, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.cycles = Counter("appban_cycles", "Poll cycles completed", registry=r)
        self.feeds_polled = Counter(
            "appban_feeds_polled",
            "Feed polls by outcome (not_modified / (ok + not_modified) is the 304 ratio)",
            ["status"],
            registry=r,
        )
        self.fetch_errors = Counter(
            "appban_fetch_errors", "Failed feed polls by error kind", ["kind"], registry=r
        )
        self.items_new = Counter("appban_items_new", "New items stored", registry=r)
        self.items_skipped = Counter(
            "appban_items_skipped", "Feed items skipped as already known", registry=r
        )
        self.articles = Counter(
            "appban_articles",
            "Articles by text source: extracted (trafilatura) or fell back (summary)",
            ["method"],
            registry=r,
        )
        self.scored = Counter("appban_scored", "Articles scored by the classifier", registry=r)
        self.alerts_created = Counter(
            "appban_alerts_created", "Ban articles filed (alerts and updates)", registry=r
        )
        self.delivered = Counter(
            "appban_delivered", "Messages delivered by kind", ["kind"], registry=r
        )
        self.threaded = Counter(
            "appban_updates_threaded", "Updates delivered as thread replies", registry=r
        )
        self.retries = Counter(
            "appban_slack_retries", "Retryable notifier failures (the outbox retries)", registry=r
        )
        self.time_to_alert = Histogram(
            "appban_time_to_alert_seconds",
            "Seconds from an alert's detection to its delivery",
            buckets=TIME_TO_ALERT_BUCKETS,
            registry=r,
        )
        self.model = Info("appban_model", "The classifier model serving", registry=r)
        self.last_cycle = Gauge(
            "appban_last_cycle_timestamp_seconds", "End of the last poll cycle", registry=r
        )
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        Info("appban_build", "This appban-monitor build", registry=r).info({"version": VERSION})
        for status in ("ok", "not_modified", "error", "skipped"):
            self.feeds_polled.labels(status)  # present at 0 from the start
        for method in ("trafilatura", "summary"):
            self.articles.labels(method)

    def observe_cycle(self, report: CycleReport) -> None:
        self.cycles.inc()
        self.last_cycle.set(report.finished.timestamp())
        for run in report.runs:
            self._observe_run(run)

    def _observe_run(self, run: FeedRun) -> None:
        self.feeds_polled.labels(run.status).inc()
        if run.status == "error":
            self.fetch_errors.labels(error_kind(run.error)).inc()
        self.items_new.inc(run.new)
        self.items_skipped.inc(run.skipped)
        fell_back = min(run.fallbacks, run.new)
        self.articles.labels("summary").inc(fell_back)
        self.articles.labels("trafilatura").inc(run.new - fell_back)
        self.alerts_created.inc(run.alerted)

    def watch_outbox(self, counts: Callable[[], Mapping[str, int]]) -> None:
        """Report ``appban_alerts{status=...}`` from ``counts()`` at every scrape."""
        self.registry.register(_OutboxCollector(counts))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def error_kind(error: str | None) -> str:
    """Pure: the kind prefix of ``pipeline.describe_error`` ("timeout: ..." -> "timeout")."""
    kind, sep, _ = (error or "").partition(":")
    return kind.strip() if sep and kind.strip().isidentifier() else "other"


class _OutboxCollector(Collector):
    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("appban_alerts", "Outbox alerts by status", labels=["status"])
        try:
            counts = self._counts()
        except MonitorError:  # an unusable database shows in /healthz; keep /metrics up
            return
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        yield family


class MeteredScorer:
    """A ``ScorerPort`` that counts what it scores and reports the model version."""

    def __init__(self, inner: Any, metrics: Metrics) -> None:
        self.inner, self.metrics = inner, metrics
        when_ready = getattr(inner, "when_ready", None)
        if when_ready is not None:  # a model still loading: its version once it is loaded
            when_ready(self._report_version)
        else:
            self._report_version(inner)

    def _report_version(self, scorer: Any) -> None:
        with contextlib.suppress(MonitorError):  # no model yet: set at the first score
            self.metrics.model.info({"version": str(scorer.model_version)})

    @property
    def model_version(self) -> str:
        return str(self.inner.model_version)

    def score(self, articles: Sequence[Article]) -> list[Scored]:
        scored = self.inner.score(articles)
        self.metrics.scored.inc(len(scored))
        if scored:
            self.metrics.model.info({"version": scored[0].model_version})
        return scored

    def __getattr__(self, name: str) -> Any:  # artifact, ... of the wrapped scorer
        return getattr(self.inner, name)


class MeteredNotifier:
    """A ``Notifier`` that counts deliveries, threads and retries; delegates the rest."""

    def __init__(self, inner: Notifier, metrics: Metrics, clock: Callable[[], datetime]) -> None:
        self.inner, self.metrics, self.clock = inner, metrics, clock
        self.name = inner.name
        self.supports_threads = inner.supports_threads

    def send(self, alert: Alert) -> Delivery:
        try:
            delivery = self.inner.send(alert)
        except NotifyAuthError:
            raise
        except NotifyError as exc:
            if exc.retryable:
                self.metrics.retries.inc()
            raise
        self.metrics.delivered.labels(alert.kind).inc()
        if alert.kind == "update" and alert.thread_ts and self.supports_threads:
            self.metrics.threaded.inc()
        if alert.kind == "alert":
            waited = (self.clock() - alert.created_at).total_seconds()
            self.metrics.time_to_alert.observe(max(0.0, waited))
        return delivery

    def update_parent(self, parent: Alert, source_count: int) -> None:
        self.inner.update_parent(parent, source_count)

    def find_sent(self, alert: Alert) -> Delivery | None:
        return self.inner.find_sent(alert)

    def show_label(self, alert: Alert, verdict: str, who: str, when: datetime) -> None:
        self.inner.show_label(alert, verdict, who, when)

    def post_review(self, items: Sequence[ReviewItem]) -> Delivery | None:
        return self.inner.post_review(items)

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        return self.inner.post_digest(alerts, day)

    def post_notice(self, text: str) -> Delivery:
        return self.inner.post_notice(text)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # adapter extras (e.g. a Slack client) for tests
        return getattr(self.inner, name)
