"""Local notifiers: the console (pretty text) and a JSONL file (one object per message).

Neither threads nor edits. The JSONL file can answer ``find_sent`` (exactly-once); the
console cannot (always ``None``: at-least-once).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from monitor.core.errors import NotifyError
from monitor.core.ports import Delivery
from monitor.core.records import Alert, ReviewItem
from monitor.delivery.render import digest_text, flat, render_text


class NoButtons:
    """The ``Notifier`` methods of a notifier whose messages carry no label buttons and
    cannot be edited (console, JSONL, webhook): a relabel is stored in the state database
    only, and the review queue stays on the CLI (``monitor review``)."""

    def show_label(self, alert: Alert, verdict: str, who: str, when: datetime) -> None:
        """Nothing on the message to update."""

    def post_review(self, items: Sequence[ReviewItem]) -> Delivery | None:
        return None  # no buttons to answer with


class ConsoleNotifier(NoButtons):
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
        return self._print("-" * 72, flat(text))

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


class JsonlNotifier(NoButtons):
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

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        """The file holds alerts and updates only: a digest adds nothing to it."""
        return Delivery(ts=None, channel=None)

    def post_notice(self, text: str) -> Delivery:
        """The file holds alerts and updates only: notices go to the log."""
        return Delivery(ts=None, channel=None)

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
        "status": alert.event_status or s.status,  # the event's lifecycle status, if known
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
        "previous_status": alert.previous_status,  # status updates: the status before
        "summary_status": s.status,  # the status as the report's wording states it
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
