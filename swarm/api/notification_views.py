"""The caller's notifications and their choices about them (docs/notifications.md)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, abort
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import StrictSchema
from swarm.inputs import MAX_ID, ascii_int, at_most
from swarm.notifications.kinds import Kind
from swarm.notifications.service import zones
from swarm.runtime import notification_service

KINDS = [k.value for k in Kind]
TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
ZONES = sorted(zones())


class TicketRef(Schema):
    id = Integer()
    subject = String()


class ActorRef(Schema):
    id = Integer()
    name = String(allow_none=True)


class NotificationOut(Schema):
    id = Integer()
    kind = String(metadata={"description": "One of: " + ", ".join(KINDS) + "."})
    text = String(metadata={"description": "One sentence saying what happened (plain text)."})
    ticket = Nested(TicketRef)
    actor = Nested(ActorRef, allow_none=True)
    at = DateTime()
    read_at = DateTime(allow_none=True)
    email = String(metadata={"description": "The mail's state: off, queued, sent or dead."})


class NotificationItem(NotificationOut):
    """The same shape in a page (a schema is registered once per name in the spec)."""


class NotificationPageOut(Schema):
    items = List(Nested(NotificationItem))
    next = String(
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next (older) page; null at the end."},
    )
    unread = Integer(metadata={"description": "How many of yours are unread (the bell)."})


class NotificationQueryIn(StrictSchema):
    cursor = String(
        validate=Regexp(rf"^{at_most(MAX_ID)}$"),
        metadata={"description": "The `next` of the previous page."},
    )
    limit = Integer(load_default=50, validate=Range(1, 100))
    unread = Boolean(load_default=False, metadata={"description": "Only the unread ones."})


class ReadAllOut(Schema):
    updated = Integer(metadata={"description": "How many were marked read."})
    unread = Integer()


class KindChoice(StrictSchema):
    kind = String(required=True, validate=OneOf(KINDS))
    label = String(metadata={"description": "Ignored on input."})
    in_app = Boolean()
    email = Boolean()


class QuietHours(StrictSchema):
    start = String(
        required=True,
        validate=Regexp(TIME),
        metadata={"description": "HH:MM in your time zone: mail waits from then…"},
    )
    end = String(
        required=True,
        validate=Regexp(TIME),
        metadata={"description": "…until then (the window may cross midnight)."},
    )


class PreferencesOut(Schema):
    email_available = Boolean(
        metadata={"description": "False when this site sends no mail (SWARM_SMTP_URL unset)."}
    )
    kinds = List(Nested(KindChoice))
    quiet_hours = Nested(QuietHours, allow_none=True)
    timezone = String()
    digest = Boolean()


class PreferencesIn(StrictSchema):
    kinds = List(
        Nested(KindChoice),
        validate=Length(max=len(KINDS)),
        metadata={"description": "A requester may choose only the two requester_* kinds (403)."},
    )
    quiet_hours = Nested(
        QuietHours, allow_none=True, metadata={"description": "null: no quiet hours."}
    )
    timezone = String(
        validate=OneOf(ZONES), metadata={"description": "An IANA time zone of quiet hours."}
    )
    digest = Boolean(metadata={"description": "Mail piling up goes as one digest."})


@api.get("/notifications")
@api.input(NotificationQueryIn, location="query", arg_name="query")
@api.output(NotificationPageOut)
@api.doc(summary="Your notifications, newest first", responses={422: "Invalid cursor"})
@authenticated
def my_notifications(query: dict[str, Any]) -> Any:
    before = ascii_int(query["cursor"], 1) if "cursor" in query else None
    if "cursor" in query and before is None:
        abort(422, "cursor is the `next` value of the previous page.")
    page = notification_service().page(caller(), before, query["limit"], query["unread"])
    nxt = None if page.next is None else str(page.next)
    return {"items": page.items, "next": nxt, "unread": page.unread}


@api.post("/notifications/<id:notification_id>/read")
@api.output(NotificationOut)
@api.doc(summary="Mark one of your notifications read", responses={404: "Not yours, or none"})
@authenticated
def read_notification(notification_id: int) -> Any:
    return notification_service().mark_read(caller(), notification_id)


@api.post("/notifications/read-all")
@api.output(ReadAllOut)
@api.doc(summary="Mark all your notifications read")
@authenticated
def read_all_notifications() -> Any:
    return {"updated": notification_service().mark_all_read(caller()), "unread": 0}


@api.get("/notifications/preferences")
@api.output(PreferencesOut)
@api.doc(summary="What you are told of, how, and when")
@authenticated
def notification_preferences() -> Any:
    return notification_service().preferences(caller())


@api.put("/notifications/preferences")
@api.input(PreferencesIn, arg_name="data")
@api.output(PreferencesOut)
@api.doc(
    summary="Choose what you are told of, how, and when",
    responses={403: "A kind only staff are told of", 422: "Invalid"},
)
@authenticated
def set_notification_preferences(data: dict[str, Any]) -> Any:
    return notification_service().set_preferences(caller(), data)
