"""Console, JSONL and fan-out notifiers: what they write, round trips, find_sent."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.core.errors import NotifyError
from monitor.core.records import Alert, Summary
from monitor.delivery.notify import ConsoleNotifier, Delivery, JsonlNotifier, MultiNotifier
from tests.support.fakes import FakeNotifier

T0 = datetime(2025, 3, 16, 12, 0, tzinfo=UTC)
SUMMARY = Summary(
    apps=("TikTok", "CapCut"),
    authority="Ofcom",
    jurisdiction="United Kingdom",
    action="ban",
    evidence=("TikTok is banned <!channel>.",),
    abstract="A ban.",
    source="Example News",
    url="https://news.example/1",
    published=T0,
    title="UK bans TikTok",
    score=0.8,
    model_version="m1",
    why=("banned",),
)


def make_alert(alert_id: str = "al-1", kind: str = "alert", **extra: object) -> Alert:
    return Alert(alert_id, "ev-1", kind, 1, SUMMARY, T0, **extra)  # type: ignore[arg-type]


def test_console_prints_a_readable_block() -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    assert notifier.send(make_alert()) == Delivery(ts=None, channel=None)
    notifier.send(make_alert("al-2", kind="update", new_facts=("in force",)))
    text = out.getvalue()
    assert ":rotating_light: TikTok, CapCut banned by Ofcom" in text
    assert "  Jurisdiction: United Kingdom" in text
    assert "  Scope: unknown" in text
    assert "<!channel>" in text  # plain text: the console cannot ping anyone
    assert "Also reported by Example News: UK bans TikTok — new: in force" in text
    assert notifier.find_sent(make_alert()) is None  # at-least-once
    assert notifier.supports_threads is False


def test_jsonl_round_trip_has_every_key(tmp_path: Path) -> None:
    path = tmp_path / "out" / "alerts.jsonl"
    notifier = JsonlNotifier(path)
    notifier.send(make_alert())
    notifier.send(make_alert("al-2", kind="update", thread_ts="17.1", new_facts=("x",)))
    first, second = (json.loads(line) for line in path.read_text("utf-8").splitlines())
    assert first == {
        "kind": "alert",
        "alert_id": "al-1",
        "event_id": "ev-1",
        "created_at": "2025-03-16T12:00:00+00:00",
        "title": "UK bans TikTok",
        "apps": ["TikTok", "CapCut"],
        "authority": "Ofcom",
        "jurisdiction": "United Kingdom",
        "scope": None,
        "action": "ban",
        "status": None,
        "effective_date": None,
        "evidence": ["TikTok is banned <!channel>."],
        "abstract": "A ban.",
        "source": "Example News",
        "url": "https://news.example/1",
        "published": "2025-03-16T12:00:00+00:00",
        "score": 0.8,
        "model_version": "m1",
        "why": ["banned"],
        "source_count": 1,
        "new_facts": [],
        "thread_of": None,
        "previous_status": None,
        "summary_status": None,
    }
    assert (second["kind"], second["thread_of"], second["new_facts"]) == ("update", "17.1", ["x"])


def test_jsonl_status_update_names_the_new_and_the_previous_status(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    notifier = JsonlNotifier(path)
    notifier.send(make_alert(event_status="in_force"))
    change = make_alert(
        "al-2", kind="update", event_status="blocked_by_court", previous_status="in_force"
    )
    notifier.send(change)
    first, second = (json.loads(line) for line in path.read_text("utf-8").splitlines())
    assert (first["status"], first["previous_status"]) == ("in_force", None)
    assert second["kind"] == "update"
    assert (second["status"], second["previous_status"]) == ("blocked_by_court", "in_force")
    assert set(first) == set(second)  # every record has every key
    out = io.StringIO()
    ConsoleNotifier(out).send(change)
    assert (
        out.getvalue()
        .splitlines()[1]
        .startswith(
            "Status: blocked by a court (was: in force) — reported by Example News: UK bans TikTok"
        )
    )


def test_jsonl_find_sent_scans_the_file_and_skips_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    notifier = JsonlNotifier(path)
    assert notifier.find_sent(make_alert()) is None  # no file yet
    notifier.send(make_alert("al-1"))
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"alert_id": "al-torn"')  # a crash mid-write
    assert notifier.find_sent(make_alert("al-1")) == Delivery(ts=None, channel=None)
    assert JsonlNotifier(path).find_sent(make_alert("al-torn")) is None
    assert notifier.find_sent(make_alert("al-other")) is None


def test_jsonl_concurrent_writes_keep_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    notifier = JsonlNotifier(path)
    threads = [
        threading.Thread(
            target=lambda n=n: [notifier.send(make_alert(f"al-{n}-{i}")) for i in range(10)]
        )
        for n in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [json.loads(line)["alert_id"] for line in path.read_text("utf-8").splitlines()]
    assert sorted(ids) == sorted(f"al-{n}-{i}" for n in range(8) for i in range(10))


def test_jsonl_unwritable_path_is_a_notify_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(NotifyError, match="cannot append"):
        JsonlNotifier(blocker / "alerts.jsonl").send(make_alert())


@dataclass
class Primary(FakeNotifier):
    """A primary that delivers into ``sent`` or raises the queued failure."""

    name: str = "primary"
    supports_threads: bool = True
    sent: list[str] = field(default_factory=list)
    failures: list[NotifyError] = field(default_factory=list)
    closed: bool = False

    def send(self, alert: Alert) -> Delivery:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(alert.id)
        return Delivery(ts=f"{len(self.sent)}.0", channel="C1")

    def update_parent(self, parent: Alert, source_count: int) -> None:
        pass

    def find_sent(self, alert: Alert) -> Delivery | None:
        return Delivery(ts="1.0", channel="C1") if alert.id in self.sent else None

    def close(self) -> None:
        self.closed = True


def test_multi_returns_the_primary_delivery_and_copies(tmp_path: Path) -> None:
    primary, jsonl = Primary(), JsonlNotifier(tmp_path / "a.jsonl")
    multi = MultiNotifier(primary, jsonl)
    assert multi.name == "primary+jsonl" and multi.supports_threads
    assert multi.send(make_alert()) == Delivery(ts="1.0", channel="C1")
    assert jsonl.find_sent(make_alert()) is not None
    multi.close()
    assert primary.closed


def test_multi_copies_nothing_when_the_primary_fails(tmp_path: Path) -> None:
    primary = Primary(failures=[NotifyError("HTTP 500")])
    jsonl = JsonlNotifier(tmp_path / "a.jsonl")
    with pytest.raises(NotifyError):
        MultiNotifier(primary, jsonl).send(make_alert())
    assert jsonl.find_sent(make_alert()) is None


def test_multi_copy_failure_does_not_fail_the_send(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    primary = Primary()
    multi = MultiNotifier(primary, JsonlNotifier(blocker / "a.jsonl"))
    assert multi.send(make_alert()).ts == "1.0"
    assert primary.sent == ["al-1"]


def test_multi_find_sent_catches_up_a_missed_copy(tmp_path: Path) -> None:
    primary, jsonl = Primary(sent=["al-1"]), JsonlNotifier(tmp_path / "a.jsonl")
    multi = MultiNotifier(primary, jsonl)
    assert multi.find_sent(make_alert()) == Delivery(ts="1.0", channel="C1")
    assert jsonl.find_sent(make_alert()) is not None
    multi.find_sent(make_alert())  # already copied: not written twice
    assert len((tmp_path / "a.jsonl").read_text("utf-8").splitlines()) == 1
    assert multi.find_sent(make_alert("al-2")) is None
