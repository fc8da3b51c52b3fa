"""The pure lifecycle, routing and report-time decisions, on tables of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.alerting.alerts import main_clause_ban
from monitor.alerting.events import report_time
from monitor.alerting.lifecycle import follow_up, normalise_status, opening_status
from monitor.alerting.routing import Cues, Tiers, route, trust_main_clause
from monitor.core.records import Article, FeedItem, Scored, Summary
from state.outbox import StoredEvent

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
YEAR = timedelta(days=365)
BAN = Summary(apps=("TikTok",), authority="state government", jurisdiction="Montana")


def event(status: str = "in_force", last_seen: datetime = T0, **facts: object) -> StoredEvent:
    summary = Summary(**{**BAN.__dict__, **facts}) if facts else BAN
    return StoredEvent("ev-1", summary, T0, last_seen, 1, "al-1", status)


COURT = Summary(apps=("TikTok",), authority="federal judge", jurisdiction="Montana")


@pytest.mark.parametrize(
    ("report", "cue", "at", "tracked", "expected"),
    [
        (COURT, "blocked_by_court", T0 + timedelta(days=30), [event()], "blocked_by_court"),
        (COURT, "lifted", T0 + timedelta(days=360), [event()], "lifted"),
        (COURT, "blocked_by_court", T0 + timedelta(days=400), [event()], None),  # too late
        (COURT, "announced", T0, [event()], None),  # an opening is not a follow-up
        (COURT, None, T0, [event()], None),
        (Summary(apps=("WeChat",), jurisdiction="Montana"), "lifted", T0, [event()], None),
        (Summary(apps=("TikTok",), jurisdiction="Texas"), "lifted", T0, [event()], None),
        (Summary(apps=("TikTok",), jurisdiction=None), "lifted", T0, [event()], None),
        (  # a university's own rule is not the state's ban
            Summary(apps=("TikTok",), authority="University of Montana", jurisdiction="Montana"),
            "lifted",
            T0,
            [event()],
            None,
        ),
    ],
)
def test_follow_up(
    report: Summary, cue: str | None, at: datetime, tracked: list[StoredEvent], expected: str | None
) -> None:
    found = follow_up(report, cue, tracked, at, YEAR)
    assert (found.status if found else None) == expected
    if found is not None:
        assert found.previous == "in_force" and found.changed


def test_follow_up_with_the_current_status_is_not_a_change() -> None:
    found = follow_up(COURT, "blocked_by_court", [event("blocked_by_court")], T0, YEAR)
    assert found is not None and not found.changed


def test_status_names() -> None:
    assert normalise_status("blocked by a court") == "blocked_by_court"
    assert normalise_status("in force") == "in_force"
    assert normalise_status("ordered by court") == "in_force"
    assert normalise_status("Lifted") == "lifted"
    assert normalise_status("nonsense") is None
    assert opening_status(Summary(status="in force"), None) == "in_force"
    assert opening_status(Summary(), None) == "announced"


N = None
ROUTES = [
    # cues, confident, near, status_change, tracked, reaction_replies -> route, reason
    (Cues("lifted"), False, False, True, True, False, "status", "lifted"),
    (Cues("lifted"), False, False, False, True, False, "reply", "more coverage: lifted"),
    (Cues(newness="explainer"), True, False, N, False, False, "drop", "not new: explainer"),
    (Cues(newness="reaction"), True, False, N, True, False, "drop", "not new: reaction"),
    (Cues(newness="reaction"), False, False, N, True, True, "reply", "not new: reaction"),
    (Cues(newness="analysis"), False, False, N, False, False, "ignore", None),
    (Cues(), True, False, N, False, False, "file", None),
    (Cues(), True, False, N, True, False, "file", None),  # more coverage: events decide
    (
        Cues(contradiction="proposed"),
        True,
        False,
        N,
        False,
        False,
        "review",
        "contradicted: proposed",
    ),
    (Cues(), False, True, N, False, False, "review", "near threshold"),
    (Cues(), False, False, N, False, False, "ignore", None),
    # a plan or threat to ban is worth a look whatever its score; other contradictions
    # (a platform acting on its users, a lifted ban, opinion) only when confident
    (
        Cues(contradiction="proposed"),
        False,
        False,
        N,
        False,
        False,
        "review",
        "contradicted: proposed",
    ),
    (
        Cues(contradiction="platform acting on its users"),
        False,
        False,
        N,
        False,
        False,
        "ignore",
        None,
    ),
]


@pytest.mark.parametrize(
    ("cues", "confident", "near", "change", "tracked", "replies", "expected", "reason"), ROUTES
)
def test_route(
    cues: Cues,
    confident: bool,
    near: bool,
    change: bool | None,
    tracked: bool,
    replies: bool,
    expected: str,
    reason: str | None,
) -> None:
    routing = route(cues, confident, near, change, tracked, replies)
    assert (routing.route, routing.reason) == (expected, reason)


def test_tiers() -> None:
    default = Tiers()
    assert default.confident(0.2, True) and not default.confident(0.99, False)
    assert default.near(0.4, 0.5) and not default.near(0.3, 0.5)
    assert not default.near(0.49, None)  # no threshold known: nothing is "near"
    own = Tiers(alert_threshold=0.8, review_margin=0.1)
    assert own.confident(0.8, False) and not own.confident(0.79, True)
    assert own.near(0.71, None) and not own.near(0.69, 0.5)


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (T0 - timedelta(days=90), T0 - timedelta(days=90)),
        (None, T0),
        (T0 + timedelta(days=2), T0),  # in the future
        (datetime(1970, 1, 1, tzinfo=UTC), T0),  # a placeholder
        (T0 + timedelta(hours=1), T0 + timedelta(hours=1)),  # a little clock skew is fine
    ],
)
def test_report_time(published: datetime | None, expected: datetime) -> None:
    assert report_time(published, T0) == expected


def test_a_main_clause_ban_outweighs_cues_from_a_secondary_clause() -> None:
    reaction, proposed = Cues(newness="reaction"), Cues(contradiction="proposed")
    assert trust_main_clause(reaction, True, True) == Cues()
    assert trust_main_clause(proposed, True, True) == Cues()
    assert trust_main_clause(Cues("lifted", "reaction"), True, True) == Cues("lifted")
    # not confident, or the ban is not the main clause: the cue stands
    assert trust_main_clause(reaction, False, True) == reaction
    assert trust_main_clause(proposed, True, False) == proposed


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("Iran blocks access to Telegram and Instagram as the largest protests continue", True),
        ("Turkey blocks access to Instagram, following comments made by an official", True),
        ("Users flock to VPNs as Iran blocks WhatsApp", False),
        ("Nepal plans to ban TikTok", False),
        ("YouTube bans the channel of a conspiracy theorist", False),
    ],
)
def test_main_clause_ban_reads_the_headline(headline: str, expected: bool) -> None:
    item = FeedItem("https://f.example/feed", "g", "https://f.example/a", "https://f.example/a",
                    headline, "", None)  # fmt: skip
    article = Article(item, headline, "", None, "", None, "summary")
    assert main_clause_ban(Scored(article, 0.9, True, (), "m")) is expected
