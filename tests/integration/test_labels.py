"""Labels in state and on the command line: label, history, export/import, review queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.alerting.alerts import AlertingIngest
from monitor.cli import main
from monitor.core.records import Article, FeedItem, Scored
from state.sqlite import SQLiteStore

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def scored(n: int, title: str, text: str, score: float, threshold: float = 0.5) -> Scored:
    url = f"https://news.example.org/{n}.html"
    item = FeedItem("https://news.example.org/feed.xml", url, url, url, title, text[:80])
    article = Article(item, title, text, None, "Example News", "en", "trafilatura")
    return Scored(article, score, score >= threshold, ("ban",), "m-test-1")


def store_articles(store: SQLiteStore, entries: list[Scored], now: datetime = NOW) -> list[str]:
    """Stores the entries as the pipeline does; returns the ids of the alerts made."""
    AlertingIngest(store, 14 * 86400.0, 0.5)(entries, now)
    return [a.id for a in store.alerts()]


BAN_TEXT = (
    "The telecom regulator ordered internet providers to block access to Telegram "
    "nationwide on Tuesday, citing national security, the ministry said."
)


def config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(
        f'[state]\npath = "{tmp_path / "state.sqlite3"}"\n[classifier]\nthreshold = 0.5\n'
        '[[feeds]]\nurl = "https://news.example.org/feed.xml"\n',
        encoding="utf-8",
    )
    return path


def cli(tmp_path: Path, *args: str) -> int:
    return main([*args, "--config", str(config(tmp_path))])


@pytest.fixture
def state(tmp_path: Path) -> Path:
    store = SQLiteStore(tmp_path / "state.sqlite3")
    try:
        store_articles(
            store,
            [
                scored(1, "Regulator blocks Telegram nationwide", BAN_TEXT, 0.93),
                scored(2, "Ministry weighs rules for apps", "Officials discussed apps.", 0.48),
                scored(3, "Local bakery opens", "A bakery opened downtown today.", 0.02),
                scored(4, "Court hears TikTok case", "A court heard arguments on TikTok.", 0.61),
            ],
        )
    finally:
        store.close()
    return tmp_path / "state.sqlite3"


def test_label_by_alert_id_stores_provenance_and_survives_restart(
    tmp_path: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SQLiteStore(state)
    alert_id = store.alerts()[0].id
    store.close()
    assert cli(tmp_path, "label", alert_id, "--not-ban", "--who", "alice") == 0
    assert "not_ban by alice" in capsys.readouterr().out
    store = SQLiteStore(state)  # a new connection: what was stored is on disk
    try:
        (label,) = store.latest_labels()
        assert (label.label, label.who, label.source, label.alert_id) == (
            "not_ban", "alice", "cli", alert_id,
        )  # fmt: skip
        assert label.item_id == store.alert(alert_id).item_id  # type: ignore[union-attr]
        assert (label.model_version, label.score) == ("m-test-1", pytest.approx(0.93))
        assert len(label.text_hash) == 64 and label.text == BAN_TEXT
    finally:
        store.close()


def test_latest_label_wins_and_history_is_kept(tmp_path: Path, state: Path) -> None:
    assert cli(tmp_path, "label", "1", "--ban", "--who", "alice") == 0
    assert cli(tmp_path, "label", "item-1", "--not-ban", "--who", "bob") == 0
    store = SQLiteStore(state)
    try:
        history = store.label_history()
        assert [(h.label, h.who) for h in history] == [("ban", "alice"), ("not_ban", "bob")]
        assert [(lb.label, lb.who) for lb in store.latest_labels()] == [("not_ban", "bob")]
    finally:
        store.close()


def test_label_of_unknown_id_fails_cleanly(
    tmp_path: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "label", "al-doesnotexist", "--ban") == 1
    assert "no alert or item 'al-doesnotexist'" in capsys.readouterr().err


def test_export_import_round_trips_losslessly(tmp_path: Path, state: Path) -> None:
    store = SQLiteStore(state)
    alert_id = store.alerts()[0].id
    store.close()
    assert cli(tmp_path, "label", alert_id, "--ban", "--who", "alice smith") == 0
    assert cli(tmp_path, "label", "4", "--not-ban", "--who", "bob") == 0
    first = tmp_path / "labels.jsonl"
    assert cli(tmp_path, "labels", "export", "--output", str(first)) == 0
    records = [json.loads(line) for line in first.read_text("utf-8").splitlines()]
    assert [r["label"] for r in records] == ["ban", "other"]
    assert set(records[0]) == {"id", "title", "text", "label", "source_note"}
    assert (
        "who=alice_smith" in records[0]["source_note"] and "score=0.93" in records[0]["source_note"]
    )

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert cli(fresh, "labels", "import", str(first)) == 0
    second = fresh / "labels.jsonl"
    assert cli(fresh, "labels", "export", "--output", str(second)) == 0
    assert second.read_bytes() == first.read_bytes()
    imported = SQLiteStore(fresh / "state.sqlite3")
    try:
        label = imported.latest_labels()[0]
        assert (label.who, label.model_version, label.source) == (
            "alice_smith",
            "m-test-1",
            "import",
        )
        assert label.score == pytest.approx(0.93)
    finally:
        imported.close()
    # importing the same file again adds nothing to the history
    assert cli(fresh, "labels", "import", str(first)) == 0
    again = SQLiteStore(fresh / "state.sqlite3")
    assert len(again.label_history()) == 2
    again.close()


def test_import_refuses_a_bad_line(
    tmp_path: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    good = {"id": "x1", "title": "t", "text": "x", "label": "ban", "source_note": ""}
    bad.write_text(json.dumps(good) + "\n" + json.dumps(good | {"label": "maybe"}) + "\n")
    assert cli(tmp_path, "labels", "import", str(bad)) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err
    store = SQLiteStore(state)
    assert store.label_history() == []  # all or nothing
    store.close()


def test_review_lists_unlabelled_items_most_uncertain_first(
    tmp_path: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "label", "2", "--ban") == 0
    capsys.readouterr()
    assert cli(tmp_path, "review") == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    # threshold 0.5: item 2 (0.48) is labelled; then 4 (0.61), 1 (0.93), 3 (0.02)
    assert [line.split()[0] for line in lines] == ["4", "1", "3"]
