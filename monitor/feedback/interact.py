"""Slack interactivity: label clicks arrive over Socket Mode or a signed HTTP endpoint.

Both paths end in ``LabelClicks.handle(payload)``: each ``label_ban`` / ``label_not_ban``
action of a ``block_actions`` payload becomes a label (source ``slack``, who = the Slack
user id; the button value is the alert id, or ``item-<id>`` from the review digest), and
an alert's message is updated to show the verdict (``show_label``: chat.update).

- ``SocketModeListener``: slack_sdk's built-in Socket Mode client with the app-level token
  (``MONITOR_SLACK_APP_TOKEN``): no public URL needed. Every envelope is acknowledged
  FIRST (Slack wants the ack within 3 s), then the label is stored.
- ``SignedEndpoint``: ``POST /slack/actions`` for a Request URL. The signature is checked
  with ``slack_sdk.signature.SignatureVerifier`` (HMAC of ``v0:timestamp:body``); a wrong
  signature or a timestamp more than 5 minutes off gets 401 and nothing is stored. A
  valid request is answered 200 at once and handled after the answer.

Secrets (tokens, signing secret, the wss ticket URL) never reach a log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web import WebClient

from monitor.core.errors import MonitorError, redact
from monitor.core.logs import log_event
from monitor.core.ports import Notifier
from monitor.feedback.labels import apply_label, review_items
from monitor.ops.web import HttpServer, Request, Response
from state.labels import StoredLabel, Verdict
from state.store import LabelPort

log = logging.getLogger("monitor.interact")

ACTIONS: dict[str, Verdict] = {"label_ban": "ban", "label_not_ban": "not_ban"}
ACTIONS_PATH = "/slack/actions"


@dataclass(frozen=True, slots=True)
class Click:
    """One label button press."""

    ref: str  # alert id, or item-<id>
    verdict: Verdict
    user: str  # Slack user id (or name when the id is missing)


def parse_clicks(payload: Mapping[str, Any]) -> list[Click]:
    """Pure: the label clicks in a ``block_actions`` payload (anything else: none)."""
    if payload.get("type") != "block_actions":
        return []
    user = payload.get("user") or {}
    who = str(user.get("id") or user.get("username") or user.get("name") or "slack")
    clicks = []
    for action in payload.get("actions") or []:
        verdict = ACTIONS.get(str(action.get("action_id")))
        value = str(action.get("value") or "").strip()
        if verdict and value:
            clicks.append(Click(value, verdict, who))
    return clicks


class LabelClicks:
    """Stores the labels of a payload and shows the verdict on the alert message."""

    def __init__(self, store: LabelPort, notifier: Notifier, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock

    def handle(self, payload: Mapping[str, Any]) -> list[StoredLabel]:
        stored = []
        for click in parse_clicks(payload):
            try:
                label = apply_label(self.store, click.ref, click.verdict, click.user, "slack",
                                    self.clock())  # fmt: skip
            except MonitorError as exc:
                log_event(log, "label_failed", logging.WARNING, ref=click.ref, error=str(exc))
                continue
            stored.append(label)
            log_event(log, "labelled", ref=click.ref, verdict=click.verdict, who=click.user)
            self._show(label)
        return stored

    def _show(self, label: StoredLabel) -> None:
        alert = self.store.alert(label.alert_id) if label.alert_id else None
        if alert is None:
            return
        try:
            self.notifier.show_label(alert, label.label, label.who, label.labelled_at)
        except MonitorError as exc:  # the label is stored; only the message stays as it was
            log_event(log, "show_label_failed", logging.WARNING, error=redact(str(exc)))


# ---------------------------------------------------------------- Socket Mode


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()).split("?ticket=")[0], None
        return True


class SocketModeListener:
    """Receives interactive envelopes over Socket Mode; ``start()`` connects, ``close()``."""

    def __init__(self, app_token: str, clicks: LabelClicks, *, api_url: str | None = None) -> None:
        self._app_token = app_token
        self._clicks = clicks
        logger = logging.Logger("slack_sdk.socket_mode.monitor", logging.INFO)
        logger.parent = logging.getLogger("slack_sdk")
        logger.addFilter(_RedactFilter())
        self._logger = logger
        self._web = WebClient(base_url=api_url or WebClient.BASE_URL, logger=logger)
        self._client: SocketModeClient | None = None

    def start(self) -> None:
        client = SocketModeClient(
            app_token=self._app_token, web_client=self._web, logger=self._logger
        )
        client.socket_mode_request_listeners.append(self._on_request)  # type: ignore[arg-type]
        client.connect()
        self._client = client
        log_event(log, "socket_mode_connected")

    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        # Ack first, always: Slack retries an envelope not acknowledged within 3 s.
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        if request.type == "interactive" and isinstance(request.payload, dict):
            self._clicks.handle(request.payload)


# ---------------------------------------------------------------- signed HTTP


class SignedEndpoint:
    """Slack's Request URL (``POST /slack/actions``), mounted on a ``monitor.ops.web.HttpServer``.

    Given ``server``, it only adds its route there (the service's one listener, beside
    ``/healthz`` and ``/metrics``); without one it runs its own server on ``listen``.
    """

    def __init__(
        self,
        clicks: LabelClicks,
        signing_secret: str,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        *,
        clock: Clock | None = None,
        server: HttpServer | None = None,
    ) -> None:
        self.clicks = clicks
        self.verifier = SignatureVerifier(signing_secret, clock or Clock())
        self._owned = server is None
        self._server = server or HttpServer(listen)
        self._server.route("POST", ACTIONS_PATH, self.handle)

    @property
    def url(self) -> str:
        return self._server.base_url + ACTIONS_PATH

    def start(self) -> SignedEndpoint:
        self._server.start()
        return self

    def close(self) -> None:
        if self._owned:  # a shared server is closed by its owner
            self._server.close()

    def accepts(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return self.verifier.is_valid_request(body, dict(headers))

    def handle(self, request: Request) -> Response:
        """401 for a bad signature; 200 at once, and the clicks handled after the answer."""
        if not request.body:
            return Response(400)
        if not self.accepts(request.body, request.headers):
            log_event(log, "signature_rejected", logging.WARNING)
            return Response(401)
        payload = payload_of(request.body)
        if payload is None:
            return Response(400)
        return Response(200, after=lambda: self.clicks.handle(payload))


def payload_of(body: bytes) -> dict[str, Any] | None:
    """Pure: the JSON ``payload`` field of Slack's form-encoded interaction request."""
    try:
        form = dict(parse_qsl(body.decode("utf-8")))
        data = json.loads(form.get("payload", ""))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


class DigestJob:
    """Daily: post the review queue (``size`` most uncertain unlabelled items) to Slack."""

    def __init__(
        self,
        store: LabelPort,
        notifier: Notifier,
        threshold: Callable[[], float],
        clock: Callable[[], datetime],
        size: int = 10,
        every: float = 86400.0,
    ) -> None:
        self.store, self.notifier, self.threshold = store, notifier, threshold
        self.clock, self.size, self.every = clock, size, every

    def __call__(self) -> int:
        """Posts when a day has passed since the last digest; returns items posted."""
        now = self.clock()
        last = self.store.get_meta("last_digest")
        if last and (now - datetime.fromisoformat(last)).total_seconds() < self.every:
            return 0
        items = review_items(self.store, self.threshold(), self.size)
        if items and self.notifier.post_review(items) is None:
            return 0  # this notifier has no review digest: the queue stays on the CLI
        self.store.set_meta("last_digest", now.isoformat())
        log_event(log, "review_digest", items=len(items))
        return len(items)
