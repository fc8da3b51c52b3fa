"""Slack interactivity: label clicks arrive over Socket Mode or a signed HTTP endpoint.

Both paths end in ``LabelClicks``: each ``label_ban`` / ``label_not_ban`` action of a
``block_actions`` payload, checked against a schema (``monitor.feedback.clicks``) and
the configured workspace and channel, becomes a label (source ``slack``, who = the Slack
user id, at = the click time; the button value is the alert id, or ``item-<id>`` from the
review digest), and an alert's message is updated to show the verdict (``show_label``).
A click is never acknowledged before its label is durably stored.

- ``SocketModeListener``: slack_sdk's built-in Socket Mode client with the app-level token
  (``MONITOR_SLACK_APP_TOKEN``): no public URL needed. The label is stored, then the
  envelope acknowledged (a failed store is not acked: Slack delivers it again).
- ``SignedEndpoint``: ``POST /slack/actions`` for a Request URL. The signature is checked
  with ``slack_sdk.signature.SignatureVerifier`` (HMAC of ``v0:timestamp:body``); a wrong
  or malformed signature or timestamp, or one more than 5 minutes off, gets 401; a
  request seen before (same signature, within the 5 minutes) gets 409; nothing is stored
  for either. A valid request is stored, then answered 200.

Secrets (tokens, signing secret, the wss ticket URL) never reach a log line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web import WebClient

from monitor.core.errors import MonitorError, StoreError, redact
from monitor.core.logs import log_event
from monitor.core.ports import Notifier
from monitor.feedback.clicks import Click, ClickPayloadError, ClickPolicy, parse_clicks
from monitor.feedback.labels import UnknownItemError, example_id, make_label, review_items
from monitor.ops.web import HttpServer, Request, Response
from state.labels import StoredLabel
from state.store import LabelPort

log = logging.getLogger("monitor.interact")

ACTIONS_PATH = "/slack/actions"
REPLAY_WINDOW = 300.0  # seconds: Slack's signature timestamps are valid this long


class LabelClicks:
    """Stores the labels of a payload (durably, before any ack) and shows the verdict.

    A click older than the example's newest label is stale (a replay, or two clicks
    arriving out of order): the latest *click time* wins, not the latest arrival.
    """

    def __init__(
        self,
        store: LabelPort,
        notifier: Notifier,
        clock: Callable[[], datetime],
        policy: ClickPolicy | None = None,
    ) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.policy = policy or ClickPolicy()
        self._lock = threading.Lock()  # check-then-insert of one click at a time

    def handle(self, payload: Mapping[str, Any]) -> list[StoredLabel]:
        """Store, then show. A malformed payload stores nothing (logged, not raised)."""
        try:
            stored = self.store_clicks(payload)
        except ClickPayloadError as exc:
            log_event(log, "click_refused", logging.WARNING, error=str(exc))
            return []
        self.show(stored)
        return stored

    def store_clicks(self, payload: Mapping[str, Any]) -> list[StoredLabel]:
        """Validate and store the label clicks; raises ``ClickPayloadError`` for a bad
        shape and ``StoreError`` when the database cannot take them (do not ack then)."""
        stored = []
        for click in parse_clicks(payload):
            if not self.policy.allows(click):
                log_event(log, "click_refused", logging.WARNING, error="foreign workspace or "
                          f"channel (team={click.team}, channel={click.channel})")  # fmt: skip
                continue
            try:
                label = self._apply(click)
            except StoreError:
                raise
            except MonitorError as exc:
                log_event(log, "label_failed", logging.WARNING, ref=click.ref, error=str(exc))
                continue
            if label is not None:
                stored.append(label)
                log_event(log, "labelled", ref=click.ref, verdict=click.verdict, who=click.user)
        return stored

    def fresh_request(self, key: str) -> bool:
        """False for a request (by signature) already handled within the replay window."""
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
        return bool(self.store.first_sighting(digest, self.clock(), REPLAY_WINDOW))

    def show(self, labels: list[StoredLabel]) -> None:
        for label in labels:
            self._show(label)

    def _apply(self, click: Click) -> StoredLabel | None:
        at = click.clicked_at or self.clock()
        with self._lock:
            target = self.store.label_target(click.ref)
            if target is None:
                raise UnknownItemError(f"label: no alert or item {click.ref!r} in the state")
            history = self.store.label_history(example_id(target.text_hash))
            if history and history[-1].labelled_at >= at:
                log_event(log, "click_stale", ref=click.ref, verdict=click.verdict)
                return None
            label = make_label(target, click.verdict, click.user, "slack", at)
            (seq,) = self.store.add_labels([label])
        return replace(label, seq=seq)

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
        # Store first, then ack (Slack wants the ack within 3 s; a label is one short
        # transaction). Not stored -> not acked, so Slack delivers the envelope again.
        stored: list[StoredLabel] = []
        if request.type == "interactive" and isinstance(request.payload, dict):
            try:
                stored = self._clicks.store_clicks(request.payload)
            except ClickPayloadError as exc:  # acked: a redelivery would not fix it
                log_event(log, "click_refused", logging.WARNING, error=str(exc))
            except StoreError as exc:
                log_event(log, "click_not_stored", logging.ERROR, error=str(exc))
                return
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        self._clicks.show(stored)


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
        try:
            return bool(self.verifier.is_valid_request(body, dict(headers)))
        except (ValueError, TypeError, OverflowError):  # garbage timestamp or signature
            return False

    def handle(self, request: Request) -> Response:
        """401 bad signature, 409 replay, 400 bad payload, 503 not stored; else the clicks
        are stored, 200 answered, and the verdict shown on the message after the answer."""
        if not request.body:
            return Response(400)
        if not self.accepts(request.body, request.headers):
            log_event(log, "signature_rejected", logging.WARNING)
            return Response(401)
        payload = payload_of(request.body)
        if payload is None:
            return Response(400)
        try:
            if not self.clicks.fresh_request(request.headers.get("x-slack-signature", "")):
                log_event(log, "click_replayed", logging.WARNING)
                return Response(409, b"replayed request\n")
            stored = self.clicks.store_clicks(payload)
        except ClickPayloadError as exc:
            log_event(log, "click_refused", logging.WARNING, error=str(exc))
            return Response(400)
        except StoreError as exc:
            log_event(log, "click_not_stored", logging.ERROR, error=str(exc))
            return Response(503, b"not stored, try again\n")
        return Response(200, after=lambda: self.clicks.show(stored))


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
