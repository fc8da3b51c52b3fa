"""The configuration reference (docs/configuration.md) and the settings code agree both ways,
and the README's example configuration is accepted by the real loader."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from monitor.configref import reference
from monitor.core.settings import FEED_KEYS, SCHEMA, load_settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
ROW = re.compile(r"^\| `([a-z_\[\]]+)\.([a-z_]+)` \| (.*?) \| (.*?) \| (.*) \|$")


def documented() -> dict[str, tuple[str, str, str]]:
    """``"section.key" -> (default, env, meaning)`` for every table row of the reference."""
    rows = {}
    for line in DOC.read_text("utf-8").splitlines():
        if m := ROW.match(line):
            rows[f"{m[1]}.{m[2]}"] = (m[3], m[4].strip("`"), m[5])
    return rows


def in_code() -> set[str]:
    keys = {f"{section}.{name}" for section, names in SCHEMA.items() for name in names}
    return keys | {f"feeds[].{name}" for name in FEED_KEYS}


def test_every_documented_key_exists_in_the_code_and_vice_versa() -> None:
    docs = set(documented())
    assert docs - in_code() == set(), "documented but not in settings.SCHEMA"
    assert in_code() - docs == set(), "in settings.SCHEMA but not documented"


def test_documented_env_variables_and_docs_match_the_code() -> None:
    docs = documented()
    for section, keys in SCHEMA.items():
        for name, key in keys.items():
            default, env, meaning = docs[f"{section}.{name}"]
            assert env == (key.env or ""), f"{section}.{name}"
            assert meaning.startswith(key.doc.replace("|", "/")), f"{section}.{name}"
            assert (default == "—") == (key.default is None), f"{section}.{name}"


def test_reference_file_is_exactly_what_the_generator_writes() -> None:
    assert DOC.read_text("utf-8") == reference(), "run: python -m monitor.configref > " + str(
        DOC.relative_to(ROOT)
    )


def test_readme_example_configuration_loads(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    assert blocks, "the README shows an example monitor.toml"
    for block in blocks:
        tomllib.loads(block)  # valid TOML
        path = tmp_path / "example.toml"
        path.write_text(block, encoding="utf-8")
        load_settings(path, {})  # raises ConfigError on any unknown key or bad value
