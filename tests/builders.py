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
