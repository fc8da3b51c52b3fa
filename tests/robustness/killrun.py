"""Crash safety under SIGKILL at random moments: the harness shared by the CI test
(``test_crash_kill.py``, a few kills) and ``bench/robustness.py`` (50 cycles).

A local feed grows by a scripted stream of items (ban stories, each its own event, and
ordinary news). Each cycle starts ``python -m monitor run --once`` (the real service in
its own process group, posting to ``FakeSlack``) and SIGKILLs it after a random delay, or
lets it finish when it is quicker. A final run without a kill drains what is left. Then:

- items lost: scripted article URLs that never reached the items table;
- alerts lost: ban items without a delivered Slack message;
- duplicates: Slack messages beyond the first for one alert (or one item).
"""

from __future__ import annotations

import collections
import random
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss
from tests.support.seedfeed import (
    alert_config,
    alert_id_of,
    kill_group,
    monitor_env,
    read_rows,
    start_monitor,
)

APPS = ("TikTok", "Telegram", "WhatsApp", "Signal", "WeChat", "Snapchat", "Discord", "Roblox",
        "Temu", "CapCut", "Viber", "Threads", "Twitch", "Rumble")  # fmt: skip
PLACES = (
    ("Nepal", "Nepal Telecommunications Authority"),
    ("Pakistan", "Pakistan Telecommunication Authority"),
    ("Ethiopia", "Ethiopian Communications Authority"),
    ("Indonesia", "Ministry of Communication and Informatics"),
    ("Kenya", "Communications Authority of Kenya"),
    ("Bangladesh", "Bangladesh Telecommunication Regulatory Commission"),
)


def ban_story(n: int) -> tuple[str, list[str]]:
    app, (country, authority) = APPS[n % len(APPS)], PLACES[n // len(APPS) % len(PLACES)]
    return f"{country} bans {app} nationwide", [
        f"The {authority} banned {app} across {country} on Monday, ordering internet "
        "providers to block access to the app with immediate effect.",
        f"The ban took effect immediately and {app} was removed from app stores in {country}, "
        f"the {authority} said in a statement.",
        f"The {authority} said the block on {app} would stay in force until the company "
        f"complies with {country}'s data protection law.",
    ]


def ordinary_story(n: int) -> tuple[str, list[str]]:
    return f"Council budget meeting number {n} ends without a decision", list(FILLER)


@dataclass
class KillReport:
    cycles: int
    kills: int  # runs that were SIGKILLed (the others finished first)
    published: int
    items_lost: int
    ban_items: int
    alerts_lost: int
    duplicates: int
    messages: int
    elapsed: float

    @property
    def passed(self) -> bool:
        return self.items_lost == 0 and self.alerts_lost == 0 and self.duplicates == 0


class ScriptedFeed:
    """A growing RSS feed; ``publish(k)`` adds cycle k's items (one ban, one ordinary)."""

    def __init__(self, server: LocalServer) -> None:
        self.server, self.items, self.urls = server, [], []  # type: ignore[var-annotated]
        self.url = server.url_for("/feed.xml")

    def publish(self, k: int) -> None:
        for kind, (title, paragraphs) in (("ban", ban_story(k)), ("local", ordinary_story(k))):
            path = f"/{kind}/{k}.html"
            body = article(title, paragraphs, site=f"Wire {k % 5}")
            self.server.set(path, Route(body=body, headers={"Content-Type": "text/html"}))
            self.urls.append(self.server.url_for(path))
            self.items.append((title, self.urls[-1], paragraphs[0]))
        newest = list(reversed(self.items))[:100]
        self.server.set(
            "/feed.xml", Route(body=rss(newest), headers={"Content-Type": "application/rss+xml"})
        )


def run_kill_cycles(
    workdir: Path, model: Path, cycles: int, *, seed: int = 1, max_delay: float = 4.0
) -> KillReport:
    rng, started = random.Random(seed), time.monotonic()
    log, db = workdir / "monitor.log", workdir / "state.sqlite3"
    kills = 0
    with LocalServer() as server, FakeSlack() as slack:
        feed = ScriptedFeed(server)
        config = alert_config(workdir, [feed.url], slack, model, feed_interval="1s")
        env = monitor_env(slack.token)
        for k in range(cycles):
            feed.publish(k)
            time.sleep(1.15)  # the 1 s feed interval (+ jitter) has passed: the feed is due
            kills += _one_run(config, env, log, rng.uniform(0.2, max_delay))
        time.sleep(1.15)
        assert _one_run(config, env, log, None) == 0, log.read_text()[-3000:]
        return _report(db, slack, feed, cycles, kills, time.monotonic() - started)


def _one_run(config: Path, env: dict[str, str], log: Path, kill_after: float | None) -> int:
    """1 when the run was killed, 0 when it finished on its own."""
    proc = start_monitor(config, env, log)
    try:
        proc.wait(timeout=kill_after if kill_after is not None else 120)
        assert proc.returncode == 0, log.read_text()[-3000:]
        return 0
    except subprocess.TimeoutExpired:
        if kill_after is None:
            raise
        return 1
    finally:
        kill_group(proc)


def _report(
    db: Path, slack: FakeSlack, feed: ScriptedFeed, cycles: int, kills: int, elapsed: float
) -> KillReport:
    items = read_rows(db, "SELECT id, url, is_ban FROM items")
    alerts = {a["id"]: a["item_id"] for a in read_rows(db, "SELECT id, item_id FROM alerts")}
    stored_urls = collections.Counter(r["url"] for r in items)
    ban_ids = {r["id"] for r in items if r["is_ban"] == 1}
    delivered = collections.Counter(alerts.get(alert_id_of(m)) for m in slack.messages())
    return KillReport(
        cycles=cycles,
        kills=kills,
        published=len(feed.urls),
        items_lost=sum(1 for url in feed.urls if url not in stored_urls),
        ban_items=len(ban_ids),
        alerts_lost=sum(1 for item_id in ban_ids if delivered[item_id] == 0),
        duplicates=sum(n - 1 for n in delivered.values() if n > 1)
        + sum(n - 1 for n in stored_urls.values() if n > 1)
        + delivered[None],  # a message we cannot map back to an alert
        messages=len(slack.messages()),
        elapsed=elapsed,
    )
