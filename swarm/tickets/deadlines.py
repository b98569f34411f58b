"""Deadline rows: when a routing policy wants to be asked again about a ticket.

Rows, not timers in a process: any number of server processes can sweep, and a claim with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL) hands each due row to exactly one of them. On SQLite the
sweep transaction holds the database's single write lock, which serialises sweepers.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from swarm.models import TicketDeadline


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
