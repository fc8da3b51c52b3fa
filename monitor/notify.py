"""Notifiers: deliver an ``Alert`` to Slack, a webhook, the console or a JSONL file.

The sole importer of ``slack_sdk``. Contract of every ``Notifier``:

- ``send(alert)`` delivers one message. Kind "alert" is a top-level message with two label
  buttons; kind "update" is a thread reply under ``alert.thread_ts`` where threads are
  supported, else a plain "Also reported by ..." message. Returns a ``Delivery``.
- Failures raise ``NotifyError`` (``retryable`` for 429 with ``retry_after``, 5xx, timeouts,
  dropped connections; not retryable for other API errors) or ``NotifyAuthError`` (bad
  token). A notifier never sleeps and never retries: the outbox does that with backoff.
- ``find_sent(alert)`` answers "was this already delivered?" after a crash between sending
  and marking. Bot Slack (message metadata) and JSONL (the file) can tell, so delivery is
  exactly-once for them; webhook and console cannot (always ``None``): at-least-once.
- Tokens and webhook URLs never reach a log line or an error message.

Rendering is pure (``render_blocks``, ``render_text``). Text from feeds and pages is
escaped (``&``, ``<``, ``>``) before it reaches Slack, so an article cannot ping
``<!channel>``, inject a link or break the layout; only http(s) URLs become links.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from http.client import HTTPException
from pathlib import Path
from typing import Any, Protocol, TextIO
from urllib.parse import quote, urlsplit

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from monitor.errors import NotifyAuthError, NotifyError, redact
from monitor.logs import log_event
from monitor.records import Alert, Summary

log = logging.getLogger("monitor.notify")

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
MAX_FIELDS = 10
BUTTON_MAX = 75
TEXT_MAX = 3000
URL_MAX = 1000  # longer links are shown as text only: they crowd out the field
UNKNOWN = "unknown"
METADATA_EVENT = "appban_alert"
LABEL_ACTIONS = (("Confirm ban", "label_ban", "primary"), ("Not a ban", "label_not_ban", None))

_AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "account_inactive",
        "token_expired",
        "no_permission",
        "missing_scope",
    }
)
_RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_WEBHOOK_AUTH_ERRORS = frozenset({"invalid_token", "no_service", "no_team", "team_disabled"})
_PAST = {
    "ban": "banned",
    "block": "blocked",
    "suspend": "suspended",
    "restrict": "restricted",
    "account closed": "closed",
}
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a message landed: Slack ts and channel id (None where the notifier has none)."""

    ts: str | None
    channel: str | None


class Notifier(Protocol):
    """Where alerts go. Raises only ``NotifyError``/``NotifyAuthError``; never sleeps."""

    name: str
    supports_threads: bool  # False: updates are plain messages, the outbox need not wait

    def send(self, alert: Alert) -> Delivery:
        """Deliver an alert (top level) or an update (reply to ``alert.thread_ts``)."""
        ...

    def update_parent(self, parent: Alert, source_count: int) -> None:
        """Refresh the parent's message (source count); a no-op where unsupported."""
        ...

    def find_sent(self, alert: Alert) -> Delivery | None:
        """The earlier delivery of this alert, if the notifier can tell; else None."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- rendering (pure)


def escape_mrkdwn(text: str) -> str:
    """Make feed text inert in Slack: ``<!channel>`` becomes ``&lt;!channel&gt;``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten to at most ``limit`` characters with an ellipsis, never splitting an entity."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    return cut.rstrip() + "…"


def safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside ``<url|label>``, or None when it must not be a link."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc or len(url) > URL_MAX:
        return None
    # Percent-encode what would end the link or open a control sequence; keep the rest.
    quoted = quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")
    return quoted.replace("&", "&amp;")


def render_blocks(alert: Alert) -> list[Block]:
    """Block Kit for one alert (or a short section for an update), within Slack's limits."""
    if alert.kind == "update":
        return [_section(_update_mrkdwn(alert))]
    s = alert.summary
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=clip(escape_mrkdwn(headline(s)), HEADER_MAX), emoji=True)
        ),
        SectionBlock(fields=[MarkdownTextObject(text=f) for f in _fields(s)][:MAX_FIELDS]),
    ]
    if s.evidence:
        quote_lines = "\n".join(f">{_line(e)}" for e in s.evidence if e.strip())
        blocks.append(_section("*Evidence*\n" + quote_lines))
    if s.abstract.strip() or s.title.strip():
        blocks.append(_section(_abstract(s)))
    if s.why:
        blocks.append(_context("Why: " + ", ".join(_line(w) for w in s.why)))
    blocks.append(_context(_footer(alert)))
    blocks.append(_buttons(alert.id))
    return blocks


def render_text(alert: Alert) -> str:
    """Plain (unescaped) text of an alert: the console view and, escaped, Slack's fallback."""
    if alert.kind == "update":
        return clip(update_line(alert), TEXT_MAX)
    s = alert.summary
    lines = [headline(s)]
    if s.title.strip() and s.apps and s.authority:  # else the headline already is the title
        lines.append(f"  {_flat(s.title)}")
    lines += [f"  {k}: {v}" for k, v in _facts(s)]
    lines += [f"  Source: {_or_unknown(s.source)} {s.url}".rstrip()]
    lines += [f'  > "{_flat(e)}"' for e in s.evidence if e.strip()]
    if s.abstract.strip():
        lines.append(f"  {_flat(s.abstract)}")
    if s.why:
        lines.append("  Why: " + ", ".join(_flat(w) for w in s.why))
    lines.append("  " + _footer_plain(alert))
    return clip("\n".join(lines), TEXT_MAX)


def slack_text(alert: Alert) -> str:
    """The ``text`` fallback sent with blocks (notifications, screen readers): escaped."""
    return clip(escape_mrkdwn(render_text(alert)), TEXT_MAX)


def headline(s: Summary) -> str:
    """Plain headline, e.g. ":rotating_light: TikTok banned by Ofcom", else the title."""
    if s.apps and s.authority:
        verb = _PAST.get((s.action or "ban").strip().lower(), "banned")
        return f":rotating_light: {', '.join(_flat(a) for a in s.apps)} {verb} by " + _flat(
            s.authority
        )
    return ":rotating_light: " + (_flat(s.title) or "Possible app ban")


def update_line(alert: Alert) -> str:
    """ "Also reported by <outlet>: <title> — new: <facts>" (plain)."""
    s = alert.summary
    text = f"Also reported by {_or_unknown(_flat(s.source))}: {_flat(s.title) or s.url}"
    if alert.new_facts:
        text += " — new: " + "; ".join(_flat(f) for f in alert.new_facts)
    return text


def _update_mrkdwn(alert: Alert) -> str:
    s = alert.summary
    link = safe_url(s.url)
    title = escape_mrkdwn(_flat(s.title) or UNKNOWN)
    shown = f"<{link}|{title.replace('|', '¦')}>" if link else title
    text = f"Also reported by *{escape_mrkdwn(_or_unknown(_flat(s.source)))}*: {shown}"
    if alert.new_facts:
        text += " — new: " + "; ".join(_line(f) for f in alert.new_facts)
    return text


def _abstract(s: Summary) -> str:
    """The article title in bold (the header may not show it), then the abstract."""
    title = clip(_line(s.title), 500) if s.title.strip() else "Summary"
    return f"*{title}*\n{escape_mrkdwn(s.abstract.strip())}".rstrip()


def _facts(s: Summary) -> list[tuple[str, str]]:
    published = s.published.strftime("%Y-%m-%d %H:%M UTC") if s.published else UNKNOWN
    confidence = f"{s.score:.0%} (model {s.model_version or UNKNOWN})"
    return [
        ("App(s)", ", ".join(_flat(a) for a in s.apps if a.strip()) or UNKNOWN),
        ("Authority", _or_unknown(s.authority)),
        ("Jurisdiction", _or_unknown(s.jurisdiction)),
        ("Scope", _or_unknown(s.scope)),
        ("Action", _or_unknown(s.action)),
        ("Status", _or_unknown(s.status)),
        ("Effective", _or_unknown(s.effective_date)),
        ("Published", published),
        ("Confidence", confidence),
    ]


def _fields(s: Summary) -> list[str]:
    fields = [clip(f"*{k}*\n{escape_mrkdwn(v)}", FIELD_MAX) for k, v in _facts(s)]
    fields.insert(7, clip(f"*Source*\n{_source_link(s)}", FIELD_MAX))
    return fields


def _source_link(s: Summary) -> str:
    outlet = escape_mrkdwn(_or_unknown(_flat(s.source)))
    link = safe_url(s.url)
    # "|" would end the label early; the broken bar reads the same.
    return f"<{link}|{clip(outlet, 200).replace('|', '¦')}>" if link else outlet


def _footer(alert: Alert) -> str:
    return escape_mrkdwn(_footer_plain(alert))


def _footer_plain(alert: Alert) -> str:
    return f"Sources: {alert.source_count} · event {alert.event_id} · alert {alert.id}"


def _buttons(alert_id: str) -> ActionsBlock:
    buttons = [
        ButtonElement(text=clip(label, BUTTON_MAX), action_id=action, value=alert_id, style=style)
        for label, action, style in LABEL_ACTIONS
    ]
    return ActionsBlock(block_id="labels", elements=buttons)


REVIEW_MAX = 10  # digest items: 1 + 2 * 10 blocks stays well under Slack's 50
_VERDICT_TEXT = {"ban": "Confirmed ban", "not_ban": "Not a ban"}


def verdict_line(verdict: str, who: str, when: datetime) -> str:
    """mrkdwn "Labelled *Not a ban* by <@U1> at 2025-01-02 03:04 UTC" (a user id is a mention)."""
    shown = f"<@{who}>" if re.fullmatch(r"[UW][A-Z0-9]{2,}", who) else escape_mrkdwn(_flat(who))
    label = _VERDICT_TEXT.get(verdict, escape_mrkdwn(verdict))
    return f"Labelled *{label}* by {shown} at {when:%Y-%m-%d %H:%M} UTC"


def review_blocks(item: Any) -> list[Block]:
    """A review item: linked title and score, then the two label buttons (value item-<id>)."""
    link = safe_url(str(item.url))
    title = clip(_line(str(item.title)) or UNKNOWN, 500)
    shown = f"<{link}|{title.replace('|', '¦')}>" if link else title
    buttons = [
        ButtonElement(text=label, action_id=action, value=f"item-{item.item_id}", style=style)
        for label, action, style in LABEL_ACTIONS
    ]
    return [
        _section(f"{shown}\nscore {float(item.score):.2f} · item {item.item_id}"),
        ActionsBlock(block_id=f"review-{item.item_id}", elements=buttons),
    ]


# -- issue 6: the daily digest of alerts (one line per event) -----------------------
DIGEST_BLOCKS = 45  # Slack allows 50 blocks per message


def digest_title(alerts: Sequence[Alert], day: str) -> str:
    n = len(alerts)
    return f"App-ban digest {day}: {n} new event{'s' if n != 1 else ''}"


def digest_line(alert: Alert) -> str:
    """Plain: "TikTok banned by Ofcom (UK) — BBC News 87% https://..." for one event."""
    s = alert.summary
    what = headline(s).removeprefix(":rotating_light: ")
    where = f" ({_flat(s.jurisdiction)})" if s.jurisdiction and s.jurisdiction.strip() else ""
    return f"{what}{where} — {_or_unknown(s.source)} {s.score:.0%} {s.url}".rstrip()


def digest_text(alerts: Sequence[Alert], day: str) -> str:
    """Plain digest (console, Slack's text fallback): the title, then one line per event."""
    lines = [digest_title(alerts, day), *(f"  • {digest_line(a)}" for a in alerts)]
    return clip("\n".join(lines), TEXT_MAX)


def digest_mrkdwn_lines(alerts: Sequence[Alert]) -> list[str]:
    """Escaped mrkdwn, one line per event, the source linked."""
    lines = []
    for alert in alerts:
        s = alert.summary
        what = escape_mrkdwn(headline(s).removeprefix(":rotating_light: "))
        where = f" ({_line(s.jurisdiction)})" if s.jurisdiction and s.jurisdiction.strip() else ""
        lines.append(f"• *{clip(what, 300)}*{where} — {_source_link(s)} · {s.score:.0%}")
    return lines


def _chunks(lines: Sequence[str]) -> list[str]:
    """Lines packed into section texts of at most SECTION_MAX characters."""
    chunks: list[str] = []
    for line in lines:
        line = clip(line, SECTION_MAX)
        if chunks and len(chunks[-1]) + 1 + len(line) <= SECTION_MAX:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return chunks


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_MAX)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_MAX))])


def _flat(text: str) -> str:
    """Collapse whitespace: feed text must not add lines (or quote markers) to our layout."""
    return _SPACE.sub(" ", text).strip()


def _line(text: str) -> str:
    return escape_mrkdwn(_flat(text))


def _or_unknown(value: str | None) -> str:
    return _flat(value) if value and value.strip() else UNKNOWN


# ---------------------------------------------------------------- Slack errors


def _api_error(method: str, exc: SlackApiError) -> NotifyError:
    """Map a Slack answer to our errors. Never includes the token (only the error code)."""
    response = exc.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or f"HTTP {status}")
    if status == 429 or code == "ratelimited":
        retry_after = _retry_after(response.headers)
        return NotifyError(f"Slack {method}: rate limited (HTTP 429)", retry_after=retry_after)
    if code in _AUTH_ERRORS:
        return NotifyAuthError(
            f"Slack {method}: the bot token was rejected ({code}); "
            "check [slack] bot_token / MONITOR_SLACK_BOT_TOKEN"
        )
    if status >= 500 or code in _RETRYABLE_ERRORS:
        return NotifyError(f"Slack {method}: server error (HTTP {status}, {code})")
    return NotifyError(f"Slack {method}: {code}", retryable=False)


def _transport_error(method: str, exc: BaseException) -> NotifyError:
    kind = "timed out" if _is_timeout(exc) else "connection failed"
    return NotifyError(f"Slack {method}: {kind} ({type(exc).__name__})")


def _is_timeout(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)
    return isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError)


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def _call(method: str, fn: Callable[[], Any]) -> Any:
    """Run one slack_sdk call, translating every failure into NotifyError."""
    try:
        return fn()
    except SlackApiError as exc:
        raise _api_error(method, exc) from None
    except (OSError, HTTPException) as exc:  # URLError, timeouts, resets are OSErrors
        raise _transport_error(method, exc) from None
    except SlackClientError as exc:
        raise NotifyError(
            f"Slack {method}: client error ({type(exc).__name__})", retryable=False
        ) from None


class _Redact(logging.Filter):
    """Blank our secrets (and anything token-shaped) in slack_sdk's own log lines."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        record.msg, record.args = redact(text), None
        return True


def _sdk_logger(*secrets: str) -> logging.Logger:
    """A private child of the "slack_sdk" logger: INFO and up (its DEBUG dumps bodies and the
    webhook URL), redacted, still propagating to the app's handlers."""
    logger = logging.Logger("slack_sdk.monitor", logging.INFO)
    logger.parent = logging.getLogger("slack_sdk")
    logger.addFilter(_Redact(secrets))
    return logger


# ---------------------------------------------------------------- Slack (bot token)


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
            logger=_sdk_logger(token),
        )

    def send(self, alert: Alert) -> Delivery:
        kwargs: dict[str, Any] = {
            "channel": self._channel_id or self.channel,
            "text": slack_text(alert),
            "blocks": render_blocks(alert),
            "metadata": _metadata(alert),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if alert.thread_ts:  # an update, or (digest mode) an alert's details under the digest
            kwargs["thread_ts"] = alert.thread_ts
        response = _call("chat.postMessage", lambda: self._client.chat_postMessage(**kwargs))
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
        _call(
            "chat.update",
            lambda: self._client.chat_update(
                channel=channel,
                ts=alert.message_ts,
                text=slack_text(alert),
                blocks=render_blocks(alert) if blocks is None else blocks,
                metadata=_metadata(alert),
            ),
        )

    # -- issue 5: labels shown on the alert, review digest -----------------------
    def show_label(self, alert: Alert, verdict: str, who: str, when: datetime) -> None:
        """Replace the alert's buttons by the verdict, who gave it and when (chat.update)."""
        if not alert.message_ts:
            return
        blocks = [b for b in render_blocks(alert) if not isinstance(b, ActionsBlock)]
        blocks.append(_context(verdict_line(verdict, who, when)))
        self._update_message(alert, blocks)

    def post_review(self, items: Sequence[Any]) -> Delivery:
        """One digest message: each item (``item_id``, ``title``, ``url``, ``score``) with
        the two label buttons (value ``item-<id>``)."""
        blocks: list[Block] = [
            HeaderBlock(text=PlainTextObject(text="Items to review: is this an app ban?"))
        ]
        for item in items[:REVIEW_MAX]:
            blocks += review_blocks(item)
        text = f"{min(len(items), REVIEW_MAX)} items to review"
        channel = self._channel_id or self.channel
        response = _call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False
            ),
        )
        return Delivery(ts=response.get("ts"), channel=response.get("channel"))

    # -- issue 6: the daily alert digest and feed-health notices ----------------------
    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        """One top-level message, one line per event; details follow as thread replies."""
        blocks: list[Block] = [
            HeaderBlock(text=PlainTextObject(text=clip(digest_title(alerts, day), HEADER_MAX)))
        ]
        blocks += [_section(chunk) for chunk in _chunks(digest_mrkdwn_lines(alerts))]
        return self._post(escape_mrkdwn(digest_text(alerts, day)), blocks[:DIGEST_BLOCKS])

    def post_notice(self, text: str) -> Delivery:
        """A short operational notice (feed health) as a top-level message."""
        line = escape_mrkdwn(_flat(text))
        return self._post(clip(line, TEXT_MAX), [_section(line)])

    def _post(self, text: str, blocks: list[Block]) -> Delivery:
        channel = self._channel_id or self.channel
        response = _call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
            ),
        )
        self._channel_id = response.get("channel") or self._channel_id
        return Delivery(ts=response.get("ts"), channel=response.get("channel"))

    def find_sent(self, alert: Alert) -> Delivery | None:
        channel = self._resolve_channel()
        if alert.thread_ts:
            response = _call(
                "conversations.replies",
                lambda: self._client.conversations_replies(
                    channel=channel, ts=alert.thread_ts, include_all_metadata=True, limit=200
                ),
            )
        else:
            response = _call(
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
        for page in _call(
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


# ---------------------------------------------------------------- Slack incoming webhook


class WebhookNotifier:
    """An incoming webhook: one channel, no threads, no lookups (at-least-once)."""

    name = "webhook"
    supports_threads = False

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._client = WebhookClient(
            url,
            timeout=timeout,
            retry_handlers=[],
            logger=_sdk_logger(url),  # type: ignore[arg-type]
        )

    def send(self, alert: Alert) -> Delivery:
        response = _call(
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
        raise _webhook_error(response.status_code, response.body or "", response.headers)

    def update_parent(self, parent: Alert, source_count: int) -> None:
        """A webhook cannot edit what it posted."""

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        lines = "\n".join(digest_mrkdwn_lines(alerts))
        return self._post(escape_mrkdwn(digest_title(alerts, day)) + "\n" + lines)

    def post_notice(self, text: str) -> Delivery:
        return self._post(escape_mrkdwn(_flat(text)))

    def _post(self, text: str) -> Delivery:
        text = clip(text, TEXT_MAX)
        response = _call("webhook", lambda: self._client.send(text=text, unfurl_links=False))
        if response.status_code == 200 and (response.body or "").strip() == "ok":
            return Delivery(ts=None, channel=None)
        raise _webhook_error(response.status_code, response.body or "", response.headers)

    def find_sent(self, alert: Alert) -> Delivery | None:
        return None

    def close(self) -> None:
        pass


def _webhook_error(status: int, body: str, headers: Mapping[str, Any]) -> NotifyError:
    code = _flat(body)[:80] or f"HTTP {status}"  # the body is a short code such as "no_service"
    if status == 429:
        return NotifyError(
            "Slack webhook: rate limited (HTTP 429)", retry_after=_retry_after(headers)
        )
    if code in _WEBHOOK_AUTH_ERRORS or (status in (401, 403) and code == f"HTTP {status}"):
        return NotifyAuthError(
            f"Slack webhook: the webhook URL was rejected ({code}); "
            "check [slack] webhook_url / MONITOR_SLACK_WEBHOOK_URL"
        )
    retryable = status >= 500
    return NotifyError(f"Slack webhook: HTTP {status} ({code})", retryable=retryable)


# ---------------------------------------------------------------- console and JSONL


class ConsoleNotifier:
    """Pretty text on a stream (stdout by default): the notifier when Slack is not set up."""

    name = "console"
    supports_threads = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> Delivery:
        stream = self._stream or sys.stdout  # looked up late: tests and the CLI swap stdout
        rule = "=" * 72 if alert.kind == "alert" else "-" * 72
        with self._lock:
            stream.write(f"{rule}\n{render_text(alert)}\n")
            stream.flush()
        return Delivery(ts=None, channel=None)

    def update_parent(self, parent: Alert, source_count: int) -> None:
        """Printed lines cannot be edited."""

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        return self._print("=" * 72, digest_text(alerts, day))

    def post_notice(self, text: str) -> Delivery:
        return self._print("-" * 72, _flat(text))

    def _print(self, rule: str, text: str) -> Delivery:
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(f"{rule}\n{text}\n")
            stream.flush()
        return Delivery(ts=None, channel=None)

    def find_sent(self, alert: Alert) -> Delivery | None:
        return None

    def close(self) -> None:
        pass


class JsonlNotifier:
    """Appends one JSON object per alert or update to a file (fsync'd; thread-safe)."""

    name = "jsonl"
    supports_threads = False

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> Delivery:
        line = json.dumps(alert_record(alert), ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise NotifyError(f"JSONL {self.path}: cannot append ({exc.strerror or exc})") from None
        return Delivery(ts=None, channel=None)

    def update_parent(self, parent: Alert, source_count: int) -> None:
        """Append-only: the next record carries the new count."""

    def find_sent(self, alert: Alert) -> Delivery | None:
        with self._lock:
            for record in _read_jsonl(self.path):
                if record.get("alert_id") == alert.id:
                    return Delivery(ts=None, channel=None)
        return None

    def close(self) -> None:
        pass


def alert_record(alert: Alert) -> dict[str, Any]:
    """The JSONL object for one alert (plain text, no Slack escaping)."""
    s = alert.summary
    return {
        "kind": alert.kind,
        "alert_id": alert.id,
        "event_id": alert.event_id,
        "created_at": alert.created_at.isoformat(),
        "title": s.title,
        "apps": list(s.apps),
        "authority": s.authority,
        "jurisdiction": s.jurisdiction,
        "scope": s.scope,
        "action": s.action,
        "status": s.status,
        "effective_date": s.effective_date,
        "evidence": list(s.evidence),
        "abstract": s.abstract,
        "source": s.source,
        "url": s.url,
        "published": s.published.isoformat() if s.published else None,
        "score": s.score,
        "model_version": s.model_version,
        "why": list(s.why),
        "source_count": alert.source_count,
        "new_facts": list(alert.new_facts),
        "thread_of": alert.thread_ts,
    }


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSONL file; a torn last line (crash mid-write) is skipped."""
    try:
        fh = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    with fh:
        for line in fh:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


# ---------------------------------------------------------------- fan-out


class MultiNotifier:
    """The primary decides (Delivery, errors, threads); the others are best-effort copies."""

    def __init__(self, primary: Notifier, *others: Notifier) -> None:
        self.primary = primary
        self.others = others
        self.name = "+".join(n.name for n in (primary, *others))
        self.supports_threads = primary.supports_threads

    def send(self, alert: Alert) -> Delivery:
        delivery = self.primary.send(alert)  # raises: nothing copied, the outbox retries
        for other in self.others:
            self._copy(other, alert)
        return delivery

    def update_parent(self, parent: Alert, source_count: int) -> None:
        self.primary.update_parent(parent, source_count)

    def show_label(self, alert: Alert, verdict: str, who: str, when: datetime) -> None:
        show = getattr(self.primary, "show_label", None)
        if show is not None:
            show(alert, verdict, who, when)

    def post_review(self, items: Sequence[Any]) -> Delivery | None:
        post = getattr(self.primary, "post_review", None)
        return post(items) if post is not None else None

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        return self.primary.post_digest(alerts, day)  # type: ignore[attr-defined, no-any-return]

    def post_notice(self, text: str) -> Delivery:
        return self.primary.post_notice(text)  # type: ignore[attr-defined, no-any-return]

    def find_sent(self, alert: Alert) -> Delivery | None:
        """The primary's answer; when it was delivered, copies that missed it catch up."""
        found = self.primary.find_sent(alert)
        if found is not None:
            for other in self.others:
                if other.find_sent(alert) is None:
                    self._copy(other, alert)
        return found

    def close(self) -> None:
        for notifier in (self.primary, *self.others):
            notifier.close()

    @staticmethod
    def _copy(other: Notifier, alert: Alert) -> None:
        try:
            other.send(alert)
        except NotifyError as exc:  # a copy must not make the outbox resend to Slack
            log_event(
                log,
                "notify_copy_failed",
                logging.WARNING,
                notifier=other.name,
                alert_id=alert.id,
                error=redact(str(exc)),
            )
