"""The deployment files, checked as far as this machine allows (no Docker engine here):
docker-compose.yml parsed with PyYAML, the Dockerfile's structure linted line by line,
.env.example and the Slack app manifest compared with the settings and the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from monitor.core.settings import SCHEMA, load_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_ENV = {key.env for keys in SCHEMA.values() for key in keys.values() if key.env}
SECRET_ENV = {k.env for keys in SCHEMA.values() for k in keys.values() if k.secret and k.env}
EXTRA_ENV = {"MONITOR_CONFIG"}  # read by load_settings itself, not a SCHEMA key
TOKEN_LIKE = re.compile(r"xox[abposr]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|hooks\.slack\.com/")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [
        (m[1].upper(), m[2].strip()) for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", joined, re.M)
    ]


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text("utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


# ---------------------------------------------------------------- docker-compose.yml


def test_compose_has_the_monitor_service_with_a_named_volume() -> None:
    data = compose()
    default = {name for name, svc in data["services"].items() if not svc.get("profiles")}
    assert default == {"monitor"}  # the others belong to the "postgres" profile
    service = data["services"]["monitor"]
    assert service["restart"] == "unless-stopped"
    volumes = service["volumes"]
    named = [v.split(":")[0] for v in volumes if not v.startswith((".", "/"))]
    assert named == ["monitor-data"] and "monitor-data" in data["volumes"]
    assert any(v.startswith("monitor-data:/data") for v in volumes)
    assert "./config:/config:ro" in volumes  # a directory: monitor.toml is optional
    assert service["init"] is True  # signals reach the service, zombies are reaped
    assert service["env_file"] == ".env"


def test_compose_healthcheck_stop_and_ports() -> None:
    service = compose()["services"]["monitor"]
    check = service["healthcheck"]
    assert check["test"][0] == "CMD" and "/healthz" in " ".join(check["test"])
    assert {"interval", "timeout", "retries", "start_period"} <= set(check)
    assert service["stop_signal"] == "SIGTERM"
    assert _seconds(service["stop_grace_period"]) >= 15  # SIGTERM exits within 10 s
    assert all(p.startswith("127.0.0.1:") for p in service["ports"])  # localhost only


def test_compose_environment_names_are_settings_variables() -> None:
    service = compose()["services"]["monitor"]
    names = set(service["environment"])
    assert names <= SETTINGS_ENV | EXTRA_ENV
    assert service["environment"]["MONITOR_STATE_PATH"].startswith("/data/")
    assert not names & SECRET_ENV  # secrets come from .env, never the compose file


def test_env_example_documents_every_secret_and_only_real_variables() -> None:
    names = set(env_example())
    assert names <= SETTINGS_ENV | {"POSTGRES_PASSWORD"}  # the compose postgres profile's
    assert SECRET_ENV | {"MONITOR_SLACK_CHANNEL"} <= names
    assert all(value == "" for value in env_example().values())  # no secrets in the example
    lines = (ROOT / ".env.example").read_text("utf-8").splitlines()
    for i, line in enumerate(lines):  # every variable is explained by the comment above it
        if line.startswith(("MONITOR_", "POSTGRES_")):
            assert lines[i - 1].startswith("#"), line


# ---------------------------------------------------------------- Dockerfile


def test_dockerfile_structure() -> None:
    steps = dockerfile()
    names = [name for name, _ in steps]
    base = steps[0]
    assert base[0] == "FROM" and re.fullmatch(r"python:3\.1[1-9]-slim(@sha256:\w+)?", base[1])
    assert names.count("FROM") == 1
    user = [args for name, args in steps if name == "USER"]
    assert user and user[-1] not in {"root", "0"}
    assert names.index("USER") > max(i for i, n in enumerate(names) if n == "RUN")
    volumes = [args for name, args in steps if name == "VOLUME"]
    assert volumes and "/data" in volumes[0]
    health = [args for name, args in steps if name == "HEALTHCHECK"]
    assert health and "/healthz" in health[0] and "--interval=" in health[0]
    assert ("STOPSIGNAL", "SIGTERM") in steps
    entry = [args for name, args in steps if name == "ENTRYPOINT"]
    assert entry and entry[0].startswith("[")  # exec form: monitor is PID 1, gets SIGTERM


def test_dockerfile_installs_from_the_pins_before_the_code() -> None:
    steps = dockerfile()
    runs = [args for name, args in steps if name == "RUN"]
    assert any("-r requirements.lock" in r and "--no-deps" in r for r in runs)
    copies = [args for name, args in steps if name == "COPY"]
    assert copies[0].startswith("requirements.lock")
    pins = (ROOT / "requirements.lock").read_text("utf-8").splitlines()
    pinned = {ln.split("==")[0] for ln in pins if ln and not ln.startswith("#")}
    assert all("==" in ln for ln in pins if ln and not ln.startswith("#"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in pinned, name


def test_no_secrets_in_deployment_files() -> None:
    for name in ("Dockerfile", "docker-compose.yml", ".env.example", "slack-app-manifest.yml",
                 "monitor.example.toml"):  # fmt: skip
        text = (ROOT / name).read_text("utf-8")
        assert not TOKEN_LIKE.search(text), name
    env_lines = [args for name, args in dockerfile() if name in {"ENV", "ARG"}]
    assert not any(secret in " ".join(env_lines) for secret in SECRET_ENV)


def test_example_config_loads(tmp_path: Path) -> None:
    load_settings(ROOT / "monitor.example.toml", {})


# ---------------------------------------------------------------- Slack app manifest

USED_SCOPES = {"chat:write", "channels:history", "groups:history", "channels:read", "groups:read"}


def test_slack_manifest_scopes_socket_mode_and_interactivity() -> None:
    manifest = yaml.safe_load((ROOT / "slack-app-manifest.yml").read_text("utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert "chat:write" in scopes and scopes <= USED_SCOPES
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["bot_user"]["display_name"]


def test_manifest_scopes_match_the_slack_methods_the_code_calls() -> None:
    """chat.update/postMessage need chat:write; history/replies the history scopes;
    conversations.list (channel given by name) the read scopes: nothing else is called."""
    code = (ROOT / "monitor" / "delivery" / "slack.py").read_text("utf-8")  # the Web API caller
    called = set(re.findall(r'_call\(\s*"([a-z]+\.[A-Za-z]+)"', code))
    assert called == {
        "chat.postMessage", "chat.update", "conversations.history", "conversations.replies",
        "conversations.list",
    }  # fmt: skip


def _seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * (60 if unit == "m" else 1)


def test_compose_postgres_profile_has_a_healthy_database_and_two_replicas() -> None:
    services = compose()["services"]
    postgres = services["postgres"]
    assert postgres["profiles"] == ["postgres"] and "healthcheck" in postgres
    assert any(v.startswith("postgres-data:") for v in postgres["volumes"])
    replicas = [s for name, s in services.items() if name.startswith("replica-")]
    assert len(replicas) == 2
    for replica in replicas:
        assert replica["profiles"] == ["postgres"]
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "MONITOR_DATABASE_URL" not in replica["environment"]  # a secret: from .env
