"""A throwaway PostgreSQL server for tests, or the one named by MONITOR_TEST_DATABASE_URL.

The server binaries (Debian: /usr/lib/postgresql/<v>/bin, else ``pg_config --bindir``)
start a cluster in a temp folder on 127.0.0.1 and a free port, with fsync off. PostgreSQL
refuses to run as root, so as root the cluster belongs to the ``postgres`` system user.
``Cluster.stop`` stops it and removes the folder. Each test gets its own database
(``new_database``), created from template1 in a few milliseconds.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "MONITOR_TEST_DATABASE_URL"


def bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and Path(out.stdout.strip(), "initdb").exists():
            return Path(out.stdout.strip())
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    url: str  # maintenance URL (database "postgres")
    folder: Path | None = None  # None: an external server, not ours to stop
    bindir: Path | None = None
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))

    def stop(self) -> None:
        if self.folder is None or self.bindir is None:
            return
        _run(self.bindir / "pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> tuple[Cluster | None, str]:
    """A cluster (or the external server), else None and the one-line reason to skip."""
    if os.environ.get(ENV_URL):
        return Cluster(os.environ[ENV_URL]), ""
    binaries = bindir()
    if binaries is None:
        return None, f"no PostgreSQL server binaries found and {ENV_URL} is not set"
    if os.geteuid() == 0 and not _has_user("postgres"):
        return None, "running as root and there is no 'postgres' user to run the server"
    folder = Path(tempfile.mkdtemp(prefix="monitor-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = free_port()
    data = folder / "data"
    try:
        _run(binaries / "initdb", "-D", str(data), "-A", "trust", "-U", "postgres",
             "-E", "UTF8", "--no-sync")  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 {_FAST}"
        _run(binaries / "pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"),
             "-w", "start")  # fmt: skip
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return None, f"could not start a PostgreSQL test server: {exc.stderr.strip()[:200]}"
    return Cluster(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, binaries), ""


# a throwaway server: durability off, room for several replicas' pools
_FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"


def _run(*args: str | Path) -> None:
    command = [str(a) for a in args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, text=True, cwd="/")


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
