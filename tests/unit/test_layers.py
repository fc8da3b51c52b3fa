"""The import direction of docs/architecture.md, no import circle, one home per risky library.

The graph is read with ``ast`` from every file of the four top-level packages, imports
inside functions included (an import hidden in a function is still a dependency: it runs
the first time the function does). Modules are dotted names (``monitor.ingest.fetch``);
``from monitor.alerting import dedupe`` counts as an import of ``monitor.alerting.dedupe``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("monitor", "classifiers", "training", "state")

# Which of our modules each layer may import (prefixes). The root of ``monitor``
# (pipeline, service, bootstrap, cli ...) is the composition root: it may import anything.
RULES: dict[str, tuple[str, ...]] = {
    "monitor.core": ("monitor.core",),
    "monitor.ingest": ("monitor.core", "monitor.ingest"),
    "monitor.summary": ("monitor.core", "monitor.summary"),
    "monitor.scoring": ("monitor.core", "monitor.scoring", "classifiers", "state", "training"),
    # alerting reads the model's pure meaning analyser (classifiers.meaning) for routing
    "monitor.alerting": (
        "monitor.core",
        "monitor.alerting",
        "monitor.summary",
        "state",
        "classifiers.meaning",
    ),
    "monitor.delivery": ("monitor.core", "monitor.delivery", "state"),
    "monitor.feedback": ("monitor.core", "monitor.feedback", "monitor.ops", "state"),
    "monitor.ops": ("monitor.core", "monitor.ops", "state"),
    "state": ("state", "monitor.core"),
    "classifiers": ("classifiers", "monitor.core"),
    "training": ("training", "classifiers", "state", "monitor.core"),
}
ROOT_PACKAGE = "monitor"  # modules directly in monitor/ (and monitor/__init__) are the root

HOMES = {
    "feedparser": {"monitor/ingest/feeds.py"},
    "trafilatura": {"monitor/ingest/workers.py"},
    "readability": {"monitor/ingest/readable.py"},
    "lxml": {"monitor/ingest/readable.py"},
    "httpx": {
        "monitor/ingest/fetch.py",
        "monitor/ingest/netguard.py",
        "monitor/ingest/outcomes.py",
    },
    "aiohttp": {"monitor/ingest/poller.py"},
    "yarl": {"monitor/ingest/poller.py"},
    "apscheduler": {"monitor/service.py"},
    "skops": {"classifiers/artifact.py"},
    "prometheus_client": {"monitor/ops/metrics.py"},
}
SLACK_HOMES = ("monitor/delivery/", "monitor/feedback/interact.py")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Every module of the packages, by dotted name, subfolders included."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def imported_names(path: Path, name: str, known: Iterable[str] = ()) -> set[str]:
    """Every module name imported anywhere in the file; relative imports resolved.

    ``from pkg import mod`` names ``pkg.mod`` when that is one of the ``known`` modules,
    else ``pkg`` (the names are then attributes of ``pkg``)."""
    known = set(known)
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            subs = {f"{base}.{alias.name}" for alias in node.names} & known
            names.update(subs)
            if len(subs) < len(node.names):
                names.add(base)
    return names


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (only names that are real modules)."""
    mods = modules(root, packages)
    return {
        name: {n for n in imported_names(path, name, mods) if n in mods and n != name}
        for name, path in mods.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The import circles (strongly connected components of two or more, or self-loops)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan; the graph is small, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_of(module: str, rules: Mapping[str, tuple[str, ...]]) -> str | None:
    """The most specific rule prefix the module falls under; None for the root."""
    matches = [p for p in rules if module == p or module.startswith(p + ".")]
    return max(matches, key=len) if matches else None


def violations(
    graph: Mapping[str, set[str]], rules: Mapping[str, tuple[str, ...]] = RULES
) -> list[str]:
    """Imports that break the rules: a layered module importing the root or outside its
    allow-list. Root modules (``monitor.x`` with no rule) may import anything."""
    bad = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module, rules)
        if layer is None:
            continue
        allowed = rules[layer]
        for target in sorted(targets):
            if layer_of(target, rules) is None and target.split(".")[0] == ROOT_PACKAGE:
                if target != ROOT_PACKAGE:  # the package __init__ itself is harmless
                    bad.append(f"{module} imports the root module {target}")
                continue
            if not any(target == p or target.startswith(p + ".") for p in allowed):
                bad.append(f"{module} imports {target} ({layer} may import {allowed})")
    return bad


def library_users(root: Path, library: str) -> set[str]:
    found = set()
    for name, path in modules(root).items():
        if any(n.split(".")[0] == library for n in imported_names(path, name)):
            found.add(str(path.relative_to(root)))
    return found


# -- the rules on this tree ---------------------------------------------------------------


def test_every_module_is_in_a_layer_or_the_root() -> None:
    graph = import_graph(ROOT)
    unplaced = [
        m
        for m in graph
        if layer_of(m, RULES) is None and m.count(".") > 1  # monitor.<pkg>.<mod> needs a rule
    ]
    assert unplaced == []
    assert len(graph) > 60  # the walk reaches the subpackages


def test_the_tree_has_no_import_circle() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_layers_import_only_what_the_architecture_allows() -> None:
    assert violations(import_graph(ROOT)) == []


def test_risky_libraries_have_one_home() -> None:
    assert {lib: library_users(ROOT, lib) for lib in HOMES} == HOMES


def test_slack_sdk_stays_in_the_delivery_and_interaction_modules() -> None:
    users = library_users(ROOT, "slack_sdk")
    assert users and all(u.startswith(SLACK_HOMES) for u in users), users


# -- the checker itself, on a small synthetic tree ----------------------------------------


def _tree(tmp_path: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


SYNTHETIC = {
    "monitor/__init__.py": "",
    "monitor/bootstrap.py": "from monitor.ingest import fetch\nfrom monitor.core import records\n",
    "monitor/core/__init__.py": "",
    "monitor/core/records.py": "",
    "monitor/ingest/__init__.py": "",
    "monitor/ingest/fetch.py": "from monitor.core.records import X\nfrom . import urls\n",
    "monitor/ingest/urls.py": "",
    "monitor/summary/__init__.py": "",
    "monitor/summary/facts.py": "",
}


def test_checker_passes_a_clean_synthetic_tree(tmp_path: Path) -> None:
    graph = import_graph(_tree(tmp_path, SYNTHETIC), ["monitor"])
    assert graph["monitor.ingest.fetch"] == {"monitor.core.records", "monitor.ingest.urls"}
    assert violations(graph) == [] and cycles(graph) == []


def test_checker_flags_a_subpackage_importing_the_root(tmp_path: Path) -> None:
    files = {**SYNTHETIC, "monitor/ingest/urls.py": "def f():\n    import monitor.bootstrap\n"}
    graph = import_graph(_tree(tmp_path, files), ["monitor"])
    assert violations(graph) == ["monitor.ingest.urls imports the root module monitor.bootstrap"]
    # and the hidden, in-function import closes a circle: bootstrap -> fetch -> urls -> bootstrap
    assert cycles(graph) == [["monitor.bootstrap", "monitor.ingest.fetch", "monitor.ingest.urls"]]


def test_checker_flags_an_import_outside_the_allow_list(tmp_path: Path) -> None:
    files = {**SYNTHETIC, "monitor/ingest/fetch.py": "from monitor.summary import facts\n"}
    graph = import_graph(_tree(tmp_path, files), ["monitor"])
    (problem,) = violations(graph)
    assert problem.startswith("monitor.ingest.fetch imports monitor.summary.facts")


def test_checker_flags_core_importing_a_stage(tmp_path: Path) -> None:
    files = {**SYNTHETIC, "monitor/core/records.py": "from ..ingest.urls import canonical\n"}
    graph = import_graph(_tree(tmp_path, files), ["monitor"])
    assert [v.split(" (")[0] for v in violations(graph)] == [
        "monitor.core.records imports monitor.ingest.urls"
    ]
