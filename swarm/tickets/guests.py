"""Guest links: someone outside the organisation — typically the engineer of a vendor that holds
the ticket (Tier 4) — joins one ticket's swarm room, for a limited time, and nothing else.

A guest is a user with a requester's rights and no way to sign in (no password, no API token):
their only credential is the link, whose SHA-256 is stored in a :class:`GuestPass`. They can
see the one ticket of their pass while it is valid (``swarm.tickets.access.can_view``), read and
write chat in its room, and never see internal notes. Revoking or expiry ends it; the presence
keeper disconnects a guest whose pass ended within one beat.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from swarm.accounts import audit
from swarm.accounts.audit import AuditAction
from swarm.clock import Clock
from swarm.events import EventType
from swarm.models import GuestPass, User
from swarm.models.users import Role
from swarm.tickets.access import require_staff
from swarm.tickets.errors import Conflict, Invalid, NotFound
from swarm.tickets.notify import Notifier
from swarm.tickets.service import TicketService
from swarm.tickets.states import require_active
from swarm.tickets.unit import UnitOfWork

GUEST_PREFIX = "swg_"  # a public marker, not a secret
GUEST_NAME_MAX = 80
DEFAULT_GUEST_HOURS = 24
MAX_GUEST_HOURS = 7 * 24


def guest_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def guest_for_token(session: Session, token: str, now: datetime) -> User | None:
    """The guest whose pass ``token`` is, while that pass is valid; otherwise None."""
    if not isinstance(token, str) or not token.startswith(GUEST_PREFIX):
        return None
    query = select(GuestPass).where(GuestPass.token_hash == guest_token_hash(token))
    found = session.scalars(query).first()
    if found is None or not found.valid(now) or not found.user.active:
        return None
    return found.user


class GuestService:
    """Staff invite guests to a ticket's room, list and revoke them.

    Holds a unit of work (``self.unit``) and the ticket use cases on it (``self.tickets``).
    """

    def __init__(self, session: Session, clock: Clock, notifier: Notifier) -> None:
        self.unit = UnitOfWork(session, clock, notifier)
        self.tickets = TicketService.on(self.unit)
        self.session = session
        self.clock = clock
        self.notifier = notifier

    def __getattr__(self, name: str) -> Any:
        # Callers written when this class subclassed TicketService ask it for the lifecycle's
        # use cases (``rooms.claim``, ``rooms.resolve``); it answers them through the ticket
        # service it holds, in the same unit of work.
        if name.startswith("_") or name in ("unit", "tickets"):
            raise AttributeError(name)
        return getattr(self.tickets, name)

    def invite_guest(
        self, actor: User, ticket_id: int, name: str, hours: int = DEFAULT_GUEST_HOURS
    ) -> tuple[GuestPass, str]:
        """Create a guest and their link; returns the pass and the link's token (shown once).

        Staff who can see the ticket may invite, while it is active. Appends ``guest_invited``
        ``{guest_id, name, expires_at}``; published after commit.
        """
        name = name.strip() if isinstance(name, str) else ""
        problems: dict[str, list[str]] = {}
        if not name or len(name) > GUEST_NAME_MAX:
            problems["name"] = [f"1 to {GUEST_NAME_MAX} characters, e.g. the engineer's name."]
        if (
            isinstance(hours, bool)
            or not isinstance(hours, int)
            or not 1 <= hours <= MAX_GUEST_HOURS
        ):
            problems["hours"] = [f"A whole number of hours from 1 to {MAX_GUEST_HOURS}."]
        if problems:
            raise Invalid("The guest link needs a name and a duration.", fields=problems)
        token = GUEST_PREFIX + secrets.token_urlsafe(32)

        def change() -> GuestPass:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "invite guests")
            require_active(ticket, "opened to a guest")
            now = self.clock.now()
            guest = User(
                email=f"guest-{secrets.token_hex(12)}@guests.invalid",
                name=f"{name} (guest)",
                role=Role.REQUESTER,
                password_hash=None,
                active=True,
                created_at=now,
            )
            self.session.add(guest)
            self.session.flush()
            granted = GuestPass(
                ticket_id=ticket.id,
                user_id=guest.id,
                user=guest,
                created_by_id=actor.id,
                token_hash=guest_token_hash(token),
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
            self.session.add(granted)
            audit.record(
                self.session,
                now,
                AuditAction.GUEST_LINK_CREATED,
                actor=actor,
                subject=guest,
                ticket_id=ticket.id,
                name=guest.name,
                expires_at=granted.expires_at.isoformat(),
            )
            self.unit.record(
                ticket,
                EventType.GUEST_INVITED,
                actor,
                guest_id=guest.id,
                name=guest.name,
                expires_at=granted.expires_at.isoformat(),
            )
            return granted

        return self.unit.run(change), token

    def guests(self, actor: User, ticket_id: int) -> list[GuestPass]:
        """Every guest pass of the ticket, newest first (staff only)."""
        ticket = self.tickets.get(actor, ticket_id)
        require_staff(actor, "see a ticket's guests")
        query = (
            select(GuestPass).where(GuestPass.ticket_id == ticket.id).order_by(GuestPass.id.desc())
        )
        return list(self.session.scalars(query))

    def revoke_guest(self, actor: User, ticket_id: int, pass_id: int) -> GuestPass:
        """End a guest's pass now; the guest can no longer see the ticket or write in its room.
        Appends ``guest_revoked {guest_id, name}``."""

        def change() -> GuestPass:
            ticket = self.unit.lock(actor, ticket_id)
            require_staff(actor, "revoke guests")
            found = self.session.get(GuestPass, pass_id)
            if found is None or found.ticket_id != ticket.id:
                raise NotFound(f"Ticket {ticket.id} has no guest pass {pass_id}.")
            now = self.clock.now()
            if not found.valid(now):
                raise Conflict(f"{found.user.name}'s link has already ended.")
            found.revoked_at = now
            found.user.active = False
            audit.record(
                self.session,
                now,
                AuditAction.GUEST_LINK_REVOKED,
                actor=actor,
                subject=found.user,
                ticket_id=ticket.id,
                name=found.user.name,
            )
            self.unit.record(
                ticket,
                EventType.GUEST_REVOKED,
                actor,
                guest_id=found.user_id,
                name=found.user.name,
            )
            return found

        return self.unit.run(change)
