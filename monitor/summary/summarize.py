"""Summarize stage: a scored ban article -> the structured facts of its alert (pure, no I/O).

Contract:
- ``summarize(scored)`` never raises, whatever the text (empty, huge, any unicode).
- ``evidence`` sentences and the sentences of ``abstract`` are exact substrings of the
  article text (or its title): quoted verbatim, never rewritten.
- Unknown facts stay unknown (None / () / ""). The one normalisation: a place acting as a
  whole ("Nepal bans TikTok") is reported as authority "national government" (a state:
  "state government"), since the text names no narrower institution.
- Work is capped: only the first ``MAX_CHARS`` characters of the text are read.

How: split sentences, score them for "carries the ban" (ban verb, app, authority,
position), quote the best one or two as evidence, and read the facts from the evidence
sentence first (``monitor.summary.facts``): the actor before the ban verb is the authority
(``monitor.summary.authority``); places come from ``monitor.summary.places``, apps from
``monitor.summary.app_names``, ban verbs from ``monitor.summary.ban_words``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.core.records import Scored, Summary
from monitor.summary.app_names import find_apps
from monitor.summary.authority import HEAD, INFERRED_AUTHORITIES, actor, authority_level
from monitor.summary.ban_words import HEDGE, STRONG_VERB, WEAK_VERB, anchor
from monitor.summary.facts import SENTENCE_CAP, Facts, first_place, read_facts
from monitor.summary.places import find_places, place_name

__all__ = [
    "INFERRED_AUTHORITIES",
    "MAX_CHARS",
    "MAX_SENTENCES",
    "Facts",
    "authority_level",
    "find_apps",
    "find_places",
    "place_name",
    "read_facts",
    "split_sentences",
    "summarize",
]

MAX_CHARS = 8_000  # enough for any news lead; bounds the regex work per article
MAX_SENTENCES = 60

# ---------------------------------------------------------------------------- sentences

_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s)|\n")
_ABBREV = re.compile(
    r"(?:^|[\s(])(?:(?:[A-Za-z]\.)+[A-Za-z]?|Mr|Mrs|Ms|Dr|Prof|St|Sen|Rep|Gov|Gen|Lt|Col|"
    r"Sgt|Capt|Jr|Sr|Inc|Corp|Ltd|Co|vs|No|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|"
    r"Dec|Mt|approx)\.$"
)
_OPENER = re.compile(r"\s*[\"“‘'(\[]?[A-Z0-9À-ÞĀ-ſ]")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order, each an exact (stripped) substring of it."""
    out: list[str] = []
    start = 0
    for match in _END.finditer(text):
        if match.group() != "\n" and not _is_boundary(text, match):
            continue
        _append(out, text[start : match.end()])
        start = match.end()
    _append(out, text[start:])
    return out


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    # "U.K. Cabinet Office" and "Mr. Smith" are not sentence ends; a lower-case start isn't.
    if match.group().startswith(".") and _ABBREV.search(
        text[max(0, match.start() - 12) : match.start() + 1]
    ):
        return False
    return _OPENER.match(text, match.end()) is not None


def _append(out: list[str], piece: str) -> None:
    piece = piece.strip()
    if any(ch.isalnum() for ch in piece):
        out.append(piece)


# ---------------------------------------------------------------------------- evidence


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    index: int  # position in the article
    score: float


_EVIDENCE_FLOOR = 4.0  # about: a ban verb plus an app, or a strong verb early on
_SECOND_FLOOR = 5.0


def _sentences(text: str) -> list[_Sentence]:
    """Scored, de-duplicated sentences (syndicated copies repeat paragraphs)."""
    out: list[_Sentence] = []
    seen: set[str] = set()
    for index, sentence in enumerate(split_sentences(text)[:MAX_SENTENCES]):
        if sentence in seen:
            continue
        seen.add(sentence)
        out.append(_Sentence(sentence, index, _score(sentence[:SENTENCE_CAP], index)))
    return out


def _score(sentence: str, index: int) -> float:
    """How likely this sentence carries the ban: verb, app, institution, position."""
    score = 3.0 if STRONG_VERB.search(sentence) else 1.5 if WEAK_VERB.search(sentence) else 0.0
    if score and HEDGE.search(sentence):
        score -= 2.0
    if find_apps(sentence):
        score += 2.0
    if HEAD.search(sentence):
        score += 1.0
    if sentence[:1] in "\"“‘'":
        score -= 1.0  # quotes are reactions more often than the news itself
    return score + 3.0 / (1 + max(index, 0))


def _evidence(body: list[_Sentence], title: str) -> tuple[str, ...]:
    """One or two sentences that carry the ban, verbatim; the title when the body has none."""
    ranked = sorted(body, key=lambda s: (-s.score, s.index))
    if not ranked or ranked[0].score < _EVIDENCE_FLOOR:
        good_title = title and STRONG_VERB.search(title) and find_apps(title)
        if good_title:
            return (title,)
        return (ranked[0].text,) if ranked and anchor(ranked[0].text) is not None else ()
    first = ranked[0]
    apps = set(find_apps(first.text))
    seconds = [
        other
        for other in ranked[1:6]
        if other.score >= _SECOND_FLOOR
        and not HEDGE.search(other.text)
        and _same_ban(first.text, other.text, apps)
    ]
    if not seconds:
        return (first.text,)
    second = min(seconds, key=lambda s: s.index)  # news leads state the facts first
    return tuple(s.text for s in sorted((first, second), key=lambda s: s.index))


def _same_ban(first: str, other: str, apps: set[str]) -> bool:
    """Does ``other`` speak of the same ban: a shared app and no other place?"""
    if anchor(other) is None or (apps and not apps & set(find_apps(other))):
        return False
    here, there = _where(first), _where(other)
    return here is None or there is None or here == there


def _where(sentence: str) -> str | None:
    """The place of the actor of a ban sentence, else the first place it names."""
    sentence = sentence[:SENTENCE_CAP]
    place = actor(sentence).place or first_place([sentence])
    return place.code if place else None


_PROPER = re.compile(r"[.!?…][\"”’')\]]*$")


def _abstract(body: list[_Sentence], evidence: tuple[str, ...]) -> str:
    """Two or three full sentences in text order: the lead, the evidence, the next best."""
    proper = [s for s in body if _PROPER.search(s.text) and len(s.text.split()) >= 5]
    if not proper:
        return ""
    chosen = {proper[0].index} | {s.index for s in proper if s.text in evidence}
    for s in sorted(proper, key=lambda s: (-s.score, s.index)):
        if len(chosen) >= 2:
            break
        chosen.add(s.index)
    picked = sorted((s for s in proper if s.index in chosen), key=lambda s: s.index)[:3]
    return " ".join(s.text for s in picked)


# ---------------------------------------------------------------------------- the summary


def summarize(scored: Scored) -> Summary:
    """The structured facts of a ban article; unknown facts stay None / () / ""."""
    base = _bare(scored)
    try:
        return _summarize(scored, base)
    except Exception:  # a summary must never stop an alert: keep the bare record
        return base


def _bare(scored: Scored) -> Summary:
    article = scored.article
    return Summary(
        source=_source(scored),
        url=article.item.url,
        published=article.published or article.item.published,
        title=article.title or article.item.title,
        score=scored.score,
        model_version=scored.model_version,
        why=tuple(scored.why),
    )


def _summarize(scored: Scored, base: Summary) -> Summary:
    title = base.title.strip()
    body = _sentences(scored.article.text[:MAX_CHARS])
    evidence = _evidence(body, title[:SENTENCE_CAP])
    facts = read_facts(evidence, title, [s.text for s in body[:6]])
    return Summary(
        apps=facts.apps,
        authority=facts.authority,
        jurisdiction=facts.jurisdiction,
        scope=facts.scope,
        action=facts.action,
        status=facts.status,
        effective_date=facts.effective_date,
        evidence=evidence,
        abstract=_abstract(body, evidence),
        source=base.source,
        url=base.url,
        published=base.published,
        title=base.title,
        score=base.score,
        model_version=base.model_version,
        why=base.why,
    )


def _source(scored: Scored) -> str:
    if scored.article.sitename.strip():
        return scored.article.sitename.strip()
    host = urlsplit(scored.article.item.feed_url or scored.article.item.url).hostname or ""
    return host.removeprefix("www.")
