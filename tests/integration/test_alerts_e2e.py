"""Issue 4 acceptance, end to end: local feed -> real pipeline -> outbox -> fake Slack.

The service runs in-process through ``monitor.cli.main`` (``run --once`` = one cycle, then a
drain) or through ``build_app`` with a controllable clock where retry timing matters. Slack
is ``FakeSlack`` on 127.0.0.1 driven by the real slack_sdk client; state is a real SQLite
file. Nothing touches the internet.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.bootstrap import App, build_app, build_scorer
from monitor.cli import main
from monitor.core.settings import load_settings
from monitor.service import Service
from tests.support.clock import SettableClock
from tests.support.fake_slack import Call, FakeSlack
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import article, rss
from tests.support.seedfeed import (
    HTML,
    RSS,
    SeedFeed,
    alert_config,
    alert_id_of,
    ban_urls,
    read_alerts,
    serve_seed_feed,
)
from tests.support.shared import require_shared

SENT_METHODS = ("chat.postMessage", "chat.update")


def clear_monitor_env(mp: pytest.MonkeyPatch, token: str) -> None:
    """Settings come from the config file and this token only, whatever the shell has."""
    import os

    for key in [k for k in os.environ if k.startswith("MONITOR_")]:
        mp.delenv(key)
    mp.setenv("MONITOR_SLACK_BOT_TOKEN", token)


def run_once(config: Path) -> int:
    return main(["run", "--once", "--config", str(config)])


def posted(slack: FakeSlack) -> list[Call]:
    return slack.calls("chat.postMessage")


# ---------------------------------------------------------------- 1. the seeds, end to end


@dataclass(frozen=True)
class SeedRun:
    feed: SeedFeed
    db: Path
    jsonl: Path
    messages: list[dict[str, Any]]  # the fake's messages after the first run
    calls: list[Call]  # every call of the first run
    calls_after_second: list[Call]
    feed_requests: tuple[int, int]  # feed GETs after the first and after the second run
    codes: tuple[int, int]
    alerts: list[dict[str, Any]]


@pytest.fixture(scope="module")
def seed_run(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedRun]:
    """Two ``monitor run --once`` over the seed feed (the second after the feed is due
    again), with the fake Slack and a JSONL copy."""
    seeds = require_shared("seeds")
    tmp = tmp_path_factory.mktemp("seedrun")
    with LocalServer() as server, FakeSlack() as slack, pytest.MonkeyPatch.context() as mp:
        clear_monitor_env(mp, slack.token)
        feed = serve_seed_feed(server, seeds)
        jsonl = tmp / "alerts.jsonl"
        config = alert_config(
            tmp, [feed.feed_url], slack, model_path, feed_interval="1s", jsonl=jsonl
        )
        first = run_once(config)
        calls, messages = slack.calls(), slack.messages()
        after_first = len(server.requests_for("/feed.xml"))
        time.sleep(1.2)  # a 1 s interval (+/- 10 % jitter): the feed is due again
        second = run_once(config)
        yield SeedRun(
            feed=feed,
            db=tmp / "state.sqlite3",
            jsonl=jsonl,
            messages=messages,
            calls=calls,
            calls_after_second=slack.calls(),
            feed_requests=(after_first, len(server.requests_for("/feed.xml"))),
            codes=(first, second),
            alerts=read_alerts(tmp / "state.sqlite3"),
        )


def url_of(run: SeedRun, message: dict[str, Any]) -> str:
    by_id = {a["id"]: a["item_url"] for a in run.alerts}
    return by_id[alert_id_of(message)]


def top_level(run: SeedRun) -> list[dict[str, Any]]:
    return [m for m in run.messages if m.get("thread_ts") in (None, m["ts"])]


def test_top_level_alerts_are_exactly_the_distinct_events(seed_run: SeedRun) -> None:
    assert seed_run.codes == (0, 0)
    seeds = seed_run.feed.seed_urls
    expected = {seeds[0], seeds[3]}
    if seeds[4] in ban_urls(seed_run.db):  # the UK Parliament account: its own event if a ban
        expected.add(seeds[4])
    shown = [url_of(seed_run, m) for m in top_level(seed_run)]
    assert sorted(shown) == sorted(expected)
    assert not set(shown) & set(seed_run.feed.ordinary_urls)
    assert all(a["status"] == "sent" for a in seed_run.alerts)


def test_syndicated_copies_are_replies_under_the_uk_government_alert(seed_run: SeedRun) -> None:
    seeds = seed_run.feed.seed_urls
    parent = next(m for m in top_level(seed_run) if url_of(seed_run, m) == seeds[0])
    replies = [m for m in seed_run.messages if m.get("thread_ts") == parent["ts"] != m["ts"]]
    assert sorted(url_of(seed_run, m) for m in replies) == sorted([seeds[1], seeds[2]])
    assert all(m["text"].startswith("Also reported by") for m in replies)
    # posted with one source; edited in place after each reply with the event's count (the
    # three reports were stored in one cycle, so both edits already show all three)
    post = next(c for c in seed_run.calls if alert_id_of(c.params) == alert_id_of(parent))
    assert "Sources: 1" in post.params["text"]
    updates = [c for c in seed_run.calls if c.method == "chat.update"]
    assert [c.params["ts"] for c in updates] == [parent["ts"]] * 2
    assert all("Sources: 3" in c.params["text"] for c in updates)
    assert parent.get("edited") and "Sources: 3" in parent["text"]
    assert "Sources: 3" in json.dumps(parent["blocks"])


def test_top_level_messages_carry_the_two_label_buttons(seed_run: SeedRun) -> None:
    for message in top_level(seed_run):
        alert_id = alert_id_of(message)
        actions = [b for b in message["blocks"] if b["type"] == "actions"]
        assert len(actions) == 1
        buttons = {e["action_id"]: e["value"] for e in actions[0]["elements"]}
        assert buttons == {"label_ban": alert_id, "label_not_ban": alert_id}


def test_jsonl_copy_has_kinds_and_event_ids(seed_run: SeedRun) -> None:
    records = [json.loads(line) for line in seed_run.jsonl.read_text("utf-8").splitlines()]
    by_alert = {a["id"]: a for a in seed_run.alerts}
    assert sorted(r["alert_id"] for r in records) == sorted(by_alert)
    for record in records:
        stored = by_alert[record["alert_id"]]
        assert (record["kind"], record["event_id"]) == (stored["kind"], stored["event_id"])
    uk = next(a for a in seed_run.alerts if a["item_url"] == seed_run.feed.seed_urls[0])
    kinds = [r["kind"] for r in records if r["event_id"] == uk["event_id"]]
    assert kinds == ["alert", "update", "update"]


def test_second_run_polls_again_and_posts_nothing(seed_run: SeedRun) -> None:
    first, second = seed_run.feed_requests
    assert second > first  # the feed really was fetched again
    before = [c for c in seed_run.calls if c.method in SENT_METHODS]
    after = [c for c in seed_run.calls_after_second if c.method in SENT_METHODS]
    assert len(after) == len(before) == len(seed_run.messages) + 2


# ---------------------------------------------------------------- clock-driven outbox tests


@dataclass
class Wired:
    app: App
    service: Service
    clock: SettableClock


@pytest.fixture
def wire(model_path: Path, tmp_path: Path) -> Iterator[Any]:
    """``wire(config, token)`` -> the real app on a controllable clock; closed afterwards."""
    apps: list[App] = []

    def build(config: Path, token: str) -> Wired:
        settings = load_settings(config, {"MONITOR_SLACK_BOT_TOKEN": token})
        clock = SettableClock()
        app = build_app(settings, clock=clock, scorer=build_scorer(settings))
        apps.append(app)
        return Wired(app, Service(app.deps, after_cycle=[app.drain]), clock)

    yield build
    for app in apps:
        app.close()


@pytest.fixture
def seeded(
    tmp_path: Path,
    server: LocalServer,
    model_path: Path,
    wire: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[FakeSlack, str], tuple[Path, Wired]]:
    """``seeded(slack, token)`` -> (config, wired app) polling the seed feed and posting to
    ``slack`` with ``token`` (the only token in the environment)."""
    feed = serve_seed_feed(server, require_shared("seeds"))

    def build(slack: FakeSlack, token: str) -> tuple[Path, Wired]:
        clear_monitor_env(monkeypatch, token)
        config = alert_config(tmp_path, [feed.feed_url], slack, model_path)
        return config, wire(config, token)

    return build


def status_text(config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["status", "--config", str(config)]) == 0
    return capsys.readouterr().out


def test_slack_down_keeps_alerts_pending_then_delivers_in_order(
    tmp_path: Path, seeded: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeSlack() as slack:
        config, w = seeded(slack, slack.token)
        slack.down(True)
        w.service.cycle()
        stored = read_alerts(tmp_path / "state.sqlite3")
        assert len(stored) >= 4 and all(a["status"] == "pending" for a in stored)
        assert slack.messages() == []
        status = status_text(config, capsys)
        assert f"0 sent, {len(stored)} pending, 0 failed" in status
        assert "server error" in status
        slack.down(False)
        w.app.drain()  # still backing off: nothing overtakes the retry time
        assert slack.messages() == []
        w.clock.advance(3600)
        w.app.drain()
        delivered = [alert_id_of(m) for m in slack.messages()]
        assert delivered == [a["id"] for a in stored]  # creation order, each once
        tops = [m for m in slack.messages() if m.get("thread_ts") is None]
        assert [alert_id_of(m) for m in tops] == [a["id"] for a in stored if a["kind"] == "alert"]
        assert [float(m["ts"]) for m in tops] == sorted(float(m["ts"]) for m in tops)


INJECTION_TITLE = "Regulator bans ChatNow app <!channel> <http://evil|click> & more"
INJECTION_TEXT = [
    "The national communications regulator banned the messaging app ChatNow on Monday, "
    "ordering internet providers to block access nationwide <!channel> with immediate effect.",
    "Officials said the ban on the app followed a court order; users who try to open "
    "<http://evil|click> will see a notice & the app was removed from app stores.",
    "The regulator said the block would stay in force until the company complies with "
    "national data protection law and appoints a local representative.",
]
_LINK = re.compile(r"<([^>]*)>")


def all_text(message: dict[str, Any]) -> str:
    """The message text and every string inside its blocks, as Slack would render them."""
    return message["text"] + "\n" + json.dumps(message["blocks"], ensure_ascii=False)


def test_feed_markup_is_inert_but_readable_in_slack(
    tmp_path: Path,
    server: LocalServer,
    model_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    link = server.url_for("/evil.html")
    server.set("/evil.html", Route(body=article(INJECTION_TITLE, INJECTION_TEXT), headers=HTML))
    items = [(INJECTION_TITLE, link, INJECTION_TEXT[0])]
    server.set("/feed.xml", Route(body=rss(items), headers=RSS))
    with FakeSlack() as slack:
        clear_monitor_env(monkeypatch, slack.token)
        assert (
            run_once(alert_config(tmp_path, [server.url_for("/feed.xml")], slack, model_path)) == 0
        )
        messages = slack.messages()
    assert len(messages) == 1, "the injection article must score as a ban for this test"
    text = all_text(messages[0])
    assert "<!channel>" not in text and "<http://evil" not in text
    assert "&lt;!channel&gt;" in text and "&lt;http://evil|click&gt;" in text
    assert "&amp;" in text and " & " not in text
    # the only link syntax left is our own link to the article
    assert {m.split("|")[0] for m in _LINK.findall(text)} == {link}


def test_invalid_token_keeps_alerts_pending_without_a_retry_loop(
    tmp_path: Path, seeded: Any, wire: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_token = "xoxb-revoked-0123456789"
    with FakeSlack() as slack:
        config, w = seeded(slack, bad_token)
        w.service.cycle()
        for _ in range(5):  # the running service drains every few seconds
            w.clock.advance(10)
            w.app.drain()
        assert len(posted(slack)) == 1  # one try, then a pause: no tight loop
        assert slack.messages() == []
        stored = read_alerts(tmp_path / "state.sqlite3")
        assert stored and all(a["status"] == "pending" for a in stored)
        status = status_text(config, capsys)
        assert f"0 sent, {len(stored)} pending, 0 failed" in status
        assert "invalid_auth" in status and "bot token was rejected" in status
        assert bad_token not in status and "xoxb-" not in status
        # after the pause, with the right token, everything goes out once
        fixed = wire(config, slack.token)
        fixed.clock.now = w.clock.now + timedelta(seconds=601)
        fixed.app.drain()
        assert sorted(str(alert_id_of(m)) for m in slack.messages()) == sorted(
            a["id"] for a in stored
        )


def test_rate_limit_retries_no_sooner_than_retry_after(seeded: Any) -> None:
    with FakeSlack() as slack:
        _, w = seeded(slack, slack.token)
        slack.fail_next("chat.postMessage", "ratelimited", retry_after=120)
        started = w.clock.now
        w.service.cycle()
        first = w.app.store.alerts("pending")[0]
        assert first.next_attempt is not None
        assert first.next_attempt >= started + timedelta(seconds=120)
        assert first.next_attempt <= started + timedelta(seconds=121)  # not the 1 h cap
        w.clock.now = started + timedelta(seconds=119)
        w.app.drain()
        assert len(posted(slack)) == 1 and slack.messages() == []
        w.clock.now = first.next_attempt
        w.app.drain()
        assert len(posted(slack)) == 1 + len(w.app.store.alerts())
        assert alert_id_of(slack.messages()[0]) == first.id
        assert w.app.store.alert_counts()["sent"] == len(w.app.store.alerts())
