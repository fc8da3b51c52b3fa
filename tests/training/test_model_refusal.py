"""A refused registry model: the previous one keeps serving, the refusal is remembered by
file identity (not re-read per batch or per /healthz), and status and /healthz say why."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from classifiers.artifact import ModelArtifact
from monitor.cli import main
from monitor.core.records import Article, FeedItem
from monitor.ops.health import HealthCheck
from monitor.scoring.registry import register
from monitor.scoring.score import RegistryScorer, active_lookup
from state.labels import ModelRecord
from state.sqlite import SQLiteStore

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def _tampered(saved_model: Path, target: Path) -> Path:
    """The model with its threshold edited to 2.0 (checksum not updated)."""
    with zipfile.ZipFile(saved_model) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    meta = json.loads(members["metadata.json"])
    meta["threshold"] = 2.0
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("metadata.json", json.dumps(meta))
        archive.writestr("pipeline.skops", members["pipeline.skops"])
    return target


class _Service:
    running, started_at, last_cycle, tick = True, T0, None, 30.0


def test_a_refused_model_is_remembered_and_the_previous_one_serves(
    small_model: ModelArtifact,
    saved_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "state.sqlite3"
    config = tmp_path / "monitor.toml"
    config.write_text(f'[state]\npath = "{db}"\n', encoding="utf-8")
    store = SQLiteStore(db)
    register(store, small_model, saved_model, "active", T0)
    scorer = RegistryScorer(
        active_lookup(store), on_refusal=lambda why: store.set_meta("model_refused", why)
    )
    good = small_model.metadata.version
    bad = _tampered(saved_model, tmp_path / "bad.skops")
    store.register_model(ModelRecord("m-bad", str(bad), "active", T0, "0" * 64, activated_at=T0))

    item = FeedItem("https://x.example/feed", "u", "https://x.example/1", "g", "Ban", "")
    art = Article(item, "Pakistan blocks X", "Blocked.", None, "", "", "summary")
    [scored] = scorer.score([art])
    assert scored.model_version == good
    assert scorer.refusal and "m-bad refused" in scorer.refusal
    assert "metadata checksum mismatch" in scorer.refusal
    health = HealthCheck(_Service(), lambda now: None, scorer, lambda: T0).report()
    assert health.ok and "m-bad refused" in health.checks["model"].detail

    # the same file, unchanged identity (size, mtime, inode), now garbage: never read again
    before = os.stat(bad)
    with bad.open("r+b") as handle:
        handle.write(b"\0" * before.st_size)
    os.utime(bad, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert scorer.model_version == good
    assert "metadata checksum mismatch" in (scorer.refusal or "")

    assert main(["status", "--config", str(config)]) == 0
    assert "model: model m-bad refused, serving " + good in capsys.readouterr().out
    store.close()
