"""The state file in trouble: locked by another process, disk full, corrupt, too new.

The rule everywhere: a clear ``StoreError`` (never a driver exception, never a silent
re-creation), the file left as it was, and nothing lost: what could not be written is
fetched and written again on the next cycle once the fault is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.core.errors import CorruptStoreError, SchemaVersionError, StoreError
from state.sqlite import SQLiteStore
from tests.conftest import write_config
from tests.robustness.conftest import HTML, RSS, Rig, make_rig
from tests.support.httpserver import LocalServer, Route
from tests.support.pages import FILLER, article, rss

LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
"""


@contextlib.contextmanager
def locked(db: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``BEGIN EXCLUSIVE`` on the file for ``seconds``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def serve_feed(server: LocalServer, prefix: str, count: int, words: int = 1) -> str:
    items = []
    for n in range(count):
        page = f"{prefix}/a{n}.html"
        server.set(page, Route(body=article(f"Story {prefix} {n}", FILLER * words), headers=HTML))
        items.append((f"Story {prefix} {n}", server.url_for(page), FILLER[0] * words))
    server.set(f"{prefix}/feed.xml", Route(body=rss(items), headers=RSS))
    return server.url_for(f"{prefix}/feed.xml")


def stored(rig: Rig, url: str) -> int:
    return len(rig.items(url))


@pytest.fixture
def feed_rig(tmp_path: Path, extractor: object) -> Iterator[Rig]:
    built = make_rig(tmp_path, extractor)  # type: ignore[arg-type]
    yield built
    built.fetcher.close()
    built.store.close()


def test_a_short_lock_by_another_process_is_waited_out(
    feed_rig: Rig, server: LocalServer, tmp_path: Path
) -> None:
    url = feed_rig.feed(serve_feed(server, "/a", 3))
    with locked(tmp_path / "state.sqlite3", 1.5):
        started = time.monotonic()
        runs = feed_rig.cycle()
    assert runs[url].status == "ok" and stored(feed_rig, url) == 3
    assert time.monotonic() - started >= 1.0  # it waited for the lock (busy_timeout)


def test_a_long_lock_is_a_clear_store_error_and_nothing_is_lost(
    tmp_path: Path, server: LocalServer, extractor: object
) -> None:
    rig = make_rig(tmp_path, extractor, store_timeout=0.5)  # type: ignore[arg-type]
    url = rig.feed(serve_feed(server, "/b", 3))
    try:
        with locked(tmp_path / "state.sqlite3", 4.0), pytest.raises(StoreError) as info:
            rig.cycle()
        assert "database is locked" in str(info.value) and str(tmp_path) in str(info.value)
        assert stored(rig, url) == 0 and rig.health(url).last_success is None
        runs = rig.cycle()  # the lock is gone: the feed is still due, its items come in
        assert runs[url].status == "ok" and stored(rig, url) == 3
    finally:
        rig.fetcher.close()
        rig.store.close()


def test_a_full_database_is_a_clear_store_error_and_the_next_cycle_catches_up(
    feed_rig: Rig, server: LocalServer
) -> None:
    """A failing writer: SQLite's ``max_page_count`` stops the file growing, as a full
    disk would. The transaction rolls back whole; raising the limit lets it all in."""
    first = feed_rig.feed(serve_feed(server, "/c", 2))
    feed_rig.cycle()
    pages = feed_rig.store.query("PRAGMA page_count")[0][0]
    feed_rig.store.query(f"PRAGMA max_page_count = {pages + 1}")
    url = feed_rig.feed(serve_feed(server, "/d", 10, words=20))
    with pytest.raises(StoreError, match="full"):
        feed_rig.cycle()
    assert stored(feed_rig, url) == 0 and stored(feed_rig, first) == 2
    feed_rig.store.query("PRAGMA max_page_count = 1073741823")
    runs = feed_rig.cycle()
    assert runs[url].status == "ok" and stored(feed_rig, url) == 10


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs (needs root); skipped where mounting is not allowed."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2M", "tmpfs", str(mount)],
        capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def test_a_really_full_disk_is_a_clear_store_error_and_nothing_is_lost(
    tiny_fs: Path, server: LocalServer, extractor: object
) -> None:
    rig = make_rig(tiny_fs, extractor)  # type: ignore[arg-type]
    try:
        url = rig.feed(serve_feed(server, "/e", 10, words=20))
        filler = tiny_fs / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as sink:  # fill the disk
            while True:
                sink.write(b"\0" * 4096)
                sink.flush()
        with pytest.raises(StoreError) as info:
            rig.cycle()
        assert "full" in str(info.value) or "disk" in str(info.value)
        filler.unlink()
        runs = rig.cycle()
        assert runs[url].status == "ok" and stored(rig, url) == 10
        assert rig.store.query("PRAGMA integrity_check")[0][0] == "ok"
    finally:
        rig.fetcher.close()
        rig.store.close()


# ---------------------------------------------------------------- corrupt and too new


def run_cli(args: list[str]) -> int:
    """``monitor ...`` in-process; the root logging set-up it installs is put back after
    (its handler holds this test's captured stderr, closed once the test ends)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return main(args)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def a_database(tmp_path: Path, server: LocalServer, extractor: object) -> tuple[Path, str]:
    rig = make_rig(tmp_path, extractor)  # type: ignore[arg-type]
    url = rig.feed(serve_feed(server, "/f", 5, words=10))
    rig.cycle()
    rig.store.query("PRAGMA wal_checkpoint(TRUNCATE)")
    rig.fetcher.close()
    rig.store.close()
    return tmp_path / "state.sqlite3", url


def damage_middle(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = 4096
    for start in range(page, len(data), page * 2):  # every other page after the header
        data[start : start + 64] = os.urandom(64)
    db.write_bytes(bytes(data))


def truncate_half(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2 + 100])


def not_sqlite(db: Path) -> None:
    db.write_bytes(b"this is not a database " * 400)


@pytest.mark.parametrize("damage", [damage_middle, truncate_half, not_sqlite])
def test_a_corrupt_database_is_refused_loudly_and_left_untouched(
    tmp_path: Path, server: LocalServer, extractor: object, damage: object,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    db, url = a_database(tmp_path, server, extractor)
    damage(db)  # type: ignore[operator]
    before = sha(db)
    for key in [k for k in os.environ if k.startswith("MONITOR_")]:
        monkeypatch.delenv(key)
    config = write_config(tmp_path, [url])
    for command in (["run", "--once"], ["status"]):
        assert run_cli([*command, "--config", str(config)]) == 1
        err = capsys.readouterr().err
        assert "error: state:" in err and str(db) in err, err
        assert "Traceback" not in err
    assert sha(db) == before  # never "repaired" by starting over with an empty database
    with pytest.raises(CorruptStoreError):
        SQLiteStore(db).count_items() if damage is not damage_middle else _scan(db)


def _scan(db: Path) -> None:
    store = SQLiteStore(db)
    try:
        store.query("SELECT * FROM items")
        store.query("PRAGMA integrity_check")
        raise AssertionError("a damaged file read back as healthy")
    finally:
        store.close()


def test_a_newer_schema_is_refused_by_the_cli_and_left_untouched(
    tmp_path: Path, server: LocalServer, extractor: object,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    db, url = a_database(tmp_path, server, extractor)
    store = SQLiteStore(db)
    store.query("PRAGMA user_version = 99")
    store.close()
    before = sha(db)
    for key in [k for k in os.environ if k.startswith("MONITOR_")]:
        monkeypatch.delenv(key)
    config = write_config(tmp_path, [url])
    assert run_cli(["run", "--once", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "schema version 99" in err and "refusing to downgrade" in err
    assert sha(db) == before
    with pytest.raises(SchemaVersionError):
        SQLiteStore(db)
