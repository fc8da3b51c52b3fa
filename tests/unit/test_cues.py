"""The wording cues of ``monitor.alerting.cues`` on tables of real-style headlines."""

from __future__ import annotations

import pytest

from monitor.alerting.cues import contradiction_cue, newness_cue, status_cue

STATUS_CASES = [
    ("Judge blocks Montana's TikTok ban", "blocked_by_court"),
    ("Federal judge halts enforcement of Montana's TikTok ban", "blocked_by_court"),
    ("Court strikes down state law banning WeChat", "blocked_by_court"),
    ("Montana's TikTok ban blocked by a federal judge", "blocked_by_court"),
    ("Venezuela lifts its ban on X", "lifted"),
    ("Freedonia lifts ban on ChatNow after talks", "lifted"),
    ("Nigeria's Twitter ban is lifted after seven months", "lifted"),
    ("Pakistan unblocks X after a year", "lifted"),
    ("Appeals court reinstates Montana's TikTok ban", "reinstated"),
    ("TikTok sues Montana over state ban", "challenged"),
    ("Creators file lawsuit challenging the ban", "challenged"),
    ("India expands ban on Chinese apps to 54 more", "expanded"),
    ("Government adds WeChat to ban list", "expanded"),
    ("Turkey extends Roblox block until further notice", "extended"),
    ("Montana's TikTok ban takes effect", "in_force"),
    ("Governor signs TikTok ban into law", "in_force"),
    # no change named: the opening of an event, or no ban at all
    ("Freedonia bans messaging app ChatNow", None),
    ("Brazil's Supreme Court blocks X over an order", None),
    ("Court orders nationwide block of Telegram", None),
    ("Council approves new budget for road repairs", None),
]


@pytest.mark.parametrize(("title", "expected"), STATUS_CASES)
def test_status_cue(title: str, expected: str | None) -> None:
    assert status_cue(title) == expected


def test_status_cue_reads_the_lead_when_the_headline_names_no_change() -> None:
    lead = "A federal judge on Thursday blocked Montana's ban on TikTok."
    assert status_cue("Big news for TikTok users in Montana", lead) == "blocked_by_court"
    assert status_cue("Montana TikTok users relieved", "") is None


NEWNESS_CASES = [
    ("The creeping TikTok bans", "analysis"),
    ("Analysis: what the ChatNow ban means for Freedonia", "analysis"),
    ("Why are governments banning TikTok?", "explainer"),
    ("TikTok bans explained: what you need to know", "explainer"),
    ("Opinion: banning apps will not make us safer", "opinion"),
    ("China hits out at the UK ban", "reaction"),
    ("Creators shrug off the state's ban", "reaction"),
    ("Users flock to VPNs after ChatNow ban", "reaction"),
    ("Since India banned TikTok in 2020, short video has moved on", "retrospective"),
    ("Two years after the ban, Nepal's creators have moved on", "retrospective"),
    ("Freedonia bans messaging app ChatNow", None),
    ("Judge blocks Montana's TikTok ban", None),
    ("Venezuela lifts its ban on X", None),
]


@pytest.mark.parametrize(("title", "expected"), NEWNESS_CASES)
def test_newness_cue(title: str, expected: str | None) -> None:
    assert newness_cue(title) == expected


CONTRADICTION_CASES = [
    ("YouTube bans accounts spreading election lies", "platform acting on its users"),
    ("X blocks links to Mastodon", "platform acting on its users"),
    ("Elon Musk suspends journalists' accounts", "platform acting on its users"),
    ("Freedonia plans to ban VidShare", "proposed"),
    ("Lawmakers propose a ban on TikTok", "proposed"),
    ("US could ban TikTok within months", "proposed"),
    ("Minister threatens to block Telegram", "proposed"),
    ("Venezuela lifts its ban on X", "lifted"),
    ("Opinion: the ban on TikTok is a mistake", "opinion"),
    # real bans, and headlines with missing facts: no contradiction
    ("Freedonia bans messaging app ChatNow", None),
    ("Nepal bans TikTok, citing social harmony", None),
    ("TikTok banned on government phones", None),
    ("App banned", None),
]


@pytest.mark.parametrize(("title", "expected"), CONTRADICTION_CASES)
def test_contradiction_cue(title: str, expected: str | None) -> None:
    assert contradiction_cue(title) == expected
