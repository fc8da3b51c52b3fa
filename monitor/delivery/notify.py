"""Notifiers: deliver an ``Alert`` to Slack, a webhook, the console or a JSONL file.

The public face of notification: the ``Notifier`` protocol, ``Delivery``, ``MultiNotifier``
(fan-out) and re-exports of the notifiers (``slack``, ``local_notifiers``) and of the pure
rendering (``render``). Contract of every ``Notifier``:

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

Only ``render`` and ``slack`` import ``slack_sdk`` (``interact`` too, for socket mode).
Rendering is pure (``render_blocks``, ``render_text``): feed text is escaped before it
reaches Slack and only http(s) URLs become links.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from monitor.core.errors import NotifyError, redact
from monitor.core.logs import log_event
from monitor.core.ports import Delivery, Notifier
from monitor.core.records import Alert, ReviewItem
from monitor.delivery.local import ConsoleNotifier, JsonlNotifier, alert_record
from monitor.delivery.render import (
    BUTTON_MAX,
    DIGEST_BLOCKS,
    FIELD_MAX,
    HEADER_MAX,
    LABEL_ACTIONS,
    MAX_FIELDS,
    REVIEW_MAX,
    SECTION_MAX,
    TEXT_MAX,
    UNKNOWN,
    URL_MAX,
    clip,
    digest_line,
    digest_mrkdwn_lines,
    digest_text,
    digest_title,
    escape_mrkdwn,
    headline,
    render_blocks,
    render_text,
    review_blocks,
    safe_url,
    slack_text,
    update_line,
    verdict_line,
)
from monitor.delivery.slack import METADATA_EVENT, SlackNotifier, WebhookNotifier

# Everything importers used from notify.py before the split stays importable from here.
__all__ = [
    "BUTTON_MAX",
    "DIGEST_BLOCKS",
    "FIELD_MAX",
    "HEADER_MAX",
    "LABEL_ACTIONS",
    "MAX_FIELDS",
    "METADATA_EVENT",
    "REVIEW_MAX",
    "SECTION_MAX",
    "TEXT_MAX",
    "UNKNOWN",
    "URL_MAX",
    "ConsoleNotifier",
    "Delivery",
    "JsonlNotifier",
    "MultiNotifier",
    "Notifier",
    "SlackNotifier",
    "WebhookNotifier",
    "alert_record",
    "clip",
    "digest_line",
    "digest_mrkdwn_lines",
    "digest_text",
    "digest_title",
    "escape_mrkdwn",
    "headline",
    "render_blocks",
    "render_text",
    "review_blocks",
    "safe_url",
    "slack_text",
    "update_line",
    "verdict_line",
]

log = logging.getLogger("monitor.notify")


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
        self.primary.show_label(alert, verdict, who, when)

    def post_review(self, items: Sequence[ReviewItem]) -> Delivery | None:
        return self.primary.post_review(items)

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        return self.primary.post_digest(alerts, day)

    def post_notice(self, text: str) -> Delivery:
        return self.primary.post_notice(text)

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
