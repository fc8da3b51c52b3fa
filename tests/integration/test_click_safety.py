"""Label clicks that must not change anything: malformed payloads (answered 400, never a
traceback), replays (409), foreign workspaces and channels, stale clicks (the latest click
time wins), and clicks the database cannot take (503: never acknowledged unstored).

Real signed HTTP requests to the real endpoint, a real SQLite file, the fake Slack.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from monitor.cli import main
from monitor.delivery.notify import SlackNotifier
from monitor.feedback.clicks import ClickPolicy
from monitor.feedback.interact import LabelClicks, SignedEndpoint
from state.sqlite import SQLiteStore
from tests.integration.test_interact import NOW, SECRET, click, sign
from tests.integration.test_labels import BAN_TEXT, scored, store_articles
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[SQLiteStore, SignedEndpoint, str]]:
    with FakeSlack() as slack:
        store = SQLiteStore(tmp_path / "state.sqlite3", timeout=0.5)
        (alert_id,) = store_articles(store, [scored(1, "Regulator blocks Telegram", BAN_TEXT, 0.9)])
        notifier = SlackNotifier(slack.token, slack.channel, base_url=slack.api_url)
        policy = ClickPolicy(team_id="T0OURS", channel="C0ALERTS")
        clicks = LabelClicks(store, notifier, lambda: NOW, policy)
        endpoint = SignedEndpoint(clicks, SECRET).start()
        yield store, endpoint, alert_id
        endpoint.close()
        store.close()


def ours(alert_id: str, action: str = "label_not_ban", at: float | None = None) -> dict[str, Any]:
    payload = click(alert_id, action) | {"team": {"id": "T0OURS"}}
    when = NOW.timestamp() if at is None else at
    payload["actions"][0]["action_ts"] = f"{when:.6f}"
    return payload


def post(endpoint: SignedEndpoint, payload: Any, timestamp: int | None = None) -> httpx.Response:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return httpx.post(endpoint.url, content=body, headers=sign(body, timestamp or int(time.time())))


def _with(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = payload
    for name in parents:
        node = node[name] if not name.isdigit() else node[int(name)]
    node[last if not last.isdigit() else int(last)] = value
    return payload


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("user", "U0ALICE"),  # a string, not an object
        ("user.id", "U0ÅLICE"),
        ("user.id", None),
        ("actions.0.value", "item-²"),
        ("actions.0.value", "item-٣"),
        ("actions.0.value", "item-" + "9" * 25),
        ("actions.0.value", 12),
        ("actions.0.action_ts", "soon"),
        ("actions", {"not": "a list"}),
        ("team", "T0OURS"),
    ],
)
def test_malformed_clicks_get_400_and_no_traceback(
    setup: tuple[SQLiteStore, SignedEndpoint, str],
    caplog: pytest.LogCaptureFixture,
    path: str,
    value: Any,
) -> None:
    store, endpoint, alert_id = setup
    with caplog.at_level(logging.WARNING):
        answer = post(endpoint, _with(ours(alert_id), path, value))
        time.sleep(0.1)
    assert answer.status_code == 400
    assert store.label_history() == []
    assert not any(r.exc_info for r in caplog.records)


def test_the_cli_refuses_odd_item_ids_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "s.sqlite3"}"\n', encoding="utf-8")
    for ref in ("item-²", "item-" + "9" * 25):
        assert main(["label", ref, "--ban", "--config", str(config)]) == 1
        assert "no alert or item" in capsys.readouterr().err


def test_a_replayed_request_is_refused_and_changes_nothing(
    setup: tuple[SQLiteStore, SignedEndpoint, str],
) -> None:
    store, endpoint, alert_id = setup
    body = urlencode({"payload": json.dumps(ours(alert_id, "label_not_ban"))}).encode()
    headers = sign(body, int(time.time()))
    assert httpx.post(endpoint.url, content=body, headers=headers).status_code == 200
    later = ours(alert_id, "label_ban", at=(NOW + timedelta(seconds=30)).timestamp())
    assert post(endpoint, later).status_code == 200
    assert httpx.post(endpoint.url, content=body, headers=headers).status_code == 409
    assert [lb.label for lb in store.label_history()] == ["not_ban", "ban"]


def test_the_latest_click_time_wins_not_the_latest_arrival(
    setup: tuple[SQLiteStore, SignedEndpoint, str],
) -> None:
    store, endpoint, alert_id = setup
    newer = ours(alert_id, "label_ban", at=(NOW + timedelta(seconds=30)).timestamp())
    assert post(endpoint, newer).status_code == 200
    assert post(endpoint, ours(alert_id, "label_not_ban")).status_code == 200  # clicked before
    assert [lb.label for lb in store.latest_labels()] == ["ban"]


@pytest.mark.parametrize(
    ("path", "value"), [("team", {"id": "T0OTHER"}), ("channel", {"id": "C0OTHER"})]
)
def test_clicks_from_another_workspace_or_channel_are_not_stored(
    setup: tuple[SQLiteStore, SignedEndpoint, str], path: str, value: Any
) -> None:
    store, endpoint, alert_id = setup
    post(endpoint, _with(ours(alert_id), path, value))
    assert store.label_history() == []


def test_a_click_the_database_cannot_take_is_not_acknowledged(
    setup: tuple[SQLiteStore, SignedEndpoint, str], tmp_path: Path
) -> None:
    store, endpoint, alert_id = setup
    blocker = sqlite3.connect(tmp_path / "state.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        answer = post(endpoint, ours(alert_id))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert answer.status_code == 503
    assert store.label_history() == []
    assert post(endpoint, ours(alert_id), int(time.time()) - 1).status_code == 200
    assert [lb.label for lb in store.label_history()] == ["not_ban"]
