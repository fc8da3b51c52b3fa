"""A local feed + article server for benchmarks (127.0.0.1 only, generated content).

``/feed/<n>.xml`` is an RSS feed of ``items`` entries linking to ``/article/<n>/<i>.html``,
each a realistic news page (navigation, several paragraphs, footer). Feeds answer
conditional GETs with 304. Content is deterministic for a given seed.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

WORDS = [
    "government",
    "ministry",
    "regulator",
    "court",
    "parliament",
    "council",
    "agency",
    "app",
    "platform",
    "service",
    "users",
    "data",
    "security",
    "privacy",
    "report",
    "officials",
    "statement",
    "network",
    "devices",
    "policy",
    "country",
    "market",
    "company",
    "launch",
    "update",
    "review",
    "decision",
    "week",
    "year",
    "new",
    "public",
    "said",
    "according",
    "plans",
    "rules",
    "access",
    "online",
    "video",
    "messaging",
    "social",
    "media",
    "national",
    "local",
]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 22))]
    return " ".join(words).capitalize() + "."


def article_html(feed: int, item: int) -> bytes:
    rng = random.Random(feed * 100_003 + item)
    title = f"Story {feed}-{item}: " + " ".join(rng.choice(WORDS) for _ in range(6))
    paragraphs = "".join(
        f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(3, 6)))}</p>\n"
        for _ in range(rng.randint(5, 9))
    )
    nav = "".join(f'<li><a href="/section/{w}">{w}</a></li>' for w in WORDS[:12])
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>"
        f"<meta property='og:title' content='{escape(title)}'>"
        "<meta property='og:site_name' content='Bench News'>"
        "<meta name='date' content='2025-01-15'></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header>"
        f"<main><article><h1>{escape(title)}</h1>"
        "<p class='byline'>By Staff Reporter, 15 January 2025</p>"
        f"{paragraphs}</article></main>"
        "<aside>Most read: other stories you may like</aside>"
        "<footer>Copyright Bench News. All rights reserved. Contact us. Privacy.</footer>"
        "</body></html>"
    ).encode()


def feed_xml(base: str, feed: int, items: int) -> bytes:
    when = datetime(2025, 1, 15, tzinfo=UTC)
    entries = []
    for i in range(items):
        link = f"{base}/article/{feed}/{i}.html"
        date = format_datetime(when - timedelta(minutes=i))
        entries.append(
            f"<item><title>Story {feed}-{i}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{date}</pubDate><description>Summary of story {feed}-{i}, a short "
            "description as feeds give it.</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed}</title><link>{base}/</link><description>bench</description>"
        f"{''.join(entries)}</channel></rss>"
    ).encode()


class FeedServer:
    def __init__(self, items: int) -> None:
        self.items = items
        self.requests = 0
        self.not_modified = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.requests += 1
                path = self.path.split("?")[0]
                try:
                    if path.startswith("/feed/"):
                        self._feed(int(path[6:].removesuffix(".xml")))
                    elif path.startswith("/article/"):
                        feed, item = path[9:].removesuffix(".html").split("/")
                        self._send(
                            200, "text/html; charset=utf-8", article_html(int(feed), int(item))
                        )
                    else:
                        self._send(404, "text/plain", b"not found")
                except ValueError:
                    self._send(404, "text/plain", b"not found")

            def _feed(self, n: int) -> None:
                etag = f'"feed-{n}"'
                if self.headers.get("If-None-Match") == etag:
                    with server._lock:
                        server.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = feed_xml(server.url, n, server.items)
                self._send(200, "application/rss+xml; charset=utf-8", body, {"ETag": etag})

            def _send(
                self, status: int, ctype: str, body: bytes, extra: dict | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 256
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def feed_urls(self, count: int) -> list[str]:
        return [f"{self.url}/feed/{n}.xml" for n in range(count)]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
