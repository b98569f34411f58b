"""Webhooks (admins): subscriptions, their deliveries with every attempt, and "send again"
(docs/webhooks.md). The payloads themselves are the staff view of an event (docs/events.md)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import Flag, StrictSchema
from swarm.models.outbox import OutboxState
from swarm.outbox.service import EVENT_TYPES, WebhookService
from swarm.phrases import N_
from swarm.runtime import db_session, runtime

#: Refusing an empty list of event types (the length's own sentence said "between 1 and 34").
EVENTS_CHOICE = N_("Choose at least one event type.")

ADMINS = {403: "Admins only", 404: "No such webhook", 422: "A bad URL or event type"}


class WebhookIn(StrictSchema):
    url = String(required=True, validate=Length(1, 2000))
    event_types = List(
        String(validate=OneOf(EVENT_TYPES)),
        required=True,
        validate=Length(1, len(EVENT_TYPES), error=EVENTS_CHOICE),
    )
    description = String(load_default="", validate=Length(0, 200))


class WebhookPatch(StrictSchema):
    url = String(validate=Length(1, 2000))
    event_types = List(
        String(validate=OneOf(EVENT_TYPES)),
        validate=Length(1, len(EVENT_TYPES), error=EVENTS_CHOICE),
    )
    description = String(validate=Length(0, 200))
    active = Flag()


class WebhookOut(Schema):
    id = Integer()
    url = String()
    description = String()
    event_types = List(String())
    active = Boolean()
    created_at = String()
    deliveries = Dict(keys=String(), values=Integer())


class WebhookCreated(WebhookOut):
    secret = String(
        metadata={"description": "whsec_…: answered only here; receivers check signatures with it"}
    )


class WebhookItem(WebhookOut):
    """A webhook in the list. (Its own class: APIFlask names a schema that an operation
    answers directly only if no list nested it first — /webhooks sorts before /webhooks/<id>.)"""


class WebhookList(Schema):
    items = List(Nested(WebhookItem))
    event_types = List(String())


class Attempt(Schema):
    at = String()
    status_code = Integer(allow_none=True)
    response = String()
    error = String(allow_none=True)
    milliseconds = Integer()


class DeliveryOut(Schema):
    id = Integer()
    webhook_id = Integer(allow_none=True)
    key = String()
    event_id = Integer(allow_none=True)
    event_type = String()
    state = String()
    attempts = Integer()
    next_attempt_at = String(allow_none=True)
    last_error = String(allow_none=True)
    created_at = String()
    delivered_at = String(allow_none=True)
    tries = List(Nested(Attempt))


class DeliveryItem(DeliveryOut):
    """A delivery in the list (its own class, as WebhookItem)."""


class DeliveryList(Schema):
    items = List(Nested(DeliveryItem))


class DeliveryQuery(StrictSchema):
    state = String(validate=OneOf([str(s) for s in OutboxState]))
    limit = Integer(strict=False, load_default=50, validate=Range(1, 200))


def service() -> WebhookService:
    return WebhookService(db_session(), runtime().clock)


@api.patch("/webhooks/<id:webhook_id>")
@api.input(WebhookPatch, arg_name="data")
@api.output(WebhookOut)
@api.doc(summary="Change a webhook, or pause it (active=false)", responses=ADMINS)
@authenticated
def update_webhook(webhook_id: int, data: dict[str, Any]) -> Any:
    return service().update(caller(), webhook_id, data)


@api.post("/deliveries/<id:delivery_id>/send-again")
@api.output(DeliveryOut)
@api.doc(
    summary="Send a delivered or dead delivery again",
    responses={403: "Admins only", 404: "No such delivery", 409: "Already waiting to go out"},
)
@authenticated
def send_again(delivery_id: int) -> Any:
    return service().send_again(caller(), delivery_id)


@api.post("/webhooks")
@api.input(WebhookIn, arg_name="data")
@api.output(WebhookCreated, status_code=201)
@api.doc(summary="Register a webhook; its secret is answered once", responses=ADMINS)
@authenticated
def create_webhook(data: dict[str, Any]) -> Any:
    view, secret = service().create(caller(), data["url"], data["event_types"], data["description"])
    return {**view, "secret": secret}


@api.get("/webhooks")
@api.output(WebhookList)
@api.doc(summary="Webhooks with their deliveries counted by state", responses={403: "Admins only"})
@authenticated
def list_webhooks() -> Any:
    return {"items": service().list(caller()), "event_types": list(EVENT_TYPES)}


@api.delete("/webhooks/<id:webhook_id>")
@api.output({}, status_code=204)
@api.doc(summary="Remove a webhook and its deliveries", responses=ADMINS)
@authenticated
def delete_webhook(webhook_id: int) -> Any:
    service().delete(caller(), webhook_id)
    return ""


@api.get("/webhooks/<id:webhook_id>/deliveries")
@api.input(DeliveryQuery, location="query", arg_name="query")
@api.output(DeliveryList)
@api.doc(summary="A webhook's deliveries, newest first, with every attempt", responses=ADMINS)
@authenticated
def list_deliveries(webhook_id: int, query: dict[str, Any]) -> Any:
    items = service().deliveries(caller(), webhook_id, query.get("state"), query["limit"])
    return {"items": items}
