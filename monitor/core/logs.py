"""Logging set-up and structured ``key=value`` lines (logfmt), the same keys everywhere.

``[logging] format = "json"`` writes one JSON object per line instead, with the same keys
(``event`` and the event's fields; plus ``time``, ``level``, ``logger``; a line not
written by ``log_event`` carries its text as ``msg``). Every line passes through
``redact`` so a token, webhook URL or URL credential can never reach a log.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
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
        extra = {"event_fields": {"event": event, **fields}}
        logger.log(level, format_fields(event, fields), extra=extra)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the keys of ``log_event`` lines, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = getattr(record, "event_fields", None)
        if isinstance(fields, dict):
            body |= {k: round(v, 3) if isinstance(v, float) else v for k, v in fields.items()}
        else:
            body["msg"] = record.getMessage()
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(body, default=str, ensure_ascii=False))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg, unused-ignore]
    """Writes to whatever ``sys.stderr`` is at emit time, not the object seen at set-up
    (so a replaced or closed stderr, e.g. under a test runner, never breaks logging)."""

    @property  # type: ignore[override, unused-ignore]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(level: str = "INFO", stream: Any = None, fmt: str = "text") -> None:
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    text = RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    handler.setFormatter(JsonFormatter() if fmt == "json" else text)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that are chatty at INFO: keep them to warnings.
    for name in ("httpx", "httpcore", "apscheduler", "trafilatura", "htmldate", "slack_sdk"):
        logging.getLogger(name).setLevel(logging.WARNING)
