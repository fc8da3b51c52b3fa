"""Feed URL -> ``Article``: fetch (conditional GET, SSRF guard, caps), parse, canonical URLs,
extraction in worker processes, and when to poll next.

The only home of httpx, feedparser and trafilatura.
"""
