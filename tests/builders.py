"""Builders for test data: small, explicit, one call per thing a test needs."""

from __future__ import annotations

from functools import cache
from itertools import count

from sqlalchemy.orm import Session

from swarm.accounts.passwords import hash_password
from swarm.clock import Clock
from swarm.models import AgentProfile, Ticket, User
from swarm.models.users import Role
from swarm.tickets.service import TicketService

PASSWORD = "correct horse battery"
_ids = count(1)


@cache
def _password_hash() -> str:
    # argon2 is slow on purpose; one hash serves every test user.
    return hash_password(PASSWORD)


def make_user(
    session: Session,
    clock: Clock,
    *,
    role: str = Role.REQUESTER,
    name: str | None = None,
    email: str | None = None,
    capacity: int = 5,
    presence: str = "online",
) -> User:
    n = next(_ids)
    user = User(
        email=email or f"user{n}@example.test",
        name=name or f"{role.title()} {n}",
        role=role,
        password_hash=_password_hash(),
        active=True,
        created_at=clock.now(),
    )
    if role != Role.REQUESTER:
        user.profile = AgentProfile(capacity=capacity, presence=presence, timezone="UTC")
    session.add(user)
    session.commit()
    return user


def make_agent(session: Session, clock: Clock, **kw: object) -> User:
    return make_user(session, clock, role=Role.AGENT, **kw)  # type: ignore[arg-type]


def make_manager(session: Session, clock: Clock, **kw: object) -> User:
    return make_user(session, clock, role=Role.MANAGER, **kw)  # type: ignore[arg-type]


def make_ticket(
    service: TicketService,
    requester: User,
    *,
    subject: str = "VPN drops every few minutes",
    body: str = "Since this morning the VPN disconnects every 5 minutes.",
    priority: str = "P3",
) -> Ticket:
    return service.open_ticket(requester, subject=subject, body=body, priority=priority)


#: What a long swarm writes, in turn (``add_long_swarm``): room chat and a solution (staff and
#: guests), the public conversation (and the requester), internal notes and a raised hand
#: (staff only), status changes (everyone).
LONG_SWARM_CYCLE = ("chat", "reply", "note", "chat", "status_changed", "hand_raised", "solution")


def add_long_swarm(
    session: Session, ticket: Ticket, *, staff: User, requester: User, events: int
) -> list[int]:
    """Append ``events`` events to ``ticket`` as a busy swarm writes them (each message with
    its row), in :data:`LONG_SWARM_CYCLE`'s turn, a millisecond apart (so that a page shows them as
    just now, not in the future); returns their ids."""
    from datetime import timedelta

    from swarm.models import Message, TicketEvent

    start = ticket.created_at + timedelta(milliseconds=1)
    kinds = [LONG_SWARM_CYCLE[n % len(LONG_SWARM_CYCLE)] for n in range(events)]
    messages = {
        n: Message(
            ticket_id=ticket.id,
            author_id=(requester if what == "reply" else staff).id,
            body=f"{what} {n}",
            kind=what,
            created_at=start + timedelta(milliseconds=n),
        )
        for n, what in enumerate(kinds)
        if what in ("chat", "reply", "note", "solution")
    }
    session.add_all(messages.values())
    session.flush()  # the messages' ids, which their events carry
    rows = []
    for n, what in enumerate(kinds):
        row = TicketEvent(
            ticket_id=ticket.id, type=what, actor_id=staff.id, at=start + timedelta(milliseconds=n)
        )
        if n in messages:
            message = messages[n]
            row.actor_id = message.author_id
            row.type = "note" if what == "note" else "message"
            row.data = {"message_id": message.id}
            if what != "note":
                row.data["kind"] = what
        elif what == "status_changed":
            row.data = (
                {"from": "open", "to": "pending"} if n % 2 else {"from": "pending", "to": "open"}
            )
        else:
            row.data = {"note": f"hand {n}"}
        rows.append(row)
    session.add_all(rows)
    session.commit()
    return [row.id for row in rows]
