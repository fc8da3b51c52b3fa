"""Slack notifiers against the local fake Slack (tests/support/fake_slack.py), real slack_sdk."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.core.errors import NotifyAuthError, NotifyError
from monitor.core.records import Alert, Summary
from monitor.delivery.notify import SlackNotifier, WebhookNotifier
from tests.support.fake_slack import FakeSlack

T0 = datetime(2025, 3, 16, 12, 0, tzinfo=UTC)
TOKEN = "xoxb-111-222-SeCrEtToKeN"
CLIENT_TIMEOUT = 0.5


def make_alert(alert_id: str = "al-1", kind: str = "alert", **extra: object) -> Alert:
    summary = Summary(
        apps=("TikTok",),
        authority="Ofcom",
        title="UK bans TikTok <!channel>",
        source="Example News",
        url="https://news.example/1",
        score=0.9,
    )
    return Alert(alert_id, "ev-1", kind, 1, summary, T0, **extra)  # type: ignore[arg-type]


@pytest.fixture
def slack(caplog: pytest.LogCaptureFixture) -> Iterator[FakeSlack]:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("slack_sdk").setLevel(logging.DEBUG)
    fake = FakeSlack(token=TOKEN, hang_seconds=5.0)
    with fake:
        yield fake
    logging.getLogger("slack_sdk").setLevel(logging.NOTSET)
    # Whatever happened in the test, no log line carries a secret.
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert TOKEN not in logged
    assert "SeCrEt" not in logged
    assert "/hooks/T000" not in logged


@pytest.fixture
def notifier(slack: FakeSlack) -> SlackNotifier:
    return SlackNotifier(TOKEN, slack.channel, base_url=slack.api_url, timeout=CLIENT_TIMEOUT)


def test_alert_is_one_top_level_message_with_blocks_text_and_metadata(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    delivery = notifier.send(make_alert())
    [message] = slack.top_level()
    assert delivery.ts == message["ts"] == "1700000000.000100"
    assert delivery.channel == "C0ALERTS"
    assert message["blocks"][0]["type"] == "header"
    assert message["blocks"][-1]["elements"][0]["action_id"] == "label_ban"
    assert "&lt;!channel&gt;" in message["text"] and "<!channel>" not in message["text"]
    assert message["metadata"] == {
        "event_type": "appban_alert",
        "event_payload": {"alert_id": "al-1"},
    }
    [call] = slack.calls("chat.postMessage")
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"


def test_update_is_a_thread_reply_and_parent_gets_refreshed(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    parent = make_alert()
    sent = notifier.send(parent)
    update = make_alert("al-2", kind="update", thread_ts=sent.ts, new_facts=("from 1 May",))
    reply = notifier.send(update)
    assert len(slack.top_level()) == 1
    [stored] = slack.replies(sent.ts or "")
    assert stored["ts"] == reply.ts and stored["thread_ts"] == sent.ts
    assert stored["text"].startswith("Also reported by Example News")

    notifier.update_parent(Alert(**{**_fields(parent), "message_ts": sent.ts}), 2)
    [call] = slack.calls("chat.update")
    assert call.params["ts"] == sent.ts and call.params["channel"] == "C0ALERTS"
    [top] = slack.top_level()
    assert "Sources: 2 · event ev-1 · alert al-1" in str(top["blocks"])


def test_update_without_a_parent_ts_is_a_plain_message(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    notifier.send(make_alert("al-2", kind="update"))
    [message] = slack.top_level()
    assert message["text"].startswith("Also reported by")


def test_find_sent_finds_a_posted_alert_and_reply_by_id(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    sent = notifier.send(make_alert("al-1"))
    notifier.send(make_alert("al-9"))
    reply = notifier.send(make_alert("al-2", kind="update", thread_ts=sent.ts))
    assert notifier.find_sent(make_alert("al-1")) == sent
    assert notifier.find_sent(make_alert("al-unknown")) is None
    found = notifier.find_sent(make_alert("al-2", kind="update", thread_ts=sent.ts))
    assert found == reply
    assert slack.calls("conversations.history")[0].params["include_all_metadata"] == "1"


def test_channel_given_by_name_is_resolved_for_history(slack: FakeSlack) -> None:
    notifier = SlackNotifier(TOKEN, "#alerts", base_url=slack.api_url, timeout=CLIENT_TIMEOUT)
    assert notifier.find_sent(make_alert()) is None  # before any post: looked up by name
    sent = notifier.send(make_alert())
    assert sent.channel == "C0ALERTS"
    assert notifier.find_sent(make_alert()) == sent
    assert len(slack.calls("conversations.list")) == 1


def test_rate_limit_is_retryable_with_retry_after_and_no_sleep(
    slack: FakeSlack, notifier: SlackNotifier
) -> None:
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=30)
    started = time.monotonic()
    with pytest.raises(NotifyError) as info:
        notifier.send(make_alert())
    assert time.monotonic() - started < 1.0  # the notifier did not wait the 30 s itself
    assert info.value.retryable and info.value.retry_after == 30.0
    assert len(slack.calls("chat.postMessage")) == 1  # and did not retry
    assert slack.messages() == []


@pytest.mark.parametrize(
    ("mode", "says"),
    [("server_error", "server error"), ("drop", "connection failed"), ("timeout", "timed out")],
)
def test_server_trouble_is_retryable(
    slack: FakeSlack, notifier: SlackNotifier, mode: str, says: str
) -> None:
    slack.fail_next("chat.postMessage", mode)
    started = time.monotonic()
    with pytest.raises(NotifyError, match=says) as info:
        notifier.send(make_alert())
    assert time.monotonic() - started < CLIENT_TIMEOUT + 1.0
    assert info.value.retryable and not isinstance(info.value, NotifyAuthError)
    assert len(slack.calls("chat.postMessage")) == 1
    assert notifier.send(make_alert()).ts  # the next attempt goes through


def test_slack_down_fails_every_call(slack: FakeSlack, notifier: SlackNotifier) -> None:
    slack.down(True, mode="drop")
    with pytest.raises(NotifyError, match="connection failed"):
        notifier.find_sent(make_alert())
    slack.down(False)
    assert notifier.find_sent(make_alert()) is None


def test_invalid_token_is_an_auth_error_without_the_token(slack: FakeSlack) -> None:
    bad = "xoxb-999-888-WrongToken"
    notifier = SlackNotifier(bad, slack.channel, base_url=slack.api_url, timeout=CLIENT_TIMEOUT)
    with pytest.raises(NotifyAuthError) as info:
        notifier.send(make_alert())
    message = str(info.value)
    assert "invalid_auth" in message and "token" in message
    assert bad not in message and "WrongToken" not in message
    assert not info.value.retryable


def test_injected_invalid_auth_is_an_auth_error(slack: FakeSlack, notifier: SlackNotifier) -> None:
    slack.fail_next("conversations.history", "invalid_auth")
    with pytest.raises(NotifyAuthError):
        notifier.find_sent(make_alert())


def test_channel_not_found_is_not_retryable(slack: FakeSlack) -> None:
    notifier = SlackNotifier(TOKEN, "C0MISSING", base_url=slack.api_url, timeout=CLIENT_TIMEOUT)
    with pytest.raises(NotifyError) as info:
        notifier.send(make_alert())
    assert not info.value.retryable and "channel_not_found" in str(info.value)
    assert TOKEN not in str(info.value)


def test_webhook_sends_alerts_and_updates_as_messages(slack: FakeSlack) -> None:
    notifier = WebhookNotifier(slack.webhook_url, timeout=CLIENT_TIMEOUT)
    assert notifier.send(make_alert()).ts is None
    notifier.send(make_alert("al-2", kind="update", thread_ts="1.0"))
    first, second = slack.calls("webhook")
    assert first.params["blocks"][-1]["type"] == "actions"
    assert "&lt;!channel&gt;" in first.params["text"]
    assert second.params["text"].startswith("Also reported by Example News")
    assert "thread_ts" not in second.params
    assert notifier.find_sent(make_alert()) is None  # at-least-once: it cannot know


@pytest.mark.parametrize(
    ("mode", "retryable", "auth"),
    [
        ("server_error", True, False),
        ("drop", True, False),
        ("ratelimited", True, False),
        ("channel_not_found", False, False),
        ("invalid_auth", False, True),
    ],
)
def test_webhook_errors(slack: FakeSlack, mode: str, retryable: bool, auth: bool) -> None:
    notifier = WebhookNotifier(slack.webhook_url, timeout=CLIENT_TIMEOUT)
    slack.fail_next("webhook", mode, retry_after=12)
    with pytest.raises(NotifyError) as info:
        notifier.send(make_alert())
    assert info.value.retryable is retryable
    assert isinstance(info.value, NotifyAuthError) is auth
    assert "/hooks/" not in str(info.value) and "127.0.0.1" not in str(info.value)
    if mode == "ratelimited":
        assert info.value.retry_after == 12.0


def _fields(alert: Alert) -> dict[str, Any]:
    return {name: getattr(alert, name) for name in Alert.__slots__}
