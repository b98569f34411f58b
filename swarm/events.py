"""The event vocabulary shared by live, imported and simulated tickets.

Every ticket's life is an append-only list of events. Live tickets write them, importers
translate real logs into them and the simulator emits them, so that one metrics engine can
compare all three. ``docs/events.md`` describes each type and the keys of its ``data``.
"""

from __future__ import annotations

from enum import StrEnum

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


class AssignedBy(StrEnum):
    """Why an ``assigned`` event happened: a routing policy, a person, or the agent pulling it."""

    POLICY = "policy"
    MANUAL = "manual"
    PULL = "pull"


def sim_source(run: str) -> str:
    """The source name of a simulation run: ``sim_source("a1") == "sim:a1"``."""
    return f"sim:{run}"
