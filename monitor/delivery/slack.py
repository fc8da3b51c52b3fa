"""Slack notifiers: a bot token (``SlackNotifier``) and an incoming webhook (``WebhookNotifier``).

Bot Slack threads updates and finds its own messages by message metadata, so ``find_sent``
can tell after a crash (exactly-once); the webhook cannot (at-least-once). Neither sleeps
nor retries: the outbox does that with backoff. ``slack_call`` turns every slack_sdk failure
into ``NotifyError``/``NotifyAuthError`` (the decisions live in ``slack_errors``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import ActionsBlock, Block, HeaderBlock, PlainTextObject

from monitor.core.errors import NotifyError
from monitor.core.ports import Delivery
from monitor.core.records import Alert, ReviewItem
from monitor.delivery.local import NoButtons
from monitor.delivery.render import (
    DIGEST_BLOCKS,
    HEADER_MAX,
    REVIEW_MAX,
    TEXT_MAX,
    clip,
    context,
    digest_mrkdwn_lines,
    digest_text,
    digest_title,
    escape_mrkdwn,
    flat,
    pack_sections,
    render_blocks,
    review_blocks,
    section,
    slack_text,
    verdict_line,
)
from monitor.delivery.slack_errors import api_error, sdk_logger, transport_error, webhook_error

METADATA_EVENT = "appban_alert"


def slack_call(method: str, fn: Callable[[], Any]) -> Any:
    """Run one slack_sdk call, translating every failure into NotifyError."""
    try:
        return fn()
    except SlackApiError as exc:
        response = exc.response
        raise api_error(method, response.status_code, response.data, response.headers) from None
    except (OSError, HTTPException) as exc:  # URLError, timeouts, resets are OSErrors
        raise transport_error(method, exc) from None
    except SlackClientError as exc:
        raise NotifyError(
            f"Slack {method}: client error ({type(exc).__name__})", retryable=False
        ) from None


class SlackNotifier:
    """Posts with a bot token; threads updates; finds its own messages by metadata.

    Scopes: ``chat:write``, ``channels:history`` (``groups:history`` for a private channel)
    and, when the channel is given by name rather than id, ``channels:read``/``groups:read``.
    ``find_sent`` looks at the newest 200 messages (or the thread's replies): enough for a
    crash-and-restart, which is what it is for.
    """

    name = "slack"
    supports_threads = True

    def __init__(
        self, token: str, channel: str, *, base_url: str | None = None, timeout: float = 10.0
    ) -> None:
        self.channel = channel
        self._channel_id: str | None = channel if _looks_like_id(channel) else None
        # No retry handlers: the outbox retries with backoff; the sdk's would sleep here.
        self._client = WebClient(
            token=token,
            base_url=base_url or WebClient.BASE_URL,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes float seconds
            retry_handlers=[],
            logger=sdk_logger(token),
        )

    def send(self, alert: Alert) -> Delivery:
        kwargs: dict[str, Any] = {
            "channel": self._channel_id or self.channel,
            "text": slack_text(alert),
            "blocks": render_blocks(alert),
            "metadata": _metadata(alert),
            "unfurl_links": False,
            "unfurl_media": False,
            "parse": "none",  # bare URLs and #names in the fallback text stay text
        }
        if alert.thread_ts:  # an update, or (digest mode) an alert's details under the digest
            kwargs["thread_ts"] = alert.thread_ts
        response = slack_call("chat.postMessage", lambda: self._client.chat_postMessage(**kwargs))
        self._channel_id = response.get("channel") or self._channel_id
        return Delivery(ts=response.get("ts"), channel=response.get("channel"))

    def update_parent(self, parent: Alert, source_count: int) -> None:
        if not parent.message_ts:
            return
        self._update_message(replace(parent, source_count=source_count))

    def _update_message(self, alert: Alert, blocks: Sequence[Block] | None = None) -> None:
        """chat.update the alert's posted message: its text, metadata and ``blocks`` (by
        default the alert's own, rendered anew)."""
        channel = self._resolve_channel()
        slack_call(
            "chat.update",
            lambda: self._client.chat_update(
                channel=channel,
                ts=alert.message_ts or "",
                text=slack_text(alert),
                blocks=render_blocks(alert) if blocks is None else blocks,
                metadata=_metadata(alert),
            ),
        )

    # -- labels shown on the alert, review digest -----------------------
    def show_label(self, alert: Alert, verdict: str, who: str, when: datetime) -> None:
        """Replace the alert's buttons by the verdict, who gave it and when (chat.update)."""
        if not alert.message_ts:
            return
        blocks = [b for b in render_blocks(alert) if not isinstance(b, ActionsBlock)]
        blocks.append(context(verdict_line(verdict, who, when)))
        self._update_message(alert, blocks)

    def post_review(self, items: Sequence[ReviewItem]) -> Delivery:
        """One digest message: each item (``item_id``, ``title``, ``url``, ``score``) with
        the two label buttons (value ``item-<id>``)."""
        blocks: list[Block] = [
            HeaderBlock(text=PlainTextObject(text="Items to review: is this an app ban?"))
        ]
        for item in items[:REVIEW_MAX]:
            blocks += review_blocks(item)
        text = f"{min(len(items), REVIEW_MAX)} items to review"
        channel = self._channel_id or self.channel
        response = slack_call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False
            ),
        )
        return Delivery(ts=response.get("ts"), channel=response.get("channel"))

    # -- the daily alert digest and feed-health notices ----------------------
    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        """One top-level message, one line per event; details follow as thread replies."""
        blocks: list[Block] = [
            HeaderBlock(text=PlainTextObject(text=clip(digest_title(alerts, day), HEADER_MAX)))
        ]
        blocks += [section(chunk) for chunk in pack_sections(digest_mrkdwn_lines(alerts))]
        return self._post(escape_mrkdwn(digest_text(alerts, day)), blocks[:DIGEST_BLOCKS])

    def post_notice(self, text: str) -> Delivery:
        """A short operational notice (feed health) as a top-level message."""
        line = escape_mrkdwn(flat(text))
        return self._post(clip(line, TEXT_MAX), [section(line)])

    def _post(self, text: str, blocks: list[Block]) -> Delivery:
        channel = self._channel_id or self.channel
        response = slack_call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                parse="none",
            ),
        )
        self._channel_id = response.get("channel") or self._channel_id
        return Delivery(ts=response.get("ts"), channel=response.get("channel"))

    def find_sent(self, alert: Alert) -> Delivery | None:
        channel = self._resolve_channel()
        if alert.thread_ts:
            response = slack_call(
                "conversations.replies",
                lambda: self._client.conversations_replies(
                    channel=channel, ts=alert.thread_ts or "", include_all_metadata=True, limit=200
                ),
            )
        else:
            response = slack_call(
                "conversations.history",
                lambda: self._client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200
                ),
            )
        for message in response.get("messages") or []:
            if _alert_id_of(message) == alert.id:
                return Delivery(ts=message.get("ts"), channel=channel)
        return None

    def close(self) -> None:
        """Nothing to release: the sdk opens one connection per request."""

    def _resolve_channel(self) -> str:
        """History and chat.update need the channel id; a configured name is looked up once."""
        if self._channel_id is None:
            self._channel_id = self._lookup_channel(self.channel.lstrip("#"))
        return self._channel_id

    def _lookup_channel(self, name: str) -> str:
        for page in slack_call(
            "conversations.list",
            lambda: list(
                self._client.conversations_list(
                    types="public_channel,private_channel", exclude_archived=True, limit=1000
                )
            ),
        ):
            for channel in page.get("channels") or []:
                if channel.get("name") == name:
                    return str(channel["id"])
        raise NotifyError(f"Slack: no channel named '{name}' visible to the bot", retryable=False)


def _looks_like_id(channel: str) -> bool:
    return bool(re.fullmatch(r"[CGD][A-Z0-9]{6,}", channel))


def _metadata(alert: Alert) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"alert_id": alert.id}}


def _alert_id_of(message: Mapping[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    return (metadata.get("event_payload") or {}).get("alert_id")


class WebhookNotifier(NoButtons):
    """An incoming webhook: one channel, no threads, no lookups (at-least-once)."""

    name = "webhook"
    supports_threads = False

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._client = WebhookClient(
            url,
            timeout=timeout,  # type: ignore[arg-type]  # urllib takes float seconds
            retry_handlers=[],
            logger=sdk_logger(url),
        )

    def send(self, alert: Alert) -> Delivery:
        response = slack_call(
            "webhook",
            lambda: self._client.send(
                text=slack_text(alert),
                blocks=render_blocks(alert),
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        if response.status_code == 200 and (response.body or "").strip() == "ok":
            return Delivery(ts=None, channel=None)
        raise webhook_error(response.status_code, response.body or "", response.headers)

    def update_parent(self, parent: Alert, source_count: int) -> None:
        """A webhook cannot edit what it posted."""

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        lines = "\n".join(digest_mrkdwn_lines(alerts))
        return self._post(escape_mrkdwn(digest_title(alerts, day)) + "\n" + lines)

    def post_notice(self, text: str) -> Delivery:
        return self._post(escape_mrkdwn(flat(text)))

    def _post(self, text: str) -> Delivery:
        text = clip(text, TEXT_MAX)
        response = slack_call("webhook", lambda: self._client.send(text=text, unfurl_links=False))
        if response.status_code == 200 and (response.body or "").strip() == "ok":
            return Delivery(ts=None, channel=None)
        raise webhook_error(response.status_code, response.body or "", response.headers)

    def find_sent(self, alert: Alert) -> Delivery | None:
        return None

    def close(self) -> None:
        pass
