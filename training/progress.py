"""Progress lines on stderr while training runs (it takes minutes with the background corpus).

``progress(message)`` prints one timestamped line. ``heartbeat(task)`` is a context
manager that prints "<task>: still running (N s)" every ``HEARTBEAT_SECONDS`` from a
daemon thread until the block ends, so a long single fit never goes quiet for longer.
Output only; nothing here changes what is trained.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

HEARTBEAT_SECONDS = 5.0


def progress(message: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextmanager
def heartbeat(task: str, every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Announce ``task``, then a line every ``every`` seconds until the block exits."""
    progress(task)
    stop = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        while not stop.wait(every):
            progress(f"{task}: still running ({time.monotonic() - start:.0f} s)")

    thread = threading.Thread(target=beat, name="train-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
