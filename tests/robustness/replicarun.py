"""Several real ``monitor run`` replicas on one PostgreSQL database: the harness shared by
``test_replicas.py`` (a few kills) and ``bench/replica_kills.py`` (20 kills).

A local farm of feeds, each growing by scripted stories (a ban story, its own event, and
an ordinary one), is polled by the replicas on a short interval; alerts go to
``FakeSlack``. ``check`` reads what happened at both ends:
- items: each published article stored once (and fetched once: feed items are disjoint);
- alerts: each ban item's alert posted exactly once (by the alert id in the metadata);
- polls: consecutive requests for one feed never closer than half its interval, i.e. no
  feed is polled by two replicas in one cycle.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from tests.robustness.killrun import ban_story, ordinary_story
from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import article, rss
from tests.support.seedfeed import (
    alert_config,
    alert_id_of,
    monitor_env,
    start_monitor,
    wait_for,
)

INTERVAL = 2.0  # seconds between polls of one feed


@dataclass
class Farm:
    """``feeds`` local feeds; ``publish(k)`` adds story k (a ban and an ordinary item)."""

    server: LocalServer
    feeds: int
    items: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for n in range(self.feeds):
            self.items[n] = []
            self._serve(n)

    def feed_url(self, n: int) -> str:
        return self.server.url_for(f"/feed-{n}.xml")

    def publish(self, k: int) -> None:
        n = k % self.feeds
        for kind, (title, paragraphs) in (("ban", ban_story(k)), ("local", ordinary_story(k))):
            path = f"/{kind}/{k}.html"
            body = article(title, paragraphs, site=f"Wire {k % 5}")
            self.server.set(path, Route(body=body, headers={"Content-Type": "text/html"}))
            self.urls.append(self.server.url_for(path))
            self.items[n].append((title, self.urls[-1], paragraphs[0]))
        self._serve(n)

    def _serve(self, n: int) -> None:
        body = rss(list(reversed(self.items[n])))
        self.server.set(
            f"/feed-{n}.xml", Route(body=body, headers={"Content-Type": "application/rss+xml"})
        )


@dataclass
class Replicas:
    """Replica processes (each its own process group) sharing one config and database."""

    config: Path
    env: dict[str, str]
    workdir: Path
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, n: int) -> None:
        self.procs[n] = start_monitor(self.config, self.env, self.log(n), once=False)

    def log(self, n: int) -> Path:
        return self.workdir / f"replica-{n}.log"

    def kill(self, n: int, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(n)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)

    def stop_all(self) -> None:
        for n in list(self.procs):
            self.kill(n, signal.SIGTERM)


def replica_config(workdir: Path, farm: Farm, slack: FakeSlack, model: Path, lease: str) -> Path:
    urls = [farm.feed_url(n) for n in range(farm.feeds)]
    path = alert_config(workdir, urls, slack, model, feed_interval=f"{INTERVAL:g}s")
    text = path.read_text("utf-8").replace("[state]\n", f'[state]\nlease = "{lease}"\n', 1)
    path.write_text(text, "utf-8")
    return path


def replica_env(slack: FakeSlack, database_url: str) -> dict[str, str]:
    return monitor_env(slack.token) | {"MONITOR_DATABASE_URL": database_url}


@dataclass(frozen=True)
class Outcome:
    published: int
    items_lost: int
    items_twice: int
    fetched_twice: int
    ban_items: int
    alerts_lost: int
    alerts_twice: int
    double_polls: int  # two requests for one feed closer than INTERVAL / 2

    @property
    def passed(self) -> bool:
        # an article fetched again after a kill mid-poll is expected; stored twice is not
        return not (self.items_lost or self.items_twice or self.alerts_lost
                    or self.alerts_twice or self.double_polls)  # fmt: skip


def rows(database_url: str, sql: str) -> list[dict[str, Any]]:
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        return list(conn.execute(sql).fetchall())


def delivered(database_url: str, slack: FakeSlack) -> tuple[set[int], collections.Counter[Any]]:
    """Ban item ids, and how many Slack messages each alert's item got."""
    try:
        items = rows(database_url, "SELECT id FROM items WHERE is_ban = 1")
        alerts = {
            a["id"]: a["item_id"] for a in rows(database_url, "SELECT id, item_id FROM alerts")
        }
    except psycopg.errors.UndefinedTable:
        return set(), collections.Counter()
    sent = collections.Counter(alerts.get(alert_id_of(m)) for m in slack.messages())
    return {r["id"] for r in items}, sent


def all_delivered(database_url: str, slack: FakeSlack, bans: int) -> bool:
    ban_ids, sent = delivered(database_url, slack)
    return len(ban_ids) >= bans and all(sent[i] for i in ban_ids)


def check(database_url: str, slack: FakeSlack, farm: Farm) -> Outcome:
    stored = collections.Counter(r["url"] for r in rows(database_url, "SELECT url FROM items"))
    ban_ids, sent = delivered(database_url, slack)
    fetches = collections.Counter(r.path for r in farm.server.requests if r.path.endswith(".html"))
    double = 0
    for n in range(farm.feeds):
        times = sorted(r.time for r in farm.server.requests_for(f"/feed-{n}.xml"))
        double += sum(1 for a, b in itertools.pairwise(times) if b - a < INTERVAL / 2)
    return Outcome(
        published=len(farm.urls),
        items_lost=sum(1 for url in farm.urls if url not in stored),
        items_twice=sum(n - 1 for n in stored.values() if n > 1),
        fetched_twice=sum(n - 1 for n in fetches.values() if n > 1),
        ban_items=len(ban_ids),
        alerts_lost=sum(1 for i in ban_ids if sent[i] == 0),
        alerts_twice=sum(n - 1 for n in sent.values() if n > 1),
        double_polls=double,
    )


def run_kills(
    workdir: Path, model: Path, database_url: str, kills: int, *, lease: float = 5.0, seed: int = 7
) -> tuple[Outcome, list[float]]:
    """Two replicas; ``kills`` times: news, slow Slack, SIGKILL one at a random moment, wait
    until the survivor has polled every feed, restart it. Returns the outcome once every
    alert is delivered, and how long each takeover took (seconds after the kill)."""
    rng, takeovers = random.Random(seed), []
    with LocalServer() as server, FakeSlack() as slack:
        farm = Farm(server, feeds=4)
        config = replica_config(workdir, farm, slack, model, lease=f"{lease:g}s")
        replicas = Replicas(config, replica_env(slack, database_url), workdir)
        try:
            replicas.start(0)
            replicas.start(1)
            for k in range(kills):
                farm.publish(k)
                slack.hold("chat.postMessage", 1.5, count=2)  # Slack is slow: alerts pending
                time.sleep(rng.uniform(0.5, 3.0))
                victim = rng.randrange(2)
                replicas.kill(victim)
                killed = time.monotonic()
                limit = lease + 2 * INTERVAL + 3
                if not wait_for(partial(_all_polled_since, farm, killed), limit, 0.1):
                    raise AssertionError(
                        f"no takeover within {limit}s: {_tail(replicas, 1 - victim)}"
                    )
                takeovers.append(_last_first_poll(farm, killed) - killed)
                replicas.start(victim)
            if not wait_for(lambda: all_delivered(database_url, slack, kills), 90, 0.2):
                raise AssertionError(f"alerts not delivered: {_tail(replicas, 0)}")
        finally:
            replicas.stop_all()
        return check(database_url, slack, farm), takeovers


def _all_polled_since(farm: Farm, since: float) -> bool:
    return all(
        any(r.time > since for r in farm.server.requests_for(f"/feed-{n}.xml"))
        for n in range(farm.feeds)
    )


def _last_first_poll(farm: Farm, since: float) -> float:
    return max(
        min(r.time for r in farm.server.requests_for(f"/feed-{n}.xml") if r.time > since)
        for n in range(farm.feeds)
    )


def _tail(replicas: Replicas, n: int) -> str:
    log = replicas.log(n)
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""
