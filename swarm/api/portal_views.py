"""The self-service portal's reports (docs/knowledge.md, "The portal"): what a requester's
page displayed or they opened while typing a ticket, and "this solved it". Each view is one
``PortalService`` call."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import DateTime, Integer, List, String
from apiflask.validators import Length, OneOf, Regexp

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import Id, StrictSchema
from swarm.knowledge.portal import MAX_REPORTED, SEEN_TYPES
from swarm.models.portal import VISIT_MAX
from swarm.runtime import portal_service

VISIT_PATTERN = r"^[A-Za-z0-9_-]+$"
VISIT = {"description": "The draft's visit id, made by the page (8–64 letters, digits, - or _)."}
REPORTS = {
    403: "Staff: the portal records requesters' actions only",
    404: "No such article (or not a published public one)",
    409: "The visit has ended (solved, or a ticket was opened), or the article was not shown",
    422: "Invalid fields",
}


class PortalSeenIn(StrictSchema):
    visit = String(
        required=True, validate=[Length(8, VISIT_MAX), Regexp(VISIT_PATTERN)], metadata=VISIT
    )
    type = String(
        required=True,
        validate=OneOf(SEEN_TYPES),
        metadata={
            "description": "`article_suggested`: the page displayed these suggestions; "
            "`article_viewed`: the requester opened the article."
        },
    )
    article_ids = List(Id(), required=True, validate=Length(1, MAX_REPORTED))


class PortalSeenOut(Schema):
    recorded = Integer(metadata={"description": "Rows new to this visit (repeats count once)."})


class DeflectionIn(StrictSchema):
    visit = String(
        required=True, validate=[Length(8, VISIT_MAX), Regexp(VISIT_PATTERN)], metadata=VISIT
    )
    article_id = Id(required=True)


class DeflectionOut(Schema):
    visit = String()
    article_id = Integer()
    at = DateTime()


@api.post("/portal/events")
@api.input(PortalSeenIn, arg_name="data")
@api.output(PortalSeenOut)
@api.doc(
    summary="Report suggestions displayed or an article opened (requesters)", responses=REPORTS
)
@authenticated
def portal_seen(data: dict[str, Any]) -> Any:
    recorded = portal_service().record_seen(
        caller(), data["visit"], data["type"], data["article_ids"]
    )
    return {"recorded": recorded}


@api.post("/portal/deflections")
@api.input(DeflectionIn, arg_name="data")
@api.output(DeflectionOut, status_code=201)
@api.doc(summary='"This solved it": end the visit without a ticket (requesters)', responses=REPORTS)
@authenticated
def portal_deflect(data: dict[str, Any]) -> Any:
    row = portal_service().deflect(caller(), data["visit"], data["article_id"])
    return {"visit": row.visit, "article_id": row.article_id, "at": row.at}
