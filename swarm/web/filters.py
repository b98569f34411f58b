"""Template filters: times people can read, and a sentence for each event in a timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from swarm.mail.parse import size_text
from swarm.models import TicketEvent
from swarm.web import web

#: The words beside each satisfaction score, on the form and wherever a rating is shown.
SCORE_WORDS = {1: "Very poor", 2: "Poor", 3: "Okay", 4: "Good", 5: "Great"}
web.add_app_template_global(SCORE_WORDS, "score_words")


@web.app_template_filter("when")
def when(value: datetime | None) -> Markup:
    """A ``<time>`` element: UTC on the server, turned into local time by swarm.js."""
    if value is None:
        return Markup("—")
    value = value.astimezone(UTC)
    label = value.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), label)


@web.app_template_filter("filesize")
def filesize(value: int) -> str:
    return size_text(value)


@web.app_template_filter("select_filters")
def select_filters(filters: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in filters.items() if value}


def _name(people: dict[int, str], user_id: Any) -> str:
    if user_id is None:
        return "nobody"
    return people.get(int(user_id), f"user {user_id}")


@web.app_template_filter("describe")
def describe(
    event: TicketEvent, people: dict[int, str], skills: dict[int, str] | None = None
) -> Markup:
    """What happened, as the rest of a sentence that starts with the actor's name."""
    d = event.data or {}
    t = event.type
    if t == "created" and "mode" not in d:  # the requester's view: the arm is internal
        text = f"opened the ticket ({d.get('priority', '?')})"
    elif t == "created":
        text = f"opened the ticket ({d.get('priority', '?')}, {d.get('mode', '?')} mode)"
    elif t == "assigned" and "by" not in d:  # the requester's view: who, never why
        text = f"— {_name(people, d.get('agent_id'))} is handling it"
    elif t == "assigned" and d.get("by") == "pull" and d.get("agent_id") == event.actor_id:
        text = "claimed the ticket"
    elif t == "assigned":
        how = {"policy": "routed it", "manual": "assigned it", "pull": "assigned it"}
        target = _name(people, d.get("agent_id"))
        text = f"{how.get(d.get('by', ''), 'assigned it')} → {target}"
        if d.get("previous_owner_id"):
            text += f" (from {_name(people, d['previous_owner_id'])})"
        if d.get("why"):
            text += f": {d['why']}"
    elif t == "unassigned" and d.get("reason") in ("escalated", "deescalated"):
        text = f"— handoff: {_name(people, d.get('previous_owner_id'))} no longer owns it"
    elif t == "unassigned":
        text = f"released ownership of {_name(people, d.get('previous_owner_id'))}"
    elif t in {"status_changed", "closed"}:
        text = f"changed the status {d.get('from')} → {d.get('to')}"
    elif t == "resolved":
        text = "resolved the ticket"
    elif t == "reopened":
        text = f"reopened the ticket (was {d.get('from')})"
        if d.get("reason"):
            text += f": {d['reason']}"
    elif t == "note":
        text = "added an internal note"
    elif t == "skills_set":
        names = [
            (skills or {}).get(int(item.get("skill_id", 0)), f"skill {item.get('skill_id')}")
            for item in d.get("skills", [])
        ]
        how = "inferred" if d.get("by") == "inferred" else "set"
        text = f"{how} the skills: {', '.join(names) or 'none'}"
    elif t == "queued" and d.get("tier") is None:
        text = "put it in the triage queue"
        if d.get("why"):
            text += f": {d['why']}"
    elif t == "queued":
        text = f"queued it for tier {d.get('tier')}"
    elif t in ("escalated", "deescalated"):
        reason = "time limit passed" if d.get("reason") == "time_limit" else d.get("reason")
        verb = "escalated" if t == "escalated" else "de-escalated"
        text = f"{verb} tier {d.get('from_tier')} → {d.get('to_tier')} ({reason})"
        if d.get("note"):
            text += f": {d['note']}"
    elif t == "helper_invited":
        text = f"invited {_name(people, d.get('agent_id'))} to help"
    elif t in ("helper_joined", "helper_left"):
        text = _swarm_move(event, people)
    elif t == "guest_invited":
        text = f"gave {d.get('name', 'a guest')} a guest link to the room"
    elif t == "guest_revoked":
        text = f"revoked {d.get('name', 'a guest')}'s guest link"
    elif t == "message" and d.get("kind") == "reply":
        text = "wrote in the public conversation"
    elif t == "message":
        text = "wrote in the swarm room" + (" (solution)" if d.get("kind") == "solution" else "")
    elif t == "hand_raised":
        text = "raised a hand: help wanted" + (f" — {d['note']}" if d.get("note") else "")
    elif t == "help_offered":
        text = "offered to help"
    elif t == "offer_declined":
        text = f"said no, thanks, to {_name(people, d.get('agent_id'))}'s offer of help"
        if d.get("note"):
            text += f": {d['note']}"
    elif t == "invitation_declined":
        text = f"declined the invitation{': ' + d['reason'] if d.get('reason') else ''}"
    elif t == "invitation_expired":
        text = f"— the invitation to {_name(people, d.get('agent_id'))} expired"
    elif t == "satisfaction_rated":
        score = d.get("score")
        text = f"rated the help {score} of 5 ({SCORE_WORDS.get(score, '?')})"
        if d.get("comment"):
            text += f": “{d['comment']}”"
    elif t == "vendor_handoff":
        text = f"handed it to vendor {d.get('vendor')} (ref {d.get('external_ref')})"
    elif t == "vendor_update":
        text = f"recorded a vendor update: {str(d.get('status', '')).replace('_', ' ')}"
        if d.get("note"):
            text += f" — {d['note']}"
    elif t == "article_linked" and d.get("kind") == "source":
        text = f"drafted article {d.get('article_id')} from this swarm"
    elif t == "article_linked":
        text = f"linked article {d.get('article_id')}: it helped resolve this"
    elif t == "article_published":
        text = f"published article {d.get('article_id')}, drafted from this swarm"
    elif t == "article_suggested":
        text = f"was shown article {d.get('article_id')} before asking"
    elif t == "article_viewed":
        text = f"read article {d.get('article_id')}"
    elif t == "classified" and d.get("kind") == "known":
        text = f"— known issue: article {d.get('article_id')} answers it (score {d.get('score')})"
    elif t == "classified":
        text = "— a new issue: no published article answers it"
    elif t in ("priority_changed", "category_changed"):
        what = "priority" if t == "priority_changed" else "category"
        text = f"— a rule set the {what} to {d.get('to') or 'none'}"
    elif t == "rule_fired":
        text = f"— rule {d.get('rule_name', d.get('rule_id'))} fired ({d.get('outcome')})"
    else:
        text = t.replace("_", " ")
    return escape(text)


JOINED_VIA = {
    "invitation": "accepted an invitation and joined the swarm",
    "offer": "joined the swarm: their offer of help was accepted",
    "added": "was added to the swarm",
    "message": "joined the swarm by writing in it",
    "note": "joined the swarm with an internal note",
    "was_owner": "stays on as a helper after handing it over",
}
LEFT_BECAUSE = {
    "left": "left the swarm",
    "idle": "stopped helping (away and silent)",
    "resolved": "— the swarm ended with the resolution",
    "became_owner": "now owns it instead of helping",
}


def _swarm_move(event: TicketEvent, people: dict[int, str]) -> str:
    """A helper's arrival or departure, and why; the sentence starts with the actor, who is
    usually that helper (their name is not said twice)."""
    d = event.data or {}
    agent = d.get("agent_id")
    who = "" if agent == event.actor_id else f"— {_name(people, agent)} "
    if event.type == "helper_joined":
        # Older rows: was_owner (a previous owner who stayed), or no "via" at all.
        what = (
            "stays in the swarm as a helper"
            if d.get("was_owner")
            else JOINED_VIA.get(str(d.get("via")), "joined the swarm")
        )
    elif d.get("became_owner"):
        what = LEFT_BECAUSE["became_owner"]
    elif d.get("lost"):  # older rows: the presence keeper closed it
        what = "left the swarm (connection lost)"
    else:
        what = LEFT_BECAUSE.get(str(d.get("reason")), "left the swarm")
    if event.type == "helper_left" and d.get("reason") == "resolved" and not who:
        what = "helped until the ticket was resolved"
    return who + what


def people_in(events: list[TicketEvent]) -> set[int]:
    """Ids of the users an event log mentions in its data."""
    ids: set[int] = set()
    for event in events:
        for key in ("agent_id", "previous_owner_id", "requester_id"):
            value = (event.data or {}).get(key)
            if isinstance(value, int):
                ids.add(value)
    return ids
