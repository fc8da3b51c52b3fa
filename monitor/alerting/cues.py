"""Wording cues of a report's main clause (pure, rule-based): status, newness, contradiction.

Each function reads the headline (and, for status, the lead sentence) and answers one
question; every answer is a short name or None, never an exception:

- ``status_cue(title, lead)``: the lifecycle status the report announces (see
  ``monitor.alerting.lifecycle.STATUSES``), or None when it names no change. "announced"
  is never returned: a plain "A bans B" is the opening of an event, not a change.
- ``newness_cue(title)``: "explainer" | "analysis" | "opinion" | "reaction" |
  "retrospective" when the main clause is not a new decision, else None.
- ``contradiction_cue(title)``: why the report is not (yet) a ban by an authority:
  "platform acting on its users" | "proposed" | "lifted" | "opinion", else None.
  Missing facts are not a contradiction: a headline with no actor at all yields None.

The patterns are deliberately narrow (headline wording of news desks); the tables in
``tests/unit/test_cues.py`` are the contract.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
# the thing acted on: "... blocks [Montana's TikTok] ban", never "blocks X over an order"
_OBJECT = (
    r"\s+(?:(?!over\b|after\b|amid\b|for\b|in\b|until\b|on\b)[\w'’-]+\s+){0,4}?"
    r"(?:ban|bans|law|laws|prohibition|restrictions?|block|measure)\b"
)

# Checked in order: the first match wins ("judge blocks ban after lawsuit" is a court block).
_STATUS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _I))
    for name, pattern in (
        (
            "blocked_by_court",
            r"\b(?:court|courts|judges?|justices?|tribunal)\b[^.;:]{0,60}?\b(?:block\w*|halt\w*|"
            r"strikes? down|struck down|suspend\w*|enjoin\w*|overturn\w*|freez\w*|pauses?d?|"
            r"quash\w*|annul\w*)" + _OBJECT + r"|\bban\b[^.;:]{0,40}\b(?:blocked|halted|"
            r"struck down|overturned) by (?:a |the )?(?:\w+ )?(?:court|judge)",
        ),
        (
            "lifted",
            r"\b(?:lifts?|lifted|lifting|rescind\w*|revok\w*|repeal\w*|revers\w*|ends?|ended|"
            r"scraps?|scrapped|drops?|dropped|withdraws?|withdrew)" + _OBJECT + r"|\bban\b"
            r"[^.;:]{0,40}\b(?:is|was|has been|been) (?:lifted|scrapped|rescinded|revoked|"
            r"repealed|ended)\b|\bunban\w*|\bunblock\w*|\brestor\w+ access\b",
        ),
        (
            "reinstated",
            r"\b(?:reinstat\w*|reimpos\w*|restor\w+ (?:the |its |a )?ban|upholds?|upheld)\b",
        ),
        (
            "challenged",
            r"\b(?:sues?|sued|suing|lawsuits?|legal challenge|challeng\w+|appeal\w*|"
            r"files? suit|takes? \w+ to court)\b",
        ),
        (
            "expanded",
            r"\b(?:expand\w*|widen\w*|broaden\w*|extends? (?:the |its )?ban to|adds? \w+ to)"
            + _OBJECT,
        ),
        (
            "extended",
            r"\b(?:extend\w*|prolong\w*)\b[^.;:]{0,60}\b(?:until|through|for another|"
            r"by (?:another )?\d|for \d|indefinitely|for (?:a|one|two|three|six) )",
        ),
        (
            "in_force",
            r"\b(?:takes? effect|took effect|comes? into (?:force|effect)|came into (?:force|"
            r"effect)|goes? into effect|went into effect|now in (?:force|effect)|signs?|signed|"
            r"enacts?|enacted)\b",
        ),
    )
)

_NEWNESS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, _I))
    for name, pattern in (
        ("opinion", r"^\s*(?:opinion|op-ed|editorial|column|commentary|letters?)\b\s*[:|—-]"),
        (
            "explainer",
            r"^\s*(?:what|why|how|who|is|are|does|do|can|should|will)\b[^.]*\?|"
            r"\b(?:explained|explainer|what you need to know|everything you need to know|"
            r"here'?s (?:what|why|how)|q&a|faq|a guide to)\b",
        ),
        (
            "analysis",
            r"^\s*analysis\s*[:|—-]|\b(?:the rise of|the creeping|the growing|a look at|"
            r"inside the|lessons from|timeline|the spread of|the wave of|patchwork of)\b",
        ),
        (
            "retrospective",
            r"\b(?:since|after)\b[^.;:]{0,60}\b(?:banned|blocked|ban)\b[^.;:]{0,40}"
            r"\b(?:19|20)\d\d\b|\b(?:years?|months?) (?:after|since|on from)\b|"
            r"\banniversary\b|\b(?:years?|months?) (?:into|of) (?:the|its) ban\b",
        ),
        (
            "reaction",
            r"\b(?:hits? out at|slams?|slammed|criticis\w+|criticiz\w+|condemn\w*|reacts?|"
            r"reacted|responds? to|shrugs? off|shrugged off|blasts?|lash\w* out|decr(?:y|ies)|"
            r"welcom\w+|praises?|protest\w*|outrage\w*|fumes?|mourn\w*|scrambl\w+|"
            r"flock\w* to|turn to|say goodbye|bid farewell)\b",
        ),
    )
)

_PLATFORMS = (
    r"YouTube|Facebook|Meta|Instagram|X|Twitter|TikTok|Reddit|Discord|Twitch|Google|Apple|"
    r"Microsoft|Amazon|Spotify|Telegram|Snapchat|WhatsApp|LinkedIn|Bluesky|Threads|"
    r"Elon Musk|Musk|Zuckerberg|Substack|Patreon|Roblox|Steam|Valve"
)
_OWN_USERS = re.compile(
    rf"^\s*(?:{_PLATFORMS})\b[^.;:]{{0,30}}?\b(?:bans?|banned|blocks?|blocked|suspends?|"
    r"suspended|removes?|removed|restricts?|restricted|deletes?|deleted|purges?|purged)\b"
    r"[^.;:]{0,40}?\b(?:users?|accounts?|posts?|links?|creators?|channels?|content|videos?|"
    r"ads|adverts?|influencers?|streamers?|journalists?|pages|groups|profiles?|bots?|"
    r"misinformation|hate speech)\b",
    re.IGNORECASE,
)
_PROPOSED = re.compile(
    r"\b(?:plans? to|planning to|propos\w+|consider\w*|weigh\w*|mulls?|mulling|threat\w*|"
    r"could|may|might|would|calls? for|called for|urges?|urged|seeks? to|wants? to|"
    r"moves? to|pushes? (?:for|to)|eyes?|bill to|vote on|debat\w+|poised to|set to|"
    r"is expected to|expected to)\b",
    _I,
)


def status_cue(title: str, lead: str = "") -> str | None:
    """The status change the headline (else the lead sentence) reports, or None."""
    for text in (title, lead):
        for name, pattern in _STATUS:
            if text and pattern.search(text):
                return name
    return None


def newness_cue(title: str) -> str | None:
    """Why the headline is not a new decision (explainer, analysis ...), or None."""
    for name, pattern in _NEWNESS:
        if pattern.search(title):
            return name
    return None


def contradiction_cue(title: str) -> str | None:
    """A fact of the headline that contradicts "an authority bans an app", or None."""
    if _OWN_USERS.search(title):
        return "platform acting on its users"
    if _PROPOSED.search(title):
        return "proposed"
    if status_cue(title) == "lifted":
        return "lifted"
    if newness_cue(title) == "opinion":
        return "opinion"
    return None
