"""When to check a feed next: pure decisions, no I/O, no clock of their own.

- After a success: the feed's interval (or the default), with a little jitter so
  feeds added together do not stay in lock-step. Jitter only ever shortens a wait:
  the interval is an upper bound on how stale a feed can be.
- After a failure: exponential backoff from the interval, doubled per consecutive
  failure, capped at ``max_backoff``, jittered; a server's ``Retry-After`` wins
  when it asks for longer (never for more than ``max_backoff``). Feeds are never
  disabled: the cap keeps them polled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    interval: float  # seconds between polls of a healthy feed
    max_backoff: float  # upper bound of the wait after failures
    jitter: float = 0.1  # fraction a wait may be shortened by, at random


def after_success(policy: Backoff, now: datetime, rng: random.Random) -> datetime:
    return now + timedelta(seconds=_jittered(policy.interval, policy.jitter, rng))


def failure_delay(
    policy: Backoff, failures: int, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure (1-based)."""
    exponent = min(max(failures - 1, 0), 30)
    base = min(policy.interval * (2**exponent), policy.max_backoff)
    delay = _jittered(base, policy.jitter, rng)
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.max_backoff))
    return min(delay, policy.max_backoff)


def after_failure(
    policy: Backoff, failures: int, retry_after: float | None, now: datetime, rng: random.Random
) -> datetime:
    return now + timedelta(seconds=failure_delay(policy, failures, retry_after, rng))


def _jittered(seconds: float, jitter: float, rng: random.Random) -> float:
    return max(1.0, seconds * (1.0 - rng.uniform(0.0, jitter)))
