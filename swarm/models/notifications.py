"""Notifications and each person's choices about them (docs/notifications.md).

A ``Notification`` is written in the transaction of the event that calls for it
(swarm/notifications/capture.py); its ``email`` column follows the mail that may carry it:
``off`` (none: the person said no, or mail is not configured), ``queued`` (an outbox row of kind
``mail`` will send it), ``sent`` (alone or in a digest), ``dead`` (every attempt failed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from swarm.db import Base, BigIntId, UTCDateTime


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # The event that called for it (null for a vendor hand-off found overdue by the sweeper).
    event_id: Mapped[int | None] = mapped_column(BigIntId)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email: Mapped[str] = mapped_column(String(8), default="off")

    __table_args__ = (
        CheckConstraint("email IN ('off','queued','sent','dead')", name="email"),
        # The page and the API read a person's newest first; the bell counts the unread.
        Index("ix_notifications_recipient_id_id", "recipient_id", "id"),
        Index("ix_notifications_recipient_id_read_at", "recipient_id", "read_at"),
    )


class NotificationPreference(Base):
    """One person's choice for one kind; a kind without a row is on in the app and by mail."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)


class NotificationSchedule(Base):
    """When one person's mail may go: quiet hours in their time zone, and digests.

    Quiet hours run from ``quiet_start`` to ``quiet_end`` (minutes after midnight, local time;
    a window may cross midnight); both null means none. With ``digest`` on, mail that piles up
    is sent as one digest (docs/notifications.md says when)."""

    __tablename__ = "notification_schedules"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint(
            "(quiet_start IS NULL AND quiet_end IS NULL) OR "
            "(quiet_start BETWEEN 0 AND 1439 AND quiet_end BETWEEN 0 AND 1439)",
            name="quiet",
        ),
    )
