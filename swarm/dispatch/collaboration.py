"""Collaboration on tiered tickets, live: the services' guard around the pure rule.

Whether a tiered ticket may swarm is the organisation's ``collaboration`` tier setting
(``swarm.tiers.collaboration``, ``docs/tiers.md``). The room's use cases (inviting, raising a
hand, offering help) call :func:`require_collaboration` in their transaction, and routing's
suggestions ask the same rule, so that REST, Socket.IO and the pages refuse alike. Swarm tickets
pass untouched, without a query.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from swarm.dispatch.settings import stored_tiers
from swarm.models import Ticket, User
from swarm.models.tickets import Mode
from swarm.routing import OrgView
from swarm.tickets.errors import Forbidden
from swarm.tiers.collaboration import collaboration_allows, collaboration_refusal
from swarm.tiers.config import TieredSettings


class CollaborationRefused(Forbidden):
    """The tiered arm's collaboration setting does not allow this on this ticket."""

    code = "tier_collaboration"


def require_collaboration(
    session: Session, ticket: Ticket, doing: str, agent_id: int | None = None
) -> None:
    """Refuse ``doing`` (e.g. "inviting") on a tiered ticket when the setting forbids it.

    ``agent_id`` is the person who would join (the invitee, the one offering help); without it
    the question is whether anyone may be asked at all (raising a hand). An unknown agent is
    left to the caller's own check, which names it. Raises :class:`CollaborationRefused`.
    """
    if ticket.mode != Mode.TIERED:
        return
    settings = stored_tiers(session)
    agent = session.get(User, agent_id) if agent_id is not None else None
    if agent_id is not None and agent is None:
        return
    tiers = None if agent is None else (agent.profile.served_tiers if agent.profile else set())
    if collaboration_allows(settings.collaboration, ticket.tier, tiers):
        return
    raise CollaborationRefused(
        collaboration_refusal(
            settings.collaboration, doing, _tier_name(settings, ticket), agent and agent.name
        )
    )


def collaboration_on(settings: TieredSettings, ticket: Ticket, viewer: User) -> dict[str, object]:
    """What the setting lets ``viewer`` do on ``ticket``, for the page to show only that.

    ``{"setting", "ask": invite/raise a hand/see suggestions, "offer_help": this viewer may}``;
    every answer is yes on a swarm ticket.
    """
    if ticket.mode != Mode.TIERED:
        return {"setting": None, "ask": True, "offer_help": True}
    mine = viewer.profile.served_tiers if viewer.profile else frozenset()
    setting = settings.collaboration
    return {
        "setting": setting,
        "ask": collaboration_allows(setting, ticket.tier),
        "offer_help": collaboration_allows(setting, ticket.tier, mine),
    }


def within_tier(org: OrgView, tier: int | None, owner_id: int | None = None) -> OrgView:
    """Only the agents who serve ``tier``: whom ``within_tier`` lets a tiered ticket involve.

    The owner stays whatever their tiers (a manager holding the ticket, say), so that a swarm
    is still formed around what they already cover.
    """
    agents = {
        i: a
        for i, a in org.agents.items()
        if (tier is not None and tier in a.tiers) or i == owner_id
    }
    # The cached index covers everyone; matching builds one for the tier's agents instead.
    return replace(org, agents=agents, index=None)


def _tier_name(settings: TieredSettings, ticket: Ticket) -> str:
    return "any tier yet" if ticket.tier is None else settings.name(ticket.tier)
