"""``SettableClock``: the injected clock of tests (``clock()`` answers ``clock.now``).

Usage::

    clock = SettableClock(datetime(2025, 3, 16, 12, 0, tzinfo=UTC))  # default: now, UTC
    drain = Drain(store, notifier, clock)
    clock.advance(60)  # or set clock.now
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class SettableClock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
