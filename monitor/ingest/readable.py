"""A second opinion for pages where trafilatura finds little: readability-lxml.

Runs only inside ``monitor.ingest.workers`` processes (under the Extractor's hard deadline
and HTML cap), and only for a page whose trafilatura text is under ``TRY_BELOW``
characters: readability scores paragraphs by text and link density and keeps the best
subtree, which rescues articles whose markup trafilatura does not recognise.

* ``second_opinion(html) -> str``: readability's article text, or "" when readability
  fails or its text is not ``plausible``. Never raises for a bad page.
* ``plausible(text, link_chars) -> bool``: pure; at least ``MIN_CHARS`` characters, one
  paragraph of ``MIN_PARAGRAPH`` or more (menus and footers are many short lines),
  ``MIN_LETTERS`` of it letters (not binary or markup read as text), and under
  ``MAX_LINK_SHARE`` of it link text (a page of links has no article).
* ``better(first, second) -> str``: pure; the second opinion when it is clearly longer
  (by ``MIN_GAIN``) than trafilatura's text, else trafilatura's: on a near tie
  trafilatura, tuned for precision, usually has less boilerplate.

Only HTML is ever given to readability (never a URL: links stay relative, nothing is
fetched).
"""

from __future__ import annotations

import re
from typing import Any

TRY_BELOW = 500  # trafilatura text this short may have missed the article
MIN_CHARS = 200  # about what build_article needs to prefer a page to the feed summary
MIN_PARAGRAPH = 80  # one real paragraph at least: boilerplate is short lines
MIN_LETTERS = 0.5  # prose is ~90% letters (any script); bytes read as text are not
MAX_LINK_SHARE = 0.4  # inline links in prose stay well under this; menus are near 1.0
MIN_GAIN = 1.2  # the second opinion must be this many times longer to replace the first

_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script
# Elements that end a line of text (the rest are inline).
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "header", "footer", "aside", "main", "nav", "form",
     "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote",
     "pre", "table", "tr", "td", "th", "caption", "figure", "figcaption", "br", "hr"}
)  # fmt: skip


def second_opinion(html: str) -> str:
    """readability-lxml's article text when it is plausible, else ""."""
    if not html.strip():
        return ""
    try:
        text, link_chars = _readability(html)
    except Exception:  # readability/lxml give up on broken markup: no second opinion
        return ""
    return text if plausible(text, link_chars) else ""


def plausible(text: str, link_chars: int) -> bool:
    """Pure: is ``text`` (of which ``link_chars`` non-space characters are link text) an
    article rather than boilerplate?"""
    size = _solid(text)
    if size < MIN_CHARS:
        return False
    if max((_solid(line) for line in text.splitlines()), default=0) < MIN_PARAGRAPH:
        return False
    if len(_LETTER.findall(text)) < MIN_LETTERS * size:
        return False
    return link_chars / size < MAX_LINK_SHARE


def better(first: str, second: str) -> str:
    """Pure: ``second`` when it is more than ``MIN_GAIN`` times as long as ``first``
    (non-space characters), else ``first``."""
    return second if _solid(second) > MIN_GAIN * _solid(first) else first


def _readability(html: str) -> tuple[str, int]:
    """(text, non-space characters of link text) of readability's article subtree."""
    from lxml.html import fromstring  # imported here: only worker processes run this
    from readability import Document

    summary = Document(html).summary(html_partial=True)
    root = fromstring(summary)
    link_chars = sum(_solid(anchor.text_content()) for anchor in root.iter("a"))
    return _text(root), link_chars


def _text(root: Any) -> str:
    """Block elements on their own lines, whitespace collapsed, empty lines dropped."""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.text = "\n" + (element.text or "")
            element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def _solid(text: str) -> int:
    """Characters that are not whitespace."""
    return len("".join(text.split()))
