"""The ``Notifier`` protocol and ``Delivery``: shared by every notifier module without cycles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from monitor.records import Alert


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
