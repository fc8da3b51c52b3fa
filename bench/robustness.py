"""Robustness figures: the hostile-input suite, SIGKILL during 50 cycles, and a load cycle.

    python bench/robustness.py [--cycles 50] [--feeds 2000] [--items 20] [--skip-suite]

1. ``tests/robustness`` under pytest (junit XML): cases tried / passed per file.
2. ``run --once`` SIGKILLed at random moments over ``--cycles`` cycles of a scripted feed,
   then one clean run: items lost, alerts lost, duplicates (tests/robustness/killrun.py).
3. One cycle over ``--feeds`` x ``--items`` local feeds in a child process: cycle time,
   peak memory (main and extraction workers), open file descriptors (loadrun.py).
Everything runs on 127.0.0.1; the model is trained once into a temporary directory.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.robustness.killrun import KillReport, run_kill_cycles  # noqa: E402
from tests.robustness.loadrun import measure  # noqa: E402


def run_suite(tmp: Path) -> dict[str, tuple[int, int]]:
    """{test file: (tried, passed)} from one pytest run of tests/robustness."""
    junit = tmp / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/robustness", "-q", "-p", "no:cacheprovider",
         f"--junitxml={junit}"],
        cwd=ROOT, capture_output=True, check=False,
    )  # fmt: skip
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("classname", "").rsplit(".", 1)[-1]
        outcome = {child.tag for child in case}
        counts[name][0] += 1
        counts[name][1] += not outcome & {"failure", "error"}  # xfail/skip: not a failure
    return {k: (v[0], v[1]) for k, v in sorted(counts.items())}


def train_model(tmp: Path) -> Path:
    from training.commands import train_command

    path = tmp / "model.skops"
    train_command(path)
    return path


def print_table(
    suite: dict[str, tuple[int, int]], kill: KillReport | None, load: dict[str, float] | None
) -> None:
    print(f"robustness benchmark, 127.0.0.1, {os.cpu_count()} cores")
    print(f"{'case group':<34} {'tried':>6} {'passed':>7} {'lost':>5} {'dups':>5} {'peak MB':>8}")
    for name, (tried, passed) in suite.items():
        print(f"{name:<34} {tried:>6} {passed:>7} {'-':>5} {'-':>5} {'-':>8}")
    if suite:
        tried, passed = (sum(x) for x in zip(*suite.values(), strict=True))
        print(f"{'suite total':<34} {tried:>6} {passed:>7}")
    if kill:
        label = f"kill -9 x{kill.kills} in {kill.cycles} cycles"
        lost = kill.items_lost + kill.alerts_lost
        print(f"{label:<34} {kill.cycles:>6} {kill.cycles if kill.passed else 0:>7} {lost:>5} "
              f"{kill.duplicates:>5} {'-':>8}")  # fmt: skip
        print(f"  published {kill.published} items, {kill.ban_items} ban items, "
              f"{kill.messages} Slack messages, {kill.elapsed:.0f} s")  # fmt: skip
    if load:
        label = f"load {load['feeds']:.0f} feeds, one cycle"
        print(f"{label:<34} {1:>6} {int(load['errors'] == 0):>7} {'-':>5} {'-':>5} "
              f"{load['peak_mb'] + load['workers_peak_mb']:>8.0f}")  # fmt: skip
        print(f"  items {load['items']:.0f}, cycle {load['elapsed']:.1f} s "
              f"({load['items'] / load['elapsed']:.0f} items/s), errors {load['errors']:.0f}, "
              f"peak RSS main {load['peak_mb']:.0f} MB + worker {load['workers_peak_mb']:.0f} MB, "
              f"fds start/peak/after {load['fds_start']:.0f}/{load['fds_peak']:.0f}/"
              f"{load['fds_after']:.0f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--skip-suite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-robustness-") as name:
        tmp = Path(name)
        suite = {} if args.skip_suite else run_suite(tmp)
        kill = None
        if args.cycles:
            (tmp / "kill").mkdir()
            kill = run_kill_cycles(tmp / "kill", train_model(tmp), args.cycles, seed=50)
        load = measure(args.feeds, args.items) if args.feeds else None
    print_table(suite, kill, load)


if __name__ == "__main__":
    main()
