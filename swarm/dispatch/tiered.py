"""Tiered mode, live: one service in front of its parts, for the pages, the API and the rules.

The parts, each in its module: the tier clock and what the tiered policy reads of a ticket
(``clocks.py``), the routing mode and tier settings (``tier_config.py``), vendors and hand-offs
(``vendors.py``), tier queues (``queues.py``) and moves between tiers (``moves.py``). They share
one unit of work, so a use case's events and deadlines commit together. See ``docs/tiers.md``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.clocks import TIERED, tier_clock_hook, vendor_overdue
from swarm.dispatch.collaboration import collaboration_on
from swarm.dispatch.moves import TierMoves
from swarm.dispatch.queues import TierQueues
from swarm.dispatch.tier_config import TierConfig
from swarm.dispatch.vendors import VendorDesk
from swarm.models import Ticket, User, Vendor
from swarm.tickets.deadlines import deadlines_of
from swarm.tickets.notify import Notifier
from swarm.tickets.service import TicketService
from swarm.tickets.unit import UnitOfWork
from swarm.tiers.config import SELF_SERVICE_TIER
from swarm.tiers.policy import TIER_LIMIT


class TieredService:
    """The tiered mode's use cases, beside the ticket lifecycle (and in its units of work).

    Made per request around one session, like ``TicketService``; ``caches`` is the app's
    ``RoutingCaches`` (settings, the tiered policy, organisation snapshots). Holds one unit of
    work, shared by its parts (``config``, ``vendor_desk``, ``queues``, ``moves``) and by the
    ticket use cases (``tickets``).
    """

    def __init__(
        self, session: Session, clock: Clock, notifier: Notifier, caches: RoutingCaches
    ) -> None:
        self.unit = UnitOfWork(
            session, clock, notifier, on_status=tier_clock_hook(session, caches.settings)
        )
        self.tickets = TicketService.on(self.unit)
        self.session = session
        self.clock = clock
        self.notifier = notifier
        self.caches = caches
        self.config = TierConfig(self.unit, self.tickets, caches)
        self.vendor_desk = VendorDesk(self.unit, self.tickets, caches)
        self.queues = TierQueues(self.unit, self.tickets, caches)
        self.moves = TierMoves(self.unit, self.tickets, caches)

    def __getattr__(self, name: str) -> Any:
        # Callers written when this class subclassed TicketService ask it for the lifecycle's
        # use cases (``tiered.claim``); it answers them through the ticket service it holds,
        # in the same unit of work.
        if name.startswith("_") or name in ("unit", "tickets"):
            raise AttributeError(name)
        return getattr(self.tickets, name)

    # ------------------------------------------------------------------ use cases, by part

    def routing_config(self, viewer: User) -> dict[str, Any]:
        return self.config.routing_config(viewer)

    def set_routing_config(self, actor: User, data: dict[str, Any]) -> dict[str, Any]:
        return self.config.set_routing_config(actor, data)

    def tier_settings(self, viewer: User) -> dict[str, Any]:
        return self.config.tier_settings(viewer)

    def set_tier_settings(self, actor: User, data: dict[str, Any]) -> dict[str, Any]:
        return self.config.set_tier_settings(actor, data)

    def vendors(self, viewer: User, *, include_inactive: bool = True) -> list[Vendor]:
        return self.vendor_desk.vendors(viewer, include_inactive=include_inactive)

    def create_vendor(
        self, actor: User, *, name: str, sla_seconds: int, contact: str = ""
    ) -> Vendor:
        return self.vendor_desk.create_vendor(
            actor, name=name, sla_seconds=sla_seconds, contact=contact
        )

    def update_vendor(self, actor: User, vendor_id: int, changes: dict[str, Any]) -> Vendor:
        return self.vendor_desk.update_vendor(actor, vendor_id, changes)

    def delete_vendor(self, actor: User, vendor_id: int) -> None:
        self.vendor_desk.delete_vendor(actor, vendor_id)

    def queue(self, viewer: User, tier: int) -> dict[str, Any]:
        return self.queues.queue(viewer, tier)

    def pull_next(self, actor: User, tier: int) -> Ticket:
        return self.queues.pull_next(actor, tier)

    def escalate(
        self,
        actor: User,
        ticket_id: int,
        *,
        reason: str,
        to_tier: int | None = None,
        from_tier: int | None = None,
    ) -> Ticket:
        return self.moves.escalate(
            actor, ticket_id, reason=reason, to_tier=to_tier, from_tier=from_tier
        )

    def deescalate(
        self,
        actor: User,
        ticket_id: int,
        *,
        reason: str,
        to_tier: int | None = None,
        from_tier: int | None = None,
    ) -> Ticket:
        return self.moves.deescalate(
            actor, ticket_id, reason=reason, to_tier=to_tier, from_tier=from_tier
        )

    def escalate_by_rule(
        self, ticket_id: int, note: str, to_tier: int | None, cause: dict[str, int]
    ) -> Ticket:
        return self.moves.escalate_by_rule(ticket_id, note, to_tier, cause)

    def hand_off(
        self, actor: User, ticket_id: int, vendor_id: int | None, external_ref: str
    ) -> Ticket:
        return self.vendor_desk.hand_off(actor, ticket_id, vendor_id, external_ref)

    def vendor_update(self, actor: User, ticket_id: int, status: str, note: str = "") -> Ticket:
        return self.vendor_desk.vendor_update(actor, ticket_id, status, note)

    # ------------------------------------------------------------------ for the pages

    def tier_status(self, ticket: Ticket) -> dict[str, Any] | None:
        """Where a tiered ticket stands: its tier, time left before escalation, the tiers it
        can move to. ``None`` for a swarm ticket."""
        if ticket.mode != TIERED or ticket.tier is None:
            return None
        settings = self.caches.settings.tiers(self.session)
        now = self.clock.now()
        due = deadlines_of(self.session, ticket.id).get(TIER_LIMIT)
        limit = settings.limit(ticket.tier, ticket.priority)  # type: ignore[arg-type]
        handoff = ticket.vendor_handoff
        tier = settings.tier(ticket.tier) if settings.has_tier(ticket.tier) else None
        return {
            "tier": ticket.tier,
            "name": settings.name(ticket.tier),
            "intake": settings.intake(ticket.tier),
            "collaboration": settings.collaboration,
            "external": bool(tier and tier.external),
            "paused": ticket.tier_paused_at is not None,
            "entered_at": ticket.tier_entered_at,
            "limit_seconds": None if limit is None else int(limit.total_seconds()),
            "due_at": due,
            "seconds_left": None if due is None else int((due - now).total_seconds()),
            "up": [(t.tier, settings.name(t.tier)) for t in settings.tiers if t.tier > ticket.tier],
            "down": [
                (t.tier, settings.name(t.tier))
                for t in settings.tiers
                if SELF_SERVICE_TIER < t.tier < ticket.tier
            ],
            "handoff": handoff,
            "at_vendor": handoff is not None and handoff.closed_at is None,
            "vendor_overdue": bool(handoff and vendor_overdue(handoff, now)),
            "vendor_due_at": handoff.due_at if handoff else None,
        }

    def collaboration(self, ticket: Ticket, viewer: User) -> dict[str, Any]:
        """What the tiered arm's collaboration setting lets ``viewer`` do on ``ticket`` (ask
        for help, offer it); everything on a swarm ticket."""
        return collaboration_on(self.caches.settings.tiers(self.session), ticket, viewer)
