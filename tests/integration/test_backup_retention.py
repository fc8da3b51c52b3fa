"""``monitor backup PATH`` (online, consistent, safe to repeat) and the retention rules
(old article text emptied, old rejected/retired model files deleted)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.bootstrap import apply_retention
from monitor.core.settings import load_settings
from monitor.scoring.registry import models_dir
from state.labels import ModelRecord
from state.sqlite import SQLiteStore
from tests.integration.test_labels import BAN_TEXT, scored, store_articles
from tests.support.seedfeed import REPO_ROOT, monitor_env

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "monitor.toml"
    config.write_text(f'[state]\npath = "{tmp_path / "state.sqlite3"}"\n{extra}', "utf-8")
    return config


def _backup(config: Path, target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "backup", str(target), "--config", str(config)],
        cwd=REPO_ROOT, env=monitor_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _items(path: Path) -> int:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(db.execute("SELECT COUNT(*) FROM items").fetchone()[0])


def test_backup_twice_gives_two_good_backups_while_the_store_is_open(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = SQLiteStore(tmp_path / "state.sqlite3")  # open, in WAL mode, like the service
    try:
        store_articles(store, [scored(1, "Regulator blocks Telegram", BAN_TEXT, 0.9)])
        target = tmp_path / "backups" / "monitor.sqlite3"
        target.parent.mkdir()
        first = _backup(config, target)
        assert first.returncode == 0, first.stderr
        assert _items(target) == 1
        store_articles(store, [scored(2, "Court orders TikTok blocked", BAN_TEXT, 0.9)])
        second = _backup(config, target)  # the same file again: replaced, not refused
        assert second.returncode == 0, second.stderr
        assert _items(target) == 2
        folder = tmp_path / "daily"
        folder.mkdir()
        assert _backup(config, folder).returncode == 0
        time_apart = _backup(config, folder)
        assert time_apart.returncode == 0
    finally:
        store.close()
    files = sorted(folder.glob("monitor-*.sqlite3"))
    assert len(files) == 2 and all(_items(f) == 2 for f in files)
    assert not list(target.parent.glob(".*.tmp"))


def test_retention_empties_old_text_and_deletes_old_model_files(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, '[retention]\narticle_text = "30d"\n'
                                                "keep_models = 1\n"), {})  # fmt: skip
    store = SQLiteStore(tmp_path / "state.sqlite3")
    try:
        store_articles(store, [scored(1, "Old story", BAN_TEXT, 0.9)], NOW - timedelta(days=40))
        store_articles(store, [scored(2, "New story", BAN_TEXT, 0.9)], NOW - timedelta(days=1))
        directory = models_dir(settings)
        directory.mkdir(parents=True)
        for n, status in enumerate(["retired", "rejected", "retired", "active"]):
            path = directory / f"m-{n}.skops"
            path.write_bytes(b"model")
            when = NOW - timedelta(days=10 - n)
            record = ModelRecord(f"m-{n}", str(path), status, when, "0" * 64, activated_at=when)  # type: ignore[arg-type]
            store.register_model(record)
        apply_retention(settings, store, NOW)
        texts = {r["title"]: r["text"] for r in store.query("SELECT title, text FROM items")}
    finally:
        store.close()
    assert texts["Old story"] == "" and texts["New story"]
    assert sorted(p.name for p in directory.iterdir()) == ["m-2.skops", "m-3.skops"]
