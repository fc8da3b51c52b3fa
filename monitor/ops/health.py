"""Liveness and readiness: 200 with a JSON body, else 503.

``GET /livez`` (liveness): the process answers and its scheduler is running. A container
orchestrator restarts on this one.

``GET /readyz`` (readiness; ``GET /healthz`` is an alias): is the service doing its job?
Four checks, each a probe answering ``(ok, detail)``:

- ``scheduler``: the APScheduler scheduler is running;
- ``last_cycle``: a poll cycle completed within ``3 x tick`` (or, before the first one,
  the service started less than ``3 x tick`` ago), or a cycle is in progress and made
  progress (a fetch answered, ``Heartbeat``) within ``3 x tick``: a long but healthy
  cycle stays ready, a hung or dead poll job fails it;
- ``database``: a real write to the state database succeeds (``meta`` row
  ``healthz``): a read-only file system, a full disk or a lock that never clears fails it;
- ``model``: the classifier is loaded and has a version (the detail also says why a newer
  registry model was refused, while the previous one keeps serving).

``assess`` is pure (probe results and times in, verdict out); ``HealthCheck`` gathers the
facts from the running service. The JSON never contains secrets or paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.core.errors import MonitorError
from monitor.ops.web import Request, Response

STALE_INTERVALS = 3  # cycles missed before the service is unhealthy


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class HealthReport:
    ok: bool
    checks: dict[str, Check]
    last_cycle: datetime | None

    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            "status": "ok" if self.ok else "unhealthy",
            "last_cycle": self.last_cycle.isoformat() if self.last_cycle else None,
            "checks": {n: {"ok": c.ok, "detail": c.detail} for n, c in self.checks.items()},
        }
        return json.dumps(body, sort_keys=True).encode() + b"\n"


def cycle_check(
    now: datetime,
    started: datetime | None,
    last_cycle: datetime | None,
    tick: float,
    in_cycle_since: datetime | None = None,
    last_progress: datetime | None = None,
) -> Check:
    """Pure: fresh when the last cycle (or the start) is within ``STALE_INTERVALS`` ticks,
    or a cycle is running and its latest progress is that recent."""
    limit = STALE_INTERVALS * tick
    reference = last_cycle or started
    if reference is None:
        return Check(False, "service not started")
    age = (now - reference).total_seconds()
    what = "last cycle" if last_cycle else "no cycle yet; started"
    if age <= limit:
        return Check(True, f"{what} {age:.0f}s ago")
    if in_cycle_since is not None:
        moved = max(in_cycle_since, last_progress or in_cycle_since)
        quiet = (now - moved).total_seconds()
        running = (now - in_cycle_since).total_seconds()
        if quiet <= limit:
            return Check(True, f"cycle running for {running:.0f}s, progress {quiet:.0f}s ago")
        return Check(False, f"cycle running for {running:.0f}s, no progress for {quiet:.0f}s "
                            f"(limit {limit:.0f}s = 3 intervals)")  # fmt: skip
    return Check(False, f"{what} {age:.0f}s ago (limit {limit:.0f}s = 3 intervals)")


class Heartbeat:
    """The time of the latest sign of progress; ``Beating`` beats it on every call.
    ``on_first_beat`` callbacks run once, on the thread of the first beat."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.last: datetime | None = None
        self._first: list[Callable[[], None]] = []

    def on_first_beat(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` at the first beat (at once if there was one already)."""
        if self.last is not None:
            callback()
        else:
            self._first.append(callback)

    def beat(self) -> None:
        self.last = self.clock()
        while self._first:  # list.pop is atomic: each callback runs once among threads
            try:
                callback = self._first.pop()
            except IndexError:
                break
            callback()


class Beating:
    """A proxy calling ``beat()`` after every call of ``inner`` that returns (a fetch),
    and after every item of a call that returns an iterator (the poller's answers:
    ``(feed, outcome)``) whose outcome is not an error."""

    def __init__(self, inner: Any, beat: Callable[[], None]) -> None:
        self._inner, self._beat = inner, beat

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if isinstance(result, Iterator):
                return self._beating(result)
            self._beat()  # only an answer is progress; timeouts in a row are not
            return result

        return call

    def _beating(self, answers: Iterator[Any]) -> Iterator[Any]:
        for answer in answers:
            if not (isinstance(answer, tuple) and isinstance(answer[-1], Exception)):
                self._beat()
            yield answer


def assess(checks: dict[str, Check], last_cycle: datetime | None) -> HealthReport:
    """Pure: healthy only when every check passed."""
    return HealthReport(all(c.ok for c in checks.values()), checks, last_cycle)


class HealthCheck:
    """Gathers the facts for ``/healthz`` from the service, the store and the scorer."""

    def __init__(
        self,
        service: Any,  # monitor.service.Service: .running, .started_at, .last_cycle, .tick
        write_probe: Callable[[datetime], None],
        scorer: Any,
        clock: Callable[[], datetime],
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.service, self.write_probe = service, write_probe
        self.scorer, self.clock, self.heartbeat = scorer, clock, heartbeat

    def liveness(self) -> HealthReport:
        running = bool(self.service.running)
        last = self.service.last_cycle.finished if self.service.last_cycle else None
        return assess({"scheduler": Check(running, "running" if running else "not running")},
                      last)  # fmt: skip

    def handle_live(self, request: Request) -> Response:
        report = self.liveness()
        return Response(200 if report.ok else 503, report.to_json(), "application/json")

    def report(self) -> HealthReport:
        """Readiness (``/readyz`` and ``/healthz``)."""
        now = self.clock()
        service = self.service
        last = service.last_cycle.finished if service.last_cycle else None
        running = bool(service.running)
        progress = self.heartbeat.last if self.heartbeat else None
        in_cycle = getattr(service, "cycle_started", None)
        checks = {
            "scheduler": Check(running, "running" if running else "not running"),
            "last_cycle": cycle_check(
                now, service.started_at, last, service.tick, in_cycle, progress
            ),
            "database": self._database(now),
            "model": self._model(),
        }
        return assess(checks, last)

    def handle(self, request: Request) -> Response:
        report = self.report()
        return Response(200 if report.ok else 503, report.to_json(), "application/json")

    def _database(self, now: datetime) -> Check:
        try:
            self.write_probe(now)
        except MonitorError as exc:
            return Check(False, _first_line(exc))
        return Check(True, "writable")

    def _model(self) -> Check:
        if self.scorer is None:
            return Check(False, "no classifier loaded")
        try:
            version = str(self.scorer.model_version)
        except MonitorError as exc:
            return Check(False, _first_line(exc))
        refusal = getattr(self.scorer, "refusal", None)  # still serving the previous model
        detail = f"version {version}" + (f"; {refusal}" if refusal else "")
        return Check(bool(version), detail if version else "no version")


def _first_line(exc: Exception) -> str:
    """The error without the database path (paths tell an outsider about the host)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text.rsplit(": ", 1)[-1][:200]
