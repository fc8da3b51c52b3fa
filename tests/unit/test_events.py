"""monitor.alerting.events: which ban reports are one event, what an update adds, stable ids."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from monitor.alerting.events import EventKey, event_id, event_key, new_facts, same_event
from monitor.core.records import Summary
from monitor.summary.summarize import summarize
from tests.unit.test_summarize import make_scored, seed_texts

UK_DEVICES = Summary(
    apps=("TikTok",),
    authority="UK government",
    jurisdiction="United Kingdom",
    scope="government devices",
    action="ban",
    status="announced",
    url="https://a.example/1",
)


def seed_summaries() -> dict[str, Summary]:
    return {name: summarize(make_scored(text)) for name, text in seed_texts().items()}


def test_seed_grouping_matches_the_ground_truth() -> None:
    s = seed_summaries()
    assert same_event(s["000"], s["001"]) and same_event(s["001"], s["002"])
    assert same_event(s["000"], s["002"])
    for uk in ("000", "001", "002"):
        assert not same_event(s[uk], s["003"]), uk  # European Parliament
        assert not same_event(s[uk], s["004"]), uk  # UK Parliament closing its account
    assert not same_event(s["003"], s["004"])


def test_same_event_is_symmetric_on_the_seeds() -> None:
    s = seed_summaries()
    for a in s.values():
        for b in s.values():
            assert same_event(a, b) == same_event(b, a)


def test_event_key_normalises_wording() -> None:
    key = event_key(replace(UK_DEVICES, authority="Cabinet Office", action="block"))
    assert key == EventKey(
        apps=frozenset({"TikTok"}),
        jurisdiction="united kingdom",
        authority="executive",
        action="restriction",
        scope="devices",
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"authority": "national government"}, True),  # "The United Kingdom banned ..."
        ({"authority": "Ofcom"}, True),  # regulator: same civil branch
        ({"authority": None, "scope": None, "action": None}, True),  # missing facts don't split
        ({"apps": ("TikTok", "WeChat")}, True),
        ({"action": "suspend"}, True),
        ({"authority": "UK Parliament"}, False),
        ({"authority": "Ministry of Defence"}, False),
        ({"action": "account closed"}, False),
        ({"scope": "nationwide"}, False),
        ({"apps": ("WeChat",)}, False),
        ({"apps": ()}, False),
        ({"jurisdiction": "Wales, United Kingdom"}, False),
        ({"jurisdiction": None}, False),
    ],
)
def test_same_event_rules(change: dict[str, object], expected: bool) -> None:
    other = replace(UK_DEVICES, **change)  # type: ignore[arg-type]
    assert same_event(UK_DEVICES, other) is expected
    assert same_event(other, UK_DEVICES) is expected


def test_unknown_jurisdiction_never_matches_itself() -> None:
    vague = replace(UK_DEVICES, jurisdiction=None)
    assert not same_event(vague, vague)


def test_new_facts_lists_what_the_update_adds() -> None:
    parent = replace(UK_DEVICES, scope=None, effective_date=None)
    update = replace(
        UK_DEVICES,
        apps=("TikTok", "WeChat"),
        scope="staff devices",
        effective_date="from March 20",
        status="in force",
    )
    assert new_facts(parent, update) == (
        "apps: WeChat",
        "scope: staff devices",
        "effective date: from March 20",
        "status: in force",
    )


def test_new_facts_is_empty_for_a_plain_repeat() -> None:
    assert new_facts(UK_DEVICES, UK_DEVICES) == ()
    reworded = replace(UK_DEVICES, authority="Cabinet Office", status=None, scope=None)
    assert new_facts(UK_DEVICES, reworded) == ()  # other wording or less detail is not news


def test_new_facts_fills_unknowns_but_never_downgrades_status() -> None:
    parent = replace(UK_DEVICES, authority=None, jurisdiction=None, status="in force")
    update = replace(UK_DEVICES, status="announced")
    assert new_facts(parent, update) == (
        "authority: UK government",
        "jurisdiction: United Kingdom",
    )


def test_new_facts_on_the_seeds() -> None:
    s = seed_summaries()
    facts = new_facts(s["000"], s["002"])
    assert all(isinstance(f, str) and ": " in f for f in facts)
    assert "authority: Cabinet Office" not in facts  # 000 already names an authority


def test_event_id_is_stable_and_short() -> None:
    day = datetime(2023, 3, 16, 9, 30, tzinfo=UTC)
    later_same_day = datetime(2023, 3, 16, 23, 0, tzinfo=UTC)
    first = event_id(UK_DEVICES, day)
    assert first.startswith("ev-") and len(first) == 19
    assert event_id(UK_DEVICES, later_same_day) == first
    assert event_id(replace(UK_DEVICES), day) == first


def test_event_id_differs_by_day_key_and_report() -> None:
    day = datetime(2023, 3, 16, tzinfo=UTC)
    ids = {
        event_id(UK_DEVICES, day),
        event_id(UK_DEVICES, datetime(2023, 3, 17, tzinfo=UTC)),
        event_id(replace(UK_DEVICES, authority="UK Parliament"), day),
        event_id(replace(UK_DEVICES, url="https://b.example/2"), day),
    }
    assert len(ids) == 4
