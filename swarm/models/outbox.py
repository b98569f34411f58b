"""The outbox: every outgoing effect (today a webhook call) is a row written in the transaction
of the change that caused it, and delivered afterwards by a worker (swarm/outbox/worker.py).
Webhooks are the admins' subscriptions; each delivery attempt is kept with its answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from swarm.db import Base, BigIntId, JSONType, UTCDateTime


class OutboxState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    DELIVERING = "delivering"  # claimed by a worker until locked_until
    DELIVERED = "delivered"
    DEAD = "dead"  # every attempt failed: shown to admins, sent again only by hand


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Event types it receives (docs/events.md); never empty.
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # ``whsec_`` + base64 of 32 random bytes (the Standard Webhooks format): the receiver needs
    # it to check signatures, so it is kept, shown to admins once at creation.
    secret: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxItem(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), default="webhook")
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    # Sent as ``webhook-id``: the same on every attempt, so a receiver drops a repeat.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int | None] = mapped_column(BigIntId)
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(12), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("state IN ('pending','delivering','delivered','dead')", name="state"),
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_outbox_webhook_id_id", "webhook_id", "id"),
    )


class DeliveryAttempt(Base):
    """One try of one outbox item: what the receiver answered, or why there was no answer."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    # The first KB of the answer's body, or the error (time-out, refused, redirect).
    response: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    milliseconds: Mapped[int] = mapped_column(Integer)
