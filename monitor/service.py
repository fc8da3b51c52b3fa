"""The background service: APScheduler runs the periodic jobs; SIGINT/SIGTERM stop it.

The feeds table is the source of truth for when each feed is due (PITFALLS:
an APScheduler job store must not be shared between processes). A poll thread runs a
cycle over the due feeds, then sleeps until the next feed is due (at least
``min_gap``, at most ``tick`` seconds), so each feed is polled at its own next check,
not on a fixed tick. A drain thread delivers the outbox as soon as a feed's alerts
are committed (``Deps.on_alert``), and every ``drain_every`` seconds regardless.
The other periodic jobs run on APScheduler with ``coalesce=True`` and
``max_instances=1``: a slow run is never started twice, missed runs collapse.

Shutdown: the stop event is set, the running cycle abandons feeds it has not
finished (each feed's items are stored in one transaction, so nothing is
half-written), the scheduler waits for the job to return, and adapters close.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor.core.logs import log_event
from monitor.core.records import CycleReport
from monitor.pipeline import Deps, run_cycle

log = logging.getLogger("monitor.service")


@dataclass
class Job:
    """A periodic job: ``func`` runs every ``every`` seconds (first run right away)."""

    name: str
    func: Callable[[], object]
    every: float


@dataclass
class Service:
    deps: Deps
    tick: float = 30.0
    extra_jobs: list[Job] = field(default_factory=list)
    after_cycle: list[Callable[[CycleReport], object]] = field(default_factory=list)
    drain: Callable[[], object] | None = None  # the outbox drain, run on every alert
    drain_every: float = 10.0
    min_gap: float = 2.0  # seconds between cycles at least (after-cycle hooks run each)
    last_cycle: CycleReport | None = None
    # -- facts for /healthz ----------------------------------------------------
    started_at: datetime | None = None
    cycle_started: datetime | None = None  # set while a cycle runs (readiness)
    _scheduler: BackgroundScheduler | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        """The scheduler is up (False before ``run_forever`` and after it returns)."""
        return self._scheduler is not None and bool(self._scheduler.running)

    def cycle(self) -> CycleReport:
        """One poll cycle over the due feeds, then the after-cycle hooks (outbox drain)."""
        self.cycle_started = self.deps.clock()
        try:
            report = run_cycle(self.deps)
        finally:
            self.cycle_started = None
        self.last_cycle = report
        log_event(
            log,
            "cycle",
            logging.INFO if report.runs else logging.DEBUG,  # the loop wakes when nothing is due
            feeds=len(report.runs),
            not_modified=report.not_modified,
            new=report.new,
            errors=report.errors,
            elapsed=(report.finished - report.started).total_seconds(),
        )
        for hook in self.after_cycle:
            if self.deps.stop.is_set():
                break
            hook(report)
        return report

    def run_forever(self, install_signals: bool = True) -> None:
        """Run until SIGINT/SIGTERM (or ``deps.stop`` is set by someone else)."""
        stop = self.deps.stop
        if install_signals:
            _install_signal_handlers(stop)
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            timezone="UTC",
        )
        scheduler.add_listener(_on_job_error, EVENT_JOB_ERROR)
        jobs = list(self.extra_jobs)
        for job in jobs:
            scheduler.add_job(
                job.func,
                "interval",
                seconds=job.every,
                id=job.name,
                name=job.name,
                next_run_time=self.deps.clock(),
            )
        self.started_at = self.deps.clock()
        scheduler.start()
        self._scheduler = scheduler
        alerted = threading.Event()
        self.deps.on_alert = alerted.set
        loops = [threading.Thread(target=self._poll_loop, name="poll")]
        if self.drain is not None:
            loops.append(threading.Thread(target=self._drain_loop, args=(alerted,), name="drain"))
        for loop in loops:
            loop.start()
        names = ",".join(["poll", *(["drain"] if self.drain else []), *(j.name for j in jobs)])
        log_event(log, "started", jobs=names, tick=self.tick)
        try:
            while not stop.wait(0.5):
                pass
        finally:
            log_event(log, "stopping")
            stop.set()
            alerted.set()
            for loop in loops:
                loop.join()
            scheduler.shutdown(wait=True)
            self._scheduler = None
            log_event(log, "stopped")

    def _poll_loop(self) -> None:
        stop = self.deps.stop
        while not stop.is_set():
            try:
                self.cycle()
            except Exception as exc:  # StoreError or a bug: say so, try again next time
                log_event(log, "job_error", logging.ERROR, job="poll", error=repr(exc))
            stop.wait(self._until_next_due())

    def _until_next_due(self) -> float:
        try:
            due = self.deps.store.next_due()
        except Exception:  # the next cycle reports the store's trouble
            return self.tick
        wait = self.tick if due is None else (due - self.deps.clock()).total_seconds()
        return min(max(wait, self.min_gap), self.tick)

    def _drain_loop(self, alerted: threading.Event) -> None:
        assert self.drain is not None
        stop = self.deps.stop
        while not stop.is_set():
            alerted.wait(self.drain_every)
            alerted.clear()
            if stop.is_set():
                break
            try:
                self.drain()
            except Exception as exc:
                log_event(log, "job_error", logging.ERROR, job="drain", error=repr(exc))


def _on_job_error(event: JobExecutionEvent) -> None:
    log_event(log, "job_error", logging.ERROR, job=event.job_id, error=repr(event.exception))


class StartupInterrupted(BaseException):
    """SIGTERM/SIGINT arrived during start-up (training or loading the model)."""


@contextmanager
def interruptible_startup(stop: threading.Event) -> Iterator[None]:
    """Install the stop signals BEFORE slow start-up work: a signal then sets ``stop`` and
    raises ``StartupInterrupted`` out of whatever runs (training is plain Python and numpy
    calls, interrupted between two of them; model files are written atomically). As PID 1
    in a container a process without handlers ignores SIGTERM, so this is what lets
    ``docker stop`` end a first start that is still training. Afterwards the signals only
    set ``stop`` (the running cycle winds down)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        log_event(log, "signal", signal=signal.Signals(signum).name, during="start-up")
        stop.set()
        raise StartupInterrupted

    on_main = threading.current_thread() is threading.main_thread()
    if on_main:
        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        if on_main:
            _install_signal_handlers(stop)


def _install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        log_event(log, "signal", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
