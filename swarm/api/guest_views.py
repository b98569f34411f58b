"""Guest links to a ticket's swarm room (docs/realtime.md, "Guests"): staff list, create and
revoke them. The link itself is answered once, at creation; only its hash is kept."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Range
from flask import url_for

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import StrictSchema, Text, UserRef, Whole
from swarm.models import GuestPass
from swarm.runtime import guest_service, runtime
from swarm.tickets.guests import DEFAULT_GUEST_HOURS, MAX_GUEST_HOURS
from swarm.tickets.payloads import user_ref

ERRORS = {
    403: "Agents only",
    404: "No such ticket or pass",
    409: "Ticket not active, or link ended",
}


class GuestIn(StrictSchema):
    name = Text(1, 80, required=True, metadata={"description": "The guest's name."})
    hours = Whole(
        load_default=DEFAULT_GUEST_HOURS,
        validate=Range(1, MAX_GUEST_HOURS),
        metadata={"description": f"How long the link works: 1 to {MAX_GUEST_HOURS} hours."},
    )


class GuestOut(Schema):
    id = Integer(metadata={"description": "The pass's id (for revoking)."})
    guest = Nested(UserRef)
    created_by = Nested(UserRef, allow_none=True)
    created_at = DateTime()
    expires_at = DateTime()
    revoked_at = DateTime(allow_none=True)
    active = Boolean(metadata={"description": "Whether the link works now."})
    link = String(metadata={"description": "Only when created: the link, never shown again."})


class GuestList(Schema):
    items = List(Nested(GuestOut))


def _out(granted: GuestPass, link: str | None = None) -> dict[str, Any]:
    out = {
        "id": granted.id,
        "guest": user_ref(granted.user),
        "created_by": user_ref(granted.created_by),
        "created_at": granted.created_at,
        "expires_at": granted.expires_at,
        "revoked_at": granted.revoked_at,
        "active": granted.valid(runtime().clock.now()),
    }
    if link is not None:
        out["link"] = link
    return out


@api.post("/tickets/<id:ticket_id>/guests")
@api.input(GuestIn, arg_name="data")
@api.output(GuestOut, status_code=201)
@api.doc(
    summary="Create a guest link to the ticket's room; the link is answered once", responses=ERRORS
)
@authenticated
def create_guest(ticket_id: int, data: dict[str, Any]) -> Any:
    granted, token = guest_service().invite_guest(caller(), ticket_id, data["name"], data["hours"])
    return _out(granted, url_for("web.guest_room", token=token, _external=True))


# After an endpoint that answers GuestOut itself: a schema that apispec meets first nested in
# another is registered a second time when answered directly, with a warning (an error here).
@api.get("/tickets/<id:ticket_id>/guests")
@api.output(GuestList)
@api.doc(summary="The ticket's guest links, newest first (agents only)", responses=ERRORS)
@authenticated
def list_guests(ticket_id: int) -> Any:
    return {"items": [_out(g) for g in guest_service().guests(caller(), ticket_id)]}


@api.post("/tickets/<id:ticket_id>/guests/<id:pass_id>/revoke")
@api.output(GuestOut)
@api.doc(summary="End a guest link now", responses=ERRORS)
@authenticated
def revoke_guest(ticket_id: int, pass_id: int) -> Any:
    return _out(guest_service().revoke_guest(caller(), ticket_id, pass_id))
