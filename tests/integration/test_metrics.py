"""``/metrics`` after a local end-to-end cycle: names and values, scraped over real HTTP.

The shared seed stories are served as a local feed (three of them are one syndicated
story: one alert, two threaded updates), next to a feed with an ETag (304 on the second
poll) and a feed that answers 500. Slack is ``FakeSlack`` driven by the real slack_sdk.
Every test builds its own ``Metrics`` registry, so values start at zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from monitor.bootstrap import build_app, build_scorer, serve_http
from monitor.core.records import CycleReport, FeedRun
from monitor.core.settings import load_settings
from monitor.ops.metrics import METRIC_NAMES, Metrics, error_kind
from monitor.service import Service
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss
from tests.support.seedfeed import HTML, RSS, alert_config, read_alerts, serve_seed_feed
from tests.support.shared import require_shared

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    answer = httpx.get(url + "/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def test_metrics_after_a_local_end_to_end_cycle(
    tmp_path: Path, server: LocalServer, model_path: Path, slack: FakeSlack
) -> None:
    seeds = serve_seed_feed(server, require_shared("seeds"))
    server.set(
        "/etag.xml",
        Route(body=rss([("Council story", server.url_for("/c.html"), FILLER[0])]), headers=RSS,
              etag='"v1"'),
    )  # fmt: skip
    server.set("/c.html", Route(body=article("Council story", FILLER), headers=HTML))
    server.set("/broken.xml", Route(status=500, body=b"oops"))
    feeds = [seeds.feed_url, server.url_for("/etag.xml"), server.url_for("/broken.xml")]
    config = alert_config(tmp_path, feeds, slack, model_path)
    config.write_text(config.read_text() + '[http]\nlisten = "127.0.0.1:0"\n')
    settings = load_settings(config, {"MONITOR_SLACK_BOT_TOKEN": slack.token})
    clock = SettableClock()
    app = build_app(settings, clock=clock, scorer=build_scorer(settings))
    try:
        service = Service(app.deps, after_cycle=app.after_cycle)
        serve_http(app, service)
        assert app.web is not None
        service.cycle()
        first = scrape(app.web.base_url)
        clock.now += timedelta(hours=1)  # every feed is due again
        service.cycle()
        second = scrape(app.web.base_url)
        rows = read_alerts(tmp_path / "state.sqlite3")
        version = app.deps.scorer.model_version  # type: ignore[union-attr]
    finally:
        app.close()

    exposed = {name for name, _ in first}
    for metric in METRIC_NAMES:  # counters as NAME, histograms as NAME_count/_sum/_bucket
        assert metric in exposed or f"{metric}_count" in exposed, metric
    alerts = [r for r in rows if r["kind"] == "alert"]
    updates = [r for r in rows if r["kind"] == "update"]
    assert len(alerts) >= 2 and len(updates) >= 2  # the syndicated seeds thread up

    new = value(first, "appban_items_new_total")
    assert new == 8 + 1  # 5 seeds + 3 ordinary items, and the council story
    assert value(first, "appban_cycles_total") == 1
    assert value(first, "appban_feeds_polled_total", status="ok") == 2
    assert value(first, "appban_feeds_polled_total", status="error") == 1
    assert value(first, "appban_fetch_errors_total", kind="http_status") == 1
    extracted = value(first, "appban_articles_total", method="trafilatura")
    fell_back = value(first, "appban_articles_total", method="summary")
    assert extracted + fell_back == new and extracted >= 8
    assert value(first, "appban_scored_total") == new
    assert value(first, "appban_alerts_created_total") == len(rows)
    assert value(first, "appban_delivered_total", kind="alert") == len(alerts)
    assert value(first, "appban_delivered_total", kind="update") == len(updates)
    assert value(first, "appban_updates_threaded_total") == len(updates)
    assert value(first, "appban_alerts", status="sent") == len(rows)
    assert value(first, "appban_alerts", status="pending") == 0
    assert value(first, "appban_alerts", status="failed") == 0
    assert value(first, "appban_slack_retries_total") == 0
    assert value(first, "appban_time_to_alert_seconds_count") == len(alerts)
    assert value(first, "appban_model_info", version=version) == 1

    # second cycle: the ETag feed answers 304, the seed items are known and skipped
    assert value(second, "appban_cycles_total") == 2
    assert value(second, "appban_feeds_polled_total", status="not_modified") == 1
    assert value(second, "appban_items_skipped_total") == 8
    assert value(second, "appban_items_new_total") == new
    assert value(second, "appban_fetch_errors_total", kind="http_status") == 2


def test_retries_are_counted_and_registries_are_independent(
    tmp_path: Path, server: LocalServer, model_path: Path, slack: FakeSlack
) -> None:
    seeds = serve_seed_feed(server, require_shared("seeds"))
    config = alert_config(tmp_path, [seeds.feed_url], slack, model_path)
    config.write_text(config.read_text() + '[http]\nlisten = "127.0.0.1:0"\n')
    settings = load_settings(config, {"MONITOR_SLACK_BOT_TOKEN": slack.token})
    app = build_app(settings, scorer=build_scorer(settings))
    try:
        service = Service(app.deps, after_cycle=app.after_cycle)
        serve_http(app, service)
        slack.fail_next("chat.postMessage", "server_error")
        service.cycle()
        assert app.web is not None
        samples = scrape(app.web.base_url)
        pending = len(app.store.alerts("pending"))
    finally:
        app.close()
    assert value(samples, "appban_slack_retries_total") == 1
    assert value(samples, "appban_alerts", status="pending") == pending > 0
    assert value(samples, "appban_delivered_total", kind="alert") == 0
    fresh = Metrics(CollectorRegistry())  # nothing leaked into a new registry
    assert b"appban_slack_retries_total 0.0" in fresh.render()


def test_fetch_error_kinds_come_from_the_feed_run() -> None:
    metrics = Metrics(CollectorRegistry())
    now = datetime(2025, 1, 1, tzinfo=UTC)
    runs = (
        FeedRun("a", "error", error="timeout: overall deadline exceeded"),
        FeedRun("b", "error", error="parse: not a feed"),
        FeedRun("c", "error", error="something odd"),
        FeedRun("d", "ok", new=3, skipped=2, fallbacks=1, alerted=1),
    )
    metrics.observe_cycle(CycleReport(now, now, runs))
    text = metrics.render().decode()
    assert 'appban_fetch_errors_total{kind="timeout"} 1.0' in text
    assert 'appban_fetch_errors_total{kind="parse"} 1.0' in text
    assert 'appban_fetch_errors_total{kind="other"} 1.0' in text
    assert 'appban_articles_total{method="trafilatura"} 2.0' in text
    assert 'appban_articles_total{method="summary"} 1.0' in text
    assert [error_kind(None), error_kind("too_large: 6MB")] == ["other", "too_large"]
