"""Moves between tiers: a person (or an automation rule) escalates or de-escalates a ticket.

The plan comes from the pure package (``swarm.tiers.policy``); the ticket service carries it out
in the ticket's transaction, so that a move, its events and its deadlines commit together.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.clocks import TIERED, fresh_ticket, open_handoff, ticket_view, tier_rotation
from swarm.models import Ticket, User
from swarm.routing import Escalate, OrgView
from swarm.skills.graph import SkillGraphError
from swarm.tickets.access import require_staff
from swarm.tickets.errors import Conflict, IllegalTransition, Invalid, NotFound
from swarm.tickets.service import TicketService
from swarm.tickets.states import require_active
from swarm.tickets.unit import UnitOfWork
from swarm.tiers.policy import (
    NotInTierError,
    SameTierError,
    TierMoveError,
    plan_deescalation,
    plan_escalation,
)


class TierMoves:
    """Escalations and de-escalations, by people and by rules."""

    def __init__(self, unit: UnitOfWork, tickets: TicketService, caches: RoutingCaches) -> None:
        self.unit = unit
        self.tickets = tickets
        self.session = unit.session
        self.clock = unit.clock
        self.caches = caches

    def escalate(
        self,
        actor: User,
        ticket_id: int,
        *,
        reason: str,
        to_tier: int | None = None,
        from_tier: int | None = None,
    ) -> Ticket:
        """A person escalates the ticket (default: the next tier); appends ``escalated``
        ``{reason: manual, note}``, the handoff, and the new tier's queueing."""
        return self._move(actor, ticket_id, reason, to_tier, from_tier, down=False)

    def deescalate(
        self,
        actor: User,
        ticket_id: int,
        *,
        reason: str,
        to_tier: int | None = None,
        from_tier: int | None = None,
    ) -> Ticket:
        """A person sends the ticket down (default: one tier, never below Tier 1)."""
        return self._move(actor, ticket_id, reason, to_tier, from_tier, down=True)

    def escalate_by_rule(
        self, ticket_id: int, note: str, to_tier: int | None, cause: dict[str, int]
    ) -> Ticket:
        """An automation rule escalates a tiered ticket (default: the next tier), as a person
        would (the same checks and plan) but with no actor, ``reason: rule``, and ``cause`` on
        every event it writes (the escalation, the handoff, the new queue)."""
        self.unit.cause = cause
        try:
            return self._move(None, ticket_id, note, to_tier, None, down=False)
        finally:
            self.unit.cause = None

    def _move(
        self,
        actor: User | None,
        ticket_id: int,
        reason: str,
        to_tier: int | None,
        from_tier: int | None,
        *,
        down: bool,
    ) -> Ticket:
        verb = "de-escalate" if down else "escalate"
        if actor is not None:
            require_staff(actor, f"{verb} tickets")
        note = (reason or "").strip()
        if not note:
            raise Invalid(
                f"Say why you {verb} the ticket: the next tier reads it first.",
                fields={"reason": ["Required."]},
            )
        if actor is None:
            found = self.unit.reload(ticket_id)
            if found is None:
                raise NotFound(f"There is no ticket {ticket_id}.")
            self.session.expire(found, ["handoffs"])
            ticket = found
            if ticket.mode != TIERED:
                raise IllegalTransition(
                    f"Ticket {ticket.id} is a swarm ticket: only tiered tickets are escalated."
                )
        else:
            ticket = fresh_ticket(self.unit, actor, ticket_id)
        require_active(ticket, f"{verb}d")
        if from_tier is not None and ticket.tier != from_tier:
            raise Conflict(
                f"Ticket {ticket.id} is in Tier {ticket.tier} now, not Tier {from_tier}: it was "
                "moved meanwhile. Reload it and decide again."
            )
        handoff = open_handoff(ticket)
        if handoff is not None:
            raise IllegalTransition(
                f"Ticket {ticket.id} is with {handoff.vendor.name} (ref {handoff.external_ref}): "
                "record their answer (resolved or rejected) before moving it."
            )
        settings = self.caches.settings.tiers(self.session)
        now = self.clock.now()
        view = ticket_view(self.session, ticket)
        if ticket.mode != TIERED:
            view = replace(view, tier=None)  # a swarm ticket is in no tier queue
        plan = plan_deescalation if down else plan_escalation
        try:
            decisions = plan(
                view, to_tier, settings, now=now, org=self._org(ticket, now), note=note
            )
        except TierMoveError as exc:
            raise _move_error(exc) from exc
        if actor is None:
            decisions = [
                replace(d, reason="rule") if isinstance(d, Escalate) else d for d in decisions
            ]
        self.tickets.apply_decisions(
            ticket.id, decisions, TIERED, actor=actor, note=note, expect_tier=view.tier
        )
        if actor is None:
            return ticket
        return fresh_ticket(self.unit, actor, ticket.id)

    def _org(self, ticket: Ticket, now: datetime) -> OrgView | None:
        """The organisation for assignment in the new tier; ``None`` (queue only) when the
        skill taxonomy is broken — a move must not depend on it."""
        try:
            org = self.caches.org.org(self.session, now, ticket.requester_id)
        except SkillGraphError:
            return None
        return replace(org, tier_rotation=tier_rotation(self.session))


def _move_error(exc: TierMoveError) -> IllegalTransition | Invalid:
    # The ticket's state refuses it (409) or the requested tier is wrong (422).
    if isinstance(exc, NotInTierError | SameTierError):
        return IllegalTransition(str(exc))
    return Invalid(str(exc), fields={"to_tier": [str(exc)]})
