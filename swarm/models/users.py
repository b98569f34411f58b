"""People: users with a role, the agent profile of those who work tickets, API tokens, and the
guest passes of outside engineers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from swarm.db import Base, JSONType, UTCDateTime

if TYPE_CHECKING:
    from swarm.models.tickets import Ticket


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"


# Each role can do everything the roles before it can (a manager is an agent who also sees
# metrics and configuration), except that an admin's rights are about users and skills.
ROLE_RANK = {Role.REQUESTER: 0, Role.AGENT: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    BUSY = "busy"
    OFFLINE = "offline"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default=Role.REQUESTER)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The language of the pages and messages this person reads ("en", "de"); none: the
    # browser's Accept-Language decides (swarm/web/i18n.py, docs/translations.md).
    locale: Mapped[str | None] = mapped_column(String(16), default=None)

    profile: Mapped[AgentProfile | None] = relationship(
        back_populates="user", uselist=False, lazy="joined"
    )
    # Loaded only when asked for: only a guest's access checks need it.
    guest_pass: Mapped[GuestPass | None] = relationship(
        back_populates="user", uselist=False, foreign_keys="GuestPass.user_id"
    )

    __table_args__ = (
        CheckConstraint("role IN ('requester','agent','manager','admin')", name="role"),
    )

    def has_role(self, role: Role) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[role]

    # The four members Flask-Login expects of a user object (kept here, without importing it).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_staff(self) -> bool:
        """Agents, managers and admins: those who may see tickets they did not open."""
        return self.has_role(Role.AGENT)


class AgentProfile(Base):
    __tablename__ = "agent_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    presence: Mapped[str] = mapped_column(String(16), default=Presence.OFFLINE)
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    # The home tier (where "Queues" opens); ``tiers`` lists further tiers the agent also serves,
    # as organisations that merge L1 and L2 do.
    tier: Mapped[int | None] = mapped_column(Integer)
    tiers: Mapped[list[int]] = mapped_column(JSONType, default=list, server_default="[]")
    team: Mapped[str | None] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    presence_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="profile")

    @property
    def served_tiers(self) -> frozenset[int]:
        """Every tier the agent works in tiered mode: the home tier and the extra ones."""
        home = {self.tier} if self.tier is not None else set()
        return frozenset(home | {int(t) for t in self.tiers or ()})

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity"),
        CheckConstraint("tier IS NULL OR (tier BETWEEN 0 AND 4)", name="tier"),
        CheckConstraint("presence IN ('online','away','busy','offline')", name="presence"),
    )


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class UserSession(Base):
    """A browser sign-in that is still valid (swarm/accounts/sessions.py). The signed session
    cookie carries a random key; only its SHA-256 is stored here. Signing out deletes the
    row, so the cookie stops working even though the browser (or a thief) still has it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GuestPass(Base):
    """A time-limited link for someone outside the organisation (a vendor's engineer) to one
    ticket's swarm room and nothing else. The guest is a user with the requester's rights,
    no password and no API token, who can see this ticket only while the pass is valid.
    Only the link's SHA-256 is stored; the link itself is shown once."""

    __tablename__ = "guest_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id], back_populates="guest_pass")
    ticket: Mapped[Ticket] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
