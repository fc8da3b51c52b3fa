"""Property tests (hypothesis) the unit suites do not have yet: mrkdwn escaping and clipping
as invariants, whole alerts of arbitrary text through Slack's block validators, MinHash
symmetry/bounds and its near-duplicate margin, URL canonicalisation equivalences, and the
summary's verbatim quotes on text with every kind of line break.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.alerting.dedupe import minhash_signature, similarity
from monitor.core.records import Alert, Article, FeedItem, Scored, Summary
from monitor.delivery.notify import clip, escape_mrkdwn, render_blocks, slack_text
from monitor.ingest.urls import canonical_url
from monitor.summary.summarize import summarize

T0 = datetime(2025, 3, 16, 12, 0, tzinfo=UTC)
_ENTITY = re.compile(r"&(amp|lt|gt);")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escaped_text_has_no_markup_and_round_trips(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert "&" not in _ENTITY.sub("", escaped)  # every & starts one of our entities
    assert not set("*_~`") & set(escaped)  # no styling from feed text
    unescaped = escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == text.translate(str.maketrans("*_~`", "∗ˍ∼ˋ"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("a &<>!é🚫\n")), st.integers(min_value=2, max_value=60))
def test_clipping_escaped_text_never_breaks_an_entity(text: str, limit: int) -> None:
    clipped = clip(escape_mrkdwn(text), limit)
    assert len(clipped) <= limit
    body = clipped.removesuffix("…")
    assert "&" not in _ENTITY.sub("", body)
    if len(escape_mrkdwn(text)) <= limit:
        assert clipped == escape_mrkdwn(text)


hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(["<!channel>", "<@U1>", "&", "<http://x|y>", "*b*", "\n>", "🚫",
                              "word", " "]), max_size=400).map("".join),
)  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(
    title=hostile_text, abstract=hostile_text, apps=st.lists(hostile_text, max_size=12),
    evidence=st.lists(hostile_text, max_size=12), source=hostile_text, url=st.text(max_size=80),
)  # fmt: skip
def test_any_alert_renders_within_slack_limits_and_stays_inert(
    title: str, abstract: str, apps: list[str], evidence: list[str], source: str, url: str
) -> None:
    summary = Summary(
        apps=tuple(apps), authority=source, title=title, abstract=abstract,
        evidence=tuple(evidence), source=source, url=url, why=tuple(apps),
    )  # fmt: skip
    alert = Alert("al-1", "ev-1", "alert", 1, summary, T0)
    blocks = [b.to_dict() for b in render_blocks(alert)]  # slack_sdk validates limits here
    rendered = json.dumps(blocks, ensure_ascii=False) + slack_text(alert)
    for control in ("<!channel>", "<!here>", "<!everyone>", "<@U1>", "<http://x|"):
        assert control not in rendered


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    sa, sb = minhash_signature(a), minhash_signature(b)
    assert similarity(sa, sb) == similarity(sb, sa)
    assert 0.0 <= similarity(sa, sb) <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.binary(max_size=600))
def test_similarity_never_raises_on_stored_garbage(a: bytes, b: bytes) -> None:
    assert 0.0 <= similarity(a, b) <= 1.0


VOCAB_A = [f"alpha{n}" for n in range(400)]
VOCAB_B = [f"beta{n}" for n in range(400)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(VOCAB_A), min_size=80, max_size=150, unique=True),
    st.integers(min_value=0, max_value=79),
    st.lists(st.sampled_from(VOCAB_B), min_size=80, max_size=150, unique=True),
)
def test_one_edited_word_stays_a_near_duplicate_and_other_text_does_not(
    words: list[str], position: int, other: list[str]
) -> None:
    text = " ".join(words)
    edited = [*words[:position], "changed", *words[position + 1 :]]
    assert similarity(minhash_signature(text), minhash_signature(" ".join(edited))) >= 0.5
    assert similarity(minhash_signature(text), minhash_signature(" ".join(other))) < 0.2


hosts = st.sampled_from(["news.example", "News.Example", "NEWS.EXAMPLE"])
paths = st.lists(st.sampled_from(["a", "b", "2025", "story-1", "%C3%A9"]), max_size=4).map(
    lambda parts: "/" + "/".join(parts)
)
tracking = st.lists(
    st.sampled_from(["utm_source=rss", "utm_medium=x", "fbclid=abc", "gclid=1"]), max_size=3
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["http", "https"]), hosts, paths, tracking, st.sampled_from(["", "#top"]))
def test_tracking_fragment_and_host_case_never_make_two_urls(
    scheme: str, host: str, path: str, noise: list[str], fragment: str
) -> None:
    plain = canonical_url(f"{scheme}://news.example{path}?id=7")
    query = "&".join(["id=7", *noise])
    assert canonical_url(f"{scheme}://{host}{path}?{query}{fragment}") == plain
    assert plain.startswith(f"{scheme}://news.example")


def make_scored(text: str, title: str) -> Scored:
    item = FeedItem("https://f.example/rss", "g", "https://n.example/1", "https://n.example/1",
                    title, "", T0)  # fmt: skip
    article = Article(item, title, text, T0, "News", "en", "trafilatura")
    return Scored(article, 0.9, True, (), "m")


breaks = st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c",
                          "\u00a0", "\t", " "])  # fmt: skip
words = st.sampled_from(
    ["Nepal", "banned", "TikTok", "the", "government", "on", "Monday.", "Mr.", "app",
     "blocked", "WhatsApp", "in", "Iran", "said", "“", "”"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(words, breaks), max_size=120).map(" ".join), st.text(max_size=40))
def test_summary_quotes_only_verbatim_text_whatever_the_line_breaks(text: str, title: str) -> None:
    summary = summarize(make_scored(text, title))
    for sentence in summary.evidence:
        assert sentence in text or sentence == title.strip()
