"""The ticket aggregate: the ticket, its required skills, its append-only event log, and the
swarm around it (messages, participations, invitations)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from swarm.db import Base, BigIntId, JSONType, UTCDateTime
from swarm.models.skills import Skill
from swarm.models.users import User
from swarm.models.vendors import VendorHandoff


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Mode(StrEnum):
    SWARM = "swarm"
    TIERED = "tiered"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class MessageKind(StrEnum):
    """``chat`` and ``solution`` are the swarm room's (staff and guests), ``note`` is internal,
    ``reply`` is the public conversation between the requester and staff."""

    CHAT = "chat"
    NOTE = "note"
    SOLUTION = "solution"
    REPLY = "reply"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(2), default=Priority.P3)
    status: Mapped[str] = mapped_column(String(16), default=Status.NEW, index=True)
    mode: Mapped[str] = mapped_column(String(8), default=Mode.SWARM, index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    tier: Mapped[int | None] = mapped_column(Integer)
    # Routing overrides by category (tiered mode); free text, optional.
    category: Mapped[str | None] = mapped_column(String(80))
    # The tier clock (tiered mode): time in the current tier counts from tier_entered_at, minus
    # the pauses (waiting on the requester or a vendor). See docs/tiers.md.
    tier_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tier_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tier_paused_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(Text)
    # Optimistic lock: an UPDATE that finds another version changed the ticket under it fails.
    version: Mapped[int] = mapped_column(Integer, default=1)

    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="joined")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    skills: Mapped[list[TicketSkill]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketSkill.weight.desc()"
    )
    handoffs: Mapped[list[VendorHandoff]] = relationship(
        order_by="VendorHandoff.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own idiom
    __table_args__ = (
        CheckConstraint("priority IN ('P1','P2','P3','P4')", name="priority"),
        CheckConstraint("status IN ('new','open','pending','resolved','closed')", name="status"),
        CheckConstraint("mode IN ('swarm','tiered')", name="mode"),
        CheckConstraint("tier IS NULL OR (tier BETWEEN 0 AND 4)", name="tier"),
    )

    @property
    def vendor_handoff(self) -> VendorHandoff | None:
        """The hand-off still open, else the latest one, else ``None``."""
        if not self.handoffs:
            return None
        open_ = [h for h in self.handoffs if h.closed_at is None]
        return open_[-1] if open_ else self.handoffs[-1]


class TicketSkill(Base):
    __tablename__ = "ticket_skills"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True
    )
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    # Why inference chose the skill ("mentions \"VPN\"", "resembles 12 tickets …").
    why: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("weight > 0 AND weight <= 1", name="weight"),
        CheckConstraint("source IN ('inferred','manual')", name="source"),
    )


class TicketEvent(Base):
    """One thing that happened to a ticket. Rows are only ever inserted."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source: Mapped[str] = mapped_column(String(64), default="live")

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),
        Index("ix_ticket_events_source_at", "source", "at"),
        Index("ix_ticket_events_type", "type"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # None only for a reply an automation rule posted: the support team speaks, not a person
    # (docs/rules.md); the check below keeps every other kind of message authored.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default=MessageKind.CHAT)
    # Chosen by the sending client, so that a retried send is recognised and stored once.
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_messages_ticket_id_id", "ticket_id", "id"),
        UniqueConstraint("author_id", "client_id", name="uq_messages_author_client"),
        CheckConstraint("kind IN ('chat','note','solution','reply')", name="kind"),
        CheckConstraint("author_id IS NOT NULL OR kind = 'reply'", name="author"),
    )


class Participation(Base):
    """A stint in a ticket's swarm, as owner or helper: it begins when a person acts for the
    ticket (takes it on, accepts an invitation, is added, writes) — never when someone only
    opens the page, which is presence and is not stored. ``last_seen_at`` is when the person
    last had the room open or acted; an idle helper's stint ends there (docs/realtime.md)."""

    __tablename__ = "participations"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("role IN ('owner','helper')", name="role"),)


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    invitee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=InvitationStatus.PENDING)
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("status IN ('pending','accepted','declined','expired')", name="status"),
    )


class TicketDeadline(Base):
    """A moment at which a routing policy wants to be asked again about a ticket.

    One row per (ticket, kind). A sweeper claims due rows (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL), so that any number of processes can sweep and each deadline fires once.
    """

    __tablename__ = "ticket_deadlines"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---------------------------------------------------------------- full-text search structures
# Kept in SQL, not in the ORM, as the articles' are (swarm/models/knowledge.py): the migration
# 0014 holds the same statements; swarm/db.py's ``include_object`` tells Alembic's comparison
# that they are not differences from the models. swarm/tickets/search.py queries them.

TICKETS_SQLITE_SEARCH_DDL = (
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(subject, body, content='tickets', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, subject, body) VALUES (new.id, new.subject, new.body); END",
    "CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject, body) "
    "VALUES ('delete', old.id, old.subject, old.body); END",
    "CREATE TRIGGER tickets_fts_au AFTER UPDATE OF subject, body ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, subject, body) "
    "VALUES ('delete', old.id, old.subject, old.body); "
    "INSERT INTO tickets_fts(rowid, subject, body) VALUES (new.id, new.subject, new.body); END",
)
TICKETS_SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS tickets_fts_au",
    "DROP TRIGGER IF EXISTS tickets_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_fts_ai",
    "DROP TABLE IF EXISTS tickets_fts",
)
TICKETS_POSTGRES_SEARCH_DDL = (
    "ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, subject), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, subject), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B')) STORED",
    "CREATE INDEX ix_tickets_search_vector ON tickets USING gin (search_vector)",
)


def _ddl(statement: str, dialect: str) -> Any:
    # SQLAlchemy's DDL() carries no annotations: mypy --strict would refuse the bare call.
    return DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]


for _event, _dialect, _statements in (
    ("after_create", "sqlite", TICKETS_SQLITE_SEARCH_DDL),
    ("after_create", "postgresql", TICKETS_POSTGRES_SEARCH_DDL),
    ("before_drop", "sqlite", TICKETS_SQLITE_SEARCH_DROP),
):
    for _statement in _statements:
        event.listen(Ticket.__table__, _event, _ddl(_statement, _dialect))

_unmapped = Base.metadata.info.setdefault("unmapped", {})
_unmapped["table_prefixes"] = (*_unmapped.get("table_prefixes", ()), "tickets_fts")
_unmapped["columns"] = (*_unmapped.get("columns", ()), ("tickets", "search_vector"))
_unmapped["indexes"] = (*_unmapped.get("indexes", ()), "ix_tickets_search_vector")
