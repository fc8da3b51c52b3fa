"""When ``monitor run --once`` reads the model: for the first article to score, never for a
cycle with nothing new (local feeds on 127.0.0.1, real SQLite, the real CLI).

The model file is damaged on purpose, so reading it is visible: the background load logs
``model_load_failed``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from tests.conftest import write_config
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss

RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def run_once(
    tmp_path: Path, feeds: list[str], capfd: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    damaged = tmp_path / "model.skops"
    damaged.write_bytes(b"not a model archive")
    config = write_config(tmp_path, feeds, model=damaged)
    code = main(["run", "--once", "--config", str(config)])
    return code, capfd.readouterr().err


def test_a_cycle_with_nothing_new_never_reads_the_model(
    tmp_path: Path, server: LocalServer, capfd: pytest.CaptureFixture[str]
) -> None:
    server.set("/empty.xml", Route(body=rss([]), headers=RSS))
    # a slow second feed keeps the cycle open long after the first answer: a load
    # started then (as the service does, to warm up) would have failed within it
    server.set("/slow.xml", Route(body=rss([]), headers=RSS, delay=3.0))
    feeds = [server.url_for("/empty.xml"), server.url_for("/slow.xml")]
    code, log = run_once(tmp_path, feeds, capfd)
    assert code == 0
    assert server.requests_for("/empty.xml") and server.requests_for("/slow.xml")
    assert "model_load_failed" not in log


def test_the_first_article_to_score_reads_the_model(
    tmp_path: Path, server: LocalServer, capfd: pytest.CaptureFixture[str]
) -> None:
    link = server.url_for("/a/1.html")
    server.set("/desk.xml", Route(body=rss([("Council bans app", link, "Ban news.")]), headers=RSS))
    server.set("/a/1.html", Route(body=article("Council bans app", FILLER), headers=HTML))
    code, log = run_once(tmp_path, [server.url_for("/desk.xml")], capfd)
    assert code == 0  # the feed fails, the run goes on
    assert "model_load_failed" in log
