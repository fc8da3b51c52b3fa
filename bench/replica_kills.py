"""kill -9 one of two replicas 20 times (the long form of tests/robustness/test_replicas.py).

    python bench/replica_kills.py [--kills 20] [--lease 5]

Two real ``monitor run`` replicas on a throwaway PostgreSQL poll a local farm; each round
publishes a ban story, slows the fake Slack, SIGKILLs one replica at a random moment,
waits until the survivor has polled every feed, and restarts the dead one. Prints items
and alerts lost or doubled, and the takeover times.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.robustness.replicarun import run_kills  # noqa: E402
from tests.support import pgcluster  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--lease", type=float, default=5.0)
    args = parser.parse_args()
    cluster, reason = pgcluster.start()
    if cluster is None:
        print(f"skipped: {reason}")
        return 0
    try:
        from training.commands import train_command

        work = Path(tempfile.mkdtemp(prefix="bench-kills-"))
        train_command(work / "model.skops")
        outcome, takeovers = run_kills(
            work, work / "model.skops", cluster.new_database(), args.kills, lease=args.lease
        )
    finally:
        cluster.stop()
    print(outcome)
    print(f"takeover after a kill: max {max(takeovers):.1f}s, lease {args.lease:g}s")
    print("PASS" if outcome.passed and outcome.ban_items == args.kills else "FAIL")
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
