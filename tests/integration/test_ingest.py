"""Ingestion end to end: local feeds and pages on 127.0.0.1, real SQLite, the real CLI."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.bootstrap import build_app
from monitor.cli import main
from monitor.core.settings import load_settings
from monitor.delivery.notify import JsonlNotifier
from monitor.pipeline import run_cycle
from tests.conftest import write_config
from tests.support.clock import SettableClock
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def serve_desk(server: LocalServer) -> None:
    """/desk.xml: two articles with pages, one PDF, one dead link."""
    items = [
        ("Council approves new budget", server.url_for("/a/1.html"), "Budget news."),
        ("Harbour bridge reopens after repairs", server.url_for("/a/2.html"), "Traffic news."),
        ("Annual report published", server.url_for("/a/report.pdf"), "The report as a PDF."),
        ("Missing page story", server.url_for("/a/gone.html"), "Summary of a missing page."),
    ]
    server.set("/desk.xml", Route(body=rss(items), headers=RSS, etag='"v1"'))
    server.set(
        "/a/1.html", Route(body=article("Council approves new budget", FILLER), headers=HTML)
    )
    bridge = [
        "The harbour bridge reopened to traffic on Monday after eight months of repairs "
        "to its steel deck and cables, the transport department said.",
        *FILLER,
    ]
    server.set("/a/2.html", Route(body=article("Harbour bridge reopens", bridge), headers=HTML))
    server.set(
        "/a/report.pdf", Route(body=b"%PDF-1.4 binary", headers={"Content-Type": "application/pdf"})
    )


def rows(tmp_path: Path, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return db.execute(sql).fetchall()


def test_run_once_stores_articles_then_polls_conditionally(
    tmp_path: Path, server: LocalServer, model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_desk(server)
    config = write_config(
        tmp_path,
        [],
        model=model_path,
        extra=f'[[feeds]]\nurl = "{server.url_for("/desk.xml")}"\ninterval = "1s"\n',
    )
    assert main(["run", "--once", "--config", str(config)]) == 0
    items = {r["title"]: r for r in rows(tmp_path, "SELECT * FROM items")}
    assert len(items) == 4
    bridge = items["Harbour bridge reopens"]
    assert bridge["method"] == "trafilatura"
    assert "eight months of repairs" in bridge["text"]
    assert "Copyright" not in bridge["text"]  # boilerplate dropped
    assert bridge["score"] is not None and bridge["model_version"]
    pdf = items["Annual report published"]
    assert (pdf["method"], pdf["text"]) == ("summary", "The report as a PDF.")
    assert pdf["fallback_reason"].startswith("not html: application/pdf")
    gone = items["Missing page story"]
    assert gone["method"] == "summary" and "404" in gone["fallback_reason"]

    time.sleep(1.3)  # the feed's interval is 1 s: due again
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert len(rows(tmp_path, "SELECT * FROM items")) == 4
    feed_requests = server.requests_for("/desk.xml")
    assert len(feed_requests) == 2
    assert feed_requests[1].header("If-None-Match") == '"v1"'
    assert len(server.requests_for("/a/1.html")) == 1  # known items are not downloaded again
    health = rows(tmp_path, "SELECT * FROM feeds")[0]
    assert health["consecutive_failures"] == 0 and health["etag"] == '"v1"'
    assert "cycle: 1 feeds" in capsys.readouterr().err


def test_failing_feed_backs_off_and_the_cycle_goes_on(tmp_path: Path, server: LocalServer) -> None:
    good_items = [("Good story", server.url_for("/good/1.html"), "A good summary.")]
    server.set("/good.xml", Route(body=rss(good_items), headers=RSS))
    server.set("/good/1.html", Route(body=article("Good story", FILLER), headers=HTML))
    server.set(
        "/bad.xml",
        [
            Route(status=500, body=b"oops"),
            Route(status=429, headers={"Retry-After": "7200"}),
            Route(delay=3.0, body=rss([]), headers=RSS),
            Route(body=b"<html><body><p>Not a feed at all</p></body></html>", headers=HTML),
            Route(body=rss([("Back again", server.url_for("/good/1.html"), "x")]), headers=RSS),
        ],
    )
    config = write_config(tmp_path, [server.url_for("/good.xml"), server.url_for("/bad.xml")])
    settings = load_settings(config, {}).with_values("polling", timeout=1.0)
    clock = SettableClock(datetime(2025, 1, 1, tzinfo=UTC))
    app = build_app(settings, clock=clock, notifier=JsonlNotifier(tmp_path / "a.jsonl"))
    bad_url = server.url_for("/bad.xml")
    expected = ["http_status: HTTP 500", "http_status: HTTP 429", "timeout", "parse"]
    try:
        waits = []
        for n, error in enumerate(expected, start=1):
            report = run_cycle(app.deps)
            runs = {r.feed_url: r for r in report.runs}
            assert runs[bad_url].status == "error"
            assert error in (runs[bad_url].error or "")
            health = {f.url: f for f in app.store.feeds()}[bad_url]
            assert health.consecutive_failures == n
            assert error in (health.last_error or "")
            assert health.next_check is not None
            waits.append((health.next_check - clock.now).total_seconds())
            clock.now = health.next_check + timedelta(seconds=1)
        assert waits[1] >= 7200  # Retry-After honoured
        assert waits[2] > waits[0] * 1.5  # exponential
        assert len([r for r in server.requests if r.path == "/good.xml"]) >= 1
        # it is never disabled: the next poll succeeds and resets the count
        report = run_cycle(app.deps)
        health = {f.url: f for f in app.store.feeds()}[bad_url]
        assert health.consecutive_failures == 0 and health.last_error is None
        assert app.store.count_items() == 1  # the good story, stored once
    finally:
        app.close()


def test_private_addresses_are_refused_by_default(tmp_path: Path, server: LocalServer) -> None:
    server.set("/feed.xml", Route(body=rss([]), headers=RSS))
    config = write_config(tmp_path, [server.url_for("/feed.xml")])
    settings = load_settings(config, {}).with_values("polling", allow_private_addresses=False)
    app = build_app(settings, notifier=JsonlNotifier(tmp_path / "a.jsonl"))
    try:
        report = run_cycle(app.deps)
    finally:
        app.close()
    assert report.runs[0].status == "error"
    row = rows(tmp_path, "SELECT last_error FROM feeds")[0]
    assert "blocked" in row["last_error"] and "127.0.0.1" in row["last_error"]
    assert server.requests == []  # nothing was sent to the private address


def test_status_shows_feed_health(
    tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.set("/x.xml", Route(status=503, headers={"Retry-After": "60"}))
    config = write_config(tmp_path, [server.url_for("/x.xml")])
    settings = load_settings(config, {})
    app = build_app(settings, notifier=JsonlNotifier(tmp_path / "a.jsonl"))
    try:
        run_cycle(app.deps)
    finally:
        app.close()
    assert main(["status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "feeds: 1 (1 failing)" in out
    assert "HTTP 503" in out and server.url_for("/x.xml") in out


def test_feeds_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, ["https://news.example/rss"])
    args = ["--config", str(config)]
    assert main(["feeds", "add", "https://other.example/feed", "--name", "Other", *args]) == 0
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="Tech"><outline text="One" xmlUrl="https://one.example/rss"/>'
        '<outline text="Two" xmlUrl="https://two.example/atom"/></outline></body></opml>'
    )
    assert main(["feeds", "import", str(opml), *args]) == 0
    assert main(["feeds", "remove", "https://news.example/rss", *args]) == 0
    assert main(["feeds", "remove", "https://never.example/rss", *args]) == 1
    capsys.readouterr()
    assert main(["feeds", "list", *args]) == 0
    listed = capsys.readouterr().out
    for url in (
        "https://other.example/feed",
        "https://one.example/rss",
        "https://two.example/atom",
    ):
        assert url in listed
    assert "https://news.example/rss" not in listed
    assert main(["feeds", "add", "ftp://bad.example/x", *args]) == 2


def test_default_feed_list_is_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "m.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "s.sqlite3"}"\n')
    assert main(["feeds", "list", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "https://feeds.bbci.co.uk/news/technology/rss.xml" in out
    assert len(out.strip().splitlines()) >= 16  # header + 15 or more feeds


def test_ill_formed_feed_yields_items_and_a_recorded_warning(
    tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    link = server.url_for("/a/1.html")
    body = rss([("Council approves new budget", link, "Budget news.")]).replace(
        b"</channel>", b"<item><title>Broken & unescaped</title></item></channel>"
    )
    server.set("/bozo.xml", [Route(body=body, headers=RSS, etag='"b"')])
    server.set(
        "/a/1.html", Route(body=article("Council approves new budget", FILLER), headers=HTML)
    )
    config = write_config(tmp_path, [server.url_for("/bozo.xml")])
    clock = SettableClock(datetime(2025, 1, 1, tzinfo=UTC))
    app = build_app(
        load_settings(config, {}), clock=clock, notifier=JsonlNotifier(tmp_path / "a.jsonl")
    )
    try:
        run = run_cycle(app.deps).runs[0]
        assert run.status == "ok" and run.new >= 1 and run.warning
        health = app.store.feeds()[0]
        assert health.last_warning == run.warning and health.consecutive_failures == 0
        assert health.next_check is not None
        clock.now = health.next_check + timedelta(seconds=1)
        assert run_cycle(app.deps).runs[0].status == "not_modified"
        assert app.store.feeds()[0].last_warning == run.warning  # a 304 keeps it
    finally:
        app.close()
    assert main(["status", "--config", str(config)]) == 0
    assert "warning: " in capsys.readouterr().out
