"""App names for the summarize stage: which apps or online services a sentence names (pure).

Contract:
- ``find_apps(sentence)`` returns canonical names ("Twitter" -> "X") in order of first
  mention, each once; it never raises.
- Three sources, from surest to loosest: the table of known apps (any case, any spacing);
  names that are also common words ("Signal", "X"), matched case-sensitively and only with
  a cue nearby ("the Signal app", "banned Zoom"); and "the <Name> app" patterns for apps the
  table lacks, unless the name is a place, a demonym or a common capitalised word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from monitor.summary.places import demonym, lookup_place


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (a compact way to write a word list)."""
    return frozenset(text.split())


def _known_apps(text: str) -> dict[str, tuple[str, ...]]:
    """Parse "Name | spelling, Canonical = spelling | spelling" into {canonical: spellings}:
    apps are separated by commas, spellings by "|"; without "=", the first spelling is the
    canonical name."""
    table: dict[str, tuple[str, ...]] = {}
    for entry in text.split(","):
        name, _, spellings = entry.rpartition("=")
        aliases = tuple(" ".join(alias.split()) for alias in spellings.split("|"))
        table[name.strip() or aliases[0]] = aliases
    return table


def _ambiguous_apps(text: str) -> dict[str, str]:
    """Parse "Name Alias=Canonical" into {name as written: canonical name}."""
    pairs = (word.partition("=") for word in text.split())
    return {name: canonical or name for name, _, canonical in pairs}


# No maintained dataset of app names exists, so this is a table; "the <Name> app" patterns
# below catch apps it lacks.
KNOWN_APPS = _known_apps(
    """TikTok | Tik Tok, Douyin, WeChat | Weixin, WeChat Pay, Weibo, Telegram,
    ChatGPT | Chat GPT, DeepSeek, X = Twitter, WhatsApp,
    PUBG Mobile | PUBG | PlayerUnknown's Battlegrounds | PlayerUnknown’s Battlegrounds
    | Battlegrounds Mobile India,
    Free Fire | Garena Free Fire, Kaspersky | Kaspersky Lab, Instagram, Facebook, YouTube,
    Roblox, Viber, LinkedIn, Replika, Worldcoin, Temu, Shein, Grindr, Tinder,
    Pokémon Go | Pokemon Go, Snapchat, Bluesky, Uber, Grok, Character.AI | Character AI,
    Skype, Likee, Bigo Live, Helo, UC Browser, CapCut, Lemon8, RedNote | Xiaohongshu,
    Wikipedia, Netflix, Spotify, Twitch, Reddit, Pinterest, Tumblr, Flickr, MySpace,
    Truth Social, Parler, VKontakte, Odnoklassniki, Yandex, Starlink, Fortnite, Minecraft,
    Candy Crush, 1xBet, Lazada, AliExpress, Alipay, KakaoTalk, Threema, OnlyFans, Pornhub,
    Dailymotion, Hotmail, Gmail, Vimeo"""
)
# Names that are also common words: matched case-sensitively and only with a cue nearby.
AMBIGUOUS_APPS = _ambiguous_apps(
    "X Signal Zoom Discord Threads Clubhouse Copilot Gemini Rumble VK=VKontakte Steam"
)
_CUE_BEFORE = re.compile(
    r"(?:\b(?:apps?|platforms?|network|service|site|messenger|messaging|chatbot|company|owner|"
    r"Musk['’]s|access to|use of|using|ban\w*|block\w*|suspend\w*|restrict\w*|bar\w*|on|to|"
    r"and|or)|,)\s+(?:the\s+)?$"
)
_CUE_AFTER = re.compile(
    r"^(?:\s*\((?:formerly|previously)|['’]s\b|\s*,|\s+(?:app|apps|platform|social|network|"
    r"messenger|messaging|Corp|video|meetings?|chatbot|account|and|or)\b)"
)
_NAME = r"[A-Z][\w&+'’-]*(?:\.[A-Za-z]+)?(?:\s+[A-Z0-9][\w&+-]*){0,2}"
_GENERIC_APP = re.compile(
    rf"\b(?:the|its)\s+({_NAME})\s+(?:app|application|messenger|chatbot|platform|browser)\b|"
    rf"\b(?:app|application|platform|messenger|chatbot|service|website|site|browser|game)"
    rf"\s+({_NAME})"
)
# Capitalised words that follow "the ... app" patterns without being an app's name.
_NOT_NAMES = _words(
    """The This That These Those It Its In On At A An And Or Of For To With From By As Is
    Chinese Russian American Western Social Mobile Government State Federal National Popular
    Video Messaging Internet Online AI Store Stores Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday January February March April May June July August September October
    November December Act Ministry Minister Court Parliament Commission"""
)
_NOT_SUFFIXES = ("-owned", "-based", "-made", "-linked", "-backed", "-run", "-sharing")


@cache
def _app_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    lookup = {alias.casefold(): name for name, aliases in KNOWN_APPS.items() for alias in aliases}
    alternatives = sorted(lookup, key=len, reverse=True)
    body = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alternatives)
    return re.compile(rf"(?<![\w.])(?:{body})(?![\w])", re.IGNORECASE), lookup


_AMBIGUOUS_PATTERN = re.compile(
    r"(?<![\w.\-])(" + "|".join(sorted(AMBIGUOUS_APPS, key=len, reverse=True)) + r")(?![\w\-])"
)


def find_apps(sentence: str) -> list[str]:
    """Canonical app names in ``sentence``, in order of first mention."""
    pattern, lookup = _app_pattern()
    found: list[tuple[int, str]] = []
    for m in pattern.finditer(sentence):
        found.append((m.start(), lookup[re.sub(r"\s+", " ", m.group()).casefold()]))
    has_known = bool(found)
    for m in _AMBIGUOUS_PATTERN.finditer(sentence):
        if _has_cue(sentence, m, has_known):
            found.append((m.start(), AMBIGUOUS_APPS[m.group()]))
    for m in _GENERIC_APP.finditer(sentence):
        name = (m.group(1) or m.group(2) or "").strip()
        if _plausible_name(name):
            found.append((m.start(1) if m.group(1) else m.start(2), _canonical(name)))
    return unique(name for _, name in sorted(found))


def unique(items: Iterable[str]) -> list[str]:
    """``items`` without repeats, in order of first appearance."""
    return list(dict.fromkeys(items))


def _has_cue(sentence: str, m: re.Match[str], other_apps: bool) -> bool:
    before, after = sentence[max(0, m.start() - 40) : m.start()], sentence[m.end() : m.end() + 30]
    if m.group() == "X" and after.startswith((".", "-")) and after[1:2].isalnum():
        return False
    return bool(_CUE_BEFORE.search(before) or _CUE_AFTER.match(after)) or (
        other_apps and m.group() != "X"
    )


def _plausible_name(name: str) -> bool:
    first = name.split()[0].split("-")[0] if name.split() else ""
    if not first or first in _NOT_NAMES or len(name) < 2 or name.endswith(_NOT_SUFFIXES):
        return False
    return lookup_place(name) is None and demonym(first) is None


def _canonical(name: str) -> str:
    pattern, lookup = _app_pattern()
    m = pattern.fullmatch(name)
    return lookup[re.sub(r"\s+", " ", name).casefold()] if m else name
