"""The ``monitor`` command line.

Exit codes: 0 ok, 1 runtime failure (e.g. the database is unusable), 2 bad
usage or configuration (one line on stderr naming the key).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar
from xml.etree import ElementTree

from monitor import cli_events, cli_labels, cli_ops, cli_state
from monitor.core import logs
from monitor.core.errors import ConfigError, MonitorError, redact
from monitor.core.ports import ScorerPort
from monitor.core.records import Feed
from monitor.core.settings import (
    FEED_KEYS,
    Settings,
    load_settings,
    parse_backfill,
    sync_configured_feeds,
)

Handler = Callable[[argparse.Namespace, Settings], int]
T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    logs.configure(args.log_level or "INFO")
    try:
        settings = load_settings(args.config, os.environ)
        level = args.log_level or settings.logging.level  # flag > env > file > default
        logs.configure(level, fmt=settings.logging.format)
        return int(args.handler(args, settings))
    except ConfigError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 2
    except MonitorError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="TOML config file (default: $MONITOR_CONFIG, else built-in defaults)",
    )
    common.add_argument(
        "--log-level", default=argparse.SUPPRESS, choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser = argparse.ArgumentParser(
        prog="monitor",
        parents=[common],
        description="appban-monitor: alerts when an authority bans an app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {cli_ops.version()}")
    parser.set_defaults(config=None, log_level=None)
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run the service (foreground)")
    run.add_argument("--once", action="store_true", help="one cycle over all due feeds, then exit")
    run.set_defaults(handler=cmd_run)

    status = sub.add_parser("status", parents=[common], help="feed health and counts")
    status.add_argument("--check", action="store_true", help="exit 1 when unhealthy (probes)")
    status.set_defaults(handler=cmd_status)

    feeds = sub.add_parser("feeds", parents=[common], help="manage feeds")
    feeds_sub = feeds.add_subparsers(metavar="ACTION", required=True)
    feeds_sub.add_parser("list", parents=[common], help="list feeds").set_defaults(
        handler=cmd_feeds_list
    )
    add = feeds_sub.add_parser("add", parents=[common], help="add a feed")
    add.add_argument("url")
    add.add_argument("--name", default="")
    add.add_argument("--interval", default=None, help="e.g. 10m")
    add.add_argument(
        "--backfill", default=None, help="first-poll catch-up window, e.g. 3d, or 'all'"
    )
    add.set_defaults(handler=cmd_feeds_add)
    remove = feeds_sub.add_parser("remove", parents=[common], help="stop polling a feed")
    remove.add_argument("url")
    remove.set_defaults(handler=cmd_feeds_remove)
    export = feeds_sub.add_parser("export", parents=[common], help="write the feeds as OPML")
    export.add_argument("--output", type=Path, default=None, help="file (default stdout)")
    export.set_defaults(handler=cli_ops.cmd_feeds_export)
    opml = feeds_sub.add_parser("import", parents=[common], help="add the feeds of an OPML file")
    opml.add_argument("opml_file", type=Path)
    opml.set_defaults(handler=cmd_feeds_import)

    alerts = sub.add_parser("alerts", parents=[common], help="the alerts outbox")
    alerts_sub = alerts.add_subparsers(metavar="ACTION", required=True)
    alerts_sub.add_parser("list", parents=[common], help="recent alerts").set_defaults(
        handler=cmd_alerts_list
    )
    alerts_sub.add_parser(
        "retry", parents=[common], help="queue failed alerts for sending again"
    ).set_defaults(handler=cmd_alerts_retry)

    train = sub.add_parser("train", parents=[common], help="train the classifier")
    train.add_argument("--output", type=Path, default=None, help="artifact path")
    train.set_defaults(handler=cmd_train)
    sub.add_parser("eval", parents=[common], help="evaluate the classifier").set_defaults(
        handler=cmd_eval
    )
    classify = sub.add_parser("classify", parents=[common], help="score JSONL items")
    classify.add_argument("--model", type=Path, default=None)
    classify.add_argument("--input", type=Path, default=None, help="JSONL in (default stdin)")
    classify.add_argument("--output", type=Path, default=None, help="JSONL out (default stdout)")
    classify.set_defaults(handler=cmd_classify)
    backup = sub.add_parser("backup", parents=[common], help="online copy of the state file")
    backup.add_argument("path", type=Path, help="file (replaced safely) or directory")
    backup.set_defaults(handler=cli_ops.cmd_backup)
    cli_labels.register(sub, common)  # label, labels, retrain, models, review
    cli_events.register(sub, common)  # events list, events show
    cli_state.register(sub, common)  # migrate, state copy
    return parser


# -- run / status -----------------------------------------------------------
def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import limit_malloc_arenas, writer_lock

    limit_malloc_arenas(os.environ)  # before the feed threads and the model-load thread
    with writer_lock(settings):  # one service per state file; exits 1 naming the holder
        return _serve(args, settings)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import threading

    from monitor.bootstrap import (
        build_app,
        build_scorer,
        freeze_heap,
        model_ready,
        one_at_a_time,
        serve_http,
    )
    from monitor.scoring.score import BackgroundScorer
    from monitor.service import Service, StartupInterrupted, interruptible_startup

    stop = threading.Event()
    try:
        with interruptible_startup(stop):  # SIGTERM while training/loading: exit 0 at once
            if model_ready(settings):  # loaded on a thread, after the first requests
                background = BackgroundScorer(lambda: build_scorer(settings))
                background.when_ready(freeze_heap)
                scorer: ScorerPort = background
            else:  # the first start trains, here, where a stop signal can interrupt it
                scorer = build_scorer(settings)
                freeze_heap()
            app = build_app(settings, scorer=scorer, stop=stop)
            if isinstance(scorer, BackgroundScorer) and not args.once:
                # the service warms it up once a feed answered; --once loads it for the
                # first article to score, so a cycle with nothing new never loads it
                assert app.heartbeat is not None
                app.heartbeat.on_first_beat(scorer.start)
    except StartupInterrupted:
        print("stopped during start-up", file=sys.stderr)
        return 0
    try:
        tick = _tick(settings)
        service = Service(
            app.deps,
            tick=tick,
            extra_jobs=list(app.jobs),
            after_cycle=app.after_cycle,  # metrics, drain, feed-health notices
            # on every committed alert and every drain_every seconds; one replica at a time
            drain=one_at_a_time(app.store, "drain", app.drain),
            drain_every=max(1.0, min(tick, 10.0)),
        )
        if args.once:
            report = service.cycle()
            counts = app.store.alert_counts()
            print(
                f"cycle: {len(report.runs)} feeds, {report.new} new items, "
                f"{sum(r.alerted for r in report.runs)} alerts, {report.errors} errors; "
                f"outbox: {counts['sent']} sent, {counts['pending']} pending, "
                f"{counts['failed']} failed",
                file=sys.stderr,
            )
        else:
            serve_http(app, service)  # /healthz, /metrics (when [http] listen is set)
            service.run_forever()
    finally:
        app.close()
    return 0


def _tick(settings: Settings) -> float:
    intervals = [settings.polling.interval] + [f.interval for f in settings.feeds if f.interval]
    return max(1.0, min(30.0, *intervals))


def cmd_status(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    from monitor.bootstrap import open_store

    out = out or sys.stdout
    store = open_store(settings)
    try:
        feeds = store.feeds()
        print(f"state: {store.path} (schema v{store.schema_version})", file=out)
        print(f"items: {store.count_items()}", file=out)
        refused = store.get_meta("model_refused")
        if refused:
            print(f"model: {refused}", file=out)
        counts = store.alert_counts()
        print(
            f"alerts: {counts['sent']} sent, {counts['pending']} pending, "
            f"{counts['failed']} failed",
            file=out,
        )
        for alert in store.alerts("failed", limit=20):
            print(
                f"  failed {alert.id} ({alert.summary.title[:60]!r}): {alert.last_error}", file=out
            )
        pending = [a for a in store.alerts("pending", limit=20) if a.last_error]
        for alert in pending:
            print(f"  retrying {alert.id}: {alert.last_error}", file=out)
        failing = [f for f in feeds if f.consecutive_failures]
        print(f"feeds: {len(feeds)} ({len(failing)} failing)", file=out)
        _print_table(
            out,
            ["feed", "last success", "failures", "next check", "last error / warning"],
            [
                [
                    f.name or redact(f.url),
                    _when(f.last_success),
                    str(f.consecutive_failures),
                    _when(f.next_check),
                    redact(
                        f.last_error or (f"warning: {f.last_warning}" if f.last_warning else "")
                    )[:80],
                ]
                for f in feeds
            ],
        )
        if getattr(args, "check", False):  # for cron and container probes: exit 1 when unhealthy
            return cli_ops.report_check(out, store, settings, feeds, _tick(settings))
    finally:
        store.close()
    return 0


# -- feeds ------------------------------------------------------------------
def cmd_feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    feeds = _with_store(settings, lambda store, now: store.feeds())
    _print_table(
        sys.stdout,
        ["name", "url", "interval"],
        [[f.name, redact(f.url), _seconds(f.interval or settings.polling.interval)] for f in feeds],
    )
    return 0


def cmd_feeds_add(args: argparse.Namespace, settings: Settings) -> int:
    feed = _feed_from_args(args.url, args.name, args.interval, args.backfill)
    added = _with_store(settings, lambda store, now: store.add_feed(feed, "cli", now))
    print(("added " if added else "already present: ") + redact(feed.url))
    return 0


def cmd_feeds_remove(args: argparse.Namespace, settings: Settings) -> int:
    removed = _with_store(settings, lambda store, now: store.remove_feed(args.url))
    if not removed:
        print(f"error: no such feed: {redact(args.url)}", file=sys.stderr)
        return 1
    print(f"removed {redact(args.url)} (its items and history are kept)")
    return 0


def cmd_feeds_import(args: argparse.Namespace, settings: Settings) -> int:
    feeds = read_opml(args.opml_file)
    added = _with_store(
        settings, lambda store, now: sum(store.add_feed(f, "opml", now) for f in feeds)
    )
    print(f"imported {len(feeds)} feeds from {args.opml_file} ({added} new)")
    return 0


def read_opml(path: Path) -> list[Feed]:
    """Feeds (``xmlUrl`` outlines) of an OPML file; bad URLs are a ConfigError naming them."""
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as exc:
        raise ConfigError(f"opml: cannot read {path}: {exc}") from None
    feeds = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if url:
            title = outline.get("title")
            name = title if title is not None else outline.get("text") or ""
            feeds.append(_feed_from_args(url, name, outline.get("interval")))
    return feeds


def _feed_from_args(url: str, name: str, interval: str | None, backfill: str | None = None) -> Feed:
    try:
        parsed_url = FEED_KEYS["url"].parse(url)
        parsed_interval = FEED_KEYS["interval"].parse(interval) if interval else None
        parsed_backfill = parse_backfill(backfill) if backfill else None
    except ValueError as exc:
        raise ConfigError(f"feed: {exc}") from None
    return Feed(parsed_url, name, parsed_interval, parsed_backfill)


def _with_store(settings: Settings, action: Callable[[Any, datetime], T]) -> T:
    """Run ``action(store, now)`` on the store, with the configured feeds synced first."""
    from monitor.bootstrap import open_store, utcnow

    store = open_store(settings)
    try:
        sync_configured_feeds(store, settings, utcnow())
        return action(store, utcnow())
    finally:
        store.close()


# -- alerts -------------------------------------------------------------------
def cmd_alerts_list(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import open_store

    store = open_store(settings)
    try:
        rows = [
            [
                a.id,
                a.kind,
                a.status,
                a.event_id,
                ", ".join(a.summary.apps) or "?",
                a.summary.title[:60],
            ]
            for a in store.alerts(limit=200)
        ]
    finally:
        store.close()
    _print_table(sys.stdout, ["alert", "kind", "status", "event", "apps", "title"], rows)
    return 0


def cmd_alerts_retry(args: argparse.Namespace, settings: Settings) -> int:
    count = _with_store(settings, lambda store, now: store.retry_failed())
    print(f"{count} failed alerts queued again; the running service sends them next drain")
    return 0


# -- classifier ---------------------------------------------------------------
def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import default_model_path
    from training.commands import train_command

    output = args.output or default_model_path(settings)
    artifact = train_command(output)
    meta = artifact.metadata
    print(f"trained {meta.version} -> {output} (threshold {meta.threshold:.3f})")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from training.commands import eval_command

    return eval_command(sys.stdout)


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.bootstrap import default_model_path, load_or_train
    from training.commands import classify_command

    model = args.model
    if model is None:
        load_or_train(settings)  # make sure the default model exists
        model = default_model_path(settings)
    infile = open(args.input, encoding="utf-8") if args.input else sys.stdin  # noqa: SIM115
    outfile = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    try:
        return classify_command(model, infile, outfile)
    finally:
        if args.input:
            infile.close()
        if args.output:
            outfile.close()


# -- helpers ------------------------------------------------------------------
def _print_table(out: TextIO, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    for row in [header, *rows]:
        print(
            "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip(), file=out
        )


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"  # type: ignore[attr-defined]


def _seconds(value: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if value >= size and value % size == 0:
            return f"{int(value // size)}{unit}"
    return f"{value:g}s"


if __name__ == "__main__":
    raise SystemExit(main())
