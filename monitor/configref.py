"""The configuration reference, generated from ``monitor.core.settings.SCHEMA`` so it cannot drift.

``python -m monitor.configref > docs/configuration.md`` rewrites the reference; a unit test
(tests/unit/test_config_reference.py) fails when the file and SCHEMA disagree either way.
"""

from __future__ import annotations

import sys
from typing import Any

from monitor.core.settings import FEED_KEYS, SCHEMA, Key

HEADER = """# Configuration reference

Generated from `monitor/core/settings.py` (`SCHEMA`) by `python -m monitor.configref`;
do not edit by hand (a test compares this file with the code).

One TOML file (`--config PATH` or `MONITOR_CONFIG`). Every key is optional. Environment
variables win over the file. Durations: `30s`, `10m`, `1h`, `1d`; sizes: `5MB`, `512KiB`.
"""


def _default(key: Key) -> str:
    if key.default is None:
        return "—"
    value: Any = key.default
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value}`"


def _row(section: str, name: str, key: Key) -> str:
    env = f"`{key.env}`" if key.env else ""
    doc = key.doc + (" (secret: never logged)" if key.secret else "")
    doc += f"; also `{key.env}_FILE` (a file holding it)" if key.env and key.secret else ""
    bounds = getattr(key.parse, "bounds", None)
    doc += f" ({bounds})" if bounds else ""
    return f"| `{section}.{name}` | {_default(key)} | {env} | {doc.replace('|', '/')} |"


def reference() -> str:
    """The whole reference as Markdown: one table row per key, sections in SCHEMA order."""
    lines = [HEADER]
    for section, keys in SCHEMA.items():
        lines += [f"## [{section}]", "", "| key | default | environment | meaning |"]
        lines += ["|---|---|---|---|"]
        lines += [_row(section, name, key) for name, key in keys.items()]
        lines.append("")
    lines += ["## [[feeds]]", "", "Repeat the table once per feed; giving any replaces the"]
    lines += ["embedded default list.", "", "| key | default | environment | meaning |"]
    lines += ["|---|---|---|---|"]
    lines += [_row("feeds[]", name, key) for name, key in FEED_KEYS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference())
