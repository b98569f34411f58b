"""Tier queues: what waits in a tier, and an agent taking the next ticket of it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.clocks import open_handoff, released_by, vendor_overdue
from swarm.events import AssignedBy
from swarm.models import Ticket, TicketDeadline, User
from swarm.models.tickets import Mode
from swarm.models.users import Role
from swarm.tickets.access import require_staff
from swarm.tickets.decisions import set_owner
from swarm.tickets.errors import Conflict, Forbidden, IllegalTransition, NotFound
from swarm.tickets.service import TicketService
from swarm.tickets.states import ACTIVE_STATUSES
from swarm.tickets.unit import UnitOfWork
from swarm.tiers.config import SELF_SERVICE_TIER, TieredSettings
from swarm.tiers.policy import TIER_LIMIT
from swarm.tiers.queue import QueuedTicket, next_ticket, pull_order

#: How many times "next ticket" tries again when someone else took the ticket it chose.
PULL_ATTEMPTS = 5


class QueueEmpty(NotFound):
    code = "queue_empty"


class TierQueues:
    """The tiers' queues: reading them, and pulling the next ticket."""

    def __init__(self, unit: UnitOfWork, tickets: TicketService, caches: RoutingCaches) -> None:
        self.unit = unit
        self.tickets = tickets
        self.session = unit.session
        self.clock = unit.clock
        self.caches = caches

    def queue(self, viewer: User, tier: int) -> dict[str, Any]:
        """The tickets in ``tier``: unowned first, each part in pull order (priority, age)."""
        require_staff(viewer, "see tier queues")
        settings = self._queue_tier(tier)
        now = self.clock.now()
        tickets = self._in_tier(tier)
        due = dict(
            self.session.execute(
                select(TicketDeadline.ticket_id, TicketDeadline.due_at).where(
                    TicketDeadline.ticket_id.in_([t.id for t in tickets]),
                    TicketDeadline.kind == TIER_LIMIT,
                )
            ).all()
        )
        by_id = {t.id: t for t in tickets}
        excluded = released_by(self.session, list(by_id))
        queued = [_queued(t, excluded) for t in tickets]
        unowned = pull_order(q for q in queued if by_id[q.id].owner_id is None)
        owned = pull_order(q for q in queued if by_id[q.id].owner_id is not None)
        items = []
        for q in [*unowned, *owned]:
            ticket = by_id[q.id]
            at = due.get(ticket.id)
            handoff = open_handoff(ticket)
            items.append(
                {
                    "id": ticket.id,
                    "subject": ticket.subject,
                    "priority": ticket.priority,
                    "status": ticket.status,
                    "owner": ticket.owner,
                    "created_at": ticket.created_at,
                    "age_seconds": int((now - ticket.created_at).total_seconds()),
                    "tier_entered_at": ticket.tier_entered_at,
                    "due_at": at,
                    "seconds_left": None if at is None else int((at - now).total_seconds()),
                    "paused": ticket.tier_paused_at is not None,
                    "vendor": handoff.vendor.name if handoff else None,
                    "vendor_overdue": bool(handoff and vendor_overdue(handoff, now)),
                }
            )
        return {
            "tier": tier,
            "name": settings.tier(tier).name,
            "unowned": len(unowned),
            "items": items,
        }

    def pull_next(self, actor: User, tier: int) -> Ticket:
        """The agent takes the next ticket of the tier's queue (``assigned`` by ``pull``).

        Only agents who serve the tier, or managers. Two agents asking at once get two different
        tickets: the take is checked under the ticket's row lock and retried on the next one.
        """
        require_staff(actor, "take tickets from a queue")
        settings = self._queue_tier(tier)
        serves = sorted(actor.profile.served_tiers) if actor.profile else []
        if tier not in serves and not actor.has_role(Role.MANAGER):
            yours = (
                "you serve " + ", ".join(f"Tier {t}" for t in serves)
                if serves
                else "you serve no tier"
            )
            raise Forbidden(
                f"Only agents who serve {settings.name(tier)} or managers can take tickets from "
                f"its queue; {yours}."
            )
        taken: set[int] = set()
        for _ in range(PULL_ATTEMPTS):
            tickets = [t for t in self._in_tier(tier) if t.owner_id is None and t.id not in taken]
            excluded = released_by(self.session, [t.id for t in tickets])
            chosen = next_ticket([_queued(t, excluded) for t in tickets], actor.id)
            if chosen is None:
                raise QueueEmpty(f"The {settings.name(tier)} queue has no ticket for you to take.")
            try:
                return self._take(actor, chosen.id, tier)
            except IllegalTransition:
                taken.add(chosen.id)  # someone else took it a moment ago: the next one
        raise Conflict("Others took the next tickets while you asked; try again.")

    def _queue_tier(self, tier: int) -> TieredSettings:
        settings = self.caches.settings.tiers(self.session)
        if tier == SELF_SERVICE_TIER:
            raise NotFound("Tier 0 is self-service (the knowledge base): it has no queue.")
        if not settings.has_tier(tier):
            raise NotFound(f"There is no Tier {tier} in the tier configuration.")
        return settings

    def _in_tier(self, tier: int) -> list[Ticket]:
        query = (
            select(Ticket)
            .where(
                Ticket.mode == Mode.TIERED,
                Ticket.tier == tier,
                Ticket.status.in_(list(ACTIVE_STATUSES)),
            )
            .order_by(Ticket.id)
            .execution_options(populate_existing=True)
        )
        return list(self.session.scalars(query).unique())

    def _take(self, actor: User, ticket_id: int, tier: int) -> Ticket:
        def change() -> Ticket:
            ticket = self.unit.lock(actor, ticket_id)
            if (
                ticket.owner_id is not None
                or ticket.tier != tier
                or ticket.status not in ACTIVE_STATUSES
            ):
                raise IllegalTransition(f"Ticket {ticket.id} left the queue meanwhile.")
            set_owner(self.unit, ticket, actor, actor, AssignedBy.PULL)
            return ticket

        return self.unit.run(change)


def _queued(ticket: Ticket, excluded: dict[int, set[int]]) -> QueuedTicket:
    # The age that counts is the ticket's, so an escalated ticket keeps its place by age.
    return QueuedTicket(
        ticket.id,
        ticket.priority,  # type: ignore[arg-type]
        ticket.created_at,
        frozenset(excluded.get(ticket.id, set())),
    )
