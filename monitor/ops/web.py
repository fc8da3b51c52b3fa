"""The service's small HTTP server (``[http] listen``): ``/livez``, ``/readyz``,
``/healthz``, ``/metrics`` and Slack's interactivity Request URL (``POST /slack/actions``)
on one listener, or the first four on a second one (``[http] ops_listen``).

Routes are ``(method, path) -> handler``; a handler gets a ``Request`` and returns a
``Response``. A response may carry ``after``: work done once the answer has been written
and flushed (Slack's endpoint shows the verdict on the message after answering). Unknown
paths answer 404, a known path with another method 405. Bodies above ``MAX_BODY`` are
refused with 413 before they are read. A connection idle for ``idle_timeout`` seconds
(a half-sent request) is closed, and none lives longer than ``deadline`` seconds (a
drip of one byte at a time), so stalled clients cannot hold threads. Requests are not
logged line by line (a Prometheus scrape every 15 s would drown the log); handlers log
what matters as structured events.

Off by default; when on, the documented default is ``127.0.0.1:8080`` (localhost only):
put a reverse proxy with TLS in front before exposing the Slack path to the internet.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitor.core.logs import log_event

log = logging.getLogger("monitor.web")

MAX_BODY = 1 << 20  # Slack's interaction payloads and our own routes need far less


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # without the query string
    headers: Mapping[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    after: Callable[[], object] | None = field(default=None, compare=False)


Handler = Callable[[Request], Response]


class HttpServer:
    """A threading HTTP server with a route table; ``start()`` serves in a daemon thread."""

    def __init__(
        self,
        listen: tuple[str, int] = ("127.0.0.1", 0),
        *,
        idle_timeout: float = 10.0,
        deadline: float = 30.0,
    ) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        attrs = {"app": self, "timeout": idle_timeout, "deadline": deadline}
        handler = type("BoundHandler", (_Handler,), attrs)
        self._server = _Server(listen, handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method.upper(), path)] = handler

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    def start(self) -> HttpServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="http",
                daemon=True,
            )
            self._thread.start()
            log_event(log, "http_listening", url=self.base_url, paths=self._paths())
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def dispatch(self, request: Request) -> Response:
        """Pure routing: the handler's answer, or 404/405."""
        handler = self.routes.get((request.method, request.path))
        if handler is not None:
            return handler(request)
        if any(path == request.path for _, path in self.routes):
            return Response(405, b"method not allowed\n")
        return Response(404, b"not found\n")

    def _paths(self) -> str:
        return ",".join(sorted({path for _, path in self.routes}))


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (or was cut off) is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            log.exception("http connection failed")


class _Handler(BaseHTTPRequestHandler):
    app: HttpServer
    deadline: float
    server_version = "appban-monitor"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()  # applies ``timeout`` (idle) to the socket
        self._timer = threading.Timer(self.deadline, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def finish(self) -> None:
        self._timer.cancel()
        with contextlib.suppress(OSError):  # the deadline closed the socket under us
            super().finish()

    def _expire(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._write(Response(413 if length > 0 else 400, b"bad length\n"))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(method, self.path.split("?", 1)[0], headers, body)
        try:
            response = self.app.dispatch(request)
        except Exception:  # a handler bug must not kill the listener thread
            log.exception("http handler failed for %s", request.path)
            response = Response(500, b"internal error\n")
        self._write(response)
        if response.after is not None:
            response.after()

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged one by one (see the module docstring)."""
