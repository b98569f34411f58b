"""Skills: the taxonomy, inference, agents' profiles, and routing suggestions for a ticket."""

from __future__ import annotations

from typing import Any

from flask import Response

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import (
    GraphOut,
    GrowthList,
    InferIn,
    InferOut,
    ProfileIn,
    ProfileOutSchema,
    RelationIn,
    RelationOut,
    SkillDetailOut,
    SkillIn,
    SkillList,
    SkillOut,
    SkillPatch,
    SuggestionsOut,
    TicketSkillList,
    TicketSkillsIn,
)
from swarm.models import Skill
from swarm.profiles.service import ProfileEntry
from swarm.runtime import db_session, profile_service, routing_service, runtime, ticket_service
from swarm.skills.taxonomy import dump_csv, dump_json
from swarm.tickets.access import require_staff

ADMIN = {403: "Admins only", 404: "No such skill", 409: "Exists already", 422: "Invalid"}
STAFF = {403: "Agents only"}
CSV = {
    "description": "The taxonomy as CSV: one row a skill",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


def _profile_payload(agent: Any, rows: list[Any]) -> dict[str, Any]:
    return {
        "agent": agent,
        "skills": [
            {
                "skill": {"id": r.skill_id, "name": r.skill.name},
                "proficiency": r.proficiency,
                "wants_to_learn": r.wants_to_learn,
                "evidence": r.evidence,
                "last_used_at": r.last_used_at,
            }
            for r in rows
        ],
    }


@api.post("/skills")
@api.input(SkillIn, arg_name="data")
@api.output(SkillOut, status_code=201)
@api.doc(summary="Add a skill to the taxonomy (admins)", responses=ADMIN)
@authenticated
def create_skill(data: dict[str, Any]) -> Any:
    return profile_service().create_skill(caller(), **data)


@api.patch("/skills/<id:skill_id>")
@api.input(SkillPatch, arg_name="data")
@api.output(SkillOut)
@api.doc(summary="Rename or describe a skill (admins)", responses=ADMIN)
@authenticated
def update_skill(skill_id: int, data: dict[str, Any]) -> Any:
    return profile_service().update_skill(caller(), skill_id, data)


@api.get("/skills")
@api.output(SkillList)
@api.doc(summary="All skills, by name (agents)", responses=STAFF)
@authenticated
def list_skills() -> Any:
    require_staff(caller(), "see the skill taxonomy")
    return {"items": profile_service().skills()}


@api.get("/skills/<id:skill_id>")
@api.output(SkillDetailOut)
@api.doc(
    summary="A skill and the agents who know it or want to learn it (agents)",
    responses={**STAFF, 404: "No such skill"},
)
@authenticated
def get_skill(skill_id: int) -> Any:
    require_staff(caller(), "see who knows a skill")
    service = profile_service()
    people = service.people_with(skill_id)
    return {
        "skill": service.session.get(Skill, skill_id),
        "people": [
            {
                "agent": user,
                "proficiency": row.proficiency,
                "wants_to_learn": row.wants_to_learn,
                "evidence": row.evidence,
            }
            for user, row in people
        ],
    }


@api.delete("/skills/<id:skill_id>")
@api.output({}, status_code=204)
@api.doc(summary="Remove a skill and everything that refers to it (admins)", responses=ADMIN)
@authenticated
def delete_skill(skill_id: int) -> Any:
    profile_service().delete_skill(caller(), skill_id)
    return ""


@api.post("/skills/relations")
@api.input(RelationIn, arg_name="data")
@api.output(RelationOut, status_code=201)
@api.doc(summary="Relate two skills: is_a (child → parent) or related_to (admins)", responses=ADMIN)
@authenticated
def add_relation(data: dict[str, Any]) -> Any:
    return profile_service().add_relation(caller(), **data)


@api.delete("/skills/relations/<id:relation_id>")
@api.output({}, status_code=204)
@api.doc(summary="Remove a relation (admins)", responses=ADMIN)
@authenticated
def delete_relation(relation_id: int) -> Any:
    profile_service().delete_relation(caller(), relation_id)
    return ""


@api.get("/skills/graph")
@api.output(GraphOut)
@api.doc(summary="The skill graph: nodes with expert counts, and relations", responses=STAFF)
@authenticated
def skill_graph() -> Any:
    require_staff(caller(), "see the skill graph")
    return profile_service().graph()


@api.get("/skills/taxonomy.json")
@api.doc(
    summary="Export the taxonomy as JSON (import with swarm.skills.taxonomy.load_json)",
    responses={
        200: {
            "description": "The taxonomy: skills with aliases, and relations",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **STAFF,
    },
)
@authenticated
def export_json() -> Any:
    require_staff(caller(), "export the taxonomy")
    graph = runtime().routing.org.graph(db_session())
    return Response(dump_json(graph), mimetype="application/json")


@api.get("/skills/taxonomy.csv")
@api.doc(summary="Export the taxonomy as CSV", responses={200: CSV, **STAFF})
@authenticated
def export_csv() -> Any:
    require_staff(caller(), "export the taxonomy")
    graph = runtime().routing.org.graph(db_session())
    return Response(dump_csv(graph), mimetype="text/csv")


@api.post("/skills/infer")
@api.input(InferIn, arg_name="data")
@api.output(InferOut)
@api.doc(summary="The skills a text needs, each with why (empty: triage)", responses=STAFF)
@authenticated
def infer_skills(data: dict[str, Any]) -> Any:
    require_staff(caller(), "infer skills")
    service = routing_service()
    found = service.infer(data["text"])
    graph = service.caches.org.graph(service.session)
    return {
        "skills": [
            {
                "skill": {"id": s.skill_id, "name": graph.name(s.skill_id)},
                "weight": s.weight,
                "why": s.why,
            }
            for s in found
        ],
        "triage": not found,
    }


@api.get("/agents/<id:agent_id>/skills")
@api.output(ProfileOutSchema)
@api.doc(
    summary="An agent's skill profile (agents only)", responses={**STAFF, 404: "No such agent"}
)
@authenticated
def get_profile(agent_id: int) -> Any:
    return _profile_payload(*profile_service().profile(caller(), agent_id))


@api.put("/agents/<id:agent_id>/skills")
@api.input(ProfileIn, arg_name="data")
@api.output(ProfileOutSchema)
@api.doc(
    summary="Replace an agent's skill profile (the agent, or a manager)",
    responses={403: "Not you, nor a manager", 404: "No such agent", 422: "Unknown skills"},
)
@authenticated
def put_profile(agent_id: int, data: dict[str, Any]) -> Any:
    entries = [ProfileEntry(**entry) for entry in data["skills"]]
    return _profile_payload(*profile_service().set_profile(caller(), agent_id, entries))


@api.get("/agents/<id:agent_id>/growth")
@api.output(GrowthList)
@api.doc(
    summary="How an agent's skills changed over time, newest first",
    responses={**STAFF, 404: "No such agent"},
)
@authenticated
def get_growth(agent_id: int) -> Any:
    return {"items": profile_service().growth(caller(), agent_id)}


@api.get("/tickets/<id:ticket_id>/suggestions")
@api.output(SuggestionsOut)
@api.doc(
    summary="Best owners and the swarm to cover the ticket, with reasons (agents only)",
    responses={**STAFF, 404: "No such ticket"},
)
@authenticated
def suggestions(ticket_id: int) -> Any:
    return routing_service().suggestions(caller(), ticket_id)


@api.get("/tickets/<id:ticket_id>/skills")
@api.output(TicketSkillList)
@api.doc(summary="The ticket's required skills, inferred or set by hand")
@authenticated
def ticket_skills(ticket_id: int) -> Any:
    ticket = ticket_service().get(caller(), ticket_id)
    return {"items": [_ticket_skill(s) for s in ticket.skills]}


@api.put("/tickets/<id:ticket_id>/skills")
@api.input(TicketSkillsIn, arg_name="data")
@api.output(TicketSkillList)
@api.doc(
    summary="Correct the ticket's skills (agents); corrections train the inference",
    responses={**STAFF, 404: "No such ticket", 422: "Unknown or repeated skills"},
)
@authenticated
def put_ticket_skills(ticket_id: int, data: dict[str, Any]) -> Any:
    pairs = [(s["skill_id"], s["weight"]) for s in data["skills"]]
    ticket = routing_service().set_skills(caller(), ticket_id, pairs)
    return {"items": [_ticket_skill(s) for s in ticket.skills]}


def _ticket_skill(row: Any) -> dict[str, Any]:
    return {
        "skill": {"id": row.skill_id, "name": row.skill.name},
        "weight": row.weight,
        "source": row.source,
        "why": row.why,
    }
