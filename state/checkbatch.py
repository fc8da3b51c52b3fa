"""Write-behind for not-modified polls: many 304s, one transaction, off the polling threads.

Most polls of a steady service are 304s; giving each its own ``BEGIN IMMEDIATE ...
COMMIT`` behind the store's lock makes the polling threads queue for the database.
``CheckBatch.add`` only appends to a list; a background thread writes what is queued
with ``Store.record_checks`` (one transaction) every ``max_delay`` seconds, or at once
when ``max_rows`` are waiting. ``flush()`` writes the rest now (the cycle calls it before
it reports, so the next look at due feeds sees every check); ``close()`` flushes and stops.

Crash contract: a check is either in a committed batch or not written at all. A feed
whose check was lost keeps its previous ``next_check``, so it is simply polled again
(one more conditional GET): nothing else depends on a 304 being recorded. A flush that
fails in the background is logged and its checks dropped, with the same consequence;
``flush()`` called by the cycle raises the ``StoreError``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from monitor.core.errors import StoreError
from monitor.core.records import FeedCheck

log = logging.getLogger("state.checkbatch")


class CheckBatch:
    def __init__(
        self,
        write: Callable[[Sequence[FeedCheck]], None],
        *,
        max_rows: int = 500,
        max_delay: float = 1.0,
    ) -> None:
        self._write = write
        self._max_rows = max_rows
        self._max_delay = max_delay
        self._queue: list[FeedCheck] = []
        self._lock = threading.Lock()  # guards _queue
        self._writing = threading.Lock()  # one batch at a time, in order
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="check-batch", daemon=True)
        self._thread.start()

    def add(self, check: FeedCheck) -> None:
        with self._lock:
            self._queue.append(check)
            full = len(self._queue) >= self._max_rows
        if full:
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def flush(self) -> int:
        """Write every queued check now, in one transaction; how many were written."""
        with self._writing:
            with self._lock:
                batch, self._queue = self._queue, []
            if batch:
                self._write(batch)
            return len(batch)

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self._max_delay)
            self._wake.clear()
            try:
                self.flush()
            except StoreError as exc:  # the feeds are polled again; the cycle will see it too
                log.error("event=check_batch_failed error=%s", exc)
