"""The audit log: who did what security-relevant thing, when, from where (swarm/accounts/audit.py
says which actions and what each records)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from swarm.db import Base, BigIntId, JSONType, UTCDateTime
from swarm.models.users import User


class AuditEntry(Base):
    """One security-relevant action, written in the transaction of the change it records.

    ``actor`` did it (None: nobody signed in, e.g. a failed sign-in, or the command line);
    ``subject`` is the person it concerned, when that is someone (the account whose role
    changed, the guest of a link). Both are kept as ids that outlive nobody: a person is never
    deleted, only deactivated. ``details`` never holds a secret (no password, no token).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The client's address as the server saw it (behind SWARM_TRUSTED_PROXIES proxies, the one
    # they forwarded); None for the command line and background work.
    address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id], lazy="joined")

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_action_id", "action", "id"),
        Index("ix_audit_log_actor_id_id", "actor_id", "id"),
        Index("ix_audit_log_subject_id_id", "subject_id", "id"),
    )
