"""Frozen records passed between pipeline stages (stdlib only; a leaf module).

Data flows in this order::

    Feed -> FetchedPage | NotModified -> ParsedFeed(FeedItem...) -> Article
         -> Scored -> Summary -> Alert -> FeedRun

Every datetime in a record is timezone-aware UTC. Records carry data only; the
decisions about them live in pure functions in the stage modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed the service polls. ``interval`` is seconds between polls (None: the default);
    ``backfill`` is the catch-up window of its first poll in seconds (None: the default,
    ``math.inf``: every item goes through the full path)."""

    url: str
    name: str = ""
    interval: float | None = None
    backfill: float | None = None


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """What the store remembers about a feed between cycles."""

    url: str
    name: str = ""
    interval: float | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_checked: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    next_check: datetime | None = None
    last_new_item: datetime | None = None
    last_warning: str | None = None  # parse warning of the last good poll (bozo feed)
    backfill: float | None = None  # first-poll catch-up window, seconds (None: the default)


@dataclass(frozen=True, slots=True)
class Validators:
    """Conditional-GET validators sent with a request (from the previous response)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A successful (2xx) response body, already size-capped and decompressed."""

    url: str  # the URL requested
    final_url: str  # after redirects
    status: int
    content_type: str  # media type only, lower case, e.g. "application/rss+xml"
    charset: str | None  # from the Content-Type header, if any
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class NotModified:
    """A 304 answer to a conditional GET: nothing to parse."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FeedCheck:
    """A not-modified poll to record: the feed stays healthy; validators may be refreshed."""

    url: str
    validators: Validators
    checked_at: datetime
    next_check: datetime


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a parsed feed, before its article page is fetched."""

    feed_url: str
    guid: str  # the entry id, or the canonical URL when the feed gives none
    url: str  # the link as given (absolute), "" when the entry has no usable link
    canonical_url: str  # see monitor.ingest.urls.canonical_url; "" when url is ""
    title: str
    summary: str  # plain text
    published: datetime | None = None
    author: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What feeds.parse_feed made of the bytes. ``warning`` is set for bozo feeds."""

    title: str
    items: tuple[FeedItem, ...]
    warning: str | None = None


# "trafilatura": text from the page (trafilatura's, or readability-lxml's when trafilatura
# found little: monitor.ingest.readable); "summary": the feed summary instead.
ExtractionMethod = Literal["trafilatura", "summary"]


@dataclass(frozen=True, slots=True)
class Extracted:
    """What the extraction worker found on a page (trafilatura, with readability-lxml's text
    when trafilatura found little). ``date`` is the page's date (midnight UTC)."""

    title: str
    text: str
    date: datetime | None
    sitename: str
    language: str | None


@dataclass(frozen=True, slots=True)
class Article:
    """An item with its text: extracted from the page, or the feed summary as fallback."""

    item: FeedItem
    title: str
    text: str
    published: datetime | None
    sitename: str
    language: str | None
    method: ExtractionMethod
    fallback_reason: str | None = None  # why the summary was used, when it was
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Scored:
    """An article with the classifier's verdict."""

    article: Article
    score: float  # calibrated probability of "ban", 0..1
    is_ban: bool  # score >= threshold
    why: tuple[str, ...]  # top contributing terms
    model_version: str
    threshold: float | None = None  # the threshold is_ban was decided with


@dataclass(frozen=True, slots=True)
class Summary:
    """The structured facts of a ban alert. Every field may be unknown (None / empty)."""

    apps: tuple[str, ...] = ()
    authority: str | None = None
    jurisdiction: str | None = None
    scope: str | None = None  # e.g. "government devices", "nationwide", "minors"
    action: str | None = None  # ban | block | suspend | restrict | account closed
    status: str | None = None  # announced | in force | ordered by court
    effective_date: str | None = None  # as stated in the text
    evidence: tuple[str, ...] = ()  # sentences quoted verbatim from the text
    abstract: str = ""  # extractive 2-3 sentence summary
    source: str = ""  # outlet name
    url: str = ""
    published: datetime | None = None
    title: str = ""
    score: float = 0.0
    model_version: str = ""
    why: tuple[str, ...] = ()


AlertKind = Literal["alert", "update"]

# The lifecycle status of an event (``monitor.alerting.lifecycle``): id -> how it reads.
EVENT_STATUS_LABELS: dict[str, str] = {
    "announced": "announced",
    "in_force": "in force",
    "expanded": "expanded",
    "extended": "extended",
    "challenged": "challenged in court",
    "blocked_by_court": "blocked by a court",
    "lifted": "lifted",
    "reinstated": "reinstated",
}
AlertStatus = Literal["pending", "sent", "failed"]


@dataclass(frozen=True, slots=True)
class Alert:
    """One message in the outbox: a new event ("alert") or more coverage of one ("update")."""

    id: str
    event_id: str
    kind: AlertKind
    item_id: int
    summary: Summary
    created_at: datetime
    status: AlertStatus = "pending"
    attempts: int = 0
    last_error: str | None = None
    next_attempt: datetime | None = None
    message_ts: str | None = None  # Slack ts once sent
    thread_ts: str | None = None  # for updates: the parent alert's ts
    source_count: int = 1  # sources known for the event when this alert was made
    new_facts: tuple[str, ...] = ()  # for updates: what this report adds
    event_status: str | None = None  # the event's lifecycle status (EVENT_STATUS_LABELS)
    previous_status: str | None = None  # status updates: the status before this report


FeedStatus = Literal["ok", "not_modified", "error", "skipped"]


@dataclass(frozen=True, slots=True)
class FeedRun:
    """The outcome of one feed in one cycle; logged as one structured line."""

    feed_url: str
    status: FeedStatus
    new: int = 0
    skipped: int = 0
    alerted: int = 0
    error: str | None = None
    warning: str | None = None
    elapsed: float = 0.0
    next_check: datetime | None = None
    fallbacks: int = 0


@dataclass(frozen=True, slots=True)
class CycleReport:
    """All feed runs of one poll cycle."""

    started: datetime
    finished: datetime
    runs: tuple[FeedRun, ...] = field(default_factory=tuple)

    @property
    def new(self) -> int:
        return sum(r.new for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(1 for r in self.runs if r.status == "error")

    @property
    def not_modified(self) -> int:
        return sum(1 for r in self.runs if r.status == "not_modified")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One item of the review queue, as shown on the CLI and in the Slack digest."""

    item_id: int
    title: str
    url: str
    score: float
    threshold: float
