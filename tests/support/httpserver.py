"""A programmable HTTP/1.1 server on 127.0.0.1 (ephemeral port) for tests: real sockets.

Usage::

    with LocalServer() as server:
        server.set("/feed.xml", Route(body=b"<rss/>", headers={"Content-Type": "text/xml"}))
        page = fetcher.fetch(server.url_for("/feed.xml"))
        assert server.requests_for("/feed.xml")[0].header("user-agent") == "..."

    @pytest.fixture
    def server() -> Iterator[LocalServer]:
        yield from serve()

``Route`` fields (all optional):

- ``status``, ``body``, ``headers``: the answer. ``Content-Length`` and ``Date`` are
  added unless ``headers`` sets them (so a test can lie about the length).
- ``delay``: seconds to wait before answering (counts as "in flight").
- ``drip``: seconds between 1-byte writes of the body (a slow-drip server).
- ``etag`` / ``last_modified``: sent with 200s; a request whose If-None-Match
  (or, without one, If-Modified-Since) matches gets 304.
- ``drop``: close the connection without answering.
- ``repeat``: send ``body`` this many times (a 50 MB body from a 1 MB bytes object).
- ``chunked``: ``Transfer-Encoding: chunked`` instead of ``Content-Length``.

Redirects are just ``Route(302, headers={"Location": ...})``; gzip bodies are bytes the
test compresses itself, with ``Content-Encoding: gzip``. ``set(path, [r1, r2])`` serves
r1, then r2, then r2 again. Unknown paths answer 404; routes match on the path without
the query string. ``requests`` records every request (method, path with query, headers,
body, arrival time); ``in_flight_peak`` is the most requests answered at once.
``close()`` returns promptly: daemon threads, open connections are shut down.
"""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Route:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float | None = None
    etag: str | None = None
    last_modified: str | None = None
    drop: bool = False
    repeat: int = 1
    chunked: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # with the query string
    headers: Mapping[str, str]  # as sent; use header() for case-insensitive lookup
    body: bytes
    time: float  # time.monotonic() on arrival

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


_NOT_FOUND = Route(status=404, body=b"not found", headers={"Content-Type": "text/plain"})


class LocalServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[Route, ...]] = {}
        self._served: dict[str, int] = {}
        self._requests: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self.accepted = 0  # connections opened by clients so far (keep-alive reuse shows here)
        self._in_flight = 0
        self._peak = 0
        self.closing = threading.Event()
        self._server = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._server.app = self
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def set(self, path: str, route: Route | Sequence[Route]) -> None:
        routes = (route,) if isinstance(route, Route) else tuple(route)
        if not routes:
            raise ValueError("set() needs at least one Route")
        with self._lock:
            self._routes[path] = routes
            self._served[path] = 0

    def url_for(self, path: str) -> str:
        return self.url + path

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    @property
    def in_flight_peak(self) -> int:
        with self._lock:
            return self._peak

    def close(self) -> None:
        if self.closing.is_set():
            return
        self.closing.set()  # wakes delayed and dripping handlers
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # keep-alive handlers would otherwise wait for the client
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- called by the handler threads

    def _next_route(self, path: str) -> Route:
        key = path.split("?", 1)[0]
        with self._lock:
            routes = self._routes.get(key)
            if routes is None:
                return _NOT_FOUND
            index = self._served[key]
            self._served[key] = index + 1
            return routes[min(index, len(routes) - 1)]

    def _arrived(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self.accepted += 1
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def serve() -> Iterator[LocalServer]:
    """For fixtures: ``yield from serve()``."""
    with LocalServer() as server:
        yield server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    app: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-answer is what these tests do on purpose


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.app._track(self.connection, True)

    def finish(self) -> None:
        self.server.app._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        app = self.server.app
        request = self._record()
        app._arrived(request)
        try:
            self._answer(app._next_route(self.path), request)
        except OSError:  # the client went away (timeouts, size caps, drops)
            self.close_connection = True
        finally:
            app._finished()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = dict(self.headers.items())
        return RecordedRequest(self.command, self.path, headers, body, time.monotonic())

    def _answer(self, route: Route, request: RecordedRequest) -> None:
        closing = self.server.app.closing
        if (route.delay and closing.wait(route.delay)) or route.drop:
            self.close_connection = True
            return
        status = 304 if _not_modified(route, request) else route.status
        self.send_response_only(status)
        for name, value in _response_headers(route, status).items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304 and self.command != "HEAD":
            self._send_body(route)

    def _send_body(self, route: Route) -> None:
        closing = self.server.app.closing
        for piece in itertools.repeat(route.body, route.repeat):
            if route.drip is None:
                self._write(piece, route.chunked)
                continue
            for i in range(len(piece)):
                if closing.wait(route.drip):
                    self.close_connection = True
                    return
                self._write(piece[i : i + 1], route.chunked)
        if route.chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _write(self, data: bytes, chunked: bool) -> None:
        if chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data) if data else b""
        self.wfile.write(data)
        self.wfile.flush()


def _not_modified(route: Route, request: RecordedRequest) -> bool:
    if_none_match = request.header("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        return route.etag is not None and ("*" in tags or route.etag in tags)
    since = request.header("If-Modified-Since")
    return route.last_modified is not None and since == route.last_modified


def _response_headers(route: Route, status: int) -> dict[str, str]:
    headers = dict(route.headers)
    present = {name.lower() for name in headers}
    extra = {"Date": email.utils.formatdate(usegmt=True)}
    if route.etag is not None:
        extra["ETag"] = route.etag
    if route.last_modified is not None:
        extra["Last-Modified"] = route.last_modified
    if route.chunked and status != 304:
        extra["Transfer-Encoding"] = "chunked"
    elif status != 304:
        extra["Content-Length"] = str(len(route.body) * route.repeat)
    headers.update({k: v for k, v in extra.items() if k.lower() not in present})
    return headers
