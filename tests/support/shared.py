"""Locate the team's shared data (``<repo>/../shared``) from tests, skipping when absent.

The shared folder (feed fixtures, seeds, corpus) lives beside the repository and is
never copied into it. Usage::

    from tests.support.shared import require_shared

    def test_something() -> None:
        seeds = require_shared("seeds")        # pytest.skip()s when it is not there
"""

from __future__ import annotations

from pathlib import Path

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
