"""Command line for tracked events: their current status, status history and items.

``register(sub, common)`` adds to ``monitor``::

    monitor events list [--status S] [--since DATE] [--json]
    monitor events show EVENT_ID [--json]

Readable text by default; with ``--json`` ``list`` prints one JSON object per event per
line and ``show`` one object, each with "event_id", "status", "apps", "jurisdiction",
"authority", "history" (oldest first: {"status", "at", "item_id"}) and "items"
(see ``state.eventlog``). ``--status`` takes an id ("blocked_by_court") or its wording
("blocked by a court"); ``--since`` an ISO date or time (UTC when no zone is given).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from monitor.alerting.lifecycle import STATUSES, label, normalise_status
from monitor.core.errors import ConfigError
from monitor.core.settings import Settings


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    events = sub.add_parser("events", parents=[common], help="tracked events and their status")
    events_sub = events.add_subparsers(metavar="ACTION", required=True)
    listing = events_sub.add_parser("list", parents=[common], help="events, newest first")
    listing.add_argument("--status", default=None, help=f"one of: {', '.join(STATUSES)}")
    listing.add_argument("--since", default=None, help="reported on since DATE (ISO, UTC)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=cmd_events_list)
    show = events_sub.add_parser("show", parents=[common], help="one event in full")
    show.add_argument("event_id", metavar="EVENT_ID")
    show.add_argument("--json", action="store_true", help="one JSON object")
    show.set_defaults(handler=cmd_events_show)


def cmd_events_list(args: argparse.Namespace, settings: Settings) -> int:
    status = normalise_status(args.status) if args.status else None
    if args.status and status is None:
        raise ConfigError(f"events: unknown status {args.status!r} (known: {', '.join(STATUSES)})")
    since = _since(args.since) if args.since else None
    records = _read(settings, lambda store: store.event_records(status, since))
    for record in records:
        print(json.dumps(record, ensure_ascii=False) if args.json else _line(record))
    return 0


def cmd_events_show(args: argparse.Namespace, settings: Settings) -> int:
    record = _read(settings, lambda store: store.event_record(args.event_id))
    if record is None:
        print(f"error: no event {args.event_id!r} in the state database", file=sys.stderr)
        return 1
    print(json.dumps(record, ensure_ascii=False) if args.json else _text(record))
    return 0


def _read(settings: Settings, action: Any) -> Any:
    from monitor.bootstrap import open_store

    store = open_store(settings)
    try:
        return action(store)
    finally:
        store.close()


def _since(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"events: --since expects an ISO date, got {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _line(record: dict[str, Any]) -> str:
    apps = ", ".join(record["apps"]) or "?"
    where = record["jurisdiction"] or "?"
    return (
        f"{record['event_id']}  {label(record['status']):<20}  {apps} — {where}"
        f" ({record['authority'] or '?'})  sources {record['source_count']}"
        f"  last {record['last_seen'][:10]}"
    )


def _text(record: dict[str, Any]) -> str:
    lines = [_line(record), "  history:"]
    lines += [
        f"    {h['at'][:16]}  {label(h['status'])}  (item {h['item_id']})"
        for h in record["history"]
    ]
    lines.append("  items:")
    lines += [
        f"    {i['item_id']}  {(i['published'] or '')[:10]}  {i['route'] or '-'}  {i['title']}"
        f"  {i['url']}"
        for i in record["items"]
    ]
    return "\n".join(lines)
