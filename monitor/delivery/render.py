"""Pure rendering of alerts, review items and digests: Block Kit blocks and plain text.

No I/O. Text from feeds and pages is escaped (``&``, ``<``, ``>``) before it reaches Slack,
so an article cannot ping ``<!channel>``, inject a link or break the layout; only http(s)
URLs we put in ``<url|label>`` become links. Slack mrkdwn has no escape for its styling
characters, so ``*``, ``_``, ``~`` and backticks of feed text are replaced by look-alikes
(``∗ ˍ ∼ ˋ``): a headline cannot bold, strike or fence the alert. mrkdwn text objects are
sent ``verbatim`` (bare URLs and ``#channel`` names in feed text stay text). Every block
stays within Slack's limits (the constants below).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from monitor.core.records import EVENT_STATUS_LABELS, Alert, Summary

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks).
HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
MAX_FIELDS = 10
BUTTON_MAX = 75
TEXT_MAX = 3000
URL_MAX = 1000  # longer links are shown as text only: they crowd out the field
UNKNOWN = "unknown"
LABEL_ACTIONS = (("Confirm ban", "label_ban", "primary"), ("Not a ban", "label_not_ban", None))
_PAST = {
    "ban": "banned",
    "block": "blocked",
    "suspend": "suspended",
    "restrict": "restricted",
    "account closed": "closed",
}
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
_SPACE = re.compile(r"\s+")


_STYLING = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def escape_plain(text: str) -> str:
    """Slack's three entities only (``plain_text`` objects: no styling to neutralise)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_mrkdwn(text: str) -> str:
    """Make feed text inert in mrkdwn: ``<!channel>`` becomes ``&lt;!channel&gt;`` and the
    styling characters become look-alikes (see the module docstring)."""
    return escape_plain(text).translate(_STYLING)


def clip(text: str, limit: int) -> str:
    """Shorten to at most ``limit`` characters with an ellipsis, never splitting an entity."""
    if len(text) <= limit:
        return text
    cut = _PARTIAL_ENTITY.sub("", text[: limit - 1])
    return cut.rstrip() + "…"


def safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside ``<url|label>``, or None when it must not be a link."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc or len(url) > URL_MAX:
        return None
    # Percent-encode what would end the link or open a control sequence; keep the rest.
    quoted = quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")
    return quoted.replace("&", "&amp;")


def render_blocks(alert: Alert) -> list[Block]:
    """Block Kit for one alert (or a short section for an update), within Slack's limits."""
    if alert.kind == "update":
        return [section(_update_mrkdwn(alert))]
    s = alert.summary
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=clip(escape_plain(headline(s)), HEADER_MAX), emoji=True)
        ),
        SectionBlock(fields=[_mrkdwn(f) for f in _fields(s, alert.event_status)][:MAX_FIELDS]),
    ]
    if s.evidence:
        quote_lines = "\n".join(f">{_line(e)}" for e in s.evidence if e.strip())
        blocks.append(section("*Evidence*\n" + quote_lines))
    if s.abstract.strip() or s.title.strip():
        blocks.append(section(_abstract(s)))
    if s.why:
        blocks.append(context("Why: " + ", ".join(_line(w) for w in s.why)))
    blocks.append(context(_footer(alert)))
    blocks.append(_buttons(alert.id))
    return blocks


def render_text(alert: Alert) -> str:
    """Plain (unescaped) text of an alert: the console view and, escaped, Slack's fallback."""
    if alert.kind == "update":
        return clip(update_line(alert), TEXT_MAX)
    s = alert.summary
    lines = [headline(s)]
    if s.title.strip() and s.apps and s.authority:  # else the headline already is the title
        lines.append(f"  {flat(s.title)}")
    lines += [f"  {k}: {v}" for k, v in _facts(s, alert.event_status)]
    lines += [f"  Source: {_or_unknown(s.source)} {s.url}".rstrip()]
    lines += [f'  > "{flat(e)}"' for e in s.evidence if e.strip()]
    if s.abstract.strip():
        lines.append(f"  {flat(s.abstract)}")
    if s.why:
        lines.append("  Why: " + ", ".join(flat(w) for w in s.why))
    lines.append("  " + _footer_plain(alert))
    return clip("\n".join(lines), TEXT_MAX)


def slack_text(alert: Alert) -> str:
    """The ``text`` fallback sent with blocks (notifications, screen readers): escaped."""
    return clip(escape_mrkdwn(render_text(alert)), TEXT_MAX)


def headline(s: Summary) -> str:
    """Plain headline, e.g. ":rotating_light: TikTok banned by Ofcom", else the title."""
    if s.apps and s.authority:
        verb = _PAST.get((s.action or "ban").strip().lower(), "banned")
        return f":rotating_light: {', '.join(flat(a) for a in s.apps)} {verb} by " + flat(
            s.authority
        )
    return ":rotating_light: " + (flat(s.title) or "Possible app ban")


def status_label(status: str | None) -> str:
    """How an event status id reads ("blocked_by_court" -> "blocked by a court")."""
    return EVENT_STATUS_LABELS.get(status or "", flat(status or "") or UNKNOWN)


def status_change_line(alert: Alert) -> str | None:
    """ "Status: blocked by a court (was: in force)" for a status update, else None."""
    if alert.kind != "update" or not alert.previous_status or not alert.event_status:
        return None
    was = status_label(alert.previous_status)
    return f"Status: {status_label(alert.event_status)} (was: {was})"


def update_line(alert: Alert) -> str:
    """ "Also reported by <outlet>: <title> — new: <facts>" (plain); a status update
    starts with the change: "Status: lifted (was: in force) — reported by ..." ."""
    s = alert.summary
    change = status_change_line(alert)
    lead = f"{change} — reported by" if change else "Also reported by"
    text = f"{lead} {_or_unknown(flat(s.source))}: {flat(s.title) or s.url}"
    if alert.new_facts:
        text += " — new: " + "; ".join(flat(f) for f in alert.new_facts)
    return text


UPDATE_TITLE_MAX = 300  # a long title must not push the link's end or the facts out


def _update_mrkdwn(alert: Alert) -> str:
    s = alert.summary
    link = safe_url(s.url)
    title = clip(escape_mrkdwn(flat(s.title) or UNKNOWN), UPDATE_TITLE_MAX)
    outlet = clip(escape_mrkdwn(_or_unknown(flat(s.source))), 200)
    shown = f"<{link}|{title.replace('|', '¦')}>" if link else title
    change = status_change_line(alert)
    lead = f"*{escape_mrkdwn(change)}* — reported by" if change else "Also reported by"
    text = f"{lead} *{outlet}*: {shown}"
    if alert.new_facts:
        facts = "; ".join(_line(f) for f in alert.new_facts)
        text += " — new: " + clip(facts, SECTION_MAX - len(text) - 10)
    return text


def _abstract(s: Summary) -> str:
    """The article title in bold (the header may not show it), then the abstract."""
    title = clip(_line(s.title), 500) if s.title.strip() else "Summary"
    return f"*{title}*\n{escape_mrkdwn(s.abstract.strip())}".rstrip()


def _facts(s: Summary, event_status: str | None = None) -> list[tuple[str, str]]:
    """The card's fields; "Status" is the event's current status when it is known."""
    published = s.published.strftime("%Y-%m-%d %H:%M UTC") if s.published else UNKNOWN
    status = status_label(event_status) if event_status else _or_unknown(s.status)
    confidence = f"{s.score:.0%} (model {s.model_version or UNKNOWN})"
    return [
        ("App(s)", ", ".join(flat(a) for a in s.apps if a.strip()) or UNKNOWN),
        ("Authority", _or_unknown(s.authority)),
        ("Jurisdiction", _or_unknown(s.jurisdiction)),
        ("Scope", _or_unknown(s.scope)),
        ("Action", _or_unknown(s.action)),
        ("Status", status),
        ("Effective", _or_unknown(s.effective_date)),
        ("Published", published),
        ("Confidence", confidence),
    ]


def _fields(s: Summary, event_status: str | None) -> list[str]:
    fields = [clip(f"*{k}*\n{escape_mrkdwn(v)}", FIELD_MAX) for k, v in _facts(s, event_status)]
    fields.insert(7, clip(f"*Source*\n{_source_link(s)}", FIELD_MAX))
    return fields


def _source_link(s: Summary) -> str:
    outlet = escape_mrkdwn(_or_unknown(flat(s.source)))
    link = safe_url(s.url)
    # "|" would end the label early; the broken bar reads the same.
    return f"<{link}|{clip(outlet, 200).replace('|', '¦')}>" if link else outlet


def _footer(alert: Alert) -> str:
    return escape_mrkdwn(_footer_plain(alert))


def _footer_plain(alert: Alert) -> str:
    return f"Sources: {alert.source_count} · event {alert.event_id} · alert {alert.id}"


def _buttons(alert_id: str) -> ActionsBlock:
    buttons = [
        ButtonElement(text=clip(label, BUTTON_MAX), action_id=action, value=alert_id, style=style)
        for label, action, style in LABEL_ACTIONS
    ]
    return ActionsBlock(block_id="labels", elements=buttons)


REVIEW_MAX = 10  # digest items: 1 + 2 * 10 blocks stays well under Slack's 50
_VERDICT_TEXT = {"ban": "Confirmed ban", "not_ban": "Not a ban"}


def verdict_line(verdict: str, who: str, when: datetime) -> str:
    """mrkdwn "Labelled *Not a ban* by <@U1> at 2025-01-02 03:04 UTC" (a user id is a mention)."""
    shown = f"<@{who}>" if re.fullmatch(r"[UW][A-Z0-9]{2,}", who) else escape_mrkdwn(flat(who))
    label = _VERDICT_TEXT.get(verdict, escape_mrkdwn(verdict))
    return f"Labelled *{label}* by {shown} at {when:%Y-%m-%d %H:%M} UTC"


def review_blocks(item: Any) -> list[Block]:
    """A review item: linked title and score, then the two label buttons (value item-<id>)."""
    link = safe_url(str(item.url))
    title = clip(_line(str(item.title)) or UNKNOWN, 500)
    shown = f"<{link}|{title.replace('|', '¦')}>" if link else title
    buttons = [
        ButtonElement(text=label, action_id=action, value=f"item-{item.item_id}", style=style)
        for label, action, style in LABEL_ACTIONS
    ]
    return [
        section(f"{shown}\nscore {float(item.score):.2f} · item {item.item_id}"),
        ActionsBlock(block_id=f"review-{item.item_id}", elements=buttons),
    ]


# -- the daily digest of alerts (one line per event) -----------------------
DIGEST_BLOCKS = 45  # Slack allows 50 blocks per message


def digest_title(alerts: Sequence[Alert], day: str) -> str:
    n = len(alerts)
    return f"App-ban digest {day}: {n} new event{'s' if n != 1 else ''}"


def digest_line(alert: Alert) -> str:
    """Plain: "TikTok banned by Ofcom (UK) — BBC News 87% https://..." for one event."""
    s = alert.summary
    what = headline(s).removeprefix(":rotating_light: ")
    where = f" ({flat(s.jurisdiction)})" if s.jurisdiction and s.jurisdiction.strip() else ""
    return (
        f"{what}{where} — {_status_sources(alert)} — {_or_unknown(s.source)} {s.score:.0%} {s.url}"
    ).rstrip()


def _status_sources(alert: Alert) -> str:
    """ "status: in force · 3 sources" (the status only when known)."""
    sources = f"{alert.source_count} source{'s' if alert.source_count != 1 else ''}"
    if not alert.event_status:
        return sources
    return f"status: {status_label(alert.event_status)} · {sources}"


def digest_text(alerts: Sequence[Alert], day: str) -> str:
    """Plain digest (console, Slack's text fallback): the title, then one line per event."""
    lines = [digest_title(alerts, day), *(f"  • {digest_line(a)}" for a in alerts)]
    return clip("\n".join(lines), TEXT_MAX)


def digest_mrkdwn_lines(alerts: Sequence[Alert]) -> list[str]:
    """Escaped mrkdwn, one line per event, the source linked."""
    lines = []
    for alert in alerts:
        s = alert.summary
        what = escape_mrkdwn(headline(s).removeprefix(":rotating_light: "))
        where = f" ({_line(s.jurisdiction)})" if s.jurisdiction and s.jurisdiction.strip() else ""
        state = escape_mrkdwn(_status_sources(alert))
        lines.append(f"• *{clip(what, 300)}*{where} — {state} — {_source_link(s)} · {s.score:.0%}")
    return lines


def pack_sections(lines: Sequence[str]) -> list[str]:
    """Lines packed into section texts of at most SECTION_MAX characters."""
    chunks: list[str] = []
    for line in lines:
        line = clip(line, SECTION_MAX)
        if chunks and len(chunks[-1]) + 1 + len(line) <= SECTION_MAX:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return chunks


def section(text: str) -> SectionBlock:
    """An mrkdwn section block, clipped to Slack's limit."""
    return SectionBlock(text=_mrkdwn(clip(text, SECTION_MAX)))


def context(text: str) -> ContextBlock:
    """A small-print context block, clipped to Slack's limit."""
    return ContextBlock(elements=[_mrkdwn(clip(text, SECTION_MAX))])


def _mrkdwn(text: str) -> MarkdownTextObject:
    """Verbatim: Slack links only what we wrote as ``<url|label>``, never bare URLs."""
    return MarkdownTextObject(text=text, verbatim=True)


def flat(text: str) -> str:
    """Collapse whitespace: feed text must not add lines (or quote markers) to our layout."""
    return _SPACE.sub(" ", text).strip()


def _line(text: str) -> str:
    return escape_mrkdwn(flat(text))


def _or_unknown(value: str | None) -> str:
    return flat(value) if value and value.strip() else UNKNOWN
