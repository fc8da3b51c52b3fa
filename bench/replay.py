"""Alert-level replay: a labelled corpus through the real service, day by day, into a fake Slack.

    python bench/replay.py [--model PATH] [--corpus PATH] [--since YYYY-MM-DD] [--limit N]

The service is built in this process exactly as ``monitor run --once`` builds it
(``monitor.bootstrap.build_app``, the model at ``--model``, the outbox drained after each
cycle) but with an injected clock. Items are grouped by their ``date``; for each day in
order the clock is moved to that day (12:00 UTC), a local feed serves that day's items
(title = first sentence, description = the item's text, article pages 404 so the
service falls back to the feed summary) and one poll cycle runs. Slack is
``tests.support.fake_slack.FakeSlack`` on 127.0.0.1. No network.

Printed at the end (what the user sees):

- events detected / real events: ban items are grouped into real events (the same app
  in the same place or, without an app, the same place, within ``EVENT_DAYS`` days);
  an event is detected
  when any of its items reached Slack (a top-level post or a threaded update);
- top-level posts per detected event;
- false top-level posts: top-level posts whose item is labelled ``other``;
- borderline posts: top-level posts whose item is labelled ``borderline``;
- duplicates: top-level posts beyond the first for the same real event.

Without ``--model`` the default model is trained once (``monitor train``'s path).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _service import write_config  # noqa: E402

from classifiers.vocab import app_names, place_names  # noqa: E402
from tests.support.fake_slack import FakeSlack  # noqa: E402
from tests.support.httpserver import LocalServer, Route  # noqa: E402
from tests.support.pages import xml_escape  # noqa: E402

EVENT_DAYS = 14
DEFAULT_CORPUS = ROOT / ".." / "shared" / "corpus" / "current-events" / "items.jsonl"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“])")


def load_items(path: Path, since: str | None, limit: int | None) -> list[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    rows = [r for r in rows if since is None or r["date"] >= since]
    rows.sort(key=lambda r: (r["date"], r["id"]))
    return rows[:limit] if limit else rows


def real_events(items: list[dict[str, Any]]) -> dict[str, int]:
    """Ban item id -> event number: within EVENT_DAYS days, the same app named in the same
    place (country or region), or, for items naming no app, the same place. (The same app
    in two places is two decisions: Canada's and the EU Commission's TikTok bans.)"""
    bans = [r for r in items if r["label"] == "ban"]
    parent = list(range(len(bans)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    apps = [app_names(r["text"]) for r in bans]
    places = [place_names(r["text"]) for r in bans]
    days = [datetime.fromisoformat(r["date"]) for r in bans]
    for i in range(len(bans)):
        for j in range(i):
            same_app = bool(apps[i] & apps[j]) or not (apps[i] or apps[j])
            if same_app and places[i] & places[j] and abs((days[i] - days[j]).days) <= EVENT_DAYS:
                parent[find(i)] = find(j)
    return {r["id"]: find(i) for i, r in enumerate(bans)}


def feed_body(base: str, day: str, rows: list[dict[str, Any]]) -> bytes:
    stamp = datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)
    pub = stamp.strftime("%a, %d %b %Y %H:%M:%S GMT")
    entries = []
    for r in rows:
        title = _SENTENCE_END.split(r["text"], maxsplit=1)[0][:200]
        link = f"{base}/a/{r['id']}"
        entries.append(
            f"<item><title>{xml_escape(title)}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{pub}</pubDate><description>{xml_escape(r['text'])}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Replay desk</title><link>http://example.org/</link><description>replay"
        f"</description>{''.join(entries)}</channel></rss>"
    ).encode()


def replay(
    items: list[dict[str, Any]], model: Path, tmp: Path
) -> tuple[list[tuple[str, bool]], dict[str, tuple[float, str]], list[str]]:
    """Run the service over ``items``: (item id, is top level) for each Slack post,
    item id -> (score, route) as the service stored them, and the status updates posted."""
    from monitor.bootstrap import build_app, build_scorer
    from monitor.core.settings import load_settings
    from monitor.service import Service

    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in items:
        by_day[r["date"]].append(r)
    now = [datetime(2000, 1, 1, tzinfo=UTC)]
    with LocalServer() as server, FakeSlack() as slack:
        server.set("/feed.xml", Route(body=feed_body(server.url, "2000-01-01", [])))
        config = write_config(tmp, server.url_for("/feed.xml"), slack, model, concurrency=2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        settings = load_settings(config, env | {"MONITOR_SLACK_BOT_TOKEN": slack.token})
        app = build_app(settings, clock=lambda: now[0], scorer=build_scorer(settings))
        try:
            service = Service(app.deps, tick=1.0, extra_jobs=[], after_cycle=app.after_cycle)
            started = time.monotonic()
            for n, (day, rows) in enumerate(sorted(by_day.items())):
                now[0] = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
                server.set("/feed.xml", Route(body=feed_body(server.url, day, rows)))
                service.cycle()
                if n % 200 == 0:
                    rate = (n + 1) / (time.monotonic() - started)
                    print(f"  {day}: {n + 1}/{len(by_day)} days ({rate:.0f}/s)", file=sys.stderr)
            now[0] += timedelta(hours=1)
            app.drain()
        finally:
            app.close()
        messages = _messages(slack, server.url)
        posts = [(item, top) for item, top, _ in messages]
        return posts, _routes(tmp / "state.sqlite3", server.url), status_updates(messages)


def _routes(db_path: Path, base: str) -> dict[str, tuple[float, str]]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT url, score, route, route_reason FROM items").fetchall()
    finally:
        db.close()
    prefix = f"{base}/a/"
    return {
        url.removeprefix(prefix): (float(score or 0.0), f"{route or '-'}: {reason or ''}".strip())
        for url, score, route, reason in rows
        if url.startswith(prefix)
    }


def _messages(slack: FakeSlack, base: str) -> list[tuple[str, bool, str]]:
    """(item id, top level?, message text) of every Slack message about a corpus item."""
    link = re.compile(re.escape(base) + r"/a/([0-9a-f]+)")
    found = []
    for message in slack.messages():
        match = link.search(json.dumps(message))
        if match:
            top = message.get("thread_ts") in (None, message["ts"])
            found.append((match.group(1), top, str(message.get("text") or "")))
    return found


def status_updates(messages: list[tuple[str, bool, str]]) -> list[str]:
    """The thread replies that report a status change ("Status: lifted (was: in force)")."""
    return [f"{item} {text[:110]}" for item, top, text in messages
            if not top and text.startswith("Status:")]  # fmt: skip


def report(
    items: list[dict[str, Any]],
    posts: list[tuple[str, bool]],
    routes: dict[str, tuple[float, str]] | None = None,
) -> dict[str, float]:
    labels = {r["id"]: r["label"] for r in items}
    events = real_events(items)
    top = [i for i, is_top in posts if is_top]
    detected = {events[i] for i, _ in posts if i in events}
    top_by_event: dict[int, int] = defaultdict(int)
    for i in top:
        if i in events:
            top_by_event[events[i]] += 1
    n_events = len(set(events.values()))
    result = {
        "events_detected": len(detected),
        "real_events": n_events,
        "top_level_per_detected_event": (
            sum(top_by_event.values()) / len(detected) if detected else 0.0
        ),
        "false_top_level": sum(labels.get(i) == "other" for i in top),
        "borderline_posts": sum(labels.get(i) == "borderline" for i in top),
        "duplicates": sum(max(0, c - 1) for c in top_by_event.values()),
        "all_posts": len(posts),
    }
    print(
        f"events detected / real events: {len(detected)} / {n_events}\n"
        f"top-level posts per detected event: {result['top_level_per_detected_event']:.2f}\n"
        f"false top-level posts: {result['false_top_level']}\n"
        f"borderline posts: {result['borderline_posts']}\n"
        f"duplicates (extra top-level posts for one event): {result['duplicates']}\n"
        f"all Slack posts (top-level and updates): {len(posts)}"
    )
    for i in top:
        if labels.get(i) == "other":
            text = next(r["text"] for r in items if r["id"] == i)
            print(f"  false: {i} {text[:100]}")
    first: dict[int, str] = {}
    for i in top:  # duplicates: a second top-level post for one real event
        if i in events and events[i] in first:
            text = next(r["text"] for r in items if r["id"] == i)
            print(f"  duplicate: {i} (first {first[events[i]]}) {text[:90]}")
        elif i in events:
            first[events[i]] = i
    posted = {i for i, _ in posts}
    for r in items:  # ban items that reached nobody: the model's miss or the routing's
        if r["label"] == "ban" and r["id"] not in posted:
            score, route = (routes or {}).get(r["id"], (0.0, "not stored"))
            print(f"  missed ban: {r['id']} score {score:.3f} route {route[:40]} {r['text'][:70]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--since", default=None, help="replay from this date (YYYY-MM-DD)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many items")
    args = parser.parse_args()
    items = load_items(args.corpus, args.since, args.limit)
    with tempfile.TemporaryDirectory(prefix="replay-") as name:
        tmp = Path(name)
        model = args.model
        if model is None:
            from training.commands import train_command

            model = tmp / "model.skops"
            train_command(model)
        print(f"replaying {len(items)} items...", file=sys.stderr)
        posts, routes, updates = replay(items, model, tmp)
        report(items, posts, routes)
        print(f"status updates posted (thread replies): {len(updates)}")
        for line in updates:
            print(f"  status: {line}")


if __name__ == "__main__":
    main()
