"""Where a scored item goes (pure): alert channel, thread reply, review queue, or nowhere.

``route(...)`` decides, in this order:

1. **status** — the item follows up a tracked event and reports a new status
   (``lifecycle.follow_up``): a thread reply "Status: ... (was: ...)", whatever the score;
2. **reply** — it follows up a tracked event with the status the event already has
   (more coverage of the change): a plain thread reply;
3. **not new** — its headline is an explainer, analysis, opinion, reaction or
   retrospective (``cues.newness_cue``): never a top-level alert. A reply under the tracked
   event it is about when ``reaction_replies`` is on; else dropped, the reason recorded;
4. **file** — a confident score (at or above the alert threshold) and no fact that
   contradicts a ban (``cues.contradiction_cue``): filed as a story/event, which makes a
   top-level alert or, for more coverage of a known event, a reply;
5. **review** — a confident score with a contradicting fact, a ban that is only proposed,
   planned or threatened (whatever its score: worth a look, never an alert), or a score
   within ``review_margin`` below the alert threshold: the review queue and its digest;
6. **ignore** — everything else (not a ban; nothing recorded but the score).

Missing facts never block: only a fact that is present and contradicts a ban does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Route = Literal["status", "reply", "file", "review", "drop", "ignore"]


@dataclass(frozen=True, slots=True)
class Tiers:
    """The thresholds of the two tiers (``[alerting]`` in the config)."""

    alert_threshold: float | None = None  # None: the classifier's own threshold
    review_margin: float = 0.15  # below the alert threshold, down to here: review
    reaction_replies: bool = False  # explainers/reactions about a tracked event: reply

    def confident(self, score: float, is_ban: bool) -> bool:
        return is_ban if self.alert_threshold is None else score >= self.alert_threshold

    def near(self, score: float, model_threshold: float | None) -> bool:
        """Below the alert threshold but within the review margin of it."""
        threshold = self.alert_threshold if self.alert_threshold is not None else model_threshold
        return threshold is not None and score >= threshold - self.review_margin


@dataclass(frozen=True, slots=True)
class Cues:
    """What the wording of the item says (``monitor.alerting.cues``)."""

    status: str | None = None
    newness: str | None = None
    contradiction: str | None = None


def trust_main_clause(found: Cues, confident: bool, main_clause_ban: bool) -> Cues:
    """Pure: a confident score on a headline whose MAIN clause reports an authority's ban
    that happened keeps its newness and contradiction cues out of the decision: those came
    from a secondary clause ("Iran blocks Telegram as the largest protests continue",
    "Turkey blocks Instagram, following comments by an official"). Status cues count."""
    if confident and main_clause_ban and (found.newness or found.contradiction):
        return Cues(status=found.status)
    return found


@dataclass(frozen=True, slots=True)
class Routing:
    route: Route
    reason: str | None = None


def route(
    cues: Cues,
    confident: bool,
    near: bool,
    status_change: bool | None,
    tracked: bool,
    reaction_replies: bool,
) -> Routing:
    """See the module docstring. ``status_change`` is None when the item follows up no
    tracked event with a status, else whether the status differs from the event's;
    ``tracked`` whether it is about a tracked event at all."""
    if status_change:
        return Routing("status", cues.status)
    if status_change is False:
        return Routing("reply", f"more coverage: {cues.status}")
    if cues.newness is not None:
        if tracked and reaction_replies:
            return Routing("reply", f"not new: {cues.newness}")
        if confident or near or tracked:
            return Routing("drop", f"not new: {cues.newness}")
        return Routing("ignore")
    if confident and cues.contradiction is None:
        return Routing("file")
    if confident or cues.contradiction == "proposed":
        return Routing("review", f"contradicted: {cues.contradiction}")
    if near:
        return Routing("review", "near threshold")
    return Routing("ignore")
