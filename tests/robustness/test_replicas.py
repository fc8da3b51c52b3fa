"""Real ``monitor run`` replicas on one PostgreSQL: no item or alert twice, none lost,
each feed polled once per cycle, a killed replica's feeds taken over after the lease."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.robustness.replicarun import (
    INTERVAL,
    Farm,
    Replicas,
    all_delivered,
    check,
    replica_config,
    replica_env,
    rows,
    run_kills,
)
from tests.support.fake_slack import FakeSlack
from tests.support.httpserver import LocalServer
from tests.support.seedfeed import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
LEASE = 5.0  # longer than a cold first poll (extraction workers starting)


def tail(replicas: Replicas, n: int) -> str:
    return replicas.log(n).read_text(errors="replace")[-3000:] if replicas.log(n).exists() else ""


@pytest.mark.parametrize("count", [2, 3])
def test_replicas_share_the_feeds_without_duplicates(
    count: int, pg_url: str, model_path: Path, tmp_path: Path
) -> None:
    with LocalServer() as server, FakeSlack() as slack:
        farm = Farm(server, feeds=6)
        for k in range(6):
            farm.publish(k)
        config = replica_config(tmp_path, farm, slack, model_path, lease="20s")
        replicas = Replicas(config, replica_env(slack, pg_url), tmp_path)
        try:
            for n in range(count):  # together, on an empty database: one migrates
                replicas.start(n)
            assert wait_for(lambda: all_delivered(pg_url, slack, 6), 90, 0.2), tail(replicas, 0)
            for k in range(6, 12):  # more news while they run
                farm.publish(k)
            assert wait_for(lambda: all_delivered(pg_url, slack, 12), 60, 0.2), tail(replicas, 0)
            time.sleep(2 * INTERVAL)  # a few more cycles with nothing new
        finally:
            replicas.stop_all()
        outcome = check(pg_url, slack, farm)
        migrated = rows(pg_url, "SELECT track, version, COUNT(*) AS n FROM schema_migrations"
                                " GROUP BY track, version")  # fmt: skip
    assert outcome.passed and outcome.fetched_twice == 0, outcome
    assert outcome.ban_items == 12 and all(m["n"] == 1 for m in migrated)


def test_kill_9_one_of_two_replicas_repeatedly(
    pg_url: str, model_path: Path, tmp_path: Path
) -> None:
    kills = 6  # bench/replica_kills.py runs 20
    outcome, takeovers = run_kills(tmp_path, model_path, pg_url, kills, lease=LEASE)
    assert outcome.passed, outcome
    assert outcome.ban_items == kills
    assert max(takeovers) <= LEASE + 2 * INTERVAL + 3
