"""``/healthz`` on the service's real HTTP listener, with the scheduler running in-process.

Healthy after a cycle (200 + JSON); 503 when the database refuses writes (the store's own
connection switched to ``PRAGMA query_only``, what a read-only file system does to it)
and when the poll job has not completed a cycle for 3 intervals (a feed that hangs).
The Slack actions path answers on the same listener.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from monitor.bootstrap import App, build_app, build_scorer, serve_http
from monitor.core.settings import load_settings
from monitor.ops.health import cycle_check
from monitor.service import Service
from tests.conftest import write_config
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss
from tests.support.seedfeed import HTML, RSS, wait_for

TICK = 1.0


@dataclass
class Running:
    app: App
    service: Service
    base: str

    def health(self) -> httpx.Response:
        return httpx.get(self.base + "/healthz", timeout=10)


def serve_feed(server: LocalServer, slow_after_first: bool = False) -> str:
    items = [(f"Council story {n}", server.url_for(f"/a/{n}.html"), FILLER[0]) for n in range(2)]
    fast = Route(body=rss(items), headers=RSS)
    server.set("/feed.xml", [fast, Route(body=rss(items), headers=RSS, delay=30)]
               if slow_after_first else fast)  # fmt: skip
    for n in range(2):
        server.set(f"/a/{n}.html", Route(body=article(f"Council story {n}", FILLER), headers=HTML))
    return server.url_for("/feed.xml")


@pytest.fixture
def run_service(tmp_path: Path, model_path: Path) -> Iterator[object]:
    started: list[tuple[App, Service, threading.Thread]] = []

    def start(feed_url: str, extra: str = "", tick: float = TICK) -> Running:
        feed = f'[[feeds]]\nurl = "{feed_url}"\ninterval = "1s"\n'
        http = '[http]\nlisten = "127.0.0.1:0"\n'
        config = write_config(tmp_path, [], model=model_path, extra=http + extra + feed)
        settings = load_settings(config, {})
        app = build_app(settings, scorer=build_scorer(settings))
        service = Service(app.deps, tick=tick, after_cycle=app.after_cycle)
        serve_http(app, service)
        thread = threading.Thread(target=service.run_forever, args=(False,), daemon=True)
        thread.start()
        started.append((app, service, thread))
        assert app.web is not None
        return Running(app, service, app.web.base_url)

    yield start
    for app, service, thread in started:
        service.deps.stop.set()
        thread.join(timeout=15)
        app.close()


def test_healthy_after_a_cycle(run_service: object, server: LocalServer) -> None:
    running: Running = run_service(serve_feed(server))  # type: ignore[operator]
    assert wait_for(lambda: running.service.last_cycle is not None, 30)
    answer = running.health()
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "scheduler": True, "last_cycle": True, "database": True, "model": True,
    }  # fmt: skip
    last = datetime.fromisoformat(body["last_cycle"])
    assert abs((datetime.now(UTC) - last).total_seconds()) < 30
    assert body["checks"]["model"]["detail"].startswith("version ")
    # the same listener serves the metrics and refuses unknown paths
    assert httpx.get(running.base + "/metrics").status_code == 200
    assert httpx.get(running.base + "/nope").status_code == 404
    assert httpx.post(running.base + "/healthz", content=b"x").status_code == 405


def test_read_only_database_is_unhealthy_then_recovers(
    run_service: object, server: LocalServer
) -> None:
    running: Running = run_service(serve_feed(server))  # type: ignore[operator]
    assert wait_for(lambda: running.service.last_cycle is not None, 30)
    running.app.store.query("PRAGMA query_only = 1")  # writes now fail like on a read-only fs
    try:
        answer = running.health()
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "unhealthy"
        assert body["checks"]["database"]["ok"] is False
        assert "readonly" in body["checks"]["database"]["detail"].replace(" ", "")
        assert "state.sqlite3" not in answer.text  # no paths in the answer
    finally:
        running.app.store.query("PRAGMA query_only = 0")
    assert running.health().status_code == 200


def test_no_cycle_for_three_intervals_is_unhealthy(
    run_service: object, server: LocalServer
) -> None:
    """The second poll hangs on a feed that answers after 30 s (timeout 3 s, longer than 3
    ticks of 0.5 s): while it is stuck, no cycle completes and no fetch answers; after 3
    ticks without progress the service reports itself unhealthy."""
    running: Running = run_service(serve_feed(server, slow_after_first=True), tick=0.5)  # type: ignore[operator]
    assert wait_for(lambda: running.service.last_cycle is not None, 30)
    assert wait_for(lambda: running.health().status_code == 503, 10)
    body = running.health().json()
    assert body["checks"]["last_cycle"]["ok"] is False
    assert "no progress" in body["checks"]["last_cycle"]["detail"]
    assert "3 intervals" in body["checks"]["last_cycle"]["detail"]
    assert body["checks"]["scheduler"]["ok"] is True  # alive, but not completing cycles


def test_cycle_check_is_pure_arithmetic() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert cycle_check(now, now, now - timedelta(seconds=89), 30).ok
    assert not cycle_check(now, now, now - timedelta(seconds=91), 30).ok
    assert cycle_check(now, now - timedelta(seconds=60), None, 30).ok  # starting up
    assert not cycle_check(now, now - timedelta(seconds=100), None, 30).ok  # never cycled
    assert not cycle_check(now, None, None, 30).ok
