"""The event vocabulary shared by live, imported and simulated tickets.

Every ticket's life is an append-only list of events. Live tickets write them, importers
translate real logs into them and the simulator emits them, so that one metrics engine can
compare all three. ``docs/events.md`` describes each type and the keys of its ``data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

LIVE_SOURCE = "live"


class EventType(StrEnum):
    CREATED = "created"
    SKILLS_SET = "skills_set"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    QUEUED = "queued"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    STATUS_CHANGED = "status_changed"
    MESSAGE = "message"
    NOTE = "note"
    HELPER_INVITED = "helper_invited"
    HELPER_JOINED = "helper_joined"
    HELPER_LEFT = "helper_left"
    INVITATION_DECLINED = "invitation_declined"
    INVITATION_EXPIRED = "invitation_expired"
    HAND_RAISED = "hand_raised"
    HELP_OFFERED = "help_offered"
    OFFER_DECLINED = "offer_declined"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    VENDOR_HANDOFF = "vendor_handoff"
    VENDOR_UPDATE = "vendor_update"
    GUEST_INVITED = "guest_invited"
    GUEST_REVOKED = "guest_revoked"
    ARTICLE_SUGGESTED = "article_suggested"
    ARTICLE_VIEWED = "article_viewed"
    DEFLECTED = "deflected"
    ARTICLE_LINKED = "article_linked"
    ARTICLE_PUBLISHED = "article_published"
    SATISFACTION_RATED = "satisfaction_rated"
    # New or known (swarm/knowledge/known.py): a fact for staff, never shown to requesters.
    CLASSIFIED = "classified"
    # Automation (docs/rules.md): staff only, like every type missing from AUDIENCE_FIELDS.
    PRIORITY_CHANGED = "priority_changed"
    CATEGORY_CHANGED = "category_changed"
    RULE_FIRED = "rule_fired"


class AssignedBy(StrEnum):
    """Why an ``assigned`` event happened: a routing policy, a person, or the agent pulling it."""

    POLICY = "policy"
    MANUAL = "manual"
    PULL = "pull"


def sim_source(run: str) -> str:
    """The source name of a simulation run: ``sim_source("a1") == "sim:a1"``."""
    return f"sim:{run}"


class Audience(StrEnum):
    """Who receives a view of a ticket's events: each sees its own, over REST, Socket.IO and
    the pages alike (:func:`view`)."""

    STAFF = "staff"
    REQUESTER = "requester"
    GUEST = "guest"


#: Message kinds each audience reads. ``reply`` is the requester's conversation with staff;
#: ``chat`` and ``solution`` are the swarm room (staff and invited guests); ``note`` is
#: internal. A message keeps its kind for ever, so it never changes sides after it is sent.
MESSAGE_KINDS: dict[Audience, frozenset[str]] = {
    Audience.STAFF: frozenset({"chat", "note", "solution", "reply"}),
    Audience.REQUESTER: frozenset({"reply"}),
    Audience.GUEST: frozenset({"chat", "solution"}),
}

#: What a requester and a guest receive of each event type: the keys of ``data`` they are
#: given, or no entry at all (the event is not theirs to see). Staff receive every event
#: whole. A type missing here, or a key missing from its set, is private to staff: a new
#: field stays internal until someone decides its audience here (docs/events.md).
#:
#: The requester's view is the curated public timeline — opened, who is handling it, status,
#: replies, resolution — never routing internals (``why``, queues, tiers, skills), colleagues'
#: workload, notes, the swarm's own chat and comings and goings, or vendor references. A
#: guest (a vendor's engineer with a link to the swarm room) sees the room's chat and where
#: the ticket stands, nothing of routing or of the requester's conversation.
AUDIENCE_FIELDS: dict[Audience, dict[str, frozenset[str]]] = {
    Audience.REQUESTER: {
        EventType.CREATED: frozenset({"subject", "priority"}),
        EventType.ASSIGNED: frozenset({"agent_id"}),
        EventType.STATUS_CHANGED: frozenset({"from", "to"}),
        EventType.MESSAGE: frozenset({"message_id", "kind"}),
        EventType.RESOLVED: frozenset({"from", "to", "resolution"}),
        EventType.REOPENED: frozenset({"from", "to", "reason"}),
        EventType.CLOSED: frozenset({"from", "to"}),
        EventType.ARTICLE_SUGGESTED: frozenset({"article_id"}),
        EventType.ARTICLE_VIEWED: frozenset({"article_id"}),
        EventType.DEFLECTED: frozenset({"article_id"}),
        # Their own answer to "How did we do?", so the page can thank them with it.
        EventType.SATISFACTION_RATED: frozenset({"score", "comment"}),
    },
    Audience.GUEST: {
        EventType.STATUS_CHANGED: frozenset({"from", "to"}),
        EventType.MESSAGE: frozenset({"message_id", "kind"}),
        EventType.RESOLVED: frozenset({"from", "to"}),
        EventType.REOPENED: frozenset({"from", "to"}),
        EventType.CLOSED: frozenset({"from", "to"}),
    },
}


def view(event_type: str, data: Mapping[str, Any], audience: Audience) -> dict[str, Any] | None:
    """The ``data`` of one event as ``audience`` may see it, or None when it may not.

    Staff see everything; a requester and a guest get the keys :data:`AUDIENCE_FIELDS` grants
    them, and a ``message`` event only for a kind they read (:data:`MESSAGE_KINDS`).

    Examples
    --------
    >>> view("assigned", {"agent_id": 4, "by": "policy", "why": "least loaded"}, Audience.REQUESTER)
    {'agent_id': 4}
    >>> view("message", {"message_id": 9, "kind": "chat"}, Audience.REQUESTER) is None
    True
    >>> view("note", {"message_id": 3}, Audience.GUEST) is None
    True
    >>> view("note", {"message_id": 3}, Audience.STAFF)
    {'message_id': 3}
    """
    if audience is Audience.STAFF:
        return dict(data)
    allowed = AUDIENCE_FIELDS[audience].get(event_type)
    if allowed is None:
        return None
    if event_type == EventType.MESSAGE and data.get("kind") not in MESSAGE_KINDS[audience]:
        return None
    return {key: value for key, value in data.items() if key in allowed}
