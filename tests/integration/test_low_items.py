"""Smaller failures found by probing: a very long feed list, distinct articles whose id is
in ``?ref=``, and an update whose long title must not cut its link or drop its facts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.core.records import Feed, Summary
from monitor.delivery.render import SECTION_MAX, render_blocks
from monitor.ingest.urls import canonical_url
from state.sqlite import SQLiteStore
from tests.unit.test_render import make_alert, texts

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def test_a_very_long_feed_list_syncs(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3")
    try:
        feeds = [Feed(f"https://f{n}.example/rss", "", None) for n in range(40_000)]
        store.sync_feeds(feeds, "config", NOW)
        store.sync_feeds(feeds[:-1], "config", NOW)  # the last one is retired
        active = store.query("SELECT COUNT(*) FROM feeds WHERE removed = 0")[0][0]
    finally:
        store.close()
    assert active == 39_999


def test_an_article_id_in_ref_is_kept() -> None:
    one = canonical_url("https://news.example/story?ref=1001&utm_source=rss")
    two = canonical_url("https://news.example/story?ref=1002")
    assert one != two and one == "https://news.example/story?ref=1001"


def test_a_long_update_title_keeps_the_link_closed_and_the_facts() -> None:
    summary = Summary(title="Very long title " * 400, source="Outlet",
                      url="https://news.example/a")  # fmt: skip
    alert = make_alert(summary, kind="update", new_facts=("ban lifted on 3 May",))
    [text] = texts(render_blocks(alert))
    assert len(text) <= SECTION_MAX
    assert text.count("<https://news.example/a|") == 1 and "…>" in text
    assert text.endswith("new: ban lifted on 3 May")
