"""SIGKILL at random moments of a few ``run --once`` cycles (the CI variant of the
50-cycle run in ``bench/robustness.py``): nothing lost, nothing sent twice."""

from __future__ import annotations

from pathlib import Path

from tests.robustness.killrun import run_kill_cycles


def test_random_kills_lose_nothing_and_send_nothing_twice(tmp_path: Path, model_path: Path) -> None:
    report = run_kill_cycles(tmp_path, model_path, cycles=6, seed=11, max_delay=3.0)
    assert report.kills >= 3, report  # most runs were really killed mid-way
    assert report.published == 12 and report.ban_items >= 4, report
    assert (report.items_lost, report.alerts_lost, report.duplicates) == (0, 0, 0), report
