"""A ban through its life in one thread, end to end: local feed -> real pipeline -> fake Slack.

The real service (``build_app`` + ``Service.cycle`` + the drain) on a settable clock, moved
to each item's publication; the service is rebuilt on the same state before every step, so
"nothing is posted twice across a restart" is checked at every point. Slack is ``FakeSlack``
on 127.0.0.1; the JSONL notifier writes a copy. Nothing touches the internet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from monitor.bootstrap import App, build_app, build_scorer
from monitor.cli import main
from monitor.core.settings import load_settings
from monitor.feedback.labels import review_items
from monitor.service import Service
from tests.support.clock import SettableClock
from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import article
from tests.support.seedfeed import HTML, RSS, alert_config, alert_id_of, read_rows

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Story:
    slug: str
    title: str
    paragraphs: list[str]
    published: datetime
    outlet: str = "Desk"


BAN = Story(
    "ban",
    "Nepal bans messaging app Telegram",
    [
        "Nepal's government banned the messaging app Telegram on Monday, ordering internet "
        "providers to block access to the app nationwide with immediate effect.",
        "The ministry said the ban on Telegram followed a rise in online fraud and that the "
        "block would stay in force until the company registers in the country.",
        "Users who try to open the app see a notice, and Telegram was removed from app stores.",
    ],
    T0,
    "Kathmandu Daily",
)
SECOND = Story(
    "second",
    "Telegram blocked across Nepal after government order",
    [
        "Internet providers in Nepal blocked Telegram on Monday after the government ordered "
        "a nationwide ban on the messaging app, citing fraud cases.",
        "Officials said the ban would remain until Telegram registers a local office; the app "
        "has about two million users in Nepal.",
    ],
    T0 + timedelta(hours=3),
    "Himalayan Wire",
)
COURT = Story(
    "court",
    "Court blocks Nepal's ban on Telegram",
    [
        "Nepal's Supreme Court on Tuesday blocked the government's ban on the messaging app "
        "Telegram, ordering providers to restore access while it hears a petition.",
        "The court said the government had not shown that a ban on the whole app was needed.",
    ],
    T0 + timedelta(days=31),
    "Kathmandu Daily",
)
LIFTED = Story(
    "lifted",
    "Nepal lifts ban on Telegram",
    [
        "Nepal's government lifted its ban on the messaging app Telegram on Friday after the "
        "company registered a local office, the ministry said.",
        "Access to Telegram was restored across Nepal within hours.",
    ],
    T0 + timedelta(days=75),
    "Himalayan Wire",
)
EXPLAINER = Story(
    "explainer",
    "Why are governments banning Telegram?",
    [
        "Governments from Nepal to Vietnam have banned or blocked Telegram in recent years, "
        "citing fraud, extremism and the company's refusal to register locally.",
        "Experts say bans on messaging apps are easy to announce and hard to enforce.",
    ],
    T0 + timedelta(days=80),
    "Explainer Weekly",
)
PLANS = Story(
    "plans",
    "Nepal plans to ban TikTok",
    [
        "Nepal's government plans to ban the video app TikTok, ministers said on Monday, "
        "ordering a review of the app's effect on social harmony.",
        "A ban on TikTok would follow the government's earlier block of other apps.",
    ],
    T0 + timedelta(days=85),
    "Kathmandu Daily",
)


def rss_dated(server: LocalServer, stories: list[Story]) -> bytes:
    """An RSS feed of the stories with their own publication dates, newest first."""
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>{server.url_for(f'/{s.slug}.html')}</link>"
        f"<guid>{server.url_for(f'/{s.slug}.html')}</guid>"
        f"<pubDate>{format_datetime(s.published)}</pubDate>"
        f"<description>{escape(s.paragraphs[0])}</description></item>"
        for s in sorted(stories, key=lambda s: s.published, reverse=True)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Desk</title><link>http://example.org/</link><description>d</description>"
        f"{items}</channel></rss>"
    ).encode()


@dataclass
class Desk:
    """The feed, the fake Slack and the service, rebuilt on the same state for each step."""

    server: LocalServer
    slack: FakeSlack
    config: Path
    clock: SettableClock = field(default_factory=lambda: SettableClock(T0))
    shown: list[Story] = field(default_factory=list)
    app: App | None = None

    def publish(self, *stories: Story, at: datetime | None = None) -> None:
        """Put the stories in the feed, restart the service at ``at`` (default: an hour
        after the newest), run one cycle and drain."""
        for story in stories:
            page = article(story.title, story.paragraphs, site=story.outlet)
            self.server.set(f"/{story.slug}.html", Route(body=page, headers=HTML))
        self.shown += stories
        self.server.set("/feed.xml", Route(body=rss_dated(self.server, self.shown), headers=RSS))
        self.clock.now = at or max(s.published for s in stories) + timedelta(hours=1)
        self.restart()
        assert self.app is not None
        Service(self.app.deps, after_cycle=[self.app.drain]).cycle()

    def restart(self) -> None:
        if self.app is not None:
            self.app.close()
        settings = load_settings(self.config, {"MONITOR_SLACK_BOT_TOKEN": self.slack.token})
        self.app = build_app(settings, clock=self.clock, scorer=build_scorer(settings))

    def tops(self) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages() if m.get("thread_ts") in (None, m["ts"])]

    def replies(self, parent: dict[str, Any]) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages() if m.get("thread_ts") == parent["ts"] != m["ts"]]

    def item(self, story: Story) -> dict[str, Any]:
        url = self.server.url_for(f"/{story.slug}.html")
        (row,) = read_rows(self.db, "SELECT * FROM items WHERE url = ?", (url,))
        return row

    @property
    def db(self) -> Path:
        return self.config.parent / "state.sqlite3"


@pytest.fixture
def desk(
    tmp_path: Path, server: LocalServer, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    def build(extra: str = "") -> Desk:
        for key in [k for k in __import__("os").environ if k.startswith("MONITOR_")]:
            monkeypatch.delenv(key)
        config = alert_config(
            tmp_path, [server.url_for("/feed.xml")], slack, model_path, jsonl=tmp_path / "a.jsonl"
        )
        config.write_text(config.read_text("utf-8") + extra, encoding="utf-8")
        made.append(Desk(server, slack, config))
        return made[-1]

    made: list[Desk] = []
    with FakeSlack() as slack:
        yield build
        for d in made:
            if d.app is not None:
                d.app.close()


def post_count(slack: FakeSlack) -> int:
    return len(slack.calls("chat.postMessage"))


def test_a_ban_through_its_life_in_one_thread(
    desk: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    d: Desk = desk()
    # (1) the ban: one top-level alert
    d.publish(BAN)
    (parent,) = d.tops()
    assert "Telegram" in parent["text"]
    # (2) a second outlet: a reply, the parent shows 2 sources
    d.publish(SECOND)
    assert len(d.tops()) == 1
    assert [r["text"].split(":")[0] for r in d.replies(parent)] == [
        "Also reported by Himalayan Wire"
    ]
    assert "Sources: 2" in d.slack.messages()[0]["text"]
    # (3) a month later a court blocks it: a status reply, the parent shows the new status
    d.publish(COURT)
    assert len(d.tops()) == 1
    court = d.replies(parent)[-1]
    assert court["text"].startswith("Status: blocked by a court (was: ")
    top = next(m for m in d.slack.messages() if m["ts"] == parent["ts"])
    assert "Status: blocked by a court" in top["text"] and "Sources: 3" in top["text"]
    # (4) it is lifted: a status reply, status "lifted"
    d.publish(LIFTED)
    assert len(d.tops()) == 1
    lifted = d.replies(parent)[-1]
    assert lifted["text"].startswith("Status: lifted (was: blocked by a court)")
    top = next(m for m in d.slack.messages() if m["ts"] == parent["ts"])
    assert "Status: lifted" in top["text"]
    # (5) an explainer: no top-level post, dropped with the reason on the item
    before = post_count(d.slack)
    d.publish(EXPLAINER)
    assert post_count(d.slack) == before
    assert d.item(EXPLAINER)["route_reason"] == "not new: explainer"
    # (6) "plans to ban" another app: no top-level post, first in the review queue
    d.publish(PLANS)
    assert post_count(d.slack) == before and len(d.tops()) == 1
    plans = d.item(PLANS)
    assert plans["route"] == "review"
    assert d.app is not None
    queue = review_items(d.app.store, 0.5, 1)  # routed to review: first in line
    assert [q.item_id for q in queue] == [plans["id"]]
    # a last restart and cycle later: nothing posted again
    posts = [(c.method, alert_id_of(c.params)) for c in d.slack.calls()]
    d.publish(at=d.clock.now + timedelta(days=1))
    assert [(c.method, alert_id_of(c.params)) for c in d.slack.calls()] == posts
    ids = [alert_id_of(m) for m in d.slack.messages()]
    assert len(ids) == len(set(ids)) == 4

    history = read_rows(d.db, "SELECT status, item_id FROM event_status ORDER BY at, seq")
    assert [h["status"] for h in history][-2:] == ["blocked_by_court", "lifted"]
    check_events_cli(d, capsys, [h["status"] for h in history])
    records = [json.loads(x) for x in (d.config.parent / "a.jsonl").read_text().splitlines()]
    changes = [(r["kind"], r["status"], r["previous_status"]) for r in records][-2:]
    assert changes == [
        ("update", "blocked_by_court", history[0]["status"]),
        ("update", "lifted", "blocked_by_court"),
    ]


def test_reports_three_months_apart_in_one_cycle_are_two_events(desk: Any) -> None:
    later = Story("later", SECOND.title, SECOND.paragraphs, T0 + timedelta(days=92), "Wire")
    d: Desk = desk('[dedupe]\nevent_window = "3d"\n')
    d.publish(BAN, later)  # one cycle, after both were published
    assert len(d.tops()) == 2


def test_reports_a_day_apart_ingested_a_week_apart_are_one_event(desk: Any) -> None:
    next_day = Story("next", SECOND.title, SECOND.paragraphs, T0 + timedelta(days=1), "Wire")
    d: Desk = desk('[dedupe]\nevent_window = "3d"\n')
    d.publish(BAN)
    d.publish(next_day, at=T0 + timedelta(days=8))  # a week of downtime
    (parent,) = d.tops()
    assert len(d.replies(parent)) == 1


def check_events_cli(d: Desk, capsys: pytest.CaptureFixture[str], statuses: list[str]) -> None:
    """``monitor events list/show --json`` show the event's status, history and items."""
    capsys.readouterr()
    assert main(["events", "list", "--status", "lifted", "--json", "--config", str(d.config)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    listed = json.loads(line)
    assert listed["status"] == "lifted" and listed["apps"] == ["Telegram"]
    assert listed["jurisdiction"] == "Nepal"
    assert main(["events", "list", "--status", "in force", "--config", str(d.config)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["events", "show", listed["event_id"], "--json", "--config", str(d.config)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {"event_id", "status", "apps", "jurisdiction", "authority", "history", "items"} <= set(
        shown
    )
    assert [h["status"] for h in shown["history"]] == statuses
    assert set(shown["history"][0]) == {"status", "at", "item_id"}
    urls = [i["url"] for i in shown["items"]]
    assert urls == [d.server.url_for(f"/{s.slug}.html") for s in (BAN, SECOND, COURT, LIFTED)]
    assert main(["events", "show", listed["event_id"], "--config", str(d.config)]) == 0
    assert "blocked by a court" in capsys.readouterr().out
