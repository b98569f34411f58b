"""Who may see and change a ticket.

A requester sees only the tickets they opened, and a guest only the ticket of their pass while
it is valid; for anyone else such a ticket does not exist (``NotFound``, never ``Forbidden``),
so that guessing ids tells nothing.
"""

from __future__ import annotations

from datetime import datetime

from swarm.events import Audience
from swarm.models import Ticket, User
from swarm.models.users import Role
from swarm.tickets.errors import Forbidden, NotFound


def can_view(user: User, ticket: Ticket, now: datetime | None = None) -> bool:
    """Staff see every ticket, a requester their own, a guest (given ``now``) their pass's."""
    if user.is_staff or ticket.requester_id == user.id:
        return True
    granted = user.guest_pass  # loaded only here, for people who are neither
    return (
        now is not None
        and granted is not None
        and granted.ticket_id == ticket.id
        and granted.valid(now)
    )


def audience_of(user: User, ticket: Ticket) -> Audience:
    """Which view of ``ticket`` the user gets (``swarm.events.view``): staff, the requester,
    or a guest of the swarm room. Call it after an access check."""
    if user.is_staff:
        return Audience.STAFF
    return Audience.REQUESTER if ticket.requester_id == user.id else Audience.GUEST


def require_view(
    user: User, ticket: Ticket | None, ticket_id: int, now: datetime | None = None
) -> Ticket:
    if ticket is None or not can_view(user, ticket, now):
        raise NotFound(f"There is no ticket {ticket_id}.")
    return ticket


def require_staff(user: User, doing: str) -> None:
    if not user.is_staff:
        raise Forbidden(f"Only agents can {doing}.")


def require_owner_or_manager(user: User, ticket: Ticket, doing: str) -> None:
    """The owner is accountable for the ticket; a manager may act in their place."""
    if ticket.owner_id == user.id or user.has_role(Role.MANAGER):
        return
    owner = ticket.owner.name if ticket.owner else "nobody yet"
    raise Forbidden(f"Only the ticket's owner ({owner}) or a manager can {doing}.")


def require_manager(user: User, doing: str) -> None:
    if not user.has_role(Role.MANAGER):
        raise Forbidden(f"Only managers and admins can {doing}.")
