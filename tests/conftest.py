"""Shared fixtures: a model trained once per session, local servers, config writing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.httpserver import LocalServer
from tests.support.seedfeed import local_config_lines


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
