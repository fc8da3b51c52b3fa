"""Authorities for the summarize stage: who imposes a ban, and at what level (pure).

Contract:
- ``actor(sentence)`` is who acts in a ban sentence: the institution named before a ban verb
  as written, with its modifiers ("Italy's data protection authority"), and the place it
  belongs to; else the place that opens the sentence ("Nepal bans"), reported as the
  authority "national government" ("state government", "regional government",
  "EU institutions"); else the institution after "by" (passive voice); else unknown.
- ``authority_level(authority)`` reduces an authority string to its institution level:
  state | executive | regulator | court | legislature | military | education, or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.summary.ban_words import anchors
from monitor.summary.places import Place, find_places, place_authority


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (a compact way to write a word list)."""
    return frozenset(text.split())


# Institution heads by level, longest first (the regex takes the first alternative).
_HEADS: tuple[tuple[str, str], ...] = (
    (
        "military",
        r"Department of Defen[cs]e|Ministry of Defen[cs]e|Defen[cs]e (?:Department|"
        r"Ministry)|Marine Corps|Space Force|Air Force|[Aa]rmed [Ff]orces|Navy|Army|Pentagon|"
        r"[Mm]ilitary(?! junta)",
    ),
    (
        "education",
        r"Department of Education|[Ee]ducation (?:[Dd]epartment|[Mm]inistry)|"
        r"[Ss]chool [Dd]istrict|[Ss]chool [Bb]oard|[Uu]niversity|[Cc]ollege|[Ss]chools",
    ),
    (
        "legislature",
        r"House of Representatives|House of Commons|House of Lords|National "
        r"Assembly|[Pp]arliament|Congress|Senate|[Ll]egislature|Bundestag|Duma|Knesset|lawmakers",
    ),
    (
        "court",
        r"(?:Supreme|High|Constitutional|Federal|District|Appeals?|Administrative) "
        r"[Cc]ourt|[Cc]ourt|[Jj]udge|[Jj]udiciary|[Tt]ribunal",
    ),
    (
        "regulator",
        r"Federal Communications Commission|Federal Trade Commission|Cyberspace "
        r"Administration|[Rr]egulator|[Ww]atchdog|[Aa]uthorit(?:y|ies)|[Cc]ommissioner|[Aa]gency|"
        r"Garante|Roskomnadzor|Ofcom|FCC|BTRC|BTK|Conatel|Anatel",
    ),
    (
        "executive",
        r"military junta|junta|European Commission|European Council|Cabinet Office|"
        r"Home Office|Homeland Security|White House|Treasury Board|Prime Minister|"
        r"[Gg]overnment|[Cc]abinet|[Mm]inistry|[Mm]inisters?|[Pp]resident|[Gg]overnor|"
        r"[Ss]ecretary|[Aa]dministration|[Dd]epartment|Kremlin",
    ),
)
_LEVELS = tuple((level, re.compile(rf"(?:{p})$")) for level, p in _HEADS)
HEAD = re.compile(r"(?<![\w-])(?:" + "|".join(p for _, p in _HEADS) + r")\b")
_PERSON_HEADS = re.compile(
    r"(?:Prime Minister|[Mm]inister|[Pp]resident|[Gg]overnor|"
    r"[Ss]ecretary|[Jj]udge|[Jj]ustice|[Rr]egulator|[Ww]atchdog|"
    r"[Cc]ommissioner|[Aa]uthority|[Cc]ourt)$"
)
# Lower-case words that still belong to an institution's name ("data protection authority").
_MODIFIERS = _words(
    """data protection communications telecommunications telecoms telecom internet media mass
    federal national state top administrative supreme high district appeals digital cyberspace
    cybersecurity privacy consumer competition education information interior foreign defence
    defense public municipal provincial regional chief city local electoral security
    intelligence central and of the for"""
)
# Capitalised words that open a sentence or clause without being part of a name.
_STOP_CAPS = _words(
    """In On At Meanwhile However Following After Before Now Then Also But And Earlier Later
    Last This That It Its Their His Her Our When While As Since Despite Although Under With
    By For From Today Yesterday A An The If Some Several Many"""
)
INFERRED_AUTHORITIES = frozenset(
    {"national government", "state government", "regional government", "EU institutions"}
)


def authority_level(authority: str | None) -> str | None:
    """Institution level of an authority string: state (a place acting as a whole),
    executive, regulator, court, legislature, military, education; None when unknown."""
    if not authority:
        return None
    if authority in INFERRED_AUTHORITIES:
        return "state"
    m = HEAD.search(authority)
    if m is None:
        return None
    return next((level for level, p in _LEVELS if p.match(m.group())), None)


@dataclass(frozen=True, slots=True)
class Actor:
    authority: str | None
    place: Place | None


def actor(sentence: str) -> Actor:
    """Who acts in ``sentence``: the institution before a ban verb, else the place that opens
    the sentence ("Turkey blocks"), else "by <institution>" after the verb (passive voice)."""
    for anchor in anchors(sentence)[:3]:
        found = _actor_before(sentence, anchor)
        if found.authority is not None:
            return found
    return Actor(None, None)


def _actor_before(sentence: str, anchor: int) -> Actor:
    phrase = _authority_phrase(sentence, 0, anchor)
    subject = [p for p in find_places(sentence[:anchor]) if p.code]
    opens = subject and subject[0].start <= 4  # "Nepal orders its regulator to block"
    if opens and (phrase is None or sentence.find(phrase, 0, anchor) >= subject[0].end):
        return Actor(place_authority(subject[0]), subject[0])
    if phrase is None and subject:
        return Actor(place_authority(subject[0]), subject[0])
    if phrase is None and (m := re.search(r"\bby\s+", sentence[anchor:])):
        phrase = _authority_phrase(sentence, anchor + m.end(), len(sentence))
    if phrase is None:
        return Actor(None, None)
    places = find_places(phrase, demonyms=True)
    return Actor(phrase, places[0] if places else None)


def _authority_phrase(sentence: str, start: int, end: int) -> str | None:
    """The first institution named in sentence[start:end], as written, with its modifiers."""
    m = HEAD.search(sentence, start, end)
    if m is None:
        return None
    left = _extend_left(sentence, m.start())
    right = _extend_right(sentence, m.end(), m.group())
    phrase = sentence[left:right].strip(" ,")
    phrase = re.sub(r"^(?:(?:the|a|an|its|their)\s+)+", "", phrase, flags=re.IGNORECASE)
    return re.sub(r"\s+(?:and|of|the|for)$", "", phrase) or None


def _extend_left(sentence: str, pos: int) -> int:
    while True:
        m = re.search(r"([^\s,;:()\"“”]+)\s+$", sentence[max(0, pos - 60) : pos])
        if m is None:
            return pos
        word = re.sub(r"['’]s$", "", m.group(1))
        capital = word[:1].isupper() and word not in _STOP_CAPS
        if not (capital or word.lower() in _MODIFIERS or word in {"the", "The"}):
            return pos
        pos = pos - len(m.group(0))


def _extend_right(sentence: str, pos: int, head: str) -> int:
    tail = sentence[pos:]
    m = re.match(
        r"\s+of\s+(?:the\s+)?[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|of|the|for))*", tail
    )
    if m:
        return pos + len(m.group().rstrip())
    m = re.match(r"\s+\([A-Z][\w ]{1,30}\)", tail)
    if m:
        return pos + m.end()
    if _PERSON_HEADS.search(head):
        m = re.match(r"(?:\s+[A-ZÀ-Þ][\w'’.-]*){1,3}", tail)
        if m and m.group().split()[0] not in _STOP_CAPS:
            return pos + len(m.group().rstrip("."))
    return pos
