"""The HTTP listener under hostile or slow clients, the ops listener, and liveness vs
readiness: malformed Slack auth headers are 401 (never 500), half-sent and dripping
requests are cut off, /metrics and the probes can live on their own address, and a
long cycle that keeps making progress stays ready."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from monitor.bootstrap import build_app, serve_http
from monitor.core.records import CycleReport
from monitor.core.settings import load_settings
from monitor.feedback.interact import LabelClicks, SignedEndpoint
from monitor.ops.health import Beating, HealthCheck, Heartbeat
from monitor.ops.web import HttpServer, Response
from monitor.service import Service
from state.sqlite import SQLiteStore
from tests.conftest import write_config
from tests.support.clock import SettableClock
from tests.support.fakes import FakeNotifier

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=é"},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
    ],
)
def test_malformed_slack_auth_headers_are_401(tmp_path: Path, headers: dict[str, str]) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3")
    endpoint = SignedEndpoint(LabelClicks(store, FakeNotifier(), lambda: T0), "secret").start()
    try:
        raw = [(k.encode(), v.encode("utf-8")) for k, v in headers.items()]
        answer = httpx.post(endpoint.url, content=b"payload=%7B%7D", headers=raw)
    finally:
        endpoint.close()
        store.close()
    assert answer.status_code == 401


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server ends the connection (EOF or reset) within ``seconds``."""
    sock.settimeout(seconds)
    try:
        while sock.recv(1024):
            pass
        return True
    except TimeoutError:
        return False
    except OSError:
        return True
    finally:
        sock.close()


def test_half_sent_and_dripping_requests_are_cut_off() -> None:
    server = HttpServer(idle_timeout=0.5, deadline=2.0).start()
    server.route("GET", "/livez", lambda _: Response(200, b"ok\n"))
    host, port = server.base_url.removeprefix("http://").split(":")
    try:
        half = [socket.create_connection((host, int(port))) for _ in range(10)]
        for sock in half:
            sock.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")  # never finished
        assert all(_closed_within(sock, 3.0) for sock in half)
        started = time.monotonic()
        with socket.create_connection((host, int(port))) as drip:
            try:
                for byte in b"GET /livez HTTP/1.1\r\nHost: " + b"x" * 40:
                    drip.sendall(bytes([byte]))  # one byte every 0.2 s: never idle 0.5 s
                    time.sleep(0.2)
            except OSError:
                pass  # cut off, as wanted
        assert time.monotonic() - started < 4
        assert httpx.get(server.base_url + "/livez").status_code == 200  # still serving
    finally:
        server.close()


def test_probes_and_metrics_on_their_own_listener(tmp_path: Path) -> None:
    extra = '[http]\nlisten = "127.0.0.1:0"\nops_listen = "127.0.0.1:0"\n'
    settings = load_settings(write_config(tmp_path, [], extra=extra), {})
    app = build_app(settings)
    try:
        serve_http(app, Service(app.deps))
        assert app.web is not None and app.ops_web is not None
        ops, main = app.ops_web.base_url, app.web.base_url
        assert httpx.get(ops + "/metrics").status_code == 200
        assert httpx.get(main + "/metrics").status_code == 404
        assert httpx.get(main + "/healthz").status_code == 404
        live = httpx.get(ops + "/livez")
        assert live.status_code == 503 and live.json()["checks"]["scheduler"]["ok"] is False
        assert httpx.get(ops + "/readyz").status_code == 503  # no model, not running
    finally:
        app.close()


class _Fetcher:
    def fetch(self, url: str) -> str:
        return url


def test_a_200_second_cycle_with_progress_stays_ready(tmp_path: Path) -> None:
    clock = SettableClock(T0)
    heartbeat = Heartbeat(clock)
    fetcher = Beating(_Fetcher(), heartbeat.beat)
    service = _RunningService(clock)
    check = HealthCheck(service, lambda now: None, _Scorer(), clock, heartbeat)
    service.cycle_started = clock()
    for _ in range(20):  # a 200-s cycle: a fetch answers every 10 s
        clock.advance(10)
        fetcher.fetch("https://example.org/a")
        assert check.report().ok, check.report().checks["last_cycle"]
    clock.advance(91)  # then nothing answers for more than 3 intervals
    report = check.report()
    assert not report.ok and "no progress" in report.checks["last_cycle"].detail
    assert check.liveness().ok  # alive all the same: not a reason to restart


class _RunningService:
    running = True
    tick = 30.0
    last_cycle: CycleReport | None = None

    def __init__(self, clock: SettableClock) -> None:
        self.started_at = clock()
        self.cycle_started: datetime | None = None


class _Scorer:
    model_version = "m-test"
