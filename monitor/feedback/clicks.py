"""Label clicks: Slack ``block_actions`` payloads checked against a schema, and the
policy of which clicks count.

``parse_clicks(payload)`` is pure. It ignores payloads of other types and actions other
than our label buttons, and raises ``ClickPayloadError`` (nothing stored, nothing
raised further) for a label click of an unexpected shape: ids that are not short ASCII
Slack ids, a button value that is not an alert id (``al-...``) or ``item-<digits>``, a
missing or unreadable ``action_ts``. Every label click carries its *click time*
(``action_ts``), the workspace and the channel it came from.

``ClickPolicy.allows(click)``: only the configured workspace (``slack.team_id``, when
set) and the configured alert channel (``slack.channel``, by id or name) are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from monitor.core.errors import MonitorError
from state.labels import Verdict

ACTIONS: dict[str, Verdict] = {"label_ban": "ban", "label_not_ban": "not_ban"}
_SLACK_ID = re.compile(r"[A-Z0-9]{2,24}")
_REF = re.compile(r"al-[A-Za-z0-9]{1,64}|item-[0-9]{1,18}")
_TS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,9})?")


class ClickPayloadError(MonitorError):
    """A label click whose payload does not have the shape Slack sends."""


@dataclass(frozen=True, slots=True)
class Click:
    """One label button press."""

    ref: str  # alert id, or item-<id>
    verdict: Verdict
    user: str  # Slack user id
    clicked_at: datetime | None = None  # the action's own time (UTC)
    team: str | None = None
    channel: str | None = None  # channel id
    channel_name: str | None = None


def parse_clicks(payload: Mapping[str, Any]) -> list[Click]:
    """Pure: the label clicks of a ``block_actions`` payload (see the module docstring)."""
    if not isinstance(payload, Mapping) or payload.get("type") != "block_actions":
        return []
    actions = payload.get("actions")
    if not isinstance(actions, list):
        raise ClickPayloadError("click: 'actions' is not a list")
    labelled = [a for a in actions if isinstance(a, Mapping) and a.get("action_id") in ACTIONS]
    if not labelled:
        return []
    user = _slack_id(_field(payload, "user", "id"), "user.id")
    team = _optional_id(payload.get("team"), "team.id")
    channel_obj = payload.get("channel")
    channel = _optional_id(channel_obj, "channel.id")
    name = channel_obj.get("name") if isinstance(channel_obj, Mapping) else None
    return [
        Click(
            _ref(a.get("value")),
            ACTIONS[a["action_id"]],
            user,
            _ts(a.get("action_ts")),
            team,
            channel,
            name if isinstance(name, str) else None,
        )
        for a in labelled
    ]


@dataclass(frozen=True, slots=True)
class ClickPolicy:
    """Which workspace and channel may label (None: not checked)."""

    team_id: str | None = None
    channel: str | None = None  # id (C0ALERTS) or name (#alerts)

    def allows(self, click: Click) -> bool:
        if self.team_id and click.team != self.team_id:
            return False
        if not self.channel:
            return True
        wanted = self.channel.lstrip("#")
        return wanted in {click.channel, click.channel_name}


def _field(payload: Mapping[str, Any], name: str, key: str) -> Any:
    value = payload.get(name)
    if not isinstance(value, Mapping):
        raise ClickPayloadError(f"click: '{name}' is not an object")
    return value.get(key)


def _slack_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.isascii() or not _SLACK_ID.fullmatch(value):
        raise ClickPayloadError(f"click: {what} is not a Slack id")
    return value


def _optional_id(obj: Any, what: str) -> str | None:
    if obj is None:
        return None
    if not isinstance(obj, Mapping):
        raise ClickPayloadError(f"click: {what.split('.')[0]} is not an object")
    return _slack_id(obj.get("id"), what)


def _ref(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii() or not _REF.fullmatch(value):
        raise ClickPayloadError("click: the button value is not an alert or item id")
    return value


def _ts(value: Any) -> datetime:
    if not isinstance(value, str) or not value.isascii() or not _TS.fullmatch(value):
        raise ClickPayloadError("click: action_ts is missing or not a Slack timestamp")
    return datetime.fromtimestamp(float(value), UTC)
