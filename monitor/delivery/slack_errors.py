"""Slack failures mapped to our errors, and slack_sdk's logging kept free of secrets.

Pure decisions (no ``slack_sdk`` import): an API answer, a transport failure or a webhook
answer becomes ``NotifyError`` (``retryable`` for 429 with ``retry_after``, 5xx, timeouts,
dropped connections; not retryable for other API errors) or ``NotifyAuthError`` (bad token
or webhook URL). Tokens and webhook URLs never reach an error message or a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from monitor.core.errors import NotifyAuthError, NotifyError, redact
from monitor.delivery.render import flat

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


def api_error(method: str, status: int, data: object, headers: Mapping[str, Any]) -> NotifyError:
    """Map a Slack answer to our errors. Never includes the token (only the error code)."""
    body = data if isinstance(data, dict) else {}
    code = str(body.get("error") or f"HTTP {status}")
    if status == 429 or code == "ratelimited":
        retry_after = _retry_after(headers)
        return NotifyError(f"Slack {method}: rate limited (HTTP 429)", retry_after=retry_after)
    if code in _AUTH_ERRORS:
        return NotifyAuthError(
            f"Slack {method}: the bot token was rejected ({code}); "
            "check [slack] bot_token / MONITOR_SLACK_BOT_TOKEN"
        )
    if status >= 500 or code in _RETRYABLE_ERRORS:
        return NotifyError(f"Slack {method}: server error (HTTP {status}, {code})")
    return NotifyError(f"Slack {method}: {code}", retryable=False)


def transport_error(method: str, exc: BaseException) -> NotifyError:
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


def sdk_logger(*secrets: str) -> logging.Logger:
    """A private child of the "slack_sdk" logger: INFO and up (its DEBUG dumps bodies and the
    webhook URL), redacted, still propagating to the app's handlers."""
    logger = logging.Logger("slack_sdk.monitor", logging.INFO)
    logger.parent = logging.getLogger("slack_sdk")
    logger.addFilter(_Redact(secrets))
    return logger


def webhook_error(status: int, body: str, headers: Mapping[str, Any]) -> NotifyError:
    code = flat(body)[:80] or f"HTTP {status}"  # the body is a short code such as "no_service"
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
