"""The lifecycle stage (pure): is a report about a tracked event, and what status does it report?

An event's status is one of ``STATUSES`` (``EVENT_STATUS_LABELS`` of the records):

    announced         a decision was made or reported ("A bans B")       the usual opening
    in_force          signed into law / took effect
    expanded          more apps, people or places covered
    extended          kept in force for longer
    challenged        sued over, appealed
    blocked_by_court  a court halted or struck it down
    lifted            lifted, repealed, overturned by its authority
    reinstated        back in force after a block or lifting (incl. upheld on appeal)

``follow_up`` ties a report to a tracked event when it names a status (a cue from
``monitor.alerting.cues``, or the summary's own status) and shares the event's app(s), its
jurisdiction and a compatible authority, and its report time lies within ``window``
(``[dedupe] lifecycle_window``, much longer than the event window) of the event's reports.
The classifier score plays no part: "judge blocks the ban" scores low but belongs to it.
A report whose status equals the event's current one is more coverage of it, not a change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.core.records import EVENT_STATUS_LABELS, Summary
from monitor.summary.summarize import authority_level
from state.outbox import StoredEvent

STATUSES = tuple(EVENT_STATUS_LABELS)
LABELS = EVENT_STATUS_LABELS
# the summarize stage's wording of a ban's status
_SUMMARY_STATUS = {"announced": "announced", "in force": "in_force", "ordered by court": "in_force"}
# institutions that act on their own members only: their rules are their own events
_OWN_MEMBERS = frozenset({"military", "education"})


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A report about a tracked event: its status now, and what it was before."""

    event: StoredEvent
    status: str
    previous: str

    @property
    def changed(self) -> bool:
        return self.status != self.previous


def normalise_status(text: str | None) -> str | None:
    """A status id from an id, a label or a summary status ("blocked by a court" ->
    "blocked_by_court"); None when it is none of them."""
    if not text:
        return None
    key = text.strip().casefold()
    if key in _SUMMARY_STATUS:
        return _SUMMARY_STATUS[key]
    key = key.replace(" ", "_").replace("-", "_")
    by_label = {label.replace(" ", "_"): status for status, label in LABELS.items()}
    return key if key in STATUSES else by_label.get(key)


def label(status: str | None) -> str:
    """Human wording of a status id ("blocked by a court"); unknown ids as given."""
    return LABELS.get(status or "", status or "unknown")


def opening_status(summary: Summary, cue: str | None) -> str:
    """The status of a new event: the one its first report names (a cue, else the
    summary's status), else "announced"."""
    if cue in STATUSES:
        return str(cue)
    return _SUMMARY_STATUS.get(summary.status or "", "announced")


def about(event: Summary, report: Summary) -> bool:
    """Same app(s), same known jurisdiction and a compatible authority: a court or a
    legislature acts on the government's ban; a school or the army only on its own."""
    if not set(event.apps) & set(report.apps) or event.jurisdiction is None:
        return False
    if event.jurisdiction.casefold() != (report.jurisdiction or "").casefold():
        return False
    a, b = authority_level(event.authority), authority_level(report.authority)
    return a is None or b is None or a == b or not {a, b} & _OWN_MEMBERS


def tracked_event(
    report: Summary, tracked: Sequence[StoredEvent], at: datetime, window: timedelta
) -> StoredEvent | None:
    """The tracked event the report is about (``about``) whose reports lie within ``window``
    of ``at``; the one reported on most recently wins. None when there is none."""
    matches = [
        event
        for event in tracked
        if event.first_seen - window <= at <= event.last_seen + window
        and about(event.summary, report)
    ]
    return max(matches, key=lambda e: e.last_seen) if matches else None


def follow_up(
    report: Summary,
    cue: str | None,
    tracked: Sequence[StoredEvent],
    at: datetime,
    window: timedelta,
) -> FollowUp | None:
    """The tracked event this report follows up, with the status it reports; None when it
    names no status past the opening or follows no tracked event."""
    status = cue if cue in STATUSES else None
    if status is None or status == "announced":
        return None
    event = tracked_event(report, tracked, at, window)
    if event is None:
        return None
    return FollowUp(event, status, event.status or opening_status(event.summary, None))
