"""``document_text``: the one way a (title, text) pair becomes the string the model sees.

Used by training and by serving alike, so the two can never drift apart.

Feeds give a headline only, or a headline and a one-paragraph summary; extracted
pages give thousands of words. News puts the event in the headline and the
lead, so the document is the headline written twice (it weighs most) followed
by at most ``LEAD_CHARS`` characters of the body, cut at a word boundary. This
keeps a long article's later paragraphs (background, quotes, other stories)
from drowning out its headline, and bounds the cost of scoring one item.

When the title is empty the first sentence of the text stands in as the
headline, so ``("A bans B.", "")`` and ``("", "A bans B.")`` give the same
document. A body that merely repeats the title (common in feed summaries) does
not count the headline a third time. Finally app and place names get a type
token beside them (``classifiers.vocab.mark_entities``) so the model learns
"<place> bans <app>" rather than a list of names, and a last line carries the
headline's meaning markers (``classifiers.meaning.meaning_tokens``), plus
``mx_lead_ban`` when the headline is not itself an authority's act on an app but one
of the lead's next sentences is (``classifiers.meaning.lead_ban``).
"""

from __future__ import annotations

import re

from classifiers.meaning import (
    LEAD_TOKEN,
    analyse_marked,
    first_sentence_end,
    is_ban_clause,
    lead_ban,
    meaning_tokens,
)
from classifiers.vocab import mark_entities

TITLE_REPEAT = 2
LEAD_CHARS = 1000

_SPACE = re.compile(r"\s+")
_SEPARATORS = " .:;,-–—|"


def document_text(title: str, text: str) -> str:
    """The model's input for one item: headline x TITLE_REPEAT + the lead of the body."""
    headline = _squash(title)
    body = _squash(text)
    if not headline:
        headline, body = _first_sentence(body)
    elif body.lower().startswith(headline.lower()):
        body = body[len(headline) :].lstrip(_SEPARATORS)
    lead = _cut(body, LEAD_CHARS)
    if not headline and not lead:
        return ""
    # Marked line by line (a name never spans a line): the headline once for its copies.
    marked_lead = mark_entities(lead) if lead else ""
    if headline:
        marked_headline = mark_entities(headline)
        lines = [marked_headline] * TITLE_REPEAT + ([marked_lead] if lead else [])
    else:  # a lead alone is read as the headline
        marked_headline, marked_lead = marked_lead, ""
        lines = [marked_headline]
    meaning = analyse_marked(marked_headline, marked_lead, verbless=False)
    tokens = meaning_tokens(meaning)
    if not is_ban_clause(meaning) and lead_ban(marked_lead) is not None:
        tokens += " " + LEAD_TOKEN
    return "\n".join(lines) + "\n" + tokens


def _squash(value: str) -> str:
    return _SPACE.sub(" ", value).strip()


def _first_sentence(body: str) -> tuple[str, str]:
    """Split ``body`` after its first sentence (within the first LEAD_CHARS)."""
    end = first_sentence_end(body, LEAD_CHARS)
    if end is None:
        return _cut(body, LEAD_CHARS), ""
    return body[: end[0]].strip(), body[end[1] :]


def _cut(body: str, limit: int) -> str:
    """At most ``limit`` characters, ending at a word boundary when there is one."""
    if len(body) <= limit:
        return body
    cut = body[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut
