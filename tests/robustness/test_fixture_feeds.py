"""Every shared feed fixture served over local HTTP with its manifest's Content-Type, all
polled in ONE real cycle beside a healthy control feed.

The parse-level expectations live in ``tests/integration/test_feed_fixtures.py``; here the
bytes take the whole path (socket, guarded fetcher, charset from the header, parse, store,
health). Every fixture must end "ok" (items stored, or a warning for bozo feeds) or
"error" with a ``parse:`` message: never an internal error, never a stalled cycle.
Fixtures are read in place from ``../shared`` and the module skips when it is absent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from monitor.core.records import FeedRun
from tests.robustness.conftest import Rig, make_rig
from tests.robustness.test_hostile_feeds import CONTROL_ITEMS, serve_control
from tests.support.httpserver import LocalServer, Route
from tests.support.shared import FEED_FIXTURES as FIXTURES
from tests.support.shared import feed_manifest, fixture_content_type

ENTRIES = feed_manifest()
pytestmark = pytest.mark.skipif(not ENTRIES, reason="../shared/fixtures/feeds is absent")


@dataclass
class FixtureCycle:
    rig: Rig
    runs: dict[str, FeedRun]
    urls: dict[str, str]  # fixture file -> feed URL
    control: str


@pytest.fixture(scope="module")
def fixture_cycle(
    tmp_path_factory: pytest.TempPathFactory, extractor: object
) -> Iterator[FixtureCycle]:
    with LocalServer() as server:
        rig = make_rig(tmp_path_factory.mktemp("fixtures"), extractor, max_items=5, concurrency=8)  # type: ignore[arg-type]
        urls = {}
        for entry in ENTRIES:
            body = (FIXTURES / entry["file"]).read_bytes()
            assert hashlib.sha256(body).hexdigest() == entry["sha256"], entry["file"]
            path = "/fx/" + entry["file"]
            headers = {"Content-Type": fixture_content_type(entry)}
            server.set(path, Route(body=body, headers=headers))
            urls[entry["file"]] = rig.feed(server.url_for(path))
        control = rig.feed(serve_control(server, "/control"))
        runs = rig.cycle()
        yield FixtureCycle(rig, runs, urls, control)
        rig.fetcher.close()
        rig.store.close()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_fixture_ends_ok_or_with_a_parse_error(
    fixture_cycle: FixtureCycle, entry: dict[str, Any]
) -> None:
    url = fixture_cycle.urls[entry["file"]]
    run, health = fixture_cycle.runs[url], fixture_cycle.rig.health(url)
    assert run.status in {"ok", "error"}
    if run.status == "error":
        assert run.error and run.error.startswith("parse: not a feed"), run.error
        assert health.last_error == run.error and health.consecutive_failures == 1
    else:
        assert health.last_error is None and health.last_success is not None
        assert run.new == len(fixture_cycle.rig.items(url)) <= 5
    if entry["kind"] == "not-a-feed":
        assert run.status == "error"
    if entry["kind"] in {"real", "real-ish"}:
        assert run.status == "ok" and run.new > 0
    if entry.get("expect") == "bozo":  # feedparser: not well-formed, parse what you can
        assert run.status == "error" or run.warning


def test_stored_fixture_items_are_plain_text_with_safe_links(fixture_cycle: FixtureCycle) -> None:
    rows = [r for url in fixture_cycle.urls.values() for r in fixture_cycle.rig.items(url)]
    assert len(rows) > 50
    for row in rows:
        assert str(row["url"]).startswith(("http://", "https://", "")), row["url"]
        assert not str(row["url"]).lower().startswith(("javascript:", "data:", "file:"))
        assert "<script" not in str(row["title"]).lower()
        assert row["method"] in {"trafilatura", "summary"}
        if row["method"] == "summary":
            assert row["fallback_reason"]


def test_the_control_feed_is_untouched_by_its_neighbours(fixture_cycle: FixtureCycle) -> None:
    run = fixture_cycle.runs[fixture_cycle.control]
    assert (run.status, run.new, run.error) == ("ok", CONTROL_ITEMS, None)
    assert len(fixture_cycle.runs) == len(ENTRIES) + 1
