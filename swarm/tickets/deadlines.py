"""Deadline rows: when a routing policy wants to be asked again about a ticket.

Rows, not timers in a process: any number of server processes can sweep, and a claim with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL) hands each due row to exactly one of them. On SQLite the
sweep transaction holds the database's single write lock, which serialises sweepers.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from swarm.events import EventType
from swarm.matching.policy import RETRY_DEADLINE
from swarm.models import Ticket, TicketDeadline, TicketEvent, TicketSkill
from swarm.models.tickets import Mode, Status

ACTIVE = (Status.NEW, Status.OPEN, Status.PENDING)


def set_deadline(session: Session, ticket_id: int, kind: str, at: datetime, now: datetime) -> None:
    """Create or move the ticket's deadline of ``kind``; the caller's transaction commits."""
    row = session.get(TicketDeadline, (ticket_id, kind))
    if row is None:
        session.add(TicketDeadline(ticket_id=ticket_id, kind=kind, due_at=at, created_at=now))
    else:
        row.due_at = at


def clear_deadline(session: Session, ticket_id: int, kind: str) -> None:
    session.execute(
        delete(TicketDeadline).where(
            TicketDeadline.ticket_id == ticket_id, TicketDeadline.kind == kind
        )
    )


def deadlines_of(session: Session, ticket_id: int) -> dict[str, datetime]:
    rows = session.scalars(select(TicketDeadline).where(TicketDeadline.ticket_id == ticket_id))
    return {row.kind: row.due_at for row in rows}


def claim_due(
    session: Session, now: datetime, limit: int = 100, skip_tickets: Collection[int] = ()
) -> list[tuple[int, str]]:
    """Take up to ``limit`` due deadlines out of the table and return ``(ticket id, kind)``.

    ``skip_tickets`` leaves those tickets' deadlines for a later sweep (their ticket is busy).

    The rows are locked (skipping rows another sweeper holds) and deleted in the caller's
    transaction: when it commits, they are this sweeper's alone; when it rolls back, they are
    due again for the next sweep.
    """
    query = (
        select(TicketDeadline)
        .where(TicketDeadline.due_at <= now)
        .where(TicketDeadline.ticket_id.not_in(list(skip_tickets)))
        .order_by(TicketDeadline.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    claimed = [(row.ticket_id, row.kind) for row in rows]
    for row in rows:
        session.delete(row)
    session.flush()
    return claimed


def wake_unowned(session: Session, now: datetime, skip: int | None = None) -> int:
    """Make the routing retry of every unowned swarm ticket due now; returns how many.

    Called in the transaction of whatever may have made someone able to take work: an agent
    coming online, a ticket released or resolved, a capacity raised. The sweeper then routes
    them again, each in its own transaction (so this costs the caller one statement per
    ticket, never a routing call). Only tickets that routing said were worth retrying (a
    ``reroute`` deadline is pending) or that were never routed at all (no ``queued`` event:
    tickets from before routing retried, or whose routing failed) are woken; a ticket routing
    sent to triage because nobody knows its skills would only be sent there again. ``skip`` is
    a ticket the caller routes itself (the one just released).
    """
    retry_pending = select(TicketDeadline.ticket_id).where(TicketDeadline.kind == RETRY_DEADLINE)
    never_routed = ~(
        select(TicketEvent.id)
        .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.type == EventType.QUEUED)
        .exists()
    )
    has_skills = select(TicketSkill.ticket_id).where(TicketSkill.ticket_id == Ticket.id).exists()
    query = select(Ticket.id).where(
        Ticket.owner_id.is_(None),
        Ticket.mode == Mode.SWARM,
        Ticket.status.in_(ACTIVE),
        has_skills,
        or_(Ticket.id.in_(retry_pending), never_routed),
    )
    if skip is not None:
        query = query.where(Ticket.id != skip)
    woken = list(session.scalars(query))
    for ticket_id in woken:
        set_deadline(session, ticket_id, RETRY_DEADLINE, now, now)
    return len(woken)
