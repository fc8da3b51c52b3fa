"""Event-level dedupe decisions (pure): is a new ban report the same event as an earlier one?

An event is one decision by one institution about one or more apps. Reports of it differ in
wording ("The United Kingdom", "UK government", "Cabinet Office"), so the key normalises:

- apps: the canonical names; two reports must share at least one;
- jurisdiction: must be known and equal (a state is not its country; the EU is not a member);
- authority: reduced to its institution level (``summarize.authority_level``). A place acting
  as a whole ("state"), the executive, regulators and courts are one civil branch that outlets
  name interchangeably ("Brazil blocks X" / "Brazil's Supreme Court ..."); the legislature,
  the military and education bodies are distinct institutions, so the UK Parliament closing
  its account is not the UK government's device ban;
- action: ban/block/suspend/restrict are one kind (outlets use them interchangeably);
  "account closed" is another;
- scope: device rules (government/staff devices, personnel) vs nationwide vs regional vs
  minors vs network.

Unknown authority, action or scope (None) matches anything: missing facts must not split an
event. The caller applies the time window, on report times (``report_time``): when the
item was published, so a replay or a catch-up after downtime groups as a live run would;
the ingest time when the feed gives no date, or one in the future or the far past.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.core.records import Summary
from monitor.summary.summarize import authority_level

_CIVIL = frozenset({"state", "executive", "regulator", "court"})
_ACTION_KIND = {
    "ban": "restriction",
    "block": "restriction",
    "suspend": "restriction",
    "restrict": "restriction",
    "account closed": "account closed",
}
_SCOPE_KIND = {
    "government devices": "devices",
    "staff devices": "devices",
    "military personnel": "devices",
    "nationwide": "nationwide",
    "regional": "regional",
    "minors": "minors",
    "network": "network",
    "campus network": "network",
}
FUTURE_SKEW = timedelta(hours=6)  # clocks and time zones of feeds are often a little off
FAR_PAST = timedelta(days=3650)  # older than this: a placeholder date (1970, 2000-01-01)
_STATUS_RANK = {"announced": 1, "ordered by court": 2, "in force": 3}


@dataclass(frozen=True)
class EventKey:
    """The normalised facts that identify an event (see the module docstring)."""

    apps: frozenset[str]
    jurisdiction: str | None  # casefolded display name
    authority: str | None  # institution level
    action: str | None  # "restriction" | "account closed"
    scope: str | None  # scope kind


def event_key(summary: Summary) -> EventKey:
    """The key of the event a summary reports."""
    return EventKey(
        apps=frozenset(summary.apps),
        jurisdiction=summary.jurisdiction.casefold() if summary.jurisdiction else None,
        authority=authority_level(summary.authority),
        action=_ACTION_KIND.get(summary.action or "", summary.action),
        scope=_SCOPE_KIND.get(summary.scope or "", summary.scope),
    )


def same_event(a: Summary, b: Summary) -> bool:
    """Same app(s) and the same institution in the same jurisdiction doing the same kind of
    thing. Pure; the caller applies the time window."""
    ka, kb = event_key(a), event_key(b)
    if not ka.apps & kb.apps or ka.jurisdiction is None or ka.jurisdiction != kb.jurisdiction:
        return False
    return (
        _same_institution(ka.authority, kb.authority)
        and _compatible(ka.action, kb.action)
        and _compatible(ka.scope, kb.scope)
    )


def _same_institution(a: str | None, b: str | None) -> bool:
    return _compatible(a, b) or (a in _CIVIL and b in _CIVIL)


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def new_facts(parent: Summary, update: Summary) -> tuple[str, ...]:
    """What a later report of the event adds, as short human strings, e.g.
    ("effective date: March 20", "scope: staff devices"). Empty when it adds nothing."""
    facts: list[str] = []
    extra_apps = [app for app in update.apps if app not in parent.apps]
    if extra_apps:
        facts.append(f"apps: {', '.join(extra_apps)}")
    for label, old, new in (
        ("authority", parent.authority, update.authority),
        ("jurisdiction", parent.jurisdiction, update.jurisdiction),
        ("scope", parent.scope, update.scope),
        ("effective date", parent.effective_date, update.effective_date),
    ):
        if new and (old is None or (label in {"scope", "effective date"} and new != old)):
            facts.append(f"{label}: {new}")
    if _STATUS_RANK.get(update.status or "", 0) > _STATUS_RANK.get(parent.status or "", 0):
        facts.append(f"status: {update.status}")
    return tuple(facts)


def event_id(summary: Summary, first_seen: datetime) -> str:
    """A stable id: the same summary first seen on the same day always gets the same id.
    The report's URL/title is hashed too, so two unrelated events with equally sparse keys
    first seen on one day do not collide."""
    key = event_key(summary)
    parts = (
        ",".join(sorted(key.apps)),
        key.jurisdiction or "",
        key.authority or "",
        key.action or "",
        key.scope or "",
        first_seen.date().isoformat(),
        summary.url or summary.title,
    )
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"ev-{digest[:16]}"


def report_time(published: datetime | None, ingested: datetime) -> datetime:
    """When the report was made: its publication time, unless missing, in the future
    (beyond ``FUTURE_SKEW``) or in the far past (``FAR_PAST``); then the ingest time."""
    if published is None or published.tzinfo is None:
        return ingested
    if published > ingested + FUTURE_SKEW or published < ingested - FAR_PAST:
        return ingested
    return published
