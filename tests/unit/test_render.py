"""Rendering of alerts for Slack: escaping, unknowns, limits, buttons, safe links (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block

from monitor.core.records import Alert, Summary
from monitor.delivery.notify import (
    escape_mrkdwn,
    render_blocks,
    render_text,
    safe_url,
    slack_text,
)

T0 = datetime(2025, 3, 16, 12, 0, tzinfo=UTC)

FULL = Summary(
    apps=("TikTok",),
    authority="Ofcom",
    jurisdiction="United Kingdom",
    scope="government devices",
    action="ban",
    status="in force",
    effective_date="1 April 2025",
    evidence=("Ofcom said TikTok is banned on government devices.",),
    abstract="The UK regulator banned TikTok on government phones.",
    source="Example News",
    url="https://news.example/tiktok?a=1&b=2",
    published=T0,
    title="UK bans TikTok on government phones",
    score=0.934,
    model_version="m-2025-03",
    why=("banned", "devices"),
)


def make_alert(summary: Summary = FULL, kind: str = "alert", **extra: object) -> Alert:
    return Alert("al-1", "ev-1", kind, 1, summary, T0, **extra)  # type: ignore[arg-type]


def as_json(blocks: list[Block]) -> str:
    """Serialise through slack_sdk, which runs its validators (raises on a broken limit)."""
    return json.dumps([b.to_dict() for b in blocks], ensure_ascii=False)


def texts(blocks: list[Block]) -> list[str]:
    """Every text string a block carries (section text and fields, header, context)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk([b.to_dict() for b in blocks])
    return found


def test_escape_mrkdwn_makes_control_sequences_inert() -> None:
    assert escape_mrkdwn("<!channel> & <http://evil|click>") == (
        "&lt;!channel&gt; &amp; &lt;http://evil|click&gt;"
    )


HOSTILE = Summary(
    apps=("<!channel>",),
    authority="<!here> & co",
    title="Breaking <!channel> <http://evil.example|click here>",
    abstract="Read <http://evil.example|this> & <@U123> now",
    evidence=("> fake quote <!everyone>",),
    source="<http://evil.example|Trusted>",
    why=("<!channel>",),
    url="https://ok.example/a",
)


def test_feed_text_cannot_ping_or_inject_links_anywhere() -> None:
    blocks = render_blocks(make_alert(HOSTILE))
    rendered = "\n".join(texts(blocks))
    for dangerous in ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<http://evil"):
        assert dangerous not in rendered
    assert "&lt;!channel&gt;" in rendered
    assert "&lt;http://evil.example|click here&gt;" in rendered
    assert "&amp; co" in rendered
    # the only link is ours, to the sanitized article URL
    assert rendered.count("<https://") == 1 and "<https://ok.example/a|" in rendered


def test_slack_text_fallback_is_escaped_but_console_text_is_plain() -> None:
    alert = make_alert(HOSTILE)
    assert "<!channel>" not in slack_text(alert)
    assert "&lt;!channel&gt;" in slack_text(alert)
    assert "<!channel>" in render_text(alert)  # the console shows what the article said


def test_feed_newlines_cannot_add_lines_or_quotes_to_the_layout() -> None:
    summary = Summary(title="x", apps=("A\n\n*bold*",), evidence=("one\n>two",))
    rendered = texts(render_blocks(make_alert(summary)))
    evidence = next(t for t in rendered if t.startswith("*Evidence*"))
    assert evidence == "*Evidence*\n>one &gt;two"
    assert any(t == "*App(s)*\nA ∗bold∗" for t in rendered)  # styling neutralised


def test_all_fields_shown_with_values() -> None:
    blocks = render_blocks(make_alert())
    data = [b.to_dict() for b in blocks]
    assert data[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": ":rotating_light: TikTok banned by Ofcom",
            "emoji": True,
        },
    }
    fields = [f["text"] for f in data[1]["fields"]]
    assert fields == [
        "*App(s)*\nTikTok",
        "*Authority*\nOfcom",
        "*Jurisdiction*\nUnited Kingdom",
        "*Scope*\ngovernment devices",
        "*Action*\nban",
        "*Status*\nin force",
        "*Effective*\n1 April 2025",
        "*Source*\n<https://news.example/tiktok?a=1&amp;b=2|Example News>",
        "*Published*\n2025-03-16 12:00 UTC",
        "*Confidence*\n93% (model m-2025-03)",
    ]
    rendered = texts(blocks)
    assert "*Evidence*\n>Ofcom said TikTok is banned on government devices." in rendered
    assert (
        "*UK bans TikTok on government phones*\n"
        "The UK regulator banned TikTok on government phones." in rendered
    )
    assert "Why: banned, devices" in rendered
    assert "Sources: 1 · event ev-1 · alert al-1" in rendered


def test_unknown_fields_are_shown_as_unknown() -> None:
    blocks = render_blocks(make_alert(Summary(title="Something happened")))
    fields = [f["text"] for f in blocks[1].to_dict()["fields"]]
    assert blocks[0].to_dict()["text"]["text"] == ":rotating_light: Something happened"
    for name in (
        "App(s)",
        "Authority",
        "Jurisdiction",
        "Scope",
        "Action",
        "Status",
        "Effective",
        "Source",
        "Published",
    ):
        assert f"*{name}*\nunknown" in fields
    assert "*Confidence*\n0% (model unknown)" in fields
    assert all("None" not in f for f in fields)


def test_source_count_in_context_line() -> None:
    rendered = texts(render_blocks(make_alert(source_count=4)))
    assert "Sources: 4 · event ev-1 · alert al-1" in rendered


def test_buttons_carry_the_alert_id_and_label_actions() -> None:
    actions = render_blocks(make_alert())[-1].to_dict()
    assert actions["type"] == "actions"
    buttons = [(e["text"]["text"], e["action_id"], e["value"]) for e in actions["elements"]]
    assert buttons == [("Confirm ban", "label_ban", "al-1"), ("Not a ban", "label_not_ban", "al-1")]
    assert all(e["type"] == "button" for e in actions["elements"])


def test_huge_texts_are_truncated_within_slack_limits() -> None:
    huge = Summary(
        apps=("A" * 5000,),
        authority="B" * 5000,
        title="T" * 10_000,
        abstract="word & " * 2000,  # escaping grows it: truncation happens after escaping
        evidence=tuple("E" * 3000 for _ in range(5)),
        source="S" * 3000,
        url="https://news.example/" + "p" * 5000,
        why=tuple("w" * 100 for _ in range(100)),
    )
    blocks = render_blocks(make_alert(huge))
    as_json(blocks)  # slack_sdk's validators accept every block
    data = [b.to_dict() for b in blocks]
    assert len(data[0]["text"]["text"]) <= 150 and data[0]["text"]["text"].endswith("…")
    assert all(len(f["text"]) <= 2000 for f in data[1]["fields"])
    assert len(data[1]["fields"]) <= 10
    assert all(len(t) <= 3000 for t in texts(blocks))
    assert len(slack_text(make_alert(huge))) <= 3000
    assert len(render_text(make_alert(huge))) <= 3000


def test_truncation_never_leaves_a_broken_entity() -> None:
    summary = Summary(abstract="&" * 5000)
    abstract = next(t for t in texts(render_blocks(make_alert(summary))) if "Summary" in t)
    assert abstract.endswith("…") and len(abstract) <= 3000
    body = abstract.removeprefix("*Summary*\n").removesuffix("…")
    assert body.replace("&amp;", "") == ""


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>",
        "ftp://files.example/x",
        "//no-scheme.example/x",
        "not a url",
        "",
    ],
)
def test_unsafe_urls_never_become_links(url: str) -> None:
    assert safe_url(url) is None
    summary = Summary(title="x", source="Outlet", url=url)
    source = next(t for t in texts(render_blocks(make_alert(summary))) if "Source" in t)
    assert source == "*Source*\nOutlet"


def test_url_characters_that_would_break_a_link_are_encoded() -> None:
    assert safe_url("https://a.example/x|y>z<w") == "https://a.example/x%7Cy%3Ez%3Cw"
    assert safe_url("https://a.example/?q=1&r=2") == "https://a.example/?q=1&amp;r=2"
    assert safe_url("https://a.example/a b") == "https://a.example/a%20b"


def test_outlet_pipe_cannot_end_the_link_label_early() -> None:
    summary = Summary(title="x", source="A|B", url="https://a.example/")
    source = next(t for t in texts(render_blocks(make_alert(summary))) if "Source" in t)
    assert source == "*Source*\n<https://a.example/|A¦B>"


def test_update_is_a_short_reply() -> None:
    update = make_alert(
        Summary(title="EU follows <!channel>", source="Other Paper", url="https://o.example/1"),
        kind="update",
        new_facts=("effective 1 May",),
    )
    assert render_text(update) == (
        "Also reported by Other Paper: EU follows <!channel> — new: effective 1 May"
    )
    blocks = render_blocks(update)
    as_json(blocks)
    assert texts(blocks) == [
        "Also reported by *Other Paper*: <https://o.example/1|EU follows &lt;!channel&gt;>"
        " — new: effective 1 May"
    ]


def test_console_text_lists_the_facts() -> None:
    text = render_text(make_alert())
    lines = text.splitlines()
    assert lines[0] == ":rotating_light: TikTok banned by Ofcom"
    assert "  Authority: Ofcom" in lines
    assert "  Source: Example News https://news.example/tiktok?a=1&b=2" in lines
    assert '  > "Ofcom said TikTok is banned on government devices."' in lines
    assert lines[-1] == "  Sources: 1 · event ev-1 · alert al-1"
