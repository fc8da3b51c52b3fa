"""Worker processes for article extraction (used by ``monitor.ingest.extract.Extractor``).

A ``Worker`` is one slot holding a long-lived worker process; ``Worker.run(html, url,
timeout, with_date)`` hands one page over and returns the task's ``RawResult``, or raises
``ExtractError`` ("timeout after 15s" after killing a worker past the deadline, "worker
crashed", "worker did not start", or the task's own error message). A worker that died
or was killed is replaced on the next ``run``. Only HTML is ever handed over.

The default task, ``run_extraction``, is trafilatura, plus readability-lxml
(``monitor.ingest.readable``) when trafilatura's text is under 500 characters: the
longer plausible text wins. Both run here, under the same deadline.

Workers are fresh interpreters started with ``subprocess`` (fork+exec) running
``worker_entry``, talking over two pipes (``multiprocessing.connection.Connection``):
the parent sends its ``sys.path`` and the pickled task, the worker answers
``("ready", None)``, then each ``(html, url, with_date)`` job gets ``("ok", result)`` or
``("error", message)``; ``None`` or EOF ends the worker. Nothing of the multithreaded
parent (the pipeline runs feeds in threads) is forked, and the parent's ``__main__`` is
never re-imported (multiprocessing's "spawn" and "forkserver" both do that). Start-up
cost is measured in the tests' report: about 0.2 s per worker; workers are long-lived,
so that is paid once per worker, per recycle and per timeout.

Memory: a worker imports only trafilatura (~37 MB resident); a large page's lxml tree
and trafilatura's fallbacks (justext loads the stop words of every language, ~12 MB)
take it to 75-110 MB on real pages (docs/scaling.md). After a page of
``TRIM_AFTER_CHARS`` or more the worker hands freed memory back to the system (glibc
``malloc_trim``); ``Worker.rss()`` lets the parent retire a worker holding too much.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

from monitor.core.errors import ExtractError
from monitor.ingest import readable

# What a worker sends back: (title, text, date "YYYY-MM-DD" or None, sitename, language),
# or None when trafilatura found nothing. Plain values, cheap to pickle.
RawResult = tuple[str, str, str | None, str, str | None] | None
Task = Callable[[str, str, bool], RawResult]  # (html, url, with_date)

_RESET_CACHES_EVERY = 100
TRIM_AFTER_CHARS = 200_000  # smaller pages leave little behind; a trim takes 0.4-5 ms
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_WORKER_CODE = "from monitor.ingest.workers import worker_entry; worker_entry()"


def run_extraction(html: str, url: str, with_date: bool = True) -> RawResult:
    """The default worker task: trafilatura, and when its text is under
    ``readable.TRY_BELOW`` characters, readability-lxml's plausible text if longer.
    Runs inside a worker process only."""
    result = run_trafilatura(html, url, with_date)
    text = result[1] if result is not None else ""
    if len(text.strip()) >= readable.TRY_BELOW:
        return result
    rescued = readable.better(text, readable.second_opinion(html))
    if rescued == text:
        return result
    if result is None:
        return ("", rescued, None, "", None)
    return (result[0], rescued, *result[2:])


def run_trafilatura(html: str, url: str, with_date: bool = True) -> RawResult:
    """trafilatura alone (the first step of ``run_extraction``). Runs inside a worker
    process only.

    The page is parsed once: trafilatura extracts the text from a copy of the tree
    (without its metadata step; fast first, see ``_extract``), and ``page_metadata``
    reads the title, the site name and, only when ``with_date`` (the feed item has no
    date of its own), the date from the tree."""
    from trafilatura.utils import load_html  # the parent process never runs trafilatura

    tree = load_html(html)
    if tree is None:
        return None
    doc = _extract(tree, url, fast=True)
    if _may_compare_otherwise(doc):
        doc = _extract(tree, url, fast=False)
    if doc is None:
        return None
    title, sitename, day = page_metadata(tree, url, with_date)
    return (title, str(doc.text or ""), day, sitename, None)


FAST_MIN_CHARS = 500  # a shorter fast result is extracted again with the comparison


def _extract(tree: Any, url: str, *, fast: bool) -> Any:
    """trafilatura's ``Document`` for the text of a parsed page (a copy of it), or None."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        favor_precision=True,
        include_comments=False,
        fast=fast,
    )
    return None if doc is None or isinstance(doc, dict) else doc  # a dict only with as_dict


def _may_compare_otherwise(doc: Any) -> bool:
    """Whether trafilatura's comparison step (``fast=False``: its readability port and
    jusText, ~6 of the ~10 ms a farm page takes) could replace this fast result. In
    precision mode it looks beyond its own text when that text is empty or short (jusText
    under 250 characters), has no paragraph text or more tables than paragraphs (when
    readability finds over 500), or keeps elements it sanitises (aside, figure, nav, ...):
    such results, and any under ``FAST_MIN_CHARS``, are extracted again with it. Not
    seen from the result: readability finding twice as much text as a long, clean one.
    Nor is fast mode's keeping of teaser sections. On the 22 labelled stand-in pages and
    108 others (the farm's, the tests', the libraries' test pages) the texts equal
    ``fast=False``'s."""
    if doc is None or len(doc.text or "") < FAST_MIN_CHARS:
        return True
    from trafilatura.external import SANITIZED_XPATH

    body = doc.body
    if not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p")):
        return True
    return bool(body.xpath(SANITIZED_XPATH))


def page_metadata(tree: Any, url: str, with_date: bool = True) -> tuple[str, str, str | None]:
    """(title, site name, date "YYYY-MM-DD" or None) of a parsed page: the values
    trafilatura's own metadata step (``bare_extraction(with_metadata=True)``) gives, by
    the same functions, without the parts the service never uses. On a news page that
    step cost ~15 ms of a ~25 ms extraction: authors (~8 ms), categories and tags
    (~1.5 ms), and the date (~4.5 ms on a page without date meta tags), which is only
    needed when the feed item has none (``with_date``). The date is read from the markup
    (meta tags, ``<time>``) only: htmldate's extensive search, a regex pass over the whole
    page text, cost ~30 ms more."""
    from htmldate import find_date
    from trafilatura.metadata import (
        META_URL,
        examine_meta,
        extract_meta_json,
        extract_sitename,
        extract_title,
        extract_url,
    )

    meta = examine_meta(tree)
    with contextlib.suppress(Exception):  # trafilatura's JSON-LD reader has bugs: skipped
        meta = extract_meta_json(tree, meta)
    meta.title = meta.title or extract_title(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.sitename = meta.sitename or extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")  # a Twitter handle
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url and (match := META_URL.match(meta.url)):
        meta.sitename = match[1]
    if with_date:
        meta.date = find_date(
            tree,
            url=meta.url,
            original_date=True,
            extensive_search=False,
            max_date=date.today().isoformat(),
        )
    meta.clean_and_trim()  # trafilatura's: entities, spaces, control characters, length
    return (
        str(meta.title or ""),
        str(meta.sitename or ""),
        str(meta.date) if meta.date else None,
    )


def worker_entry() -> None:
    """Main of a worker process: ``python -c ... <jobs fd> <replies fd>``.

    Receives the parent's ``sys.path`` and the task (a pickled module-level function),
    says "ready", then serves (html, url, with_date) jobs until None or EOF.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    logging.disable(logging.WARNING)  # trafilatura's per-page warnings would flood stderr
    jobs = Connection(int(sys.argv[1]), writable=False)
    replies = Connection(int(sys.argv[2]), readable=False)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    sys.path[:] = jobs.recv()  # before the task is unpickled: it may live in tests/
    task: Task = jobs.recv()
    import trafilatura.meta  # warm up before "ready", so start-up is not billed to a job

    replies.send(("ready", None))
    trim = _malloc_trim()
    done = 0
    while (job := _receive(jobs)) is not None:
        try:
            reply: tuple[str, Any] = ("ok", task(*job))
        except Exception as exc:  # any trafilatura/lxml failure is this page's problem
            reply = ("error", f"{type(exc).__name__}: {exc}"[:300])
        replies.send(reply)
        done += 1
        if done % _RESET_CACHES_EVERY == 0:
            trafilatura.meta.reset_caches()
        if len(job[0]) >= TRIM_AFTER_CHARS:
            del job, reply  # the page and its result, before memory is handed back
            trim()


def _malloc_trim() -> Callable[[], object]:
    """glibc's ``malloc_trim(0)``: free heap pages go back to the system (a no-op elsewhere)."""
    try:
        return functools.partial(ctypes.CDLL(None).malloc_trim, 0)
    except (OSError, AttributeError):  # not glibc
        return lambda: None


def _receive(conn: Connection) -> tuple[str, str, bool] | None:
    try:
        job: tuple[str, str, bool] | None = conn.recv()
    except (EOFError, OSError):
        return None
    return job


def _exit_with_parent(parent_pid: int) -> None:
    # A worker stuck in a runaway page must not outlive a parent that was SIGKILLed.
    while os.getppid() == parent_pid:
        time.sleep(2.0)
    os._exit(1)


class Worker:
    """One worker process slot, used by one thread at a time (``monitor.ingest.extract.Extractor``).

    A plain ``subprocess`` (fork+exec of a fresh interpreter) rather than a
    multiprocessing context: nothing of the multithreaded parent is forked, and unlike
    multiprocessing's "spawn"/"forkserver" the parent's ``__main__`` is never re-run in
    the child, so scripts without an ``if __name__ == "__main__"`` guard are safe too.
    """

    def __init__(self, task: Task, startup_timeout: float) -> None:
        self._task = task
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._jobs: Connection | None = None
        self._replies: Connection | None = None
        self.served = 0

    def run(self, html: str, url: str, timeout: float, with_date: bool = True) -> RawResult:
        jobs, replies = self._ensure_started()
        try:
            jobs.send((html, url, with_date))
            ready = replies.poll(timeout)
        except (OSError, EOFError) as exc:
            self.stop(kill=True)
            raise ExtractError(f"worker failed: {type(exc).__name__}") from None
        if not ready:
            self.stop(kill=True)  # the only way to interrupt trafilatura is to kill it
            raise ExtractError(f"timeout after {timeout:g}s")
        try:
            status, value = replies.recv()
        except (OSError, EOFError):  # the worker died mid-page (segfault, OOM kill)
            self.stop(kill=True)
            raise ExtractError("worker crashed") from None
        self.served += 1
        if status != "ok":
            raise ExtractError(str(value))
        result: RawResult = value
        return result

    def rss(self) -> int | None:
        """Resident memory of the worker process in bytes (None: not running, or unknown
        on this system)."""
        process = self._process
        if process is None or process.poll() is not None:
            return None
        try:
            with open(f"/proc/{process.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * _PAGE_SIZE
        except (OSError, ValueError, IndexError):
            return None

    def _ensure_started(self) -> tuple[Connection, Connection]:
        if self._process is not None and self._process.poll() is None:
            assert self._jobs is not None and self._replies is not None
            return self._jobs, self._replies
        self.stop(kill=True)
        try:
            self._spawn()
        except (OSError, EOFError) as exc:  # out of processes, memory or file descriptors
            self.stop(kill=True)
            raise ExtractError(f"worker did not start: {type(exc).__name__}") from None
        except BaseException:  # e.g. a task that cannot be pickled: a bug, let it show
            self.stop(kill=True)
            raise
        assert self._jobs is not None and self._replies is not None
        if not self._is_ready(self._replies):
            self.stop(kill=True)
            raise ExtractError("worker did not start")
        return self._jobs, self._replies

    def _spawn(self) -> None:
        jobs_read, jobs_write = os.pipe()
        replies_read, replies_write = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE, str(jobs_read), str(replies_write)],
                pass_fds=(jobs_read, replies_write),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # stderr stays: a crashing worker should be seen
            )
        except BaseException:
            for fd in (jobs_write, replies_read):
                os.close(fd)
            raise
        finally:
            os.close(jobs_read)
            os.close(replies_write)
        self._jobs = Connection(jobs_write, readable=False)
        self._replies = Connection(replies_read, writable=False)
        self.served = 0
        self._jobs.send(list(sys.path))
        self._jobs.send(self._task)

    def _is_ready(self, replies: Connection) -> bool:
        try:
            return bool(replies.poll(self._startup_timeout)) and replies.recv()[0] == "ready"
        except (OSError, EOFError):
            return False

    def stop(self, *, kill: bool = False) -> None:
        process, jobs, replies = self._process, self._jobs, self._replies
        self._process = self._jobs = self._replies = None
        if jobs is not None:
            if not kill:
                with contextlib.suppress(OSError):
                    jobs.send(None)  # finish politely: let it exit on its own
            jobs.close()  # EOF also ends a worker waiting for a job
        if process is not None:
            _end(process, grace=0.0 if kill else 2.0)
        if replies is not None:
            replies.close()


def _end(process: subprocess.Popen[bytes], grace: float) -> None:
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5.0)
