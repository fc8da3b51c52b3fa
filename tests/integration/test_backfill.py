"""First-poll baseline: a new feed's back catalogue is stored as seen, never alerted.

Real pipeline, real SQLite, local HTTP on 127.0.0.1, the JSONL notifier as the receiver.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from monitor.cli import main
from monitor.core.records import Feed, FeedHealth, FeedItem
from monitor.ingest import baseline
from state.sqlite import SQLiteStore
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import article
from tests.support.seedfeed import HTML, RSS, read_rows, seed_stories
from tests.support.shared import require_shared

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def dated_rss(items: list[tuple[str, str, datetime | None]]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(u)}</link><guid>{escape(u)}</guid>"
        + (f"<pubDate>{email.utils.format_datetime(d)}</pubDate>" if d else "")
        + f"<description>{escape(t)}</description></item>"
        for t, u, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>d</title>'
        f"<link>http://example.org/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


def config(tmp_path: Path, feed_url: str, model: Path, backfill: str | None) -> Path:
    lines = [
        "[state]",
        f'path = "{tmp_path / "state.sqlite3"}"',
        "[polling]",
        "allow_private_addresses = true",
        'timeout = "5s"',
        *([f'backfill = "{backfill}"'] if backfill else []),  # None: the default (24h)
        "[classifier]",
        f'model_path = "{model}"',
        "[notify]",
        f'jsonl_path = "{tmp_path / "alerts.jsonl"}"',
        "[[feeds]]",
        f'url = "{feed_url}"',
        'interval = "1s"',
    ]
    path = tmp_path / "monitor.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def alerted_urls(tmp_path: Path) -> list[str]:
    db = tmp_path / "state.sqlite3"
    rows = read_rows(
        db, "SELECT i.url FROM alerts a JOIN items i ON i.id = a.item_id ORDER BY a.seq"
    )
    return [r["url"] for r in rows]


def test_first_poll_stores_old_items_without_alerting_them(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    stories = seed_stories(require_shared("seeds"))
    now = datetime.now(UTC)
    urls = []
    for n in (0, 3, 4):
        server.set(f"/a/{n}.html", Route(body=article(*stories[n]), headers=HTML))
        urls.append(server.url_for(f"/a/{n}.html"))
    old, recent, undated = urls
    first = [
        (stories[0][0], old, now - timedelta(days=10)),
        (stories[3][0], recent, now - timedelta(hours=2)),
        ("Undated notice", undated, None),
    ]
    server.set("/feed.xml", Route(body=dated_rss(first), headers=RSS))
    cfg = config(tmp_path, server.url_for("/feed.xml"), model_path, backfill=None)

    assert main(["run", "--once", "--config", str(cfg)]) == 0

    items = {r["url"]: r for r in read_rows(tmp_path / "state.sqlite3", "SELECT * FROM items")}
    assert set(items) == {old, recent, undated}  # all known from now on
    assert items[old]["fallback_reason"] == baseline.SEEN_REASON
    assert items[old]["score"] is None  # neither scored nor alerted
    assert server.requests_for("/a/0.html") == []  # its page was never fetched
    assert items[recent]["method"] == "trafilatura" and items[recent]["score"] is not None
    assert items[undated]["fallback_reason"] != baseline.SEEN_REASON  # undated counts as recent
    assert old not in alerted_urls(tmp_path)
    assert recent in alerted_urls(tmp_path)  # a ban published within the window
    assert len(server.requests_for("/a/3.html")) == 1

    # after the first successful poll, an old-dated new item is news to us: full path
    server.set(f"/a/{1}.html", Route(body=article(*stories[1]), headers=HTML))
    late = server.url_for("/a/1.html")
    server.set(
        "/feed.xml", Route(body=dated_rss([*first, ("Late", late, now - timedelta(days=9))]))
    )
    time.sleep(1.1)
    assert main(["run", "--once", "--config", str(cfg)]) == 0
    late_row = read_rows(tmp_path / "state.sqlite3", "SELECT * FROM items WHERE url = ?", (late,))
    assert late_row[0]["score"] is not None
    assert len(server.requests_for("/a/1.html")) == 1


def test_backfill_all_alerts_a_first_poll_like_before(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    stories = seed_stories(require_shared("seeds"))
    server.set("/a/0.html", Route(body=article(*stories[0]), headers=HTML))
    old = server.url_for("/a/0.html")
    week_ago = datetime.now(UTC) - timedelta(days=7)
    server.set("/feed.xml", Route(body=dated_rss([(stories[0][0], old, week_ago)]), headers=RSS))
    cfg = config(tmp_path, server.url_for("/feed.xml"), model_path, backfill="all")
    assert main(["run", "--once", "--config", str(cfg)]) == 0
    assert alerted_urls(tmp_path) == [old]
    lines = (tmp_path / "alerts.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["alert"]


def item(published: datetime | None, guid: str) -> FeedItem:
    return FeedItem("f", guid, "", "", guid, "", published)


def test_split_is_by_published_date_and_undated_counts_as_recent() -> None:
    items = [item(NOW - timedelta(hours=25), "old"), item(NOW, "new"), item(None, "undated")]
    recent, seen = baseline.split(items, 24 * 3600.0, NOW)
    assert [i.guid for i in recent] == ["new", "undated"]
    assert [i.guid for i in seen] == ["old"]
    assert baseline.split(items, math.inf, NOW) == (items, [])


def test_the_window_applies_to_first_polls_only_and_a_feed_may_override_it() -> None:
    fresh = FeedHealth("f")
    assert baseline.window_for(fresh, 3600.0) == 3600.0
    assert baseline.window_for(FeedHealth("f", backfill=math.inf), 3600.0) == math.inf
    assert baseline.window_for(FeedHealth("f", last_success=NOW), 3600.0) == math.inf


def test_feeds_add_backfill_is_stored_per_feed(tmp_path: Path) -> None:
    cfg = tmp_path / "m.toml"
    cfg.write_text(f'[state]\npath = "{tmp_path / "s.sqlite3"}"\n[[feeds]]\nurl = "http://a/"\n')
    assert (
        main(["feeds", "add", "https://x.example/f", "--backfill", "all", "--config", str(cfg)])
        == 0
    )
    assert (
        main(["feeds", "add", "https://y.example/f", "--backfill", "3d", "--config", str(cfg)]) == 0
    )
    store = SQLiteStore(tmp_path / "s.sqlite3")
    try:
        by_url = {f.url: f.backfill for f in store.feeds()}
    finally:
        store.close()
    assert by_url == {
        "http://a/": None,
        "https://x.example/f": math.inf,
        "https://y.example/f": 259200.0,
    }
    assert Feed("u").backfill is None
