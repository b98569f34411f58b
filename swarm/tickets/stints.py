"""Stints: who works on a ticket, as owner or helper, from when to when (``Participation``).

Each function runs inside the caller's unit of work and records the events a stint's start or
end writes (``helper_joined``, ``helper_left``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.events import EventType
from swarm.models import Participation, Ticket, User
from swarm.tickets.states import ACTIVE_STATUSES
from swarm.tickets.unit import UnitOfWork


def open_stints(
    session: Session, ticket_id: int, user_ids: set[int] | None = None
) -> Sequence[Participation]:
    """The ticket's stints not ended yet (of ``user_ids`` only, when given), oldest first."""
    query = select(Participation).where(
        Participation.ticket_id == ticket_id, Participation.left_at.is_(None)
    )
    if user_ids is not None:
        query = query.where(Participation.user_id.in_(user_ids))
    return list(session.scalars(query.order_by(Participation.id)))


def open_owner_stint(session: Session, ticket: Ticket, owner_id: int, now: datetime) -> None:
    """The owner's stint begins, unless they already have one open."""
    if not open_stints(session, ticket.id, {owner_id}):
        session.add(
            Participation(
                ticket_id=ticket.id,
                user_id=owner_id,
                role="owner",
                joined_at=now,
                last_seen_at=now,
            )
        )


def hand_over_stints(
    unit: UnitOfWork, ticket: Ticket, previous: int | None, new: int | None
) -> None:
    """Stints follow ownership: the previous owner's owner stint ends, and the new owner's
    begins (their helper stint, if any, ends with ``helper_left {reason: became_owner}``).

    A previous owner does not stay on as a helper by being in the room: like anyone else,
    they help again when they act (write, accept an invitation, are added).
    """
    if previous == new:
        return
    now = unit.clock.now()
    for stint in open_stints(
        unit.session, ticket.id, {i for i in (previous, new) if i is not None}
    ):
        if stint.user_id == new and stint.role == "helper":
            end_stint(unit, ticket, stint, now, "became_owner", became_owner=True)
        elif stint.user_id == previous and stint.role == "owner":
            stint.left_at = now
    if new is not None:
        open_owner_stint(unit.session, ticket, new, now)


def end_stint(
    unit: UnitOfWork,
    ticket: Ticket,
    stint: Participation,
    now: datetime,
    reason: str,
    *,
    until: datetime | None = None,
    **extra: Any,
) -> None:
    """Close a stint; a helper's appends ``helper_left {seconds, reason}``. ``until`` is
    when the work evidently stopped (an idle helper's last sign of life), else now."""
    stint.left_at = now
    if stint.role != "helper":
        return
    end = max(until or now, stint.joined_at)
    person = unit.session.get(User, stint.user_id)
    unit.record(
        ticket,
        EventType.HELPER_LEFT,
        person,
        agent_id=stint.user_id,
        seconds=int((end - stint.joined_at).total_seconds()),
        reason=reason,
        **extra,
    )


def end_all_stints(unit: UnitOfWork, ticket: Ticket, reason: str) -> None:
    """The swarm disbands: every open stint ends (the ticket was resolved)."""
    now = unit.clock.now()
    for stint in open_stints(unit.session, ticket.id):
        end_stint(unit, ticket, stint, now, reason)


def contribute(
    unit: UnitOfWork, ticket: Ticket, actor: User, via: str, **extra: Any
) -> Participation | None:
    """The actor did something for the ticket: a staff member who is not its owner and has
    no open stint begins one as a helper (``helper_joined {agent_id, via}``); an open
    stint is marked seen. Requesters, guests and finished tickets begin nothing. Runs in
    the caller's transaction; returns the stint, or None."""
    if not actor.is_staff or ticket.status not in ACTIVE_STATUSES:
        return None
    now = unit.clock.now()
    stints = open_stints(unit.session, ticket.id, {actor.id})
    if stints:
        stint = stints[0]
        stint.last_seen_at = now
        return stint
    if ticket.owner_id == actor.id:
        open_owner_stint(unit.session, ticket, actor.id, now)
        return None
    stint = Participation(
        ticket_id=ticket.id, user_id=actor.id, role="helper", joined_at=now, last_seen_at=now
    )
    unit.session.add(stint)
    unit.record(ticket, EventType.HELPER_JOINED, actor, agent_id=actor.id, via=via, **extra)
    return stint
