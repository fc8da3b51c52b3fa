"""Slack interactivity: Socket Mode (real slack_sdk client, fake WebSocket endpoint) and the
signed HTTP endpoint (real SignatureVerifier); labels land in a real SQLite file."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from monitor.delivery.notify import SlackNotifier
from monitor.feedback.interact import LabelClicks, SignedEndpoint, SocketModeListener, parse_clicks
from state.sqlite import SQLiteStore
from tests.integration.test_labels import BAN_TEXT, scored, store_articles
from tests.support import seedfeed
from tests.support.fake_slack import FakeSlack
from tests.support.fake_socket_mode import FakeSocketMode

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def sent(tmp_path: Path, slack: FakeSlack) -> Iterator[tuple[SQLiteStore, SlackNotifier, str]]:
    """A store holding one alert that was posted to the fake Slack."""
    store = SQLiteStore(tmp_path / "state.sqlite3")
    (alert_id,) = store_articles(store, [scored(1, "Regulator blocks Telegram", BAN_TEXT, 0.9)])
    notifier = SlackNotifier(slack.token, slack.channel, base_url=slack.api_url)
    delivery = notifier.send(store.alert(alert_id))  # type: ignore[arg-type]
    store.mark_sent(alert_id, delivery.ts, delivery.channel, NOW)
    yield store, notifier, alert_id
    store.close()


def click(alert_id: str, action: str = "label_not_ban", user: str = "U0ALICE") -> dict:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "alice"},
        "channel": {"id": "C0ALERTS"},
        "message": {"ts": "1700000000.000100"},
        "actions": [{"action_id": action, "block_id": "labels", "value": alert_id,
                     "type": "button", "action_ts": f"{NOW.timestamp():.6f}"}],
    }  # fmt: skip


def wait_for(predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    return seedfeed.wait_for(predicate, timeout, step=0.02)


def test_parse_clicks_reads_label_buttons_only() -> None:
    payload = click("al-1") | {"actions": [*click("al-1")["actions"], {"action_id": "other"}]}
    assert [(c.ref, c.verdict, c.user) for c in parse_clicks(payload)] == [
        ("al-1", "not_ban", "U0ALICE")
    ]
    assert parse_clicks({"type": "view_submission"}) == []


def test_socket_mode_click_is_acked_stored_and_shown(
    sent: tuple[SQLiteStore, SlackNotifier, str], slack: FakeSlack
) -> None:
    store, notifier, alert_id = sent
    with FakeSocketMode() as socket:
        slack.socket_url = socket.url
        listener = SocketModeListener(
            slack.app_token, LabelClicks(store, notifier, lambda: NOW), api_url=slack.api_url
        )
        listener.start()
        try:
            assert socket.wait_connected()
            envelope = socket.deliver(click(alert_id))
            assert socket.wait_ack(envelope, timeout=3.0)  # Slack's 3 s limit
            assert wait_for(lambda: slack.calls("chat.update"))
        finally:
            listener.close()
    (label,) = store.latest_labels()
    assert (label.label, label.who, label.source, label.alert_id) == (
        "not_ban", "U0ALICE", "slack", alert_id,
    )  # fmt: skip
    assert (
        slack.calls("apps.connections.open")[0].headers["Authorization"].endswith(slack.app_token)
    )
    (message,) = slack.top_level()
    assert message["edited"] is True
    shown = json.dumps(message["blocks"])
    assert "Labelled *Not a ban* by <@U0ALICE> at 2025-03-04 05:06 UTC" in shown
    assert "label_not_ban" not in shown  # the buttons gave way to the verdict


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    base = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@pytest.fixture
def endpoint(sent: tuple[SQLiteStore, SlackNotifier, str]) -> Iterator[SignedEndpoint]:
    store, notifier, _ = sent
    server = SignedEndpoint(LabelClicks(store, notifier, lambda: NOW), SECRET).start()
    yield server
    server.close()


def test_signed_request_is_accepted_and_stored(
    sent: tuple[SQLiteStore, SlackNotifier, str], endpoint: SignedEndpoint, slack: FakeSlack
) -> None:
    store, _, alert_id = sent
    body = urlencode({"payload": json.dumps(click(alert_id, "label_ban"))}).encode()
    answer = httpx.post(endpoint.url, content=body, headers=sign(body, int(time.time())))
    assert answer.status_code == 200
    assert wait_for(lambda: store.latest_labels())
    assert store.latest_labels()[0].label == "ban"
    assert wait_for(lambda: slack.calls("chat.update"))


@pytest.mark.parametrize(
    ("secret", "age"), [("wrong-secret", 0), (SECRET, 301), (SECRET, -400)], ids=str
)
def test_bad_or_stale_signature_gets_401_and_stores_nothing(
    sent: tuple[SQLiteStore, SlackNotifier, str],
    endpoint: SignedEndpoint,
    slack: FakeSlack,
    secret: str,
    age: int,
) -> None:
    store, _, alert_id = sent
    body = urlencode({"payload": json.dumps(click(alert_id))}).encode()
    headers = sign(body, int(time.time()) - age, secret)
    answer = httpx.post(endpoint.url, content=body, headers=headers)
    assert answer.status_code == 401
    time.sleep(0.2)  # nothing is processed after a refusal
    assert store.label_history() == []
    assert slack.calls("chat.update") == []


def test_tampered_body_is_refused(
    sent: tuple[SQLiteStore, SlackNotifier, str], endpoint: SignedEndpoint
) -> None:
    store, _, alert_id = sent
    body = urlencode({"payload": json.dumps(click(alert_id))}).encode()
    headers = sign(body, int(time.time()))
    forged = body.replace(b"label_not_ban", b"label_ban")
    assert httpx.post(endpoint.url, content=forged, headers=headers).status_code == 401
    assert store.label_history() == []
