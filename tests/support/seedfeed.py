"""The five shared seed stories served as a local news feed, plus helpers for alert tests.

Serves each seed (``../shared/seeds/NNN_*.txt``: first line = headline, rest = body) as an
article page and lists them, with a few ordinary local-news items, in one RSS feed on a
``LocalServer``. Seeds 000-002 are one syndicated story (UK government devices), 003 is
the EU Parliament, 004 the UK Parliament closing its account. Usage::

    feed = serve_seed_feed(server, require_shared("seeds"))
    config = alert_config(tmp_path, [feed.feed_url], slack, model_path)
    ...
    rows = read_alerts(tmp_path / "state.sqlite3")      # read-only, safe while it runs

Also: reading the SQLite file read-only, mapping Slack messages back to alert ids, and
starting/killing ``python -m monitor`` in its own process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss

REPO_ROOT = Path(__file__).resolve().parents[2]
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}

# Ordinary local news: must never alert.
ORDINARY = (
    ("Council approves new budget for road repairs", FILLER),
    (
        "Local football club wins the regional cup final",
        [
            "The home side scored twice in the second half to win the regional cup final on "
            "Saturday in front of a record crowd at the town's stadium.",
            "The coach praised the players' fitness and said the club would now focus on "
            "promotion, with the league season resuming next weekend.",
        ],
    ),
    (
        "Storms and heavy rain expected across the region this weekend",
        [
            "Forecasters expect strong winds and heavy rain from Friday evening, with the "
            "coast likely to see the worst of the weather on Saturday morning.",
            "Residents are advised to secure garden furniture and to check travel updates "
            "before setting out, as some ferry services may be cancelled.",
        ],
    ),
)


@dataclass(frozen=True)
class SeedFeed:
    """Where the feed and its article pages are served."""

    feed_url: str
    seed_urls: tuple[str, ...]  # article URL of seed 000, 001, ... in order
    ordinary_urls: tuple[str, ...]


def seed_stories(seeds_dir: Path) -> list[tuple[str, list[str]]]:
    """(headline, paragraphs) of every seed, in file-name order."""
    stories = []
    for path in sorted(seeds_dir.glob("*.txt")):
        lines = [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
        stories.append((lines[0][:90], lines[1:] or lines))
    return stories


def serve_seed_feed(server: LocalServer, seeds_dir: Path, path: str = "/feed.xml") -> SeedFeed:
    """Serve the seeds and the ordinary items as articles, listed in one feed at ``path``."""
    stories = seed_stories(seeds_dir)
    seed_urls = serve_articles(server, "/seed", stories)
    ordinary_urls = serve_articles(server, "/local", [(t, list(p)) for t, p in ORDINARY])
    items = [
        (title, url, paragraphs[0][:200])
        for (title, paragraphs), url in zip(
            [*stories, *ORDINARY], [*seed_urls, *ordinary_urls], strict=True
        )
    ]
    server.set(path, Route(body=rss(items), headers=RSS))
    return SeedFeed(server.url_for(path), tuple(seed_urls), tuple(ordinary_urls))


def serve_articles(
    server: LocalServer, prefix: str, stories: list[tuple[str, list[str]]]
) -> list[str]:
    """Each (title, paragraphs) as an article page from its own outlet; their URLs."""
    urls = []
    for n, (title, paragraphs) in enumerate(stories):
        page = f"{prefix}/{n}.html"
        server.set(page, Route(body=article(title, paragraphs, site=f"Outlet {n}"), headers=HTML))
        urls.append(server.url_for(page))
    return urls


def local_config_lines(tmp_path: Path, *, timeout: str, concurrency: int) -> list[str]:
    """The [state] and [polling] of a config for local tests: state in tmp_path, private
    addresses allowed (the test servers listen on 127.0.0.1)."""
    return [
        "[state]",
        f'path = "{tmp_path / "state.sqlite3"}"',
        "[polling]",
        "allow_private_addresses = true",
        f'timeout = "{timeout}"',
        'extract_timeout = "10s"',
        f"concurrency = {concurrency}",
        'backfill = "all"',  # the fixture feeds are dated 2023: alert on a first poll too
    ]


def alert_config(
    tmp_path: Path,
    feeds: list[str],
    slack: Any,
    model: Path,
    *,
    timeout: str = "5s",
    concurrency: int = 4,
    feed_interval: str | None = None,
    jsonl: Path | None = None,
) -> Path:
    """A config posting to the fake Slack (the token comes from the environment)."""
    lines = [
        *local_config_lines(tmp_path, timeout=timeout, concurrency=concurrency),
        "[classifier]",
        f'model_path = "{model}"',
        "[slack]",
        f'channel = "{slack.channel}"',
        f'api_url = "{slack.api_url}"',
    ]
    if jsonl is not None:
        lines += ["[notify]", f'jsonl_path = "{jsonl}"']
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"']
        if feed_interval:
            lines.append(f'interval = "{feed_interval}"')
    path = tmp_path / "monitor.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- reading state


def read_rows(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a query on the state file opened READ-ONLY (safe while the service runs)."""
    if not db_path.exists():
        return []
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql, params)]
    except sqlite3.OperationalError:  # the schema is not there yet
        return []
    finally:
        db.close()


def read_alerts(db_path: Path) -> list[dict[str, Any]]:
    """Every alert in delivery (creation) order, with its item's URL."""
    return read_rows(
        db_path,
        "SELECT a.*, i.url AS item_url FROM alerts a JOIN items i ON i.id = a.item_id"
        " ORDER BY a.seq",
    )


def ban_urls(db_path: Path) -> set[str]:
    return {r["url"] for r in read_rows(db_path, "SELECT url FROM items WHERE is_ban = 1")}


def alert_id_of(message: Mapping[str, Any]) -> str | None:
    """The alert id the monitor put in a Slack message's metadata."""
    payload = (message.get("metadata") or {}).get("event_payload") or {}
    return payload.get("alert_id")


def wait_for(predicate: Callable[[], object], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


# ---------------------------------------------------------------- the service as a process


def monitor_env(token: str | None = None) -> dict[str, str]:
    """This environment without MONITOR_* settings, plus the bot token when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    if token is not None:
        env["MONITOR_SLACK_BOT_TOKEN"] = token
    return env


def start_monitor(
    config: Path, env: Mapping[str, str], log: Path, *, once: bool = True
) -> subprocess.Popen[bytes]:
    """``python -m monitor run --once`` (without ``--once`` when ``once`` is false: the
    service on its schedule) in its own process group (so a SIGKILL reaches its extraction
    workers too); output to a file so a chatty child never blocks on a pipe."""
    argv = [sys.executable, "-m", "monitor", "run", *(["--once"] if once else [])]
    with open(log, "ab") as sink:
        return subprocess.Popen(
            [*argv, "--config", str(config)],
            cwd=REPO_ROOT,
            env=dict(env),
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group this test started (no-op once it is gone)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
