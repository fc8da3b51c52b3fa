"""Operations commands of the ``monitor`` CLI: ``backup``, ``feeds export``, ``--version``
and ``status --check``.

- ``monitor backup PATH``: an online, verified copy of the state file (``state.maintenance``).
- ``monitor feeds export [--output FILE]``: OPML 2.0 that ``feeds import`` reads back as the
  same feeds (URL, name, interval). It holds the URLs as stored, credentials included:
  treat the file like the config.
- ``monitor status --check``: after the usual report, ``check: ...`` lines and exit 1 when
  a feed fails at or past ``notify.feed_failure_threshold``, alerts are parked as failed,
  or no cycle finished within 3 poll intervals (the service records each cycle's end);
  for cron and container probes that do not use the HTTP listener.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree

from monitor.core.errors import ConfigError, redact
from monitor.core.records import Feed
from monitor.core.settings import Settings


def version() -> str:
    try:
        return metadata.version("appban-monitor")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import open_store, utcnow
    from state.maintenance import backup

    if settings.state.url:
        raise ConfigError(
            "backup: the state is in PostgreSQL ([state] url); back it up with pg_dump"
        )
    open_store(settings).close()  # migrated and usable, or a clear error
    written = backup(Path(settings.state.path), args.path, utcnow())
    print(f"backup: {written}")
    return 0


def cmd_feeds_export(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import open_store

    store = open_store(settings)
    try:
        feeds = [Feed(f.url, f.name, f.interval) for f in store.feeds()]
    finally:
        store.close()
    text = write_opml(feeds)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"exported {len(feeds)} feeds to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def write_opml(feeds: Sequence[Feed]) -> str:
    """Pure: OPML 2.0 with one outline per feed (``title`` = name, ``interval``)."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = "appban-monitor feeds"
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        attrs = {"type": "rss", "text": feed.name or feed.url, "title": feed.name,
                 "xmlUrl": feed.url}  # fmt: skip
        if feed.interval:
            attrs["interval"] = f"{feed.interval:g}s"
        ElementTree.SubElement(body, "outline", attrs)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, "unicode") + "\n"


def health_problems(
    store: Any, settings: Settings, feeds: Sequence[Any], tick: float, now: datetime
) -> list[str]:
    """What ``status --check`` fails on (see the module docstring)."""
    threshold = settings.notify.feed_failure_threshold
    problems = [f"feed failing {f.consecutive_failures} times in a row: {redact(f.name or f.url)}"
                for f in feeds if f.consecutive_failures >= threshold]  # fmt: skip
    failed = store.alert_counts()["failed"]
    if failed:
        problems.append(f"{failed} alerts parked as failed (see `monitor alerts retry`)")
    last = store.get_meta("last_cycle")
    limit = 3 * tick
    age = (now - datetime.fromisoformat(last)).total_seconds() if last else None
    if age is None or age > limit:
        shown = "never" if age is None else f"{age:.0f}s ago"
        problems.append(f"no cycle finished within 3 intervals ({limit:.0f}s); last: {shown}")
    return problems


def report_check(
    out: TextIO, store: Any, settings: Settings, feeds: Sequence[Any], tick: float
) -> int:
    problems = health_problems(store, settings, feeds, tick, datetime.now(UTC))
    for problem in problems:
        print(f"check: {problem}", file=out)
    print("check: " + ("unhealthy" if problems else "ok"), file=out)
    return 1 if problems else 0
