"""The single-writer lock: one service (``monitor run`` or ``run --once``) per state file.

SQLite serialises transactions but not *work*: two services on one file poll the same
feeds and drain the same outbox, so each posts the same alerts. ``WriterLock`` takes an
exclusive OS lock (``flock``) on ``<state>.lock`` beside the database and holds it for the
process' lifetime; the kernel drops it when the process dies (even by SIGKILL), so a
crash never leaves a stale lock. The file records the holder's PID for the error message.

Read-only and short commands (status, feeds list, events, eval, label) never take it:
they work while the service runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Self

from monitor.core.errors import WriterLockError


class WriterLock:
    """``with WriterLock(db_path):`` or ``acquire()``/``release()``; raises
    ``WriterLockError`` at once (never waits) when another process holds it."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        self.path = Path(f"{db_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise WriterLockError(
                f"state: {self.db_path} is in use by another monitor "
                f"(pid {holder}); stop it first, or use read-only commands like `monitor status`"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *_: object) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
    except OSError:
        return "?"
