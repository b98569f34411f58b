"""The attachments a ticket's mails brought: listed and downloaded by whoever may read the
ticket (swarm/mail/attachments.py says why a download is never shown inline)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import DateTime, Integer, List, Nested, String
from flask import Response, url_for

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.mail.attachments import AttachmentService, disposition, served_type
from swarm.runtime import db_session, runtime

NOT_YOURS = {404: "No such ticket or attachment (or not yours)"}
FILE = {
    "description": "The attachment's bytes, always as a download",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


class AttachmentOut(Schema):
    id = Integer()
    filename = String()
    content_type = String(metadata={"description": "As the mail declared it"})
    size = Integer(metadata={"description": "Bytes"})
    received_at = DateTime()
    url = String(metadata={"description": "Where to download it"})


class AttachmentList(Schema):
    items = List(Nested(AttachmentOut))


def attachments() -> AttachmentService:
    return AttachmentService(db_session(), runtime().clock)


@api.get("/tickets/<id:ticket_id>/attachments")
@api.output(AttachmentList)
@api.doc(summary="Attachments that came with the ticket's mails", responses=NOT_YOURS)
@authenticated
def list_attachments(ticket_id: int) -> Any:
    items = attachments().list(caller(), ticket_id)
    return {
        "items": [
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "received_at": a.received_at,
                "url": url_for("api.download_attachment", ticket_id=ticket_id, attachment_id=a.id),
            }
            for a in items
        ]
    }


@api.get("/tickets/<id:ticket_id>/attachments/<id:attachment_id>")
@api.doc(summary="Download one attachment", responses={200: FILE, **NOT_YOURS})
@authenticated
def download_attachment(ticket_id: int, attachment_id: int) -> Any:
    found = attachments().get(caller(), ticket_id, attachment_id)
    return Response(
        found.data,
        content_type=served_type(found.content_type),
        headers={
            "Content-Disposition": disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )
