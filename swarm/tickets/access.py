"""Who may see and change a ticket.

A requester sees only the tickets they opened, and a guest only the ticket of their pass while
it is valid; for anyone else such a ticket does not exist (``NotFound``, never ``Forbidden``),
so that guessing ids tells nothing.

Where a person stands with a ticket (:class:`Standing`) is decided by one ordered list of
facts, :data:`STANDING_RULES`: :func:`standing` reads it in Python on the ORM objects, the
message writer's portable path on the rows it fetched (:func:`standing_from`), and its
PostgreSQL statement as the ``CASE`` :func:`sql_standing` generates from it. What each standing
may post is ``swarm.tickets.posting``'s table; ``tests/integration/test_posting_rights.py``
holds the paths to both, for every role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum

from swarm.events import Audience
from swarm.models import Ticket, User
from swarm.models.users import ROLE_RANK, Role
from swarm.tickets.errors import Forbidden, NotFound


class Standing(StrEnum):
    """Where an author stands with one ticket."""

    STAFF = "staff"
    REQUESTER = "requester"
    GUEST = "guest"  # a guest pass to this ticket, valid now
    STRANGER = "stranger"  # anyone else, or a ticket that does not exist
    GONE = "gone"  # no such account, or a deactivated one


#: The roles that see every ticket (``User.is_staff``), as the SQL path names them.
STAFF_ROLES: tuple[str, ...] = tuple(r.value for r in Role if ROLE_RANK[r] >= ROLE_RANK[Role.AGENT])

#: Where a person stands with a ticket: the standing of the first fact that holds, else
#: :attr:`Standing.STRANGER`. The order matters: a deactivated agent is gone before staff, and
#: an agent who opened a ticket is staff there, not its requester.
STANDING_RULES: tuple[tuple[str, Standing], ...] = (
    ("gone", Standing.GONE),  # no such account, or a deactivated one
    ("no_ticket", Standing.STRANGER),  # no such ticket
    ("staff", Standing.STAFF),  # a role in STAFF_ROLES
    ("requester", Standing.REQUESTER),  # the person who opened the ticket
    ("guest", Standing.GUEST),  # a pass to this very ticket, not revoked, not run out
)
FACTS = frozenset(fact for fact, _ in STANDING_RULES)

#: The standings that see a ticket, and the view of it each gets (``swarm.events.view``).
AUDIENCES: dict[Standing, Audience] = {
    Standing.STAFF: Audience.STAFF,
    Standing.REQUESTER: Audience.REQUESTER,
    Standing.GUEST: Audience.GUEST,
}


def standing_from(facts: Mapping[str, bool | Callable[[], bool]]) -> Standing:
    """The standing :data:`STANDING_RULES` give these facts. A fact given as a function is
    asked only when the ones before it did not hold (a guest's pass is looked up only for
    people who are neither staff nor the requester).

    >>> standing_from({fact: fact == "requester" for fact in FACTS})
    <Standing.REQUESTER: 'requester'>
    """
    if set(facts) != FACTS:
        raise ValueError(f"facts must be exactly {sorted(FACTS)}")
    for fact, result in STANDING_RULES:
        holds = facts[fact]
        if holds() if callable(holds) else holds:
            return result
    return Standing.STRANGER


def sql_standing(facts: Mapping[str, str]) -> str:
    """:func:`standing_from` as a SQL ``CASE``, each fact given as a boolean SQL expression
    (the callers' own text, never input)."""
    if set(facts) != FACTS:
        raise ValueError(f"facts must be exactly {sorted(FACTS)}")
    whens = " ".join(f"WHEN {facts[fact]} THEN '{result.value}'" for fact, result in STANDING_RULES)
    return f"CASE {whens} ELSE '{Standing.STRANGER.value}' END"


def sql_is_staff(role: str) -> str:
    """``User.is_staff`` over the SQL expression ``role``."""
    return f"{role} IN ({', '.join(repr(r) for r in STAFF_ROLES)})"


def standing(user: User | None, ticket: Ticket | None, now: datetime | None) -> Standing:
    """Where ``user`` stands with ``ticket`` now (without ``now``, no guest pass counts)."""
    return standing_from(
        {
            "gone": lambda: user is None or not user.active,
            "no_ticket": lambda: ticket is None,
            "staff": lambda: user is not None and user.is_staff,
            "requester": lambda: (
                ticket is not None and user is not None and ticket.requester_id == user.id
            ),
            "guest": lambda: _holds_pass(user, ticket, now),
        }
    )


def _holds_pass(user: User | None, ticket: Ticket | None, now: datetime | None) -> bool:
    if user is None or ticket is None or now is None:
        return False
    granted = user.guest_pass  # loaded only here, for people who are neither
    return granted is not None and granted.ticket_id == ticket.id and granted.valid(now)


def can_view(user: User, ticket: Ticket, now: datetime | None = None) -> bool:
    """Staff see every ticket, a requester their own, a guest (given ``now``) their pass's."""
    return standing(user, ticket, now) in AUDIENCES


def audience_of(user: User, ticket: Ticket) -> Audience:
    """Which view of ``ticket`` the user gets (``swarm.events.view``): staff, the requester,
    or a guest of the swarm room. Call it after an access check, which looked at the pass."""
    found = standing_from(
        {
            "gone": False,
            "no_ticket": False,
            "staff": user.is_staff,
            "requester": ticket.requester_id == user.id,
            "guest": True,
        }
    )
    return AUDIENCES[found]


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
