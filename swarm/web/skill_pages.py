"""Skill pages: my profile (levels and learning goals, with growth), the skill-graph explorer,
and the ticket page's skills and suggestions forms."""

from __future__ import annotations

from typing import Any

from apiflask import abort  # flask's would drop the sentence: the error page shows it
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from swarm.api.schemas import TicketSkillsIn
from swarm.profiles.service import ProfileEntry
from swarm.runtime import profile_service, routing_service
from swarm.tickets.access import require_staff
from swarm.tickets.errors import DomainError, Invalid
from swarm.web import web
from swarm.web.forms import current, form_int, load_data, refused
from swarm.web.i18n import translate
from swarm.web.ticket_pages import ticket as ticket_page


@web.get("/me/skills")
@login_required
def my_skills() -> Any:
    return _profile_page(current().id)


@web.get("/agents/<id:agent_id>/skills")
@login_required
def agent_skills(agent_id: int) -> Any:
    return _profile_page(agent_id)


def _profile_page(agent_id: int, status: int = 200) -> Any:
    service = profile_service()
    agent, rows = service.profile(current(), agent_id)
    growth = service.growth(current(), agent_id, limit=30)
    skills = service.skills()
    names = {s.id: s.name for s in skills}
    mine = {r.skill_id for r in rows}
    return render_template(
        "skills/profile.html",
        agent=agent,
        rows=rows,
        growth=growth,
        names=names,
        addable=[s for s in skills if s.id not in mine],
        editable=current().id == agent.id or current().has_role("manager"),
    ), status


@web.post("/agents/<id:agent_id>/skills")
@login_required
def save_skills(agent_id: int) -> Any:
    form = request.form
    entries: list[ProfileEntry] = []
    for skill_id in form.getlist("skill_id"):
        number = form_int(skill_id)
        if number is None or form.get(f"remove-{skill_id}"):
            continue
        level = form_int(form.get(f"level-{skill_id}"))
        entries.append(
            ProfileEntry(
                number,
                level if level is not None else -1,
                bool(form.get(f"learn-{skill_id}")),
            )
        )
    new_skill = form_int(form.get("new_skill"))
    if new_skill is not None:
        level = form_int(form.get("new_level"))
        entries.append(
            ProfileEntry(new_skill, level if level is not None else -1, bool(form.get("new_learn")))
        )
    try:
        profile_service().set_profile(current(), agent_id, entries)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        return _profile_page(agent_id, exc.status)
    flash(_("Skill profile saved."), "info")
    target = "web.my_skills" if agent_id == current().id else "web.agent_skills"
    kwargs = {} if agent_id == current().id else {"agent_id": agent_id}
    return redirect(url_for(target, **kwargs))


@web.get("/skills")
@login_required
def skill_graph() -> Any:
    """The skill explorer opens on the skills by category and a search; one skill shows its
    neighbourhood in the graph and everyone who knows or is learning it. The whole graph, all
    nodes at once, is one click further (``?view=all``)."""
    # Staff-only, refused like every other staff-only page (a queue, the routing settings).
    require_staff(current(), "see the skill graph")
    service = profile_service()
    graph = service.graph()
    by_category: dict[str, list[dict[str, Any]]] = {}
    for node in sorted(graph["nodes"], key=lambda n: n["name"].lower()):
        by_category.setdefault(node["category"] or "Other", []).append(node)
    chosen = form_int(request.args.get("skill"))
    wanted = (request.args.get("find") or "").strip().lower()
    if wanted and chosen is None:
        for node in graph["nodes"]:
            if wanted in (node["name"].lower(), *(a.lower() for a in node["aliases"])):
                chosen = node["id"]
                break
        else:
            flash(_("No skill is called “%(name)s”.", name=request.args["find"].strip()), "error")
    skill = next((n for n in graph["nodes"] if n["id"] == chosen), None)
    if chosen is not None and skill is None:
        abort(404, "There is no such skill.")
    people = service.people_with(skill["id"]) if skill else []
    return render_template(
        "skills/graph.html",
        by_category=dict(sorted(by_category.items())),
        skill=skill,
        experts=[(user, row) for user, row in people if row.proficiency >= 1],
        learners=[(user, row) for user, row in people if row.wants_to_learn],
        whole=request.args.get("view") == "all",
    )


@web.post("/tickets/<id:ticket_id>/skills")
@login_required
def set_ticket_skills(ticket_id: int) -> Any:
    # The API's TicketSkillsIn checks the choice (ids, at most 20), each chosen skill at
    # weight 1 as the picker means it.
    chosen = [
        {"skill_id": v if (n := form_int(v)) is None else n, "weight": 1.0}
        for v in request.form.getlist("skills")
    ]
    data, errors = load_data(TicketSkillsIn(), {"skills": chosen})
    try:
        if errors:
            raise Invalid(refused("skills", errors), fields=errors)
        routing_service().set_skills(
            current(), ticket_id, [(s["skill_id"], s["weight"]) for s in data["skills"]]
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(translate(exc.message), "error")
        return ticket_page(ticket_id, failed="skills", errors=exc.fields or {}), exc.status
    else:
        flash(
            _("Skills corrected: future tickets like this one will be inferred this way."), "info"
        )
    return redirect(url_for("web.ticket", ticket_id=ticket_id))
