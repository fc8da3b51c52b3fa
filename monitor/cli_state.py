"""``monitor migrate`` and ``monitor state copy``: the database itself.

- ``migrate``: open the configured store (SQLite file or ``[state] url``), which applies
  the pending migrations (on PostgreSQL under an advisory lock), print the version, exit.
- ``state copy --from sqlite:PATH --to postgresql://...``: move an installation into
  PostgreSQL (``state.copy``), then compare the row count of every table; exit 1 on any
  difference. URLs are printed without their password.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from monitor.core.errors import ConfigError
from monitor.core.settings import Settings


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "migrate", parents=[common], help="apply database migrations and exit"
    ).set_defaults(handler=cmd_migrate)
    state = sub.add_parser("state", parents=[common], help="the state database")
    state_sub = state.add_subparsers(metavar="ACTION", required=True)
    copy = state_sub.add_parser("copy", parents=[common], help="copy SQLite into PostgreSQL")
    copy.add_argument("--from", dest="source", required=True, metavar="sqlite:PATH")
    copy.add_argument("--to", dest="target", required=True, metavar="postgresql://...")
    copy.set_defaults(handler=cmd_state_copy)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import open_store

    store = open_store(settings)
    try:
        print(f"state: {store.path} at schema version {store.schema_version}")
    finally:
        store.close()
    return 0


def cmd_state_copy(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.scoring.registry import models_dir
    from state.copy import copy_store
    from state.postgres import PostgresStore
    from state.sqlite import SQLiteStore

    if not args.source.startswith("sqlite:"):
        raise ConfigError("state copy: --from must be sqlite:PATH")
    if not args.target.startswith(("postgresql://", "postgres://")):
        raise ConfigError("state copy: --to must be a postgresql:// URL")
    path = Path(args.source.removeprefix("sqlite:"))
    if not path.is_file():
        raise ConfigError(f"state copy: no SQLite file at {path}")
    source = SQLiteStore(path)
    target = PostgresStore(args.target, model_dir=models_dir(settings))
    try:
        report = copy_store(source, target)
    finally:
        source.close()
        target.close()
    for table, (before, after) in report.counts.items():
        mark = "ok" if before == after else "MISMATCH"
        print(f"{table:<12} {before:>8} -> {after:>8}  {mark}")
    if not report.ok:
        print("state copy: counts differ; do not switch to the copy", file=sys.stderr)
        return 1
    print(f"state copy: {path} -> {target.path}: every table verified by count")
    return 0
