"""A local fake of Slack's Socket Mode WebSocket endpoint, for the REAL slack_sdk client.

A ``websockets`` (sync API) server on 127.0.0.1: on connect it sends ``hello``, like
Slack; ``deliver(payload)`` sends an ``interactive`` envelope to every connected client
and returns its envelope id; acknowledgements (``{"envelope_id": ...}``) are recorded.
Point ``FakeSlack.socket_url`` at ``fake.url`` so ``apps.connections.open`` hands it out.

Usage::

    with FakeSocketMode() as socket, FakeSlack(socket_url=socket.url) as slack:
        ...  # start a SocketModeClient with base_url=slack.api_url
        assert socket.wait_connected()
        envelope = socket.deliver({"type": "block_actions", ...})
        assert socket.wait_ack(envelope)
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.support.background import ServedInThread
from tests.support.seedfeed import wait_for


class FakeSocketMode(ServedInThread):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: list[ServerConnection] = []
        self.acks: list[dict[str, Any]] = []
        self._server: Server | None = None

    def _serve(self) -> Callable[[], object]:
        self._server = serve(self._session, "127.0.0.1", 0)
        return self._server.serve_forever

    def _shut(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link/?ticket=fake"

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return wait_for(lambda: bool(self._clients), timeout, step=0.02)

    def deliver(self, payload: dict[str, Any], kind: str = "interactive") -> str:
        """Send one envelope to the connected clients; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        message = json.dumps(
            {"envelope_id": envelope_id, "type": kind, "payload": payload,
             "accepts_response_payload": False}
        )  # fmt: skip
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.send(message)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> bool:
        """True when the client acknowledged ``envelope_id`` within ``timeout`` seconds."""

        def acked() -> bool:
            return any(a.get("envelope_id") == envelope_id for a in self.acks)

        return wait_for(acked, timeout, step=0.02)

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        with self._lock:
            self._clients.append(connection)
        try:
            for message in connection:
                data = json.loads(message)
                with self._lock:
                    self.acks.append(data)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._clients.remove(connection)
