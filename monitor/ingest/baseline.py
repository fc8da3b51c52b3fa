"""First-poll baseline: which items of a feed's first successful poll take the full path.

A feed polled for the first time carries its back catalogue (often weeks of items).
Fetching, extracting and scoring all of it floods a cold start and alerts on old news,
so only items published within the catch-up window (``[polling] backfill``, or the
feed's own ``backfill``) go through the full path; the others are stored as seen from
the feed entry alone (title, link, summary, published) and never alerted. An item
without a published date counts as recent: it might be news.

Pure decisions; the pipeline does the storing. "First poll" means the feed has never
succeeded (``last_success`` is None): a crash before that poll's state is written makes
the next poll a first poll again, and the items already stored are known by then.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from monitor.core.records import Article, FeedHealth, FeedItem

SEEN_REASON = "first poll: stored as seen"


def window_for(feed: FeedHealth, default: float) -> float:
    """The catch-up window of this poll in seconds; ``math.inf`` when not a first poll."""
    if feed.last_success is not None:
        return math.inf
    return feed.backfill if feed.backfill is not None else default


def split(
    items: Sequence[FeedItem], window: float, now: datetime
) -> tuple[list[FeedItem], list[FeedItem]]:
    """(recent, seen): items published within ``window`` seconds of ``now`` (or undated),
    and the older ones. Order is kept."""
    if math.isinf(window):
        return list(items), []
    since = now - timedelta(seconds=window)
    recent = [i for i in items if i.published is None or i.published >= since]
    seen = [i for i in items if i.published is not None and i.published < since]
    return recent, seen


def as_seen(item: FeedItem, now: datetime) -> Article:
    """The stored form of an old item: the feed's own text, no page fetched, no score."""
    return Article(
        item=item,
        title=item.title,
        text=item.summary or item.title,
        published=item.published,
        sitename="",
        language=None,
        method="summary",
        fallback_reason=SEEN_REASON,
    )
