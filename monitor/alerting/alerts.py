"""Alerting stage: route each scored item, file ban reports under stories and events, write
their alerts — all in the item's transaction.

Routing (``monitor.alerting.routing``): status follow-ups of tracked events
(``lifecycle``), items that are not a new decision (``cues.newness_cue``), the two tiers
(a confident score and no contradicting fact -> alert channel; near-threshold or
contradicted -> review queue). Every routed item records its route, reason and report time.

Dedupe of filed ban reports, against stored state:
1. the same item (feed+guid or canonical URL) is never stored twice (``Store.save_items``
   and ``filter_new``), so it is never scored or alerted twice;
2. the same story syndicated across outlets: a report whose MinHash similarity to a
   ban report near in time is at or above ``near_duplicate`` joins that report's event;
3. the same event: same app(s) + same authority/jurisdiction (``events.same_event``)
   with a report within ``event_window`` of this one.

Windows compare report times (``events.report_time``), and the items of one ingest are
routed in report-time order, so a replay or catch-up groups as a live run would. The
first report of an event makes an "alert" (a top-level message); later reports and status
follow-ups make "update" alerts (thread replies). Item, event, status history and alert
rows are written in ONE transaction, so a crash leaves all of them or none. ``decide`` is
pure.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerting import cues, dedupe, events, lifecycle
from monitor.alerting.routing import Cues, Routing, Tiers, route, trust_main_clause
from monitor.core.records import Alert, AlertKind, Article, Scored, Summary
from monitor.summary.summarize import split_sentences, summarize
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
        candidates = [
            (s.minhash, by_id[s.event_id], s.story_of or s.item_id)
            for s in stories
            if s.minhash is not None and s.event_id is not None and s.event_id in by_id
        ]
        scores = dedupe.similarities(signature, [minhash for minhash, _, _ in candidates])
        for (_, event, origin), score in zip(candidates, scores, strict=True):
            if score >= near_duplicate:
                return Decision("update", event.id, origin, event)
    for event in recent:
        if events.same_event(event.summary, summary):
            return Decision("update", event.id, None, event)
    return Decision("alert", events.event_id(summary, now))


def main_clause_ban(scored: Scored) -> bool:
    """The headline's main clause reports an authority acting on an app, and it happened
    (done, decided, signed, ordered), by the model's own meaning analyser (accuracy pinned on
    training/meaning/headlines.jsonl)."""
    from classifiers.meaning import HAPPENED, analyse  # pure regex; loaded with the model

    meaning = analyse(scored.article.title or scored.article.item.title, scored.article.text)
    return meaning.main_clause and meaning.modality in HAPPENED and meaning.authority_acts_on_app


def item_cues(scored: Scored) -> Cues:
    """The wording cues of an item: its headline, and its lead for the status."""
    title = scored.article.title or scored.article.item.title
    lead = next(iter(split_sentences(scored.article.text[:2000])), "")
    return Cues(
        cues.status_cue(title, lead), cues.newness_cue(title), cues.contradiction_cue(title)
    )


class AlertingIngest:
    """``Deps.ingest`` that also routes scored items and writes their alerts."""

    def __init__(
        self,
        store: FilingStore,
        window: float,
        near_duplicate: float,
        *,
        lifecycle_window: float = 365 * 86400.0,
        tiers: Tiers | None = None,
    ) -> None:
        self.store = store
        self.window = timedelta(seconds=window)
        self.lifecycle_window = timedelta(seconds=max(lifecycle_window, window))
        self.near_duplicate = near_duplicate
        self.tiers = tiers or Tiers()

    def __call__(self, entries: Sequence[Article | Scored], now: datetime) -> tuple[int, int]:
        stored = alerted = 0
        with self.store.transaction() as tx:
            scored: list[tuple[datetime, int, Scored]] = []
            for entry in entries:
                item_id = tx.insert_item(entry, now)
                if item_id is None:
                    continue
                stored += 1
                if isinstance(entry, Scored):
                    published = entry.article.published or entry.article.item.published
                    scored.append((events.report_time(published, now), item_id, entry))
            for at, item_id, entry in sorted(scored, key=lambda s: (s[0], s[1])):
                alerted += self._route(tx, item_id, entry, at, now)
        return stored, alerted

    def _route(
        self, tx: FilingTx, item_id: int, scored: Scored, at: datetime, now: datetime
    ) -> int:
        confident = self.tiers.confident(scored.score, scored.is_ban)
        found = item_cues(scored)
        if confident and (found.newness or found.contradiction):
            found = trust_main_clause(found, confident, main_clause_ban(scored))
        near = self.tiers.near(scored.score, scored.threshold)
        if not (confident or near or found.status or found.newness or found.contradiction):
            return 0  # not a ban and no follow-up or contradicting wording: nothing to decide
        summary = summarize(scored)
        tracked = tx.events_near(at, self.lifecycle_window)
        follow = lifecycle.follow_up(summary, found.status, tracked, at, self.lifecycle_window)
        about = (
            follow.event
            if follow
            else lifecycle.tracked_event(summary, tracked, at, self.lifecycle_window)
        )
        routing = route(
            found,
            confident,
            near,
            None if follow is None else follow.changed,
            about is not None,
            self.tiers.reaction_replies,
        )
        if routing.route == "file":
            recent = _within(tracked, at, self.window)  # tracked spans a wider window
            return self._file(tx, item_id, scored, summary, found, recent, at, now)
        if routing.route in ("status", "reply") and about is not None:
            return self._reply(tx, item_id, summary, about, follow, routing, at, now)
        if routing.route != "ignore":
            tx.route_item(item_id, at, routing.route, routing.reason)
        return 0

    def _reply(
        self,
        tx: FilingTx,
        item_id: int,
        summary: Summary,
        event: StoredEvent,
        follow: lifecycle.FollowUp | None,
        routing: Routing,
        at: datetime,
        now: datetime,
    ) -> int:
        """A thread reply under a tracked event: a status change, or more coverage."""
        count = tx.add_source(event.id, at)
        status, previous = event.status, None
        if follow is not None and follow.changed:
            tx.record_status(event.id, follow.status, at, item_id)
            status, previous = follow.status, follow.previous
        tx.file_item(item_id, None, event.id, None)
        tx.route_item(item_id, at, routing.route, routing.reason)
        alert = Alert(
            id=f"al-{secrets.token_hex(8)}",
            event_id=event.id,
            kind="update",
            item_id=item_id,
            summary=summary,
            created_at=now,
            source_count=count,
            new_facts=events.new_facts(event.summary, summary),
            event_status=status,
            previous_status=previous,
        )
        tx.insert_alert(alert, event.alert_id)
        return 1

    def _file(
        self,
        tx: FilingTx,
        item_id: int,
        scored: Scored,
        summary: Summary,
        found: Cues,
        recent: Sequence[StoredEvent],
        at: datetime,
        now: datetime,
    ) -> int:
        text = f"{scored.article.title}\n{scored.article.text}"
        signature = dedupe.minhash_signature(text)
        stories = tx.stories_near(at, self.window)
        decision = decide(summary, signature, stories, recent, at, self.near_duplicate)
        alert_id = f"al-{secrets.token_hex(8)}"
        facts: tuple[str, ...] = ()
        status: str | None
        if decision.kind == "alert":
            status = lifecycle.opening_status(summary, found.status)
            tx.insert_event(decision.event_id, summary, at, alert_id, status)
            tx.record_status(decision.event_id, status, at, item_id)
            count, parent_id = 1, None
        else:
            assert decision.parent is not None
            count = tx.add_source(decision.event_id, at)
            facts = events.new_facts(decision.parent.summary, summary)
            parent_id, status = decision.parent.alert_id, decision.parent.status
        tx.file_item(item_id, signature, decision.event_id, decision.story_of)
        tx.route_item(item_id, at, decision.kind, None)
        alert = Alert(
            id=alert_id,
            event_id=decision.event_id,
            kind=decision.kind,
            item_id=item_id,
            summary=summary,
            created_at=now,
            source_count=count,
            new_facts=facts,
            event_status=status,
        )
        tx.insert_alert(alert, parent_id)
        return 1


def _within(tracked: Sequence[StoredEvent], at: datetime, window: timedelta) -> list[StoredEvent]:
    """Pure: ``FilingTx.events_near(at, window)`` from the events already read with a wider
    window in the same transaction (same rule, same order)."""
    return [e for e in tracked if e.last_seen >= at - window and e.first_seen <= at + window]
