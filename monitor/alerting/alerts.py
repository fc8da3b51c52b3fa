"""Alerting stage: file each new ban article under a story and an event, write its alert.

Three levels of dedupe, against stored state:
1. the same item (feed+guid or canonical URL) is never stored twice (``Store.save_items``
   and ``filter_new``), so it is never scored or alerted twice;
2. the same story syndicated across outlets: a ban article whose MinHash similarity to a
   recent ban article is at or above ``near_duplicate`` joins that article's event;
3. the same event: same app(s) + same authority/jurisdiction (``events.same_event``)
   within ``event_window`` of the event's last report.

The first report of an event makes an "alert" (a top-level Slack message); later reports
make "update" alerts (thread replies). Item, event and alert rows are written in ONE
transaction, so a crash leaves either all of them or none. ``decide`` is pure.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerting import dedupe, events
from monitor.core.records import Alert, AlertKind, Article, Scored, Summary
from monitor.summary.summarize import summarize
from state.outbox import StoredEvent, StoredStory
from state.store import FilingStore, FilingTx


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a ban article goes: a new event, or more coverage of an existing one."""

    kind: AlertKind
    event_id: str
    story_of: int | None = None  # the item this one is a near-copy of
    parent: StoredEvent | None = None


def decide(
    summary: Summary,
    signature: bytes | None,
    stories: Sequence[StoredStory],
    recent: Sequence[StoredEvent],
    now: datetime,
    near_duplicate: float,
) -> Decision:
    """Pure: story match first (same text = same event), then event match, else new."""
    by_id = {event.id: event for event in recent}
    if signature is not None:
        for story in stories:
            if story.minhash is None or story.event_id not in by_id:
                continue
            if dedupe.similarity(signature, story.minhash) >= near_duplicate:
                origin = story.story_of or story.item_id
                return Decision("update", story.event_id, origin, by_id[story.event_id])
    for event in recent:
        if events.same_event(event.summary, summary):
            return Decision("update", event.id, None, event)
    return Decision("alert", events.event_id(summary, now))


class AlertingIngest:
    """``Deps.ingest`` that also files ban articles under events and writes their alerts."""

    def __init__(self, store: FilingStore, window: float, near_duplicate: float) -> None:
        self.store = store
        self.window = timedelta(seconds=window)
        self.near_duplicate = near_duplicate

    def __call__(self, entries: Sequence[Article | Scored], now: datetime) -> tuple[int, int]:
        stored = alerted = 0
        with self.store.transaction() as tx:
            for entry in entries:
                item_id = tx.insert_item(entry, now)
                if item_id is None:
                    continue
                stored += 1
                if isinstance(entry, Scored) and entry.is_ban:
                    self._file(tx, item_id, entry, now)
                    alerted += 1
        return stored, alerted

    def _file(self, tx: FilingTx, item_id: int, scored: Scored, now: datetime) -> None:
        summary = summarize(scored)
        text = f"{scored.article.title}\n{scored.article.text}"
        signature = dedupe.minhash_signature(text)
        since = now - self.window
        decision = decide(
            summary,
            signature,
            tx.recent_stories(since),
            tx.recent_events(since),
            now,
            self.near_duplicate,
        )
        alert_id = f"al-{secrets.token_hex(8)}"
        if decision.kind == "alert":
            tx.insert_event(decision.event_id, summary, now, alert_id)
            count, facts, parent_id = 1, tuple[str, ...](), None
        else:
            assert decision.parent is not None
            count = tx.add_source(decision.event_id, now)
            facts = events.new_facts(decision.parent.summary, summary)
            parent_id = decision.parent.alert_id
        tx.file_item(item_id, signature, decision.event_id, decision.story_of)
        alert = Alert(
            id=alert_id,
            event_id=decision.event_id,
            kind=decision.kind,
            item_id=item_id,
            summary=summary,
            created_at=now,
            source_count=count,
            new_facts=tuple(facts),
        )
        tx.insert_alert(alert, parent_id)
