"""The ticket's status machine: new → open ⇄ pending → resolved → closed, and reopen to open."""

from __future__ import annotations

from swarm.models import Ticket
from swarm.models.tickets import Status
from swarm.tickets.errors import IllegalTransition

# Resolving, closing and reopening have their own use cases (and event types), so they are
# listed here for the messages but reached through resolve(), close() and reopen().
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
}
#: Statuses in which people work on a ticket; resolved and closed ones must be reopened first.
ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING})


def require_active(ticket: Ticket, doing: str) -> None:
    """``IllegalTransition`` unless the ticket is being worked on (``doing``: "claimed", …)."""
    if ticket.status not in ACTIVE_STATUSES:
        raise IllegalTransition(
            f"Ticket {ticket.id} is {ticket.status} and cannot be {doing}; reopen it first."
        )


def check_transition(ticket: Ticket, target: str) -> None:
    """``IllegalTransition``, saying where the ticket can go, unless it can go to ``target``."""
    if target == ticket.status:
        raise IllegalTransition(f"Ticket {ticket.id} is already {target}.")
    if target not in TRANSITIONS[ticket.status]:
        allowed = ", ".join(sorted(TRANSITIONS[ticket.status]))
        raise IllegalTransition(
            f"Ticket {ticket.id} cannot go from {ticket.status} to {target}; "
            f"from {ticket.status} it can go to: {allowed}."
        )
