"""A local feed farm for bench/poll.py: N feeds on H loopback hosts, one asyncio process.

    python bench/_farm.py FEEDS HOSTS LATENCY_MS [OLD_ITEMS]

Feed ``n`` lives on host ``127.0.0.{2 + n % HOSTS}`` at ``/feed/<n>.xml``: OLD_ITEMS
(default 15) items dated
two days ago (a cold start's back catalogue), answering ``If-None-Match`` with 304.
Every response waits LATENCY_MS first (the network is not free). Article pages are
~80 KB news pages (an article in the usual navigation, scripts and footer).

Commands on stdin, one line each, answered on stdout:
``publish M`` adds one new item (dated now, a ban story from training/data) to M feeds
and answers their article URLs as JSON; ``etags`` answers {feed URL: current ETag};
``stats`` answers request counts and the monotonic time of the first request since the
last ``stats``. The first line printed is the JSON list of feed URLs.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD = datetime.now(UTC) - timedelta(days=2)
FILLER_NAV = "".join(f'<li><a href="/section/{n}">Section {n} news</a></li>' for n in range(400))
FILLER_JS = "<script>var cfg = {" + ",".join(f'"k{n}": {n}' for n in range(4000)) + "};</script>"


def ban_stories() -> list[tuple[str, str]]:
    stories = []
    for line in (ROOT / "training/data/ban.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        if len(row["text"]) > 600:
            stories.append((row["title"], row["text"]))
    return stories


def page(title: str, text: str) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>{FILLER_JS}</head><body><header><nav><ul>"
        f"{FILLER_NAV}</ul></nav></header><main><article><h1>{escape(title)}</h1>{body}"
        "</article></main><footer>Copyright Farm News. All rights reserved.</footer>"
        "</body></html>"
    ).encode()


class Farm:
    def __init__(self, feeds: int, hosts: int, latency: float, port: int, old: int) -> None:
        self.feeds, self.hosts, self.latency, self.port, self.old = feeds, hosts, latency, port, old
        self.extra: dict[int, list[tuple[int, datetime]]] = {}  # feed -> (story, published)
        self.gen = [0] * feeds
        self.requests = {"feed": 0, "not_modified": 0, "article": 0}
        self.first: float | None = None
        self.stories = ban_stories()
        self.rng = random.Random(7)
        self.next_story = 0

    def base(self, n: int) -> str:
        return f"http://127.0.0.{2 + n % self.hosts}:{self.port}"

    def feed_url(self, n: int) -> str:
        return f"{self.base(n)}/feed/{n}.xml"

    def feed_xml(self, n: int) -> bytes:
        entries = [(f"Old story {n}-{i}", f"/article/{n}/{i}.html", OLD - timedelta(minutes=i))
                   for i in range(self.old)]  # fmt: skip
        for story, when in self.extra.get(n, []):
            entries.insert(0, (self.stories[story][0], f"/article/{n}/s{story}.html", when))
        items = "".join(
            f"<item><title>{escape(t)}</title><link>{self.base(n)}{p}</link>"
            f"<guid>{self.base(n)}{p}</guid><pubDate>{format_datetime(d)}</pubDate>"
            f"<description>{escape(t)}. A short summary as feeds give it.</description></item>"
            for t, p, d in entries
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {n}</title><link>{self.base(n)}/</link><description>farm"
            f"</description>{items}</channel></rss>"
        ).encode()

    def answer(self, path: str, etag: str | None) -> tuple[int, str, bytes, str | None]:
        if path.startswith("/feed/"):
            n = int(path[6:].removesuffix(".xml"))
            current = f'"v{self.gen[n]}"'
            self.requests["feed"] += 1
            if etag == current:
                self.requests["not_modified"] += 1
                return 304, "", b"", current
            return 200, "application/rss+xml; charset=utf-8", self.feed_xml(n), current
        self.requests["article"] += 1
        feed, name = path[9:].removesuffix(".html").split("/")
        if name.startswith("s"):
            return 200, "text/html; charset=utf-8", page(*self.stories[int(name[1:])]), None
        text = f"Old story {feed}-{name}. " + "Routine local news about the council. " * 40
        return 200, "text/html; charset=utf-8", page(f"Old story {feed}-{name}", text), None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                if self.first is None:
                    self.first = time.monotonic()
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])
                }
                await asyncio.sleep(self.latency)
                status, ctype, body, etag = self.answer(path, headers.get("if-none-match"))
                reason = {200: "OK", 304: "Not Modified"}[status]
                out = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}"]
                out += [f"Content-Type: {ctype}"] if ctype else []
                out += [f"ETag: {etag}"] if etag else []
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
            pass
        finally:
            writer.close()

    def command(self, line: str) -> object:
        word, _, arg = line.strip().partition(" ")
        if word == "publish":
            chosen = self.rng.sample(range(self.feeds), int(arg))
            urls = {}
            for n in chosen:
                story = self.next_story % len(self.stories)
                self.next_story += 1
                self.extra.setdefault(n, []).append((story, datetime.now(UTC)))
                self.gen[n] += 1
                urls[f"{self.base(n)}/article/{n}/s{story}.html"] = time.monotonic()
            return urls
        if word == "etags":
            return {self.feed_url(n): f'"v{self.gen[n]}"' for n in range(self.feeds)}
        stats = {**self.requests, "first": self.first}
        self.first = None
        return stats


async def main(feeds: int, hosts: int, latency: float, old: int) -> None:
    first = await asyncio.start_server(lambda r, w: farm.handle(r, w), "127.0.0.2", 0)
    port = first.sockets[0].getsockname()[1]
    farm = Farm(feeds, hosts, latency, port, old)
    servers = [first] + [
        await asyncio.start_server(farm.handle, f"127.0.0.{2 + h}", port, backlog=512)
        for h in range(1, hosts)
    ]
    print(json.dumps([farm.feed_url(n) for n in range(feeds)]), flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        print(json.dumps(farm.command(line)), flush=True)
    for server in servers:
        server.close()


if __name__ == "__main__":
    old = int(sys.argv[4]) if len(sys.argv) > 4 else 15
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000, old))
