"""The outbox drain: sends pending alerts in order, exactly once where the notifier can tell.

For each due alert, in creation order:
- an update waits until its parent alert is sent (it needs the parent's ``ts`` to thread);
- an alert that was attempted before (``attempts > 0``) may already be in Slack (we crashed
  after sending, before marking): ask ``notifier.find_sent`` first and only mark it sent;
- the attempt is committed BEFORE sending, then the send, then ``mark_sent`` with the ts;
- a retryable failure (429, 5xx, timeout, dropped connection) schedules a retry with
  exponential backoff (honouring Retry-After) and ends this round, so order is kept and a
  struggling Slack is not hammered; after ``max_attempts`` the alert is parked as failed
  (answers with a Retry-After, i.e. rate limits, never use up attempts);
- an auth failure (invalid token) keeps every alert pending, logs one clear error, and
  this drain waits ``auth_pause`` before trying again: no tight loop, nothing lost. The
  pause is kept in memory, so a restart after fixing the token sends at once;
- a permanent error (channel_not_found, ...) parks that alert as failed with the error;
  ``monitor alerts retry`` puts failed alerts back in the queue.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from monitor.core.errors import NotifyAuthError, NotifyError, redact
from monitor.core.logs import log_event
from monitor.core.records import Alert
from monitor.delivery.notify import Notifier
from state.store import Outbox

log = logging.getLogger("monitor.deliver")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 30.0  # seconds before the first retry
    cap: float = 3600.0  # longest wait between retries
    max_attempts: int = 10  # then the alert is parked as failed
    auth_pause: float = 600.0  # wait after an auth failure


@dataclass
class DrainReport:
    sent: int = 0
    recovered: int = 0  # found already delivered (crash after send)
    retrying: int = 0
    failed: int = 0
    waiting: int = 0  # updates whose parent is not sent yet
    errors: list[str] = field(default_factory=list)


def held_for_digest(alert: Alert) -> bool:
    """Pure: a new top-level alert not yet given its digest thread (never attempted)."""
    return alert.kind == "alert" and alert.thread_ts is None and alert.attempts == 0


def retry_delay(
    policy: RetryPolicy, attempts: int, retry_after: float | None, rng: random.Random
) -> float:
    """Pure: exponential from ``base``, jittered, capped; Retry-After wins when longer."""
    delay = min(policy.cap, policy.base * 2 ** max(attempts - 1, 0)) * rng.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, max(policy.cap, retry_after or 0.0))


@dataclass
class Drain:
    store: Outbox
    notifier: Notifier
    clock: Callable[[], datetime]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)

    paused_until: datetime | None = None
    # digest mode: new top-level alerts wait for the daily digest (monitor.delivery.digest),
    # which gives them a thread (the digest message) to post their details in.
    hold_for_digest: bool = False

    def __call__(self, *_: object) -> DrainReport:
        report = DrainReport()
        now = self.clock()
        if self.paused_until is not None and now < self.paused_until:
            return report
        for queued in self.store.alerts("pending"):
            if queued.next_attempt is not None and queued.next_attempt > now:
                break  # strict order: nothing overtakes an alert that is backing off
            if self.hold_for_digest and self._held(queued):
                report.waiting += 1
                continue
            alert = self._with_thread(queued)
            if alert is None:
                report.waiting += 1
                continue
            if not self._deliver(alert, report):
                break
        if report.sent or report.failed or report.retrying or report.recovered:
            log_event(
                log,
                "drain",
                sent=report.sent,
                recovered=report.recovered,
                retrying=report.retrying,
                failed=report.failed,
                waiting=report.waiting,
            )
        return report

    def _held(self, alert: Alert) -> bool:
        """Digest mode: a new alert, or an update of one, waits for the daily digest."""
        if alert.kind == "update":
            parent = self.store.parent_of(alert)
            return parent is not None and held_for_digest(parent)
        return held_for_digest(alert)

    def _with_thread(self, alert: Alert) -> Alert | None:
        """An update threads under its parent: give it the parent's ts, or None to wait
        while the parent is unsent (if the parent failed for good it goes out unthreaded)."""
        if alert.kind != "update" or not self.notifier.supports_threads:
            return alert
        parent = self.store.parent_of(alert)
        if parent is None or parent.status == "failed":
            return alert
        if parent.message_ts is None:
            return None
        # a parent posted under a digest threads its updates under the digest too
        return replace(alert, thread_ts=parent.thread_ts or parent.message_ts)

    def _deliver(self, alert: Alert, report: DrainReport) -> bool:
        """Send one alert; False ends this round (to keep order / back off)."""
        now = self.clock()
        try:
            found = self.notifier.find_sent(alert) if alert.attempts > 0 else None
            if found is not None:
                self.store.mark_sent(alert.id, found.ts, found.channel, now)
                report.recovered += 1
                return True
            self.store.mark_attempt(alert.id, now)
            delivery = self.notifier.send(alert)
        except NotifyAuthError as exc:
            self._pause_all(alert, exc, now, report)
            return False
        except NotifyError as exc:
            return self._failed(alert, exc, now, report)
        self.store.mark_sent(alert.id, delivery.ts, delivery.channel, self.clock())
        report.sent += 1
        if alert.kind == "update":
            self._refresh_parent(alert)
        return True

    def _failed(self, alert: Alert, exc: NotifyError, now: datetime, report: DrainReport) -> bool:
        message = redact(str(exc))
        report.errors.append(message)
        attempts = alert.attempts + 1
        # A rate limit is Slack saying when to come back, not this alert failing: a long
        # 429 storm must not park (lose) alerts, so only other failures use up attempts.
        exhausted = attempts >= self.policy.max_attempts and exc.retry_after is None
        if not exc.retryable or exhausted:
            self.store.mark_failed(alert.id, message)
            report.failed += 1
            log_event(log, "alert_failed", logging.ERROR, alert_id=alert.id, error=message)
            return True  # parked; later alerts may go on
        delay = retry_delay(self.policy, attempts, exc.retry_after, self.rng)
        self.store.mark_retry(alert.id, message, now + timedelta(seconds=delay))
        report.retrying += 1
        log_event(
            log, "alert_retry", logging.WARNING, alert_id=alert.id, error=message, retry_in=delay
        )
        return False

    def _pause_all(
        self, alert: Alert, exc: NotifyError, now: datetime, report: DrainReport
    ) -> None:
        message = redact(str(exc))
        report.errors.append(message)
        self.store.mark_retry(alert.id, message, now)  # error shown in status; due again
        self.paused_until = now + timedelta(seconds=self.policy.auth_pause)
        report.retrying += 1
        log_event(
            log,
            "notify_auth_error",
            logging.ERROR,
            error=message,
            action="alerts kept pending; fix the token and they will be sent",
        )

    def _refresh_parent(self, alert: Alert) -> None:
        parent = self.store.parent_of(alert)
        if parent is None or parent.message_ts is None:
            return
        # the parent card shows the event's current status (a status reply changes it)
        status = self.store.event_status(alert.event_id) or parent.event_status
        parent = replace(parent, event_status=status)
        try:
            self.notifier.update_parent(parent, self.store.event_source_count(alert.event_id))
        except NotifyError as exc:  # cosmetic: the count catches up on the next update
            log_event(
                log,
                "parent_update_failed",
                logging.WARNING,
                alert_id=parent.id,
                error=redact(str(exc)),
            )
