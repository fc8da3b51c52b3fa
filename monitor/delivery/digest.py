"""Digest mode (``[notify] mode = "digest"``): the day's new events as ONE Slack message.

In digest mode the outbox drain holds new top-level alerts (``Drain.hold_for_digest``).
Once a day at ``[notify] digest_time`` (UTC) ``AlertDigest``:

1. takes every held alert (kind "alert", never attempted, no digest thread yet);
2. posts one message with one line per event (``notifier.post_digest``);
3. gives those alerts the digest message as their thread (``thread_root``, one statement);
4. runs the drain, which posts each alert's full details (fields, evidence, label
   buttons) as a reply in that thread, with its usual retries and crash recovery.
   Later coverage of the same events (updates) threads under the digest as well.

With a notifier that has no threads (webhook, console) the digest line is all there is:
the alerts, and the updates of those events, are marked sent with the digest's delivery.
A digest that fails to post is tried again on the next run (every minute); the day counts
as done only after it went out. A crash between posting and step 3 may repeat that day's
digest once (at least once). ``digest_slot`` is pure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time

from monitor.core.errors import NotifyError, redact
from monitor.core.logs import log_event
from monitor.core.records import Alert
from monitor.delivery.drain import Drain, held_for_digest

log = logging.getLogger("monitor.digest")

SLOT_KEY = "notify_digest_slot"  # meta: the last day (UTC, ISO date) a digest was handled


def digest_slot(now: datetime, digest_time: str, last_slot: str | None) -> str | None:
    """Pure: today's date (ISO) when ``digest_time`` has passed today and today's digest
    has not been handled yet; else None."""
    hours, minutes = (int(part) for part in digest_time.split(":"))
    today = now.date().isoformat()
    if now.timetz().replace(tzinfo=None) < time(hours, minutes) or last_slot == today:
        return None
    return today


class AlertDigest:
    """The daily digest job (run every minute; acts once a day)."""

    def __init__(self, drain: Drain, digest_time: str, clock: Callable[[], datetime]) -> None:
        self.drain, self.digest_time, self.clock = drain, digest_time, clock
        self.store, self.notifier = drain.store, drain.notifier

    def __call__(self) -> int:
        """Post today's digest when due; returns the number of events in it."""
        now = self.clock()
        day = digest_slot(now, self.digest_time, self.store.get_meta(SLOT_KEY))
        if day is None:
            return 0
        held = [a for a in self.store.alerts("pending", limit=10_000) if held_for_digest(a)]
        if held and not self._post(held, day, now):
            return 0  # not marked done: the next run tries again
        self.store.set_meta(SLOT_KEY, day)
        log_event(log, "alert_digest", day=day, events=len(held))
        if held:
            self.drain()
        return len(held)

    def _post(self, held: list[Alert], day: str, now: datetime) -> bool:
        shown = [self._current(alert) for alert in held]
        try:
            delivery = self.notifier.post_digest(shown, day)
        except NotifyError as exc:
            log_event(log, "alert_digest_failed", logging.ERROR, error=redact(str(exc)))
            return False
        if self.notifier.supports_threads and delivery.ts:
            self.store.set_thread_root([a.id for a in held], delivery.ts)
        else:  # no thread for details: the digest line covers the event and its updates
            for alert in self._with_updates(held):
                self.store.mark_sent(alert.id, delivery.ts, delivery.channel, now)
        return True

    def _current(self, alert: Alert) -> Alert:
        """The event as it stands now: its sources so far and its current status."""
        count = self.store.event_source_count(alert.event_id) or alert.source_count
        status = self.store.event_status(alert.event_id) or alert.event_status
        return replace(alert, source_count=count, event_status=status)

    def _with_updates(self, held: list[Alert]) -> list[Alert]:
        ids = {a.id for a in held}
        updates = [
            a
            for a in self.store.alerts("pending", limit=10_000)
            if a.kind == "update" and (parent := self.store.parent_of(a)) and parent.id in ids
        ]
        return [*held, *updates]
