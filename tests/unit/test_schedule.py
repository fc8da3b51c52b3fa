"""Backoff decisions: exponential, capped, jittered, honouring Retry-After, never disabling."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.ingest.schedule import Backoff, after_failure, after_success, failure_delay

POLICY = Backoff(interval=600.0, max_backoff=6 * 3600.0, jitter=0.1)


def test_failures_back_off_exponentially_up_to_the_cap() -> None:
    rng = random.Random(1)
    delays = [failure_delay(POLICY, n, None, rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        expected = min(600.0 * 2 ** (n - 1), POLICY.max_backoff)
        assert expected * 0.9 - 1e-9 <= delay <= min(expected * 1.1, POLICY.max_backoff) + 1e-9
    assert delays[-1] <= POLICY.max_backoff  # capped: the feed is still polled, never disabled


def test_retry_after_wins_when_longer_but_is_capped() -> None:
    rng = random.Random(2)
    assert failure_delay(POLICY, 1, 3000.0, rng) == 3000.0
    assert failure_delay(POLICY, 1, 10**9, rng) == POLICY.max_backoff
    assert failure_delay(POLICY, 1, 5.0, rng) >= 540.0  # a short Retry-After does not shorten it


def test_jitter_spreads_feeds_and_success_uses_the_interval() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    rng = random.Random(3)
    checks = {after_success(POLICY, now, rng) for _ in range(20)}
    assert len(checks) > 1
    assert all(now + timedelta(seconds=540) <= c <= now + timedelta(seconds=600) for c in checks)
    assert after_failure(POLICY, 3, None, now, rng) > now + timedelta(seconds=2000)
