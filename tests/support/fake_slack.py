"""A local fake of the Slack Web API and of an incoming webhook, for the REAL slack_sdk clients.

A ``ThreadingHTTPServer`` on 127.0.0.1 (never the internet). It checks the bearer token,
stores messages, answers like Slack (HTTP 200 with ``{"ok": false, "error": ...}`` for API
errors, 429 + Retry-After when rate limited) and records every call. Failures are injected
per method with ``fail_next`` or for everything with ``down``.

Usage::

    from slack_sdk import WebClient
    from tests.support.fake_slack import FakeSlack

    with FakeSlack() as slack:                      # token "xoxb-fake-valid", channel C0ALERTS
        client = WebClient(token=slack.token, base_url=slack.api_url)
        client.chat_postMessage(channel=slack.channel, text="hi")
        assert slack.top_level()[0]["text"] == "hi"
        slack.fail_next("chat.postMessage", "ratelimited", retry_after=7)
        # the next chat.postMessage gets HTTP 429 with "Retry-After: 7"
        # webhook: WebhookClient(slack.webhook_url).send(text="hi") -> body "ok"

Implemented methods: ``apps.connections.open`` (app token ``xapp-fake-valid``; returns
``socket_url``), ``auth.test``, ``chat.postMessage``, ``chat.update``,
``conversations.history``, ``conversations.replies``, ``conversations.list``; the webhook
path ``/hooks/T000/B000/XXX`` (method name "webhook" for ``fail_next``/``calls``).
Failure modes: "ratelimited", "server_error", "invalid_auth", "channel_not_found", "drop"
(close the connection without answering), "timeout" (hold the request ``hang_seconds``,
longer than the client timeout, then close).

``hold(method, seconds)``: the next call of ``method`` is carried out (a posted message is
stored and visible in ``messages()``) but the answer waits ``seconds`` (or until ``stop``):
the window in which a client can crash after Slack has the message and before it learns
the ``ts``. Every ``Call`` carries ``at``, its ``time.monotonic()`` arrival time.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.background import ServedInThread

WEBHOOK_PATH = "/hooks/T000/B000/XXX"
MODES = ("ratelimited", "server_error", "invalid_auth", "channel_not_found", "drop", "timeout")
_JSON_FIELDS = ("blocks", "metadata", "attachments")  # JSON strings when form-encoded


@dataclass(frozen=True)
class Call:
    """One request as received: Slack method, merged params (query + body), headers."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    json_body: bool
    at: float = field(default_factory=time.monotonic)  # arrival, time.monotonic()


@dataclass
class _Failure:
    mode: str
    count: int
    retry_after: float | None


@dataclass
class FakeSlack(ServedInThread):
    """The fake server. Start with ``with FakeSlack() as slack`` (or ``start()``/``stop()``)."""

    token: str = "xoxb-fake-valid"
    channels: dict[str, str] = field(default_factory=lambda: {"C0ALERTS": "alerts"})
    hang_seconds: float = 2.0  # "timeout" mode holds the request this long (or until stop)
    socket_url: str | None = None  # what apps.connections.open hands out (fake Socket Mode)
    app_token: str = "xapp-fake-valid"  # the app-level token apps.connections.open accepts

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._messages: list[dict[str, Any]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._down: str | None = None
        self._holds: dict[str, list[float]] = {}
        self._next_ts = 0
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ lifecycle

    def _serve(self) -> Callable[[], object]:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        return functools.partial(self._server.serve_forever, poll_interval=0.02)

    def _shut(self) -> None:
        self._release.set()  # let "timeout" requests finish now
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def webhook_url(self) -> str:
        return self.url + WEBHOOK_PATH

    @property
    def channel(self) -> str:
        return next(iter(self.channels))

    # ------------------------------------------------------------ failure injection

    def fail_next(
        self, method: str, mode: str, count: int = 1, retry_after: float | None = None
    ) -> None:
        """The next ``count`` calls of ``method`` fail in ``mode`` (see MODES)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(mode, count, retry_after))

    def down(self, is_down: bool = True, mode: str = "server_error") -> None:
        """Every call fails with 500 ("server_error") or a dropped connection ("drop")."""
        if mode not in ("server_error", "drop"):
            raise ValueError("down() takes mode 'server_error' or 'drop'")
        with self._lock:
            self._down = mode if is_down else None

    def hold(self, method: str, seconds: float, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` are carried out, then answered only after
        ``seconds`` (``stop()`` ends the wait early)."""
        with self._lock:
            self._holds.setdefault(method, []).extend([seconds] * count)

    # ------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Stored messages (copies), oldest first."""
        with self._lock:
            return [dict(m) for m in self._messages if channel in (None, m["channel"])]

    def top_level(self) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m.get("thread_ts") in (None, m["ts"])]

    def replies(self, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m.get("thread_ts") == thread_ts != m["ts"]]

    # ------------------------------------------------------------ request handling

    def _record(self, call: Call) -> _Failure | None:
        """Store the call; return the failure to apply to it, if any."""
        with self._lock:
            self._calls.append(call)
            if self._down:
                return _Failure(self._down, 1, None)
            queue = self._failures.get(call.method) or []
            if not queue:
                return None
            failure = queue[0]
            failure.count -= 1
            if failure.count <= 0:
                queue.pop(0)
            return failure

    def _hang(self) -> None:
        self._release.wait(self.hang_seconds)

    def _hold_for(self, method: str) -> float:
        """Seconds to hold this call's answer (0: answer at once); consumes one hold."""
        with self._lock:
            queue = self._holds.get(method) or []
            return queue.pop(0) if queue else 0.0

    def _api(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if not token:
            return {"ok": False, "error": "not_authed"}
        if method == "apps.connections.open":  # the only method taking the app-level token
            if token != self.app_token:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url or ""}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self._lock:
            return handler(self, params)

    def _channel_id(self, given: Any) -> str | None:
        """Accept an id, "name" or "#name" like chat.postMessage does."""
        name = str(given or "").lstrip("#")
        if given in self.channels:
            return str(given)
        return next((cid for cid, n in self.channels.items() if n == name), None)

    def _post(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(params.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        self._next_ts += 100
        message = {
            "type": "message",
            "user": "U0BOT",
            "ts": f"1700000000.{self._next_ts:06d}",
            "channel": channel,
            "text": params.get("text", ""),
            "blocks": params.get("blocks"),
            "thread_ts": params.get("thread_ts"),
            "metadata": params.get("metadata"),
        }
        self._messages.append(message)
        public = {k: v for k, v in message.items() if k != "channel" and v is not None}
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": public}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(params.get("channel"))
        if channel is None or channel != params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}  # chat.update needs the id
        for message in self._messages:
            if message["channel"] == channel and message["ts"] == params.get("ts"):
                for key in ("text", "blocks", "metadata"):
                    if key in params:
                        message[key] = params[key]
                message["edited"] = True
                return {
                    "ok": True,
                    "channel": channel,
                    "ts": message["ts"],
                    "text": message["text"],
                }
        return {"ok": False, "error": "message_not_found"}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        top = [
            m
            for m in self._messages
            if m["channel"] == channel and m["thread_ts"] in (None, m["ts"])
        ]
        newest_first = list(reversed(top))[: int(params.get("limit") or 100)]
        shown = [_public(m, _flag(params.get("include_all_metadata"))) for m in newest_first]
        return {"ok": True, "messages": shown, "has_more": len(top) > len(shown)}

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("ts")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        thread = [
            m
            for m in self._messages
            if m["channel"] == channel and (m["ts"] == ts or m["thread_ts"] == ts)
        ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        meta = _flag(params.get("include_all_metadata"))
        return {"ok": True, "messages": [_public(m, meta) for m in thread], "has_more": False}

    def _list(self, params: dict[str, Any]) -> dict[str, Any]:
        channels = [{"id": cid, "name": name} for cid, name in self.channels.items()]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": self.url + "/",
            "team": "Fake",
            "user": "monitor",
            "team_id": "T000",
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
        }


_METHODS = {
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._post,
    "chat.update": FakeSlack._update,
    "conversations.history": FakeSlack._history,
    "conversations.replies": FakeSlack._replies,
    "conversations.list": FakeSlack._list,
}


def _flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _public(message: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
    """A message as the history APIs show it (metadata only when asked for)."""
    shown = {k: v for k, v in message.items() if k != "channel" and v is not None}
    if not with_metadata:
        shown.pop("metadata", None)
    return shown


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    server_version = "FakeSlack/1.0"

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the recorded calls instead."""

    def _handle(self) -> None:
        path = urlsplit(self.path).path
        is_webhook = path == WEBHOOK_PATH
        method = "webhook" if is_webhook else path.removeprefix("/api/")
        params, is_json = self._params()
        failure = self.fake._record(Call(method, params, dict(self.headers.items()), is_json))
        if failure and failure.mode in ("drop", "timeout"):
            if failure.mode == "timeout":
                self.fake._hang()
            self.close_connection = True  # no answer at all: the client sees a dropped line
            return
        if failure is not None:
            self._fail(failure, is_webhook)
        elif is_webhook:
            self._send(200, "ok", "text/html")
        elif path.startswith("/api/"):
            answer = self.fake._api(method, params, self._token(params))
            held = self.fake._hold_for(method)
            if held:
                self.fake._release.wait(held)
            self._send_json(200, answer)
        else:
            self._send(404, "not found", "text/plain")

    def _params(self) -> tuple[dict[str, Any], bool]:
        params: dict[str, Any] = dict(parse_qsl(urlsplit(self.path).query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        is_json = "json" in (self.headers.get("Content-Type") or "")
        if is_json and raw:
            params.update(json.loads(raw))
        elif raw:
            params.update(parse_qsl(raw))
            for key in _JSON_FIELDS:
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
        return params, is_json

    def _token(self, params: dict[str, Any]) -> str | None:
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return params.get("token")

    def _fail(self, failure: _Failure, is_webhook: bool) -> None:
        mode, retry_after = failure.mode, failure.retry_after
        if mode == "ratelimited":
            headers = {"Retry-After": f"{retry_after if retry_after is not None else 1:g}"}
            body = {"ok": False, "error": "ratelimited"}
            if is_webhook:
                self._send(429, "rate_limited", "text/plain", headers)
            else:
                self._send_json(429, body, headers)
        elif mode == "server_error":
            self._send(500, "internal_error", "text/plain")
        elif is_webhook:
            status = 403 if mode == "invalid_auth" else 404
            self._send(
                status, "invalid_token" if status == 403 else "channel_not_found", "text/plain"
            )
        else:
            self._send_json(200, {"ok": False, "error": mode})

    def _send_json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(body), "application/json; charset=utf-8", headers)

    def _send(
        self, status: int, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (its timeout): nothing to answer
            self.close_connection = True
