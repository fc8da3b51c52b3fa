"""Shared fixtures: a model trained once per session, local servers, config writing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.httpserver import LocalServer
from tests.support.seedfeed import local_config_lines

# CI replays the same examples every run (a property failure there is reproducible, not
# luck); locally hypothesis keeps exploring new ones and remembers what failed.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model, trained once from training/data/ for the whole session (as on the
    service's first start: without ../shared's background corpus, which takes minutes)."""
    from training.commands import train_command

    path = tmp_path_factory.mktemp("model") / "model.skops"
    train_command(path, shared=False)
    return path


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


def write_config(
    tmp_path: Path, feeds: list[str], *, model: Path | None = None, extra: str = ""
) -> Path:
    """A config for local tests: state in tmp_path, private addresses allowed."""
    lines = local_config_lines(tmp_path, timeout="3s", concurrency=4)
    if model is not None:
        lines += ["[classifier]", f'model_path = "{model}"']
    text = "\n".join(lines) + "\n" + extra + "\n"
    text += "".join(f'[[feeds]]\nurl = "{url}"\n' for url in feeds)
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- stores: every store contract test runs on SQLite and on PostgreSQL ------------------
@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """A throwaway PostgreSQL server for the session (see tests/support/pgcluster.py)."""
    from tests.support import pgcluster

    cluster, reason = pgcluster.start()
    if cluster is None:
        pytest.skip(reason)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: object) -> str:
    """A fresh, empty database on the session's server."""
    return pg_cluster.new_database()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """Opens a store on this test's database (call again: a restart on the same data)."""
    from state.sqlite import SQLiteStore

    opened: list[SQLiteStore] = []
    if request.param == "sqlite":

        def open_one() -> SQLiteStore:
            return SQLiteStore(tmp_path / "s.sqlite3")
    else:
        from state.postgres import PostgresStore

        url = request.getfixturevalue("pg_url")

        def open_one() -> SQLiteStore:
            return PostgresStore(url, pool_size=4, model_dir=tmp_path / "pg-models")

    def factory() -> SQLiteStore:
        opened.append(open_one())
        return opened[-1]

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: object) -> object:
    return make_store()  # type: ignore[operator]
