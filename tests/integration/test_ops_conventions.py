"""Operations conventions: JSON or text logs with the same keys and an env-set level,
``*_FILE`` secrets, ``--version``, OPML export/import round trip, process and build-info
metrics with the model version from the start, and ``status --check`` exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from monitor.bootstrap import build_app, build_scorer, serve_http
from monitor.cli import main
from monitor.core.errors import ConfigError
from monitor.core.logs import FEED_KEYS
from monitor.core.settings import load_settings
from monitor.service import Service
from tests.conftest import write_config
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, rss
from tests.support.seedfeed import REPO_ROOT, RSS, monitor_env


def monitor(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args, "--config", str(config)],
        cwd=REPO_ROOT, env=monitor_env() | env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _feed(server: LocalServer) -> str:
    server.set("/feed.xml", Route(body=rss([("Council news", server.url_for("/a"), FILLER[0])]),
                                  headers=RSS))  # fmt: skip
    return server.url_for("/feed.xml")


def test_json_logs_have_the_keys_of_text_logs_and_status_check_follows_the_cycle(
    tmp_path: Path, server: LocalServer, model_path: Path
) -> None:
    config = write_config(tmp_path, [_feed(server)], model=model_path)
    before = monitor(config, "status", "--check")
    assert before.returncode == 1 and "last: never" in before.stdout
    run = monitor(config, "run", "--once", MONITOR_LOG_FORMAT="json")
    assert run.returncode == 0, run.stderr
    objects = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    feed_lines = [o for o in objects if o.get("event") == "feed"]
    assert feed_lines and set(FEED_KEYS) <= set(feed_lines[0])
    assert all({"time", "level", "logger"} <= set(o) for o in objects)
    assert not [ln for ln in run.stderr.splitlines() if " INFO " in ln]  # no text lines
    after = monitor(config, "status", "--check")
    assert after.returncode == 0 and "check: ok" in after.stdout, after.stdout
    quiet = monitor(config, "run", "--once", MONITOR_LOG_LEVEL="WARNING")
    assert quiet.returncode == 0 and " INFO " not in quiet.stderr


def test_status_check_fails_on_a_failing_feed(tmp_path: Path, model_path: Path) -> None:
    extra = "[notify]\nfeed_failure_threshold = 1\n"
    config = write_config(tmp_path, ["http://127.0.0.1:1/gone.xml"], model=model_path,
                          extra=extra)  # fmt: skip
    assert monitor(config, "run", "--once").returncode == 0
    check = monitor(config, "status", "--check")
    assert check.returncode == 1 and "feed failing 1 times" in check.stdout


def test_secret_file_variables(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("xoxb-from-a-file\n", encoding="utf-8")
    env = {"MONITOR_SLACK_BOT_TOKEN_FILE": str(token), "MONITOR_SLACK_BOT_TOKEN": "xoxb-env"}
    assert load_settings(None, env).slack.bot_token == "xoxb-from-a-file"
    with pytest.raises(ConfigError, match="MONITOR_SLACK_SIGNING_SECRET_FILE") as info:
        load_settings(None, {"MONITOR_SLACK_SIGNING_SECRET_FILE": str(tmp_path / "missing")})
    assert "xoxb" not in str(info.value)


def test_version(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "monitor", "--version"], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0 and run.stdout.strip().startswith("monitor 0.")


def test_feeds_export_then_import_is_lossless(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    first, second = str(write_config(one, [])), str(write_config(two, []))
    name = 'A & <B> "news"'
    assert main(["feeds", "add", "https://a.example/feed.xml", "--name", name,
                 "--interval", "10m", "--config", first]) == 0  # fmt: skip
    assert main(["feeds", "add", "https://b.example/rss?x=1&y=2", "--config", first]) == 0
    opml = tmp_path / "feeds.opml"
    assert main(["feeds", "export", "--output", str(opml), "--config", first]) == 0
    assert main(["feeds", "import", str(opml), "--config", second]) == 0
    capsys.readouterr()
    assert main(["feeds", "export", "--config", second]) == 0
    assert capsys.readouterr().out == opml.read_text("utf-8")
    listed = []
    for config in (first, second):
        assert main(["feeds", "list", "--config", config]) == 0
        listed.append(capsys.readouterr().out)
    assert listed[0] == listed[1] and name in listed[0] and "10m" in listed[0]


def test_process_build_and_model_metrics_right_after_start(
    tmp_path: Path, model_path: Path
) -> None:
    config = write_config(tmp_path, [], model=model_path,
                          extra='[http]\nlisten = "127.0.0.1:0"\n')  # fmt: skip
    settings = load_settings(config, {})
    app = build_app(settings, scorer=build_scorer(settings))
    try:
        serve_http(app, Service(app.deps))
        assert app.web is not None
        text = httpx.get(app.web.base_url + "/metrics").text
    finally:
        app.close()
    assert "process_resident_memory_bytes" in text and "python_info{" in text
    assert 'appban_build_info{version="0.' in text
    assert 'appban_model_info{version="m-' in text  # before anything was scored
