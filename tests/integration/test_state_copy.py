"""``monitor state copy`` moves a SQLite installation into PostgreSQL, verified by counts;
``monitor migrate`` applies migrations and exits."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.core.records import Feed
from monitor.feedback.labels import apply_label
from state.postgres import PostgresStore
from state.sqlite import SQLiteStore
from tests.integration.test_labels import BAN_TEXT, NOW, scored, store_articles

pytestmark = pytest.mark.postgres


def sqlite_state(path: Path) -> None:
    store = SQLiteStore(path)
    store.sync_feeds([Feed("https://news.example.org/feed.xml", "News")], "config", NOW)
    store_articles(store, [scored(1, "Regulator blocks Telegram", BAN_TEXT, 0.93),
                           scored(2, "Local bakery opens", "A bakery opened.", 0.02)])  # fmt: skip
    apply_label(store, "1", "ban", "alice", "cli", NOW)
    store.set_meta("last_digest", "2025-03-01")
    store.close()


def test_copy_moves_every_row_and_ids_continue(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite_state(tmp_path / "state.sqlite3")
    assert main(["state", "copy", "--from", f"sqlite:{tmp_path / 'state.sqlite3'}",
                 "--to", pg_url]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "every table verified by count" in out and "MISMATCH" not in out
    target = PostgresStore(pg_url)
    try:
        assert target.count_items() == 2
        (alert,) = target.alerts()
        assert alert.summary.title and target.label_target(alert.id) is not None
        assert [lb.who for lb in target.latest_labels()] == ["alice"]
        assert target.get_meta("last_digest") == "2025-03-01"
        # new rows get ids after the copied ones (the sequences were moved on)
        (seq,) = target.add_labels([target.latest_labels()[0]])
        assert seq == 2
    finally:
        target.close()
    # a second copy into the now non-empty database is refused
    assert main(["state", "copy", "--from", f"sqlite:{tmp_path / 'state.sqlite3'}",
                 "--to", pg_url]) == 1  # fmt: skip
    assert "not empty" in capsys.readouterr().err


def test_migrate_applies_and_exits(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_DATABASE_URL", pg_url)
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "schema version" in out and "postgresql://" in out
