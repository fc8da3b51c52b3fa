"""Service latency: each feed at its own next check, alerts delivered once committed."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

from monitor.bootstrap import build_app, build_scorer
from monitor.core.settings import load_settings
from monitor.delivery.notify import JsonlNotifier
from monitor.service import Service
from tests.conftest import write_config
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import article, rss
from tests.support.seedfeed import HTML, RSS, seed_stories, wait_for
from tests.support.shared import require_shared


def test_alert_is_delivered_on_commit_and_feeds_run_on_their_own_schedule(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    title, paragraphs = seed_stories(require_shared("seeds"))[0]
    server.set("/a/0.html", Route(body=article(title, paragraphs), headers=HTML))
    server.set(
        "/ban.xml", Route(body=rss([(title, server.url_for("/a/0.html"), title)]), headers=RSS)
    )
    server.set("/quick.xml", Route(body=rss([]), headers=RSS, etag='"q"'))
    feeds = (
        f'[[feeds]]\nurl = "{server.url_for("/ban.xml")}"\ninterval = "1h"\n'
        f'[[feeds]]\nurl = "{server.url_for("/quick.xml")}"\ninterval = "2s"\n'
    )
    settings = load_settings(write_config(tmp_path, [], model=model_path, extra=feeds), {})
    jsonl = tmp_path / "alerts.jsonl"
    app = build_app(settings, scorer=build_scorer(settings), notifier=JsonlNotifier(jsonl))
    # a long tick, a long periodic drain and no after-cycle drain: only the triggers remain
    service = Service(app.deps, tick=60.0, drain=app.drain, drain_every=60.0, min_gap=0.5)
    thread = threading.Thread(target=service.run_forever, args=(False,), daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        assert wait_for(lambda: jsonl.exists() and jsonl.read_text().strip(), 30)
        assert time.monotonic() - started < 45  # delivered on commit, not after 60 s
        # the 2 s feed is polled again on its own schedule, long before the 60 s tick
        assert wait_for(lambda: len(server.requests_for("/quick.xml")) >= 3, 15)
        polls = [r.time for r in server.requests_for("/quick.xml")]
        assert all(b - a <= 2.0 + 1.0 for a, b in itertools.pairwise(polls))
        assert len(server.requests_for("/ban.xml")) == 1  # its interval is an hour
    finally:
        app.deps.stop.set()
        thread.join(timeout=15)
        app.close()
