"""Backups and retention of the state file. Both run while the service runs.

``backup(db, target, now)``: an online, consistent copy with SQLite's backup API (never a
file copy of a WAL database). ``target`` is a file (replaced atomically: a copy is
written beside it, checked with ``PRAGMA integrity_check`` and renamed over it, so the
previous backup survives a failure) or a directory (a new timestamped file in it).
Running it twice gives two good backups.

``prune_article_text(store, before)``: empties the full text of items fetched before
``before``; title, link, hashes and scores stay (dedupe and labels keep working).
``prune_models(store, keep, directory)``: deletes the files of rejected and retired
models beyond the newest ``keep`` (only files in the registry's models directory); the
registry rows stay as history, the active model is never touched.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.core.errors import StoreError
from state.codec import to_text


def backup(db_path: Path, target: Path, now: datetime) -> Path:
    """Copy the database to ``target`` (see the module docstring); returns the file."""
    target = Path(target)
    if target.is_dir() or str(target).endswith(os.sep):
        target.mkdir(parents=True, exist_ok=True)
        stem, n = f"monitor-{now:%Y%m%dT%H%M%SZ}", 1
        target = target / f"{stem}.sqlite3"
        while target.exists():  # two backups within a second: both kept
            target, n = target.with_name(f"{stem}-{n}.sqlite3"), n + 1
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        _copy(db_path, Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _copy(db_path: Path, out: Path) -> None:
    try:
        source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        copy = sqlite3.connect(out)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
            source.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"backup: {db_path}: {exc}") from None
    if verdict != "ok":
        raise StoreError(f"backup: the copy of {db_path} failed its integrity check: {verdict}")


def prune_article_text(store: Any, before: datetime) -> int:
    """Empty ``items.text`` of items fetched before ``before``; returns how many."""
    return int(
        store.execute_write(
            "UPDATE items SET text = '' WHERE fetched_at < ? AND text != ''", (to_text(before),)
        )
    )


def prune_models(store: Any, keep: int, directory: Path) -> list[str]:
    """Delete the files (in ``directory`` only) of non-active models beyond the newest
    ``keep``; returns their versions."""
    active = store.active_model()
    old = [m for m in store.models() if m.status in ("rejected", "retired")]
    old.sort(key=lambda m: m.created_at, reverse=True)
    removed = []
    for model in old[keep:]:
        path = Path(model.path)
        mine = path.parent.resolve() == Path(directory).resolve()
        if mine and path.exists() and (active is None or Path(active.path) != path):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(model.version)
    return removed
