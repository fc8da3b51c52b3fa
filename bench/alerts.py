"""Alert latency benchmark: a new item appears on a feed -> the fake Slack receives it.

    python bench/alerts.py [--items 100] [--model PATH] [--miss-after 20]

Runs the real service (``python -m monitor run``, a subprocess) against a local feed polled
every second (per-feed ``interval = "1s"``: the service's tick follows the smallest
interval, and the outbox drain runs every tick and after each cycle). Items are added to
the feed one at a time, each a ban-like article about a different app and country (so each
is its own event and a top-level alert), after a random pause so arrivals fall at random
points of the poll tick. Latency = from the moment the item is published on the server to
the arrival of the ``chat.postMessage`` that carries its URL at ``FakeSlack`` (both clocks
are this process's ``time.monotonic``). An update (if the monitor files an item under an
earlier event) counts as a delivery too. Items not delivered within ``--miss-after``
seconds are misses. Everything is on 127.0.0.1; the model is trained once if not given.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _service import write_config  # noqa: E402

from tests.support.fake_slack import Call, FakeSlack  # noqa: E402
from tests.support.httpserver import LocalServer, Route  # noqa: E402
from tests.support.pages import article, rss  # noqa: E402
from tests.support.seedfeed import monitor_env, start_monitor  # noqa: E402

APPS = (
    "TikTok", "Telegram", "WhatsApp", "Signal", "WeChat", "Snapchat", "Discord", "Roblox",
    "Temu", "CapCut", "Viber", "Threads", "Bluesky", "Twitch", "Rumble", "Grindr",
)  # fmt: skip
PLACES = (
    ("Nepal", "Nepal Telecommunications Authority"),
    ("Pakistan", "Pakistan Telecommunication Authority"),
    ("Ethiopia", "Ethiopian Communications Authority"),
    ("Turkey", "Information and Communication Technologies Authority"),
    ("Indonesia", "Ministry of Communication and Informatics"),
    ("Kenya", "Communications Authority of Kenya"),
    ("Vietnam", "Ministry of Information and Communications"),
    ("Bangladesh", "Bangladesh Telecommunication Regulatory Commission"),
    ("Tanzania", "Tanzania Communications Regulatory Authority"),
    ("Jordan", "Telecommunications Regulatory Commission"),
)
OPENINGS = (
    "The {authority} banned {app} across {country} on {day}, ordering internet providers "
    "to block access to the app with immediate effect.",
    "{country} has banned {app}: on {day} the {authority} ordered mobile operators and "
    "internet providers to block access to the app nationwide.",
    "{app} is now blocked in {country} after the {authority} on {day} ordered a nationwide "
    "ban on the app and told providers to cut off access.",
)
MIDDLES = (
    "The ban took effect immediately and {app} was removed from app stores in {country}, "
    "the {authority} said in a statement.",
    "Users in {country} reported that {app} stopped loading on {day} evening as providers "
    "began enforcing the ban ordered by the {authority}.",
    "The {authority} said the block on {app} would stay in force until the company "
    "complies with {country}'s data protection law.",
)
CLOSINGS = (
    "Rights groups in {country} criticised the decision to ban {app}, calling the block "
    "a restriction on free expression.",
    "Analysts said the {app} ban in {country} could last weeks, as earlier bans ordered "
    "by the {authority} have.",
    "{app} has millions of users in {country}, many of whom turned to VPNs within hours "
    "of the {authority} banning the app.",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


@dataclass(frozen=True)
class Story:
    title: str
    paragraphs: list[str]


def story(n: int, rng: random.Random) -> Story:
    """Item ``n``: a distinct (app, country) pair, sentences drawn from the templates."""
    app = APPS[n % len(APPS)]
    country, authority = PLACES[(n // len(APPS) + n) % len(PLACES)]
    names = {"app": app, "country": country, "authority": authority, "day": rng.choice(DAYS)}
    parts = [rng.choice(group).format(**names) for group in (OPENINGS, MIDDLES, CLOSINGS)]
    return Story(f"{country} bans {app} nationwide", parts)


def pick_stories(model: Path, count: int, rng: random.Random) -> tuple[list[Story], int]:
    """``count`` stories the model scores clearly as bans (this measures latency, not the
    classifier), and how many generated stories were passed over."""
    from classifiers.artifact import ModelArtifact

    artifact = ModelArtifact.load(model)
    floor = artifact.metadata.threshold + 0.05
    chosen: list[Story] = []
    n = 0
    while len(chosen) < count and n < count * 20:
        batch = [story(n + i, rng) for i in range(count)]
        scores = artifact.predict([(s.title, "\n".join(s.paragraphs)) for s in batch])
        chosen += [s for s, p in zip(batch, scores, strict=True) if p.score >= floor]
        n += count
    return chosen[:count], n - len(chosen)


class Feed:
    """A growing RSS feed on the local server; ``publish`` returns the publication time."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.items: list[tuple[str, str, str]] = []
        server.set("/feed.xml", self._route())

    def _route(self) -> Route:
        newest_first = list(reversed(self.items))[:100]
        return Route(body=rss(newest_first), headers={"Content-Type": "application/rss+xml"})

    def publish(self, n: int, item: Story) -> tuple[str, float]:
        path = f"/news/{n}.html"
        body = article(item.title, item.paragraphs, site=f"Wire {n % 7}")
        self.server.set(path, Route(body=body, headers={"Content-Type": "text/html"}))
        url = self.server.url_for(path)
        self.items.append((item.title, url, item.paragraphs[0]))
        self.server.set("/feed.xml", self._route())
        return url, time.monotonic()


def arrival(slack: FakeSlack, url: str) -> float | None:
    """When the first chat.postMessage carrying ``url`` reached the fake, if it has."""
    for call in slack.calls("chat.postMessage"):
        if _mentions(call, url):
            return call.at
    return None


def _mentions(call: Call, url: str) -> bool:
    blocks = call.params.get("blocks")
    return url in str(call.params.get("text", "")) or url in json.dumps(blocks or [])


def model_path(given: Path | None, tmp: Path) -> Path:
    if given is not None:
        return given
    from training.commands import train_command

    path = tmp / "model.skops"
    print("training the model once (a few tens of seconds)...", file=sys.stderr)
    train_command(path)
    return path


def wait_until_polling(server: LocalServer, timeout: float = 120.0) -> None:
    """Until the service has polled the (empty) feed twice: started and on its schedule."""
    deadline = time.monotonic() + timeout
    while len(server.requests_for("/feed.xml")) < 2:
        if time.monotonic() > deadline:
            raise SystemExit("the service did not start polling; see its log")
        time.sleep(0.05)


def measure(
    server: LocalServer,
    slack: FakeSlack,
    stories: list[Story],
    miss_after: float,
    rng: random.Random,
) -> tuple[list[float], int]:
    feed, latencies, misses = Feed(server), [], 0
    wait_until_polling(server)
    for n, item in enumerate(stories):
        time.sleep(rng.uniform(0.0, 1.0))  # a random phase against the 1 s tick
        url, published = feed.publish(n, item)
        deadline = published + miss_after
        while (at := arrival(slack, url)) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if at is None:
            misses += 1
            print(f"  miss: item {n} ({url})", file=sys.stderr)
        else:
            latencies.append(at - published)
    return latencies, misses


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(latencies: list[float], misses: int, count: int) -> None:
    print("alert latency: item published on the feed -> chat.postMessage at the fake Slack")
    print(f"feed interval 1s, {os.cpu_count()} cores, 127.0.0.1")
    print(f"{'n':>5} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'mean s':>7} {'misses':>7}")
    if not latencies:
        print(f"{count:>5} {'-':>7} {'-':>7} {'-':>7} {'-':>7} {misses:>7}")
        return
    print(
        f"{count:>5} {percentile(latencies, 0.5):>7.2f} {percentile(latencies, 0.95):>7.2f} "
        f"{max(latencies):>7.2f} {statistics.fmean(latencies):>7.2f} {misses:>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--model", type=Path, default=None, help="model artifact (default: train)")
    parser.add_argument("--miss-after", type=float, default=20.0, help="seconds")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    model = model_path(args.model, tmp)
    rng = random.Random(args.seed)
    stories, passed_over = pick_stories(model, args.items, rng)
    with LocalServer() as server, FakeSlack() as slack:
        config = write_config(tmp, server.url_for("/feed.xml"), slack, model)
        log = tmp / "service.log"
        proc = start_monitor(config, monitor_env(slack.token), log, once=False)
        try:
            latencies, misses = measure(server, slack, stories, args.miss_after, rng)
        finally:
            proc.terminate()  # SIGTERM: the service stops cleanly
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    report(latencies, misses, len(stories))
    print(f"stories: {len(stories)} (generated stories scored below the bar: {passed_over})")
    kinds = {"top-level": 0, "thread replies": 0}
    for call in slack.calls("chat.postMessage"):
        kinds["thread replies" if call.params.get("thread_ts") else "top-level"] += 1
    print(f"messages: {kinds['top-level']} top-level, {kinds['thread replies']} thread replies")
    print(f"service log: {log}")


if __name__ == "__main__":
    main()
