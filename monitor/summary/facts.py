"""Facts for the summarize stage: a ban's apps, authority, place, scope, action, status and
start date, read from the sentences that carry it (pure).

Contract:
- ``read_facts(evidence, title, lead)`` reads the evidence sentence first, then the title,
  then the lead; it never raises, and unknown facts stay None / ().
- scope: minors | campus network | military personnel | staff devices | government devices
  | network | nationwide | regional; as stated, else as the actor implies (a country's ban
  on an app itself is nationwide).
- status: announced | in force | ordered by court; effective_date: the start as written
  ("from March 20"), never parsed into a date.
- Sentences are read up to ``SENTENCE_CAP`` characters (longer ones have no punctuation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.summary.app_names import find_apps, unique
from monitor.summary.authority import actor, authority_level
from monitor.summary.ban_words import action, anchor
from monitor.summary.places import Place, find_places, place_name

SENTENCE_CAP = 1_000  # longer "sentences" (no punctuation) are truncated for scoring

_SCOPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        (
            "minors",
            r"\bminors\b|\bunder-1\d\w*|\b(?:children|teens|teenagers|users|people|"
            r"anyone|those) (?:aged )?under (?:the age of )?1\d\b",
        ),
        (
            "campus network",
            r"\b(?:school|campus|university|college)\s+(?:\w+\s+)?(?:networks?|"
            r"wi-?fi)\b",
        ),
        (
            "military personnel",
            r"\b(?:military|army|armed forces|navy) personnel\b|"
            r"\b(?:service ?members|troops|soldiers|sailors|personnel)\s+(?:from|not to)\b",
        ),
        (
            "devices",
            r"\b(?:devices|phones|smartphones|laptops|computers|tablets|systems)\b|"
            r"\b(?:agencies|departments|employees|officials|civil servants|staff)\b"
            r"[^.]{0,60}\bfrom (?:using|installing|downloading)\b",
        ),
        ("network", r"\b(?:corporate|government|internal|office|its)\s+(?:network|wi-?fi)\b"),
        (
            "nationwide",
            r"\bnationwide\b|\b(?:across|throughout|in) the country\b|"
            r"\bcountry-?wide\b|\bnationally\b",
        ),
        (
            "regional",
            r"\bstatewide\b|\b(?:across|throughout|in) the (?:state|province|region)\b|"
            r"\bregional(?:ly)?\b|\bprovince-?wide\b",
        ),
    )
)
_PERSONAL_ONLY = re.compile(
    r"(?<!and )(?<!or )\b(?:personal|private)\s+(?:\w+\s+)?(?:devices|phones)\b", re.I
)
_STAFF = re.compile(r"\b(?:staff|employees?|corporate|work-related|personnel)\b", re.I)
_GOVERNMENT = re.compile(
    r"\b(?:government|official|federal|state|ministers?|agenc\w+|"
    r"civil servants?|public sector|work)\b",
    re.I,
)
_RESTRICTIONS = frozenset({"ban", "block", "suspend", "restrict"})


@dataclass(frozen=True, slots=True)
class Facts:
    """What ``read_facts`` found; every field may be unknown."""

    apps: tuple[str, ...] = ()
    authority: str | None = None
    jurisdiction: str | None = None
    scope: str | None = None
    action: str | None = None
    status: str | None = None
    effective_date: str | None = None


def read_facts(evidence: tuple[str, ...], title: str, lead: list[str]) -> Facts:
    """The facts of a ban, read from its evidence first, then the title, then the lead."""
    main = evidence[0][:SENTENCE_CAP] if evidence else title
    if not main:
        return Facts()
    who = actor(main)
    if who.authority is None and title and main != title:
        who = actor(title)
    # the lede usually names the place when the evidence sentence does not
    place = who.place or first_place([main, title, *evidence[1:], *lead[:1]])
    level = authority_level(who.authority)
    what = action(main) or (action(title) if title else None)
    # other lead sentences count only when they speak of the ban too
    nearby = [s[:SENTENCE_CAP] for s in (*evidence, *lead) if s in evidence or anchor(s)]
    return Facts(
        apps=_apps(title, evidence, lead),
        authority=who.authority,
        jurisdiction=place_name(place) if place else None,
        scope=_scope(list(dict.fromkeys(nearby)), level, place, what),
        action=what,
        status=_status(main, level),
        effective_date=_effective_date(_dated(evidence, lead)),
    )


def first_place(sentences: list[str]) -> Place | None:
    """The first place named in the first of ``sentences`` that names one."""
    for sentence in sentences:
        places = [p for p in find_places(sentence[:SENTENCE_CAP]) if p.code]
        if places:
            return places[0]
    return None


def _apps(title: str, evidence: tuple[str, ...], lead: list[str]) -> tuple[str, ...]:
    """Apps the ban is about: named in the title or the evidence; else in the lead."""
    found = unique(app for s in (title, *evidence) for app in find_apps(s[:SENTENCE_CAP]))
    if not found:
        found = unique(app for s in lead[:3] for app in find_apps(s[:SENTENCE_CAP]))
    return tuple(found)


def _scope(
    sentences: list[str], level: str | None, place: Place | None, what: str | None
) -> str | None:
    """The first scope stated in ``sentences``; else what the actor implies (a country's
    ban on an app itself is nationwide; a state's is regional; the military's, personnel)."""
    if what == "account closed":
        return None  # closing one's own account has no population
    for sentence in sentences:
        for name, pattern in _SCOPE_PATTERNS:
            m = pattern.search(sentence)
            if m is None or (name == "devices" and _only_personal(sentence)):
                continue
            return _device_scope(sentence, level) if name == "devices" else name
    if level == "military":
        return "military personnel"
    if what in _RESTRICTIONS and level in {"state", "executive", "regulator", "court"} and place:
        return "regional" if "-" in place.code else (None if place.code == "EU" else "nationwide")
    return None


def _only_personal(sentence: str) -> bool:
    stripped = _PERSONAL_ONLY.sub("", sentence)
    return _SCOPE_PATTERNS[3][1].search(stripped) is None


def _device_scope(sentence: str, level: str | None) -> str:
    if level == "military":
        return "military personnel"
    if level in {"legislature", "education"}:
        return "staff devices"
    if _STAFF.search(sentence) and not re.search(r"\bgovernment\b", sentence, re.I):
        return "staff devices"
    return "government devices" if _GOVERNMENT.search(sentence) or level else "staff devices"


_COURT_ORDER = re.compile(
    r"\bcourt\b[^.]{0,30}\b(?:order\w*|rul\w+|decision)\b|\bjudge\b", re.IGNORECASE
)
_IN_FORCE = re.compile(
    r"\b(?:took|takes|has taken) effect\b|\bcame into (?:force|effect)\b|\bin (?:force|effect)\b|"
    r"\bwith immediate effect\b|\beffective immediately\b|\bimmediately\b|"
    r"\b(?:has|have) been (?:banned|blocked|suspended|restricted|prohibited)\b|"
    r"\b(?:is|are) (?:now )?(?:banned|blocked|suspended|unavailable|inaccessible)\b",
    re.IGNORECASE,
)
_ANNOUNCED = re.compile(
    r"\bwill\b|\bplans? to\b|\bannounc\w+|\bset to\b|\bto take effect\b|\bdue to take\b|"
    r"\bdecided to\b|\bbeginning\b|\bstarting\b|\bfrom (?:next|the end)\b",
    re.IGNORECASE,
)
_PAST_ACTION = re.compile(
    r"\b(?:banned|blocked|suspended|restricted|prohibited|barred|removed|ordered|instructed|"
    r"directed|shut down)\b",
    re.IGNORECASE,
)


def _status(sentence: str, level: str | None) -> str | None:
    """announced | in force | ordered by court, from the evidence sentence's wording."""
    if level == "court" or _COURT_ORDER.search(sentence):
        return "ordered by court"
    if _IN_FORCE.search(sentence):
        return "in force"
    if _ANNOUNCED.search(sentence):
        return "announced"
    return "in force" if _PAST_ACTION.search(sentence) else None


_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
_WHEN = (
    rf"(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|"
    rf"(?:the\s+)?(?:end|beginning|start|middle) of (?:{_MONTH}|next (?:week|month|year))|"
    rf"next (?:week|month|year)|midnight|tomorrow|(?:19|20)\d\d)"
)
_EFFECTIVE = re.compile(
    rf"\b(?:take|takes|go|goes|come|comes) (?:into )?effect\s+(?P<on>(?:on|from|in)\s+{_WHEN})"
    rf"(?![\w])|(?P<from>\b(?:from|beginning|starting|effective|as of|by)\s+(?:on\s+)?{_WHEN}"
    rf"(?![\w])|\bwith immediate effect\b|\beffective immediately\b|\bwithin \d+ days\b|"
    rf"\bin \d+ days\b)",
)


def _dated(evidence: tuple[str, ...], lead: list[str]) -> list[str]:
    """Sentences that may state when the ban starts: the evidence, then lead sentences that
    speak of the ban or of something taking effect."""
    extra = [s for s in lead if s not in evidence and (anchor(s) or "effect" in s)]
    return [s[:SENTENCE_CAP] for s in (*evidence, *extra)]


def _effective_date(sentences: list[str]) -> str | None:
    """The start date as stated ("from March 20", "beginning Monday"), else None."""
    for sentence in sentences:
        m = _EFFECTIVE.search(sentence)
        if m:
            return m.group("on") or m.group("from")
    return None
