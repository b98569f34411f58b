"""Tickets: open, list, read, and every lifecycle change. Each view is one service call."""

from __future__ import annotations

from typing import Any

from apiflask import abort

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import (
    AgentList,
    AssignIn,
    EventList,
    NoteIn,
    NoteList,
    NoteOut,
    RatingOut,
    ReasonIn,
    ResolveIn,
    SatisfactionIn,
    SatisfactionOut,
    StatusIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketQuery,
)
from swarm.inputs import ascii_int
from swarm.runtime import db_session, routing_service, ticket_service
from swarm.tickets.access import require_staff
from swarm.tickets.payloads import event_payload
from swarm.tickets.queries import staff_users

CHANGE_ERRORS = {403: "Not allowed for you", 404: "No such ticket", 409: "Illegal transition"}


@api.post("/tickets")
@api.input(TicketIn, arg_name="data")
@api.output(TicketOut, status_code=201)
@api.doc(
    summary="Open a ticket",
    responses={
        403: "Only agents open a ticket on behalf of someone (requester_id)",
        413: "Body over 64 KB",
        422: "Invalid fields, or no such requester",
    },
)
@authenticated
def open_ticket(data: dict[str, Any]) -> Any:
    return routing_service().open_ticket(caller(), **data)


@api.get("/tickets")
@api.input(TicketQuery, location="query", arg_name="query")
@api.output(TicketPage)
@api.doc(summary="Tickets you may see, newest first unless sorted otherwise")
@authenticated
def list_tickets(query: dict[str, Any]) -> Any:
    user = caller()
    owner_id: int | None = None
    owner = query.get("owner")
    if owner == "me":
        owner_id = user.id
    elif owner not in (None, "none"):
        owner_id = ascii_int(str(owner), 1)
        if owner_id is None:
            abort(422, "owner is 'me', 'none' or an agent id.", extra_data={"fields": {}})
    cursor = query.get("cursor")
    after = ascii_int(cursor) if cursor is not None else None
    if cursor is not None and after is None:
        abort(422, "cursor is the `next` value of the previous page.")
    if cursor is not None and query.get("page") is not None:
        abort(422, "Page by `cursor` or by `page`, not both.")
    page = ticket_service().list(
        user,
        status=query.get("status"),
        mode=query.get("mode"),
        priority=query.get("priority"),
        owner_id=owner_id,
        unowned=owner == "none",
        q=query.get("q"),
        sort=query["sort"],
        after=after,
        offset=(query.get("page", 1) - 1) * query["limit"],
        limit=query["limit"],
    )
    return {"items": page.items, "next": page.next, "total": page.total}


@api.get("/tickets/<id:ticket_id>")
@api.output(TicketOut)
@api.doc(summary="One ticket", responses={404: "No such ticket (or not yours)"})
@authenticated
def get_ticket(ticket_id: int) -> Any:
    return ticket_service().get(caller(), ticket_id)


@api.get("/tickets/<id:ticket_id>/events")
@api.output(EventList)
@api.doc(summary="The ticket's event log, oldest first")
@authenticated
def ticket_events(ticket_id: int) -> Any:
    events = ticket_service().events(caller(), ticket_id)
    return {"items": [event_payload(event) for event in events]}


@api.post("/tickets/<id:ticket_id>/claim")
@api.output(TicketOut)
@api.doc(summary="Take ownership of an unowned ticket", responses=CHANGE_ERRORS)
@authenticated
def claim(ticket_id: int) -> Any:
    return ticket_service().claim(caller(), ticket_id)


@api.post("/tickets/<id:ticket_id>/assign")
@api.input(AssignIn, arg_name="data")
@api.output(TicketOut)
@api.doc(summary="Assign or reassign the ticket to an agent", responses=CHANGE_ERRORS)
@authenticated
def assign(ticket_id: int, data: dict[str, Any]) -> Any:
    return ticket_service().assign(caller(), ticket_id, data["agent_id"], data.get("why"))


@api.post("/tickets/<id:ticket_id>/release")
@api.input(ReasonIn, arg_name="data")
@api.output(TicketOut)
@api.doc(summary="Give up ownership", responses=CHANGE_ERRORS)
@authenticated
def release(ticket_id: int, data: dict[str, Any]) -> Any:
    return routing_service().release(caller(), ticket_id, data.get("reason"))


@api.post("/tickets/<id:ticket_id>/status")
@api.input(StatusIn, arg_name="data")
@api.output(TicketOut)
@api.doc(summary="Change the status (open, pending, closed)", responses=CHANGE_ERRORS)
@authenticated
def change_status(ticket_id: int, data: dict[str, Any]) -> Any:
    return ticket_service().change_status(caller(), ticket_id, data["status"])


@api.post("/tickets/<id:ticket_id>/resolve")
@api.input(ResolveIn, arg_name="data")
@api.output(TicketOut)
@api.doc(summary="Resolve with a resolution text", responses=CHANGE_ERRORS)
@authenticated
def resolve(ticket_id: int, data: dict[str, Any]) -> Any:
    return ticket_service().resolve(
        caller(), ticket_id, data["resolution"], articles=data["articles"]
    )


@api.post("/tickets/<id:ticket_id>/reopen")
@api.input(ReasonIn, arg_name="data")
@api.output(TicketOut)
@api.doc(summary="Reopen a resolved or closed ticket", responses=CHANGE_ERRORS)
@authenticated
def reopen(ticket_id: int, data: dict[str, Any]) -> Any:
    return ticket_service().reopen(caller(), ticket_id, data.get("reason"))


@api.post("/tickets/<id:ticket_id>/satisfaction")
@api.input(SatisfactionIn, arg_name="data")
@api.output(RatingOut, status_code=201)
@api.doc(
    summary="The requester rates the resolution: a score of 1 to 5 and an optional comment",
    responses={
        403: "Not the requester",
        404: "No such ticket (or not yours)",
        409: "Not resolved, or already rated for this resolution",
        422: "Invalid score or comment",
    },
)
@authenticated
def rate(ticket_id: int, data: dict[str, Any]) -> Any:
    event = ticket_service().rate_ticket(caller(), ticket_id, data["score"], data["comment"])
    return event_payload(event)


@api.get("/tickets/<id:ticket_id>/satisfaction")
@api.output(SatisfactionOut)
@api.doc(
    summary="The requester's rating of the latest resolution, and whether you may rate",
    responses={404: "No such ticket (or not yours)"},
)
@authenticated
def satisfaction(ticket_id: int) -> Any:
    found = ticket_service().satisfaction(caller(), ticket_id)
    rating = event_payload(found.rating) if found.rating else None
    return {"rating": rating, "can_rate": found.can_rate, "why_not": found.why_not}


@api.post("/tickets/<id:ticket_id>/notes")
@api.input(NoteIn, arg_name="data")
@api.output(NoteOut, status_code=201)
@api.doc(summary="Add an internal note (agents only)", responses=CHANGE_ERRORS)
@authenticated
def add_note(ticket_id: int, data: dict[str, Any]) -> Any:
    return ticket_service().add_note(caller(), ticket_id, data["body"])


@api.get("/tickets/<id:ticket_id>/notes")
@api.output(NoteList)
@api.doc(summary="Internal notes (agents only)", responses={403: "Agents only"})
@authenticated
def list_notes(ticket_id: int) -> Any:
    return {"items": ticket_service().notes(caller(), ticket_id)}


@api.get("/agents")
@api.output(AgentList)
@api.doc(summary="Agents, managers and admins (agents only)", responses={403: "Agents only"})
@authenticated
def list_agents() -> Any:
    require_staff(caller(), "list agents")
    return {"items": staff_users(db_session())}
