"""Locate the team's shared data (``<repo>/../shared``) from tests, skipping when absent.

The shared folder (feed fixtures, seeds, corpus) lives beside the repository and is
never copied into it. Usage::

    from tests.support.shared import require_shared

    def test_something() -> None:
        seeds = require_shared("seeds")        # pytest.skip()s when it is not there
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path | None:
    """``<repo>/../shared`` when it exists, else None."""
    candidate = (REPO_ROOT / ".." / "shared").resolve()
    return candidate if candidate.is_dir() else None


def require_shared(sub: str = "") -> Path:
    """The path ``<shared>/<sub>``; ``pytest.skip`` when the folder or the entry is absent."""
    root = shared_dir()
    if root is None:
        pytest.skip("../shared is not available")
    path = root / sub if sub else root
    if not path.exists():
        pytest.skip(f"../shared/{sub} is not available")
    return path


# -- the shared feed fixtures (``<shared>/fixtures/feeds`` and its manifest.json)

FEED_FIXTURES = (shared_dir() or Path("/nonexistent")) / "fixtures" / "feeds"
EXTENSION_TYPES = {
    "xml": "application/xml",
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "html": "text/html",
    "json": "application/json",
}


def feed_manifest() -> list[dict[str, Any]]:
    """The manifest's fixture entries (expected outputs left out); [] when it is absent."""
    path = FEED_FIXTURES / "manifest.json"
    if not path.is_file():
        return []
    files = json.loads(path.read_text("utf-8"))["files"]
    return [f for f in files if f["kind"] != "expected-output"]


def fixture_content_type(entry: dict[str, Any]) -> str:
    """The manifest's header value as written ("text/xml;charset = us-ascii"), else the
    type its file extension suggests."""
    header = entry.get("http_header")
    if header:
        return str(header.split(":", 1)[1].strip())
    return EXTENSION_TYPES[entry["file"].rsplit(".", 1)[-1]]
