"""The caller's inbox: what waits for them (invitations, raised hands, offers, alerts)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.runtime import inbox_service


class PersonRef(Schema):
    id = Integer()
    name = String()
    online = Boolean(metadata={"description": "Marked online now."})
    presence = String(metadata={"description": "online, away, busy or offline."})


class TicketRefOut(Schema):
    id = Integer()
    subject = String()
    priority = String()
    status = String()


class InvitationItem(Schema):
    id = Integer(metadata={"description": "Answer with the `respond_invitation` socket event."})
    ticket = Nested(TicketRefOut)
    inviter = Nested(PersonRef, allow_none=True)
    note = String(allow_none=True)
    created_at = DateTime()
    expires_at = DateTime()


class HandItem(Schema):
    ticket = Nested(TicketRefOut)
    raised_by = Nested(PersonRef, allow_none=True)
    note = String(allow_none=True)
    at = DateTime()
    until = DateTime(metadata={"description": "When the hand stops being shown."})
    skills = List(String(), metadata={"description": "The ticket's skills you know."})


class OfferItem(Schema):
    ticket = Nested(TicketRefOut)
    agent = Nested(PersonRef)
    at = DateTime()


class AlertItem(Schema):
    ticket = Nested(TicketRefOut)
    since = DateTime(metadata={"description": "Unowned since (created, or last released)."})
    minutes = Integer()


class InboxOut(Schema):
    count = Integer()
    invitations = List(Nested(InvitationItem))
    hands = List(Nested(HandItem))
    offers = List(Nested(OfferItem))
    alerts = List(Nested(AlertItem), metadata={"description": "Managers and admins only."})


@api.get("/me/inbox")
@api.output(InboxOut)
@api.doc(summary="What waits for you: invitations, raised hands, offers, alerts")
@authenticated
def my_inbox() -> Any:
    found = inbox_service().inbox(caller())
    return {
        "count": found.count,
        "invitations": found.invitations,
        "hands": found.hands,
        "offers": found.offers,
        "alerts": found.alerts,
    }
