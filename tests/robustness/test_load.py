"""One cycle over 100 local feeds x 20 items (the CI variant of the 2,000-feed load run in
``bench/robustness.py``): everything stored, and memory and file descriptors bounded."""

from __future__ import annotations

from tests.robustness.loadrun import measure


def test_a_hundred_feeds_in_one_cycle_stay_bounded() -> None:
    figures = measure(feeds=100, items=20)
    assert (figures["items"], figures["errors"]) == (2000, 0), figures
    assert figures["peak_mb"] < 400, figures
    assert figures["fds_peak"] - figures["fds_start"] < 64, figures  # ~concurrency sockets
    assert figures["fds_after"] - figures["fds_start"] < 16, figures  # nothing leaks
    assert figures["elapsed"] < 150, figures
