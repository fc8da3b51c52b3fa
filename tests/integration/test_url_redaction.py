"""Credentials inside feed URLs (user:password@, ?token=, ?key=, ?sig=) never appear in
logs, in ``monitor feeds list``/``status``, or in configuration errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import write_config
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, rss
from tests.support.seedfeed import REPO_ROOT, RSS, monitor_env

SECRETS = ("hunter2", "SEKRET1", "SEKRET2", "SEKRET3")


def monitor(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args, "--config", str(config)],
        cwd=REPO_ROOT, env=monitor_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_feed_url_credentials_are_redacted_everywhere(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    server.set("/feed.xml", Route(body=rss([("Story", server.url_for("/a"), FILLER[0])]),
                                  headers=RSS))  # fmt: skip
    base = server.url_for("/feed.xml").replace("http://", "http://alice:hunter2@")
    url = f"{base}?token=SEKRET1&api_key=SEKRET2&ref=home"
    broken = "http://127.0.0.1:1/gone.xml?sig=SEKRET3"
    config = write_config(tmp_path, [url, broken], model=model_path)
    runs = [
        monitor(config, "run", "--once", "--log-level", "DEBUG"),
        monitor(config, "feeds", "list"),
        monitor(config, "status"),
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
        shown = run.stdout + run.stderr
        assert not [s for s in SECRETS if s in shown], shown
    assert "ref=home" in runs[1].stdout and "[redacted]@127.0.0.1" in runs[1].stdout
    assert "feed_url=" in runs[0].stderr  # the feed was logged, only without its secrets


def test_config_errors_are_redacted(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('[[feeds]]\nurl = "ftp://bob:hunter2@x.example/f?token=SEKRET1"\n',
                      encoding="utf-8")  # fmt: skip
    run = monitor(config, "feeds", "list")
    assert run.returncode == 2 and "feeds[0].url" in run.stderr
    assert "hunter2" not in run.stderr and "SEKRET1" not in run.stderr
