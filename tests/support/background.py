"""``ServedInThread``: the lifecycle the local fakes share (FakeSlack, FakeSocketMode).

A subclass implements ``_serve()`` (open the listening server, return its blocking loop)
and ``_shut()`` (make that loop return); the base runs the loop in a daemon thread and
joins it on ``stop()``. ``with fake:`` starts and stops it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Self


class ServedInThread:
    _thread: threading.Thread | None = None

    def _serve(self) -> Callable[[], object]:
        raise NotImplementedError

    def _shut(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._serve(), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._shut()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
