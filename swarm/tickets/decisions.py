"""Changes of owner, status and tier inside a unit of work, and routing decisions carried out.

``carry_out`` applies what a routing policy decided (``swarm.routing``) to a locked ticket;
``set_owner`` and ``set_status`` are the steps it shares with the lifecycle use cases. Each
records its events through the unit of work; none commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from swarm.events import AssignedBy, EventType
from swarm.models import Ticket, User
from swarm.models.tickets import Mode, Status
from swarm.routing import (
    Assign,
    ClearDeadline,
    Decision,
    Escalate,
    Offer,
    Queue,
    SetDeadline,
    SuggestHelpers,
)
from swarm.tickets.deadlines import clear_deadline, set_deadline
from swarm.tickets.states import ACTIVE_STATUSES
from swarm.tickets.stints import hand_over_stints
from swarm.tickets.unit import UnitOfWork

#: The deadline kind of the tiered mode's tier clock (``swarm.tiers.policy.TIER_LIMIT``).
TIER_LIMIT = "tier_limit"


def carry_out(
    unit: UnitOfWork,
    ticket: Ticket,
    decisions: Sequence[Decision],
    policy: str,
    actor: User | None = None,
    note: str = "",
) -> None:
    """Apply a policy's decisions to the locked ``ticket`` (``TicketService.apply_decisions``
    says what each one writes). An ``Assign`` to someone who can no longer take the ticket is
    skipped rather than overriding a person's choice."""
    now = unit.clock.now()
    for decision in decisions:
        if isinstance(decision, Assign):
            agent = unit.session.get(User, decision.agent_id)
            if (
                ticket.owner_id is None
                and ticket.status in ACTIVE_STATUSES
                and agent is not None
                and agent.active
                and agent.is_staff
            ):
                set_owner(unit, ticket, agent, None, AssignedBy.POLICY, why=decision.why)
        elif isinstance(decision, Queue):
            if decision.tier is not None:
                ticket.tier = decision.tier
                if ticket.tier_entered_at is None:
                    # The first queueing starts the tier clock; a re-queue keeps it running.
                    restart_tier_clock(ticket, now)
            unit.record(
                ticket,
                EventType.QUEUED,
                None,
                tier=decision.tier,
                why=decision.why or None,
                policy=policy,
                intake=decision.intake,
            )
        elif isinstance(decision, Escalate):
            previous_owner = ticket.owner_id
            downwards = ticket.tier is not None and decision.to_tier < ticket.tier
            unit.record(
                ticket,
                EventType.DEESCALATED if downwards else EventType.ESCALATED,
                actor,
                from_tier=ticket.tier,
                to_tier=decision.to_tier,
                reason=decision.reason,
                note=note.strip() or None,
                previous_owner_id=previous_owner,
            )
            if previous_owner is not None:
                # The handoff, as the log of a release shows it.
                unit.record(
                    ticket,
                    EventType.UNASSIGNED,
                    actor,
                    previous_owner_id=previous_owner,
                    reason="escalated" if not downwards else "deescalated",
                )
            ticket.tier = decision.to_tier
            ticket.owner_id = None
            ticket.owner = None
            hand_over_stints(unit, ticket, previous_owner, None)
            restart_tier_clock(ticket, now)
        elif isinstance(decision, SetDeadline):
            if decision.kind == TIER_LIMIT and ticket.tier_paused_at is not None:
                # A paused clock has no deadline; resuming sets it, pushed back by the pause.
                continue
            set_deadline(unit.session, ticket.id, decision.kind, decision.at, now)
        elif isinstance(decision, ClearDeadline):
            clear_deadline(unit.session, ticket.id, decision.kind)
        elif isinstance(decision, SuggestHelpers | Offer):
            # Offers and suggestions reach people through the live rooms; nothing to
            # store (an offer's expiry is its own SetDeadline).
            continue


def restart_tier_clock(ticket: Ticket, now: datetime) -> None:
    """The ticket enters a tier: its tier clock starts again from ``now``."""
    # A ticket entering a tier while it waits (pending, resolved) starts with a paused clock.
    ticket.tier_entered_at = now
    ticket.tier_paused_seconds = 0.0
    ticket.tier_paused_at = None if ticket.status in (Status.NEW, Status.OPEN) else now


def set_owner(
    unit: UnitOfWork,
    ticket: Ticket,
    agent: User,
    actor: User | None,
    by: AssignedBy,
    why: str | None = None,
) -> None:
    """``agent`` owns the ticket: appends ``assigned``, hands the stints over, and opens a
    new ticket."""
    previous = ticket.owner_id
    ticket.owner_id = agent.id
    ticket.owner = agent
    if ticket.first_response_at is None:
        # Support first answered the ticket when somebody took it on.
        ticket.first_response_at = unit.clock.now()
    data: dict[str, Any] = {"agent_id": agent.id, "by": by, "previous_owner_id": previous}
    if why:
        data["why"] = why
    if ticket.mode == Mode.TIERED and ticket.tier is not None:
        # The tier the agent took it in: the round-robin cursor and per-tier metrics read it.
        data["tier"] = ticket.tier
    unit.record(ticket, EventType.ASSIGNED, actor, **data)
    hand_over_stints(unit, ticket, previous, agent.id)
    if ticket.status == Status.NEW:
        set_status(unit, ticket, Status.OPEN, actor, EventType.STATUS_CHANGED)


def set_status(
    unit: UnitOfWork,
    ticket: Ticket,
    status: str,
    actor: User | None,
    event_type: EventType,
    **data: Any,
) -> None:
    """Appends ``event_type {from, to, …}`` and runs the unit's status hook, whose decisions
    are carried out in the same transaction."""
    previous = ticket.status
    ticket.status = status
    unit.record(ticket, event_type, actor, **{"from": previous, "to": status}, **data)
    if unit.on_status is not None and previous != status:
        carry_out(unit, ticket, unit.on_status(ticket, previous, unit.clock.now()), ticket.mode)
