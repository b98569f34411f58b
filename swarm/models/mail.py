"""Mail in: every mail taken in (once per Message-ID) and the attachments kept with it
(issue 15 item 2; docs/mail.md)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from swarm.db import Base, BigIntId, UTCDateTime

if TYPE_CHECKING:
    from swarm.models.tickets import Ticket


class MailOutcome:
    """What became of a mail taken in (``mail_intake.outcome``)."""

    TICKET = "ticket"  # opened a ticket
    REPLY = "reply"  # added to a ticket's public conversation
    IGNORED = "ignored"  # an auto-reply, a loop, a bounce: never answered, never ticketed
    REFUSED = "refused"  # an unknown sender under SWARM_MAIL_UNKNOWN=refuse, an inactive one


class MailIntake(Base):
    """One row per mail taken in, keyed by a hash of its Message-ID (or of its bytes when it
    has none): a redelivered mail finds its row and opens nothing. A mail that opens a ticket
    writes this row in the ticket's own transaction (swarm/mail/intake.py)."""

    __tablename__ = "mail_intake"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(String(998))
    sender: Mapped[str] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(8))  # smtp, imap
    outcome: Mapped[str] = mapped_column(String(16))
    # Why it was ignored or refused (auto-submitted, precedence, our own message, …).
    reason: Mapped[str | None] = mapped_column(String(200))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    ticket: Mapped[Ticket | None] = relationship()
    attachments: Mapped[list[MailAttachment]] = relationship(
        back_populates="intake", cascade="all, delete-orphan"
    )


class MailAttachment(Base):
    """An attachment within the size limit, kept as bytes in the database (backed up with it,
    nothing on the server's disk); refused ones are only named in the ticket's text."""

    __tablename__ = "mail_attachments"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    intake_id: Mapped[int] = mapped_column(
        ForeignKey("mail_intake.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    intake: Mapped[MailIntake] = relationship(back_populates="attachments")
