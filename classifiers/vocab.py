"""Entity marks: a type token beside each app and place name, so the model learns patterns.

With a few hundred examples a linear model memorises names ("India", "TikTok")
instead of the pattern "<place> bans <app>"; a ban of YouTube in Turkey then
scores low because neither name was seen as a ban. ``mark_entities`` keeps every
name and adds a type token: places get ``_place_`` after the name, apps get
``_app_`` before it, so word bigrams read "_place_ bans" and "bans _app_"::

    "Turkey bans YouTube" -> "Turkey _place_ bans _app_ YouTube"

Lists are static (no runtime dependency): country names from pycountry plus
common short forms, a few capitals and US states that appear as authorities,
demonyms ("Turkish court"), and the apps and online services seen in ban news.
Ambiguous app names (X, Line, Signal, Meta...) are matched case-sensitively.
"""

from __future__ import annotations

import re

APP_MARK = "_app_"
PLACE_MARK = "_place_"

APPS = (
    "TikTok", "Tik Tok", "Douyin", "WeChat", "Weixin", "Weibo", "Telegram", "WhatsApp", "Viber",
    "Skype", "Facebook", "Instagram", "Twitter", "YouTube", "Google", "Gmail", "Google Play",
    "Snapchat", "LinkedIn", "Reddit", "Twitch", "Tumblr", "Pinterest", "Wikipedia", "Blogger",
    "WordPress", "ChatGPT", "OpenAI", "DeepSeek", "Grok", "Gemini", "Copilot", "PUBG",
    "PUBG Mobile", "Fortnite", "Free Fire", "Roblox", "Kaspersky", "Netflix", "Spotify",
    "Uber", "Bing", "Yahoo", "BlackBerry", "VKontakte", "Odnoklassniki", "Yandex", "Baidu",
    "KakaoTalk", "Clubhouse", "Tinder", "Grindr", "Parler", "Truth Social", "Bluesky",
    "Mastodon", "Temu", "Shein", "CapCut", "Lemon8", "Bigo", "Likee", "SHAREit", "UC Browser",
    "Xiaohongshu", "RedNote", "Hotmail", "Flickr", "MySpace", "Orkut", "Megaupload",
    "Pirate Bay", "WikiLeaks", "Pokémon Go", "Pokemon Go", "Candy Crush", "Zoom", "Discord",
    "Imo", "Hike", "Lazada", "AliExpress", "Alipay", "Paytm", "Vimeo", "Dailymotion",
    "SoundCloud", "Twitter/X", "Threads", "Signal", "Line", "Meta", "Gab", "Rumble", "VK", "X",
)  # fmt: skip
_CASE_SENSITIVE = {"Threads", "Signal", "Line", "Meta", "Gab", "Rumble", "VK", "X", "Imo", "Hike"}


PLACES = (
    'Abuja', 'Afghanistan', 'Albania', 'Algeria', 'America', 'American Samoa', 'Andorra', 'Angola',
    'Anguilla', 'Ankara', 'Antarctica', 'Antigua and Barbuda', 'Argentina', 'Armenia', 'Aruba',
    'Australia', 'Austria', 'Azerbaijan', 'Bahamas', 'Bahrain', 'Bangladesh', 'Barbados',
    'Beijing', 'Belarus', 'Belgium', 'Belize', 'Benin', 'Berlin', 'Bermuda', 'Bhutan', 'Bolivia',
    'Bosnia and Herzegovina', 'Botswana', 'Bouvet Island', 'Brasilia', 'Brasília', 'Brazil',
    'Britain', 'British Indian Ocean Territory', 'Brunei Darussalam', 'Brussels', 'Bulgaria',
    'Burkina Faso', 'Burma', 'Burundi', 'Cabo Verde', 'Cairo', 'California', 'Cambodia',
    'Cameroon', 'Canada', 'Canberra', 'Cayman Islands', 'Central African Republic', 'Chad',
    'Chile', 'China', 'Christmas Island', 'Colombia', 'Comoros', 'Congo', 'Cook Islands',
    'Costa Rica', 'Crimea', 'Croatia', 'Cuba', 'Curaçao', 'Cyprus', 'Czech Republic', 'Czechia',
    "Côte d'Ivoire", 'Delhi', 'Denmark', 'Dhaka', 'Djibouti', 'Dominica', 'Dominican Republic',
    'Ecuador', 'Egypt', 'El Salvador', 'England', 'Equatorial Guinea', 'Eritrea', 'Estonia',
    'Eswatini', 'Ethiopia', 'Europe', 'European Union', 'Faroe Islands', 'Fiji', 'Finland',
    'Florida', 'France', 'French Guiana', 'French Polynesia', 'French Southern Territories',
    'Gabon', 'Gambia', 'Gaza', 'Georgia', 'Germany', 'Ghana', 'Gibraltar', 'Great Britain',
    'Greece', 'Greenland', 'Grenada', 'Guadeloupe', 'Guam', 'Guatemala', 'Guernsey', 'Guinea',
    'Guinea-Bissau', 'Guyana', 'Haiti', 'Hanoi', 'Heard Island and McDonald Islands', 'Honduras',
    'Hong Kong', 'Hungary', 'Iceland', 'India', 'Indiana', 'Indonesia', 'Iran', 'Iraq', 'Ireland',
    'Islamabad', 'Isle of Man', 'Israel', 'Italy', 'Ivory Coast', 'Jakarta', 'Jamaica', 'Japan',
    'Jersey', 'Jordan', 'Kabul', 'Kathmandu', 'Kazakhstan', 'Kenya', 'Kiribati', 'Korea', 'Kosovo',
    'Kuwait', 'Kyrgyzstan', 'Lagos', "Lao People's Democratic Republic", 'Laos', 'Latvia',
    'Lebanon', 'Lesotho', 'Liberia', 'Libya', 'Liechtenstein', 'Lithuania', 'Luxembourg', 'Macao',
    'Macau', 'Macedonia', 'Madagascar', 'Malawi', 'Malaysia', 'Maldives', 'Mali', 'Malta',
    'Marshall Islands', 'Martinique', 'Mauritania', 'Mauritius', 'Mayotte', 'Mexico', 'Moldova',
    'Monaco', 'Mongolia', 'Montana', 'Montenegro', 'Montserrat', 'Morocco', 'Moscow', 'Mozambique',
    'Myanmar', 'Nairobi', 'Namibia', 'Nauru', 'Nebraska', 'Nepal', 'Netherlands', 'New Caledonia',
    'New Delhi', 'New Zealand', 'Nicaragua', 'Niger', 'Nigeria', 'Niue', 'Norfolk Island',
    'North Korea', 'North Macedonia', 'Northern Mariana Islands', 'Norway', 'Ohio', 'Oman',
    'Ottawa', 'Pakistan', 'Palau', 'Palestine', 'Panama', 'Papua New Guinea', 'Paraguay', 'Paris',
    'Peru', 'Philippines', 'Pitcairn', 'Poland', 'Portugal', 'Puerto Rico', 'Qatar', 'Romania',
    'Russia', 'Russian Federation', 'Rwanda', 'Réunion', 'Saint Barthélemy',
    'Saint Kitts and Nevis', 'Saint Lucia', 'Saint Pierre and Miquelon',
    'Saint Vincent and the Grenadines', 'Samoa', 'San Marino', 'Sao Tome and Principe',
    'Saudi Arabia', 'Scotland', 'Senegal', 'Serbia', 'Seychelles', 'Sierra Leone', 'Singapore',
    'Slovakia', 'Slovenia', 'Solomon Islands', 'Somalia', 'South Africa',
    'South Georgia and the South Sandwich Islands', 'South Korea', 'South Sudan', 'Spain',
    'Sri Lanka', 'Sudan', 'Suriname', 'Svalbard and Jan Mayen', 'Sweden', 'Switzerland', 'Syria',
    'Syrian Arab Republic', 'Taipei', 'Taiwan', 'Tajikistan', 'Tanzania', 'Tehran', 'Texas',
    'Thailand', 'Timor-Leste', 'Togo', 'Tokelau', 'Tonga', 'Trinidad and Tobago', 'Tunisia',
    'Turkey', 'Turkmenistan', 'Turks and Caicos Islands', 'Tuvalu', 'Türkiye', 'Uganda', 'Ukraine',
    'United Arab Emirates', 'United Kingdom', 'United States',
    'United States Minor Outlying Islands', 'Uruguay', 'Utah', 'Uzbekistan', 'Vanuatu',
    'Venezuela', 'Viet Nam', 'Vietnam', 'Virginia', 'Wales', 'Wallis and Futuna', 'Washington',
    'Western Sahara', 'Yemen', 'Zambia', 'Zimbabwe', 'Åland Islands',
)  # fmt: skip

DEMONYMS = (
    'Afghan', 'Albanian', 'Algerian', 'American', 'Argentine', 'Argentinian', 'Armenian',
    'Australian', 'Austrian', 'Azerbaijani', 'Bangladeshi', 'Belarusian', 'Belgian', 'Bolivian',
    'Brazilian', 'British', 'Bulgarian', 'Burmese', 'Cambodian', 'Cameroonian', 'Canadian',
    'Chilean', 'Chinese', 'Colombian', 'Congolese', 'Croatian', 'Cuban', 'Czech', 'Danish',
    'Dutch', 'Egyptian', 'Emirati', 'English', 'Eritrean', 'Estonian', 'Ethiopian', 'European',
    'Filipino', 'Finnish', 'French', 'Gabonese', 'Georgian', 'German', 'Ghanaian', 'Greek',
    'Guinean', 'Haitian', 'Honduran', 'Hungarian', 'Indian', 'Indonesian', 'Iranian', 'Iraqi',
    'Irish', 'Israeli', 'Italian', 'Ivorian', 'Jamaican', 'Japanese', 'Jordanian', 'Kazakh',
    'Kenyan', 'Korean', 'Kuwaiti', 'Kyrgyz', 'Lao', 'Latvian', 'Lebanese', 'Liberian', 'Libyan',
    'Lithuanian', 'Malawian', 'Malaysian', 'Malian', 'Mauritanian', 'Mexican', 'Moldovan',
    'Mongolian', 'Moroccan', 'Mozambican', 'Nepalese', 'Nepali', 'Nicaraguan', 'Nigerian',
    'Nigerien', 'Norwegian', 'Omani', 'Pakistani', 'Palestinian', 'Panamanian', 'Peruvian',
    'Polish', 'Portuguese', 'Qatari', 'Romanian', 'Russian', 'Rwandan', 'Salvadoran', 'Saudi',
    'Scottish', 'Senegalese', 'Serbian', 'Singaporean', 'Slovak', 'Slovenian', 'Somali', 'Soviet',
    'Spanish', 'Sri Lankan', 'Sudanese', 'Swedish', 'Swiss', 'Syrian', 'Taiwanese', 'Tajik',
    'Tanzanian', 'Thai', 'Togolese', 'Tunisian', 'Turkish', 'Turkmen', 'Ugandan', 'Ukrainian',
    'Uruguayan', 'Uzbek', 'Venezuelan', 'Vietnamese', 'Welsh', 'Yemeni', 'Zambian', 'Zimbabwean',
)  # fmt: skip


def _alternation(names: list[str], *, fold: bool = False) -> str:
    """A regex matching any of ``names``, the longest match first, as a prefix trie.

    A trie ("Pa(?:kistan|lau|...)") instead of a flat "a|b|c" list: Python's
    regex engine tries every alternative at every position, and with a few
    hundred names that was a third of the time of ``monitor classify``.
    Greedy optional tails keep the longest-first order ("PUBG Mobile" before
    "PUBG"). ``fold`` lower-cases the names, for a pattern compiled with IGNORECASE.
    """
    trie: dict[str, dict] = {}
    for name in names:
        node = trie
        for char in name.lower() if fold else name:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node: dict[str, dict]) -> str:
    branches = [re.escape(char) + _trie_pattern(child) for char, child in node.items() if char]
    if not branches:
        return ""
    ends = "" in node
    if len(branches) == 1 and not ends:
        return branches[0]
    return f"(?:{'|'.join(branches)})" + ("?" if ends else "")


_ANY_CASE_APPS = [a for a in APPS if a not in _CASE_SENSITIVE]
_APPS_ANY_CASE = re.compile(
    rf"(?<![\w/])({_alternation(_ANY_CASE_APPS, fold=True)})(?![\w-])",
    re.IGNORECASE,
)
_APPS_EXACT = re.compile(rf"(?<![\w/.'-])({_alternation(sorted(_CASE_SENSITIVE))})(?![\w-])")
_PLACES = re.compile(rf"(?<![\w-])({_alternation([*PLACES, *DEMONYMS])})(?![\w-])")
_US = re.compile(r"(?<![\w.])(U\.S\.|US|U\.K\.|UK|EU|UAE)(?![\w-])")


def mark_entities(text: str) -> str:
    """``text`` with ``_app_`` before app names and ``_place_`` after place names."""
    # Replacement functions, not "\1" templates: Python 3.11 expands a template in
    # Python code for every match, which took ~40 % of the time of this function.
    text = _APPS_ANY_CASE.sub(_mark_app, text)
    text = _APPS_EXACT.sub(_mark_app, text)
    text = _PLACES.sub(_mark_place, text)
    return _US.sub(_mark_place, text)


def _mark_app(match: re.Match[str]) -> str:
    return f"{APP_MARK} {match[1]}"


def _mark_place(match: re.Match[str]) -> str:
    return f"{match[1]} {PLACE_MARK}"


def app_names(text: str) -> set[str]:
    """The app names in ``text``, lower-cased (for grouping examples by event)."""
    return {m.lower() for rx in (_APPS_ANY_CASE, _APPS_EXACT) for m in rx.findall(text)}


def place_names(text: str) -> set[str]:
    """The place names and demonyms in ``text``, lower-cased."""
    return {m.lower() for rx in (_PLACES, _US) for m in rx.findall(text)}
