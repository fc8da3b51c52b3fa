"""Places for the summarize stage: where a ban applies, read from names in the text (pure).

Contract:
- ``find_places(text)`` lists the places named in ``text`` in order, the longest name winning
  ("New South Wales" over "Wales"); with ``demonyms=True`` "Italian" counts as Italy too.
- A place is a code: ISO 3166 alpha-2 ("GB"), a first-level subdivision code ("GB-SCT") or
  "EU". ``place_name`` turns it back into a display name; ``place_authority`` into the
  authority a place acting as a whole stands for ("national government").
- The source is pycountry (countries and first-level subdivisions) plus the small tables
  below for what pycountry lacks: short and old names, demonyms, eponymous institutions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import pycountry


def _pairs(text: str) -> dict[str, str]:
    """Parse "Name CODE, Other name CODE" into {name: code}: the code is an entry's last word."""
    entries = (entry.split() for entry in text.split(",") if entry.strip())
    return {" ".join(words[:-1]): words[-1] for words in entries}


def _phrases(text: str) -> frozenset[str]:
    """The "|"-separated phrases of ``text`` (a compact way to write a phrase list)."""
    return frozenset(text.split("|"))


# Short forms and old names pycountry lacks (pycountry has no aliases or demonyms).
PLACE_ALIASES = _pairs(
    """UK GB, U.K. GB, Britain GB, Great Britain GB, US US, U.S. US, USA US, U.S.A. US,
    America US, United States of America US, EU EU, E.U. EU, European Union EU, Russia RU,
    Turkey TR, Turkiye TR, Czech Republic CZ, Ivory Coast CI, Burma MM, South Korea KR,
    North Korea KP, Vietnam VN, Laos LA, Syria SY, Iran IR, Moldova MD, Tanzania TZ,
    Venezuela VE, Bolivia BO, Taiwan TW, Palestine PS, Macau MO, Hong Kong HK, Holland NL"""
)
# Phrases that contain a place name but are not that place.
NOT_PLACES = _phrases(
    "Latin America|South America|North America|Central America|Washington|Georgia Tech|"
    "New England|Voice of America"
)
DEMONYMS = _pairs(
    """British GB, American US, Italian IT, Brazilian BR, Chinese CN, Russian RU, Indian IN,
    Turkish TR, Pakistani PK, Nigerian NG, Australian AU, Canadian CA, French FR, German DE,
    Iranian IR, Japanese JP, Nepali NP, Nepalese NP, Venezuelan VE, Indonesian ID,
    Albanian AL, Bangladeshi BD, Egyptian EG, Iraqi IQ, Somali SO, Kyrgyz KG, Gabonese GA,
    Ugandan UG, Libyan LY, Afghan AF, Thai TH, Sri Lankan LK, Vietnamese VN, Dutch NL,
    Danish DK, Belgian BE, Spanish ES, Mexican MX, Israeli IL, Saudi SA, Emirati AE,
    Ukrainian UA, Belarusian BY, Kazakh KZ, Uzbek UZ, Ethiopian ET, Kenyan KE, Tanzanian TZ,
    Zimbabwean ZW, Filipino PH, Philippine PH, Malaysian MY, Singaporean SG, Taiwanese TW,
    Jordanian JO, Syrian SY, Lebanese LB, Moroccan MA, Algerian DZ, Tunisian TN, Cuban CU,
    Colombian CO, Argentine AR, Chilean CL, Peruvian PE, Burmese MM, Qatari QA, Kuwaiti KW,
    Sudanese SD, Senegalese SN, Ghanaian GH, Polish PL, Czech CZ, Swedish SE, Norwegian NO,
    Finnish FI, Irish IE, Greek GR, Portuguese PT, Austrian AT, Swiss CH, Hungarian HU,
    Romanian RO, Serbian RS, Georgian GE, Armenian AM, Azerbaijani AZ, Tajik TJ, Turkmen TM,
    Mongolian MN, Cambodian KH, European EU, Korean KR, South Korean KR, North Korean KP,
    New Zealand NZ, Scottish GB-SCT, Welsh GB-WLS"""
)
# Institutions whose name alone identifies the country (world knowledge, not an example).
INSTITUTIONS = _pairs(
    """Cabinet Office GB, Downing Street GB, Whitehall GB, Westminster GB, Home Office GB,
    Ofcom GB, Holyrood GB-SCT, White House US, Pentagon US, Congress US, FCC US,
    Homeland Security US, Roskomnadzor RU, Kremlin RU, Duma RU, Garante IT, Bundestag DE,
    Knesset IL, Anatel BR, Conatel VE, BTRC BD, BTK TR, RTÜK TR, Cyberspace Administration CN,
    Lok Sabha IN, MeitY IN, CNIL FR"""
)
_SUBDIVISION_TYPES = _phrases(
    "State|Land|Autonomous region|Autonomous community|Union territory|Country|Territory|"
    "Emirate|Autonomous republic|Republic|Province"
)
_MAX_PLACE_WORDS = 8
_TOKEN = re.compile(r"[^\W\d_][\w’'.&-]*|\d+")


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    start: int
    end: int
    city: bool = False  # "New York City": the city, not the state


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
    names.update(PLACE_ALIASES)
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


def lookup_place(name: str) -> str | None:
    """The code of a place or eponymous institution named exactly ``name``, else None."""
    name = re.sub(r"['’]s$", "", name.strip())
    return _places().get(name) or INSTITUTIONS.get(name)


def demonym(word: str) -> str | None:
    """The code of the place a demonym ("Italian") stands for, else None."""
    return DEMONYMS.get(re.sub(r"['’]s$", "", word))


def find_places(text: str, demonyms: bool = False) -> list[Place]:
    """Places named in ``text`` in order (longest name wins), optionally demonyms too."""
    tokens = [(m.start(), m.end(), _clean_token(m.group())) for m in _TOKEN.finditer(text)]
    places: list[Place] = []
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
            places.append(Place(code, tokens[i][0], end, city))
        i += n
    return places


def _clean_token(token: str) -> str:
    token = re.sub(r"['’]s$", "", token)
    return token if re.fullmatch(r"(?:[A-Za-z]\.)+", token) else token.rstrip(".")


def _match_at(tokens: list[tuple[int, int, str]], i: int, demonyms: bool) -> tuple[str, int] | None:
    places = _places()
    for n in range(min(_MAX_PLACE_WORDS, len(tokens) - i), 0, -1):
        phrase = " ".join(t[2] for t in tokens[i : i + n])
        if phrase in NOT_PLACES:
            return "", n
        code = places.get(phrase) or INSTITUTIONS.get(phrase)
        if code is None and demonyms:
            code = DEMONYMS.get(phrase)
        if code:
            return code, n
    return None


def place_name(place: Place) -> str:
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


def place_authority(place: Place) -> str:
    """The authority a place acting as a whole stands for ("Nepal bans" -> national)."""
    if place.code == "EU":
        return "EU institutions"
    if "-" not in place.code:
        return "national government"
    sub = pycountry.subdivisions.get(code=place.code)
    return (
        "state government" if sub is not None and sub.type == "State" else ("regional government")
    )
