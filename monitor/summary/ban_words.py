"""The wording of bans, for the summarize stage: ban verbs, hedges and action names (pure).

Contract:
- ``STRONG_VERB`` ("bans", "blocked", "suspension") and ``WEAK_VERB`` ("remove", "shut
  down") mark a sentence that may carry a ban; ``HEDGE`` marks one that only may ("could",
  "plans to", "lifted").
- ``anchor(sentence)`` is where the ban is said (the first ban verb), ``anchors`` all of them.
- ``action(sentence)`` names the first action: suspend | block | restrict | ban, or
  "account closed" when an authority closes its own account.
"""

from __future__ import annotations

import re

STRONG_VERB = re.compile(
    r"\b(?:ban(?:s|ned|ning)?|block(?:s|ed|ing)?|prohibit\w*|suspen(?:d|ds|ded|ding|sion)|"
    r"restrict(?:s|ed|ing|ions?)?|bar(?:s|red|ring)?|outlaw\w*|forb(?:id|ids|ade|idden))\b",
    re.IGNORECASE,
)
WEAK_VERB = re.compile(
    r"\b(?:remove|delete|uninstall|shut(?:s|ting)? down|cut(?:s|ting)? off|not to use|"
    r"must not be|not be (?:used|utili[sz]ed|installed)|clos(?:e|es|ed|ing))\b",
    re.IGNORECASE,
)
HEDGE = re.compile(
    r"\b(?:could|would|might|threat\w*|consider\w*|propos\w*|plans? to|lift\w*|overturn\w*|"
    r"calls? for|called for|urg\w*|if|risk\w*|request\w*)\b",
    re.IGNORECASE,
)
_ACTIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("suspend", r"\bsuspen(?:d|ds|ded|ding|sion)\b"),
        (
            "block",
            r"\bblock(?:s|ed|ing)?\b|\bcut(?:s|ting)? off access|\bshut(?:s|ting)? down "
            r"access",
        ),
        ("restrict", r"\brestrict(?:s|ed|ing|ions?)?\b|\bthrottl\w+|\blimit(?:s|ed|ing)? access"),
        (
            "ban",
            r"\bban(?:s|ned|ning)?\b|\bprohibit\w*|\bbar(?:s|red|ring)?\b|\boutlaw\w*|"
            r"\bforb(?:id|ids|ade|idden)\b|\b(?:remove|delete|uninstall)\b|\bnot to use\b|"
            r"\bmust not be\b",
        ),
    )
)
_ACCOUNT_CLOSED = re.compile(
    r"\b(?:shut(?:s|ting)?|clos(?:e|es|ed|ing)|delet(?:e|es|ed|ing)|deactivat\w+|lock(?:s|ed)?)"
    r"\s+(?:down\s+)?(?:[\w’'-]+\s+){0,4}?account\b|\baccount\b[^.]{0,40}?\b(?:closed|shut "
    r"down|deleted|deactivated|locked)\b",
    re.IGNORECASE,
)


def anchor(sentence: str) -> int | None:
    """Where the ban is said: the first ban verb (or account closure) in the sentence."""
    hits = [m.start() for p in (STRONG_VERB, WEAK_VERB) if (m := p.search(sentence))]
    return min(hits) if hits else None


def anchors(sentence: str) -> list[int]:
    """Every position of a ban verb in ``sentence``, in order."""
    return sorted(m.start() for p in (STRONG_VERB, WEAK_VERB) for m in p.finditer(sentence))


def action(sentence: str) -> str | None:
    """The first action named: suspend | block | restrict | ban | account closed, else None."""
    if _ACCOUNT_CLOSED.search(sentence):
        return "account closed"
    hits = [(m.start(), name) for name, p in _ACTIONS if (m := p.search(sentence))]
    return min(hits)[1] if hits else None
