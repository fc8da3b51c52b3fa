"""Fake networks for the fetchers' SSRF guards (``monitor.ingest.fetch.GuardedBackend``,
``monitor.ingest.poller.GuardedResolver``).

``RecordingNetwork`` records every address the guard asks it to connect to, refuses the
ones listed as unreachable and opens nothing; ``FakeInternet`` really connects, routing
``PUBLIC_IP`` to the local test server on 127.0.0.1. ``fake_dns`` is a resolver over a
fixed table. Usage::

    network = RecordingNetwork(unreachable={"2606:4700::1"})
    guard = GuardedBackend(allow_private=False, resolver=fake_dns(table), inner=network)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpcore

PUBLIC_IP = "93.184.216.34"


class RecordingNetwork(httpcore.NetworkBackend):
    """Records every address the guard asks it to connect to; refuses the ones listed.

    Opens nothing unless ``connect`` (then a real socket, PUBLIC_IP routed to 127.0.0.1).
    """

    def __init__(self, unreachable: Iterable[str] = (), *, connect: bool = False) -> None:
        self.asked: list[str] = []
        self.unreachable = set(unreachable)
        self._sockets = httpcore.SyncBackend() if connect else None

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.asked.append(host)
        if host in self.unreachable:
            raise httpcore.ConnectError("[Errno 111] Connection refused")
        if self._sockets is None:
            return httpcore.NetworkStream()  # never read: the guard's decision is under test
        routed = "127.0.0.1" if host == PUBLIC_IP else host
        return self._sockets.connect_tcp(routed, port, timeout, local_address, socket_options)


class FakeInternet(RecordingNetwork):
    """Connections to PUBLIC_IP reach the local server; every address asked is recorded.

    ``route`` is the same for ``monitor.ingest.poller.FeedPoller`` (aiohttp opens the
    socket itself): it records the checked address and answers the one to connect to."""

    def __init__(self) -> None:
        super().__init__(connect=True)

    def route(self, address: str) -> str:
        self.asked.append(address)
        return "127.0.0.1" if address == PUBLIC_IP else address


def fake_dns(table: dict[str, Sequence[str]]) -> Callable[[str, int], Sequence[str]]:
    """A resolver answering from ``table``; unknown names fail like getaddrinfo does."""

    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(-2, "Name or service not known")
        return table[host]

    return resolve
