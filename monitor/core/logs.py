"""Logging set-up and structured ``key=value`` lines (logfmt), the same keys everywhere.

Every line passes through ``redact`` so a token or webhook URL can never reach a log.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from monitor.core.errors import redact

FEED_KEYS = ("feed_url", "status", "new", "skipped", "alerted", "error", "warning", "elapsed")


def format_fields(event: str, fields: dict[str, Any]) -> str:
    parts = [f"event={event}"]
    for key, value in fields.items():
        parts.append(f"{key}={_quote(value)}")
    return " ".join(parts)


def _quote(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value)
    if not text or any(ch in text for ch in ' "=\n\t'):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    return text


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, format_fields(event, fields))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg, unused-ignore]
    """Writes to whatever ``sys.stderr`` is at emit time, not the object seen at set-up
    (so a replaced or closed stderr, e.g. under a test runner, never breaks logging)."""

    @property  # type: ignore[override, unused-ignore]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(level: str = "INFO", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that are chatty at INFO: keep them to warnings.
    for name in ("httpx", "httpcore", "apscheduler", "trafilatura", "htmldate", "slack_sdk"):
        logging.getLogger(name).setLevel(logging.WARNING)
