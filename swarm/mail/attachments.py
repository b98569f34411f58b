"""The attachments a ticket's mails brought (swarm/mail/intake.py keeps them within
``SWARM_MAIL_ATTACHMENT_BYTES``): listed and downloaded by whoever may read the ticket —
its staff and its requester, never another requester (404, as for the ticket itself).

Serving what a stranger mailed from our own origin is how stored XSS gets in (an HTML or
SVG file opened inline runs with the viewer's session), so a download is always
``Content-Disposition: attachment``, ``nosniff``, under a sandboxing CSP, and keeps its
declared type only when that type is one a browser cannot run (images other than SVG, PDF,
plain text, archives, office documents); everything else goes out as
``application/octet-stream``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from swarm.clock import Clock
from swarm.models import MailAttachment, MailIntake, Ticket, User
from swarm.tickets.access import require_view
from swarm.tickets.errors import NotFound

#: Declared types kept on download: none of them is script a browser would run.
SAFE_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/gzip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    }
)


@dataclass(frozen=True)
class AttachmentInfo:
    """What a list shows: never the bytes."""

    id: int
    filename: str
    content_type: str
    size: int
    received_at: datetime
    sender: str


def served_type(declared: str) -> str:
    """The Content-Type a download goes out with (see the module's docstring)."""
    kind = declared.split(";", 1)[0].strip().lower()
    if kind not in SAFE_TYPES:
        return "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact one in RFC 5987 form, so no
    name (quotes, CR/LF, non-ASCII) can break out of the header."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename
    )
    exact = quote(filename, safe="")
    return f"attachment; filename=\"{fallback or 'attachment'}\"; filename*=UTF-8''{exact}"


class AttachmentService:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    def _ticket(self, viewer: User, ticket_id: int) -> Ticket:
        return require_view(
            viewer, self.session.get(Ticket, ticket_id), ticket_id, self.clock.now()
        )

    def list(self, viewer: User, ticket_id: int) -> list[AttachmentInfo]:
        self._ticket(viewer, ticket_id)
        rows = self.session.execute(
            select(MailAttachment, MailIntake.received_at, MailIntake.sender)
            .join(MailIntake, MailIntake.id == MailAttachment.intake_id)
            .where(MailIntake.ticket_id == ticket_id)
            .options(
                load_only(
                    MailAttachment.id,
                    MailAttachment.filename,
                    MailAttachment.content_type,
                    MailAttachment.size,
                )
            )
            .order_by(MailAttachment.id)
        ).all()
        return [
            AttachmentInfo(a.id, a.filename, a.content_type, a.size, received_at, sender)
            for a, received_at, sender in rows
        ]

    def get(self, viewer: User, ticket_id: int, attachment_id: int) -> MailAttachment:
        """The attachment with its bytes; 404 unless it came with this ticket's mail (an id
        from another ticket is not found here, whoever asks)."""
        self._ticket(viewer, ticket_id)
        found = self.session.scalar(
            select(MailAttachment)
            .join(MailIntake, MailIntake.id == MailAttachment.intake_id)
            .where(MailAttachment.id == attachment_id, MailIntake.ticket_id == ticket_id)
        )
        if found is None:
            raise NotFound("This ticket has no such attachment.")
        return found
