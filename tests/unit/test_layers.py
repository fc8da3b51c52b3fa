"""The import direction of docs/architecture.md, and the sole importers of risky libraries."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("monitor", "classifiers", "training", "state")


def imports(path: Path) -> set[str]:
    """Every module name imported anywhere in the file (top level or inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def files(package: str) -> list[Path]:
    return sorted((ROOT / package).glob("*.py"))


def ours(name: str) -> str | None:
    top = name.split(".")[0]
    return name if top in PACKAGES else None


def test_lower_layers_import_only_what_the_architecture_allows() -> None:
    allowed = {
        # classifiers knows nothing of feeds or Slack: scikit-learn plus the error tree
        "classifiers": ("classifiers", "monitor.errors"),
        # state maps records to rows
        "state": ("state", "monitor.records", "monitor.errors"),
        "training": ("training", "classifiers", "state", "monitor.records", "monitor.errors"),
    }
    offending = []
    for package, prefixes in allowed.items():
        for path in files(package):
            for name in filter(None, map(ours, imports(path))):
                if not any(name == p or name.startswith(p + ".") for p in prefixes):
                    offending.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offending == []


def test_risky_libraries_have_one_home() -> None:
    homes = {
        "feedparser": {"monitor/feeds.py"},
        "trafilatura": {"monitor/workers.py"},
        "apscheduler": {"monitor/service.py"},
        "skops": {"classifiers/artifact.py"},
    }
    found: dict[str, set[str]] = {lib: set() for lib in homes}
    for package in PACKAGES:
        for path in files(package):
            for name in imports(path):
                top = name.split(".")[0]
                if top in found:
                    found[top].add(str(path.relative_to(ROOT)))
    assert found == homes


def test_slack_sdk_stays_in_the_delivery_and_interaction_modules() -> None:
    users = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in files(package)
        if any(name.split(".")[0] == "slack_sdk" for name in imports(path))
    }
    assert users and all(
        user.startswith("monitor/") and user.removeprefix("monitor/") in SLACK_MODULES
        for user in users
    ), users


SLACK_MODULES = {"notify.py", "interact.py", "render.py", "slack.py"}
