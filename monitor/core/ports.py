"""The service's ports: the interfaces the pipeline and the delivery stage talk to.

Real adapters are wired in ``monitor.bootstrap``; tests pass small fakes that record
what happened (``tests/support/fakes.py``). Each docstring is the contract an adapter
must keep. The store ports live with the store (``state.store``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from monitor.core.errors import FetchError
from monitor.core.records import (
    Alert,
    Article,
    Extracted,
    FeedHealth,
    FetchedPage,
    NotModified,
    ReviewItem,
    Scored,
    Validators,
)


class FetcherPort(Protocol):
    def fetch(
        self, url: str, validators: Validators | None = None, *, accept: str = ...
    ) -> FetchedPage | NotModified:
        """Fetch one URL. Raises ``FetchError`` subclasses, never library exceptions."""


class PollerPort(Protocol):
    def poll(
        self, feeds: Iterable[FeedHealth]
    ) -> Iterator[tuple[FeedHealth, FetchedPage | NotModified | FetchError]]:
        """The conditional GET of every feed (its stored validators), run concurrently;
        each feed's answer as it arrives, in any order. ``FetchError`` is returned, not
        raised. Feeds are taken from ``feeds`` lazily, as earlier ones finish."""


class ExtractorPort(Protocol):
    def extract(self, html: str, url: str, *, with_date: bool = True) -> Extracted:
        """Extract an article from decoded HTML; raises ``ExtractError``. The page's date
        is looked for only ``with_date`` (the feed item has none of its own)."""


class ScorerPort(Protocol):
    @property
    def model_version(self) -> str: ...

    def score(self, articles: Sequence[Article]) -> list[Scored]:
        """Score articles in order. Must not raise for any text."""


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

    def show_label(self, alert: Alert, verdict: str, who: str, when: datetime) -> None:
        """Show a relabel on the alert's message; a no-op where messages cannot change."""
        ...

    def post_review(self, items: Sequence[ReviewItem]) -> Delivery | None:
        """Post the review digest (items with label buttons); None where unsupported."""
        ...

    def post_digest(self, alerts: Sequence[Alert], day: str) -> Delivery:
        """Post the daily digest of new events (digest mode): one line per event."""
        ...

    def post_notice(self, text: str) -> Delivery:
        """Post a short operational notice (feed health)."""
        ...

    def close(self) -> None: ...
