"""Feed text reaches Slack inert: no styling (*, _, ~, backticks, code fences), no bare
links or #channel links; our own links and formatting stay. Sent with the real slack_sdk
client to the fake Slack, and checked on what Slack received."""

from __future__ import annotations

import json

from monitor.core.records import Summary
from monitor.delivery.notify import SlackNotifier
from tests.support.fake_slack import FakeSlack
from tests.unit.test_render import make_alert

HOSTILE = Summary(
    title="*Breaking* _ban_ ~gone~ `code` ```fence``` see https://evil.example/x #general",
    apps=("*App*",),
    authority="Ministry_of_Things",
    abstract="Visit http://evil.example/y and #random; ```rm -rf```",
    source="Outlet*",
    url="https://news.example/story_1",
)


def test_feed_text_is_sent_inert_and_our_links_stay() -> None:
    with FakeSlack() as slack:
        notifier = SlackNotifier(slack.token, slack.channel, base_url=slack.api_url)
        notifier.send(make_alert(HOSTILE))
        [call] = slack.calls("chat.postMessage")
    blocks = call.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    mrkdwn = [o for o in _text_objects(blocks) if o.get("type") == "mrkdwn"]
    assert mrkdwn and all(o.get("verbatim") is True for o in mrkdwn)
    shown = "\n".join(o["text"] for o in mrkdwn)
    for styled in ("*Breaking*", "_ban_", "~gone~", "`code`", "```", "Ministry_of"):
        assert styled not in shown
    assert "∗Breaking∗" in shown and "ˋˋˋfence" in shown
    assert "<https://news.example/story_1|" in shown  # the one link we make, untouched
    assert call.params.get("parse") == "none"  # the text fallback is not auto-linked
    assert "*Breaking*" not in call.params["text"]


def _text_objects(node: object) -> list[dict]:
    found: list[dict] = []
    if isinstance(node, dict):
        if "text" in node and isinstance(node["text"], str) and "type" in node:
            found.append(node)
        for value in node.values():
            found += _text_objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _text_objects(value)
    return found
