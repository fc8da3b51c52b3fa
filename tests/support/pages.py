"""Realistic feed and article bytes for tests (written for the tests, not copied)."""

from __future__ import annotations

from html import escape
from xml.sax.saxutils import escape as xml_escape


def rss(items: list[tuple[str, str, str]], title: str = "Test desk") -> bytes:
    """An RSS 2.0 feed of (title, link, description) items."""
    entries = "".join(
        f"<item><title>{xml_escape(t)}</title><link>{xml_escape(link)}</link>"
        f"<guid>{xml_escape(link)}</guid><pubDate>Thu, 16 Mar 2023 12:00:00 GMT</pubDate>"
        f"<description>{xml_escape(d)}</description></item>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{xml_escape(title)}</title><link>http://example.org/</link>"
        f"<description>desk</description>{entries}</channel></rss>"
    ).encode()


def article(title: str, paragraphs: list[str], site: str = "Example News") -> bytes:
    """A news page with navigation, an article body and a footer."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    nav = "".join(f'<li><a href="/{s}">{s}</a></li>' for s in ("world", "tech", "sport"))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)} | {escape(site)}</title>"
        f"<meta property='og:site_name' content='{escape(site)}'>"
        f"<meta property='og:title' content='{escape(title)}'></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header>"
        f"<main><article><h1>{escape(title)}</h1>{body}</article></main>"
        "<footer>Copyright Example News. Terms. Privacy. Contact.</footer></body></html>"
    ).encode()


# A regulator blocks an app: an article of four paragraphs, the ban in the first.
REGULATOR_STORY = [
    "The national communications regulator on Tuesday ordered internet providers to block "
    "access to the messaging app Telegram, citing a court ruling that the service failed to "
    "hand over information requested in a criminal investigation.",
    "The order takes effect within 24 hours and applies to all fixed and mobile networks, "
    "the regulator said in a statement published on its website late on Monday evening.",
    "Telegram said it was studying the decision and would appeal. A spokesperson for the "
    "company said the platform had complied with every lawful request it had received.",
    "Digital rights groups criticised the move as disproportionate, arguing that millions "
    "of people rely on the app to communicate with relatives and to run small businesses.",
]


FILLER = [
    "The city council met on Tuesday to discuss the budget for the coming year, "
    "with several members asking for more money for road repairs and public parks.",
    "Officials said the final plan would be published next month after a period of "
    "consultation with residents, businesses and community groups across the region.",
    "Local traders welcomed the proposals but warned that rising costs could make some "
    "of the planned projects harder to deliver on time and within the agreed budget.",
]


MENU = ("World", "Technology", "Business", "Science", "Sport", "Culture", "Opinion")


def aside_story(title: str, paragraphs: list[str]) -> bytes:
    """A magazine template that puts the whole story in an HTML5 ``<aside>`` card (a
    misuse seen in the wild): trafilatura drops asides as boilerplate and finds nothing;
    readability scores the paragraphs wherever they are. Navigation, a cookie notice,
    related links and a footer of links surround it."""
    nav = "".join(f'<li><a href="/{m.lower()}">{m}</a></li>' for m in MENU)
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    related = "".join(f'<li><a href="/r/{n}">Related story number {n}</a></li>' for n in range(6))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)} | The Weekly Ledger</title></head><body>"
        "<div class='cookie-notice'>We use cookies. <a href='/privacy'>Learn more</a></div>"
        f"<header><a href='/'>The Weekly Ledger</a><nav><ul>{nav}</ul></nav></header>"
        f"<div class='layout'><aside class='story-card'><h1>{escape(title)}</h1>"
        f"<p class='byline'>By Ada Byron, 4 March 2025</p>{body}</aside>"
        f"<div class='rail'><h3>Most read</h3><ul>{related}</ul></div></div>"
        f"<footer><ul>{nav}</ul><p>&copy; 2025 The Weekly Ledger</p></footer>"
        "</body></html>"
    ).encode()


def menu_page(sections: int = 120) -> bytes:
    """A section index: nothing but headline links in lists (no article on it)."""
    headlines = (
        f"Headline of story {n} in the {MENU[n % len(MENU)]} section" for n in range(sections)
    )
    items = "".join(f'<li><a href="/s/{n}">{h}</a></li>' for n, h in enumerate(headlines))
    return (
        "<!DOCTYPE html><html><head><title>Index</title></head><body>"
        f"<div class='content'><ul>{items}</ul></div></body></html>"
    ).encode()
