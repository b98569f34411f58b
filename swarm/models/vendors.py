"""Tier 4: external vendors and the hand-offs of tickets to them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from swarm.db import Base, UTCDateTime


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    contact: Mapped[str] = mapped_column(String(254), default="")
    sla_seconds: Mapped[int] = mapped_column(Integer)
    # A vendor with hand-offs is deactivated rather than deleted: the history keeps its name.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("sla_seconds > 0", name="sla_seconds"),)


class VendorHandoff(Base):
    """One hand-off of a ticket to a vendor, with the vendor's SLA clock.

    The clock is stored as its three values (``handed_off_at``, ``paused_at``,
    ``paused_seconds``); ``overdue_at`` is set by the sweeper when the vendor SLA passes, and
    ``closed_at`` when the vendor resolves or rejects the case.
    """

    __tablename__ = "vendor_handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    external_ref: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="handed_off")
    note: Mapped[str | None] = mapped_column(Text)
    handed_off_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sla_seconds: Mapped[int] = mapped_column(Integer)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    vendor: Mapped[Vendor] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_vendor_handoffs_ticket_id_id", "ticket_id", "id"),
        CheckConstraint(
            "status IN ('handed_off','acknowledged','in_progress','waiting_on_us',"
            "'resolved','rejected')",
            name="status",
        ),
        CheckConstraint("sla_seconds > 0", name="sla_seconds"),
        CheckConstraint("paused_seconds >= 0", name="paused_seconds"),
    )

    @property
    def open(self) -> bool:
        return self.closed_at is None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    @property
    def due_at(self) -> datetime | None:
        """When the vendor must have answered; ``None`` while its clock is paused or stopped."""
        if self.paused_at is not None or self.closed_at is not None:
            return None
        return self.handed_off_at + timedelta(seconds=self.paused_seconds + self.sla_seconds)

    @property
    def overdue(self) -> bool:
        """The sweeper flagged the vendor SLA as passed (within one sweep of it passing)."""
        return self.overdue_at is not None
