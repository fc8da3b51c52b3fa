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
sentence first: the actor before the ban verb is the authority; places come from
pycountry (countries and first-level subdivisions) plus small alias/demonym tables.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import pycountry

from monitor.records import Scored, Summary

MAX_CHARS = 8_000  # enough for any news lead; bounds the regex work per article
MAX_SENTENCES = 60
_SENTENCE_CAP = 1_000  # longer "sentences" (no punctuation) are truncated for scoring

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


# ---------------------------------------------------------------------------- vocabulary

_STRONG_VERB = re.compile(
    r"\b(?:ban(?:s|ned|ning)?|block(?:s|ed|ing)?|prohibit\w*|suspen(?:d|ds|ded|ding|sion)|"
    r"restrict(?:s|ed|ing|ions?)?|bar(?:s|red|ring)?|outlaw\w*|forb(?:id|ids|ade|idden))\b",
    re.IGNORECASE,
)
_WEAK_VERB = re.compile(
    r"\b(?:remove|delete|uninstall|shut(?:s|ting)? down|cut(?:s|ting)? off|not to use|"
    r"must not be|not be (?:used|utili[sz]ed|installed)|clos(?:e|es|ed|ing))\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
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


# ---------------------------------------------------------------------------- apps

# Canonical name -> spellings. No maintained dataset of app names exists, so this is a
# table; "the <Name> app" patterns below catch apps it lacks.
_KNOWN_APPS: dict[str, tuple[str, ...]] = {
    "TikTok": ("TikTok", "Tik Tok"),
    "Douyin": ("Douyin",),
    "WeChat": ("WeChat", "Weixin"),
    "WeChat Pay": ("WeChat Pay",),
    "Weibo": ("Weibo",),
    "Telegram": ("Telegram",),
    "ChatGPT": ("ChatGPT", "Chat GPT"),
    "DeepSeek": ("DeepSeek",),
    "X": ("Twitter",),
    "WhatsApp": ("WhatsApp",),
    "PUBG Mobile": (
        "PUBG Mobile",
        "PUBG",
        "PlayerUnknown's Battlegrounds",
        "PlayerUnknown’s Battlegrounds",
        "Battlegrounds Mobile India",
    ),
    "Free Fire": ("Free Fire", "Garena Free Fire"),
    "Kaspersky": ("Kaspersky", "Kaspersky Lab"),
    "Instagram": ("Instagram",),
    "Facebook": ("Facebook",),
    "YouTube": ("YouTube",),
    "Roblox": ("Roblox",),
    "Viber": ("Viber",),
    "LinkedIn": ("LinkedIn",),
    "Replika": ("Replika",),
    "Worldcoin": ("Worldcoin",),
    "Temu": ("Temu",),
    "Shein": ("Shein",),
    "Grindr": ("Grindr",),
    "Tinder": ("Tinder",),
    "Pokémon Go": ("Pokémon Go", "Pokemon Go"),
    "Snapchat": ("Snapchat",),
    "Bluesky": ("Bluesky",),
    "Uber": ("Uber",),
    "Grok": ("Grok",),
    "Character.AI": ("Character.AI", "Character AI"),
    "Skype": ("Skype",),
    "Likee": ("Likee",),
    "Bigo Live": ("Bigo Live",),
    "Helo": ("Helo",),
    "UC Browser": ("UC Browser",),
    "CapCut": ("CapCut",),
    "Lemon8": ("Lemon8",),
    "RedNote": ("RedNote", "Xiaohongshu"),
    "Wikipedia": ("Wikipedia",),
    "Netflix": ("Netflix",),
    "Spotify": ("Spotify",),
    "Twitch": ("Twitch",),
    "Reddit": ("Reddit",),
    "Pinterest": ("Pinterest",),
    "Tumblr": ("Tumblr",),
    "Flickr": ("Flickr",),
    "MySpace": ("MySpace",),
    "Truth Social": ("Truth Social",),
    "Parler": ("Parler",),
    "VKontakte": ("VKontakte",),
    "Odnoklassniki": ("Odnoklassniki",),
    "Yandex": ("Yandex",),
    "Starlink": ("Starlink",),
    "Fortnite": ("Fortnite",),
    "Minecraft": ("Minecraft",),
    "Candy Crush": ("Candy Crush",),
    "1xBet": ("1xBet",),
    "Lazada": ("Lazada",),
    "AliExpress": ("AliExpress",),
    "Alipay": ("Alipay",),
    "KakaoTalk": ("KakaoTalk",),
    "Threema": ("Threema",),
    "OnlyFans": ("OnlyFans",),
    "Pornhub": ("Pornhub",),
    "Dailymotion": ("Dailymotion",),
    "Hotmail": ("Hotmail",),
    "Gmail": ("Gmail",),
    "Vimeo": ("Vimeo",),
}
# Names that are also common words: matched case-sensitively and only with a cue nearby.
_AMBIGUOUS_APPS: dict[str, str] = {
    "X": "X",
    "Signal": "Signal",
    "Zoom": "Zoom",
    "Discord": "Discord",
    "Threads": "Threads",
    "Clubhouse": "Clubhouse",
    "Copilot": "Copilot",
    "Gemini": "Gemini",
    "Rumble": "Rumble",
    "VK": "VKontakte",
    "Steam": "Steam",
}
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
_NOT_NAMES = frozenset(
    [
        "The",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "In",
        "On",
        "At",
        "A",
        "An",
        "And",
        "Or",
        "Of",
        "For",
        "To",
        "With",
        "From",
        "By",
        "As",
        "Is",
        "Chinese",
        "Russian",
        "American",
        "Western",
        "Social",
        "Mobile",
        "Government",
        "State",
        "Federal",
        "National",
        "Popular",
        "Video",
        "Messaging",
        "Internet",
        "Online",
        "AI",
        "Store",
        "Stores",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Act",
        "Ministry",
        "Minister",
        "Court",
        "Parliament",
        "Commission",
    ]
)


_NOT_SUFFIXES = ("-owned", "-based", "-made", "-linked", "-backed", "-run", "-sharing")


@cache
def _app_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    lookup = {alias.casefold(): name for name, aliases in _KNOWN_APPS.items() for alias in aliases}
    alternatives = sorted(lookup, key=len, reverse=True)
    body = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alternatives)
    return re.compile(rf"(?<![\w.])(?:{body})(?![\w])", re.IGNORECASE), lookup


_AMBIGUOUS_PATTERN = re.compile(
    r"(?<![\w.\-])(" + "|".join(sorted(_AMBIGUOUS_APPS, key=len, reverse=True)) + r")(?![\w\-])"
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
            found.append((m.start(), _AMBIGUOUS_APPS[m.group()]))
    for m in _GENERIC_APP.finditer(sentence):
        name = (m.group(1) or m.group(2) or "").strip()
        if _plausible_name(name):
            found.append((m.start(1) if m.group(1) else m.start(2), _canonical(name)))
    return _unique(name for _, name in sorted(found))


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
    return _lookup_place(name) is None and _demonym(first) is None


def _canonical(name: str) -> str:
    pattern, lookup = _app_pattern()
    m = pattern.fullmatch(name)
    return lookup[re.sub(r"\s+", " ", name).casefold()] if m else name


def _unique(items: object) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:  # type: ignore[attr-defined]
        seen.setdefault(item, None)
    return list(seen)


# ---------------------------------------------------------------------------- places

# Short forms and old names pycountry lacks (pycountry has no aliases or demonyms).
_PLACE_ALIASES: dict[str, str] = {
    "UK": "GB",
    "U.K.": "GB",
    "Britain": "GB",
    "Great Britain": "GB",
    "US": "US",
    "U.S.": "US",
    "USA": "US",
    "U.S.A.": "US",
    "America": "US",
    "United States of America": "US",
    "EU": "EU",
    "E.U.": "EU",
    "European Union": "EU",
    "Russia": "RU",
    "Turkey": "TR",
    "Turkiye": "TR",
    "Czech Republic": "CZ",
    "Ivory Coast": "CI",
    "Burma": "MM",
    "South Korea": "KR",
    "North Korea": "KP",
    "Vietnam": "VN",
    "Laos": "LA",
    "Syria": "SY",
    "Iran": "IR",
    "Moldova": "MD",
    "Tanzania": "TZ",
    "Venezuela": "VE",
    "Bolivia": "BO",
    "Taiwan": "TW",
    "Palestine": "PS",
    "Macau": "MO",
    "Hong Kong": "HK",
    "Holland": "NL",
}
# Phrases that contain a place name but are not that place.
_NOT_PLACES = frozenset(
    {
        "Latin America",
        "South America",
        "North America",
        "Central America",
        "Washington",
        "Georgia Tech",
        "New England",
        "Voice of America",
    }
)
_DEMONYMS: dict[str, str] = {
    "British": "GB",
    "American": "US",
    "Italian": "IT",
    "Brazilian": "BR",
    "Chinese": "CN",
    "Russian": "RU",
    "Indian": "IN",
    "Turkish": "TR",
    "Pakistani": "PK",
    "Nigerian": "NG",
    "Australian": "AU",
    "Canadian": "CA",
    "French": "FR",
    "German": "DE",
    "Iranian": "IR",
    "Japanese": "JP",
    "Nepali": "NP",
    "Nepalese": "NP",
    "Venezuelan": "VE",
    "Indonesian": "ID",
    "Albanian": "AL",
    "Bangladeshi": "BD",
    "Egyptian": "EG",
    "Iraqi": "IQ",
    "Somali": "SO",
    "Kyrgyz": "KG",
    "Gabonese": "GA",
    "Ugandan": "UG",
    "Libyan": "LY",
    "Afghan": "AF",
    "Thai": "TH",
    "Sri Lankan": "LK",
    "Vietnamese": "VN",
    "Dutch": "NL",
    "Danish": "DK",
    "Belgian": "BE",
    "Spanish": "ES",
    "Mexican": "MX",
    "Israeli": "IL",
    "Saudi": "SA",
    "Emirati": "AE",
    "Ukrainian": "UA",
    "Belarusian": "BY",
    "Kazakh": "KZ",
    "Uzbek": "UZ",
    "Ethiopian": "ET",
    "Kenyan": "KE",
    "Tanzanian": "TZ",
    "Zimbabwean": "ZW",
    "Filipino": "PH",
    "Philippine": "PH",
    "Malaysian": "MY",
    "Singaporean": "SG",
    "Taiwanese": "TW",
    "Jordanian": "JO",
    "Syrian": "SY",
    "Lebanese": "LB",
    "Moroccan": "MA",
    "Algerian": "DZ",
    "Tunisian": "TN",
    "Cuban": "CU",
    "Colombian": "CO",
    "Argentine": "AR",
    "Chilean": "CL",
    "Peruvian": "PE",
    "Burmese": "MM",
    "Qatari": "QA",
    "Kuwaiti": "KW",
    "Sudanese": "SD",
    "Senegalese": "SN",
    "Ghanaian": "GH",
    "Polish": "PL",
    "Czech": "CZ",
    "Swedish": "SE",
    "Norwegian": "NO",
    "Finnish": "FI",
    "Irish": "IE",
    "Greek": "GR",
    "Portuguese": "PT",
    "Austrian": "AT",
    "Swiss": "CH",
    "Hungarian": "HU",
    "Romanian": "RO",
    "Serbian": "RS",
    "Georgian": "GE",
    "Armenian": "AM",
    "Azerbaijani": "AZ",
    "Tajik": "TJ",
    "Turkmen": "TM",
    "Mongolian": "MN",
    "Cambodian": "KH",
    "European": "EU",
    "Korean": "KR",
    "South Korean": "KR",
    "North Korean": "KP",
    "New Zealand": "NZ",
    "Scottish": "GB-SCT",
    "Welsh": "GB-WLS",
}
# Institutions whose name alone identifies the country (world knowledge, not an example).
_INSTITUTIONS: dict[str, str] = {
    "Cabinet Office": "GB",
    "Downing Street": "GB",
    "Whitehall": "GB",
    "Westminster": "GB",
    "Home Office": "GB",
    "Ofcom": "GB",
    "Holyrood": "GB-SCT",
    "White House": "US",
    "Pentagon": "US",
    "Congress": "US",
    "FCC": "US",
    "Homeland Security": "US",
    "Roskomnadzor": "RU",
    "Kremlin": "RU",
    "Duma": "RU",
    "Garante": "IT",
    "Bundestag": "DE",
    "Knesset": "IL",
    "Anatel": "BR",
    "Conatel": "VE",
    "BTRC": "BD",
    "BTK": "TR",
    "RTÜK": "TR",
    "Cyberspace Administration": "CN",
    "Lok Sabha": "IN",
    "MeitY": "IN",
    "CNIL": "FR",
}
_SUBDIVISION_TYPES = frozenset(
    {
        "State",
        "Land",
        "Autonomous region",
        "Autonomous community",
        "Union territory",
        "Country",
        "Territory",
        "Emirate",
        "Autonomous republic",
        "Republic",
        "Province",
    }
)
_MAX_PLACE_WORDS = 8
_TOKEN = re.compile(r"[^\W\d_][\w’'.&-]*|\d+")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@cache
def _places() -> dict[str, str]:
    """Place name as written -> code: alpha-2, subdivision code (GB-SCT) or "EU"."""
    names: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                names[name] = names[_fold(name)] = country.alpha_2
                short.setdefault(name.split(",")[0], set()).add(country.alpha_2)
    for name, codes in short.items():  # "Iran, Islamic Republic of" -> "Iran" when unique
        if len(codes) == 1:
            names.setdefault(name, next(iter(codes)))
    names.update(_subdivisions(names))
    names.update(_PLACE_ALIASES)
    return names


def _subdivisions(countries: dict[str, str]) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        if sub.type not in _SUBDIVISION_TYPES or sub.parent_code is not None:
            continue
        for name in {sub.name, _fold(sub.name)}:
            if len(name) >= 4 and name not in countries and "," not in name:
                seen.setdefault(name, set()).add(sub.code)
    # a name shared by several subdivisions (Punjab) is ambiguous: leave it out
    return {name: next(iter(codes)) for name, codes in seen.items() if len(codes) == 1}


def _lookup_place(name: str) -> str | None:
    name = re.sub(r"['’]s$", "", name.strip())
    return _places().get(name) or _INSTITUTIONS.get(name)


def _demonym(word: str) -> str | None:
    return _DEMONYMS.get(re.sub(r"['’]s$", "", word))


@dataclass(frozen=True, slots=True)
class _Place:
    code: str
    start: int
    end: int
    city: bool = False  # "New York City": the city, not the state


def find_places(text: str, demonyms: bool = False) -> list[_Place]:
    """Places named in ``text`` in order (longest name wins), optionally demonyms too."""
    tokens = [(m.start(), m.end(), _clean_token(m.group())) for m in _TOKEN.finditer(text)]
    places: list[_Place] = []
    i = 0
    while i < len(tokens):
        hit = _match_at(tokens, i, demonyms)
        if hit is None:
            i += 1
            continue
        code, n = hit
        end = tokens[i + n - 1][1]
        city = i + n < len(tokens) and tokens[i + n][2] == "City"
        if code:
            places.append(_Place(code, tokens[i][0], end, city))
        i += n
    return places


def _clean_token(token: str) -> str:
    token = re.sub(r"['’]s$", "", token)
    return token if re.fullmatch(r"(?:[A-Za-z]\.)+", token) else token.rstrip(".")


def _match_at(tokens: list[tuple[int, int, str]], i: int, demonyms: bool) -> tuple[str, int] | None:
    places = _places()
    for n in range(min(_MAX_PLACE_WORDS, len(tokens) - i), 0, -1):
        phrase = " ".join(t[2] for t in tokens[i : i + n])
        if phrase in _NOT_PLACES:
            return "", n
        code = places.get(phrase) or _INSTITUTIONS.get(phrase)
        if code is None and demonyms:
            code = _DEMONYMS.get(phrase)
        if code:
            return code, n
    return None


def place_name(place: _Place) -> str:
    """Display name: pycountry's common name (else name); subdivisions as "Texas, United States"."""
    if place.code == "EU":
        return "European Union"
    if "-" in place.code:
        sub = pycountry.subdivisions.get(code=place.code)
        name = sub.name if sub else place.code
        return f"{name}{' City' if place.city else ''}, {_country_name(place.code[:2])}"
    country = _country_name(place.code)
    return f"{country} City, {country}" if place.city else country


def _country_name(alpha_2: str) -> str:
    country = pycountry.countries.get(alpha_2=alpha_2)
    if country is None:
        return alpha_2
    return getattr(country, "common_name", None) or country.name.split(",")[0]


# ---------------------------------------------------------------------------- authority

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
_HEAD = re.compile(r"(?<![\w-])(?:" + "|".join(p for _, p in _HEADS) + r")\b")
_PERSON_HEADS = re.compile(
    r"(?:Prime Minister|[Mm]inister|[Pp]resident|[Gg]overnor|"
    r"[Ss]ecretary|[Jj]udge|[Jj]ustice|[Rr]egulator|[Ww]atchdog|"
    r"[Cc]ommissioner|[Aa]uthority|[Cc]ourt)$"
)
_MODIFIERS = frozenset(
    [
        "data",
        "protection",
        "communications",
        "telecommunications",
        "telecoms",
        "telecom",
        "internet",
        "media",
        "mass",
        "federal",
        "national",
        "state",
        "top",
        "administrative",
        "supreme",
        "high",
        "district",
        "appeals",
        "digital",
        "cyberspace",
        "cybersecurity",
        "privacy",
        "consumer",
        "competition",
        "education",
        "information",
        "interior",
        "foreign",
        "defence",
        "defense",
        "public",
        "municipal",
        "provincial",
        "regional",
        "chief",
        "city",
        "local",
        "electoral",
        "security",
        "intelligence",
        "central",
        "and",
        "of",
        "the",
        "for",
    ]
)
_STOP_CAPS = frozenset(
    [
        "In",
        "On",
        "At",
        "Meanwhile",
        "However",
        "Following",
        "After",
        "Before",
        "Now",
        "Then",
        "Also",
        "But",
        "And",
        "Earlier",
        "Later",
        "Last",
        "This",
        "That",
        "It",
        "Its",
        "Their",
        "His",
        "Her",
        "Our",
        "When",
        "While",
        "As",
        "Since",
        "Despite",
        "Although",
        "Under",
        "With",
        "By",
        "For",
        "From",
        "Today",
        "Yesterday",
        "A",
        "An",
        "The",
        "If",
        "Some",
        "Several",
        "Many",
    ]
)
_PLACE_AUTHORITY = {"country": "national government", "EU": "EU institutions"}
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
    m = _HEAD.search(authority)
    if m is None:
        return None
    return next((level for level, p in _LEVELS if p.match(m.group())), None)


def _anchor(sentence: str) -> int | None:
    """Where the ban is said: the first ban verb (or account closure) in the sentence."""
    hits = [m.start() for p in (_STRONG_VERB, _WEAK_VERB) if (m := p.search(sentence))]
    return min(hits) if hits else None


def _authority_phrase(sentence: str, start: int, end: int) -> str | None:
    """The first institution named in sentence[start:end], as written, with its modifiers."""
    m = _HEAD.search(sentence, start, end)
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


@dataclass(frozen=True, slots=True)
class _Actor:
    authority: str | None
    place: _Place | None


def _actor(sentence: str) -> _Actor:
    """Who acts in ``sentence``: the institution before a ban verb, else the place that opens
    the sentence ("Turkey blocks"), else "by <institution>" after the verb (passive voice)."""
    for anchor in _anchors(sentence)[:3]:
        actor = _actor_before(sentence, anchor)
        if actor.authority is not None:
            return actor
    return _Actor(None, None)


def _anchors(sentence: str) -> list[int]:
    return sorted(m.start() for p in (_STRONG_VERB, _WEAK_VERB) for m in p.finditer(sentence))


def _actor_before(sentence: str, anchor: int) -> _Actor:
    phrase = _authority_phrase(sentence, 0, anchor)
    subject = [p for p in find_places(sentence[:anchor]) if p.code]
    opens = subject and subject[0].start <= 4  # "Nepal orders its regulator to block"
    if opens and (phrase is None or sentence.find(phrase, 0, anchor) >= subject[0].end):
        return _Actor(_place_authority(subject[0]), subject[0])
    if phrase is None and subject:
        return _Actor(_place_authority(subject[0]), subject[0])
    if phrase is None and (m := re.search(r"\bby\s+", sentence[anchor:])):
        phrase = _authority_phrase(sentence, anchor + m.end(), len(sentence))
    if phrase is None:
        return _Actor(None, None)
    places = find_places(phrase, demonyms=True)
    return _Actor(phrase, places[0] if places else None)


def _place_authority(place: _Place) -> str:
    if place.code == "EU":
        return "EU institutions"
    if "-" not in place.code:
        return "national government"
    sub = pycountry.subdivisions.get(code=place.code)
    return (
        "state government" if sub is not None and sub.type == "State" else ("regional government")
    )


# ---------------------------------------------------------------------------- scope, status, date

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


def _scope(
    sentences: list[str], level: str | None, place: _Place | None, action: str | None
) -> str | None:
    """The first scope stated in ``sentences``; else what the actor implies (a country's
    ban on an app itself is nationwide; a state's is regional; the military's, personnel)."""
    if action == "account closed":
        return None  # closing one's own account has no population
    for sentence in sentences:
        for name, pattern in _SCOPE_PATTERNS:
            m = pattern.search(sentence)
            if m is None or (name == "devices" and _only_personal(sentence)):
                continue
            return _device_scope(sentence, level) if name == "devices" else name
    if level == "military":
        return "military personnel"
    if action in _RESTRICTIONS and level in {"state", "executive", "regulator", "court"} and place:
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


def _effective_date(sentences: list[str]) -> str | None:
    """The start date as stated ("from March 20", "beginning Monday"), else None."""
    for sentence in sentences:
        m = _EFFECTIVE.search(sentence)
        if m:
            return m.group("on") or m.group("from")
    return None


def _action(sentence: str) -> str | None:
    if _ACCOUNT_CLOSED.search(sentence):
        return "account closed"
    hits = [(m.start(), name) for name, p in _ACTIONS if (m := p.search(sentence))]
    return min(hits)[1] if hits else None


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
        out.append(_Sentence(sentence, index, _score(sentence[:_SENTENCE_CAP], index)))
    return out


def _score(sentence: str, index: int) -> float:
    """How likely this sentence carries the ban: verb, app, institution, position."""
    score = 3.0 if _STRONG_VERB.search(sentence) else 1.5 if _WEAK_VERB.search(sentence) else 0.0
    if score and _HEDGE.search(sentence):
        score -= 2.0
    if find_apps(sentence):
        score += 2.0
    if _HEAD.search(sentence):
        score += 1.0
    if sentence[:1] in "\"“‘'":
        score -= 1.0  # quotes are reactions more often than the news itself
    return score + 3.0 / (1 + max(index, 0))


def _evidence(body: list[_Sentence], title: str) -> tuple[str, ...]:
    """One or two sentences that carry the ban, verbatim; the title when the body has none."""
    ranked = sorted(body, key=lambda s: (-s.score, s.index))
    if not ranked or ranked[0].score < _EVIDENCE_FLOOR:
        good_title = title and _STRONG_VERB.search(title) and find_apps(title)
        if good_title:
            return (title,)
        return (ranked[0].text,) if ranked and _anchor(ranked[0].text) is not None else ()
    first = ranked[0]
    apps = set(find_apps(first.text))
    seconds = [
        other
        for other in ranked[1:6]
        if other.score >= _SECOND_FLOOR
        and not _HEDGE.search(other.text)
        and _same_ban(first.text, other.text, apps)
    ]
    if not seconds:
        return (first.text,)
    second = min(seconds, key=lambda s: s.index)  # news leads state the facts first
    return tuple(s.text for s in sorted((first, second), key=lambda s: s.index))


def _same_ban(first: str, other: str, apps: set[str]) -> bool:
    """Does ``other`` speak of the same ban: a shared app and no other place?"""
    if _anchor(other) is None or (apps and not apps & set(find_apps(other))):
        return False
    here, there = _where(first), _where(other)
    return here is None or there is None or here == there


def _where(sentence: str) -> str | None:
    """The place of the actor of a ban sentence, else the first place it names."""
    sentence = sentence[:_SENTENCE_CAP]
    place = _actor(sentence).place or _first_place([sentence])
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


# ---------------------------------------------------------------------------- facts


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
    main = evidence[0][:_SENTENCE_CAP] if evidence else title
    if not main:
        return Facts()
    actor = _actor(main)
    if actor.authority is None and title and main != title:
        actor = _actor(title)
    # the lede usually names the place when the evidence sentence does not
    place = actor.place or _first_place([main, title, *evidence[1:], *lead[:1]])
    level = authority_level(actor.authority)
    action = _action(main) or (_action(title) if title else None)
    # other lead sentences count only when they speak of the ban too
    nearby = [s[:_SENTENCE_CAP] for s in (*evidence, *lead) if s in evidence or _anchor(s)]
    return Facts(
        apps=_apps(title, evidence, lead),
        authority=actor.authority,
        jurisdiction=place_name(place) if place else None,
        scope=_scope(list(dict.fromkeys(nearby)), level, place, action),
        action=action,
        status=_status(main, level),
        effective_date=_effective_date(_dated(evidence, lead)),
    )


def _dated(evidence: tuple[str, ...], lead: list[str]) -> list[str]:
    """Sentences that may state when the ban starts: the evidence, then lead sentences that
    speak of the ban or of something taking effect."""
    extra = [s for s in lead if s not in evidence and (_anchor(s) or "effect" in s)]
    return [s[:_SENTENCE_CAP] for s in (*evidence, *extra)]


def _first_place(sentences: list[str]) -> _Place | None:
    for sentence in sentences:
        places = [p for p in find_places(sentence[:_SENTENCE_CAP]) if p.code]
        if places:
            return places[0]
    return None


def _apps(title: str, evidence: tuple[str, ...], lead: list[str]) -> tuple[str, ...]:
    """Apps the ban is about: named in the title or the evidence; else in the lead."""
    found = _unique(app for s in (title, *evidence) for app in find_apps(s[:_SENTENCE_CAP]))
    if not found:
        found = _unique(app for s in lead[:3] for app in find_apps(s[:_SENTENCE_CAP]))
    return tuple(found)


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
    evidence = _evidence(body, title[:_SENTENCE_CAP])
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
