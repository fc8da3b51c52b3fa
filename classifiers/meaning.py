"""The meaning of a headline: who acts, on what, and whether it happened (pure, regex only).

``analyse(title, text)`` reads the headline (the title, else the first sentence of
the text) and returns a ``Meaning``:

- ``actor``: state | court | legislature | regulator | public_body | platform | person | unknown
  (the subject before the ban verb; a passive "X banned in <place>" is the state);
- ``target``: app | person | content | website | device | unknown (the first object
  after the ban verb: "bans TikTok on government phones" is an app);
- ``modality``: done | decided | signed | ordered | proposed | considering | threatened |
  planned | lifted | overturned | denied | opinion | none (none: no ban verb at all);
- ``main_clause``: the ban verb is in the headline's main clause, not after "as", "after",
  "amid", "despite"... ("Users flock to VPNs as Iran blocks WhatsApp" is not);
- ``verb``, ``actor_words``, ``apps``: the words found, for the plain-words "why".

``lead_ban`` reads the next sentences of the lead the same way, for summaries that state
the act after a first sentence of context (the model's ``mx_lead_ban`` marker).

``meaning_tokens`` turns a Meaning into marker words (``mx_...``) that the model reads
as features, with the crosses a linear model cannot form by itself ("authority acts on
an app, and it happened"). Used by ``classifiers.text`` (model features) and by the
summary stage (the alert's "why"). Accuracy per field is pinned by a test on
``training/meaning/headlines.jsonl``. Imports only ``classifiers.vocab``; about 0.1 ms
per headline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifiers.vocab import APP_MARK, PLACE_MARK, mark_entities

ACTORS = ("state", "court", "legislature", "regulator", "public_body", "platform", "person")
TARGETS = ("app", "person", "content", "website", "device")
MODALITIES = (
    "done", "decided", "signed", "ordered", "proposed", "considering", "threatened",
    "planned", "lifted", "overturned", "denied", "opinion", "none",
)  # fmt: skip
AUTHORITIES = frozenset({"state", "court", "legislature", "regulator", "public_body"})
HAPPENED = frozenset({"done", "decided", "signed", "ordered"})
TOKEN_PREFIX = "mx_"
HEADLINE_CHARS = 300
LEAD_TARGET_CHARS = 200
LEAD_SENTENCES = 2  # sentences after the headline read by ``lead_ban``
LEAD_BAN_CHARS = 600
LEAD_TOKEN = TOKEN_PREFIX + "lead_ban"

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(A-Z0-9])")
# "U.S. President", "Gov. Abbott": a full stop after these does not end a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Gov|Sen|Rep|Gen|Col|Lt|Jan|Feb|Aug|Sept?|Oct|Nov|Dec|"
    r"Inc|Co|Corp|Ltd|No|vs|etc|approx))\.$"
)
_VERB = re.compile(
    r"\b(?:ban(?:s|ned|ning)?|block(?:s|ed|ing)?|suspend(?:s|ed|ing)?|"
    r"restrict(?:s|ed|ing)?|prohibit(?:s|ed|ing)?|outlaw(?:s|ed|ing)?|bar(?:s|red|ring)?|"
    r"forbid(?:s|den|ding)?|blacklist(?:s|ed|ing)?|censor(?:s|ed|ing)?|"
    r"shut(?:s|ting)? (?:down|off)|cut(?:s|ting)? (?:off )?access|"
    r"(?:deletes?|deleted|removes?|removed|purges?|purged) " + APP_MARK + r"|"
    r"switch(?:es|ed)? off|pull(?:s|ed)? the plug|first to block|cut(?:s|ting)? off|"
    r"shut|suspension|takes? down|taken down|delete|drop|halt(?:s|ed)? (?:use|access)|"
    r"no longer (?:reachable|available|accessible)|disabl\w+|slow(?:s|ed|ing)? down|"
    r"throttl\w*|blocklist|pull(?:s|ed)?|remov(?:e|es|ed|ing)|upholds? (?:\S+ ){0,3}ban|"
    r"illegal|extremist|\w+-free|halts? (?:new )?downloads)\b"
)
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("lifted", r"\b(?:lift(?:s|ed|ing)?|on hold|revok\w*|withdraw\w*|revers\w*|"
         r"backs? down|drops? (?:\S+ ){0,2}bans?|drops? (?:its |the )?(?:attempt|plan|bid)|"
         r"remov\w* (?:a|the|its) (?:block|ban)|delay\w*|"
         r"postpon\w*|reprieve|extends? (?:the )?deadline|unban\w*|unblock\w*|restor\w*|"
         r"reinstat\w*|"
         r"end(?:s|ed)? (?:its |the |a )?ban|revok\w+ (?:its |the |a )?ban|back online|"
         r"reverses? (?:its |the )?ban|allow\w* \S+ (?:\S+ )?(?:back|again)|resum\w*)\b"),
        ("overturned", r"\b(?:overturn\w*|unlawful|illegal ban|violat\w*|"
         r"strikes? down|struck down|quash\w*|annul\w*|"
         r"invalidat\w*|unconstitutional|rules? against|(?:halt|block|suspend|freez|paus|"
         r"stay)\w* (?:\S+ ){0,7}(?:ban|order|law|rule|department|government|administration|"
         r"decision|ministry|enforcement)\b)"),
        ("denied", r"\b(?:den(?:y|ies|ied)|has not|hasn'?t|did not|didn'?t|"
         r"declin\w+|rules? out|ruled out|no plans?|"
         r"not (?:going )?to "
         r"(?:ban|block)|won'?t|will not|refus\w+ to|rejects?|rejected|dismiss\w*)\b"),
        ("opinion", r"(?:\?$|^(?:why|how|what|opinion|analysis|explainer|explained|is|are|"
         r"can|should|does|do|inside|the case)\b|\b(?:should|shouldn'?t|cannot|can'?t|op-ed|"
         r"opinion|explainer|explained|analysis|what to know|here'?s|everything you|"
         r"the case (?:for|against)|a look at|hits? out|condemn\w*|critici[sz]\w*|slams?|"
         r"shrug\w*|flock\w*|booms?|dictator|mock\w*|decr(?:y|ies)|fears?|feared|mapped|"
         r"still|data shows?|impact|effect of)\b)"),
        ("signed", r"\b(?:signs?|signed|signing|into law|pass(?:es|ed)?|approv\w*|adopt\w*|"
         r"vot\w+ (?:to|for)|enact\w*)\b"),
        ("threatened", r"\b(?:threat\w*|warn\w*|could|may|"
         r"might|ultimatum|faces? (?:a )?"
         r"(?:possible |potential )?ban|risks?|or face|or be (?:banned|blocked))\b"),
        ("none", r"\b(?:fines?|fined|sues?|sued|lawsuit|probes?|investigat\w*|charges?|"
         r"charged)\b"),
        ("considering", r"\b(?:consider\w*|weigh\w*|mull\w*|looking (?:at|into)|look into|"
         r"explor\w*|stud(?:y|ies|ying)|review\w*|debat\w*|eye(?:s|ing)?|discuss\w*|"
         r"examin\w*|assess\w*)\b"),
        ("proposed", r"\b(?:propos\w*|asks?|asked|calls? on|requests?|"
         r"bill|seeks?|sought|calls? for|call\w* to|urg\w*|"
         r"push\w*|draft\w*|introduc\w*|petition\w*|wants? to|demand\w*|motion|"
         r"lawmakers? (?:aim|move))\b"),
        ("planned", r"\b(?:plans?|planned|planning|intends?|intentions?|aims? to|prepar\w* to|"
         r"looks? to|about to|soon)\b"),
        ("ordered", r"\b(?:order\w*|direct(?:s|ed)|instruct\w*|tells? \S+ (?:\S+ )?to|"
         r"mandat\w*|injunction)\b"),
        ("decided", r"\b(?:to (?:ban|block|bar|suspend|restrict|prohibit|outlaw)|will "
         r"(?:ban|block|bar|suspend|restrict)|vot\w+ to|vote|pass(?:es|ed)?|approv\w*|"
         r"adopt\w*|decid\w*|decision|announc\w*|agree\w* to|enact\w*|takes? effect|"
         r"comes? into force|from (?:monday|tuesday|wednesday|thursday|friday|saturday|"
         r"sunday|january|february|march|april|may|june|july|august|september|october|"
         r"november|december|next))\b"),
    )
)  # fmt: skip
_COURT_WORD = re.compile(r"\b(?:\w+ )?(?:court|judge|justice|tribunal)\b")
_INFINITIVE = re.compile(r"\bto (?:\S+ )?$")
_COURT = {"done": "ordered", "lifted": "overturned"}  # a court's ban is an order
_ANCHOR = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in _CUES))
_PROPOSAL_NOUNS = re.compile(r"\b(?:bill|proposal|motion|petition|draft)\b")
_ACTOR_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("court", r"\b(?:courts?|judges?|justices?|tribunal|magistrates?|moraes|judiciary|"
         r"prosecutors?)\b"),
        ("legislature", r"\b(?:parliament\w*|senat\w+|congress\w*|lawmakers?|legislat\w+|"
         r"assembly|duma|mps|house(?! of commons staff)(?<!white house)|knesset|majlis|"
         r"rada|lok sabha|diet)\b"),
        ("regulator", r"\b(?:regulators?|regulatory|watchdog|commission|authority|ofcom|fcc|"
         r"pta|btrc|roskomnadzor|kominfo|komdigi|trai|mcmc|ntc|nca|cnil|garante|ico|"
         r"data protection|telecoms?|telecommunications?|communications? authority|privacy|"
         r"esafety|commissioner)\b"),
        ("public_body", r"\b(?:army|navy|military|pentagon|armed forces|air force|marines|"
         r"space force|coast guard|administrators|"
         r"police|universit\w+|schools?|college|district|councils?|hospital|nhs|"
         r"department of defen[cs]e|soldiers|troops|bbc|library|libraries|airport)\b"),
        ("state", r"\b(?:govern\w+|govt|minist\w+|president|premier|prime minister|pm|"
         r"state|states|authorities|officials|administration|kremlin|white house|cabinet|"
         r"junta|regime|city|province|agenc\w+|department|federal|emirate|kingdom|republic|"
         r"trump|biden|modi|putin|erdogan|erdoğan|lukashenko|maduro|xi|beijing|tehran|"
         r"moscow|washington|delhi|new delhi|ankara|kabul|taliban|country|countries|nation|"
         r"nations|" + PLACE_MARK + r")\b"),
        ("platform", r"\b(?:" + APP_MARK + r"|company|companies|firm|platforms?|apple|"
         r"microsoft|amazon|meta|alphabet|openai|valve|steam|store|stores|x corp|"
         r"bytedance|tencent|startup|tech giant|social network|youtube|google|spotify|"
         r"twitch|musk'?s)\b"),
        ("person", r"\b(?:musk|user|users|man|woman|activists?|students?|parents?|ceo|"
         r"founder|influencers?|streamers?|rapper|star|actor|singer|player|athlete|"
         r"journalists?|critics?|blogger|he|she|they|voters|teens?|kids|mother|father)\b"),
    )
)  # fmt: skip
_TARGET_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("app", r"\b(?:" + APP_MARK + r"|apps?|chatbots?|platforms?|services?|messaging|"
         r"messengers?|social (?:media|networks?)|vpns?|games?|social networking|"
         r"video-sharing|online (?:game|service|platform)s?|e-commerce)\b"),
        ("person", r"\b(?:accounts?|users?(?![- ]generated)|him|her|them|journalists?|"
         r"activists?|critics?|"
         r"president|trump|musk|influencers?|people|rapper|player|athletes?|"
         r"opposition|politicians?|candidates?|bloggers?|lawmakers?|handles?|profiles?)\b"),
        ("content", r"\b(?:posts?|links?|videos?|clips?|content|tweets?|ads?|adverts?\w*|"
         r"articles?|news|stor(?:y|ies)|songs?|films?|movies?|books?|hashtags?|pages?|"
         r"channels?|images?|photos?|memes?|messages|broadcasts?|programmes?|shows?|"
         r"reports?|coverage|media|outlets?|mentions|searches|search results|keywords|"
         r"comments|advertising|advertisements)\b"),
        ("website", r"\b(?:websites?|web ?sites?|sites?|domains?|portals?|web pages?|urls?|"
         r"blogs?|outlets?)\b"),
        ("device", r"\b(?:phones?|devices?|handsets?|smartphones?|iphones?|equipment|"
         r"routers?|drones?|laptops?|chips?|cameras?|computers?|hardware|huawei|zte|"
         r"kaspersky lab products)\b"),
    )
)  # fmt: skip
_SUBORDINATE = re.compile(
    r"\b(?:after|as|despite|while|amid|following|since|when|because|who|which|that|if|"
    r"though|although|before|until|unless|whether|over|against|protests?|"
    r"protesters|spread of|wave of|what|how|why|due to|citing|saying|in (?:an )?effort|"
    r"in order|for \w+ing|at the (?:request|behest)|in retaliation|in response)\b|[\"“;]"
)
# "announces that it will ban", "it is reported that ...": a reported clause is the news,
# not a subordinate one.
_COMPLEMENT = re.compile(
    r"\b((?:announc|say|said|confirm|report|claim|declar|decid|state|rule|rules|ruled)\w*) that\b"
)
# A headline opening with a phrase ("In retaliation for blocking accounts, the government
# blocks all social media"): the ban verb of the phrase is not the headline's.
_FRONTED = re.compile(
    r"^(?:in|after|following|amid|despite|as|with|citing|over|for|since|to|before|while)\b"
)
_DECLARED = re.compile(
    r"\b(?:declar\w*|rul(?:es?|ed|ing)|deem\w*|designat\w*|labels?|labell?ed|brands?|"
    r"branded|makes?|made|becomes?|became)\b(?!.*\balleged\b)"
)
_AND_THEN = re.compile(r",? and\s*$")
_SECOND_VERB = re.compile(
    r"\b(?:and|but) (?:then |also |later )?(?:threatens|warns|says|plans|vows|considers|"
    r"mulls|calls|asks|urges|proposes|seeks|fines|promises|pledges|hints|adds|announces|"
    r"accuses|summons|demands|lifts|restores)\b"
)
# "restricts access to several websites, including Instagram": the list names apps.
_INCLUDING_APP = re.compile(r"^,? (?:including|such as|like|among them) (?:\S+ ){0,3}" + APP_MARK)
# The object noun phrase ends at a preposition; "the use of", "access to" open it.
_OBJECT_OPENER = re.compile(
    r"^\s*(?:(?:the|its|all) )?(?:use|access|operations?|services?|sale|downloads?) (?:of|to) "
)
_OBJECT_END = re.compile(
    r"\b(?:on|in|from|for|at|over|after|amid|to|of|by|across|with|that|which|who)\b|[,;:]"
)
_MINORS = re.compile(
    r"\b(?:under[- ](?:the age of )?1\d|minors|children|kids|teens|teenagers|under-1\d\w*|"
    r"age (?:limit|verification|restrictions?|checks?))\b"
)
_PASSIVE_BY = re.compile(r"\bby (?:the )?(.{0,60})")
_PASSIVE_IN = re.compile(r"\b(?:in|across) (?:\S+ ){0,2}\S* ?" + PLACE_MARK)
_PASSIVE_AFTER = re.compile(
    r"^\s*(?:$|in|by|across|nationwide|from|for|after|over|amid|as|until|on|at)\b"
)


@dataclass(frozen=True, slots=True)
class Meaning:
    """What one headline says (see the module docstring); unknown fields are "unknown"."""

    actor: str = "unknown"
    target: str = "unknown"
    modality: str = "none"
    main_clause: bool = False
    verb: str = ""
    actor_words: str = ""
    apps: tuple[str, ...] = ()
    minors: bool = False  # an age limit ("under 16", "children"): a borderline kind of law

    @property
    def authority_acts_on_app(self) -> bool:
        return self.actor in AUTHORITIES and self.target == "app"


_NOTHING = Meaning()


def headline_of(title: str, text: str) -> str:
    """The title, else the first sentence of ``text`` (at most ``HEADLINE_CHARS``)."""
    head = " ".join(title.split())
    if not head:
        body = " ".join(text.split())[: HEADLINE_CHARS * 2]
        end = first_sentence_end(body, len(body))
        head = body[: end[0]] if end else body
    return head[:HEADLINE_CHARS]


def first_sentence_end(body: str, limit: int) -> tuple[int, int] | None:
    """(end of the first sentence, start of the next) within ``limit``; None if none.

    A full stop after an initial or a common abbreviation ("U.S.", "Gov.") is skipped.
    """
    for match in _SENTENCE_END.finditer(body, 0, limit):
        if not _ABBREVIATION.search(body, max(0, match.start() - 6), match.start()):
            return match.start(), match.end()
    return None


def analyse(title: str, text: str = "") -> Meaning:
    """The ``Meaning`` of an item's headline (unmarked text; names are marked here)."""
    lead = " ".join(text.split())[:LEAD_TARGET_CHARS] if title.strip() else ""
    return analyse_marked(mark_entities(headline_of(title, text)), mark_entities(lead))


def analyse_marked(headline: str, lead: str = "", *, verbless: bool = True) -> Meaning:
    """The ``Meaning`` of a headline already passed through ``vocab.mark_entities``.

    ``lead``: the (marked) start of the body, read only for a target the headline does not
    name (a clipped title: "... has instructed staff to remove"). ``verbless`` False: a
    headline without a ban verb (most news) is ``Meaning()`` at once, the fast path the
    model's features take (a few microseconds per item).
    """
    low = _COMPLEMENT.sub(r"\1", headline.lower().strip())
    verb_match = _first_verb(low)
    clause_start = 0
    if verb_match is not None and _FRONTED.match(low):
        comma = low.find(",", verb_match.end())
        later = _first_verb(low, comma + 1) if comma >= 0 else None
        if later is not None:
            verb_match, clause_start = later, comma + 1
    has_verb = verb_match is not None
    if verb_match is None:
        if not verbless:
            return Meaning()
        verb_match = _ANCHOR.search(low)  # no ban verb: the first modality cue anchors
        if verb_match is None:
            return Meaning(apps=_apps(headline), actor=_actor(low, authority_first=True)[0])
    apps = _apps(headline)
    start, end = verb_match.span()
    before, after = low[:start], low[end:]
    subject = before
    if verb_match.group() in ("ban", "block", "suspension"):  # a noun: "a TikTok ban"
        subject = _TRAILING_APP.sub("", before)
    if _AND_THEN.search(subject):  # "Uganda arrests X as he speaks, and shuts down ...": the
        subject = _SUBORDINATE.split(subject, maxsplit=1)[0]  # sentence's own subject acts
    actor, words = _actor(subject)
    if actor != "court" and _COURT_WORD.search(_OBJECT_FOLLOWS.split(subject, maxsplit=1)[0]):
        actor, words = "court", _clean(_COURT_WORD.search(subject).group())  # type: ignore[union-attr]
    if has_verb and _is_passive(verb_match.group(), before, after, actor):
        actor, words = _passive_actor(after)
    target = _object(after[:120]) if not verb_match.group().endswith(APP_MARK) else "app"
    if target == "unknown":
        target = _target(before)  # "TikTok banned in Nepal": the object came first
    if target == "unknown" and lead:  # a named app in the lead is the likeliest object
        start_of_lead = lead[:LEAD_TARGET_CHARS]
        target = "app" if APP_MARK in start_of_lead else _target(start_of_lead.lower())
        apps = apps or _apps(start_of_lead)
    clause = low[clause_start:end] + _until_subordinate(after) if has_verb else low
    modality = _modality(clause, has_verb=has_verb)
    if has_verb and modality == "done" and _INFINITIVE.search(before):
        modality = "decided"  # "Albania to switch off TikTok": a headline's future
    if actor == "court":
        modality = _COURT.get(modality, modality)
    elif modality == "ordered":
        modality = "done"  # "India orders X to block accounts": the order is the act
    return Meaning(
        actor=actor,
        target=target,
        modality=modality,
        # A fronted phrase ends at a comma: "Following concerns, the parliament bans X".
        main_clause=_SUBORDINATE.search(before[before.rfind(",") + 1 :]) is None,
        verb=_clean(verb_match.group()) if has_verb else "",
        actor_words=words,
        apps=apps,
        minors=_MINORS.search(low) is not None,
    )


def lead_ban(lead: str) -> Meaning | None:
    """The first of the lead's next ``LEAD_SENTENCES`` sentences (marked text) whose main
    clause reports an authority acting on an app, and it happened; None if none does.

    Summaries often put the act in a second sentence ("The court upholds a ruling on a
    film. The court orders authorities to block YouTube.") or behind an opening phrase.
    """
    rest = lead[:LEAD_BAN_CHARS]
    for _ in range(LEAD_SENTENCES):
        if not rest:
            break
        end = first_sentence_end(rest, len(rest))
        sentence, rest = (rest[: end[0]], rest[end[1] :]) if end else (rest, "")
        meaning = analyse_marked(sentence, verbless=False)
        if is_ban_clause(meaning):
            return meaning
    return None


def is_ban_clause(meaning: Meaning) -> bool:
    """An authority acts on an app, it happened, and it is the main clause."""
    return meaning.main_clause and meaning.modality in HAPPENED and meaning.authority_acts_on_app


def meaning_tokens(meaning: Meaning) -> str:
    """Marker words for the model: kinds, their crosses, and the main-clause flag; one short
    word for a headline without any ban verb or cue (most news: less text to score)."""
    if meaning == _NOTHING:
        return TOKEN_PREFIX + "none"
    a, t, m = meaning.actor, meaning.target, meaning.modality
    authority = "auth" if a in AUTHORITIES else a
    happened = "yes" if m in HAPPENED else "no"
    main = "main" if meaning.main_clause else "sub"
    words = [
        f"a_{a}", f"t_{t}", f"m_{m}", f"c_{main}", f"at_{authority}_{t}",
        f"tm_{t}_{happened}", f"atm_{authority}_{t}_{happened}",
        f"atmc_{authority}_{t}_{happened}_{main}",
    ] + (["minors"] if meaning.minors else [])  # fmt: skip
    return " ".join(TOKEN_PREFIX + w for w in words)


def plain_why(meaning: Meaning) -> tuple[str, ...]:
    """The meaning in plain words for an alert: who, what they did, to what, and its status."""
    if meaning.modality == "none":
        return ()
    parts = []
    if meaning.actor != "unknown":
        who = _clean(meaning.actor_words) or meaning.actor.replace("_", " ")
        parts.append(f"actor: {who} ({_ACTOR_PLAIN[meaning.actor]})")
    parts.append(f"action: {meaning.verb}")
    if meaning.apps and meaning.target == "app":
        parts.append("app: " + ", ".join(meaning.apps))
    elif meaning.target != "unknown":
        parts.append(f"target: {_TARGET_PLAIN[meaning.target]}")
    parts.append(f"status: {_MODALITY_PLAIN[meaning.modality]}")
    return tuple(parts)


_ACTOR_PLAIN = {
    "state": "government", "court": "court", "legislature": "legislature",
    "regulator": "regulator", "public_body": "public body", "platform": "company",
    "person": "person", "unknown": "unknown",
}  # fmt: skip
_TARGET_PLAIN = {
    "app": "an app or online service", "person": "a person or account",
    "content": "posts, links or content", "website": "a website", "device": "devices",
}  # fmt: skip
_MODALITY_PLAIN = {
    "done": "done", "decided": "decided or announced", "signed": "signed into law",
    "ordered": "ordered", "proposed": "only proposed", "considering": "only considered",
    "threatened": "only threatened", "planned": "only planned", "lifted": "lifted",
    "overturned": "overturned or blocked by a court", "denied": "denied",
    "opinion": "opinion or explainer", "none": "no ban stated",
}  # fmt: skip


def _first_verb(low: str, start: int = 0) -> re.Match[str] | None:
    """The first ban verb from ``start``; "illegal"/"extremist" only after a declaring verb
    ("court rules X illegal", "Russia declares Meta extremist"), which is returned as the
    act; never "alleged illegal activity"."""
    for match in _VERB.finditer(low, start):
        if match.group() not in ("illegal", "extremist"):
            return match
        declared = [*_DECLARED.finditer(low, max(0, match.start() - 60), match.start())]
        if declared:  # the declaring verb is the act: "declares | Meta an extremist group"
            return declared[-1]
    return None


def _until_subordinate(after: str) -> str:
    """The rest of the verb's own clause: up to a subordinate word or a second verb joined
    by "and"/"but" ("blocks Bigo Live and threatens TikTok": the block happened)."""
    match = _SUBORDINATE.search(after)
    after = after[: match.start()] if match else after
    second = _SECOND_VERB.search(after)
    return after[: second.start()] if second else after


def _modality(low: str, *, has_verb: bool) -> str:
    for name, pattern in _CUES:
        if pattern.search(low):
            if name == "opinion" and not has_verb and not low.endswith("?"):
                continue
            return name
    if _PROPOSAL_NOUNS.search(low):
        return "proposed"
    return "done" if has_verb else "none"


def _actor(before: str, *, authority_first: bool = False) -> tuple[str, str]:
    """The kind of the subject: the actor word nearest the verb, in the last clause, before
    any "orders"/"tells" (what follows those is their object: "judge orders X blocked")."""
    clause = _SUBORDINATE.split(before)[-1] if before else ""
    for text in (clause, before):
        text = _OBJECT_FOLLOWS.split(text, maxsplit=1)[0]
        found: dict[str, int] = {}
        for name, pattern in _ACTOR_WORDS:
            ends = [m.end() for m in pattern.finditer(text)]
            if ends:
                found[name] = ends[-1]
        if found:
            kind = max(found, key=lambda k: (k in AUTHORITIES and authority_first, found[k]))
            return kind, _subject_words(text[: found[kind]])
    return "unknown", ""


_TRAILING_APP = re.compile(re.escape(APP_MARK) + r" \S+(?: \S+)?\s*$")
_OBJECT_FOLLOWS = re.compile(
    r"\b(?:orders?|ordered|ordering|tells?|told|asks?|asked|forces?|forced|directs?|"
    r"directed|urges?|urged|instructs?|instructed|requires?|required)\b"
)


def _is_passive(verb: str, before: str, after: str, actor: str) -> bool:
    """ "TikTok banned in Nepal", "X is blocked": a participle with no authority before it."""
    if actor in AUTHORITIES or not verb.endswith(("ed", "en", "down", "off")):
        return False
    if verb.split()[0].endswith("s"):  # "Wikipedia shuts down in protest": active
        return False
    return actor == "unknown" or bool(_PASSIVE_AFTER.match(after))


def _passive_actor(after: str) -> tuple[str, str]:
    by = _PASSIVE_BY.search(_until_subordinate(after))  # not "in protest at a law passed by"
    if by:
        kind, words = _actor(by.group(1))
        if kind != "unknown":
            return kind, words
    return "unknown", ""


def _object(after: str) -> str:
    """The kind of the object right after the verb: the head (last) noun of its noun phrase
    ("video-sharing app TikTok" is an app, "Telegram channels" content), else the first
    target word further on."""
    phrase = _OBJECT_OPENER.sub("", after)
    end = _OBJECT_END.search(phrase)
    if end and _INCLUDING_APP.search(phrase[end.start() :]):
        return "app"
    phrase = phrase[: end.start()] if end else phrase
    best: tuple[int, str] | None = None
    for name, pattern in _TARGET_WORDS:
        for match in pattern.finditer(phrase):
            if best is None or match.end() > best[0]:
                best = (match.end(), name)
    return best[1] if best else _target(after)


def _target(after: str) -> str:
    best: tuple[int, str] | None = None
    for name, pattern in _TARGET_WORDS:
        match = pattern.search(after)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else "unknown"


def _subject_words(text: str) -> str:
    """The last few words up to the actor word, from its noun phrase ("Brazil's top court")."""
    words = _clean(text.rsplit(",", 1)[-1]).split()[-5:]
    while words and words[0] in _NOT_SUBJECT:
        words = words[1:]
    return " ".join(words)


_NOT_SUBJECT = frozenset(
    ("the", "a", "an", "to", "of", "and", "or", "in", "on", "for", "by", "as", "with",
     "after", "amid", "over", "says", "said", "why", "how")
)  # fmt: skip


def _apps(marked: str) -> tuple[str, ...]:
    found = re.findall(re.escape(APP_MARK) + r" ([^\s,;:.?!]+(?: [A-Z][\w]*)?)", marked)
    return tuple(dict.fromkeys(name.strip("'’s") or name for name in found))


def _clean(text: str) -> str:
    text = text.replace(APP_MARK, " ").replace(PLACE_MARK, " ")
    return " ".join(text.split()).strip(" ,;:-–—'\"")
